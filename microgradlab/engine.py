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
* ``vsum`` and ``dot`` are single n-ary nodes.
* ``backward`` orders only interior nodes (iteratively, so a million-node chain
  works); leaves are reached only when their gradient is accumulated.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import ops
from .ops import SCALAR_MATH, Primitive

__all__ = [
    "Value",
    "Parameter",
    "Number",
    "apply",
    "vsum",
    "dot",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "zero_grad",
]

Number = Union[int, float]
Operand = Union["Value", int, float]

# One context variable holds the recording mode, so that ``no_grad`` in one
# thread or task never leaks into another, and the fast path reads it once.
_NO_GRAD = 1
_ANOMALY = 2
_MODE: contextvars.ContextVar[int] = contextvars.ContextVar("microgradlab_mode", default=0)
_mode = _MODE.get


def _real(x: Any, where: str) -> float:
    """``x`` as a float, or a ``TypeError`` that names ``where`` and ``x``."""
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        return float(x)
    if isinstance(x, Value):
        raise TypeError(f"{where}: expected a real number, got a Value ({x!r}); use its .data or .detach()")
    raise TypeError(f"{where}: expected a real number, got {x!r} of type {type(x).__name__}")


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

    __slots__ = ("data", "grad", "label", "_a", "_b")
    _op: Optional[Primitive] = None  # leaves have no op; node classes set it
    is_parameter = False  # nn's Parameter says True (drawn differently by viz)

    data: float
    grad: Any
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = data if type(data) is float else _real(data, "Value")
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {label!r}")
        self.label = label

    # --- inspection ----------------------------------------------------------

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

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
        return self._a + self._b if op.name == "dot" else self._a

    # --- arithmetic: every operator is an op-table primitive ---------------------

    def __add__(self, other: Operand) -> "Value":
        return _binary(_ADD, self, other)

    def __radd__(self, other: Operand) -> "Value":
        return _binary(_ADD, other, self)

    def __sub__(self, other: Operand) -> "Value":
        return _binary(_SUB, self, other)

    def __rsub__(self, other: Operand) -> "Value":
        return _binary(_SUB, other, self)

    def __mul__(self, other: Operand) -> "Value":
        return _binary(_MUL, self, other)

    def __rmul__(self, other: Operand) -> "Value":
        return _binary(_MUL, other, self)

    def __truediv__(self, other: Operand) -> "Value":
        return _binary(_DIV, self, other)

    def __rtruediv__(self, other: Operand) -> "Value":
        return _binary(_DIV, other, self)

    def __pow__(self, other: Operand) -> "Value":
        return _binary(_POW, self, other)

    def __rpow__(self, other: Operand) -> "Value":
        return _binary(_POW, other, self)

    def __neg__(self) -> "Value":
        return _unary(_NEG, self)

    def __pos__(self) -> "Value":
        return self

    def __abs__(self) -> "Value":
        return _unary(_ABS, self)

    def exp(self) -> "Value":
        """``e ** self``; ``OverflowError`` above about 709.78."""
        return _unary(_EXP, self)

    def log(self) -> "Value":
        """Natural logarithm; ``ValueError`` for ``data <= 0``."""
        return _unary(_LOG, self)

    def sqrt(self) -> "Value":
        """Square root; ``ValueError`` for ``data < 0``."""
        return _unary(_SQRT, self)

    def tanh(self) -> "Value":
        return _unary(_TANH, self)

    def sigmoid(self) -> "Value":
        """``1 / (1 + e^-x)``, stable for any float."""
        return _unary(_SIGMOID, self)

    def relu(self) -> "Value":
        """``max(x, 0)``; its derivative at 0 is 0."""
        return _unary(_RELU, self)

    def leaky_relu(self, negative_slope: Operand = 0.01) -> "Value":
        """``x`` for ``x > 0``, else ``negative_slope * x`` (PyTorch's default slope)."""
        return _binary(_LEAKY_RELU, self, negative_slope)

    def softplus(self) -> "Value":
        """``log(1 + e^x)``, stable for any float."""
        return _unary(_SOFTPLUS, self)

    def sin(self) -> "Value":
        return _unary(_SIN, self)

    def cos(self) -> "Value":
        return _unary(_COS, self)

    # --- gradients -----------------------------------------------------------

    def backward(self, gradient: Any = 1.0, *, create_graph: bool = False) -> None:
        """Accumulate ``d self / d leaf`` into every leaf's ``.grad``.

        Leaves *accumulate* across calls (as in PyTorch); call :meth:`zero_grad`
        or an optimizer's ``zero_grad()`` between steps.  Interior nodes' grads
        are recomputed from zero on every call.  With ``create_graph=True`` each
        grad is a ``Value`` whose graph can be differentiated again.
        """
        if self._op is None:
            self.grad = self.grad + gradient
            return
        order = _topological_order(self)
        self.grad = gradient
        if create_graph:
            m, graph = VALUE_MATH, True
        else:
            m, graph = SCALAR_MATH, False
            if isinstance(gradient, Value):
                self.grad = gradient.data
        check = bool(_mode() & _ANOMALY)
        node = self
        try:
            for node in order:
                node._vjp(node.grad, m, graph)
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

    # The backward rule of a node; each node class binds the one for its arity.
    def _vjp(self, g: Any, m: Any, graph: bool) -> None:  # pragma: no cover - leaves never run it
        raise AssertionError("a leaf has no inputs")


