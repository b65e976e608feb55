"""Where an op input is safe to draw: its domain cut to a bound, with a margin around kinks and edges.

Read from the op table's ``domain`` and ``kinks``: :func:`safe_intervals` for
one input of one op, :func:`reals` for floats drawn from such intervals, and
:func:`kink_margin` for how close a built graph comes to trouble.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, List, Sequence, Tuple, Union

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from .. import ops
from ..engine import Value, walk
from ..ops import Primitive

__all__ = ["BOUND", "MARGIN", "Interval", "OpSpec", "safe_intervals", "reals", "kink_margin",
           "union_of", "inside", "as_strategy", "primitive"]

# The defaults of every strategy; documented where users find them, in microgradlab.testing.
BOUND = 4.0
MARGIN = 0.25

Interval = Tuple[float, float]
OpSpec = Union[str, Primitive]


def as_strategy(x: Any) -> SearchStrategy:
    """``x`` if it is a strategy, else the strategy that always draws ``x``."""
    return x if isinstance(x, SearchStrategy) else st.just(x)


def primitive(op: OpSpec) -> Primitive:
    """The op-table entry ``op`` names (or ``op`` itself)."""
    return ops.get(op) if isinstance(op, str) else op


def _above(p: float, margin: float) -> float:
    """``p + margin``, nudged up until ``x - p >= margin`` holds in floating point too."""
    x = p + margin
    while x - p < margin:
        x = math.nextafter(x, math.inf)
    return x


def _below(p: float, margin: float) -> float:
    """``p - margin``, nudged down until ``p - x >= margin`` holds in floating point too."""
    x = p - margin
    while p - x < margin:
        x = math.nextafter(x, -math.inf)
    return x


def _carve(intervals: Iterable[Interval], points: Iterable[float], margin: float) -> List[Interval]:
    """``intervals`` minus the open ``margin``-neighbourhood of each point."""
    out = list(intervals)
    for p in points:
        below, above = _below(p, margin), _above(p, margin)
        out = [piece for lo, hi in out for piece in ((lo, min(hi, below)), (max(lo, above), hi))
               if piece[0] <= piece[1]]
    return out


def _slot(op: Primitive, k: int) -> Tuple[Interval, Tuple[float, ...]]:
    """Domain and kinks of input ``k`` (of argument group ``k`` for n-ary ops)."""
    domain = op.domain[min(k, len(op.domain) - 1)] if op.domain else (-math.inf, math.inf)
    kinks = op.kinks[min(k, len(op.kinks) - 1)] if op.kinks else ()
    return domain, kinks


def safe_intervals(op: OpSpec, k: int = 0, *, bound: float = BOUND, margin: float = MARGIN) -> List[Interval]:
    """Closed intervals where input ``k`` of ``op`` is at least ``margin`` from its kinks and domain edges.

    Read from the op table's ``domain`` and ``kinks`` and cut to ``[-bound, bound]``.
    For an n-ary op, ``k`` is the argument group.

    >>> safe_intervals("log")
    [(0.25, 4.0)]
    >>> safe_intervals("relu", margin=0.5)
    [(-4.0, -0.5), (0.5, 4.0)]
    >>> safe_intervals("div", 1)
    [(-4.0, -0.25), (0.25, 4.0)]
    """
    prim = primitive(op)
    (lo, hi), kinks = _slot(prim, k)
    lo = -bound if lo == -math.inf else max(_above(lo, margin), -bound)
    hi = bound if hi == math.inf else min(_below(hi, margin), bound)
    return _carve([(lo, hi)] if lo <= hi else [], kinks, margin)


def inside(x: float, intervals: Sequence[Interval]) -> bool:
    """Whether ``x`` lies in one of the closed ``intervals``."""
    return any(lo <= x <= hi for lo, hi in intervals)


def reals(min_value: float = -BOUND, max_value: float = BOUND, *, avoid: Iterable[float] = (),
          margin: float = MARGIN) -> SearchStrategy:
    """Finite floats in ``[min_value, max_value]``, at least ``margin`` from each point in ``avoid``.

    No NaN, infinities or subnormals: the inputs a gradient test wants.  Built
    as a union of intervals, so nothing is filtered.

    >>> from hypothesis import given
    >>> @given(reals(-2.0, 2.0, avoid=[0.0], margin=0.5))
    ... def test_clear_of_zero(x):
    ...     assert 0.5 <= abs(x) <= 2.0
    >>> test_clear_of_zero()
    """
    for name, v in (("min_value", min_value), ("max_value", max_value), ("margin", margin)):
        if not math.isfinite(v):
            raise ValueError(f"reals: {name} must be finite, got {v!r}")
    if min_value > max_value or margin < 0.0:
        raise ValueError(f"reals: need min_value <= max_value and margin >= 0, got {min_value!r}, "
                         f"{max_value!r}, margin={margin!r}")
    return union_of(_carve([(min_value, max_value)], avoid, margin), "reals")


def union_of(intervals: Sequence[Interval], where: str) -> SearchStrategy:
    """Finite floats from any of ``intervals``; ``where`` names the caller if there are none."""
    if not intervals:
        raise ValueError(f"{where}: no room left to draw from once the margins are taken out")
    return st.one_of(*(st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
                       for lo, hi in intervals))


def kink_margin(root: Value) -> float:
    """The smallest distance of any op argument in ``root``'s graph from that op's kinks or domain edges.

    ``inf`` if no op in the graph has a kink or a finite domain edge.  Use it
    to ``assume`` that finite differences cannot step over a kink, for graphs
    not drawn by :func:`~microgradlab.testing.expressions` (a network on drawn data, say).

    >>> x = Value(0.5)
    >>> kink_margin((x - 0.25).relu() + (x * 3.0).log())
    0.25
    """
    best = math.inf
    for node in walk(root):
        op = node.op
        if op is None:
            continue
        inputs = node.inputs
        groups = len(op.partials) if op.arity == 0 else len(inputs)
        for i, v in enumerate(inputs):
            (lo, hi), kinks = _slot(op, i * groups // len(inputs))
            x = v.data if isinstance(v, Value) else v
            best = min([best, x - lo, hi - x] + [abs(x - k) for k in kinks])
    return best
