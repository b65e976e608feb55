"""Hypothesis strategies for testing gradients, driven by the op table.

Everything here reads :data:`microgradlab.ops.PRIMITIVES`: the ops to draw,
where each input is defined (``domain``), where it is not differentiable
(``kinks``) and how to print it (``template``).  So a primitive you add with
:func:`microgradlab.ops.define` is drawn, checked and printed like a built-in.

* :func:`reals` -- bounded finite floats, optionally kept away from some points;
* :func:`applications` -- one op applied to inputs drawn inside its domain;
* :func:`expressions` -- random computation graphs built from the op table,
  with an input point at which every op is differentiable with a margin;
* :func:`mlps`, :func:`mlp_data`, :func:`mlp_problems` -- small networks with
  seeded weights, and data for them;
* :func:`assert_gradients_match` -- one call for use inside ``@given`` tests;
* :func:`register_profiles`, :func:`load_profile` -- a fast ``dev`` and a
  thorough ``ci`` Hypothesis profile.

>>> from hypothesis import given, settings
>>> @settings(max_examples=20, database=None)
... @given(expressions(ops=["tanh", "mul", "log", "relu"], max_depth=3, n_inputs=2))
... def test_backprop(expr):
...     assert_gradients_match(expr)
>>> test_backprop()

How expressions stay differentiable
-----------------------------------
Expressions are built bottom-up at a drawn point, so the value and gradient
of every subexpression are known while it is built.  Before a subexpression
becomes input ``k`` of an op, it must lie in that input's *safe region*: the
op's ``domain[k]`` cut to ``[-bound, bound]``, with ``margin`` removed next to
each finite domain edge and each point of ``kinks[k]``.  When it does not,
the strategy does not reject the example; it repairs it with constants that
are part of the expression: a power-of-ten scale if the subexpression is too
large or too steep, then a shift, drawn from the round numbers that land in
the safe region (nearest first, so shrinking prefers small shifts), as in
``log(x0 * x1 + 3.25)``.  Every argument of a drawn op therefore lies within
``bound``, at least ``margin`` from any kink or domain edge, and changes by at
most ``8 * max(1, |x_j|)`` per unit change of input ``j``, so a finite-difference
step of relative size ``eps`` moves it by at most about ``8 * eps``: far less
than the margin for any sensible ``eps``.  (The scales and shifts are ``mul``,
``add`` and ``sub`` nodes, which have no kinks, so they need no such care.)
"""

from __future__ import annotations

import ast
import math
import os
from collections import namedtuple
from datetime import timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

try:
    from hypothesis import assume, settings
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # pragma: no cover - the test extra is missing
    raise ImportError("microgradlab.testing needs Hypothesis: pip install 'microgradlab[test]'") from exc

from . import ops
from .engine import Value, apply, walk
from .gradcheck import DEFAULT_ATOL, DEFAULT_RTOL, gradcheck, gradgradcheck
from .ops import SCALAR_MATH, Primitive

__all__ = [
    "BOUND",
    "MARGIN",
    "DrawnExpression",
    "reals",
    "safe_intervals",
    "applications",
    "expressions",
    "kink_margin",
    "mlps",
    "mlp_data",
    "mlp_problems",
    "MLPProblem",
    "assert_gradients_match",
    "PROFILES",
    "register_profiles",
    "profile_name",
    "load_profile",
]

BOUND = 4.0
"""Default bound on inputs and on every op argument: ``exp`` stays below 55, ``x ** y`` below 300."""

MARGIN = 0.25
"""Default distance of every op argument from the op's kinks and finite domain edges."""

# Each op argument changes by at most this much per unit (relative) change of an input.
_STEEPNESS = 2.0 * BOUND
# Shifts are drawn from multiples of this (round numbers print legibly) ...
_GRID = 0.25
# ... and rounded to two decimals, which moves the shifted value by at most 0.005.
_SHIFT_DIGITS = 2
_SLACK = 0.01
_CONSTANTS = (1.0, 0.5, 2.0, -1.5, 3.0)

