"""The scalar reverse-mode autograd engine: :class:`Value` and ``backward``.

A ``Value`` is a leaf (data you set) or the result of a primitive from the op
table (:mod:`microgradlab.ops`).  Design choices, each for speed or memory:

* A node's op is its *class*: every primitive gets a tiny ``Value`` subclass
  whose class attribute ``_op`` is the table entry, so a node stores only
  ``data``, ``grad``, ``label`` and its inputs ``_a``/``_b`` (``__slots__``,
  no ``__dict__``).
* No closures and no back-references: the graph has no reference cycles, so
  it is freed by reference counting the moment nothing refers to it.
* Plain-number operands are stored as floats in the node, not wrapped in leaves.
* ``vsum``, ``dot`` and ``logsumexp`` are single n-ary nodes.
* ``backward`` orders only interior nodes (iteratively, so a million-node chain
  works); leaves are reached only when their gradient is accumulated.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
import operator
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import ops
from .ops import SCALAR_MATH, Constant, Primitive

__all__ = [
    "Value",
    "Parameter",
    "Number",
    "apply",
    "vsum",
    "dot",
    "logsumexp",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "zero_grad",
    "walk",
    "TracingError",
]

Number = Union[int, float]
Operand = Union["Value", int, float]

# One context variable holds the recording mode, so that ``no_grad`` in one
# thread or task never leaks into another, and the fast path reads it once.
_NO_GRAD = 1
_ANOMALY = 2
_TRACING = 4  # set by microgradlab.compile while it records a tape
_MODE: contextvars.ContextVar[int] = contextvars.ContextVar("microgradlab_mode", default=0)
_mode = _MODE.get

# A node's kind says where its Value inputs sit; it is part of the node's class,
# so neither the ordering pass nor the backward rule tests operands for constants.
_ONE_A = 1  # the only Value input is _a (unary ops; binary ops whose _b is a number)
_ONE_B = 2  # the only Value input is _b (binary ops whose _a is a number)
_BOTH = 3  # _a and _b are Values
# n-ary nodes (sum, dot) hold tuples: _a (sum's items, dot's weights) and _b (dot's inputs)
_MANY = 4  # every item of _a is a Value; every item of _b (if any) is a float
_MANY_AB = 5  # every item of _a and of _b is a Value
_MANY_B = 6  # every item of _a is a float, every item of _b a Value
_MIXED = 7  # anything else: items are checked one by one


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
        raise TypeError(f"{where}: expected a real number, got a Value ({x!r}); use its .data or .detach()")
    raise TypeError(f"{where}: expected a real number, got {x!r} of type {type(x).__name__}")


# --- forward: applying a primitive makes a node --------------------------------
#
# Each operator is a function made once per primitive (not per node) that
# computes the scalar rule and fills in a node of the right class.


def _fail(prim: Primitive, args: Sequence[float], exc: Exception) -> Exception:
    return type(exc)(f"{prim.name}({_args_text(args)}): {exc}")


def _args_text(args: Sequence[Any]) -> str:
    """The first few arguments of an op, for a message (n-ary ops may have thousands)."""
    text = ", ".join(repr(a) for a in args[:8])
    return text + ", ..." if len(args) > 8 else text


def _finish(node: "Value", prim: Primitive, args: Sequence[Any]) -> "Value":
    """The slow path of every op: ``no_grad`` and ``detect_anomaly``."""
    mode = _mode()
    if mode & _ANOMALY and not math.isfinite(node.data):
        raise FloatingPointError(f"detect_anomaly: {prim.name}({_args_text(args)}) produced {node.data}")
    if mode & _NO_GRAD:
        return Value(node.data)
    return node


_new = object.__new__


def _unary_method(op: Union[str, Primitive]) -> Callable[["Value"], "Value"]:
    """``self -> op(self)`` for a one-input primitive."""
    prim = ops.get(op) if isinstance(op, str) else op
    forward = prim.forward

    def method(self: Value) -> Value:
        x = self.data
        try:
            out = forward(x)
        except (ArithmeticError, ValueError) as exc:
            raise _fail(prim, (x,), exc) from None
        node = _new((prim.node_classes or _node_classes(prim))[_ONE_A])
        node.data = out
        node.grad = 0.0
        node._a = self
        return _finish(node, prim, (x,)) if _mode() else node

    method.__name__ = prim.name
    method.__doc__ = prim.doc
    return method


def _binary_method(op: Union[str, Primitive], reflected: bool = False) -> Callable[["Value", Operand], "Value"]:
    """``(self, other) -> op(self, other)``, or ``op(other, self)`` when ``reflected``.

    ``other`` may be a Value or a number; a number is stored in the node as a float.
    """
    prim = ops.get(op) if isinstance(op, str) else op
    forward = prim.forward
    const_kind = _ONE_B if reflected else _ONE_A

    def method(self: Value, other: Operand) -> Value:
        if other.__class__ is float:
            od, kind = other, const_kind
        elif isinstance(other, Value):
            od, kind = other.data, _BOTH
        else:
            other = od = _real(other, prim.name)
            kind = const_kind
        x = self.data
        try:
            out = forward(od, x) if reflected else forward(x, od)
        except (ArithmeticError, ValueError) as exc:
            raise _fail(prim, (od, x) if reflected else (x, od), exc) from None
        node = _new((prim.node_classes or _node_classes(prim))[kind])
        node.data = out
        node.grad = 0.0
        if reflected:
            node._a = other
            node._b = self
        else:
            node._a = self
            node._b = other
        return _finish(node, prim, (od, x) if reflected else (x, od)) if _mode() else node

    method.__name__ = prim.name
    method.__doc__ = prim.doc
    return method


class Value:
    """A scalar that records the operations applied to it, for reverse-mode autodiff.

    >>> a = Value(2.0, label="a")
    >>> b = a * a + a.sin()
    >>> b.backward()
    >>> round(a.grad, 6)  # 2a + cos(a)
    3.583853

    ``data`` is a float; ``grad`` holds d(root)/d(self) after ``root.backward()``
    (a ``Value`` after ``backward(create_graph=True)``).
    """

    __slots__ = ("data", "grad", "_label", "_a", "_b")
    _op: Optional[Primitive] = None  # leaves have no op; node classes set it
    _kind = 0  # where a node's Value inputs sit; 0 for a leaf (see _vjp_rule)
    is_parameter = False  # nn's Parameter says True (drawn differently by viz)

    data: float
    grad: Any

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = data if type(data) is float else _real(data, "Value")
        self.grad = 0.0
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

    def __float__(self) -> float:
        return self.data

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
        return self._op

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    @property
    def inputs(self) -> Tuple[Union["Value", float], ...]:
        """This node's operands in order (Values and float constants); ``()`` for a leaf."""
        op = self._op
        if op is None:
            return ()
        if op.arity == 1:
            return (self._a,)
        if op.arity == 2:
            return (self._a, self._b)
        if op.name != "dot":
            return self._a
        # Weights then inputs; a bias is the weight of a constant input 1.
        return self._a + self._b + ((1.0,) if len(self._a) > len(self._b) else ())

    # --- arithmetic: every operator and method is an op-table primitive -------------

    __add__ = _binary_method("add")
    __radd__ = _binary_method("add", reflected=True)
    __sub__ = _binary_method("sub")
    __rsub__ = _binary_method("sub", reflected=True)
    __mul__ = _binary_method("mul")
    __rmul__ = _binary_method("mul", reflected=True)
    __truediv__ = _binary_method("div")
    __rtruediv__ = _binary_method("div", reflected=True)
    __pow__ = _binary_method("pow")
    __rpow__ = _binary_method("pow", reflected=True)
    __neg__ = _unary_method("neg")
    __abs__ = _unary_method("abs")
    exp = _unary_method("exp")
    log = _unary_method("log")
    sqrt = _unary_method("sqrt")
    tanh = _unary_method("tanh")
    sigmoid = _unary_method("sigmoid")
    relu = _unary_method("relu")
    softplus = _unary_method("softplus")
    sin = _unary_method("sin")
    cos = _unary_method("cos")
    _leaky_relu = _binary_method("leaky_relu")

    def __pos__(self) -> "Value":
        return self

    def leaky_relu(self, negative_slope: Operand = 0.01) -> "Value":
        """``x`` for ``x > 0``, else ``negative_slope * x`` (PyTorch's default slope)."""
        return self._leaky_relu(negative_slope)

    # --- gradients -----------------------------------------------------------

    def backward(self, gradient: Any = 1.0, *, create_graph: bool = False) -> None:
        """Accumulate ``d self / d leaf`` into every leaf's ``.grad``.

        Leaves *accumulate* across calls (as in PyTorch); call :meth:`zero_grad`
        or an optimizer's ``zero_grad()`` between steps.  Interior nodes' grads
        are recomputed from zero on every call.  With ``create_graph=True`` each
        grad is a ``Value`` whose graph can be differentiated again.

        A node whose gradient is exactly 0 passes nothing on (an inactive relu
        silences the whole neuron below it): its inputs get 0 from it even where
        their local derivative is infinite, where PyTorch computes 0 · inf = nan.
        """
        if self._op is None:
            self.grad = self.grad + gradient
            return
        order = _topological_order(self)
        self.grad = gradient.data if isinstance(gradient, Value) and not create_graph else gradient
        check = bool(_mode() & _ANOMALY)
        node = self
        try:
            for node in order:
                g = node.grad
                if g == 0.0:  # nothing to pass on (inactive relus, unused branches); a Value is never == 0.0
                    continue
                node._vjp(g, create_graph)
                if check:
                    _check_grads(node)
        except (ArithmeticError, ValueError) as exc:
            if isinstance(exc, FloatingPointError):
                raise
            raise type(exc)(f"backward through {_describe(node)}: {exc}") from exc

    def zero_grad(self) -> None:
        """Reset ``.grad`` to 0."""
        self.grad = 0.0

    def detach(self) -> "Value":
        """A new leaf with the same data (and label), cut from the graph."""
        return Value(self.data, self.label)

    # The backward rule of a node; each node class binds its own (see _vjp_rule).
    def _vjp(self, g: Any, graph: bool) -> None:  # pragma: no cover - leaves never run it
        raise AssertionError("a leaf has no inputs")


