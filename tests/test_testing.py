"""``microgradlab.testing``: the strategies keep their promises, and the tools can fail.

The second half plants primitives with wrong derivative rules and checks that
``gradcheck``, ``assert_gradients_match`` and Hypothesis find each one and
shrink it to a small expression.
"""

from __future__ import annotations

import importlib.util
import math
import re

import pytest
from hypothesis import HealthCheck, Phase, assume, find, given, settings
from hypothesis import strategies as st

from microgradlab import Value, apply, ops
from microgradlab.gradcheck import GradcheckError, gradcheck, gradcheck_parameters, gradgradcheck
from microgradlab.testing import (
    BOUND,
    MARGIN,
    PROFILES,
    DrawnExpression,
    applications,
    assert_gradients_match,
    expressions,
    kink_margin,
    load_profile,
    mlp_data,
    mlp_problems,
    mlps,
    profile_name,
    reals,
    safe_intervals,
)

needs_nn = pytest.mark.skipif(importlib.util.find_spec("microgradlab.nn") is None,
                              reason="microgradlab.nn is not written yet")

OP_NAMES = sorted(ops.PRIMITIVES)  # built-ins only: planted ops are removed after each test
SHIFTS = {"add", "sub", "mul"}  # the ops expressions() uses for its scales and shifts
# Searches for planted bugs: the same examples every run, whatever the profile.
SEARCH = settings(database=None, derandomize=True, max_examples=1000)
# For find() where any example will do: no shrinking, which is most of find's time.
ANY = settings(SEARCH, phases=[Phase.generate])


def distance_to_trouble(op, k, x):
    """How far x is from the kinks and finite domain edges of input k of op, read from the table."""
    (lo, hi), kinks = op.domain[min(k, len(op.domain) - 1)], op.kinks[min(k, len(op.kinks) - 1)]
    return min([x - lo, hi - x] + [abs(x - p) for p in kinks])


# --- reals and safe regions -------------------------------------------------------------


@given(reals())
def test_reals_default_to_the_bound(x):
    assert -BOUND <= x <= BOUND and math.isfinite(x)


@given(reals(-1.0, 3.0, avoid=[0.0, 2.0], margin=0.3))
def test_reals_keep_clear_of_avoided_points(x):
    assert -1.0 <= x <= 3.0
    assert abs(x) >= 0.3 and abs(x - 2.0) >= 0.3


@pytest.mark.parametrize("kwargs, words", [
    ({"min_value": 1.0, "max_value": 0.0}, "min_value <= max_value"),
    ({"max_value": math.inf}, "max_value must be finite"),
    ({"min_value": -0.1, "max_value": 0.1, "avoid": [0.0]}, "no room left"),
])
def test_reals_reject_impossible_requests(kwargs, words):
    with pytest.raises(ValueError, match=words):
        reals(**kwargs)


