"""Many inputs in one node (``vsum``, ``dot``, ``logsumexp``), ``apply``, and the Value math namespace.

A neuron's weighted sum as one ``dot`` node instead of 2n ``*`` and ``+``
nodes is what makes MLPs fast; ``apply`` runs any op of the table, built in or
your own.  ``VALUE_MATH`` is the ``m`` that derivative rules see under
``create_graph``: every op of the table on Values, so that a rule's result is
itself differentiable.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import modes, ops
from .engine import Operand, Value, as_float, binary_method, finish, unary_method
from .graph import MANY, MANY_AB, MANY_B, MIXED
from .nodes import node_classes
from .ops import Constant, Primitive, fail

__all__ = ["vsum", "dot", "logsumexp", "apply", "unary", "VALUE_MATH"]

_new = object.__new__
_mode = modes.mode


def _items(seq: Iterable[Operand], where: str) -> Tuple[Tuple[Operand, ...], List[float], int]:
    """An n-ary node's operands checked one by one: the tuple (numbers as
    floats), their data, and what they are: 1 all Values, 0 all floats, -1 a mix."""
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
        raise TypeError(f"{where}: expected an iterable of Values or numbers, got {seq!r}")
    items = tuple(v if isinstance(v, Value) else as_float(v, where) for v in seq)
    n_values = sum(isinstance(v, Value) for v in items)
    what = 1 if n_values == len(items) else (0 if n_values == 0 else -1)
    return items, [v.data if isinstance(v, Value) else v for v in items], what


def _reduce(prim: Primitive, values: Iterable[Operand], where: str = "",
            forward: Optional[Callable[..., float]] = None) -> Value:
    """One node for an n-ary reduction (``sum``, ``logsumexp``) over Values and numbers."""
    forward = forward or prim.forward
    where = where or prim.name
    if values.__class__ is tuple or values.__class__ is list:
        items = tuple(values)
    else:
        items = tuple(_items(values, where)[0])
    try:  # fast path: all Values (anything else gives an error or a non-float result)
        data = [v.data for v in items]
        out = forward(data)
    except (AttributeError, TypeError):
        out = None
    except (ArithmeticError, ValueError) as exc:
        raise fail(prim, data, exc) from None
    kind = MANY
    if out.__class__ is not float:
        forward_mode = _forward_mode_hook((items,))
        if forward_mode is not None:
            return forward_mode(prim, items)
        items, data, what = _items(items, where)
        try:
            out = float(forward(data))
        except (ArithmeticError, ValueError) as exc:
            raise fail(prim, data, exc) from None
        kind = MANY if what == 1 else MIXED
    node = _new((prim.node_classes or node_classes(prim, Value))[kind])
    node.data = out
    node.grad = 0.0
    node._a = items
    node._b = None
    return finish(node, prim, data) if _mode() else node


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
    """``log Σ exp(values)`` as *one* node, finite for any finite inputs; NaN if any input is NaN.

    Its gradient is the softmax of the inputs; cross-entropy is built on it.

    >>> zs = [Value(1000.0), Value(1000.0)]
    >>> lse = logsumexp(zs)
    >>> round(lse.data - 1000.0, 6)    # log 2
    0.693147
    >>> lse.backward(); [round(z.grad, 12) for z in zs]   # exp(z - lse): exact up to ulp(lse)
    [0.5, 0.5]
    """
    return _reduce(_LOGSUMEXP, values, "logsumexp")


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
    return _pair_node(_DOT, ws, xs, bias, "dot")


def _pair_node(prim: Primitive, ws: Iterable[Operand], xs: Iterable[Operand], bias: Optional[Operand],
               where: str) -> Value:
    """One node of an n-ary op over pairs (``dot``, or a user's op with two argument groups)."""
    if xs.__class__ is not tuple:
        xs = tuple(xs) if xs.__class__ is list else _items(xs, where)[0]
    if ws.__class__ is not tuple and ws.__class__ is not list:
        ws = _items(ws, where)[0]
    if bias is None:
        ws = ws if ws.__class__ is tuple else tuple(ws)
        n_weights = len(ws)
    else:
        ws = (*ws, bias)
        n_weights = len(ws) - 1
    if n_weights != len(xs):
        raise ValueError(f"{where}: lengths differ: {n_weights} weights and {len(xs)} inputs")
    try:  # fast path: Values times Values or times floats
        wd = [w.data for w in ws]
        if xs and xs[0].__class__ is float:  # a Value further on makes the sum a Value: caught below
            xd, kind = xs, MANY
        else:
            xd, kind = [x.data for x in xs], MANY_AB
        out = prim.forward(wd, xd)
    except (AttributeError, TypeError):
        out = None
    except (ArithmeticError, ValueError) as exc:
        raise fail(prim, wd + list(xd), exc) from None
    if out.__class__ is not float:  # a mix, ints, numbers of other types: check each
        forward_mode = _forward_mode_hook((ws, xs))
        if forward_mode is not None:
            return forward_mode(prim, ws, xs)
        ws, wd, w_what = _items(ws, where)
        xs, xd, x_what = _items(xs, where)
        try:
            out = float(prim.forward(wd, xd))
        except (ArithmeticError, ValueError) as exc:
            raise fail(prim, wd + xd, exc) from None
        kind = _PAIR_KINDS.get((w_what, x_what), MIXED)
    node = _new((prim.node_classes or node_classes(prim, Value))[kind])
    node.data = out
    node.grad = 0.0
    node._a = ws
    node._b = xs
    return finish(node, prim, list(wd) + list(xd)) if _mode() else node


def _forward_mode_hook(groups: Tuple[Sequence[Any], ...]) -> Optional[Callable[..., Any]]:
    """The ``_apply_nary`` of the first operand that has one (a forward-mode ``Dual``), else ``None``.

    Forward mode (``forward.py``) sits above this module; its numbers carry the
    hook, so ``vsum``, ``dot`` and ``apply`` of an n-ary op take them too.
    """
    for group in groups:
        for v in group:
            if v.__class__ is not float:
                hook = getattr(v, "_apply_nary", None)
                if hook is not None:
                    return hook
    return None


# (what the weights are, what the inputs are) -> node kind; see _items
_PAIR_KINDS = {(1, 0): MANY, (1, 1): MANY_AB, (0, 1): MANY_B}


def apply(op: Union[str, Primitive], *args: Operand) -> Value:
    """Apply any primitive of the op table (built-in or from ``define``) to Values or numbers.

    >>> apply("tanh", Value(0.0)).data
    0.0
    """
    prim = ops.get(op) if isinstance(op, str) else op
    if not isinstance(prim, Primitive):
        raise TypeError(f"apply: expected an op name or an ops.Primitive, got {op!r}")
    if prim.arity == 0:
        if prim.pairs:
            if not 2 <= len(args) <= 3:
                raise TypeError(f"{prim.name} takes weights, inputs and an optional bias, got {len(args)} arguments")
            return _pair_node(prim, *args[:2], args[2] if len(args) == 3 else None, prim.name)
        if len(args) != 1:
            raise TypeError(f"{prim.name} takes one iterable of inputs, got {len(args)} arguments")
        return _reduce(prim, args[0])
    if len(args) != prim.arity:
        raise TypeError(f"{prim.name} takes {prim.arity} input(s), got {len(args)}")
    methods = _methods(prim, prim.forward, _APPLIERS)
    return _call(prim, methods, args)


def unary(prim: Primitive) -> Callable[[Value], Value]:
    """The function ``v -> prim(v)`` on a Value, as ``apply`` uses it: made once per primitive."""
    return _methods(prim, prim.forward, _APPLIERS)[1]


def _methods(prim: Primitive, forward: Callable[..., float], cache: Dict[str, tuple]) -> tuple:
    """(primitive, method, reflected method) for applying ``prim`` with ``forward``, made once."""
    methods = cache.get(prim.name)
    if methods is None or methods[0] is not prim:
        if prim.arity == 1:
            methods = (prim, unary_method(prim, forward), None)
        else:
            methods = (prim, binary_method(prim, forward=forward), binary_method(prim, True, forward))
        cache[prim.name] = methods
    return methods


def _call(prim: Primitive, methods: tuple, args: Tuple[Any, ...]) -> Value:
    a = args[0]
    if prim.arity == 1:
        return methods[1](a if isinstance(a, Value) else Value(as_float(a, prim.name)))
    b = args[1]
    if isinstance(a, Value):
        return methods[1](a, b)
    if isinstance(b, Value):
        return methods[2](b, a)
    return methods[1](Value(as_float(a, prim.name)), b)


_APPLIERS: Dict[str, tuple] = {}  # name -> (primitive, method, reflected method), for apply()
_RULE_APPLIERS: Dict[str, tuple] = {}  # the same with each op's IEEE rule, for VALUE_MATH

_SUM, _DOT, _LOGSUMEXP = ops.get("sum"), ops.get("dot"), ops.get("logsumexp")


# --- the math namespace for Values: derivative rules under create_graph ----------


def _lift(prim: Primitive) -> Callable[..., Any]:
    """``prim`` for derivative rules on Values: a node when an argument is a Value, else a float.

    Nodes made here use the op's IEEE rule (``inf`` where the forward rule
    would raise), as plain backward does.  An op whose partials are all
    ``Constant(0)`` (a mask: step, sign) is constant near every point, so it
    gives a float: its derivative is exactly 0.
    """
    forward = prim.in_rules
    masks = all(isinstance(d, Constant) and d.value == 0.0 for d in prim.partials)
    if prim.arity == 0:
        if prim.pairs:
            return lambda ws, xs, bias=None: _pair_node(prim, ws, xs, bias, prim.name)
        return lambda items: _reduce(prim, items, forward=forward)

    def fn(*args: Any) -> Any:
        if len(args) != prim.arity:
            raise TypeError(f"{prim.name} takes {prim.arity} input(s), got {len(args)}")
        if masks or not any(isinstance(a, Value) for a in args):
            try:
                return forward(*[a.data if isinstance(a, Value) else as_float(a, prim.name) for a in args])
            except (ArithmeticError, ValueError) as exc:
                raise fail(prim, args, exc) from None
        if prim.name == "zmul" and any(a.__class__ is float and a == 0.0 for a in args):
            return 0.0  # a constant zero factor wins: no node
        return _call(prim, _methods(prim, forward, _RULE_APPLIERS), args)

    fn.__name__ = prim.name
    fn.__doc__ = prim.doc
    return fn


VALUE_MATH = ops.MathNamespace(_lift)
