"""micrograd's ``Value``, reproduced: same API, same graph, same floating-point operations.

Every node is built the way micrograd 0.1.0 builds it: ``_prev`` is the set of
its children, ``_op`` the string micrograd prints (``"+"``, ``"*"``,
``"**2"``, ``"ReLU"``, ``""`` for a leaf), ``_backward`` a closure that adds
the node's ``grad`` times each local derivative into its children's ``grad``
(so the micrograd idiom of adding an op by assigning ``out._backward`` works),
and ``-``, ``/`` are micrograd's compositions (``a - b`` is ``a + (-b)``,
``a / b`` is ``a * b**-1``).  ``data`` keeps the type it is given (an ``int``
stays an ``int``, a NumPy scalar stays one) and gradients start at the
integer ``0``, so results and reprs are micrograd's, digit for digit.

Two things differ, on purpose:

* **The order of accumulation is fixed.**  micrograd orders the graph by
  iterating over the *sets* ``_prev``, whose order follows the objects'
  memory addresses; where a Value feeds several nodes, its gradient is a sum
  whose rounding depends on that order, so micrograd's own results vary in the
  last digits from run to run.  Here the children are visited in operand order
  (``self`` before ``other``): the result is the one micrograd gives when its
  sets happen to iterate in insertion order, every time.
* **Clear errors instead of wrong numbers.**  ``Value`` accepts only real
  numbers; a negative number to a fractional power is a ``ValueError`` (micrograd
  makes a complex number); ``Value ** Value`` is a ``TypeError`` naming the
  operation; ``backward`` recomputes the gradients of interior nodes from zero
  on every call (micrograd adds to the previous call's, so a second call gives
  leaves a wrong gradient), while leaves accumulate as in micrograd.

>>> a = Value(-4.0)
>>> b = a * 2 + 1
>>> b
Value(data=-7.0, grad=0)
>>> b._op, sorted(c.data for c in b._prev)
('+', [-8.0, 1])
>>> b.backward()
>>> a.grad          # micrograd's int arithmetic: 2 * 1
2
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable, List, Union

from .. import ops

__all__ = ["Value"]

Operand = Union["Value", int, float]

# The rules are micrograd's Python operators, which keep ints ints (the op table
# computes in floats); the table's pow supplies the domain check and its message.
_CHECK_POW = ops.get("pow").forward


def _no_op() -> None:
    """The ``_backward`` of a leaf: nothing below it."""


class Value:
    """A scalar and its gradient, with micrograd 0.1.0's constructor, operators and ``repr``."""

    def __init__(self, data: Any, _children: Iterable["Value"] = (), _op: str = "") -> None:
        if not isinstance(data, numbers.Real):
            raise TypeError(f"Value: expected a real number, got {data!r} of type {type(data).__name__}")
        self.data = data
        self.grad: Any = 0
        self._backward: Callable[[], None] = _no_op
        self._children = tuple(_children)  # operand order: backward's fixed order
        self._prev = set(self._children)
        self._op = _op

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other: Operand) -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Operand) -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: Union[int, float]) -> "Value":
        if not isinstance(other, (int, float)):
            raise TypeError(f"Value ** {other!r}: the exponent must be an int or a float, as in micrograd "
                            "(microgradlab.Value supports Value ** Value)")
        try:
            _CHECK_POW(float(self.data), float(other))
        except (ZeroDivisionError, ValueError) as exc:  # micrograd: an obscure error, or a complex number
            raise type(exc)(f"Value(data={self.data}) ** {other!r}: {exc}") from None
        out = Value(self.data**other, (self,), f"**{other}")

        def _backward() -> None:
            self.grad += (other * self.data ** (other - 1)) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> "Value":
        out = Value(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        """Set ``self.grad = 1`` and apply each node's ``_backward`` in reverse topological order."""
        topo = _topological_order(self)
        for v in topo:
            if v._children:
                v.grad = 0
        self.grad = 1
        for v in reversed(topo):
            v._backward()

    def __neg__(self) -> "Value":
        return self * -1

    def __radd__(self, other: Operand) -> "Value":
        return self + other

    def __sub__(self, other: Operand) -> "Value":
        return self + (-other)

    def __rsub__(self, other: Operand) -> "Value":
        return other + (-self)

    def __rmul__(self, other: Operand) -> "Value":
        return self * other

    def __truediv__(self, other: Operand) -> "Value":
        return self * other**-1

    def __rtruediv__(self, other: Operand) -> "Value":
        return other * self**-1


def _topological_order(root: Value) -> List[Value]:
    """Every Value below ``root``, each after its children: micrograd's depth-first
    ``build_topo`` with the children in operand order, without recursion (deep graphs work)."""
    topo: List[Value] = []
    visited = {id(root)}  # the nodes stay alive during the call, so their ids are unique
    stack = [(root, iter(root._children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(child._children)))
                break
        else:
            stack.pop()
            topo.append(node)
    return topo
