"""The rule checker: each primitive's array rules against its scalar rules, at compile time."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from ..ops import SCALAR_MATH, Constant, Factor
from .errors import CompileError
from .lower import ArrayMath, StepGroup, MapStep, ReduceStep
from .trace import Program

# An array rule may differ from the scalar rule by rounding only.
_RULE_RTOL = 1e-9


def check_array_rules(np: Any, m: ArrayMath, groups: Sequence[StepGroup], program: Program,
                 members_of: Dict[int, List[Tuple[Tuple[int, ...], int]]]) -> None:
    """Each primitive's array rules against its scalar rules, on the traced values of its first group.

    The values are laid out as at run time, with two identical rows, so that a
    rule that only works on one number (``math.cos`` instead of ``m.cos``) fails here.
    """
    seen = set()
    for group in groups:
        prim = group.prim
        if not isinstance(group, (MapStep, ReduceStep)) or prim.name in seen:
            continue
        seen.add(prim.name)
        members = members_of[group.out]
        at = program.at  # each node's inputs and value, as the scalar engine computed them
        expected = np.asarray([[at[out][1] for _, out in members]] * 2)
        if isinstance(group, MapStep):
            arrays = [np.asarray([[at[out][0][i] for _, out in members]] * 2) for i in range(prim.arity)]
            # (index into a partial's result, scalar inputs, scalar output) for each node
            points = [((slice(None), j), tuple(float(a[0, j]) for a in arrays), expected[0, j])
                      for j in range(len(members))]
        else:  # one array (n, 2, nodes) per argument group; the traced inputs are the groups one after another
            n = group.n
            arrays = [np.asarray([[[at[out][0][k * n + i] for _, out in members]] * 2 for i in range(n)])
                      for k in range(len(group.operands))]
            points = [((i, slice(None), j), tuple(float(a[i, 0, j]) for a in arrays), expected[0, j])
                      for i in range(n) for j in range(len(members))]
        try:
            with np.errstate(all="ignore"):
                got = np.asarray(prim.array_forward(np, *arrays), dtype=float)
        except Exception as exc:
            raise CompileError(f"compile: the array_forward of op {prim.name!r} fails on NumPy arrays: "
                               f"{type(exc).__name__}: {exc}") from exc
        # where an input is NaN or infinite the traced example says nothing about the rules
        finite = np.logical_and.reduce([np.isfinite(a).all(axis=0) if isinstance(group, ReduceStep) else np.isfinite(a)
                                        for a in arrays])
        _agree(np, got, expected, finite, f"the array_forward of op {prim.name!r}")
        for i, rule in enumerate(prim.partials):
            if isinstance(rule, (Constant, Factor)):
                continue
            what = f"derivative rule {i} of op {prim.name!r}"
            try:
                with np.errstate(all="ignore"):
                    got = np.asarray(rule(m, *arrays, expected), dtype=float)
                    got = np.broadcast_to(got, np.broadcast_shapes(got.shape, arrays[0].shape, expected.shape))
            except Exception as exc:
                raise CompileError(
                    f"compile: {what} fails on NumPy arrays ({type(exc).__name__}: {exc}); write it with the "
                    "functions of its m argument (m.exp, m.log, m.step, ...) and arithmetic, so it works on "
                    "floats, Values and arrays") from exc
            want = got.copy()
            for index, xs, out in points:
                try:
                    want[index] = rule(SCALAR_MATH, *xs, float(out))
                except (ArithmeticError, ValueError):
                    pass  # undefined here for the scalar rule too
            _agree(np, got, want, finite, what)


def _agree(np: Any, got: Any, want: Any, finite: Any, what: str) -> None:
    if got.shape != want.shape:
        raise CompileError(f"compile: {what} returned shape {got.shape}, expected {want.shape}")
    close = np.isclose(got, want, rtol=_RULE_RTOL, atol=1e-300, equal_nan=True) | ~finite
    if not close.all():
        j = int(np.flatnonzero(~close.ravel())[0])
        raise CompileError(f"compile: {what} disagrees with the scalar rule: "
                           f"{float(got.ravel()[j])!r} instead of {float(want.ravel()[j])!r}")