class TracingError(TypeError):
    """A traced function tried to branch on the data of a Value."""


def _no_branching_while_tracing(v: Value, what: str) -> None:
    if _mode() & _TRACING:
        raise TracingError(
            f"{what} on a traced Value ({v!r}): a compiled function cannot branch on data; "
            "write the choice with ops instead (e.g. relu, or x * mask with mask an input)"
        )


def _data_of(x: Operand, where: str) -> float:
    return x.data if isinstance(x, Value) else _real(x, where)


def tracing() -> contextlib.AbstractContextManager:
    """While recording a tape (microgradlab.compile): branching on a Value's data raises."""
    return _mode_flag(_TRACING, True)


class Parameter(Value):
    """A leaf that a model trains (``nn`` makes its weights and biases Parameters)."""

    __slots__ = ()
    is_parameter = True

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Value"):]


# --- node classes and their backward rules --------------------------------------


def _vjp_rule(prim: Primitive, kind: int) -> Callable[[Value, Any, bool], None]:
    """The backward rule for nodes of ``prim`` of one kind, built from the table's partials.

    ``graph`` selects the back end: floats and ``SCALAR_MATH`` (plain backward),
    or the nodes themselves and ``VALUE_MATH`` (``create_graph``).  A constant
    partial (``ops.Constant``) is multiplied in without a call.
    """
    if kind >= _MANY:
        return _vjp_dot if prim.name == "dot" else _vjp_reduce
    const = [d.value if isinstance(d, Constant) else None for d in prim.partials]
    da, db = prim.partials[0], prim.partials[-1]
    ca, cb = const[0], const[-1]
    unary = prim.arity == 1

    def one_a(node: Value, g: Any, graph: bool) -> None:
        a = node._a
        if ca is not None:
            a.grad += g * ca
        elif graph:
            a.grad += g * da(VALUE_MATH, *node.inputs, node)
        elif unary:
            a.grad += g * da(SCALAR_MATH, a.data, node.data)
        else:
            a.grad += g * da(SCALAR_MATH, a.data, node._b, node.data)

    def one_b(node: Value, g: Any, graph: bool) -> None:
        b = node._b
        if cb is not None:
            b.grad += g * cb
        elif graph:
            b.grad += g * db(VALUE_MATH, node._a, b, node)
        else:
            b.grad += g * db(SCALAR_MATH, node._a, b.data, node.data)

    def both(node: Value, g: Any, graph: bool) -> None:
        a = node._a
        b = node._b
        if graph:
            x, y, out, m = a, b, node, VALUE_MATH
        else:
            x, y, out, m = a.data, b.data, node.data, SCALAR_MATH
        a.grad += g * (ca if ca is not None else da(m, x, y, out))
        b.grad += g * (cb if cb is not None else db(m, x, y, out))

    return {_ONE_A: one_a, _ONE_B: one_b, _BOTH: both}[kind]