class Parameter(Value):
    """A leaf that a model trains (``nn`` makes its weights and biases Parameters)."""

    __slots__ = ()
    is_parameter = True

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Value"):]


# --- backward rules, one per arity, shared by all primitives -----------------


def _vjp_unary(node: Value, g: Any, m: Any, graph: bool) -> None:
    a = node._a
    d = node._op.partials[0]
    if graph:
        a.grad = a.grad + g * d(m, a, node)
    else:
        a.grad += g * d(m, a.data, node.data)


def _vjp_binary(node: Value, g: Any, m: Any, graph: bool) -> None:
    a = node._a
    b = node._b
    da, db = node._op.partials
    if graph:
        x, y, out = a, b, node
    else:
        x = a if a.__class__ is float else a.data
        y = b if b.__class__ is float else b.data
        out = node.data
    if a.__class__ is not float:
        a.grad = a.grad + g * da(m, x, y, out)
    if b.__class__ is not float:
        b.grad = b.grad + g * db(m, x, y, out)


def _vjp_sum(node: Value, g: Any, m: Any, graph: bool) -> None:
    d = node._op.partials[0]
    out = node if graph else node.data
    for v in node._a:
        if v.__class__ is not float:
            v.grad = v.grad + g * d(m, v if graph else v.data, out)


def _vjp_dot(node: Value, g: Any, m: Any, graph: bool) -> None:
    dw, dx = node._op.partials
    out = node if graph else node.data
    for w, x in zip(node._a, node._b):
        wv = w if graph or w.__class__ is float else w.data
        xv = x if graph or x.__class__ is float else x.data
        if w.__class__ is not float:
            w.grad = w.grad + g * dw(m, wv, xv, out)
        if x.__class__ is not float:
            x.grad = x.grad + g * dx(m, wv, xv, out)


def _node_class(prim: Primitive) -> type:
    """The Value subclass whose instances are results of ``prim`` (made once)."""
    cls = prim.node_class
    if cls is None:
        vjp = {1: _vjp_unary, 2: _vjp_binary}.get(prim.arity) or (_vjp_dot if prim.name == "dot" else _vjp_sum)
        cls = type(f"{prim.name}_node", (Value,), {"__slots__": (), "_op": prim, "_vjp": vjp,
                                                   "__module__": __name__})
        object.__setattr__(prim, "node_class", cls)  # the table entry is frozen; this is its cache
    return cls


def _topological_order(root: Value) -> List[Value]:
    """Interior nodes reachable from ``root``, each before all of its inputs.

    Iterative depth-first search; the reverse of its postorder is a topological
    order.  The ``grad`` slot of each interior node doubles as its visit mark
    (its gradient is recomputed anyway): ``opened`` while its inputs are being
    ordered, then a float zero made for this call only, which is both the
    "done" mark (checked by identity) and the starting gradient.
    """
    opened = object()
    zero = float("0")  # a fresh object: identity tells this call's marks from stale grads
    order: List[Value] = []
    stack = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    try:
        while stack:
            node = pop()
            mark = node.grad
            if mark is zero:
                continue
            if mark is opened:
                node.grad = zero
                emit(node)
                continue
            node.grad = opened
            push(node)
            arity = node._op.arity
            if arity == 1:
                a = node._a
                if a._op is not None and a.grad is not zero:
                    push(a)
            elif arity == 2:
                a = node._a
                b = node._b
                if a.__class__ is not float and a._op is not None and a.grad is not zero:
                    push(a)
                if b.__class__ is not float and b._op is not None and b.grad is not zero:
                    push(b)
            else:
                for v in node._a + node._b if node._b.__class__ is tuple else node._a:
                    if v.__class__ is not float and v._op is not None and v.grad is not zero:
                        push(v)
    except BaseException:
        for node in stack + order:
            node.grad = 0.0
        raise
    order.reverse()
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
    args = ", ".join(repr(v.data if isinstance(v, Value) else v) for v in node.inputs[:8])
    more = ", ..." if len(node.inputs) > 8 else ""
    return f"{node._op.name}({args}{more})"


# --- forward: apply a primitive ------------------------------------------------


def _fail(prim: Primitive, args: Sequence[float], exc: Exception) -> Exception:
    text = ", ".join(repr(a) for a in args)
    return type(exc)(f"{prim.name}({text}): {exc}")


def _finish(node: Value, prim: Primitive, args: Sequence[Any]) -> Value:
    """The slow path of every op: ``no_grad`` and ``detect_anomaly``."""
    mode = _mode()
    if mode & _ANOMALY and not math.isfinite(node.data):
        raise FloatingPointError(f"detect_anomaly: {prim.name}({', '.join(map(repr, args))}) produced {node.data}")
    if mode & _NO_GRAD:
        return Value(node.data)
    return node


