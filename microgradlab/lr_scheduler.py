"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: :class:`StepLR` and :class:`ExponentialLR`.

A schedule sets ``optimizer.lr`` each time its ``step()`` is called, once per
epoch; with :func:`~microgradlab.train.fit`, call it from a callback::

    scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
    fit(model, X, y, optimizer=optimizer, callbacks=[lambda epoch, history, model: scheduler.step()])

:mod:`microgradlab.optim` re-exports these classes.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping

from .checks import check_float, is_int, is_real
from .optim import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR"]


class LRScheduler:
    """Base class of learning-rate schedules: ``step()`` once per epoch sets ``optimizer.lr``.

    ``lr`` after ``k`` calls of ``step()`` is ``base_lr · factor(k)``, computed in
    closed form (no drift from repeated multiplication).  ``last_epoch`` counts
    the calls and ``last_lr`` is the rate set last, as in PyTorch.  A rate that
    decays below the smallest float becomes 0.0, as in PyTorch, and training
    goes on with it; a step that fails (a subclass's ``factor`` raising, or
    giving a rate that is not a finite number >= 0) changes nothing.
    ``state_dict()`` / ``load_state_dict()`` save and restore the schedule's
    position, as PyTorch's do.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {optimizer!r}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self.last_lr = optimizer.lr

    def factor(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate (all or nothing)."""
        epoch = self.last_epoch + 1
        try:
            lr = self.base_lr * self.factor(epoch)
        except OverflowError:
            lr = math.inf
        if not is_real(lr) or not 0.0 <= lr < math.inf:
            raise ValueError(f"{type(self).__name__}: epoch {epoch} gives the learning rate {lr!r}; "
                             f"it must be a finite number >= 0")
        lr = float(lr)
        if lr > 0.0:
            self.optimizer.lr = lr
        else:  # underflow: PyTorch's schedules reach 0.0, which the optimizer's constructor refuses
            self.optimizer._lr = 0.0
        self.last_epoch, self.last_lr = epoch, lr

    def state_dict(self) -> Dict[str, Any]:
        """The schedule's state (JSON values): its settings and position, everything but the optimizer."""
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict`; the keys must match and the values be finite numbers, else nothing changes."""
        own = self.state_dict()
        if not isinstance(state, Mapping) or set(state) != set(own):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys {sorted(own)}, "
                             f"got {sorted(state) if isinstance(state, Mapping) else state!r}")
        for key, value in state.items():
            if not is_real(value) or not math.isfinite(value) or value < 0 \
                    or (isinstance(own[key], int) and value != int(value)):
                raise ValueError(f"{type(self).__name__}.load_state_dict: {key} must be a finite number >= 0"
                                 f"{' (an integer)' if isinstance(own[key], int) else ''}, got {value!r}")
        for key, value in state.items():
            setattr(self, key, type(own[key])(value))


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (``torch.optim.lr_scheduler.StepLR``).

    >>> from microgradlab import Parameter
    >>> from microgradlab.optim import SGD
    >>> opt = SGD([Parameter(0.0)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for _ in range(5):
    ...     sched.step(); rates.append(opt.lr)
    >>> rates
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        if not is_int(step_size) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be an int >= 1, got {step_size!r}")
        self.step_size = int(step_size)
        self.gamma = check_float("StepLR", "gamma", gamma, low_open=True)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch (``torch.optim.lr_scheduler.ExponentialLR``).

    >>> from microgradlab import Parameter
    >>> from microgradlab.optim import SGD
    >>> opt = SGD([Parameter(0.0)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = check_float("ExponentialLR", "gamma", gamma, low_open=True)

    def factor(self, epoch: int) -> float:
        return self.gamma ** epoch