def _vjp_reduce(node: Value, g: Any, graph: bool) -> None:
    # An n-ary reduction (sum, logsumexp): one elementwise partial d(m, x_i, out).
    d = node._op.partials[0]
    items = node._a if node._kind == _MANY else filter(_is_value, node._a)
    if isinstance(d, Constant):
        gd = g * d.value
        for v in items:
            v.grad += gd
    elif graph:
        for v in items:
            v.grad += g * d(VALUE_MATH, v, node)
    else:
        out = node.data
        for v in items:
            v.grad += g * d(SCALAR_MATH, v.data, out)


def _vjp_dot(node: Value, g: Any, graph: bool) -> None:
    # dot's partials are the other factor (ops.Factor): d/dw_i = x_i, d/dx_i = w_i,
    # and d/dbias = 1 (its input is the constant 1).
    ws, xs = node._a, node._b
    kind = node._kind
    if len(ws) > len(xs) and ws[-1].__class__ is not float:
        ws[-1].grad += g
    if kind == _MANY:  # Values times numbers: a layer's weights times its input
        for w, x in zip(ws, xs):
            w.grad += g * x
        return
    if kind == _MANY_AB and not graph:
        for w, x in zip(ws, xs):
            w.grad += g * x.data
            x.grad += g * w.data
        return
    for w, x in zip(ws, xs):
        w_is_value, x_is_value = isinstance(w, Value), isinstance(x, Value)
        if w_is_value:
            w.grad += g * (x if graph or not x_is_value else x.data)
        if x_is_value:
            x.grad += g * (w if graph or not w_is_value else w.data)