_new = object.__new__


def _unary(prim: Primitive, x: Value) -> Value:
    try:
        out = prim.forward(x.data)
    except (ArithmeticError, ValueError) as exc:
        raise _fail(prim, (x.data,), exc) from None
    node = _new(prim.node_class or _node_class(prim))
    node.data = out
    node.grad = 0.0
    node.label = ""
    node._a = x
    return _finish(node, prim, (x.data,)) if _mode() else node


def _binary(prim: Primitive, a: Operand, b: Operand) -> Value:
    ad = a if a.__class__ is float else (a.data if isinstance(a, Value) else _real(a, prim.name))
    bd = b if b.__class__ is float else (b.data if isinstance(b, Value) else _real(b, prim.name))
    try:
        out = prim.forward(ad, bd)
    except (ArithmeticError, ValueError) as exc:
        raise _fail(prim, (ad, bd), exc) from None
    node = _new(prim.node_class or _node_class(prim))
    node.data = out
    node.grad = 0.0
    node.label = ""
    node._a = a if isinstance(a, Value) else ad
    node._b = b if isinstance(b, Value) else bd
    return _finish(node, prim, (ad, bd)) if _mode() else node


def _operands(items: Iterable[Operand], where: str) -> Tuple[Tuple[Operand, ...], List[float]]:
    """The items (constants as floats) and their data, for an n-ary node."""
    items = tuple(items)
    out = tuple(v if isinstance(v, Value) else _real(v, where) for v in items)
    return out, [v.data if isinstance(v, Value) else v for v in out]


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
    items = tuple(values)
    try:
        data = [v.data for v in items]
        out = _SUM.forward(data)
    except (AttributeError, TypeError):
        items, data = _operands(items, "vsum")
        out = _SUM.forward(data)
    node = _new(_SUM_NODE)
    node.data = float(out)
    node.grad = 0.0
    node.label = ""
    node._a = items
    node._b = None
    return _finish(node, _SUM, data) if _mode() else node


def dot(ws: Iterable[Operand], xs: Iterable[Operand]) -> Value:
    """``Σ ws[i] * xs[i]`` as *one* graph node (a neuron's pre-activation).

    >>> w = [Value(0.5), Value(-1.0)]
    >>> d = dot(w, [2.0, 3.0])
    >>> d.data
    -2.0
    >>> d.backward(); [wi.grad for wi in w]
    [2.0, 3.0]
    """
    ws = tuple(ws)
    xs = tuple(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot: lengths differ: {len(ws)} weights and {len(xs)} inputs")
    try:
        wd = [w.data for w in ws]
        xd = [x.data for x in xs]
        out = _DOT.forward(wd, xd)
    except (AttributeError, TypeError):
        ws, wd = _operands(ws, "dot")
        xs, xd = _operands(xs, "dot")
        out = _DOT.forward(wd, xd)
    node = _new(_DOT_NODE)
    node.data = float(out)
    node.grad = 0.0
    node.label = ""
    node._a = ws
    node._b = xs
    return _finish(node, _DOT, wd + xd) if _mode() else node


def apply(op: Union[str, Primitive], *args: Operand) -> Value:
    """Apply any primitive of the op table (built-in or from ``define``) to Values or numbers.

    >>> apply("tanh", Value(0.0)).data
    0.0
    """
    prim = ops.get(op) if isinstance(op, str) else op
    if prim.arity == 0:
        return vsum(args[0]) if prim.name == "sum" else dot(*args)
    if len(args) != prim.arity:
        raise TypeError(f"{prim.name} takes {prim.arity} input(s), got {len(args)}")
    if not any(isinstance(a, Value) for a in args):
        args = (Value(_real(args[0], prim.name)),) + args[1:]
    if prim.arity == 1:
        return _unary(prim, args[0])
    return _binary(prim, args[0], args[1])


_ADD, _SUB, _MUL, _DIV, _POW = (ops.get(n) for n in ("add", "sub", "mul", "div", "pow"))
_NEG, _ABS, _EXP, _LOG, _SQRT = (ops.get(n) for n in ("neg", "abs", "exp", "log", "sqrt"))
_TANH, _SIGMOID, _RELU, _LEAKY_RELU, _SOFTPLUS = (
    ops.get(n) for n in ("tanh", "sigmoid", "relu", "leaky_relu", "softplus"))
_SIN, _COS, _SUM, _DOT = (ops.get(n) for n in ("sin", "cos", "sum", "dot"))
_SUM_NODE = _node_class(_SUM)
_DOT_NODE = _node_class(_DOT)


# --- the math namespace for Values: derivative rules under create_graph ----------


class ValueMath:
    """``m`` for derivative rules on Values: each function takes a Value or a float."""

    @staticmethod
    def _lift(name: str) -> Callable[[Any], Any]:
        prim = ops.get(name)

        def fn(x: Any) -> Any:
            if isinstance(x, Value):
                return _unary(prim, x)
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
            return x**y if isinstance(x, Value) else _binary(_POW, x, y)
        return SCALAR_MATH.pow(x, y)


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
