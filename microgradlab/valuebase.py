"""What a Value shows of itself: its label, ``repr``, inputs, comparisons, and micrograd's names.

:class:`ValueBase` is the base of the engine's :class:`~microgradlab.engine.Value`:
everything a Value offers for reading a graph, none of which ``backward``
needs.  The engine's ``Value`` adds the data, the arithmetic and ``backward``;
read ``engine.py`` first.  A node's operands are Values or floats, so "is a
Value" is "is not a float" here.
"""

from __future__ import annotations

from typing import Any, Optional, Set, Tuple, Union

from .checks import is_real
from .modes import refuse_while_tracing
from .ops import Primitive

__all__ = ["ValueBase", "as_float", "Operand"]

Operand = Union["ValueBase", int, float]


def as_float(x: Any, where: str) -> float:
    """``x`` (a real number) as a float, or a ``TypeError`` that names ``where`` and ``x``.

    A Value is refused with a hint to use its ``.data``; a number too large for
    a float is an ``OverflowError``.
    """
    if type(x) is float:
        return x
    if type(x) is int or is_real(x):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {x!r} is too large for a float") from None
    if isinstance(x, ValueBase):
        raise TypeError(f"{where}: expected a real number, got a Value ({x!r}); use its .data, .item() or .detach()")
    raise TypeError(f"{where}: expected a real number, got {x!r} of type {type(x).__name__}")


class ValueBase:
    """The inspection half of a Value (see the module docstring); the engine's ``Value`` derives from it."""

    __slots__ = ()  # Value declares the slots, and the node's ``_prim`` and ``_kind``

    @property
    def label(self) -> str:
        """A name for drawings and messages (op results start unnamed)."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {label!r}")
        self._label = label

    # --- inspection ----------------------------------------------------------

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def item(self) -> float:
        """The number this Value holds (PyTorch's name for ``.data``)."""
        return self.data

    def __float__(self) -> float:
        raise TypeError(
            f"float() of a Value ({self!r}) would drop its gradient: math.exp(v) and friends "
            "call it. Use microgradlab's functions (v.exp(), microgradlab.exp(v)) to stay "
            "differentiable, or v.data / v.item() to read the number on purpose")

    # Comparisons and truth look at data, as for floats and PyTorch scalars.  A
    # traced function must not branch on data, so they raise while tracing.
    def __bool__(self) -> bool:
        refuse_while_tracing(self, "bool()")
        return self.data != 0.0

    def __lt__(self, other: Operand) -> bool:
        refuse_while_tracing(self, "<")
        return self.data < _data_of(other, "<")

    def __le__(self, other: Operand) -> bool:
        refuse_while_tracing(self, "<=")
        return self.data <= _data_of(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        refuse_while_tracing(self, ">")
        return self.data > _data_of(other, ">")

    def __ge__(self, other: Operand) -> bool:
        refuse_while_tracing(self, ">=")
        return self.data >= _data_of(other, ">=")

    @property
    def op(self) -> Optional[Primitive]:
        """The primitive that produced this node, or ``None`` for a leaf."""
        return self._prim

    @property
    def is_leaf(self) -> bool:
        return self._kind == 0

    @property
    def inputs(self) -> Tuple[Any, ...]:
        """This node's operands in order (Values and float constants); ``()`` for a leaf."""
        prim = self._prim
        if prim is None:
            return ()
        if prim.arity == 1:
            return (self._a,)
        if prim.arity == 2:
            return (self._a, self._b)
        if not prim.pairs:
            return self._a
        # Weights then inputs; a bias is the weight of a constant input 1.
        return self._a + self._b + ((1.0,) if len(self._a) > len(self._b) else ())

    # micrograd's and the lecture's names for the same things.
    @property
    def _prev(self) -> Set[Any]:
        """The set of this node's Value inputs (micrograd's name)."""
        return {v for v in self.inputs if v.__class__ is not float}

    @property
    def _op(self) -> str:
        """The op as micrograd and the lecture print it: ``"+"``, ``"*"``, ``"tanh"``, ``"**2"``, ``"ReLU"``."""
        prim = self._prim
        if prim is None:
            return ""
        text = prim.op_string
        if "{" in text:  # pow: the exponent, when it is a number, as micrograd writes it
            exponent = self._b
            exponent = "" if exponent.__class__ is not float else (int(exponent) if exponent.is_integer() else exponent)
            text = text.format(self._a, exponent)
        return text


def _data_of(x: Operand, where: str) -> float:
    return x.data if isinstance(x, ValueBase) else as_float(x, where)