def _is_value(v: Any) -> bool:
    return isinstance(v, Value)


def _node_classes(prim: Primitive) -> Tuple[Optional[type], ...]:
    """The Value subclasses for results of ``prim``, indexed by kind (made once, cached on the entry)."""
    classes = prim.node_classes
    if classes is None:
        if prim.arity == 0:
            kinds = (_MANY, _MANY_AB, _MANY_B, _MIXED) if prim.name == "dot" else (_MANY, _MIXED)
        elif prim.arity == 1:
            kinds = (_ONE_A,)
        else:
            kinds = (_ONE_A, _ONE_B, _BOTH)
        classes = tuple(
            type(f"{prim.name}_node", (Value,), {
                "__slots__": (), "_op": prim, "_kind": kind, "_vjp": _vjp_rule(prim, kind),
                "__module__": __name__}) if kind in kinds else None
            for kind in range(_MIXED + 1)
        )
        object.__setattr__(prim, "node_classes", classes)  # the table entry is frozen; this is its cache
    return classes


def _topological_order(root: Value) -> List[Value]:
    """Interior nodes reachable from ``root``, each before all of its inputs.

    Iterative depth-first search; the reverse of its postorder is a topological
    order.  Leaves are never pushed.  The ``grad`` slot of each interior node
    doubles as its visit mark (its gradient is recomputed anyway): ``opened``
    while its inputs are being ordered, then a float zero made for this call
    only, which is both the "done" mark (checked by identity) and the starting
    gradient.
    """
    opened = object()
    zero = float("0")  # a fresh object: identity tells this call's marks from stale grads
    order: List[Value] = []
    stack = [root]
    push, pop, emit, extend = stack.append, stack.pop, order.append, stack.extend
    expanded: set = set()  # ids of input tuples already pushed (they stay alive: nodes hold them)
    expanded_add = expanded.add
    try:
        while stack:
            node = pop()
            mark = node.grad
            if mark is opened:  # all of its inputs are ordered
                node.grad = zero
                emit(node)
                continue
            if mark is zero:  # reached before along another path
                continue
            while True:  # open the node, then walk straight down to an input while there is one
                node.grad = opened
                push(node)
                kind = node._kind
                if kind == _ONE_A:
                    node = node._a
                elif kind == _BOTH:
                    other = node._b
                    if other._kind and other.grad is not zero:
                        push(other)
                    node = node._a
                elif kind == _ONE_B:
                    node = node._b
                else:  # n-ary: push the interior items (C-level filter: leaves cost little)
                    if kind == _MANY or kind == _MANY_AB:
                        extend(filter(_interior, node._a))
                    if kind == _MANY_AB or kind == _MANY_B:
                        # The neurons of a layer share one input tuple: expand it once.  A
                        # tuple met again is finished already (else the graph had a cycle).
                        inputs = node._b
                        if id(inputs) not in expanded:
                            expanded_add(id(inputs))
                            extend(filter(_interior, inputs))
                    elif kind == _MIXED:
                        extend(v for v in node.inputs if isinstance(v, Value) and v._kind)
                    break
                if not node._kind or node.grad is zero:
                    break
    except BaseException:
        for node in stack + order:
            node.grad = 0.0
        raise
    order.reverse()
    return order


