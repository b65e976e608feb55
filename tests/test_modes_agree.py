"""One gradient semantics: plain backward, create_graph and nested grad agree to the bit.

On random expressions from the library's own strategies (which reuse leaves
and interior nodes, with numbers on either side of operators), and on the
edge cases of docs/backward-semantics.md: masks under infinite gradients,
overflowing derivatives, NaN inputs, exact zeros, domain errors.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradlab import Value, grad
from microgradlab.testing import expressions

EXAMPLES = 25 * settings.default.max_examples  # 5,000 per run under the ci profile

MODES = ("plain", "create_graph", "nested grad")


def bits(x):
    """A float's exact bits as text: NaN equals NaN, and the sign of zero counts."""
    return repr(float(x.data if isinstance(x, Value) else x))


def gradients(f, point, mode):
    """The gradient of ``f`` at ``point`` in one mode, as bits, or the name of the error it raised."""
    xs = [Value(x) for x in point]
    try:
        if mode == "nested grad":  # Value arguments: grad records a graph (create_graph inside)
            return [bits(g) for g in grad(f, argnums=tuple(range(len(xs))))(*xs)]
        f(*xs).backward(create_graph=mode == "create_graph")
        return [bits(x.grad) for x in xs]
    except (ArithmeticError, ValueError) as exc:
        return type(exc).__name__


def compiled_gradients(f, point):
    """The compiled path's gradient at ``point`` (a batch of one), or None where it cannot compile ``f``."""
    np = pytest.importorskip("numpy")
    from microgradlab.compile import CompileError, compile

    try:
        with np.errstate(all="ignore"):
            program = compile(f, tuple(point), check=False)
            result = program.value_and_grad(*[np.array([x]) for x in point], reduction="none", wrt_inputs=True)
    except (CompileError, ArithmeticError, ValueError):  # an error at a point is the scalar engine's to name
        return None
    return [float(g[0]) for g in result.inputs]


def close_with_the_same_pattern(got, want, exact_zeros=False):
    """Within 1e-12 relative, with NaN and ±inf exactly where the scalar engine has them.

    NumPy's and the math module's exp, sin ... may differ by an ulp, which a
    derivative near a zero (cos near π/2) turns into a larger relative error,
    and a batch adds terms in its own order: an absolute 1e-14 is allowed, so
    a zero that comes from cancelling terms may be 1e-27.  Zeros that a mask
    or an exact zero factor makes are exact on both paths (the edge cases).
    """
    for g, w in zip(got, [float(w) for w in want]):
        if math.isnan(w):
            assert math.isnan(g), (got, want)
        elif math.isinf(w) or (exact_zeros and w == 0.0):
            assert g == w, (got, want)
        else:  # a zero made by cancelling terms may come out as 1e-27 when they are added in another order
            assert math.isfinite(g) and math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-14), (got, want)


def assert_modes_agree(f, point, exact_zeros=False):
    results = {mode: gradients(f, point, mode) for mode in MODES}
    assert results["plain"] == results["create_graph"] == results["nested grad"], (point, results)
    if isinstance(results["plain"], list):
        got = compiled_gradients(f, point)
        if got is not None:
            close_with_the_same_pattern(got, results["plain"], exact_zeros)


@settings(max_examples=EXAMPLES)
@given(expressions(max_depth=3, n_inputs=st.integers(1, 3)))
def test_three_modes_agree_to_the_bit_on_random_expressions(expr):
    assert_modes_agree(expr, expr.point)


# Wrappers that push a drawn expression onto the rules' edges.
EDGES = {
    "as drawn": lambda y: y,
    "mask under an infinite slope": lambda y: y.relu().sqrt(),
    "mask on the other side": lambda y: (-y).relu().sqrt() * y,
    "zero times an infinite slope": lambda y: abs(y * 0.0).sqrt() + y,
    "overflowing slope": lambda y: (y * 1e-160).__abs__() ** -1.5,
    "exponent zero": lambda y: y ** 0.0 + (y * 0.0) ** 0.0,
    "large exp": lambda y: (y * 300.0).exp(),
    "domain edge": lambda y: (y * y).sqrt(),
}

POINTS = {
    "drawn": lambda x: x,
    "NaN": lambda x: math.nan,
    "zero": lambda x: 0.0,
    "negative zero": lambda x: -0.0,
    "tiny": lambda x: 1e-300,
    "infinite": lambda x: math.inf,
}


@settings(max_examples=EXAMPLES // 5)
@given(expressions(max_depth=2, n_inputs=st.integers(1, 2)), st.sampled_from(sorted(EDGES)),
       st.sampled_from(sorted(POINTS)), st.integers(0, 1))
def test_three_modes_agree_on_the_edges(expr, edge, change, which):
    point = list(expr.point)
    which = min(which, len(point) - 1)
    point[which] = POINTS[change](point[which])
    wrap = EDGES[edge]
    assert_modes_agree(lambda *xs: wrap(expr(*xs)), point, exact_zeros=edge != "as drawn")
