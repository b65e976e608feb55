"""Graph algorithms over Values, as plain functions: the order backward takes, and a walk.

They need only a small interface of a node: ``inputs`` (its operands, Values
and numbers) and, for speed, ``_kind`` (where its Value inputs sit, below) with
the slots ``_a`` and ``_b``.  Both are iterative, so a million-node chain
works at the default recursion limit, and neither relies on the identity of
numbers (PyPy compares floats by value under ``is``): visit marks are objects
made for each call.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Iterable, List, Optional

__all__ = ["topological_order", "walk"]

# A node's kind says where its Value inputs sit; it is part of the node's class,
# so neither the ordering nor the backward rules test operands for constants (a leaf is 0).
ONE_A = 1  # the only Value input is _a (unary ops; binary ops whose _b is a number)
ONE_B = 2  # the only Value input is _b (binary ops whose _a is a number)
BOTH = 3  # _a and _b are Values
# n-ary nodes (sum, dot) hold tuples: _a (sum's items, dot's weights) and _b (dot's inputs)
MANY = 4  # every item of _a is a Value; every item of _b (if any) is a float
MANY_AB = 5  # every item of _a and of _b is a Value
MANY_B = 6  # every item of _a is a float, every item of _b a Value
MIXED = 7  # anything else (and hand-written nodes): ``inputs`` is checked item by item
CHECKED = 8  # added to the kind of a node whose derivative rule may raise (see engine.backward)

_interior = operator.attrgetter("_kind")  # true for op nodes, 0 for leaves


def topological_order(root: Any, checked: List[Any]) -> List[Any]:
    """The op nodes reachable from ``root``, each before all of its inputs; leaves are left out.

    Iterative depth-first search: the reverse of its postorder.  Each node's
    ``grad`` slot is its visit mark while the search runs (its gradient is
    recomputed anyway) and is 0 when this returns.  Nodes whose kind has
    ``CHECKED`` are also appended to ``checked``.
    """
    # Marks made for this call, so no stale grad can be one of them.  ``done`` is
    # also the starting gradient: a zero of a float subclass, which has ordinary
    # identity on every interpreter (PyPy compares plain floats by value under
    # ``is``) and adds like 0.0, giving plain floats.
    opened, done = object(), _Zero()
    order: List[Any] = []
    stack = [root]
    push, pop, emit, extend = stack.append, stack.pop, order.append, stack.extend
    expanded: set = set()  # ids of input tuples already pushed (they stay alive: nodes hold them)
    expanded_add = expanded.add
    try:
        while stack:
            node = pop()
            mark = node.grad
            if mark is opened:  # all of its inputs are ordered
                node.grad = done
                emit(node)
                continue
            if mark is done:  # reached before along another path
                continue
            while True:  # open the node, then walk straight down to an input while there is one
                node.grad = opened
                push(node)
                kind = node._kind
                if kind == ONE_A:
                    node = node._a
                elif kind == BOTH:
                    other = node._b
                    if other._kind and other.grad is not done:
                        push(other)
                    node = node._a
                elif kind == ONE_B:
                    node = node._b
                else:
                    if kind >= CHECKED:
                        checked.append(node)
                        kind -= CHECKED
                        if kind < MANY:  # a unary or binary node: go on as above
                            if kind == BOTH:
                                other = node._b
                                if other._kind and other.grad is not done:
                                    push(other)
                                node = node._a
                            else:
                                node = node._a if kind == ONE_A else node._b
                            if not node._kind or node.grad is done:
                                break
                            continue
                    if kind == MANY or kind == MANY_AB:  # push the interior items (C-level filter)
                        extend(filter(_interior, node._a))
                    if kind == MANY_AB or kind == MANY_B:
                        # The neurons of a layer share one input tuple: expand it once.  A
                        # tuple met again is finished already (else the graph had a cycle).
                        inputs = node._b
                        if id(inputs) not in expanded:
                            expanded_add(id(inputs))
                            extend(filter(_interior, inputs))
                    elif kind == MIXED:
                        extend(v for v in node.inputs if _is_interior(v))
                    break
                if not node._kind or node.grad is done:
                    break
    except BaseException:
        for node in stack + order:
            node.grad = 0.0
        raise
    order.reverse()
    return order


class _Zero(float):
    """0.0 with an identity of its own: see topological_order."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "0.0"


def _is_interior(v: Any) -> bool:
    return getattr(v, "_kind", 0) != 0


def _inputs(node: Any) -> Any:
    return node.inputs


def walk(roots: Any, children: Callable[[Any], Iterable[Any]] = _inputs,
         on_visit: Optional[Callable[[Any], None]] = None) -> List[Any]:
    """Every node reachable from ``roots`` (leaves too), each after its inputs.

    ``roots`` is a node (anything with ``.data``) or an iterable of them;
    numbers among them and among a node's ``children`` (its ``inputs`` by
    default; micrograd's ``_prev`` for its Values) are skipped.  ``on_visit``
    is called on each node when it is first met, and may raise to stop a walk
    that grows too large.  Iterative; each node once.

    >>> from microgradlab import Value
    >>> x = Value(2.0, label="x")
    >>> [v.label or v.op.name for v in walk((x * x).exp())]
    ['x', 'mul', 'exp']
    """
    roots = [roots] if hasattr(roots, "data") else [r for r in roots if hasattr(r, "data")]
    seen = set()
    order: List[Any] = []
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        if on_visit is not None:
            on_visit(root)
        stack = [(root, iter(children(root)))]
        while stack:
            node, pending = stack[-1]
            for v in pending:
                if v.__class__ is not float and hasattr(v, "data") and id(v) not in seen:
                    seen.add(id(v))
                    if on_visit is not None:
                        on_visit(v)
                    stack.append((v, iter(children(v))))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def leaves(roots: Iterable[Any]) -> List[Any]:
    """The leaves reachable from ``roots``, in :func:`walk` order."""
    return [v for v in walk(roots) if not v._kind]
