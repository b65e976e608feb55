"""The scalar reverse-mode autograd engine: :class:`Value` and ``backward``.

How to read it (the path of ``y = x*w + b; y.backward()``):

1. ``x * w`` calls ``Value.__mul__``, made by :func:`_binary_method` from the op
   table's ``mul`` entry (:mod:`microgradlab.ops`): it computes the forward rule
   ``x.data * w.data`` and returns a new node that remembers its inputs.
2. ``y.backward()`` orders the nodes so that each comes before its inputs
   (:func:`microgradlab.graph.topological_order`), seeds ``y.grad = 1`` and then,
   node by node, applies the chain rule: every input's ``grad`` gains
   ``node.grad * d node / d input``.  :func:`local_derivatives` states that
   step plainly (it is what ``Value._backward()`` does, as in micrograd);
   ``nodes.py`` does the same arithmetic faster -- the one speed seam.

The rules every mode follows (``docs/backward-semantics.md``): an exact zero,
upstream or local, wins over inf and NaN (``zmul``); NaN in gives NaN out;
derivatives that overflow are ±inf; a backward that raises changes no gradient.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable, List, Optional, Sequence, Set, Tuple, Union

from . import modes, ops
from .graph import BOTH, CHECKED, MANY, MIXED, ONE_A, ONE_B, leaves, topological_order, walk
from .modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad, tracing  # noqa: F401 (re-exported)
from .nodes import node_classes
from .ops import SCALAR_MATH, Primitive

__all__ = [
    "Value", "Parameter", "Number", "TracingError", "local_derivatives", "walk", "zero_grad",
    "apply", "vsum", "dot", "logsumexp",
    "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
]

Number = Union[int, float]
Operand = Union["Value", int, float]
_mode = modes.mode
_new = object.__new__


def _real(x: Any, where: str) -> float:
    """``x`` as a float, or a ``TypeError`` that names ``where`` and ``x``."""
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {x!r} is too large for a float") from None
    if isinstance(x, Value):
        raise TypeError(f"{where}: expected a real number, got a Value ({x!r}); use its .data, .item() or .detach()")
    raise TypeError(f"{where}: expected a real number, got {x!r} of type {type(x).__name__}")


class Value:
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
        self.data = data if type(data) is float else _real(data, "Value")
        self.grad = 0.0
        if label:
            self.label = label

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
        _no_branching_while_tracing(self, "bool()")
        return self.data != 0.0

    def __lt__(self, other: Operand) -> bool:
        _no_branching_while_tracing(self, "<")
        return self.data < _data_of(other, "<")

    def __le__(self, other: Operand) -> bool:
        _no_branching_while_tracing(self, "<=")
        return self.data <= _data_of(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        _no_branching_while_tracing(self, ">")
        return self.data > _data_of(other, ">")

    def __ge__(self, other: Operand) -> bool:
        _no_branching_while_tracing(self, ">=")
        return self.data >= _data_of(other, ">=")

    @property
    def op(self) -> Optional[Primitive]:
        """The primitive that produced this node, or ``None`` for a leaf."""
        return self._prim

    @property
    def is_leaf(self) -> bool:
        return self._kind == 0

    @property
    def inputs(self) -> Tuple[Union["Value", float], ...]:
        """This node's operands in order (Values and float constants); ``()`` for a leaf."""
        prim = self._prim
        if prim is None:
            return ()
        if prim.arity == 1:
            return (self._a,)
        if prim.arity == 2:
            return (self._a, self._b)
        if prim.name != "dot":
            return self._a
        # Weights then inputs; a bias is the weight of a constant input 1.
        return self._a + self._b + ((1.0,) if len(self._a) > len(self._b) else ())

    # micrograd's and the lecture's names for the same things.
    @property
    def _prev(self) -> Set["Value"]:
        """The set of this node's Value inputs (micrograd's name)."""
        return {v for v in self.inputs if isinstance(v, Value)}

    @property
    def _op(self) -> str:
        """The op as micrograd and the lecture print it: ``"+"``, ``"*"``, ``"tanh"``, ``"**2"``, ``"ReLU"``."""
        prim = self._prim
        if prim is None:
            return ""
        text = prim.op_string
        if "{" in text:  # pow: the exponent, when it is a number, as micrograd writes it
            exponent = self._b
            exponent = "" if isinstance(exponent, Value) else (int(exponent) if exponent.is_integer() else exponent)
            text = text.format(self._a, exponent)
        return text

    def _backward(self) -> None:
        """This node's chain-rule step, as micrograd's: each input's ``grad`` += ``self.grad`` × local derivative.

        ``backward()`` calls it for every node, each after all the nodes that use
        it; calling it by hand in that order (as the lecture does) gives the same
        gradients.  A leaf has nothing to do.
        """
        g = self.grad
        if self._kind and g is not None and g != 0.0:
            _propagate(self, g, SCALAR_MATH)

    # --- arithmetic: every operator and method is an op-table primitive -------------
    # (each made once per primitive by _unary_method / _binary_method, below)

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
        # Pickling and deepcopy: a leaf by its class, a node by its op's name and kind.
        state = (self.data, self.grad, self.label, getattr(self, "__dict__", None) or None)
        if not self._kind:
            return (_rebuild_leaf, (type(self),) + state)
        if self._prim is None:
            raise TypeError("a hand-written node (Value(data, _children, _op)) cannot be pickled")
        return (_rebuild_node, (self._prim.name, self._kind % CHECKED, self._a, getattr(self, "_b", None)) + state)

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
            _check_rule(node)
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
                _propagate(node, g, m)
                if saved is not None:
                    _check_grads(node)
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
                        _chain_rule(node, g, m)
                except TypeError:
                    _resume(node, g, m)
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


