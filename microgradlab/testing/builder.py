"""Drawing an expression tree bottom-up so that every op argument lands in its safe region.

Each drawn subexpression carries its value and gradient at the point, so
before it becomes input ``k`` of an op it can be scaled and shifted by drawn
constants into that input's safe region (see :mod:`microgradlab.testing`).
"""

from __future__ import annotations

import math
from typing import Any, List, Sequence, Tuple

from hypothesis import strategies as st

from .. import ops
from ..ops import SCALAR_MATH, Primitive
from .drawn import Apply, Constant, Input
from .regions import BOUND, Interval, inside, safe_intervals

__all__ = ["Builder"]

# Each op argument changes by at most this much per unit (relative) change of an input.
_STEEPNESS = 2.0 * BOUND
# Shifts are drawn from multiples of this (round numbers print legibly) ...
_GRID = 0.25
# ... and rounded to two decimals, which moves the shifted value by at most 0.005.
_SHIFT_DIGITS = 2
_SLACK = 0.01
_CONSTANTS = (1.0, 0.5, 2.0, -1.5, 3.0)

# A drawn subexpression: (node, value, gradient with respect to the point).
Drawn = Tuple[Any, float, List[float]]


class Builder:
    """Draws a tree bottom-up, tracking each subexpression's value and gradient at the point.

    ``draw`` is Hypothesis's draw function; every argument of a drawn op lies
    in ``[-bound, bound]`` and at least ``margin`` from its kinks and domain edges.
    """

    def __init__(self, draw: Any, point: Tuple[float, ...], bound: float, margin: float) -> None:
        self.draw = draw
        self.point = point
        self.bound = bound
        self.margin = margin
        self.weights = [max(1.0, abs(x)) for x in point]
        self.built: List[Drawn] = []  # drawn subexpressions, for reuse
        self.add = ops.get("add")
        self.mul = ops.get("mul")
        self.sub = ops.get("sub")

    def constant(self, c: float) -> Drawn:
        return Constant(c), c, [0.0] * len(self.point)

    def input(self, i: int) -> Drawn:
        return Input(i), self.point[i], [float(j == i) for j in range(len(self.point))]

    def leaf(self) -> Drawn:
        # Sometimes a subexpression drawn before: graphs then reuse interior nodes (x + x,
        # 1/x + 1/x), which tests that gradients accumulate instead of overwrite.
        if self.built and self.draw(st.integers(0, 5)) == 5:
            return self.draw(st.sampled_from(self.built))
        if self.draw(st.integers(0, 4)) == 4:
            return self.constant(self.draw(st.sampled_from(_CONSTANTS)))
        return self.input(self.draw(st.integers(0, len(self.point) - 1)))

    def combine(self, op: Primitive, args: Sequence[Any]) -> Drawn:
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
            if op.pairs and len(args[0]) > len(args[1]):  # a bias: the weight of a constant input 1
                _, bias, g = args[0][-1]
                _accumulate(gradient, op.partials[0](m, bias, 1.0, value), g)
            return self.built_as(Apply(op, tuple(tuple(n for n, _, _ in group) for group in args)), value,
                                 gradient)
        values = [v for _, v, _ in args]
        value = op.forward(*values)
        for partial, (_, _, g) in zip(op.partials, args):
            _accumulate(gradient, partial(m, *values, value), g)
        return self.built_as(Apply(op, tuple(n for n, _, _ in args)), value, gradient)

    def built_as(self, node: Any, value: float, gradient: List[float]) -> Drawn:
        self.built.append((node, value, gradient))
        return node, value, gradient

    def steepness(self, gradient: Sequence[float]) -> float:
        return max((abs(g) * w for g, w in zip(gradient, self.weights)), default=0.0)

    def adapt(self, arg: Drawn, op: Primitive, k: int) -> Drawn:
        """``arg``, scaled and shifted by drawn constants if needed, so that it is safe as input ``k`` of ``op``."""
        _, value, gradient = arg
        steep = self.steepness(gradient)
        if not (math.isfinite(value) and math.isfinite(steep)):
            raise ValueError(f"expressions: a subexpression fed to {op.name} is {value} (gradient {gradient}); "
                             "check the forward and derivative rules of the ops in it")
        safe = safe_intervals(op, k, bound=self.bound, margin=self.margin)
        if inside(value, safe) and steep <= _STEEPNESS:
            return arg
        digits = 0
        while abs(value) * 10.0 ** -digits > self.bound or steep * 10.0 ** -digits > _STEEPNESS:
            digits += 1
        if digits:
            arg = self.combine(self.mul, [arg, self.constant(10.0 ** -digits)])
            value = arg[1]
        if inside(value, safe):
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

    def tree(self, ops_: Sequence[Primitive], depth: int, root: bool = False) -> Drawn:
        """A subexpression at most ``depth`` ops deep (at least one op at the ``root``)."""
        # Integers shrink towards 0, so shrinking turns subtrees into leaves.
        if depth == 0 or (not root and self.draw(st.integers(0, 2)) == 0):
            return self.leaf()
        op = self.draw(st.sampled_from(ops_))
        if op.arity == 0:
            terms = self.draw(st.integers(1, 3))
            args = [[self.adapt(self.tree(ops_, depth - 1), op, g) for _ in range(terms)]
                    for g in range(len(op.partials))]
            if op.pairs and self.draw(st.booleans()):  # a bias: one more weight, whose input is 1
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
