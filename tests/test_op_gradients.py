"""Every derivative rule in the op table, against finite differences.

Driven by ``ops.PRIMITIVES``: an op added to the table is tested here with no
new code.  Points are drawn inside each input's domain, clear of its kinks
(``microgradlab.testing.applications``); compositions come from
``microgradlab.testing.expressions``.  Derivatives *at* the kinks are
conventions, not limits, so they are pinned with explicit examples at the end.

Tolerances are gradcheck's defaults (atol = rtol = 1e-6, justified in
``microgradlab.gradcheck``): the worst error measured on these draws is
about 1e-7 for single ops on [-30, 30] and 2e-8 for compositions.
"""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradlab import Value, apply, dot, grad, ops
from microgradlab.testing import applications, assert_gradients_match, expressions, reals

# A snapshot taken at import: primitives that tests define for themselves are
# removed again and never show up here.
OP_NAMES = sorted(ops.PRIMITIVES)



@functools.lru_cache(maxsize=None)
def points_for(name):
    """The op on its own, at points near the origin, where the safe regions are tight,
    and far out, where exp reaches 1e13 and sigmoid/softplus take their large-|x| branches."""
    return st.one_of(applications(name), applications(name, bound=30.0))


# The ci profile draws 20 times its usual number of compositions (4000), the dev
# profile 400; a fifth as many for second derivatives.
COMPOSITIONS = 20 * settings().max_examples


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_first_derivatives_match_finite_differences(name, data):
    expr = data.draw(points_for(name))
    assert_gradients_match(expr)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_second_derivatives_match_finite_differences(name, data):
    expr = data.draw(points_for(name))
    assert_gradients_match(expr, order=2)


@settings(max_examples=COMPOSITIONS)
@given(expressions(ops=[ops.PRIMITIVES[n] for n in OP_NAMES], max_depth=4, n_inputs=st.integers(1, 3)))
def test_random_compositions_backprop_correctly(expr):
    assert_gradients_match(expr)


@settings(max_examples=COMPOSITIONS // 5)
@given(expressions(ops=[ops.PRIMITIVES[n] for n in OP_NAMES], max_depth=3, n_inputs=st.integers(1, 3)))
def test_random_compositions_have_correct_second_derivatives(expr):
    assert_gradients_match(expr, order=2)


@given(st.integers(1, 4).flatmap(lambda n: st.lists(reals(), min_size=2 * n + 1, max_size=2 * n + 1)),
       st.booleans())
def test_dot_with_a_bias(point, constant_inputs):
    # The bias is not in the op table's template, so the strategies never draw it:
    # checked here, with the inputs as Values or as constants (a layer's input data).
    n = len(point) // 2
    if constant_inputs:
        xs = point[n:2 * n]
        f = lambda *v: dot(v[:n], xs, v[n])  # noqa: E731
        point = point[:n] + point[2 * n:]
    else:
        f = lambda *v: dot(v[:n], v[n:2 * n], v[2 * n])  # noqa: E731
    assert_gradients_match(lambda *v: f(*v).tanh(), point, order=2)


# --- kinks: the documented conventions, pinned by hand -----------------------------


KINK_CONVENTIONS = [
    # (op, inputs at the kink, derivative with respect to input 0 there)
    ("relu", (0.0,), 0.0),
    ("abs", (0.0,), 0.0),
    ("leaky_relu", (0.0, 0.01), 0.01),
    ("leaky_relu", (0.0, 0.2), 0.2),
    ("leaky_relu", (-0.0, 0.2), 0.2),
]


@pytest.mark.parametrize("name, inputs, slope", KINK_CONVENTIONS)
def test_derivative_at_a_kink_follows_the_convention(name, inputs, slope):
    assert inputs[0] in ops.get(name).kinks[0]  # the table declares the kink
    x = Value(inputs[0])
    out = apply(name, x, *inputs[1:])
    out.backward()
    assert x.grad == slope
    # The same number under create_graph, and through the functional API.
    x = Value(inputs[0])
    apply(name, x, *inputs[1:]).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == slope
    assert grad(lambda v: apply(name, v, *inputs[1:]))(inputs[0]) == slope
    # Each side of a kink is linear: the second derivative there is 0.
    assert grad(grad(lambda v: apply(name, v, *inputs[1:])))(inputs[0]) == 0.0


def test_kink_conventions_through_the_value_methods():
    x = Value(0.0)
    (x.relu() + abs(x) + x.leaky_relu()).backward()
    assert x.grad == 0.0 + 0.0 + 0.01
    x = Value(0.0)
    x.leaky_relu(negative_slope=0.3).backward()
    assert x.grad == 0.3


def test_leaky_relu_slope_gradient_at_the_kink():
    # d/dslope (slope * x) = x, which is 0 at x = 0 on either side.
    s = Value(0.2)
    Value(0.0).leaky_relu(s).backward()
    assert s.grad == 0.0
    s = Value(0.2)
    Value(-3.0).leaky_relu(s).backward()
    assert s.grad == -3.0


def test_domain_edges_that_are_not_kinks():
    # sqrt is defined at 0 with an infinite slope there: backward says inf (as x ** 0.5 does).
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf
    # x / y at y = 0 fails already in the forward pass, naming the op.
    with pytest.raises(ZeroDivisionError, match=r"div\(1\.0, 0\.0\)"):
        Value(1.0) / Value(0.0)
