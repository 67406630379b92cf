"""Running a function on a hostile file's bytes in a child process bounded in time and memory.

Some parsers are C libraries (HDF5) that a corrupted file can make spin for minutes, and
no Python thread can stop C code. So such a parse runs in a child process that is killed
when it overruns. Starting a fresh Python and importing h5py for every file would cost a
few hundred milliseconds, so one small server process is started on first use (with the
modules the caller names already imported) and forks one child per file (~10 ms):

- the child gets the bytes, never the path; it runs under an address-space limit and an
  alarm whose default action ends the process even inside C code;
- the server kills a child that overruns its time, or whose answer grows past its limit,
  and reports a child that dies without answering;
- the caller waits a little longer than the child's time and restarts a server that does
  not answer.

multiprocessing's own forkserver is not used because each of its children re-runs the
parent's ``__main__`` module: a user's script without a ``__main__`` guard would run again
in every child, and ``python -`` cannot run at all.

Requests and answers are frames: two little-endian u64 lengths, a JSON header, raw bytes.
Nothing is pickled. Where ``os.fork`` does not exist (Windows) the function runs in the
calling process, without the time bound.
"""

from __future__ import annotations

import atexit
import importlib
import json
import math
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

_FRAME = struct.Struct("<QQ")
_HEADER_LIMIT = 1 << 20
_ANSWER_MARGIN = 5.0  # seconds the caller waits beyond the child's own time limit
_MEMORY_ROOM = 512 * 1024**2  # address space a child may add beyond its answer's size


def _pack(header: dict[str, Any], body: bytes) -> bytes:
    blob = json.dumps(header).encode()
    return _FRAME.pack(len(blob), len(body)) + blob + body


def _unpack(frame: bytes) -> tuple[dict[str, Any], bytes] | None:
    """A complete frame's header and body, or None when ``frame`` is not exactly one."""
    if len(frame) < _FRAME.size:
        return None
    length, body_length = _FRAME.unpack_from(frame)
    if length > _HEADER_LIMIT or len(frame) != _FRAME.size + length + body_length:
        return None
    header = json.loads(frame[_FRAME.size : _FRAME.size + length])
    return header, frame[_FRAME.size + length :]