def walk(roots: Union[Value, Iterable[Any]]) -> List[Value]:
    """Every Value reachable from ``roots`` (leaves too), each after its inputs.

    Iterative, so a million-node chain is fine; each Value once.  Non-Values
    among ``roots`` are skipped.

    >>> x = Value(2.0, label="x")
    >>> [v.label or v.op.name for v in walk((x * x).exp())]
    ['x', 'mul', 'exp']
    """
    roots = [roots] if isinstance(roots, Value) else [r for r in roots if isinstance(r, Value)]
    seen = set()
    order: List[Value] = []
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.inputs))]
        while stack:
            node, pending = stack[-1]
            for v in pending:
                if isinstance(v, Value) and id(v) not in seen:
                    seen.add(id(v))
                    stack.append((v, iter(v.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _check_grads(node: Value) -> None:
    for v in node.inputs:
        if isinstance(v, Value):
            g = v.grad.data if isinstance(v.grad, Value) else v.grad
            if not math.isfinite(g):
                raise FloatingPointError(
                    f"detect_anomaly: backward through {_describe(node)} produced gradient {g} for input {v!r}"
                )


def _describe(node: Value) -> str:
    return f"{node._op.name}({_args_text([v.data if isinstance(v, Value) else v for v in node.inputs])})"


def _items(seq: Iterable[Operand], where: str) -> Tuple[Tuple[Operand, ...], List[float], int]:
    """An n-ary node's operands checked one by one: the tuple (numbers as
    floats), their data, and what they are: 1 all Values, 0 all floats, -1 a mix."""
    items = tuple(v if isinstance(v, Value) else _real(v, where) for v in seq)
    n_values = sum(isinstance(v, Value) for v in items)
    what = 1 if n_values == len(items) else (0 if n_values == 0 else -1)
    return items, [v.data if isinstance(v, Value) else v for v in items], what


_interior = operator.attrgetter("_kind")  # true for op nodes, 0 for leaves


def _reduce(prim: Primitive, values: Iterable[Operand], where: str = "") -> Value:
    """One node for an n-ary reduction (``sum``, ``logsumexp``) over Values and numbers."""
    items = values if values.__class__ is tuple else tuple(values)
    try:  # fast path: all Values (anything else gives an error or a non-float result)
        data = [v.data for v in items]
        out = prim.forward(data)
    except (AttributeError, TypeError):
        out = None
    except (ArithmeticError, ValueError) as exc:
        raise _fail(prim, data, exc) from None
    kind = _MANY
    if out.__class__ is not float:
        items, data, what = _items(items, where or prim.name)
        try:
            out = float(prim.forward(data))
        except (ArithmeticError, ValueError) as exc:
            raise _fail(prim, data, exc) from None
        kind = _MANY if what == 1 else _MIXED
    node = _new((prim.node_classes or _node_classes(prim))[kind])
    node.data = out
    node.grad = 0.0
    node._a = items
    node._b = None
    return _finish(node, prim, data) if _mode() else node


def vsum(values: Iterable[Operand]) -> Value:
    """The sum of many Values (and numbers) as *one* graph node.

    Cheaper than ``sum(values)``, which makes a node per addition.

    >>> xs = [Value(1.0), Value(2.0), 3]
    >>> s = vsum(xs)
    >>> s.data
    6.0
    >>> s.backward(); [x.grad for x in xs[:2]]
    [1.0, 1.0]
    """
    return _reduce(_SUM, values, "vsum")


def logsumexp(values: Iterable[Operand]) -> Value:
    """``log Σ exp(values)`` as *one* node, finite for any finite inputs.

    Its gradient is the softmax of the inputs; cross-entropy is built on it.

    >>> zs = [Value(1000.0), Value(1000.0)]
    >>> lse = logsumexp(zs)
    >>> round(lse.data - 1000.0, 6)    # log 2
    0.693147
    >>> lse.backward(); [round(z.grad, 12) for z in zs]   # exp(z - lse): exact up to ulp(lse)
    [0.5, 0.5]
    """
    return _reduce(_LOGSUMEXP, values)


def dot(ws: Iterable[Operand], xs: Iterable[Operand], bias: Optional[Operand] = None) -> Value:
    """``Σ ws[i] * xs[i] (+ bias)`` as *one* graph node (a neuron's pre-activation).

    Like PyTorch's ``F.linear``, the bias is optional; it is stored as one
    more weight, whose input is the constant 1.

    >>> w = [Value(0.5), Value(-1.0)]
    >>> d = dot(w, [2.0, 3.0])
    >>> d.data
    -2.0
    >>> d.backward(); [wi.grad for wi in w]
    [2.0, 3.0]
    >>> b = Value(0.25)
    >>> dot(w, [2.0, 3.0], b).data
    -1.75
    """
    xs = xs if xs.__class__ is tuple else tuple(xs)
    if bias is None:
        ws = ws if ws.__class__ is tuple else tuple(ws)
        n_weights = len(ws)
    else:
        ws = (*ws, bias)
        n_weights = len(ws) - 1
    if n_weights != len(xs):
        raise ValueError(f"dot: lengths differ: {n_weights} weights and {len(xs)} inputs")
    try:  # fast path: Values times Values or times floats
        wd = [w.data for w in ws]
        if xs and xs[0].__class__ is float:  # a Value further on makes the sum a Value: caught below
            xd, kind = xs, _MANY
        else:
            xd, kind = [x.data for x in xs], _MANY_AB
        out = _DOT.forward(wd, xd)
    except (AttributeError, TypeError):
        out = None
    if out.__class__ is not float:  # a mix, ints, numbers of other types: check each
        ws, wd, w_what = _items(ws, "dot")
        xs, xd, x_what = _items(xs, "dot")
        out = float(_DOT.forward(wd, xd))
        kind = _DOT_KINDS.get((w_what, x_what), _MIXED)
    node = _new(_DOT_CLASSES[kind])
    node.data = out
    node.grad = 0.0
    node._a = ws
    node._b = xs
    return _finish(node, _DOT, list(wd) + list(xd)) if _mode() else node


# (what the weights are, what the inputs are) -> node kind; see _items
_DOT_KINDS = {(1, 0): _MANY, (1, 1): _MANY_AB, (0, 1): _MANY_B}


def apply(op: Union[str, Primitive], *args: Operand) -> Value:
    """Apply any primitive of the op table (built-in or from ``define``) to Values or numbers.

    >>> apply("tanh", Value(0.0)).data
    0.0
    """
    prim = ops.get(op) if isinstance(op, str) else op
    if prim.arity == 0:
        return dot(*args) if prim.name == "dot" else _reduce(prim, args[0])
    if len(args) != prim.arity:
        raise TypeError(f"{prim.name} takes {prim.arity} input(s), got {len(args)}")
    methods = _APPLIERS.get(prim.name)
    if methods is None or methods[0] is not prim:
        methods = _APPLIERS[prim.name] = (prim, _unary_method(prim) if prim.arity == 1 else _binary_method(prim),
                                          _binary_method(prim, reflected=True) if prim.arity == 2 else None)
    a = args[0]
    if prim.arity == 1:
        return methods[1](a if isinstance(a, Value) else Value(_real(a, prim.name)))
    b = args[1]
    if isinstance(a, Value):
        return methods[1](a, b)
    if isinstance(b, Value):
        return methods[2](b, a)
    return methods[1](Value(_real(a, prim.name)), b)


_APPLIERS: Dict[str, tuple] = {}  # name -> (primitive, method, reflected method), for apply()


_SUM, _DOT, _LOGSUMEXP = ops.get("sum"), ops.get("dot"), ops.get("logsumexp")
if [getattr(d, "index", None) for d in _DOT.partials] != [1, 0]:  # _vjp_dot relies on it
    raise ImportError("the op table's dot must have mul's partials, (Factor(1), Factor(0))")
_DOT_CLASSES = _node_classes(_DOT)


# --- the math namespace for Values: derivative rules under create_graph ----------


class ValueMath:
    """``m`` for derivative rules on Values: each function takes a Value or a float."""

    @staticmethod
    def _lift(name: str) -> Callable[[Any], Any]:
        prim = ops.get(name)

        def fn(x: Any) -> Any:
            if isinstance(x, Value):
                return apply(prim, x)
            if hasattr(x, "_apply_primitive"):  # a forward-mode Dual (microgradlab.forward)
                return x._apply_primitive(prim)
            x = _real(x, name)
            try:
                return prim.forward(x)
            except (ArithmeticError, ValueError) as exc:
                raise _fail(prim, (x,), exc) from None

        fn.__name__ = name
        return fn

    @staticmethod
    def step(x: Any) -> float:
        # The derivative of a step is zero almost everywhere: a constant is exact.
        return SCALAR_MATH.step(x.data if isinstance(x, Value) else x)

    @staticmethod
    def sign(x: Any) -> float:
        return SCALAR_MATH.sign(x.data if isinstance(x, Value) else x)

    @staticmethod
    def pow(x: Any, y: Any) -> Any:
        if isinstance(x, Value) or isinstance(y, Value):
            return x**y
        return SCALAR_MATH.pow(x, y)

    @staticmethod
    def xlogy(x: Any, y: Any) -> Any:
        x_data = x.data if isinstance(x, Value) else x
        if x_data == 0.0:
            return 0.0
        return x * ValueMath.log(y)


for _name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "softplus"):
    setattr(ValueMath, _name, staticmethod(ValueMath._lift(_name)))

VALUE_MATH = ValueMath()


# --- modes -----------------------------------------------------------------------


@contextlib.contextmanager
def _mode_flag(flag: int, on: bool) -> Iterator[None]:
    mode = _MODE.get()
    token = _MODE.set(mode | flag if on else mode & ~flag)
    try:
        yield
    finally:
        _MODE.reset(token)


def no_grad() -> contextlib.AbstractContextManager:
    """Record no graph inside this block (evaluation, optimizer updates).

    Results are fresh leaves.  Per thread and per asyncio task, as it is a
    context variable.  Also usable as a decorator.

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.is_leaf
    True
    """
    return _mode_flag(_NO_GRAD, True)


def enable_grad() -> contextlib.AbstractContextManager:
    """Record the graph again inside a ``no_grad`` block."""
    return _mode_flag(_NO_GRAD, False)


def is_grad_enabled() -> bool:
    return not _MODE.get() & _NO_GRAD


def detect_anomaly() -> contextlib.AbstractContextManager:
    """Raise ``FloatingPointError`` at the first NaN or infinity in forward or backward.

    >>> with detect_anomaly():
    ...     Value(1e200) * 1e200
    Traceback (most recent call last):
    ...
    FloatingPointError: detect_anomaly: mul(1e+200, 1e+200) produced inf
    """
    return _mode_flag(_ANOMALY, True)


def zero_grad(values: Iterable[Value]) -> None:
    """Reset the ``.grad`` of each Value to 0."""
    for v in values:
        v.grad = 0.0