def _rebuild_leaf(cls: type, data: float, grad: Any, label: str, extra: Optional[dict]) -> Value:
    leaf = _new(cls)
    leaf.data, leaf.grad = data, grad
    if label:
        leaf.label = label
    if extra:
        leaf.__dict__.update(extra)
    return leaf


def _rebuild_node(name: str, kind: int, a: Any, b: Any, data: float, grad: Any, label: str, extra: Any) -> Value:
    node = _new(_classes(ops.get(name))[kind])
    node.data, node.grad, node._a, node._b = data, grad, a, b
    if label:
        node.label = label
    return node


def _classes(prim: Primitive) -> Tuple[Any, ...]:
    return node_classes(prim, Value)


class TracingError(TypeError):
    """A traced function tried to branch on the data of a Value."""


def _no_branching_while_tracing(v: Value, what: str) -> None:
    if _mode() & modes.TRACING:
        raise TracingError(
            f"{what} on a traced Value ({v!r}): a compiled function cannot branch on data; "
            "write the choice with ops instead (e.g. relu, or x * mask with mask an input)"
        )


def _data_of(x: Operand, where: str) -> float:
    return x.data if isinstance(x, Value) else _real(x, where)


# --- the chain rule, stated plainly ---------------------------------------------


def local_derivatives(node: Value, m: Any = SCALAR_MATH) -> List[Tuple[Value, Any]]:
    """``(input, d node / d input)`` for each Value input of ``node``, in the order backward adds them.

    The reference for the fast rules of ``nodes.py``.  With the default ``m``
    the derivatives are floats; with the Value namespace they are Values.

    >>> x, w = Value(2.0), Value(-3.0)
    >>> [(v.data, d) for v, d in local_derivatives(x * w)]
    [(2.0, -3.0), (-3.0, 2.0)]
    """
    prim = node._prim
    plain = m is SCALAR_MATH

    def arg(v: Any) -> Any:
        return v.data if plain and isinstance(v, Value) else v

    out = node.data if plain else node
    if prim.name == "dot":
        pairs = []
        for w, x in zip(node._a, node._b):
            if isinstance(w, Value):
                pairs.append((w, arg(x)))
            if isinstance(x, Value):
                pairs.append((x, arg(w)))
        if len(node._a) > len(node._b) and isinstance(node._a[-1], Value):
            pairs.append((node._a[-1], 1.0))
        return pairs
    partials = prim.partials
    if prim.arity == 0:
        return [(v, partials[0](m, arg(v), out)) for v in node._a if isinstance(v, Value)]
    args = [arg(v) for v in node.inputs]
    return [(v, partials[i](m, *args, out)) for i, v in enumerate(node.inputs) if isinstance(v, Value)]


