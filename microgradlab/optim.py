"""Optimizers (:class:`SGD`, :class:`Adam`) and learning-rate schedules, with PyTorch's equations.

An optimizer holds a list of parameters (Values, usually ``model.parameters()``);
``step()`` moves each ``p.data`` using ``p.grad`` and ``zero_grad()`` resets the
gradients, as in PyTorch::

    optimizer.zero_grad()
    loss = ...              # forward
    loss.backward()
    optimizer.step()

The updates are float arithmetic run under :func:`~microgradlab.no_grad`, so
they never add to a graph (a ``.grad`` that is a Value, after
``backward(create_graph=True)``, is used through its ``.data``).  Before changing
anything ``step()`` checks the gradients: a NaN or infinite one is a
``FloatingPointError`` and no parameter moves.

Schedulers (:class:`StepLR`, :class:`ExponentialLR`) set ``optimizer.lr`` each
time their ``step()`` is called, once per epoch.

>>> from microgradlab import Parameter
>>> w = Parameter(3.0)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).backward()          # d(w²)/dw = 6
>>> opt.step(); round(w.data, 10)
2.4
>>> opt.zero_grad(); w.grad
0.0
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, List, Sequence, Tuple

from .engine import Value, no_grad

__all__ = ["Optimizer", "SGD", "Adam", "LRScheduler", "StepLR", "ExponentialLR"]


def _check_number(where: str, name: str, value: Any, *, low: float = 0.0, low_open: bool = False,
                  high: float = math.inf, high_open: bool = True) -> float:
    """``value`` as a float within the given bounds, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{where}: {name} must be a finite number in {interval}, got {value!r}")
    return value