Interval = Tuple[float, float]
OpSpec = Union[str, Primitive]


def _as_strategy(x: Any) -> SearchStrategy:
    return x if isinstance(x, SearchStrategy) else st.just(x)


def _primitive(op: OpSpec) -> Primitive:
    return ops.get(op) if isinstance(op, str) else op


# --- regions where an op input is safe ----------------------------------------------


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

    >>> safe_intervals("log")
    [(0.25, 4.0)]
    >>> safe_intervals("relu", margin=0.5)
    [(-4.0, -0.5), (0.5, 4.0)]
    >>> safe_intervals("div", 1)
    [(-4.0, -0.25), (0.25, 4.0)]
    """
    prim = _primitive(op)
    (lo, hi), kinks = _slot(prim, k)
    lo = -bound if lo == -math.inf else max(_above(lo, margin), -bound)
    hi = bound if hi == math.inf else min(_below(hi, margin), bound)
    return _carve([(lo, hi)] if lo <= hi else [], kinks, margin)


def _inside(x: float, intervals: Sequence[Interval]) -> bool:
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
    return _union(_carve([(min_value, max_value)], avoid, margin), "reals")


def _union(intervals: Sequence[Interval], where: str) -> SearchStrategy:
    if not intervals:
        raise ValueError(f"{where}: no room left to draw from once the margins are taken out")
    return st.one_of(*(st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
                       for lo, hi in intervals))


# --- expressions -------------------------------------------------------------------------


class _Input:
    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value


class _Apply:
    """``op`` applied to ``args``: one node per input, or (n-ary ops) one tuple of nodes per argument group."""

    __slots__ = ("op", "args")

    def __init__(self, op: Primitive, args: Tuple[Any, ...]) -> None:
        self.op = op
        self.args = args


def _evaluate(node: Any, xs: Sequence[Any], done: Optional[Dict[int, Any]] = None) -> Any:
    """The Value (or number) of ``node``; a subexpression drawn twice is evaluated once, so graphs share it."""
    if type(node) is _Input:
        return xs[node.index]
    if type(node) is _Constant:
        return node.value
    done = {} if done is None else done
    if id(node) not in done:
        if node.op.arity == 0:
            groups = [[_evaluate(a, xs, done) for a in group] for group in node.args]
            if _has_bias(node):
                groups = [groups[0][:-1], groups[1], groups[0][-1]]
            done[id(node)] = apply(node.op, *groups)
        else:
            done[id(node)] = apply(node.op, *(_evaluate(a, xs, done) for a in node.args))
    return done[id(node)]


def _has_bias(node: _Apply) -> bool:
    """A dot whose weights are one more than its inputs: the last weight is a bias (its input is 1)."""
    return len(node.args) == 2 and len(node.args[0]) > len(node.args[1])


def _text(node: Any) -> str:
    """Source text with every operand parenthesised (tidied once at the root)."""
    if type(node) is _Input:
        return f"x{node.index}"
    if type(node) is _Constant:
        return f"({node.value!r})"
    if node.op.arity == 0:
        parts = [", ".join(f"({_text(a)})" for a in group) for group in node.args]
        if _has_bias(node):
            weights = ", ".join(f"({_text(a)})" for a in node.args[0][:-1])
            return f"dot([{weights}], [{parts[1]}], ({_text(node.args[0][-1])}))"
    else:
        parts = [f"({_text(a)})" for a in node.args]
    return node.op.format(*parts)


def _walk(node: Any) -> Iterable[_Apply]:
    stack, seen = [node], set()
    while stack:
        node = stack.pop()
        if type(node) is _Apply and id(node) not in seen:
            seen.add(id(node))
            yield node
            for a in node.args:
                stack.extend(a if node.op.arity == 0 else (a,))


class DrawnExpression:
    """A drawn computation graph with the input point it was drawn at.

    Call it with one Value per input (it returns a Value) or with numbers (it
    returns a float).  ``source`` is readable source text built from each
    primitive's ``template``; ``repr`` shows it with the point, so a failing
    Hypothesis example prints legibly.

    Attributes:
        source: e.g. ``"tanh(x0 * x1) + log(x0 + 2.5)"``.
        point: the drawn inputs ``(x0, x1, ...)``, at which every op is
            differentiable with a margin.
        n_inputs: how many inputs it takes.
        size: how many op applications it has.
        op_names: the names of the primitives it uses.
    """

    def __init__(self, root: Any, point: Sequence[float]) -> None:
        self._root = root
        self.point: Tuple[float, ...] = tuple(point)
        self.n_inputs = len(self.point)
        applications = list(_walk(root))
        self.size = len(applications)
        self.op_names = frozenset(a.op.name for a in applications)
        self._source: Optional[str] = None

    @property
    def source(self) -> str:
        if self._source is None:
            text = _text(self._root)
            try:  # parsing and unparsing drops the parentheses Python does not need
                text = ast.unparse(ast.parse(text, mode="eval"))
            except SyntaxError:  # a template that is not Python: keep every parenthesis
                pass
            self._source = text
        return self._source

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.n_inputs:
            raise TypeError(f"{self.source} takes {self.n_inputs} input(s), got {len(xs)}")
        if any(isinstance(x, Value) for x in xs):
            return _evaluate(self._root, xs)
        out = _evaluate(self._root, [Value(x) for x in xs])
        return out.data if isinstance(out, Value) else float(out)

    def __repr__(self) -> str:
        return f"DrawnExpression({self.source!r}, point={self.point!r})"


class _Builder:
    """Draws a tree bottom-up, tracking each subexpression's value and gradient at the point."""

    def __init__(self, draw: Any, point: Tuple[float, ...], bound: float, margin: float) -> None:
        self.draw = draw
        self.point = point
        self.bound = bound
        self.margin = margin
        self.weights = [max(1.0, abs(x)) for x in point]
        self.built: List[Tuple[Any, float, List[float]]] = []  # drawn subexpressions, for reuse
        self.add = ops.get("add")
        self.mul = ops.get("mul")
        self.sub = ops.get("sub")

    # A drawn subexpression is a triple (node, value, gradient with respect to the point).

    def constant(self, c: float) -> Tuple[Any, float, List[float]]:
        return _Constant(c), c, [0.0] * len(self.point)

    def input(self, i: int) -> Tuple[Any, float, List[float]]:
        return _Input(i), self.point[i], [float(j == i) for j in range(len(self.point))]

    def leaf(self) -> Tuple[Any, float, List[float]]:
        # Sometimes a subexpression drawn before: graphs then reuse interior nodes (x + x,
        # 1/x + 1/x), which tests that gradients accumulate instead of overwrite.
        if self.built and self.draw(st.integers(0, 5)) == 5:
            return self.draw(st.sampled_from(self.built))
        if self.draw(st.integers(0, 4)) == 4:
            return self.constant(self.draw(st.sampled_from(_CONSTANTS)))
        return self.input(self.draw(st.integers(0, len(self.point) - 1)))

    def combine(self, op: Primitive, args: Sequence[Any]) -> Tuple[Any, float, List[float]]:
        """Apply ``op`` to drawn subexpressions: forward rule for the value, partials for the gradient."""
        m = SCALAR_MATH
        gradient = [0.0] * len(self.point)
        if op.arity == 0:  # a sum over terms; each term takes one element of every argument group
            groups = [[v for _, v, _ in group] for group in args]
            value = op.forward(*groups)
            terms = [[(v, g) for _, v, g in group] for group in args]
            for term in zip(*terms):
                values = [v for v, _ in term]
                for partial, (_, g) in zip(op.partials, term):
                    _accumulate(gradient, partial(m, *values, value), g)
            if len(args) == 2 and len(args[0]) > len(args[1]):  # dot's bias: one weight more, slope 1
                _accumulate(gradient, 1.0, args[0][-1][2])
            return self.built_as(_Apply(op, tuple(tuple(n for n, _, _ in group) for group in args)), value,
                                 gradient)
        values = [v for _, v, _ in args]
        value = op.forward(*values)
        for partial, (_, _, g) in zip(op.partials, args):
            _accumulate(gradient, partial(m, *values, value), g)
        return self.built_as(_Apply(op, tuple(n for n, _, _ in args)), value, gradient)

    def built_as(self, node: Any, value: float, gradient: List[float]) -> Tuple[Any, float, List[float]]:
        self.built.append((node, value, gradient))
        return node, value, gradient

    def steepness(self, gradient: Sequence[float]) -> float:
        return max((abs(g) * w for g, w in zip(gradient, self.weights)), default=0.0)

    def adapt(self, arg: Tuple[Any, float, List[float]], op: Primitive, k: int) -> Tuple[Any, float, List[float]]:
        """``arg``, scaled and shifted by drawn constants if needed, so that it is safe as input ``k`` of ``op``."""
        _, value, gradient = arg
        steep = self.steepness(gradient)
        if not (math.isfinite(value) and math.isfinite(steep)):
            raise ValueError(f"expressions: a subexpression fed to {op.name} is {value} (gradient {gradient}); "
                             "check the forward and derivative rules of the ops in it")
        safe = safe_intervals(op, k, bound=self.bound, margin=self.margin)
        if _inside(value, safe) and steep <= _STEEPNESS:
            return arg
        digits = 0
        while abs(value) * 10.0 ** -digits > self.bound or steep * 10.0 ** -digits > _STEEPNESS:
            digits += 1
        if digits:
            arg = self.combine(self.mul, [arg, self.constant(10.0 ** -digits)])
            value = arg[1]
        if _inside(value, safe):
            return arg
        targets = _targets(safe, value)
        if not targets:
            raise ValueError(f"expressions: input {k} of {op.name} has no room in [-{self.bound}, {self.bound}] "
                             f"at margin {self.margin} from its kinks and domain edges; "
                             "try a larger bound or a smaller margin")
        target = self.draw(st.sampled_from(targets))
        shift = round(target - value, _SHIFT_DIGITS)
        # x - 0.5 reads better than x + -0.5
        return self.combine(*((self.add, [arg, self.constant(shift)]) if shift >= 0.0 else
                              (self.sub, [arg, self.constant(-shift)])))

    def tree(self, ops_: Sequence[Primitive], depth: int, root: bool = False) -> Tuple[Any, float, List[float]]:
        # Integers shrink towards 0, so shrinking turns subtrees into leaves.
        if depth == 0 or (not root and self.draw(st.integers(0, 2)) == 0):
            return self.leaf()
        op = self.draw(st.sampled_from(ops_))
        if op.arity == 0:
            terms = self.draw(st.integers(1, 3))
            args = [[self.adapt(self.tree(ops_, depth - 1), op, g) for _ in range(terms)]
                    for g in range(len(op.partials))]
            if op.name == "dot" and self.draw(st.booleans()):  # a bias: one more weight, whose input is 1
                args[0].append(self.adapt(self.tree(ops_, depth - 1), op, 0))
        else:
            args = [self.adapt(self.tree(ops_, depth - 1), op, k) for k in range(op.arity)]
        return self.combine(op, args)