def _read_frame(fd: int, deadline: float, limit: int) -> tuple[bytes, str]:
    """Bytes read from ``fd`` until one whole frame has arrived, the writer closed it, the
    ``deadline`` passed ("timeout") or more than ``limit`` bytes came ("too large")."""
    data = bytearray()
    expected: int | None = None
    while expected is None or len(data) < expected:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(data), "timeout"
        ready, _, _ = select.select([fd], [], [], None if math.isinf(left) else left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return bytes(data), "closed"
        data += chunk
        if expected is None and len(data) >= _FRAME.size:
            length, body_length = _FRAME.unpack_from(data)
            expected = _FRAME.size + length + body_length
        if len(data) > limit:
            return bytes(data), "too large"
    return bytes(data), "done"


# -- the server (its own process) ------------------------------------------------------------


def _limit_memory(nbytes: int) -> None:
    """Cap this process's address space at what it has now plus ``nbytes``."""
    import resource

    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + nbytes
    limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _error(err: BaseException) -> dict[str, Any]:
    kind = "" if isinstance(err, ValueError) else f"{type(err).__name__}: "
    return {"status": "error", "message": f"{kind}{err}"}


def _child(
    function: Callable[..., bytes], header: dict[str, Any], data: bytes, fd: int
) -> NoReturn:
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(math.ceil(header["timeout"]) + 1)
        if os.path.exists("/proc/self/statm"):
            _limit_memory(header["limit"] + _MEMORY_ROOM)
        answer = _pack({"status": "ok"}, function(data, **header["args"]))
    except BaseException as err:  # everything becomes one line for the caller
        answer = _pack(_error(err), b"")
    try:
        view = memoryview(answer)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os._exit(0)


def _run_one(header: dict[str, Any], data: bytes, server_pipes: tuple[int, int]) -> bytes:
    """Fork a child that runs the requested function on ``data``; its answer, or why not."""
    try:
        for path in header["path"]:
            if path not in sys.path:
                sys.path.append(path)
        for module in header["preload"]:
            importlib.import_module(module)
        module, name = header["target"].split(":")
        function = getattr(importlib.import_module(module), name)
    except Exception as err:
        return _pack(_error(err), b"")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        for pipe in (read_end, *server_pipes):
            os.close(pipe)
        _child(function, header, data, write_end)
    os.close(write_end)
    deadline = time.monotonic() + header["timeout"]
    answer, how = _read_frame(read_end, deadline, header["limit"] + _HEADER_LIMIT)
    os.close(read_end)
    if how != "done":
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if how == "timeout":
        return _pack({"status": "timeout"}, b"")
    if how == "too large":
        return _pack({"status": "error", "message": "its answer grew past the limit"}, b"")
    if how == "closed" or _unpack(answer) is None:
        if os.WIFSIGNALED(status):
            ended = f"signal {signal.Signals(os.WTERMSIG(status)).name}"
        else:
            ended = f"exit code {os.waitstatus_to_exitcode(status)}"
        return _pack({"status": "crashed", "message": ended}, b"")
    return answer


def serve() -> None:
    """The server's loop: one request frame from stdin, one answer frame to stdout."""
    # The pipes move to descriptors of their own, closed in each child, and 0 and 1 point
    # at /dev/null: nothing a library prints, even from C, can land among the frames.
    requests, answers = os.dup(0), os.dup(1)
    os.set_inheritable(requests, False)
    os.set_inheritable(answers, False)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    while True:
        frame, how = _read_frame(requests, math.inf, 1 << 62)
        request = _unpack(frame) if how == "done" else None
        if request is None:
            return
        answer = memoryview(_run_one(*request, (requests, answers)))
        while answer:
            answer = answer[os.write(answers, answer) :]


# -- the caller's side -----------------------------------------------------------------------


class _Server:
    """The one server process of this process, started on first use."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        atexit.register(self.stop)

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            package_root = str(Path(__file__).resolve().parents[3])
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                [package_root, *filter(None, [env.get("PYTHONPATH")])]
            )
            code = "from lstm_sim.engine.formats.fork_server import serve; serve()"
            self._process = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        return self._process

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def call(self, request: bytes, timeout: float, limit: int) -> bytes:
        with self._lock:
            process = self._start()
            stdin, stdout = process.stdin, process.stdout
            assert stdin is not None and stdout is not None
            try:
                stdin.write(request)
                stdin.flush()
            except OSError:
                self.stop()
                raise ValueError("the process that reads the file stopped unexpectedly") from None
            deadline = time.monotonic() + timeout + _ANSWER_MARGIN
            answer, how = _read_frame(stdout.fileno(), deadline, limit + _HEADER_LIMIT)
            if how != "done":
                self.stop()
                raise ValueError("the process that reads the file stopped answering")
            return answer


_server = _Server()


def run_isolated(
    function: Callable[..., bytes],
    data: bytes,
    *,
    timeout: float,
    limit: int,
    preload: tuple[str, ...] = (),
    **args: Any,
) -> bytes:
    """``function(data, **args)`` run in a forked child of the server, which is given
    ``timeout`` seconds and room for an answer of ``limit`` bytes (plus a margin of
    address space); ``preload`` names modules the server imports once, so that children
    inherit them. ``function`` must be a module-level function and ``args`` JSON values.

    Raises ValueError when the child overruns ("took longer than"), crashes, or raises
    (its message, prefixed by the exception's type unless it was a ValueError).
    """
    if not hasattr(os, "fork"):
        return function(data, **args)
    header = {
        "target": f"{function.__module__}:{function.__qualname__}",
        "args": args,
        "timeout": timeout,
        "limit": limit,
        "preload": list(preload),
        "path": [p for p in sys.path if p],
    }
    answer = _unpack(_server.call(_pack(header, data), timeout, limit))
    if answer is None:
        raise ValueError("the process that reads the file answered with something else")
    reply, body = answer
    if reply["status"] == "timeout":
        raise ValueError(
            f"reading it took longer than {timeout:g} s and was stopped (a corrupted file can "
            "make a parsing library spin)"
        )
    if reply["status"] == "crashed":
        raise ValueError(f"the parsing library crashed reading it ({reply['message']})")
    if reply["status"] != "ok":
        raise ValueError(str(reply.get("message", "failed")))
    return body
