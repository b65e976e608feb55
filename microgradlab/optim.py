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

``state_dict()`` and ``load_state_dict()`` save and restore an optimizer in
PyTorch's layout.  Each update rule is written once, on vectors: the same
arithmetic runs on the Parameters (``step()``) and on NumPy arrays while a
compiled model trains (``step_arrays()``), so one optimizer object serves both.

Schedulers (:class:`StepLR`, :class:`ExponentialLR`, in
:mod:`microgradlab.lr_scheduler` and re-exported here) set ``optimizer.lr``
each time their ``step()`` is called, once per epoch.

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

import copy
import math
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from .checks import check_float
from .engine import Value, no_grad
from .vectors import Vector, first, floats, sqrt

__all__ = ["Optimizer", "SGD", "Adam", "LRScheduler", "StepLR", "ExponentialLR"]


class Optimizer:
    """Base class: holds the parameters and the learning rate ``lr`` (a positive, finite float).

    Subclasses implement :meth:`_rule`, the update on vectors of floats (lists on
    scalar Parameters, NumPy arrays while a compiled model trains), and name the
    hyperparameters and per-parameter state they keep (``_HYPER``, ``_STATE``).
    """

    _HYPER: Tuple[str, ...] = ()  # hyperparameters of the param group, besides lr
    _STATE: Tuple[str, ...] = ()  # per-parameter state vectors, with PyTorch's names

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
        self.state: Dict[str, Any] = {}  # state vector name -> vector (absent before the first step)

    @property
    def lr(self) -> float:
        """The learning rate η; setting it checks that it is positive and finite."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_float(type(self).__name__, "lr", value, low_open=True)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient (see the class for the rule).

        All or nothing: the new values and state are computed first and stored
        only when all of them are.

        Raises:
            FloatingPointError: if a gradient is NaN or infinite; nothing changes.
        """
        grads = [g.data if isinstance(g, Value) else float(g) for g in (p.grad for p in self.params)]
        self._check_finite(grads)
        with no_grad():
            data, state = self._rule(Vector([p.data for p in self.params]), Vector(grads),
                                     {k: Vector(floats(v)) for k, v in self.state.items()})
        for p, x in zip(self.params, data.items):
            p.data = x
        self.state = state

    def step_arrays(self, data: Any, grads: Any) -> Any:
        """The array form of :meth:`step`: new values for ``data`` (a NumPy array, one entry per
        parameter in ``self.params`` order) from ``grads``; the parameters themselves are untouched.

        This is what a compiled model's training step calls while its parameters live in
        arrays; the arithmetic is the same as :meth:`step`'s, operation for operation.
        """
        import numpy

        if not numpy.isfinite(grads).all():
            self._check_finite(grads.tolist())
        state = {k: v if isinstance(v, numpy.ndarray) else numpy.array(floats(v)) for k, v in self.state.items()}
        new, self.state = self._rule(data, grads, state)
        return new

    def _check_finite(self, grads: List[float]) -> None:
        if math.isfinite(sum(grads)):  # one pass; NaN and ±inf survive a sum
            return
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if not math.isfinite(g):
                raise FloatingPointError(
                    f"{type(self).__name__}.step: the gradient of parameter {i} ({p.label or 'unlabelled'}) "
                    f"is {g}; no parameter was changed")

    def _rule(self, data: Any, grads: Any, state: Dict[str, Any]) -> Tuple[Any, Dict[str, Any]]:
        """``(new data, new state)`` from vectors of data and gradients and the state vectors."""
        raise NotImplementedError

    def _decayed(self, data: Any, grads: Any, weight_decay: float) -> Any:
        """``g + weight_decay · p`` (PyTorch's L2 weight decay, added to the gradient)."""
        return grads + weight_decay * data if weight_decay else grads

    # --- saving and restoring, in PyTorch's layout -------------------------------------

    def _group(self) -> Dict[str, Any]:
        return {"lr": self.lr, **{name: getattr(self, name) for name in self._HYPER}}

    def state_dict(self) -> Dict[str, Any]:
        """The optimizer's state as ``torch.optim.Optimizer.state_dict()`` lays it out.

        ``{"state": {i: {name: float, ...}}, "param_groups": [{"lr": ..., ..., "params": [0, 1, ...]}]}``
        with parameter ``i`` the ``i``-th of ``self.params``; ``state`` is empty before the first step.
        """
        columns = {name: floats(vector) for name, vector in self.state.items()}
        state = {i: {name: values[i] for name, values in columns.items()} for i in range(len(self.params))
                 if columns}
        return {"state": state, "param_groups": [{**self._group(), "params": list(range(len(self.params)))}]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict`; everything is checked before anything changes."""
        where = f"{type(self).__name__}.load_state_dict"
        n = len(self.params)
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{where}: expected a mapping with keys 'state' and 'param_groups', got {state_dict!r}")
        groups = state_dict["param_groups"]
        if not isinstance(groups, Sequence) or len(groups) != 1 or not isinstance(groups[0], Mapping):
            raise ValueError(f"{where}: expected one param group, got {groups!r}")
        group = dict(groups[0])
        if list(group.pop("params", None) or ()) != list(range(n)):
            raise ValueError(f"{where}: the param group must list parameters 0..{n - 1} (this optimizer has {n})")
        if set(group) != set(self._group()):
            raise ValueError(f"{where}: the param group's keys are {sorted(group)}, expected {sorted(self._group())}")
        trial = copy.copy(self)  # the hyperparameters go through the constructor's checks
        trial.lr = group.pop("lr")
        trial._set_hyper(group)
        entries = state_dict["state"]
        if not isinstance(entries, Mapping) or (entries and set(entries) != set(range(n))):
            raise ValueError(f"{where}: 'state' must be empty or have an entry for each parameter 0..{n - 1}")
        vectors: Dict[str, Any] = {}
        if entries:
            names = trial._state_names()
            for i in range(n):
                entry = entries[i]
                if not isinstance(entry, Mapping) or set(entry) != set(names):
                    raise ValueError(f"{where}: state {i} must have the keys {sorted(names)}, got {entry!r}")
            for name in names:
                vectors[name] = Vector([check_float(where, f"state {name}", entries[i][name], low=-math.inf)
                                         for i in range(n)])
        self.__dict__.update(trial.__dict__)
        self.state = vectors

    def _set_hyper(self, group: Dict[str, Any]) -> None:
        raise NotImplementedError

    def _state_names(self) -> Tuple[str, ...]:
        return self._STATE


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD`` (no dampening).

    For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p
        b = momentum * b + g            # b = g at the first step
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
    >>> opt.state_dict()["state"][0]
    {'momentum_buffer': 1.9}
    """

    _HYPER = ("momentum", "dampening", "nesterov", "weight_decay")

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self._set_hyper({"momentum": momentum, "dampening": 0.0, "nesterov": nesterov,
                         "weight_decay": weight_decay})

    def _set_hyper(self, group: Dict[str, Any]) -> None:
        self.momentum = check_float("SGD", "momentum", group["momentum"], high=1.0)
        self.weight_decay = check_float("SGD", "weight_decay", group["weight_decay"])
        if group["dampening"] != 0:
            raise ValueError(f"SGD: dampening is not supported (only 0), got {group['dampening']!r}")
        nesterov = group["nesterov"]
        if not isinstance(nesterov, bool):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        if nesterov and not self.momentum:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.nesterov = nesterov
        self.dampening = 0.0

    def _state_names(self) -> Tuple[str, ...]:
        return ("momentum_buffer",) if self.momentum else ()

    @property
    def buffers(self) -> List[float]:
        """The momentum buffers ``b`` as floats (zeros before the first step)."""
        buffer = self.state.get("momentum_buffer")
        return [0.0] * len(self.params) if buffer is None else list(floats(buffer))

    def _rule(self, data: Any, grads: Any, state: Dict[str, Any]) -> Tuple[Any, Dict[str, Any]]:
        g = self._decayed(data, grads, self.weight_decay)
        mu = self.momentum
        if not mu:
            return data - self.lr * g, {}
        buffer = state.get("momentum_buffer")
        buffer = g if buffer is None else mu * buffer + g  # torch starts the buffer at the gradient
        if self.nesterov:
            g = g + mu * buffer
        else:
            g = buffer
        return data - self.lr * g, {"momentum_buffer": buffer}

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
    >>> sorted(opt.state_dict()["state"][0])
    ['exp_avg', 'exp_avg_sq', 'step']
    """

    _HYPER = ("betas", "eps", "weight_decay", "amsgrad")
    _STATE = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self._set_hyper({"betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": False})

    def _set_hyper(self, group: Dict[str, Any]) -> None:
        betas = group["betas"]
        if not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (check_float("Adam", "beta1", betas[0], high=1.0),
                      check_float("Adam", "beta2", betas[1], high=1.0))
        self.eps = check_float("Adam", "eps", group["eps"], low_open=True)
        self.weight_decay = check_float("Adam", "weight_decay", group["weight_decay"])
        if group["amsgrad"] is not False:
            raise ValueError(f"Adam: amsgrad is not supported (only False), got {group['amsgrad']!r}")
        self.amsgrad = False

    @property
    def t(self) -> int:
        """Steps taken (0 before the first)."""
        step = self.state.get("step")
        return 0 if step is None else int(first(step))

    @property
    def m(self) -> List[float]:
        """The first-moment estimates (zeros before the first step)."""
        return list(floats(self.state["exp_avg"])) if self.state else [0.0] * len(self.params)

    @property
    def v(self) -> List[float]:
        """The second-moment estimates (zeros before the first step)."""
        return list(floats(self.state["exp_avg_sq"])) if self.state else [0.0] * len(self.params)

    def _rule(self, data: Any, grads: Any, state: Dict[str, Any]) -> Tuple[Any, Dict[str, Any]]:
        g = self._decayed(data, grads, self.weight_decay)
        beta1, beta2 = self.betas
        zeros = g * 0.0
        m, v = state.get("exp_avg", zeros), state.get("exp_avg_sq", zeros)
        t = self.t + 1
        m = m + (1.0 - beta1) * (g - m)  # torch's lerp form
        v = beta2 * v + (1.0 - beta2) * g * g
        step_size = self.lr / (1.0 - beta1 ** t)
        root_correction = math.sqrt(1.0 - beta2 ** t)
        new = data - step_size * m / (sqrt(v) / root_correction + self.eps)
        return new, {"step": zeros + float(t), "exp_avg": m, "exp_avg_sq": v}

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr!r}, betas={self.betas!r}, eps={self.eps!r}, weight_decay={self.weight_decay!r})"


from .lr_scheduler import ExponentialLR, LRScheduler, StepLR  # noqa: E402  (built on Optimizer, re-exported here)