def test_safe_intervals_read_the_table():
    assert safe_intervals("log") == [(0.25, 4.0)]
    assert safe_intervals("sqrt", margin=0.5, bound=2.0) == [(0.5, 2.0)]
    assert safe_intervals("exp", bound=10.0) == [(-10.0, 10.0)]  # the edge at 700 is out of reach
    assert safe_intervals("exp", bound=1000.0) == [(-1000.0, 699.75)]
    assert safe_intervals("relu") == [(-4.0, -0.25), (0.25, 4.0)]
    assert safe_intervals("div", 0) == [(-4.0, 4.0)]
    assert safe_intervals("div", 1) == [(-4.0, -0.25), (0.25, 4.0)]
    assert safe_intervals("pow", 0) == [(0.25, 4.0)] and safe_intervals("pow", 1) == [(-4.0, 4.0)]
    assert safe_intervals("leaky_relu", 1) == [(-4.0, 4.0)]  # the slope has no kink


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_applications_draw_points_clear_of_kinks_and_domain_edges(name, data):
    op = ops.get(name)
    expr = data.draw(applications(name))
    groups = op.arity or len(op.partials)
    terms = expr.n_inputs // groups
    for i, x in enumerate(expr.point):
        assert abs(x) <= BOUND
        assert distance_to_trouble(op, i // terms, x) >= MARGIN
    assert expr.op_names == {name} and expr.size == 1
    assert expr(*expr.point) == expr(*map(Value, expr.point)).data


def test_applications_print_with_the_template():
    assert find(applications("leaky_relu"), lambda e: True, settings=ANY).source == "leaky_relu(x0, x1)"
    assert find(applications("sum"), lambda e: e.n_inputs == 3, settings=ANY).source == "vsum([x0, x1, x2])"
    assert find(applications("neg"), lambda e: True, settings=ANY).source == "-x0"


# --- expressions ------------------------------------------------------------------------


@given(expressions(n_inputs=st.integers(1, 3), max_depth=4))
def test_every_op_in_a_drawn_expression_is_clear_of_its_kinks(expr):
    out = expr(*map(Value, expr.point))
    assert kink_margin(out) >= MARGIN
    assert math.isfinite(out.data)


@given(expressions(n_inputs=st.integers(1, 3)))
def test_drawn_expressions_give_the_same_value_on_floats_and_on_values(expr):
    values = [Value(x) for x in expr.point]
    out = expr(*values)
    assert isinstance(expr, DrawnExpression)
    assert isinstance(out, Value) and isinstance(expr(*expr.point), float)
    assert expr(*expr.point) == out.data
    assert 1 <= expr.size and expr.op_names <= set(OP_NAMES)


@given(expressions(ops=["tanh", "log", "sqrt", "div", "pow", "relu", "neg", "sub", "leaky_relu"],
                   n_inputs=st.integers(1, 3), max_depth=4))
def test_the_source_text_is_the_expression(expr):
    # Read back by the library's own safe parser, the text must build the same graph.
    expr_module = pytest.importorskip("microgradlab.expr")
    names = {f"x{i}": x for i, x in enumerate(expr.point)}
    assert expr_module.parse(expr.source).evaluate(names).data == expr(*expr.point)


def test_the_source_text_has_the_parentheses_python_needs_and_no_more():
    expr = find(expressions(ops=["sub", "add", "mul"], n_inputs=2, max_depth=2),
                lambda e: re.fullmatch(r"x\d - \(x\d \+ x\d\)", e.source) is not None, settings=ANY)
    a, b, c = (expr.point[int(i)] for i in re.findall(r"x(\d)", expr.source))
    assert expr(*expr.point) == a - (b + c)
    expr = find(expressions(ops=["sub", "add", "mul"], n_inputs=2, max_depth=2),
                lambda e: re.fullmatch(r"x\d \* x\d - x\d", e.source) is not None, settings=ANY)
    a, b, c = (expr.point[int(i)] for i in re.findall(r"x(\d)", expr.source))
    assert expr(*expr.point) == a * b - c


@given(expressions(ops=["log", "sqrt", "relu"], n_inputs=1, max_depth=1))
def test_a_point_outside_the_domain_is_shifted_inside_by_a_drawn_constant(expr):
    # One drawn op on x0 or on a constant, shifted if it needs to be (and never
    # scaled: |x0| <= 4 and the constants are small).
    (op,) = expr.op_names - SHIFTS
    match = re.fullmatch(rf"{op}\((x0|-?[0-9.]+)(?: ([+-]) ([0-9.]+))?\)", expr.source)
    assert match, expr.source
    base = expr.point[0] if match[1] == "x0" else float(match[1])
    shift = float(match[3]) * (1.0 if match[2] == "+" else -1.0) if match[2] else 0.0
    assert (shift == 0.0) == (distance_to_trouble(ops.get(op), 0, base) >= MARGIN)
    assert distance_to_trouble(ops.get(op), 0, base + shift) >= MARGIN


@given(expressions(ops=["exp"], n_inputs=1, max_depth=2))
def test_large_or_steep_arguments_are_scaled_by_a_power_of_ten(expr):
    # exp(exp(x0)): the inner exp, fed to the outer one, is scaled by the largest
    # power of ten that brings it within the bound (4) and its slope times
    # max(1, |x0|) within 8.  exp has no kink, so it is never shifted.
    match = re.fullmatch(r"exp\(exp\(x0\)(?: \* (0\.0*1))?\)", expr.source)
    assume(match)
    (x0,) = expr.point
    inner = math.exp(x0)
    digits = 0
    while inner * 10.0 ** -digits > BOUND or inner * max(1.0, abs(x0)) * 10.0 ** -digits > 8.0:
        digits += 1
    assert (float(match[1]) if match[1] else 1.0) == 10.0 ** -digits


@given(expressions(ops=["tanh"], max_depth=1, n_inputs=3))
def test_expressions_respect_ops_and_n_inputs(expr):
    assert expr.n_inputs == 3 and len(expr.point) == 3
    assert expr.op_names - SHIFTS == {"tanh"}


def test_drawn_expressions_check_their_arguments():
    expr = find(expressions(ops=["mul"], n_inputs=2), lambda e: True, settings=ANY)
    with pytest.raises(TypeError, match="takes 2 input"):
        expr(1.0)
    with pytest.raises(ValueError, match="max_depth must be at least 1"):
        expressions(max_depth=0)
    with pytest.raises(ValueError, match="at least one primitive"):
        expressions(ops=[])
    with pytest.raises(KeyError, match="no op named 'tahn'"):
        expressions(ops=["tahn"])


def test_kink_margin_reads_the_table():
    x = Value(0.5)
    assert kink_margin(x) == math.inf
    assert kink_margin(x.tanh() * 3.0) == math.inf
    assert kink_margin((x - 0.25).relu() + (x * 3.0).log()) == 0.25
    assert kink_margin(Value(-0.1).leaky_relu(0.2)) == pytest.approx(0.1)
    assert kink_margin(x / (x - 0.375)) == 0.125  # the divisor's kink
    assert kink_margin(Value(10.0).exp()) == 690.0  # the domain edge at 700


# --- custom primitives in the strategies ---------------------------------------------------


def test_a_custom_primitive_is_drawn_checked_and_printed(define):
    # softsign(x) = x / (1 + |x|); its second derivative jumps at 0, so 0 is declared a kink.
    define("tst_softsign", lambda x: x / (1.0 + abs(x)),
           (lambda m, x, out: (1.0 - m.sign(x) * out) * (1.0 - m.sign(x) * out),), kinks=((0.0,),))

    @given(expressions(ops=["tst_softsign", "mul", "tanh"], n_inputs=2))
    def check(expr):
        assert_gradients_match(expr, order=2)

    check()
    expr = find(expressions(ops=["tst_softsign"], n_inputs=1), lambda e: e.point[0] == 0.0, settings=ANY)
    assert re.fullmatch(r"tst_softsign\(x0 [+-] [0-9.]+\)", expr.source)


def test_a_template_that_is_not_python_keeps_every_parenthesis(define):
    define("tst_square", lambda x: x * x, (lambda m, x, out: 2.0 * x,), template="{0}²")
    expr = find(expressions(ops=["tst_square", "add"], max_depth=2, n_inputs=2),
                lambda e: e.source == "((x0) + (x1))²", settings=ANY)
    assert expr(*expr.point) == (expr.point[0] + expr.point[1]) ** 2


# --- planted bugs: the tools must find them ----------------------------------------------


@pytest.fixture
def planted(define):
    """Three primitives with wrong first derivatives and one with a wrong second derivative."""
    define("planted_sin", math.sin, (lambda m, x, out: -m.cos(x),))  # sign flip
    define("planted_sqnorm", lambda x, y: x * x + y * y,  # d/dy misses its factor 2
           (lambda m, x, y, out: 2.0 * x, lambda m, x, y, out: y))
    # elu: x for x > 0, e^x - 1 below, whose slope e^x is written as out (= e^x - 1): off by 1
    # for negative inputs only.
    define("planted_elu", lambda x: x if x > 0.0 else math.expm1(x),
           (lambda m, x, out: m.step(x) + (1.0 - m.step(x)) * out,), kinks=((0.0,),))
    # x³ with slope 3x² computed from .data: right for backward, a constant under create_graph.
    define("planted_cube", lambda x: x * x * x, (lambda m, x, out: 3.0 * getattr(x, "data", x) ** 2,))
    return ["planted_sin", "planted_sqnorm", "planted_elu", "planted_cube"]


PLANTED_CASES = [
    # (op, point, expected [(input index, analytic, numeric)])
    ("planted_sin", (0.5,), [(0, -math.cos(0.5), math.cos(0.5))]),
    ("planted_sqnorm", (1.5, -2.0), [(1, -2.0, -4.0)]),
    ("planted_elu", (-1.0,), [(0, math.expm1(-1.0), math.exp(-1.0))]),
]


@pytest.mark.parametrize("name, point, expected", PLANTED_CASES)
def test_gradcheck_finds_each_planted_bug_and_names_the_input(planted, name, point, expected):
    f = lambda *xs: apply(name, *xs)  # noqa: E731
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, point)
    got = [(m.index, m.analytic, m.numeric) for m in info.value.mismatches]
    assert [i for i, _, _ in got] == [i for i, _, _ in expected]
    for (_, analytic, numeric), (_, want_a, want_n) in zip(got, expected):
        assert analytic == pytest.approx(want_a, rel=1e-12)
        assert numeric == pytest.approx(want_n, rel=1e-8)
    with pytest.raises(GradcheckError, match=f"input {expected[0][0]}: analytic"):
        assert_gradients_match(f, point)