def _accumulate(total: List[float], scale: float, gradient: Sequence[float]) -> None:
    for j, g in enumerate(gradient):
        if g:
            total[j] += scale * g


def _targets(safe: Sequence[Interval], near: float) -> List[float]:
    """Round numbers in ``safe`` (with room for the rounding of a shift), nearest to ``near`` first."""
    points = []
    for lo, hi in safe:
        lo, hi = lo + _SLACK, hi - _SLACK
        if lo <= hi:  # a narrow interval without a round number still offers its midpoint
            points += [k * _GRID for k in range(math.ceil(lo / _GRID), math.floor(hi / _GRID) + 1)] or [(lo + hi) / 2]
    return sorted(points, key=lambda t: (abs(t - near), t))


def _op_list(ops_: Optional[Iterable[OpSpec]], where: str) -> List[Primitive]:
    chosen = [_primitive(op) for op in (ops.PRIMITIVES.values() if ops_ is None else ops_)]
    if not chosen:
        raise ValueError(f"{where}: ops must name at least one primitive")
    return chosen


def expressions(ops: Optional[Iterable[OpSpec]] = None, *, max_depth: int = 3,
                n_inputs: Union[int, SearchStrategy] = 2, bound: float = BOUND,
                margin: float = MARGIN) -> SearchStrategy:
    """Random computation graphs from the op table, as :class:`DrawnExpression` objects with their point.

    Args:
        ops: primitives (or their names) to draw from; default: every entry
            of ``ops.PRIMITIVES`` when this function is called.  The scales
            and shifts that keep ops in their safe regions are ``mul``,
            ``add`` and ``sub`` nodes, whatever ``ops`` says.
        max_depth: the longest chain of drawn ops (at least 1; the root is always an op).
        n_inputs: how many inputs (an int or a strategy of ints).
        bound: the inputs, and every argument of a drawn op, lie in ``[-bound, bound]``.
        margin: every argument of a drawn op is at least this far from the
            op's kinks and finite domain edges.

    See the module docs for how the point is kept safe without filtering.

    A negative ``x0`` is shifted into ``log``'s domain by a drawn constant:

    >>> from hypothesis import find
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
    n_strategy = _as_strategy(n_inputs)
    reals(-bound, bound, margin=margin)  # validates bound and margin now rather than at draw time

    @st.composite
    def draw_expression(draw: Any) -> DrawnExpression:
        n = draw(n_strategy)
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"expressions: n_inputs must be a positive int, got {n!r}")
        point = tuple(draw(reals(-bound, bound)) for _ in range(n))
        root, _, _ = _Builder(draw, point, bound, margin).tree(chosen, max_depth, root=True)
        return DrawnExpression(root, point)

    return draw_expression()


def applications(op: OpSpec, *, bound: float = BOUND, margin: float = MARGIN,
                 max_terms: int = 4) -> SearchStrategy:
    """``op`` applied directly to its inputs ``x0, x1, ...``, at a point inside its safe region.

    For the n-ary ``sum`` and ``dot`` the number of terms is drawn up to
    ``max_terms``.  The per-op counterpart of :func:`expressions`, for testing
    each entry of the op table on its own.

    >>> from hypothesis import find
    >>> expr = find(applications("div"), lambda e: True)
    >>> expr.source, abs(expr.point[1]) >= MARGIN   # the divisor stays clear of 0
    ('x0 / x1', True)
    >>> find(applications("dot"), lambda e: e.n_inputs == 4).source
    'dot([x0, x1], [x2, x3])'
    """
    prim = _primitive(op)
    if prim.arity:
        groups: SearchStrategy = st.just(None)
        slots = list(range(prim.arity))
    else:
        groups = st.integers(1, max_terms)
        slots = list(range(len(prim.partials)))
    regions = [_union(safe_intervals(prim, k, bound=bound, margin=margin), f"applications({prim.name})")
               for k in slots]

    @st.composite
    def draw_application(draw: Any) -> DrawnExpression:
        terms = draw(groups)
        if terms is None:
            point = [draw(region) for region in regions]
            return DrawnExpression(_Apply(prim, tuple(_Input(k) for k in slots)), point)
        point = [draw(region) for region in regions for _ in range(terms)]
        args = tuple(tuple(_Input(g * terms + t) for t in range(terms)) for g in slots)
        return DrawnExpression(_Apply(prim, args), point)

    return draw_application()


def kink_margin(root: Value) -> float:
    """The smallest distance of any op argument in ``root``'s graph from that op's kinks or domain edges.

    ``inf`` if no op in the graph has a kink or a finite domain edge.  Use it
    to ``assume`` that finite differences cannot step over a kink, for graphs
    not drawn by :func:`expressions` (a network on drawn data, say).

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


