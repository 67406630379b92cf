"""Products over time made in fixed blocks of steps, so a rerun gets a whole run's bits.

BLAS rounds a row of a product differently depending on where it falls among the rows it
is handed (its kernels take rows in groups and finish the remainder with other kernels).
A rerun from step t that multiplied ``inputs[t:]`` would hand row t' to BLAS among other
rows than the whole run did, and its numbers could differ in the last bit. Every product
over time is therefore made in blocks of :data:`PRODUCT_BLOCK` steps counted from step 0:
a rerun multiplies the block its first step falls in whole and throws the earlier rows
away, so each row sits among the same rows as in the whole run.
"""

from __future__ import annotations

import numpy as np

PRODUCT_BLOCK = 64
"""Steps per matrix product over time (see the module docstring)."""


def project_inputs(
    weight_ih: np.ndarray, inputs: np.ndarray, out: np.ndarray, start: int = 0
) -> None:
    """out = inputs[start:] @ weight_ih.T: (T, ..., D) @ (D, G*H) -> (T - start, ..., G*H),
    in blocks of :data:`PRODUCT_BLOCK` steps counted from step 0 (the block ``start`` falls
    in is multiplied whole, its earlier rows thrown away). Any axes between time and
    features (a minibatch) ride along inside each block.

    One-hot rows (tokens) pick a column of weight_ih instead: the same numbers bit for
    bit, as every other term of the sum is an exact zero, without the T·D·G·H product.
    """
    tail = inputs[start:]
    if tail.size == 0:  # no steps (or an empty minibatch): argmax would refuse
        return
    hot = np.argmax(tail, axis=-1)
    if np.array_equal(np.arange(tail.shape[-1]) == hot[..., None], tail):
        np.take(weight_ih.T, hot, axis=0, out=out)
        return
    first = start - start % PRODUCT_BLOCK
    for lo in range(first, inputs.shape[0], PRODUCT_BLOCK):
        hi = min(lo + PRODUCT_BLOCK, inputs.shape[0])
        if lo >= start:
            np.matmul(inputs[lo:hi], weight_ih.T, out=out[lo - start : hi - start])
        else:
            out[: hi - start] = (inputs[lo:hi] @ weight_ih.T)[start - lo :]