def test_the_negative_branch_bug_hides_at_positive_inputs(planted):
    assert gradcheck(lambda x: apply("planted_elu", x), [0.5])
    assert not gradcheck(lambda x: apply("planted_elu", x), [-0.5], raise_exception=False)


def test_a_wrong_second_derivative_passes_gradcheck_but_not_order_2(planted):
    f = lambda x: apply("planted_cube", x)  # noqa: E731
    assert gradcheck(f, [1.5])
    assert_gradients_match(f, [1.5])
    with pytest.raises(GradcheckError, match="d²f/dx0dx0: analytic 0, numeric 9"):
        assert_gradients_match(f, [1.5], order=2)
    assert not gradgradcheck(f, [1.5], raise_exception=False)


def fails(order):
    def condition(expr):
        try:
            assert_gradients_match(expr, order=order)
        except GradcheckError:
            return True
        return False

    return condition


@pytest.mark.parametrize("name, order", [
    ("planted_sin", 1), ("planted_sqnorm", 1), ("planted_elu", 1), ("planted_cube", 2),
])
@pytest.mark.parametrize("position", ["first", "last"])
def test_hypothesis_shrinks_each_planted_bug_to_a_small_expression(planted, name, order, position):
    others = ["add", "mul", "tanh", "log", "sin"]
    chosen = [name] + others if position == "first" else others + [name]
    expr = find(expressions(ops=chosen, max_depth=3, n_inputs=2), fails(order), settings=SEARCH)
    assert name in expr.op_names
    # The bug needs one application of the op, and perhaps a shift or another op around it.
    assert expr.size <= 3, expr


