"""``microgradlab.gradcheck``: finite differences, and comparing them with backprop.

Expected derivatives are written out by hand with the ``math`` module.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradlab import Value, apply, sin
from microgradlab.gradcheck import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    GradcheckError,
    Mismatch,
    default_eps,
    gradcheck,
    gradcheck_parameters,
    gradgradcheck,
    numerical_grad,
)
from microgradlab.testing import reals


def f_sin_y(x, y):
    return sin(x) * y


def df_sin_y(x, y):
    return [math.cos(x) * y, math.sin(x)]


# --- numerical_grad -------------------------------------------------------------------


# Central differences with the default step are good to about 4e-11 times the
# scale of f and f''' (both at most 4 here); forward differences to about
# 1.5e-8 * |f''| (at most 4).  The bounds leave a factor of 10 or more.
@given(reals(), reals())
def test_central_differences_match_the_exact_derivative(x, y):
    assert numerical_grad(f_sin_y, [x, y]) == pytest.approx(df_sin_y(x, y), rel=0, abs=2e-9)


@given(reals(), reals())
def test_forward_differences_are_the_seeds_quotient(x, y):
    # (L(w + h) - L(w)) / h with h = eps * max(1, |w|): recomputed here by hand.
    eps = 1e-5
    got = numerical_grad(f_sin_y, [x, y], eps=eps, method="forward")
    base = math.sin(x) * y
    hx, hy = eps * max(1.0, abs(x)), eps * max(1.0, abs(y))
    expected = [(math.sin(x + hx) * y - base) / ((x + hx) - x), (math.sin(x) * (y + hy) - base) / ((y + hy) - y)]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert numerical_grad(f_sin_y, [x, y], method="forward") == pytest.approx(df_sin_y(x, y), rel=0, abs=1e-6)


def test_default_steps_balance_truncation_and_rounding():
    assert default_eps("central") == pytest.approx(2.220446049250313e-16 ** (1 / 3))
    assert default_eps("forward") == pytest.approx(1.4901161193847656e-08)
    # A fixed tiny step loses digits to cancellation; the default does not.
    cube = lambda w: w * w * w  # noqa: E731
    exact = 3 * 0.7 ** 2
    assert abs(numerical_grad(cube, [0.7], eps=1e-12)[0] - exact) > 1e-6
    assert abs(numerical_grad(cube, [0.7])[0] - exact) < 1e-9


def test_the_step_is_relative_so_large_inputs_work():
    # An absolute step of 6e-6 would vanish next to 1e12 (x + h == x).
    assert numerical_grad(lambda x: x * x, [1e12]) == pytest.approx([2e12], rel=1e-9)
    assert numerical_grad(lambda x: x.log(), [1e8]) == pytest.approx([1e-8], rel=1e-9)


def test_numerical_grad_of_a_constant_function_is_zero():
    assert numerical_grad(lambda x, y: 3.0, [1.0, 2.0]) == [0.0, 0.0]
    assert numerical_grad(lambda: Value(1.0), []) == []


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: numerical_grad(f_sin_y, [1.0, 2.0], method="backward"), ValueError,
         "numerical_grad: method must be 'central' or 'forward', got 'backward'"),
        (lambda: gradgradcheck(f_sin_y, [1.0, 2.0], method="exact"), ValueError, "gradgradcheck: method"),
        (lambda: numerical_grad(f_sin_y, [1.0, 2.0], eps=0.0), ValueError, "eps must be"),
        (lambda: numerical_grad(f_sin_y, [1.0, 2.0], eps=2.0), ValueError, "eps must be"),
        (lambda: numerical_grad(f_sin_y, [1.0, math.nan]), ValueError, "input 1 is nan"),
        (lambda: numerical_grad(f_sin_y, [Value(1.0), 2.0]), TypeError, "use its .data"),
        (lambda: numerical_grad(f_sin_y, "12"), TypeError, "sequence of real numbers"),
        (lambda: numerical_grad(lambda x: "one", [1.0]), TypeError, "must return a Value"),
        (lambda: gradcheck(f_sin_y, [1.0, 2.0], atol=-1.0), ValueError, "atol=-1.0"),
    ],
)
def test_bad_arguments_are_named(call, error, words):
    with pytest.raises(error, match=words.replace(".", r"\.").replace("(", r"\(")):
        call()


def test_a_step_off_the_domain_is_reported_with_the_input_and_where_it_moved():
    with pytest.raises(ValueError, match=r"input 0 moved to -?[0-9.e-]+ failed .*log needs a positive input"):
        numerical_grad(lambda x: x.log(), [1e-7])


# --- gradcheck ------------------------------------------------------------------------


@given(reals(), reals())
def test_gradcheck_accepts_backprop_of_library_functions(x, y):
    assert gradcheck(f_sin_y, [x, y]) is True
    assert gradcheck(lambda a, b: (a * b).tanh() + a.sigmoid() * b.softplus(), [x, y]) is True


def test_gradcheck_leaves_closed_over_leaves_untouched():
    w = Value(2.0)
    w.grad = 5.0
    assert gradcheck(lambda x: (x * w).exp(), [0.3])
    assert (w.data, w.grad) == (2.0, 5.0)


def test_a_constant_function_passes():
    assert gradcheck(lambda x, y: 1.5, [1.0, 2.0])
    assert gradgradcheck(lambda x, y: 1.5, [1.0, 2.0])


def test_mismatch_lists_each_failing_input_with_its_numbers(define):
    # x² + y² whose rule for d/dy forgets the factor 2: input 1 fails, input 0 passes.
    define("tst_sq_norm", lambda x, y: x * x + y * y,
           (lambda m, x, y, out: 2.0 * x, lambda m, x, y, out: y))
    f = lambda x, y: apply("tst_sq_norm", x, y)  # noqa: E731
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [1.5, 2.0])
    err = info.value
    assert isinstance(err, AssertionError)
    assert [m.index for m in err.mismatches] == [1]
    (m,) = err.mismatches
    assert m.analytic == 2.0
    assert m.numeric == pytest.approx(4.0, abs=1e-9)
    assert m.abs_error == pytest.approx(2.0, abs=1e-9)
    assert m.rel_error == pytest.approx(0.5, abs=1e-9)
    text = str(err)
    assert "1 of 2 derivatives" in text and "x0=1.5, x1=2.0" in text
    assert "input 1: analytic 2, numeric 4, abs error 2, rel error 0.5" in text
    assert "input 0" not in text
    assert gradcheck(f, [1.5, 2.0], raise_exception=False) is False


def test_tolerances_follow_the_isclose_rule():
    # f(x) = x, but backprop sees x * (1 + 3e-6): the part taken back out goes
    # through .data, so the analytic slope is 3e-6 too large (numeric: 1 to 1e-10).
    f = lambda x: x * (1.0 + 3e-6) - Value(x.data * 3e-6)  # noqa: E731
    assert (DEFAULT_ATOL, DEFAULT_RTOL) == (1e-6, 1e-6)
    assert not gradcheck(f, [0.5], raise_exception=False)  # 3e-6 > 1e-6 + 1e-6 * |1|
    assert gradcheck(f, [0.5], atol=1e-6, rtol=2.5e-6)
    assert gradcheck(f, [0.5], atol=3.5e-6, rtol=0.0)
    assert not gradcheck(f, [0.5], atol=0.0, rtol=2.5e-6, raise_exception=False)


def test_a_non_finite_analytic_gradient_is_a_mismatch(define):
    define("tst_infinite_slope", lambda x: x, (lambda m, x, out: math.inf,))
    with pytest.raises(GradcheckError, match="input 0: analytic inf, numeric 1"):
        gradcheck(lambda x: apply("tst_infinite_slope", x), [1.0])


def test_rel_error_when_numeric_is_zero():
    assert Mismatch(0, 0.0, 0.0).rel_error == 0.0
    assert Mismatch(0, 1.0, 0.0).rel_error == math.inf
    assert Mismatch((0, 1), 1.0, 2.0).describe().startswith("d²f/dx0dx1: analytic 1, numeric 2")


# --- gradgradcheck --------------------------------------------------------------------


@given(reals(), reals())
def test_gradgradcheck_accepts_library_functions(x, y):
    assert gradgradcheck(f_sin_y, [x, y])
    assert gradgradcheck(lambda a, b: (a * b).tanh() + a.exp() / (b * b + 1.0), [x, y])


def test_gradgradcheck_catches_a_derivative_rule_that_cuts_the_graph(define):
    # x³ with d/dx = 3 x², written with x.data: right for backward, but under
    # create_graph the float is a constant, so d²/dx² comes out 0 instead of 6x.
    define("tst_cube_detached", lambda x: x ** 3, (lambda m, x, out: 3.0 * getattr(x, "data", x) ** 2,))
    f = lambda x, y: apply("tst_cube_detached", x) * y  # noqa: E731
    assert gradcheck(f, [1.5, 2.0])
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, [1.5, 2.0])
    bad = {m.index: m for m in info.value.mismatches}
    assert set(bad) == {(0, 0)}  # d²f/dx dy = 3x² is still right
    assert bad[(0, 0)].analytic == 0.0
    assert bad[(0, 0)].numeric == pytest.approx(6 * 1.5 * 2.0, rel=1e-8)
    assert "d²f/dx0dx0: analytic 0, numeric 18" in str(info.value)


# --- gradcheck_parameters --------------------------------------------------------------


@given(st.lists(st.tuples(reals(), reals()), min_size=1, max_size=5), reals(), reals())
def test_gradcheck_parameters_on_the_seeds_mse(data, w0, b0):
    # L = 1/(2n) Σ (y - ŷ)² for the line ŷ = w x + b.
    w, b = Value(w0), Value(b0)
    w.grad, b.grad = 7.0, -7.0

    def loss():
        return sum((y - (w * x + b)) ** 2 for x, y in data) / (2 * len(data))

    assert gradcheck_parameters(loss, [w, b])
    assert (w.data, b.data, w.grad, b.grad) == (w0, b0, 7.0, -7.0)


def test_gradcheck_parameters_reports_the_wrong_parameter(define):
    define("tst_sin_flipped", math.sin, (lambda m, x, out: -m.cos(x),))
    w, b = Value(0.5), Value(0.25)
    with pytest.raises(GradcheckError) as info:
        gradcheck_parameters(lambda: apply("tst_sin_flipped", w) + b * b, [w, b])
    (m,) = info.value.mismatches
    assert m.index == 0
    assert m.analytic == -math.cos(0.5)
    assert m.numeric == pytest.approx(math.cos(0.5), rel=1e-9)
    assert (w.data, b.data, w.grad, b.grad) == (0.5, 0.25, 0.0, 0.0)


def test_gradcheck_parameters_needs_leaves():
    x = Value(1.0)
    with pytest.raises(TypeError, match="parameter 1 must be a leaf Value"):
        gradcheck_parameters(lambda: x * x, [x, x * 2.0])