class Optimizer:
    """Base class: holds the parameters and the learning rate ``lr`` (a positive, finite float).

    Subclasses implement :meth:`_update` on the gradients as floats.
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        where = type(self).__name__
        params = list(params)
        if not params:
            raise ValueError(f"{where}: got an empty list of parameters")
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"{where}: parameter {i} must be a Value (e.g. model.parameters()), got {p!r}")
            if not p.is_leaf:
                raise ValueError(f"{where}: parameter {i} is not a leaf ({p!r}); optimizers update leaves")
            if id(p) in seen:
                raise ValueError(f"{where}: parameter {i} ({p!r}) appears twice; it would be updated twice")
            seen.add(id(p))
        self.params: List[Value] = params
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate η; setting it checks that it is positive and finite."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_number(type(self).__name__, "lr", value, low_open=True)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient (see the class for the rule).

        Raises:
            FloatingPointError: if a gradient is NaN or infinite; nothing changes.
        """
        grads = [p.grad.data if isinstance(p.grad, Value) else float(p.grad) for p in self.params]
        if not math.isfinite(sum(grads)):  # one pass; NaN and ±inf survive a sum
            for i, (p, g) in enumerate(zip(self.params, grads)):
                if not math.isfinite(g):
                    raise FloatingPointError(
                        f"{type(self).__name__}.step: the gradient of parameter {i} ({p.label or 'unlabelled'}) "
                        f"is {g}; no parameter was changed")
        with no_grad():
            self._update(grads)

    def _update(self, grads: List[float]) -> None:
        raise NotImplementedError

    def _decayed(self, grads: List[float], weight_decay: float) -> List[float]:
        """``g + weight_decay · p`` (PyTorch's L2 weight decay, added to the gradient)."""
        if not weight_decay:
            return grads
        return [g + weight_decay * p.data for g, p in zip(grads, self.params)]


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD`` (no dampening).

    For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p
        b = momentum * b + g            # b starts at 0, so b = g after the first step
        g = g + momentum * b  if nesterov else  b
        p = p - lr * g

    With ``momentum=0`` this is the seeds' rule ``w ← w - η ∂L/∂w``.

    Args:
        params: The parameters to train.
        lr: Learning rate η > 0.
        momentum: Momentum factor μ in [0, 1).
        nesterov: Use Nesterov momentum (needs ``momentum > 0``).
        weight_decay: L2 penalty factor >= 0.

    >>> from microgradlab import Parameter
    >>> p = Parameter(1.0)
    >>> opt = SGD([p], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     p.grad = 1.0
    ...     opt.step()
    >>> round(p.data, 12)        # 1 - 0.5·1 - 0.5·(0.9·1 + 1)
    -0.45
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _check_number("SGD", "momentum", momentum, high=1.0)
        self.weight_decay = _check_number("SGD", "weight_decay", weight_decay)
        if nesterov and not self.momentum:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.nesterov = bool(nesterov)
        self.buffers = [0.0] * len(self.params)  # the momentum buffers b

    def _update(self, grads: List[float]) -> None:
        grads = self._decayed(grads, self.weight_decay)
        lr, mu = self.lr, self.momentum
        if mu:
            buffers = self.buffers = [mu * b + g for b, g in zip(self.buffers, grads)]
            if self.nesterov:
                grads = [g + mu * b for g, b in zip(grads, buffers)]
            else:
                grads = buffers
        for p, g in zip(self.params, grads):
            p.data -= lr * g

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr!r}, momentum={self.momentum!r}, nesterov={self.nesterov!r}, "
                f"weight_decay={self.weight_decay!r})")


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (``amsgrad=False``; L2 weight decay).

    At step ``t`` (from 1), for each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p
        m = β1 m + (1 - β1) g           # m, v start at 0
        v = β2 v + (1 - β2) g²
        p = p - (lr / (1 - β1^t)) · m / (sqrt(v) / sqrt(1 - β2^t) + eps)

    Args:
        params: The parameters to train.
        lr: Learning rate > 0.
        betas: ``(β1, β2)``, each in [0, 1).
        eps: Added to the denominator, > 0.
        weight_decay: L2 penalty factor >= 0.

    >>> from microgradlab import Parameter
    >>> p = Parameter(1.0)
    >>> opt = Adam([p], lr=0.1)
    >>> p.grad = 4.0; opt.step()
    >>> round(p.data, 9)     # the first step moves by lr·g/(|g| + eps)
    0.9
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_check_number("Adam", "beta1", betas[0], high=1.0),
                      _check_number("Adam", "beta2", betas[1], high=1.0))
        self.eps = _check_number("Adam", "eps", eps, low_open=True)
        self.weight_decay = _check_number("Adam", "weight_decay", weight_decay)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _update(self, grads: List[float]) -> None:
        grads = self._decayed(grads, self.weight_decay)
        beta1, beta2 = self.betas
        self.t += 1
        self.m = m = [mi + (1.0 - beta1) * (g - mi) for mi, g in zip(self.m, grads)]  # torch's lerp form
        self.v = v = [beta2 * vi + (1.0 - beta2) * g * g for vi, g in zip(self.v, grads)]
        step_size = self.lr / (1.0 - beta1 ** self.t)
        root_correction = math.sqrt(1.0 - beta2 ** self.t)
        eps = self.eps
        for p, mi, vi in zip(self.params, m, v):
            p.data -= step_size * mi / (math.sqrt(vi) / root_correction + eps)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr!r}, betas={self.betas!r}, eps={self.eps!r}, weight_decay={self.weight_decay!r})"


class LRScheduler:
    """Base class of learning-rate schedules: ``step()`` once per epoch sets ``optimizer.lr``.

    ``lr`` after ``k`` calls of ``step()`` is ``base_lr · factor(k)``, computed in
    closed form (no drift from repeated multiplication).  ``last_epoch`` counts
    the calls and ``last_lr`` is the rate set last, as in PyTorch.
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
        """Advance one epoch and set the optimizer's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.last_lr = self.base_lr * self.factor(self.last_epoch)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (``torch.optim.lr_scheduler.StepLR``).

    >>> from microgradlab import Parameter
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
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be an int >= 1, got {step_size!r}")
        self.step_size = int(step_size)
        self.gamma = _check_number("StepLR", "gamma", gamma, low_open=True)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch (``torch.optim.lr_scheduler.ExponentialLR``).

    >>> from microgradlab import Parameter
    >>> opt = SGD([Parameter(0.0)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = _check_number("ExponentialLR", "gamma", gamma, low_open=True)

    def factor(self, epoch: int) -> float:
        return self.gamma ** epoch
