"""fit's per-batch work on a compiled model, with the parameters (and the optimizer) in arrays.

:class:`CompiledSteps` is what :func:`microgradlab.train.fit` runs when it
compiles: the same four calls per batch as on the scalar engine -- forward and
backward, the epoch's mean gradient, the optimizer step -- done on flat NumPy
arrays with the same arithmetic, and the Parameters brought up to date by
:meth:`sync` (fit calls it before callbacks and at the end; any read of a
parameter does it too).
"""

from __future__ import annotations

import math
from typing import Any, List, Sequence, Tuple

from .errors import load_numpy
from .model import CompiledModel


class CompiledSteps:
    """The training steps of ``runner`` on ``(X, targets)`` with ``optimizer``."""

    def __init__(self, runner: CompiledModel, X: Sequence[Any], targets: Sequence[Any], optimizer: Any) -> None:
        np = load_numpy()
        self.np = np
        self.runner = runner
        self.optimizer = optimizer
        self.X = runner.rows(X)
        self.labels = runner.encode(targets)
        arrays = runner.arrays
        position = {id(p): i for i, p in enumerate(arrays.params)}
        index = np.asarray([position[id(p)] for p in optimizer.params], dtype=np.intp)
        n = len(arrays.params)
        self.index = None if len(index) == n and (index == np.arange(n)).all() else index
        # gradients of parameters the optimizer does not hold accumulate, as zero_grad leaves them
        self.kept = None
        if self.index is not None:
            self.kept = np.ones(n, dtype=bool)
            self.kept[index] = False
        self.mean_grad = np.zeros(len(optimizer.params))
        arrays.acquire()  # the one copy into arrays is part of setting up, like compiling (train_step would do it)

    def forward_backward(self, batch: Sequence[int]) -> Tuple[float, List[Any]]:
        """``optimizer.zero_grad()``, then the batch's mean loss and outputs, with its gradient stored."""
        np = self.np
        rows = np.asarray(batch, dtype=np.intp)
        loss, outputs, grad = self.runner.train_step(self.X[rows], self.labels[rows])
        arrays = self.runner.arrays
        if self.kept is None:
            arrays.grad = 0.0 + grad  # zero_grad, then backward adds: 0.0 + g
        else:
            arrays.grad = np.where(self.kept, arrays.grad + grad, 0.0 + grad)
        return loss, outputs.tolist()

    def _grad(self) -> Any:
        grad = self.runner.arrays.grad
        return grad if self.index is None else grad[self.index]

    def add_to_mean_grad(self, weight: float) -> None:
        self.mean_grad += weight * self._grad()

    def step(self) -> None:
        """``optimizer.step()`` on the arrays (all or nothing, as the scalar step)."""
        arrays = self.runner.arrays
        if self.index is None:
            arrays.data = self.optimizer.step_arrays(arrays.data, arrays.grad)
        else:
            arrays.data[self.index] = self.optimizer.step_arrays(arrays.data[self.index], self._grad())

    def grad_norm(self) -> float:
        """The norm of the epoch's mean gradient (and a fresh sum for the next epoch)."""
        norm = math.sqrt(math.fsum(g * g for g in self.mean_grad.tolist()))
        self.mean_grad = self.np.zeros_like(self.mean_grad)
        return norm

    def sync(self) -> None:
        self.runner.sync()
