"""Strategies for expressions from the op table: random graphs, and single applications of one op."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Union

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from .. import ops
from ..ops import Primitive
from .builder import Builder
from .drawn import Apply, DrawnExpression, Input
from .regions import BOUND, MARGIN, OpSpec, as_strategy, primitive, reals, safe_intervals, union_of

__all__ = ["expressions", "applications"]


def _op_list(ops_: Optional[Iterable[OpSpec]], where: str) -> List[Primitive]:
    chosen = [primitive(op) for op in (ops.PRIMITIVES.values() if ops_ is None else ops_)]
    if not chosen:
        raise ValueError(f"{where}: ops must name at least one primitive")
    return chosen


def expressions(ops: Optional[Iterable[OpSpec]] = None, *, max_depth: int = 3,
                n_inputs: Union[int, SearchStrategy] = 2, bound: float = BOUND,
                margin: float = MARGIN) -> SearchStrategy:
    """Random computation graphs from the op table, as :class:`DrawnExpression` objects with their point.

    Args:
        ops: primitives (or their names) to draw from; default: every entry
            of ``ops.PRIMITIVES`` when this function is called.  N-ary ops
            get one to three terms per argument group, and ops over pairs
            sometimes a bias.  The scales and shifts that keep ops in their
            safe regions are ``mul``, ``add`` and ``sub`` nodes, whatever ``ops`` says.
        max_depth: the longest chain of drawn ops (at least 1; the root is always an op).
        n_inputs: how many inputs (an int or a strategy of ints).
        bound: the inputs, and every argument of a drawn op, lie in ``[-bound, bound]``.
        margin: every argument of a drawn op is at least this far from the
            op's kinks and finite domain edges.

    See :mod:`microgradlab.testing` for how the point is kept safe without filtering.

    A negative ``x0`` is shifted into ``log``'s domain by a drawn constant:

    >>> import math
    >>> from hypothesis import find
    >>> from microgradlab import Value
    >>> expr = find(expressions(ops=["log"], n_inputs=1), lambda e: e.point[0] < 0.0)
    >>> expr.source.startswith("log(x0 + ")
    True
    >>> shift = float(expr.source[len("log(x0 + "):-1])
    >>> expr(0.5) == expr(Value(0.5)).data == math.log(0.5 + shift)
    True
    """
    chosen = _op_list(ops, "expressions")
    if max_depth < 1:
        raise ValueError(f"expressions: max_depth must be at least 1, got {max_depth!r}")
    n_strategy = as_strategy(n_inputs)
    reals(-bound, bound, margin=margin)  # validates bound and margin now rather than at draw time

    @st.composite
    def draw_expression(draw: Any) -> DrawnExpression:
        n = draw(n_strategy)
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"expressions: n_inputs must be a positive int, got {n!r}")
        point = tuple(draw(reals(-bound, bound)) for _ in range(n))
        root, _, _ = Builder(draw, point, bound, margin).tree(chosen, max_depth, root=True)
        return DrawnExpression(root, point)

    return draw_expression()


def applications(op: OpSpec, *, bound: float = BOUND, margin: float = MARGIN,
                 max_terms: int = 4) -> SearchStrategy:
    """``op`` applied directly to its inputs ``x0, x1, ...``, at a point inside its safe region.

    For n-ary ops (``sum``, ``dot``, your own) the number of terms is drawn
    up to ``max_terms``.  The per-op counterpart of :func:`expressions`, for
    testing each entry of the op table on its own.

    >>> from hypothesis import find
    >>> expr = find(applications("div"), lambda e: True)
    >>> expr.source, abs(expr.point[1]) >= MARGIN   # the divisor stays clear of 0
    ('x0 / x1', True)
    >>> find(applications("dot"), lambda e: e.n_inputs == 4).source
    'dot([x0, x1], [x2, x3])'
    """
    prim = primitive(op)
    if prim.arity:
        groups: SearchStrategy = st.just(None)
        slots = list(range(prim.arity))
    else:
        groups = st.integers(1, max_terms)
        slots = list(range(len(prim.partials)))
    regions = [union_of(safe_intervals(prim, k, bound=bound, margin=margin), f"applications({prim.name})")
               for k in slots]

    @st.composite
    def draw_application(draw: Any) -> DrawnExpression:
        terms = draw(groups)
        if terms is None:
            point = [draw(region) for region in regions]
            return DrawnExpression(Apply(prim, tuple(Input(k) for k in slots)), point)
        point = [draw(region) for region in regions for _ in range(terms)]
        args = tuple(tuple(Input(g * terms + t) for t in range(terms)) for g in slots)
        return DrawnExpression(Apply(prim, args), point)

    return draw_application()
