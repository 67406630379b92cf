"""Adam with global gradient-norm clipping, updating parameter arrays in place.

Both follow PyTorch exactly (``torch.optim.Adam`` with its defaults and
``torch.nn.utils.clip_grad_norm_``), so a model trained here and there from the same
start takes the same steps.
"""

from __future__ import annotations

import numpy as np


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    Returns the norm before clipping, as PyTorch does.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    total = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for g in grads.values():
            g *= coefficient
    return total


class Adam:
    """Adam (Kingma & Ba 2015) over named arrays: m and v are running means of g and g².

    params: the arrays to update in place, by name; ``step(grads)`` needs the same names
    and shapes.
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        self.params = params
        self.lr, self.betas, self.eps = lr, betas, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self._scratch = {k: np.empty_like(v) for k, v in params.items()}
        self.steps = 0

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """One update of every parameter from its gradient."""
        beta1, beta2 = self.betas
        self.steps += 1
        bias1 = 1.0 - beta1**self.steps
        bias2 = 1.0 - beta2**self.steps
        step_size = self.lr / bias1
        for name, p in self.params.items():
            g = grads[name]
            if g.shape != p.shape:
                raise ValueError(f"gradient {name} has shape {g.shape}, expected {p.shape}")
            m, v, tmp = self.m[name], self.v[name], self._scratch[name]
            m *= beta1
            m += (1.0 - beta1) * g  # m = β1 m + (1-β1) g
            v *= beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - beta2
            v += tmp  # v = β2 v + (1-β2) g²
            np.sqrt(v, out=tmp)
            tmp *= 1.0 / np.sqrt(bias2)
            tmp += self.eps  # sqrt(v̂) + ε, with v̂ = v / (1-β2^t)
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp  # p -= lr · m̂ / (sqrt(v̂) + ε), with m̂ = m / (1-β1^t)
