"""Value construction, operators and methods: results and first derivatives.

Every expected number is computed here from the ``math`` module and a
derivative worked out by hand, never read back from the engine's op table.
The finite-difference property tests of every op live in test_op_gradients.py.
"""

from __future__ import annotations

import decimal
import fractions
import math
import operator
import re

import pytest

from microgradlab import Parameter, Value, dot, vsum

# The engine and the references below evaluate the same functions with
# algebraically equal but differently arranged formulas (1 - tanh² against
# 1/cosh², out * (1 - out) against e^-x / (1 + e^-x)², -out/y against -x/y²),
# so they may round differently: a few ulps, far inside 1e-12 relative for
# the moderate arguments used here.  abs_tol covers results that are exactly 0.
REL = 1e-12
ABS = 1e-15


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=REL, abs_tol=ABS)


# --- construction ------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, expected",
    [
        (3, 3.0),
        (-2.5, -2.5),
        (fractions.Fraction(1, 3), 1 / 3),
        (10**15 + 1, 1e15 + 1),
        (float("inf"), math.inf),
    ],
)
def test_value_stores_real_numbers_as_float(given, expected):
    v = Value(given)
    assert type(v.data) is float
    assert v.data == expected
    assert v.grad == 0.0
    assert v.label == ""


def test_value_accepts_numpy_scalars_as_float():
    np = pytest.importorskip("numpy")
    for given, expected in [(np.float64(2.5), 2.5), (np.float32(0.5), 0.5), (np.int64(7), 7.0)]:
        v = Value(given)
        assert type(v.data) is float
        assert v.data == expected