# --- networks ----------------------------------------------------------------------------


MLPProblem = namedtuple("MLPProblem", ["model", "inputs", "targets"])
MLPProblem.__doc__ = """A network with data for it: ``inputs[i]`` is a list of ``nin`` floats, ``targets[i]`` a float
(one output) or a list of ``nout`` floats, matching what ``model(inputs[i])`` returns."""


def mlps(nin: Union[int, SearchStrategy] = st.integers(1, 3), *,
         hidden: Union[Sequence[int], SearchStrategy] = st.lists(st.integers(1, 4), max_size=2),
         nout: Union[int, SearchStrategy] = 1, activations: Sequence[str] = ("relu", "tanh", "sigmoid"),
         output_activations: Sequence[Optional[str]] = (None,),
         inits: Sequence[str] = ("uniform", "xavier", "he")) -> SearchStrategy:
    """Small :class:`microgradlab.nn.MLP` networks with seeded weights.

    Draws the hidden layer sizes, the activations, the initialisation and the
    seed (reproducible weights; shrinking moves the seed towards 0).  ``nin``,
    ``hidden`` and ``nout`` may be fixed values or strategies.
    ``microgradlab.nn`` is imported when a network is drawn.
    """
    nin_s, hidden_s, nout_s = _as_strategy(nin), _as_strategy(hidden), _as_strategy(nout)

    @st.composite
    def draw_mlp(draw: Any) -> Any:
        from . import nn  # nn sits above this module's dependencies; only the strategy needs it

        return nn.MLP(draw(nin_s), list(draw(hidden_s)) + [draw(nout_s)],
                      activation=draw(st.sampled_from(list(activations))),
                      output_activation=draw(st.sampled_from(list(output_activations))),
                      init=draw(st.sampled_from(list(inits))), seed=draw(st.integers(0, 2**32 - 1)))

    return draw_mlp()