def _chain_rule(node: Value, g: Any, m: Any) -> None:
    """One node's chain-rule step: each input's grad += zmul(g, local derivative)."""
    if node._prim is None:  # a hand-written node
        node._vjp(g) if m is SCALAR_MATH else node._vjp_graph(g, m)
        return
    for v, d in local_derivatives(node, m):
        contribution = m.zmul(g, d)
        v.grad = contribution if v.grad is None else v.grad + contribution


def _propagate(node: Value, g: Any, m: Any) -> None:
    """What backward does at one node: the fast rule for a finite ``g``, the plain one otherwise."""
    try:
        if m is not SCALAR_MATH:
            node._vjp_graph(g, m)
        elif g - g == 0.0:
            node._vjp(g)
        else:
            _chain_rule(node, g, m)
    except TypeError:
        _resume(node, g, m)


def _resume(node: Value, g: Any, m: Any) -> None:
    """Finish a fast rule that stopped at an input whose grad is ``None`` ("none yet").

    The fast rules add into inputs in the order of :func:`local_derivatives`,
    so the inputs before the first ``None`` are done and the rest are not.
    """
    if node._prim is None:
        raise
    pairs = local_derivatives(node, m)
    for k, (v, _) in enumerate(pairs):
        if v.grad is None:
            break
    else:
        bad = next((v for v, _ in pairs if not isinstance(v.grad, (float, int, Value))), None)
        raise TypeError(f"backward: the .grad of {bad!r} is {getattr(bad, 'grad', None)!r}, not a number") from None
    plain = m is SCALAR_MATH and g - g == 0.0
    for v, d in pairs[k:]:
        contribution = g * d if plain else m.zmul(g, d)
        v.grad = contribution if v.grad is None else v.grad + contribution


def _check_rule(node: Value) -> None:
    """Evaluate a node's partials that may raise, so that backward fails before changing anything."""
    try:
        local_derivatives(node)
    except (ArithmeticError, ValueError) as exc:
        raise type(exc)(f"backward through {_describe(node)}: {exc}") from exc


def _seed(gradient: Any, create_graph: bool) -> Any:
    """The starting gradient: a float, or with ``create_graph`` a Value, so that every grad is one."""
    if isinstance(gradient, Value):
        return gradient if create_graph else gradient.data
    seed = _real(gradient, "backward: gradient")
    return Value(seed) if create_graph else seed


def _reset(order: Sequence[Value]) -> None:
    for node in order:
        node.grad = 0.0


def _check_grads(node: Value) -> None:
    for v in node.inputs:
        if isinstance(v, Value):
            g = v.grad.data if isinstance(v.grad, Value) else v.grad
            if g is not None and not math.isfinite(g):
                raise FloatingPointError(
                    f"detect_anomaly: backward through {_describe(node)} produced gradient {g} for input {v!r}"
                )


def _describe(node: Value) -> str:
    return f"{node._prim.name}({_args_text([v.data if isinstance(v, Value) else v for v in node.inputs])})"


def _args_text(args: Sequence[Any]) -> str:
    """The first few arguments of an op, for a message (n-ary ops may have thousands)."""
    text = ", ".join(repr(a) for a in args[:8])
    return text + ", ..." if len(args) > 8 else text


def zero_grad(values: Iterable[Value]) -> None:
    """Reset the ``.grad`` of each Value to 0."""
    for v in values:
        v.grad = 0.0


# --- forward: applying a primitive makes a node --------------------------------
#
# Each operator is a function made once per primitive (not per node) that
# computes the scalar rule and fills in a node of the right class (nodes.py).


def fail(prim: Primitive, args: Sequence[float], exc: Exception) -> Exception:
    """``exc`` again, its message starting with the op and its arguments."""
    return type(exc)(f"{prim.name}({_args_text(args)}): {exc}")


def finish(node: Value, prim: Primitive, args: Sequence[Any]) -> Value:
    """The slow path of every op: ``no_grad`` and ``detect_anomaly``."""
    mode = _mode()
    if mode & modes.ANOMALY and not math.isfinite(node.data):
        raise FloatingPointError(f"detect_anomaly: {prim.name}({_args_text(args)}) produced {node.data}")
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
            other = od = _real(other, prim.name)
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
