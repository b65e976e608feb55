"""Watching leaves: who reads an input's or a parameter's number while a function is traced.

A tape is recorded once, so a number the traced function reads from an input
or a parameter (``x.data``, ``float(x)``) and computes with is baked into it
as a constant -- the compiled function would silently compute something else
for other data.  While tracing, input leaves and the parameters are given a
*watching* class (a subclass with the same layout, swapped in and back out):
reading their ``data`` from outside the library raises
:class:`~microgradlab.TracingError` naming the read.  The library's own reads
(the engine computing an op, a loss checking its logits) are not data flow
into the tape and pass.

The same class swap serves :mod:`.params`, where it brings stale Parameters
up to date on access.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable, Dict, Iterator, Sequence, Tuple

from ..engine import TracingError, Value

DATA_SLOT = Value.__dict__["data"]  # the slot descriptors, read and written past any property
GRAD_SLOT = Value.__dict__["grad"]
_LIBRARY = __name__.split(".")[0] + "."

_classes: Dict[Tuple[type, str], type] = {}


def subclass(cls: type, kind: str, members: Callable[[], Dict[str, Any]]) -> type:
    """``cls`` with ``members`` on top and no new slots (so ``obj.__class__`` can be swapped), made once."""
    made = _classes.get((cls, kind))
    if made is None:
        made = _classes[(cls, kind)] = type(cls.__name__, (cls,), {
            "__slots__": (), "__module__": cls.__module__, "__qualname__": cls.__qualname__, **members()})
    return made


def swap(objs: Sequence[Value], kind: str, members: Callable[[], Dict[str, Any]]) -> None:
    for obj in objs:
        obj.__class__ = subclass(type(obj), kind, members)


def unswap(objs: Sequence[Value]) -> None:
    for obj in objs:
        obj.__class__ = type(obj).__mro__[1]


# --- reads while tracing ---------------------------------------------------------------------

_names: Dict[int, str] = {}  # id of a watched leaf -> how to name it in a message


def _read(leaf: Value, how: str) -> None:
    raise TracingError(
        f"compile: the traced function read the number of {_names.get(id(leaf), 'a traced leaf')} ({how}); "
        "the tape is recorded once, so that number would be baked into it as a constant and the compiled "
        "function would compute something else for other data -- write the choice with ops (relu, abs, "
        "x * mask with mask an input), or train on the scalar engine (compiled=False)")


def _watching() -> Dict[str, Any]:
    def get(self: Value) -> float:
        if not sys._getframe(1).f_globals.get("__name__", "").startswith(_LIBRARY):
            _read(self, ".data")
        return DATA_SLOT.__get__(self)

    def to_float(self: Value) -> float:
        _read(self, "float()")
        return 0.0  # pragma: no cover - _read raises

    return {"data": property(get, DATA_SLOT.__set__), "__float__": to_float}


def input_leaf(x: float, arg: int, i: int) -> Value:
    leaf = Value(x)
    leaf.__class__ = subclass(type(leaf), "watch", _watching)
    _names[id(leaf)] = f"input {i} of argument {arg}"
    return leaf


@contextlib.contextmanager
def watch_reads(params: Sequence[Value]) -> Iterator[None]:
    """Watch the parameters' data while tracing (inputs are made watched by :func:`input_leaf`)."""
    for j, p in enumerate(params):
        p.data  # noqa: B018 - a parameter held in arrays (see .params) is brought up to date first
        _names[id(p)] = f"parameter {j}" + (f" ({p.label})" if p.label else "")
    swap(params, "watch", _watching)
    try:
        yield
    finally:
        unswap(params)
        _names.clear()