@pytest.mark.parametrize(
    "given, type_name",
    [
        (True, "bool"),
        (False, "bool"),
        ("1.0", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        ([1.0], "list"),
        (decimal.Decimal("1.5"), "Decimal"),  # Decimal is not a numbers.Real
    ],
)
def test_value_rejects_non_real_data_naming_it(given, type_name):
    with pytest.raises(TypeError, match=rf"^Value: .*{re.escape(repr(given))} of type {type_name}$"):
        Value(given)


def test_value_rejects_a_value_as_data_and_says_what_to_use():
    inner = Value(2.0)
    with pytest.raises(TypeError, match=r"^Value: .*got a Value \(Value\(data=2\.0, grad=0\.0\)\).*\.detach\(\)"):
        Value(inner)


def test_value_too_large_for_a_float_names_the_operation():
    with pytest.raises(OverflowError, match=r"^Value: .*1000000000"):
        Value(10**400)


def test_label_and_repr():
    v = Value(2.0, label="w1")
    assert v.label == "w1"
    assert repr(v) == "Value(data=2.0, grad=0.0, label='w1')"
    v.grad = -0.5
    assert repr(v) == "Value(data=2.0, grad=-0.5, label='w1')"
    assert repr(Value(-1.25)) == "Value(data=-1.25, grad=0.0)"
    assert repr(Parameter(3, label="b")) == "Parameter(data=3.0, grad=0.0, label='b')"


def test_label_must_be_a_str():
    with pytest.raises(TypeError, match=r"^Value: label must be a str, got 3$"):
        Value(1.0, label=3)


def test_float_of_a_value_is_an_error_that_says_how_to_read_the_number():
    # math.exp(v) would convert through __float__ and drop the gradient without a word.
    a = Value(1.0)
    for convert in (float, math.exp, math.sqrt):
        with pytest.raises(TypeError, match=r"would drop its gradient.*microgradlab\.exp\(v\).*\.data / v\.item\(\)"):
            convert(a)
    assert Value(-3.5).item() == -3.5 == Value(-3.5).data


def test_comparisons_and_truth_look_at_data():
    a, b = Value(1.5), Value(-2.0)
    assert a > b and b < a and a >= 1.5 and a <= Value(1.5) and b < 0 and not (a < 1)
    assert 2 > a and -3 < b  # reflected comparisons with plain numbers
    assert bool(a) and not bool(Value(0.0))
    assert max([a, b, Value(0.5)]) is a
    with pytest.raises(TypeError, match=r"^<: expected a real number, got 'x' of type str$"):
        a < "x"  # noqa: B015
    assert Value(1.0) != Value(1.0)  # equality stays identity, so Values remain usable as dict keys


def test_leaves_take_attributes_of_their_own_and_op_results_stay_small():
    v, p = Value(1.0), Parameter(1.0)
    v.colour = "red"  # a lecture-style helper's _vis_color, an optimizer's p.m ...
    p.m, p.v = 0.0, 0.0
    assert (v.colour, p.m, p.v) == ("red", 0.0, 0.0)
    node = v * 2.0
    assert not hasattr(node, "__dict__")
    with pytest.raises(AttributeError, match="'Value' object has no attribute 'colour'"):
        node.colour = "red"
    assert isinstance(v, Value) and type(v).__name__ == "Value" and type(node).__name__ == "Value"


def test_introspection_of_leaves_and_nodes():
    a, b = Value(2.0), Value(3.0)
    assert a.is_leaf and a.op is None and a.inputs == ()
    out = a * b
    assert not out.is_leaf
    assert out.op.name == "mul"
    assert out.inputs == (a, b)
    assert out.label == ""
    assert (a + 4).inputs == (a, 4.0)  # plain numbers are stored as floats, not wrapped
    assert (5 - a).inputs == (5.0, a)
    assert dot([a, 2], [b, a]).inputs == (a, 2.0, b, a)  # all ws, then all xs
    assert vsum([a, 1, b]).inputs == (a, 1.0, b)


def test_parameter_is_a_trainable_value():
    p = Parameter(0.5)
    assert isinstance(p, Value)
    assert p.is_parameter and not Value(0.5).is_parameter
    out = p * p
    out.backward()
    assert p.grad == 1.0


def test_detach_makes_a_new_leaf_with_the_same_data_and_label():
    x = Value(1.5, label="x")
    y = (x * x).exp()
    y.label = "y"
    d = y.detach()
    assert d.is_leaf and d is not y
    assert d.data == y.data and d.label == "y" and d.grad == 0.0
    z = d * x
    z.backward()
    assert x.grad == d.data  # no gradient flows through the detached branch
    assert d.grad == x.data


# --- binary operators: values and gradients ------------------------------------

# name -> (Python operator, value(x, y), (d/dx, d/dy)), derived by hand.
BINARY = {
    "add": (operator.add, lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
    "sub": (operator.sub, lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
    "mul": (operator.mul, lambda x, y: x * y, lambda x, y: (y, x)),
    "div": (operator.truediv, lambda x, y: x / y, lambda x, y: (1.0 / y, -x / (y * y))),
    # d/dy x**y = x**y * log(x): needs a positive base, so every point below has x > 0.
    "pow": (operator.pow, math.pow,
            lambda x, y: (y * math.pow(x, y - 1.0), math.pow(x, y) * math.log(x))),
}
POINTS = [(1.5, 2.5), (0.3, -1.7), (4.0, 0.5), (2.0, 3.0)]


@pytest.mark.parametrize("layout", ["Value op Value", "Value op number", "number op Value"])
@pytest.mark.parametrize("x, y", POINTS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_operator_value_and_gradients(name, x, y, layout):
    op, value, partials = BINARY[name]
    a, b = Value(x), Value(y)
    left = x if layout == "number op Value" else a
    right = y if layout == "Value op number" else b
    out = op(left, right)
    assert out.op.name == name
    assert close(out.data, value(x, y))
    out.backward()
    dx, dy = partials(x, y)
    assert close(a.grad, dx if left is a else 0.0)
    assert close(b.grad, dy if right is b else 0.0)


@pytest.mark.parametrize("x", [-1.5, 0.25, 3.0])
def test_unary_minus(x):
    a = Value(x)
    out = -a
    out.backward()
    assert out.data == -x and a.grad == -1.0
    assert (+a) is a


@pytest.mark.parametrize("x, slope", [(-2.5, -1.0), (0.75, 1.0), (0.0, 0.0)])  # abs'(0) = 0 by convention
def test_abs(x, slope):
    a = Value(x)
    out = abs(a)
    out.backward()
    assert out.data == math.fabs(x) and a.grad == slope


def test_negative_base_to_integer_power_is_fine():
    a = Value(-8.0)
    out = a**3
    out.backward()
    assert out.data == -512.0 and a.grad == 3 * 64.0
    b = Value(-2.0)
    sq = b**2
    sq.backward()
    assert sq.data == 4.0 and b.grad == -4.0


def test_pow_with_a_value_exponent_and_a_number_base():
    e = Value(1.5)
    out = 2.0**e
    out.backward()
    assert close(out.data, 2.0**1.5)
    assert close(e.grad, 2.0**1.5 * math.log(2.0))


def test_composite_expression_matches_hand_derivative():
    # f(a, b) = a*b + b**3 / a - sin(a)*b
    # df/da = b - b**3 / a**2 - cos(a)*b ;  df/db = a + 3 b**2 / a - sin(a)
    x, y = 1.3, -0.7
    a, b = Value(x), Value(y)
    f = a * b + b**3 / a - a.sin() * b
    f.backward()
    assert close(f.data, x * y + y**3 / x - math.sin(x) * y)
    assert close(a.grad, y - y**3 / x**2 - math.cos(x) * y)
    assert close(b.grad, x + 3 * y**2 / x - math.sin(x))


def test_lecture_neuron_regression():
    """The neuron from Karpathy's micrograd lecture: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2, w1, w2, b = (Value(v, label=n) for v, n in
                         [(2.0, "x1"), (0.0, "x2"), (-3.0, "w1"), (1.0, "w2"), (6.8813735870195432, "b")])
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    do_dn = 1.0 / math.cosh(n) ** 2
    assert close(o.data, math.tanh(n))
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)  # b was chosen so that o = 1/sqrt(2)
    assert do_dn == pytest.approx(0.5, abs=1e-12)
    expected = [(x1, -3.0 * do_dn), (w1, 2.0 * do_dn), (x2, 1.0 * do_dn), (w2, 0.0 * do_dn), (b, do_dn)]
    for leaf, g in expected:
        assert close(leaf.grad, g), leaf.label
    assert [round(v.grad, 6) for v in (x1, w1, x2, w2, b)] == [-1.5, 1.0, 0.5, 0.0, 0.5]


# --- bad operands --------------------------------------------------------------

OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
             "div": operator.truediv, "pow": operator.pow}


@pytest.mark.parametrize("bad", ["x", None, [1.0], 1j, True])
@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_with_a_bad_operand_names_the_op_and_the_value(name, bad):
    op = OPERATORS[name]
    pattern = rf"^{name}: expected a real number, got {re.escape(repr(bad))} of type {type(bad).__name__}$"
    with pytest.raises(TypeError, match=pattern):
        op(Value(2.0), bad)
    with pytest.raises(TypeError, match=pattern):
        op(bad, Value(2.0))


def test_leaky_relu_slope_must_be_a_number():
    with pytest.raises(TypeError, match=r"^leaky_relu: .*'steep'"):
        Value(1.0).leaky_relu("steep")


# --- methods: values and derivatives against the analytic derivative ---------------


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# name -> (method call, f(x), f'(x), points); points avoid kinks, tested separately below.
METHODS = {
    "exp": (lambda v: v.exp(), math.exp, math.exp, [-3.0, -0.5, 0.0, 1.0, 4.0]),
    "log": (lambda v: v.log(), math.log, lambda x: 1.0 / x, [0.01, 0.5, 1.0, 2.0, 100.0]),
    "sqrt": (lambda v: v.sqrt(), math.sqrt, lambda x: 1.0 / (2.0 * math.sqrt(x)), [0.01, 0.25, 1.0, 9.0]),
    "tanh": (lambda v: v.tanh(), math.tanh, lambda x: 1.0 / math.cosh(x) ** 2, [-3.0, -0.5, 0.0, 0.7, 2.0]),
    "sigmoid": (lambda v: v.sigmoid(), _sigmoid,
                lambda x: math.exp(-x) / (1.0 + math.exp(-x)) ** 2, [-5.0, -1.0, 0.0, 0.5, 3.0]),
    "relu": (lambda v: v.relu(), lambda x: x if x > 0 else 0.0,
             lambda x: 1.0 if x > 0 else 0.0, [-2.0, -0.1, 0.1, 3.0]),
    "leaky_relu": (lambda v: v.leaky_relu(), lambda x: x if x > 0 else 0.01 * x,
                   lambda x: 1.0 if x > 0 else 0.01, [-2.0, -0.1, 0.1, 3.0]),
    "softplus": (lambda v: v.softplus(), lambda x: math.log(1.0 + math.exp(x)), _sigmoid,
                 [-5.0, -1.0, 0.0, 0.5, 3.0]),
    "sin": (lambda v: v.sin(), math.sin, math.cos, [-2.0, 0.0, 0.5, 1.5, 3.0]),
    "cos": (lambda v: v.cos(), math.cos, lambda x: -math.sin(x), [-2.0, 0.0, 0.5, 1.5, 3.0]),
}


@pytest.mark.parametrize("name, x", [(n, x) for n, spec in METHODS.items() for x in spec[3]])
def test_method_value_and_derivative(name, x):
    call, f, df, _ = METHODS[name]
    v = Value(x)
    out = call(v)
    assert out.op.name == name
    assert out.inputs[0] is v
    assert close(out.data, f(x))
    out.backward()
    assert close(v.grad, df(x))


@pytest.mark.parametrize("method, derivative", [("relu", 0.0), ("leaky_relu", 0.01)])
def test_derivative_conventions_at_zero(method, derivative):
    v = Value(0.0)
    out = getattr(v, method)()
    out.backward()
    assert out.data == 0.0 and v.grad == derivative


@pytest.mark.parametrize("x, slope", [(-2.0, 0.2), (1.5, 0.2), (-3.0, -0.5)])
def test_leaky_relu_with_a_value_slope(x, slope):
    v, s = Value(x), Value(slope)
    out = v.leaky_relu(s)
    out.backward()
    negative = x <= 0
    assert close(out.data, slope * x if negative else x)
    assert close(v.grad, slope if negative else 1.0)
    assert close(s.grad, x if negative else 0.0)  # d/dslope (slope * x) = x on the negative side


# --- numerical stability at the ends of the float range ----------------------------


@pytest.mark.parametrize(
    "method, x, value, derivative",
    [
        ("tanh", 1000.0, 1.0, 0.0),
        ("tanh", -1000.0, -1.0, 0.0),
        ("sigmoid", 1000.0, 1.0, 0.0),
        # e^-1000 underflows: 0.0 is the correctly rounded sigmoid(-1000) (true value ~5e-435)
        ("sigmoid", -1000.0, 0.0, 0.0),
        ("softplus", 1000.0, 1000.0, 1.0),
        # log(1 + e^-1000) ~ 5e-435 is below the smallest subnormal: 0.0 is correctly rounded
        ("softplus", -1000.0, 0.0, 0.0),
    ],
)
def test_saturating_functions_stay_finite_far_out(method, x, value, derivative):
    v = Value(x)
    out = getattr(v, method)()
    out.backward()
    assert out.data == value
    assert v.grad == derivative


@pytest.mark.parametrize("x", [-700.0, -745.0])
def test_softplus_of_a_large_negative_input_is_tiny_and_positive(x):
    out = Value(x).softplus()
    assert 0.0 < out.data == pytest.approx(math.exp(x), rel=1e-12)  # log(1 + t) = t to within t²
    assert 0.0 < Value(x).sigmoid().data == pytest.approx(math.exp(x), rel=1e-12)


def test_exp_up_to_the_float_limit():
    v = Value(709.0)
    out = v.exp()
    out.backward()
    assert out.data == math.exp(709.0) and v.grad == math.exp(709.0)
    with pytest.raises(OverflowError, match=r"^exp\(710\.0\): .*too large"):
        Value(710.0).exp()


def test_large_power_overflow_names_pow():
    with pytest.raises(OverflowError, match=r"^pow\(10\.0, 400\.0\): "):
        Value(10.0) ** 400


# --- out-of-domain inputs ------------------------------------------------------------


@pytest.mark.parametrize(
    "compute, error, message",
    [
        (lambda: Value(0.0).log(), ValueError, r"log(0.0): log needs a positive input"),
        (lambda: Value(-1.0).log(), ValueError, r"log(-1.0): log needs a positive input"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt(-1.0): sqrt needs a non-negative input"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow(0.0, -1.0): "),
        (lambda: 0 ** Value(-1.0), ZeroDivisionError, r"pow(0.0, -1.0): "),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div(1.0, 0.0): "),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"div(1.0, 0.0): "),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"div(1.0, 0.0): "),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"pow(-8.0, 0.5): a negative base needs an integer exponent"),
        (lambda: (-8) ** Value(0.5), ValueError, r"pow(-8.0, 0.5): "),
    ],
)
def test_out_of_domain_input_names_the_op_and_the_value(compute, error, message):
    with pytest.raises(error, match="^" + re.escape(message)):
        compute()


def test_exponent_gradient_for_a_negative_base_is_an_error_naming_pow():
    # (-2) ** y is real only at integer y, so d/dy does not exist.
    x, y = Value(-2.0), Value(2.0)
    out = x**y
    assert out.data == 4.0
    with pytest.raises(ValueError, match=r"^backward through pow\(-2\.0, 2\.0\)"):
        out.backward()


def test_exponent_gradient_at_zero_base_is_zero():
    # 0 ** y = 0 for every y > 0, so d/dy = 0 there (PyTorch also answers 0).
    x, y = Value(0.0), Value(2.0)
    out = x**y
    out.backward()
    assert out.data == 0.0
    assert x.grad == 0.0  # y * x ** (y - 1) = 2 * 0
    assert y.grad == 0.0


# --- vsum and dot -------------------------------------------------------------------


def test_vsum_mixes_numbers_and_values_in_one_node():
    a, b = Value(1.5), Value(-2.0)
    s = vsum([a, 2, b, 0.25, fractions.Fraction(1, 4)])
    assert s.op.name == "sum" and s.inputs == (a, 2.0, b, 0.25, 0.25)
    assert s.data == 1.5 + 2 - 2.0 + 0.25 + 0.25
    s.backward()
    assert a.grad == 1.0 and b.grad == 1.0


def test_vsum_counts_a_repeated_value_each_time():
    a = Value(3.0)
    s = vsum([a, a, a * 2.0])
    s.backward()
    assert s.data == 12.0 and a.grad == 4.0


def test_vsum_of_nothing_is_zero():
    s = vsum([])
    assert s.data == 0.0
    s.backward()  # nothing to reach; must not fail
    assert vsum(iter(())).data == 0.0


def test_vsum_rejects_a_non_number_naming_it():
    with pytest.raises(TypeError, match=r"^vsum: .*'x' of type str"):
        vsum([Value(1.0), "x"])


def test_dot_values_and_gradients_on_both_sides():
    ws = [Value(0.5), Value(-1.0), Value(2.0)]
    xs = [Value(3.0), Value(4.0), Value(-0.5)]
    d = dot(ws, xs)
    assert d.op.name == "dot"
    assert d.data == 0.5 * 3.0 + -1.0 * 4.0 + 2.0 * -0.5
    d.backward()
    assert [w.grad for w in ws] == [x.data for x in xs]
    assert [x.grad for x in xs] == [w.data for w in ws]


def test_dot_with_numbers_on_either_side():
    ws = [Value(0.5), Value(-1.0)]
    d = dot(ws, [2, 3.0])
    d.backward()
    assert d.data == -2.0 and [w.grad for w in ws] == [2.0, 3.0]
    xs = [Value(1.5), Value(2.5)]
    e = dot([4.0, fractions.Fraction(1, 2)], xs)
    e.backward()
    assert e.data == 7.25 and [x.grad for x in xs] == [4.0, 0.5]


def test_dot_with_repeated_values():
    a, x = Value(2.0), Value(3.0)
    d = dot([a, a], [x, 5.0])  # a*x + a*5
    d.backward()
    assert d.data == 16.0
    assert a.grad == 3.0 + 5.0 and x.grad == 2.0
    b = Value(-1.5)
    sq = dot([b], [b])  # b**2
    sq.backward()
    assert sq.data == 2.25 and b.grad == -3.0


def test_dot_length_mismatch_names_the_lengths():
    with pytest.raises(ValueError, match=r"^dot: lengths differ: 2 weights and 3 inputs$"):
        dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])


def test_dot_of_empty_lists_is_zero():
    assert dot([], []).data == 0.0


def test_dot_rejects_a_non_number_naming_it():
    with pytest.raises(TypeError, match=r"^dot: .*None of type NoneType"):
        dot([Value(1.0)], [None])
