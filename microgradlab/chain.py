"""The chain rule at one node, stated plainly: what ``backward`` does at each node.

``backward`` (:func:`microgradlab.engine.run_backward`) visits the nodes so that
each comes after every node that uses it, and at each node adds, for every
Value input, ``upstream gradient × d node / d input`` into the input's
``grad``.  :func:`local_derivatives` gives those derivatives from the op
table's partials; :func:`chain_rule` is the step itself.  The node classes of
``nodes.py`` do the same arithmetic faster and are checked against these
functions (``tests/test_backward.py``); :func:`propagate` chooses between them.

A node's operands are Values or floats (numbers are stored as floats), so "is
a Value" is "is not a float" here; this module needs no import of ``Value``.
"""

from __future__ import annotations

import math
from typing import Any, List, Tuple

from .ops import SCALAR_MATH, args_text

__all__ = ["local_derivatives", "chain_rule", "propagate", "resume", "check_rule", "check_grads", "describe"]


def local_derivatives(node: Any, m: Any = SCALAR_MATH) -> List[Tuple[Any, Any]]:
    """``(input, d node / d input)`` for each Value input of ``node``, in the order backward adds them.

    The reference for the fast rules of ``nodes.py``.  With the default ``m``
    the derivatives are floats; with the Value namespace they are Values.

    >>> from microgradlab import Value
    >>> x, w = Value(2.0), Value(-3.0)
    >>> [(v.data, d) for v, d in local_derivatives(x * w)]
    [(2.0, -3.0), (-3.0, 2.0)]
    """
    prim = node._prim
    plain = m is SCALAR_MATH

    def arg(v: Any) -> Any:
        return v.data if plain and v.__class__ is not float else v

    out = node.data if plain else node
    partials = prim.partials
    if prim.pairs:  # w_0, x_0, w_1, x_1, ..., then the bias (the weight of a constant input 1)
        dw, dx = partials
        pairs = []
        for w, x in zip(node._a, node._b):
            if w.__class__ is not float:
                pairs.append((w, dw(m, arg(w), arg(x), out)))
            if x.__class__ is not float:
                pairs.append((x, dx(m, arg(w), arg(x), out)))
        if len(node._a) > len(node._b) and node._a[-1].__class__ is not float:
            pairs.append((node._a[-1], dw(m, arg(node._a[-1]), 1.0, out)))
        return pairs
    if prim.arity == 0:
        return [(v, partials[0](m, arg(v), out)) for v in node._a if v.__class__ is not float]
    inputs = node.inputs
    args = [arg(v) for v in inputs]
    return [(v, partials[i](m, *args, out)) for i, v in enumerate(inputs) if v.__class__ is not float]


def chain_rule(node: Any, g: Any, m: Any) -> None:
    """One node's chain-rule step: each input's grad += zmul(g, local derivative)."""
    if node._prim is None:  # a hand-written node
        node._vjp(g) if m is SCALAR_MATH else node._vjp_graph(g, m)
        return
    for v, d in local_derivatives(node, m):
        contribution = m.zmul(g, d)
        v.grad = contribution if v.grad is None else v.grad + contribution


def propagate(node: Any, g: Any, m: Any) -> None:
    """What backward does at one node: the fast rule for a finite ``g``, the plain one otherwise."""
    try:
        if m is not SCALAR_MATH:
            node._vjp_graph(g, m)
        elif g - g == 0.0:
            node._vjp(g)
        else:
            chain_rule(node, g, m)
    except TypeError:
        resume(node, g, m)


def resume(node: Any, g: Any, m: Any) -> None:
    """Finish a fast rule that stopped at an input whose grad is ``None`` ("none yet").

    The fast rules add into inputs in the order of :func:`local_derivatives`,
    so the inputs before the first ``None`` are done and the rest are not.
    Called from an ``except TypeError`` block, which it re-raises for a
    hand-written node.
    """
    if node._prim is None:
        raise
    pairs = local_derivatives(node, m)
    for k, (v, _) in enumerate(pairs):
        if v.grad is None:
            break
    else:
        bad = next((v for v, _ in pairs if not isinstance(v.grad, (float, int)) and not hasattr(v.grad, "grad")),
                   None)
        raise TypeError(f"backward: the .grad of {bad!r} is {getattr(bad, 'grad', None)!r}, not a number") from None
    plain = m is SCALAR_MATH and g - g == 0.0
    for v, d in pairs[k:]:
        contribution = g * d if plain else m.zmul(g, d)
        v.grad = contribution if v.grad is None else v.grad + contribution


def check_rule(node: Any) -> None:
    """Evaluate a node's partials that may raise, so that backward fails before changing anything."""
    try:
        local_derivatives(node)
    except (ArithmeticError, ValueError) as exc:
        raise type(exc)(f"backward through {describe(node)}: {exc}") from exc


def check_grads(node: Any) -> None:
    """``detect_anomaly`` in backward: a ``FloatingPointError`` if an input's gradient is not finite."""
    for v in node.inputs:
        if v.__class__ is not float:
            g = getattr(v.grad, "data", v.grad)  # a Value gradient under create_graph
            if g is not None and not math.isfinite(g):
                raise FloatingPointError(
                    f"detect_anomaly: backward through {describe(node)} produced gradient {g} for input {v!r}"
                )


def describe(node: Any) -> str:
    """``"log(-1.0)"``: a node's op and its inputs' data, for messages."""
    return f"{node._prim.name}({args_text([getattr(v, 'data', v) for v in node.inputs])})"