def test_a_failing_given_test_prints_a_legible_falsifying_example(planted):
    @settings(SEARCH, suppress_health_check=[HealthCheck.too_slow])
    @given(expr=expressions(ops=["tanh", "mul", "planted_elu"], n_inputs=2))
    def test_backprop(expr):
        assert_gradients_match(expr)

    with pytest.raises(GradcheckError) as info:
        test_backprop()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    shown = re.search(r"expr=DrawnExpression\('([^']*)', point=\(([^)]*)\)\)", notes)
    assert shown, notes
    source = shown[1]
    assert "planted_elu(" in source and len(source) <= 40
    assert f"of {source} at x0=" in str(info.value)  # the error message names it too


# --- assert_gradients_match --------------------------------------------------------------


def test_assert_gradients_match_takes_the_point_from_a_drawn_expression():
    expr = find(expressions(ops=["tanh", "mul"], n_inputs=2), lambda e: e.size >= 2, settings=ANY)
    assert_gradients_match(expr)
    assert_gradients_match(expr, order=2)
    assert_gradients_match(lambda x: x * x, [3.0])
    with pytest.raises(TypeError, match="pass xs"):
        assert_gradients_match(lambda x: x * x)
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        assert_gradients_match(expr, order=3)


# --- networks (microgradlab.nn) ----------------------------------------------------------


