"""The scalar reverse-mode autograd engine: :class:`Value` and ``backward``.

How to read it (the path of ``y = x*w + b; y.backward()``):

1. ``x * w`` calls ``Value.__mul__``, made by :func:`binary_method` from the op
   table's ``mul`` entry (:mod:`microgradlab.ops`): it computes the forward rule
   ``x.data * w.data`` and returns a new node that remembers its inputs.
2. ``y.backward()`` (:func:`run_backward`) orders the nodes so that each comes
   before its inputs (:func:`microgradlab.graph.topological_order`), seeds
   ``y.grad = 1`` and then, node by node, applies the chain rule: every input's
   ``grad`` gains ``node.grad * d node / d input``.  ``chain.py`` states that
   step plainly (:func:`~microgradlab.chain.local_derivatives`; it is what
   ``Value._backward()`` does, as in micrograd); ``nodes.py`` does the same
   arithmetic faster -- the one speed seam.

What a Value shows of itself (label, ``repr``, ``inputs``, comparisons,
micrograd's ``_prev`` and ``_op``) is in ``valuebase.py``; pickling in ``pickling.py``.

The rules every mode follows (``docs/backward-semantics.md``): an exact zero,
upstream or local, wins over inf and NaN (``zmul``); NaN in gives NaN out;
derivatives that overflow are ±inf; a backward that raises changes no gradient.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, List, Optional, Sequence, Set, Tuple, Union

from . import modes, ops
from .chain import chain_rule, check_grads, check_rule, local_derivatives, propagate, resume
from .graph import BOTH, MIXED, ONE_A, ONE_B, leaves, topological_order, walk
from .modes import TracingError, detect_anomaly, enable_grad, is_grad_enabled, no_grad  # noqa: F401 (re-exported)
from .nodes import node_classes
from .ops import SCALAR_MATH, Primitive, args_text, fail
from .pickling import reduce_value
from .valuebase import Operand, ValueBase, as_float

__all__ = [
    "Value", "Parameter", "Number", "TracingError", "local_derivatives", "walk", "zero_grad",
    "apply", "vsum", "dot", "logsumexp", "as_float", "VALUE_MATH",
    "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
]

Number = Union[int, float]
_mode = modes.mode
_new = object.__new__
TracingError.__module__ = __name__  # its public home (as NumPy's set_module): the docs describe it once, here


class Value(ValueBase):
    """A scalar that records the operations applied to it, for reverse-mode autodiff.

    >>> a = Value(2.0, label="a")
    >>> b = a * a + a.sin()
    >>> b.backward()
    >>> round(a.grad, 6)  # 2a + cos(a)
    3.583853

    ``data`` is a float; ``grad`` holds d(root)/d(self) after ``root.backward()``
    (a ``Value`` after ``backward(create_graph=True)``; ``None`` means "no
    gradient yet", as in PyTorch).  The Values you create take attributes of
    your own (``p.m = 0.0``); op results do not, which keeps them small.
    micrograd's and the lecture's ``Value(data, _children, _op)``, ``_prev``,
    ``_op`` and ``_backward()`` work too.
    """

    __slots__ = ("data", "grad", "_label", "_a", "_b")
    _prim: Optional[Primitive] = None  # the op-table entry; set by the node classes (nodes.py)
    _kind = 0  # where a node's Value inputs sit (graph.py); 0 for a leaf
    is_parameter = False  # nn's Parameter says True (drawn differently by viz)

    data: float
    grad: Any

    def __new__(cls, *args: Any, **kwargs: Any) -> "Value":
        if cls is Value:
            hand_written = len(args) > 1 and args[1] or kwargs.get("_children")
            cls = _HandWritten if hand_written else _Leaf
        return _new(cls)

    def __init__(self, data: Number, _children: Iterable["Value"] = (), _op: str = "", label: str = "") -> None:
        self.data = data if type(data) is float else as_float(data, "Value")
        self.grad = 0.0
        if label:
            self.label = label

    def _backward(self) -> None:
        """This node's chain-rule step, as micrograd's: each input's ``grad`` += ``self.grad`` × local derivative.

        ``backward()`` calls it for every node, each after all the nodes that use
        it; calling it by hand in that order (as the lecture does) gives the same
        gradients.  A leaf has nothing to do.
        """
        g = self.grad
        if self._kind and g is not None and g != 0.0:
            propagate(self, g, SCALAR_MATH)

    # --- arithmetic: every operator and method is an op-table primitive -------------
    # (each made once per primitive by unary_method / binary_method, below)

    def __pos__(self) -> "Value":
        return self

    def leaky_relu(self, negative_slope: Operand = 0.01) -> "Value":
        """``x`` for ``x > 0``, else ``negative_slope * x`` (PyTorch's default slope)."""
        return self._leaky_relu(negative_slope)

    # --- gradients -----------------------------------------------------------

    def backward(self, gradient: Any = 1.0, *, create_graph: bool = False) -> None:
        """Accumulate ``d self / d leaf`` into every leaf's ``.grad``.

        Leaves *accumulate* across calls (as in PyTorch); call :meth:`zero_grad`
        or an optimizer's ``zero_grad()`` between steps (a ``grad`` of ``None``
        counts as none yet).  Interior nodes' grads are recomputed on every call.
        With ``create_graph=True`` each leaf's grad is a ``Value`` that can be
        differentiated again (interior nodes keep plain floats, so that no node
        refers to itself through its gradient).

        If it raises -- a derivative outside its domain, say -- no gradient has
        changed.  See ``docs/backward-semantics.md`` for the rules.
        """
        run_backward(self, gradient, create_graph)

    def zero_grad(self) -> None:
        """Reset ``.grad`` to 0."""
        self.grad = 0.0

    def detach(self) -> "Value":
        """A new leaf with the same data (and label), cut from the graph."""
        return Value(self.data, label=self.label)

    def __reduce__(self) -> Tuple[Any, ...]:
        return reduce_value(self, Value)  # pickling and deepcopy (pickling.py)

    # The fast backward rules of a node; each node class binds its own (nodes.py).
    def _vjp(self, g: float) -> None:  # pragma: no cover - leaves never run it
        raise AssertionError("a leaf has no inputs")

    def _vjp_graph(self, g: Any, m: Any) -> None:  # pragma: no cover - leaves never run it
        raise AssertionError("a leaf has no inputs")


def run_backward(root: Value, gradient: Any = 1.0, create_graph: bool = False, keep: Sequence[Value] = ()) -> None:
    """``root.backward(gradient, create_graph=...)``; interior nodes in ``keep`` keep Value grads."""
    seed = _seed(gradient, create_graph)
    if not root._kind:
        root.grad = seed if root.grad is None else root.grad + seed
        return
    m = VALUE_MATH if create_graph else SCALAR_MATH
    checked: List[Value] = []
    order = topological_order(root, checked)
    try:
        for node in checked:  # rules that may raise run first, before any gradient changes
            check_rule(node)
        saved = [(v, v.grad) for v in leaves(root)] if _mode() & modes.ANOMALY else None
    except BaseException:
        _reset(order)
        raise
    root.grad = seed
    try:
        if create_graph or saved is not None:
            for node in order:
                g = node.grad
                if g == 0.0:  # a Value is never == 0.0
                    node.grad = 0.0
                    continue
                propagate(node, g, m)
                if saved is not None:
                    check_grads(node)
        else:
            for node in order:  # each node after every node that uses it
                g = node.grad
                if g == 0.0:  # nothing to pass on (inactive relus, unused branches)
                    node.grad = 0.0
                    continue
                try:
                    if g - g == 0.0:  # g is finite: the fast rule (nodes.py)
                        node._vjp(g)
                    else:  # an infinite or NaN g: an exact zero derivative must still win
                        chain_rule(node, g, m)
                except TypeError:
                    resume(node, g, m)
    except BaseException:
        if saved is not None:
            for v, g in saved:
                v.grad = g
        _reset(order)
        raise
    if create_graph:  # leaves' grads are Values (a constant one too); interior nodes keep numbers
        kept = {id(v) for v in keep}
        for node in order:
            if isinstance(node.grad, Value) and id(node) not in kept:
                node.grad = node.grad.data
        for leaf in leaves(root):
            if leaf.grad is not None and not isinstance(leaf.grad, Value):
                leaf.grad = Value(leaf.grad)


class _Leaf(Value):
    """A Value you create: a leaf, with room for attributes of your own."""

    __slots__ = ("__dict__",)


class _HandWritten(Value):
    """``Value(data, _children, _op)`` as the lecture builds nodes: its ``_backward`` is yours to set."""

    __slots__ = ("__dict__",)
    _kind = MIXED
    _op = ""
    _prev: Set[Value] = set()

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        super().__init__(data, label=label)
        self._a = tuple(_children)
        self._prev = set(self._a)
        self._op = _op
        self._backward = lambda: None

    @property
    def inputs(self) -> Tuple[Any, ...]:
        return self._a

    def _vjp_graph(self, g: Any, m: Any) -> None:
        raise TypeError(f"backward(create_graph=True) cannot differentiate a hand-written _backward "
                        f"(the node {self!r} with _op={self._op!r})")

    def _vjp(self, g: float) -> None:
        for child in self._a:
            if isinstance(child, Value) and child.grad is None:
                child.grad = 0.0
        self._backward()


class Parameter(Value):
    """A leaf that a model trains (``nn`` makes its weights and biases Parameters)."""

    __slots__ = ("__dict__",)
    is_parameter = True

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Value"):]


for _cls in (_Leaf, _HandWritten):
    _cls.__name__ = "Value"  # what messages and type(v).__name__ show


def _classes(prim: Primitive) -> Tuple[Any, ...]:
    return node_classes(prim, Value)


def _seed(gradient: Any, create_graph: bool) -> Any:
    """The starting gradient: a float, or with ``create_graph`` a Value, so that every grad is one."""
    if isinstance(gradient, Value):
        return gradient if create_graph else gradient.data
    seed = as_float(gradient, "backward: gradient")
    return Value(seed) if create_graph else seed


def _reset(order: Sequence[Value]) -> None:
    for node in order:
        node.grad = 0.0


def zero_grad(values: Iterable[Value]) -> None:
    """Reset the ``.grad`` of each Value to 0."""
    for v in values:
        v.grad = 0.0


# --- forward: applying a primitive makes a node --------------------------------
#
# Each operator is a function made once per primitive (not per node) that
# computes the scalar rule and fills in a node of the right class (nodes.py).


def finish(node: Value, prim: Primitive, args: Sequence[Any]) -> Value:
    """The slow path of every op: ``no_grad`` and ``detect_anomaly``."""
    mode = _mode()
    if mode & modes.ANOMALY and not math.isfinite(node.data):
        raise FloatingPointError(f"detect_anomaly: {prim.name}({args_text(args)}) produced {node.data}")
    if mode & modes.NO_GRAD:
        return Value(node.data)
    return node


def unary_method(prim: Primitive, forward: Optional[Callable[..., float]] = None) -> Callable[[Value], Value]:
    """``self -> prim(self)``; ``forward`` defaults to the entry's scalar rule."""
    forward = forward or prim.forward

    def method(self: Value) -> Value:
        x = self.data
        try:
            out = forward(x)
        except (ArithmeticError, ValueError) as exc:
            raise fail(prim, (x,), exc) from None
        node = _new((prim.node_classes or _classes(prim))[ONE_A])
        node.data = out
        node.grad = 0.0
        node._a = self
        return finish(node, prim, (x,)) if _mode() else node

    method.__name__ = prim.name
    method.__doc__ = prim.doc
    return method


def binary_method(prim: Primitive, reflected: bool = False,
                  forward: Optional[Callable[..., float]] = None) -> Callable[[Value, Operand], Value]:
    """``(self, other) -> prim(self, other)``, or ``prim(other, self)`` when ``reflected``.

    ``other`` may be a Value or a number; a number is stored in the node as a float.
    """
    forward = forward or prim.forward
    const_kind = ONE_B if reflected else ONE_A

    def method(self: Value, other: Operand) -> Value:
        if other.__class__ is float:
            od, kind = other, const_kind
        elif isinstance(other, Value):
            od, kind = other.data, BOTH
        else:
            other = od = as_float(other, prim.name)
            kind = const_kind
        x = self.data
        try:
            out = forward(od, x) if reflected else forward(x, od)
        except (ArithmeticError, ValueError) as exc:
            raise fail(prim, (od, x) if reflected else (x, od), exc) from None
        node = _new((prim.node_classes or _classes(prim))[kind])
        node.data = out
        node.grad = 0.0
        if reflected:
            node._a = other
            node._b = self
        else:
            node._a = self
            node._b = other
        return finish(node, prim, (od, x) if reflected else (x, od)) if _mode() else node

    method.__name__ = prim.name
    method.__doc__ = prim.doc
    return method


for _name, _method in {
    "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div", "__pow__": "pow",
    "_leaky_relu": "leaky_relu",
}.items():
    setattr(Value, _name, binary_method(ops.get(_method)))
for _name, _method in {"__radd__": "add", "__rsub__": "sub", "__rmul__": "mul",
                       "__rtruediv__": "div", "__rpow__": "pow"}.items():
    setattr(Value, _name, binary_method(ops.get(_method), reflected=True))
for _name, _method in {"__neg__": "neg", "__abs__": "abs"}.items():
    setattr(Value, _name, unary_method(ops.get(_method)))
for _name in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softplus", "sin", "cos"):
    setattr(Value, _name, unary_method(ops.get(_name)))


from .nary import VALUE_MATH, apply, dot, logsumexp, vsum  # noqa: E402  (built on Value, re-exported here)
