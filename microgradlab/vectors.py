"""Elementwise arithmetic on lists of floats, so each optimizer's update rule is written once.

:class:`Vector` stands in for a NumPy array on the scalar path: ``optim``'s rules
run on Vectors of the Parameters' numbers (``step()``) and on arrays while a
compiled model trains (``step_arrays()``), with the same IEEE operations in the
same order, so both give the same numbers to the bit.

>>> v = Vector([1.0, 4.0])
>>> floats(sqrt(2.0 * v + 1.0) - v)
[0.7320508075688772, -1.0]
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable, List

__all__ = ["Vector", "sqrt", "floats", "first"]


class Vector:
    """Elementwise float arithmetic on a list: the scalar path's stand-in for a NumPy array.

    Each update rule is written once, on vectors, and runs on these lists for
    scalar Parameters and on NumPy arrays while a compiled model trains; both
    do the same IEEE operations in the same order, so the results are identical.
    """

    __slots__ = ("items",)

    def __init__(self, items: List[float]) -> None:
        self.items = items

    def _map(self, other: Any, op: Callable[[float, float], float]) -> "Vector":
        if isinstance(other, Vector):
            return Vector(list(map(op, self.items, other.items)))
        return Vector([op(x, other) for x in self.items])

    def __add__(self, other: Any) -> "Vector":
        return self._map(other, operator.add)

    def __sub__(self, other: Any) -> "Vector":
        return self._map(other, operator.sub)

    def __mul__(self, other: Any) -> "Vector":
        return self._map(other, operator.mul)

    def __truediv__(self, other: Any) -> "Vector":
        return self._map(other, operator.truediv)

    __radd__ = __add__  # a number on the left: + and * commute exactly in IEEE arithmetic
    __rmul__ = __mul__

    def __rsub__(self, other: float) -> "Vector":
        return Vector([other - x for x in self.items])

    def sqrt(self) -> "Vector":
        return Vector(list(map(math.sqrt, self.items)))


def sqrt(x: Any) -> Any:
    """The square root of a Vector or of a NumPy array, elementwise."""
    if isinstance(x, Vector):
        return x.sqrt()
    import numpy  # an array: the compiled path, where NumPy is loaded already

    return numpy.sqrt(x)


def floats(vector: Any) -> List[float]:
    """The numbers of a Vector or of a NumPy array, as a list."""
    return vector.items if isinstance(vector, Vector) else vector.tolist()


def first(vector: Any) -> float:
    """The first number of a Vector or of a NumPy array."""
    return vector.items[0] if isinstance(vector, Vector) else float(vector[0])