def mlp_data(nin: int, nout: int = 1, n_samples: Union[int, SearchStrategy] = st.integers(1, 4), *,
             bound: float = BOUND) -> SearchStrategy:
    """``(inputs, targets)`` for a network with ``nin`` inputs and ``nout`` outputs.

    >>> from hypothesis import find
    >>> inputs, targets = find(mlp_data(2, n_samples=3), lambda d: True)
    >>> [len(x) for x in inputs], len(targets)
    ([2, 2, 2], 3)
    """
    values = reals(-bound, bound)
    target = values if nout == 1 else st.lists(values, min_size=nout, max_size=nout)

    @st.composite
    def draw_data(draw: Any) -> Tuple[List[List[float]], List[Any]]:
        n = draw(_as_strategy(n_samples))
        inputs = draw(st.lists(st.lists(values, min_size=nin, max_size=nin), min_size=n, max_size=n))
        targets = draw(st.lists(target, min_size=n, max_size=n))
        return inputs, targets

    return draw_data()


def mlp_problems(nin: Union[int, SearchStrategy] = st.integers(1, 3), nout: Union[int, SearchStrategy] = 1,
                 n_samples: Union[int, SearchStrategy] = st.integers(1, 4), *, margin: float = 1e-3,
                 **mlp_options: Any) -> SearchStrategy:
    """:class:`MLPProblem` examples: a network from :func:`mlps` and data from :func:`mlp_data`.

    Examples where some op of the network, run on the data, is within
    ``margin`` of a kink (a relu input near 0) are rejected, so finite
    differences never step over one; that is rare, as weights and data are
    continuous draws.  ``mlp_options`` go to :func:`mlps`.
    """
    nin_s, nout_s = _as_strategy(nin), _as_strategy(nout)

    @st.composite
    def draw_problem(draw: Any) -> MLPProblem:
        n_in, n_out = draw(nin_s), draw(nout_s)
        model = draw(mlps(n_in, nout=n_out, **mlp_options))
        inputs, targets = draw(mlp_data(n_in, n_out, n_samples))
        for x in inputs:
            outputs = model(x)
            for out in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                assume(kink_margin(out) > margin)
        return MLPProblem(model, inputs, targets)

    return draw_problem()