def seeds_mse(model, inputs, targets):
    """The seeds' L = 1/(2n) Σ ||y - ŷ||², written with library ops."""
    total = 0.0
    for x, y in zip(inputs, targets):
        out = model(x)
        outs, ys = (out, y) if isinstance(out, list) else ([out], [y])
        total = total + sum((yi - oi) ** 2 for oi, yi in zip(outs, ys))
    return total / (2 * len(inputs))


@needs_nn
@given(mlp_problems(nout=st.integers(1, 2)))
def test_an_mlp_with_the_seeds_mse_passes_gradcheck(problem):
    model, inputs, targets = problem
    # With respect to the weights ...
    assert gradcheck_parameters(lambda: seeds_mse(model, inputs, targets), model.parameters())
    # ... and to the first input vector, weights held fixed.
    assert gradcheck(lambda *x: seeds_mse(model, [list(x)] + inputs[1:], targets), inputs[0])


@needs_nn
@given(mlps(nin=2, hidden=[3], nout=2, activations=("tanh",)))
def test_mlps_build_the_requested_shapes(model):
    assert (model.nin, model.sizes, model.activation) == (2, [3, 2], "tanh")
    assert len(model.parameters()) == (2 + 1) * 3 + (3 + 1) * 2


@given(mlp_data(3, nout=2, n_samples=st.integers(1, 5)))
def test_mlp_data_has_the_right_shape(data):
    inputs, targets = data
    assert len(inputs) == len(targets) >= 1
    assert all(len(x) == 3 for x in inputs) and all(len(y) == 2 for y in targets)
    assert all(abs(v) <= BOUND for x in inputs for v in x)


# --- profiles ----------------------------------------------------------------------------


@pytest.mark.parametrize("environ, name", [
    ({}, "dev"),
    ({"CI": "true"}, "ci"),
    ({"CI": "1"}, "ci"),
    ({"CI": "false"}, "dev"),
    ({"CI": "0"}, "dev"),
    ({"CI": ""}, "dev"),
    ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, "dev"),
    ({"HYPOTHESIS_PROFILE": "ci"}, "ci"),
])
def test_the_profile_is_chosen_by_the_environment(environ, name):
    assert profile_name(environ) == name


def test_the_ci_profile_is_thorough_and_reproducible():
    ci, dev = PROFILES["ci"], PROFILES["dev"]
    assert ci["max_examples"] > dev["max_examples"]
    assert ci["derandomize"] is True and ci["deadline"] is None and ci["database"] is None


def test_the_conftest_loaded_the_chosen_profile():
    name = profile_name()
    if name in PROFILES:
        assert settings().max_examples == PROFILES[name]["max_examples"]


def test_an_unknown_profile_is_a_clear_error_and_changes_nothing():
    before = settings.get_current_profile_name(), settings().max_examples
    with pytest.raises(ValueError, match="HYPOTHESIS_PROFILE='fast' is not a registered"):
        load_profile({"HYPOTHESIS_PROFILE": "fast"})
    assert (settings.get_current_profile_name(), settings().max_examples) == before
    assert load_profile() == profile_name()  # registering and loading still work
