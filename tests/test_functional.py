"""The function transforms ``grad``/``value_and_grad`` and the float-or-Value math functions."""

from __future__ import annotations

import math

import pytest

import microgradlab
from microgradlab import Parameter, Value, dot, grad, value_and_grad, vsum

# Reference and engine evaluate algebraically equal formulas in a different
# order: a few ulps apart, well inside 1e-12.
REL = 1e-12


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=REL, abs_tol=1e-15)


def test_grad_returns_a_float_derivative():
    f = lambda x: x * x.exp()  # noqa: E731  f' = e^x (1 + x)
    g = grad(f)(0.7)
    assert type(g) is float
    assert close(g, math.exp(0.7) * 1.7)


def test_value_and_grad_returns_value_and_derivative_as_floats():
    value, g = value_and_grad(lambda x: x.sin() * 2.0)(1.1)
    assert type(value) is float and type(g) is float
    assert close(value, 2.0 * math.sin(1.1))
    assert close(g, 2.0 * math.cos(1.1))


def test_argnums_int_and_tuple():
    f = lambda x, y, z: x * microgradlab.log(y) + z  # noqa: E731  df/dx = log y ; df/dy = x / y ; df/dz = 1
    args = (3.0, 2.0, 5.0)
    assert close(grad(f)(*args), math.log(2.0))
    assert close(grad(f, argnums=1)(*args), 3.0 / 2.0)
    assert close(grad(f, argnums=-1)(*args), 1.0)
    value, (gx, gz) = value_and_grad(f, argnums=(0, 2))(*args)
    assert close(value, 3.0 * math.log(2.0) + 5.0)
    assert close(gx, math.log(2.0)) and gz == 1.0
    single = value_and_grad(f, argnums=(1,))(*args)[1]
    assert isinstance(single, tuple) and len(single) == 1 and close(single[0], 1.5)


def test_argnums_out_of_range_names_it():
    with pytest.raises(IndexError, match=r"argnums 2 is out of range for 2 arguments"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_list_arguments_give_a_list_gradient():
    weights = [0.5, -1.0, 2.0]
    inputs = [3.0, 4.0, -0.5]
    gw = grad(lambda ws: dot(ws, inputs).tanh())(weights)
    s = sum(w * x for w, x in zip(weights, inputs))
    ds = 1.0 / math.cosh(s) ** 2
    assert isinstance(gw, list) and len(gw) == 3
    for got, x in zip(gw, inputs):
        assert close(got, ds * x)
    (value, (gw2, gx2)) = value_and_grad(lambda ws, xs: vsum(w * x for w, x in zip(ws, xs)), argnums=(0, 1))(
        weights, inputs)
    assert value == s and gw2 == inputs and gx2 == weights


def test_closed_over_parameters_keep_their_grad():
    p = Parameter(1.5)
    q = Value(-0.5)
    p.grad, q.grad = 0.25, -4.0  # as if a training step had accumulated them
    f = lambda x: p * x.exp() + q * x  # noqa: E731  f' = p e^x + q
    assert close(grad(f)(0.3), 1.5 * math.exp(0.3) - 0.5)
    assert close(grad(grad(f))(0.3), 1.5 * math.exp(0.3))
    assert p.grad == 0.25 and q.grad == -4.0


def test_a_function_not_depending_on_its_argument_has_zero_gradient():
    assert grad(lambda x: 7.0)(1.0) == 0.0
    assert grad(lambda xs: 3)([1.0, 2.0]) == [0.0, 0.0]
    p = Value(2.0)
    assert grad(lambda x: p * 3.0)(1.0) == 0.0  # a Value, but not built from x
    assert value_and_grad(lambda x, y: 1.5, argnums=(0, 1))(1.0, 2.0) == (1.5, (0.0, 0.0))


def test_identity_and_linear_functions():
    assert grad(lambda x: x)(3.0) == 1.0
    assert grad(grad(lambda x: x))(3.0) == 0.0
    assert grad(grad(lambda x: 3.0 * x + 1.0))(3.0) == 0.0


def test_second_derivative_in_the_same_variable_through_two_arguments():
    # f = x² y³ ; d²f/dy² = 6 x² y
    f = lambda x, y: x * x * y**3  # noqa: E731
    assert close(grad(grad(f, argnums=1), argnums=1)(1.5, -2.0), 6 * 1.5**2 * -2.0)


def test_mixed_partial_derivative_through_nested_grad():
    # f = x² y³ ; d/dx (d/dy f) = 6 x y²
    f = lambda x, y: x * x * y**3  # noqa: E731
    d_dy = grad(f, argnums=1)
    d_dx_dy = grad(d_dy, argnums=0)
    assert close(d_dx_dy(1.5, -2.0), 6 * 1.5 * 4.0)


def test_grad_inside_a_recorded_graph_stays_differentiable():
    # grad(f) applied to a Value returns a Value that backward can go through.
    x = Value(0.4)
    g = grad(lambda v: v.sin() * v)(x)  # sin x + x cos x
    assert isinstance(g, Value)
    assert close(g.data, math.sin(0.4) + 0.4 * math.cos(0.4))
    g.backward()
    assert close(x.grad, 2 * math.cos(0.4) - 0.4 * math.sin(0.4))


# --- float-or-Value math functions --------------------------------------------------

FUNCTIONS = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "relu": lambda x: max(x, 0.0),
    "softplus": lambda x: math.log(1.0 + math.exp(x)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_math_functions_on_floats_and_values(name):
    fn, reference = getattr(microgradlab, name), FUNCTIONS[name]
    for x in (0.3, 2.0):
        on_float = fn(x)
        assert type(on_float) is float and close(on_float, reference(x))
        on_value = fn(Value(x))
        assert isinstance(on_value, Value) and on_value.op.name == name
        assert on_value.data == on_float


@pytest.mark.parametrize(
    "name, x, error, message",
    [
        ("log", 0.0, ValueError, r"^log\(0\.0\): "),
        ("sqrt", -4.0, ValueError, r"^sqrt\(-4\.0\): "),
        ("exp", 1000.0, OverflowError, r"^exp\(1000\.0\): "),
        ("sin", "x", TypeError, r"^sin: .*'x' of type str"),
        ("tanh", None, TypeError, r"^tanh: .*None of type NoneType"),
    ],
)
def test_math_functions_on_bad_floats_name_the_function(name, x, error, message):
    with pytest.raises(error, match=message):
        getattr(microgradlab, name)(x)


def test_nested_grad_closing_over_the_outer_variable():
    # d/dx [ d/dy (x y²) at y = 3 ] = d/dx (6 x) = 6
    outer = grad(lambda x: grad(lambda y: x * y * y)(3.0))
    assert close(outer(2.0), 6.0)