# --- assertions --------------------------------------------------------------------------


def assert_gradients_match(f: Any, xs: Optional[Sequence[float]] = None, *, order: int = 1,
                           eps: Optional[float] = None, atol: float = DEFAULT_ATOL,
                           rtol: float = DEFAULT_RTOL, method: str = "central") -> None:
    """Assert that backprop agrees with finite differences for ``f`` at ``xs``.

    For use inside ``@given`` tests.  ``xs`` defaults to ``f.point`` (a
    :class:`DrawnExpression` carries its point).  ``order=2`` also checks second
    derivatives (:func:`~microgradlab.gradcheck.gradgradcheck`).  Raises
    :class:`~microgradlab.gradcheck.GradcheckError`, an ``AssertionError``
    listing each failing input, on a mismatch.

    >>> assert_gradients_match(lambda x, y: x.sin() * y, [0.5, 2.0], order=2)
    """
    if xs is None:
        xs = getattr(f, "point", None)
        if xs is None:
            raise TypeError("assert_gradients_match: pass xs, or an f that carries its point (a DrawnExpression)")
    if order not in (1, 2):
        raise ValueError(f"assert_gradients_match: order must be 1 or 2, got {order!r}")
    options = dict(eps=eps, atol=atol, rtol=rtol, method=method)
    gradcheck(f, xs, **options)
    if order == 2:
        gradgradcheck(f, xs, **options)


