"""The fast path: one Value subclass per primitive and operand layout, with its backward rule.

This is the engine's one speed seam.  ``engine.py`` says *what* backward does
(the chain rule, node by node, with :func:`chain.local_derivatives` as the
reference); this module does the same arithmetic faster, by specialising:

* A node's op is its *class*: :func:`node_classes` makes, once per primitive,
  a tiny subclass of ``Value`` for each *kind* (``graph.ONE_A``, ``BOTH``,
  ``MANY`` ...: where the node's Value inputs sit), so a node stores only
  ``data``, ``grad``, ``_label`` and its inputs ``_a``/``_b``, and neither the
  ordering nor the rule tests operands for constants.
* Each class binds two rules made from the table's partials for that kind:
  ``_vjp(node, g)`` for plain backward, with a constant partial
  (``ops.Constant``) multiplied in without a call and ``dot``'s partials (the
  other factor) without any call; the engine only calls it with a finite,
  non-zero ``g``, where ``g * d`` equals the strong-zero product ``zmul(g, d)``
  up to the sign of a zero that is added to a sum.  And ``_vjp_graph(node, g,
  m)`` for ``create_graph``, with ``m`` the engine's Value namespace, where
  every product is ``m.zmul``, so that first derivatives equal plain
  backward's to the bit.  Each rule writes its inputs' gradients in the order of
``chain.local_derivatives``; the engine relies on that to resume a rule that
met a ``grad`` of ``None``.  ``tests/test_backward.py`` checks every rule
against the reference on random graphs.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

from .graph import BOTH, CHECKED, MANY, MANY_AB, MANY_B, MIXED, ONE_A, ONE_B
from .ops import SCALAR_MATH, Constant, Primitive

__all__ = ["node_classes", "LAYOUTS"]

# The kinds each arity of primitive can have.
LAYOUTS = {1: (ONE_A,), 2: (ONE_A, ONE_B, BOTH), 0: (MANY, MIXED)}
PAIR_LAYOUTS = (MANY, MANY_AB, MANY_B, MIXED)  # n-ary ops over pairs (dot): weights, inputs


def node_classes(prim: Primitive, base: type) -> Tuple[Optional[type], ...]:
    """The subclasses of ``base`` for results of ``prim``, indexed by kind (cached on the entry)."""
    classes = prim.node_classes
    if classes is None or classes[0] is not base:
        kinds = PAIR_LAYOUTS if prim.pairs else LAYOUTS[prim.arity]
        made = [base] + [None] * MIXED
        for kind in kinds:
            checked = CHECKED if _may_raise(prim, kind) else 0
            plain, graph = _rule(prim, kind)
            made[kind] = type("Value", (base,), {
                "__slots__": (), "_prim": prim, "_kind": kind + checked, "_vjp": plain, "_vjp_graph": graph,
                "__module__": base.__module__, "__qualname__": f"Value[{prim.name}]"})
        classes = tuple(made)
        object.__setattr__(prim, "node_classes", classes)  # the table entry is frozen; this is its cache
    return classes


def _may_raise(prim: Primitive, kind: int) -> bool:
    """Whether a rule of this kind calls a partial that the table says may raise."""
    can_raise = prim.partials_can_raise
    if kind == ONE_A:
        return can_raise[0]
    if kind == ONE_B:
        return can_raise[-1]
    return any(can_raise)


def _rule(prim: Primitive, kind: int) -> Tuple[Callable[..., None], Callable[..., None]]:
    """``(plain rule(node, g), graph rule(node, g, m))`` for nodes of ``prim`` of one kind."""
    if prim.pairs:
        if [getattr(d, "index", None) for d in prim.partials] == [1, 0]:  # mul's partials: dot, call-free
            return _dot_plain, _dot_graph
        return _pair_rules(prim)
    if kind >= MANY:
        return _reduce_rules(prim, kind)
    const = [d.value if isinstance(d, Constant) else None for d in prim.partials]
    da, db = prim.partials[0], prim.partials[-1]
    ca, cb = const[0], const[-1]
    m0 = SCALAR_MATH
    unary = prim.arity == 1

    # Plain backward: g is a finite, non-zero float; one small function per case.
    def a_const(node: Any, g: float) -> None:
        node._a.grad += g * ca

    def a_unary(node: Any, g: float) -> None:
        a = node._a
        a.grad += g * da(m0, a.data, node.data)

    def a_binary(node: Any, g: float) -> None:
        a = node._a
        a.grad += g * da(m0, a.data, node._b, node.data)

    def b_const(node: Any, g: float) -> None:
        node._b.grad += g * cb

    def b_call(node: Any, g: float) -> None:
        b = node._b
        b.grad += g * db(m0, node._a, b.data, node.data)

    def both(node: Any, g: float) -> None:
        a = node._a
        b = node._b
        x, y, out = a.data, b.data, node.data
        a.grad += g * (ca if ca is not None else da(m0, x, y, out))
        b.grad += g * (cb if cb is not None else db(m0, x, y, out))

    # create_graph: every product is the strong-zero m.zmul on Values.
    def graph_a(node: Any, g: Any, m: Any) -> None:
        node._a.grad += m.zmul(g, ca if ca is not None else da(m, *node.inputs, node))

    def graph_b(node: Any, g: Any, m: Any) -> None:
        node._b.grad += m.zmul(g, cb if cb is not None else db(m, node._a, node._b, node))

    def graph_both(node: Any, g: Any, m: Any) -> None:
        a = node._a
        b = node._b
        da_value = ca if ca is not None else da(m, a, b, node)
        db_value = cb if cb is not None else db(m, a, b, node)
        a.grad += m.zmul(g, da_value)
        b.grad += m.zmul(g, db_value)

    if kind == ONE_A:
        return (a_const if ca is not None else a_unary if unary else a_binary), graph_a
    if kind == ONE_B:
        return (b_const if cb is not None else b_call), graph_b
    return both, graph_both


def _reduce_rules(prim: Primitive, kind: int) -> Tuple[Callable[..., None], Callable[..., None]]:
    # An n-ary reduction (sum, logsumexp): one elementwise partial d(m, x_i, out).
    d = prim.partials[0]
    constant = d.value if isinstance(d, Constant) else None

    def plain(node: Any, g: float) -> None:
        items = node._a if kind == MANY else [v for v in node._a if v.__class__ is not float]
        if constant is not None:
            gd = g * constant
            for v in items:
                v.grad += gd
        else:
            out = node.data
            for v in items:
                v.grad += g * d(SCALAR_MATH, v.data, out)

    def graph(node: Any, g: Any, m: Any) -> None:
        items = node._a if kind == MANY else [v for v in node._a if v.__class__ is not float]
        for v in items:
            v.grad += m.zmul(g, constant if constant is not None else d(m, v, node))

    return plain, graph


def _pair_rules(prim: Primitive) -> Tuple[Callable[..., None], Callable[..., None]]:
    # An n-ary op over pairs with partials of its own: the reference order (w_i, x_i, ..., bias).
    dw, dx = prim.partials

    def plain(node: Any, g: float) -> None:
        out = node.data
        for w, x in zip(node._a, node._b):
            w_is_value, x_is_value = w.__class__ is not float, x.__class__ is not float
            wd, xd = w.data if w_is_value else w, x.data if x_is_value else x
            if w_is_value:
                w.grad += g * dw(SCALAR_MATH, wd, xd, out)
            if x_is_value:
                x.grad += g * dx(SCALAR_MATH, wd, xd, out)
        if len(node._a) > len(node._b) and node._a[-1].__class__ is not float:
            node._a[-1].grad += g * dw(SCALAR_MATH, node._a[-1].data, 1.0, out)

    def graph(node: Any, g: Any, m: Any) -> None:
        for w, x in zip(node._a, node._b):
            if w.__class__ is not float:
                w.grad += m.zmul(g, dw(m, w, x, node))
            if x.__class__ is not float:
                x.grad += m.zmul(g, dx(m, w, x, node))
        if len(node._a) > len(node._b) and node._a[-1].__class__ is not float:
            node._a[-1].grad += m.zmul(g, dw(m, node._a[-1], 1.0, node))

    return plain, graph


def _dot_plain(node: Any, g: float) -> None:
    # dot's partials are the other factor (ops.Factor): d/dw_i = x_i, d/dx_i = w_i,
    # and d/dbias = 1 (its input is the constant 1).  The bias comes last.
    ws, xs = node._a, node._b
    kind = node._kind
    if kind == MANY:  # Values times numbers: a layer's weights times its input
        for w, x in zip(ws, xs):
            w.grad += g * x
    elif kind == MANY_AB:
        for w, x in zip(ws, xs):
            w.grad += g * x.data
            x.grad += g * w.data
    else:
        for w, x in zip(ws, xs):
            w_is_value, x_is_value = w.__class__ is not float, x.__class__ is not float
            if w_is_value:
                w.grad += g * (x.data if x_is_value else x)
            if x_is_value:
                x.grad += g * (w.data if w_is_value else w)
    if len(ws) > len(xs) and ws[-1].__class__ is not float:
        ws[-1].grad += g


def _dot_graph(node: Any, g: Any, m: Any) -> None:
    ws, xs = node._a, node._b
    zmul = m.zmul
    for w, x in zip(ws, xs):
        if w.__class__ is not float:
            w.grad += zmul(g, x)
        if x.__class__ is not float:
            x.grad += zmul(g, w)
    if len(ws) > len(xs) and ws[-1].__class__ is not float:
        ws[-1].grad += zmul(g, 1.0)
