"""Parameters in arrays: while a compiled model trains, its parameters' truth is a NumPy array.

Writing 26,506 floats into Parameter Values after every mini-batch (and
reading them back) costs more than the arithmetic, so during training the
numbers live in one flat array per model (:class:`ParameterArrays`), in the
order of ``model.parameters()``; the optimizer updates it in place
(:meth:`~microgradlab.optim.Optimizer.step_arrays`).

The Values are never stale silently: while the arrays are ahead, each
Parameter's class is swapped for a same-layout subclass whose ``data`` and
``grad`` bring every parameter of the model up to date (and end the array
phase) before answering.  Reading or writing a parameter, pickling or copying
it, ``state_dict``, ``save``, a callback looking at the model -- whatever
looks, sees the current numbers.  :meth:`ParameterArrays.sync` does the same
on purpose; ``fit`` calls it at the end and before every callback.
"""

from __future__ import annotations

import operator
from typing import Any, Dict, List, Optional, Sequence

from ..engine import Value
from .watch import DATA_SLOT, GRAD_SLOT, swap, unswap

_owner: Dict[int, "ParameterArrays"] = {}  # id of a parameter whose arrays are ahead -> its arrays


def _sync_owner(p: Value) -> None:
    _owner[id(p)].sync()


def _stale() -> Dict[str, Any]:
    def attribute(slot: Any) -> property:
        def get(self: Value) -> Any:
            _sync_owner(self)
            return slot.__get__(self)

        def set_(self: Value, value: Any) -> None:
            _sync_owner(self)
            setattr(self, slot.__name__, value)  # the class is the Parameter's own again: its own checks apply

        return property(get, set_)

    def reduce_ex(self: Value, protocol: int) -> Any:
        _sync_owner(self)
        return self.__reduce_ex__(protocol)

    return {"data": attribute(DATA_SLOT), "grad": attribute(GRAD_SLOT), "__reduce_ex__": reduce_ex}


class ParameterArrays:
    """The parameters of a compiled model as two flat arrays, ``data`` and ``grad``, while it trains.

    :meth:`acquire` starts the array phase (reading the Values once); :meth:`sync`
    ends it (writing them once).  In between the arrays are the truth.
    """

    def __init__(self, np: Any, params: Sequence[Value]) -> None:
        self.np = np
        self.params: List[Value] = list(params)
        self.data: Optional[Any] = None
        self.grad: Optional[Any] = None

    @property
    def active(self) -> bool:
        """Whether the arrays are ahead of the Values."""
        return self.data is not None

    def acquire(self) -> Any:
        """The data array, reading it from the Values if the array phase had ended."""
        if self.data is None:
            np, params = self.np, self.params
            data = np.fromiter(map(operator.attrgetter("data"), params), np.float64, len(params))
            grads = [p.grad for p in params]
            grad = np.fromiter((g.data if isinstance(g, Value) else g for g in grads), np.float64, len(params))
            for p in params:
                _owner[id(p)] = self
            swap(params, "stale", _stale)
            self.data, self.grad = data, grad
        return self.data

    def sync(self) -> None:
        """Write the arrays into the Values and end the array phase (nothing to do if it had ended)."""
        if self.data is None:
            return
        data, grad = self.data.tolist(), self.grad.tolist()
        self.data = self.grad = None
        params = self.params
        unswap(params)
        for p, x, g in zip(params, data, grad):
            del _owner[id(p)]
            DATA_SLOT.__set__(p, x)
            GRAD_SLOT.__set__(p, g)