# --- Hypothesis profiles -----------------------------------------------------------------

PROFILE_ENV = "HYPOTHESIS_PROFILE"

PROFILES: Mapping[str, Mapping[str, Any]] = {
    # Quick feedback while editing: few examples, and a deadline that catches
    # accidental slowness without tripping over a busy machine.
    "dev": {"max_examples": 20, "deadline": timedelta(seconds=1)},
    # CI: ten times the examples, the same examples on every run (no flaky
    # reds, no example database to carry between machines), and no deadline
    # (shared CI machines have erratic timing).
    "ci": {"max_examples": 200, "derandomize": True, "database": None, "deadline": None, "print_blob": True},
}


def register_profiles() -> None:
    """Register the :data:`PROFILES` (``dev`` and ``ci``) with Hypothesis."""
    for name, options in PROFILES.items():
        settings.register_profile(name, **options)


def profile_name(environ: Optional[Mapping[str, str]] = None) -> str:
    """The profile to use: ``$HYPOTHESIS_PROFILE``, else ``ci`` if ``$CI`` is true, else ``dev``.

    ``CI`` counts as true unless it is empty, ``0``, ``false``, ``no`` or ``off``.

    >>> profile_name({}), profile_name({"CI": "true"}), profile_name({"CI": "0"})
    ('dev', 'ci', 'dev')
    >>> profile_name({"CI": "1", "HYPOTHESIS_PROFILE": "dev"})
    'dev'
    """
    env = os.environ if environ is None else environ
    chosen = env.get(PROFILE_ENV, "").strip()
    if chosen:
        return chosen
    ci = env.get("CI", "").strip().lower()
    return "ci" if ci not in ("", "0", "false", "no", "off") else "dev"


def load_profile(environ: Optional[Mapping[str, str]] = None) -> str:
    """Register the profiles, load the one :func:`profile_name` chooses, and return its name.

    An unknown name is a ``ValueError`` and leaves the loaded profile as it was.
    """
    register_profiles()
    name = profile_name(environ)
    try:
        # Checked first: Hypothesis's load_profile records an unknown name as current
        # before failing, which breaks every later register_profile.
        settings.get_profile(name)
    except InvalidArgument:
        raise ValueError(f"{PROFILE_ENV}={name!r} is not a registered Hypothesis profile; "
                         f"use one of {', '.join(sorted(PROFILES))} or register it first") from None
    settings.load_profile(name)
    return name
from .engine_check import EngineReport, assert_engine_correct, check_engine  # noqa: E402  (grading engines)
