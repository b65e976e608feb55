"""Forward mode and second order against torch.autograd.functional (float64, 1e-10)."""

import math

import pytest
from hypothesis import given, settings, strategies as st

import microgradlab as mgl
from microgradlab import grad, hessian, hvp, jacobian, jvp
from microgradlab.forward import Dual

torch = pytest.importorskip("torch")
TAF = torch.autograd.functional

coords = st.floats(-2.0, 2.0, allow_nan=False)
# Not exactly 0: at a zero exponent torch's double backward of pow drops the mixed term
# (test_torch_pow_hessian_at_exponent_zero), so the two disagree there and torch is the one wrong.
point = st.lists(coords.filter(lambda c: c != 0.0), min_size=3, max_size=3)


def vector_f(p):
    """Three outputs of three inputs; only operators and methods, so torch runs it too."""
    return [(p[0] * p[1]).tanh() + p[2].exp() / (1 + p[1] * p[1]),
            p[0].sin() * p[2] - p[1] ** 3 + abs(p[2]),
            (p[0] * p[0] + 1).log() * p[1].sigmoid() + (p[2] * p[2] + 0.5).sqrt()]


def scalar_f(p):
    return ((p[0] * p[1]).tanh() + p[2].exp() / (1 + p[1] * p[1]) + p[0].sin() * p[2] ** 2
            + (p[0] * p[0] + p[2] * p[2] + 1).log() * p[1].sigmoid() + p[0].cos() * p[1]
            + (p[1] * p[1] + 1) ** (p[2] * 0.5) + (p[0] * p[2] + 3).relu() / (p[0] * p[0] + 2))


def close(a, b):
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return math.isclose(a, float(b), rel_tol=1e-10, abs_tol=1e-10)


def T(xs):
    return torch.tensor(xs, dtype=torch.float64)


@settings(deadline=None)  # torch's first call is slow
@given(point, point)
def test_jvp_agrees_with_torch(x, v):
    out, tangent = jvp(lambda *p: vector_f(p), tuple(x), tuple(v))
    t_out, t_tangent = TAF.jvp(lambda a: torch.stack(vector_f(a)), T(x), T(v))
    assert close(out, t_out.tolist()) and close(tangent, t_tangent.tolist())


@settings(deadline=None)
@given(point)
def test_jacobian_agrees_with_torch(x):
    J = jacobian(vector_f)(x)
    assert close(J, TAF.jacobian(lambda a: torch.stack(vector_f(a)), T(x)).tolist())
    g = jacobian(scalar_f)(x)  # one output: the gradient
    assert close(g, mgl.grad(scalar_f)(x))


@settings(deadline=None)
@given(point, point)
def test_hvp_and_hessian_agree_with_torch(x, v):
    assert close(hvp(scalar_f, x, v), TAF.hvp(scalar_f, T(x), T(v))[1].tolist())
    assert close(hessian(scalar_f)(x), TAF.hessian(scalar_f, T(x)).tolist())


@settings(deadline=None)
@given(coords)
def test_composes_with_grad(x):
    f = lambda t: mgl.tanh(t * t) * t.exp()  # noqa: E731 - the functional namespace takes Duals too
    second = TAF.hessian(lambda a: (a * a).tanh() * a.exp(), T([x]))[0][0].item()
    # reverse over forward: grad of the tangent
    assert close(grad(lambda t: jvp(f, (t,), (1.0,))[1])(x), second)
    # forward over reverse
    assert close(hessian(f)(x), second)
    assert close(jvp(f, (x,), (1.0,))[1], grad(f)(x))


def test_gradient_semantics_hold_for_tangents():
    assert jvp(lambda x: x.relu(), (-1.0,), (math.inf,)) == (0.0, 0.0)        # a zero local derivative wins
    assert jvp(lambda x, y: x * y, (math.inf, 1.0), (1.0, 0.0))[1] == 1.0    # a zero tangent wins over d/dy = inf
    assert math.isnan(jvp(lambda x: 2 * x, (1.0,), (math.nan,))[1])          # NaN in, NaN out
    assert jvp(lambda x: x * 1e300, (1.0,), (1e10,))[1] == math.inf          # overflow is inf
    assert jvp(lambda x: x * 0.0 + 4.0, (2.0,), (1.0,)) == (4.0, 0.0)


def test_inputs_outputs_and_errors():
    assert jvp(lambda x: 3.0, (1.0,), (1.0,)) == (3.0, 0.0)  # a constant
    assert jvp(lambda v: v[0] * v[1], ([2.0, 3.0],), ([1.0, 1.0],)) == (6.0, 5.0)
    with pytest.raises(ValueError, match="1 primals but 2 tangents"):
        jvp(lambda x: x, (1.0,), (1.0, 2.0))
    with pytest.raises(TypeError, match="tuples"):
        jvp(lambda x: x, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"log\(-1.0\): log needs a positive input"):
        jvp(lambda x: x.log(), (-1.0,), (1.0,))
    with pytest.raises(TypeError, match="drop its tangent"):
        float(Dual(1.0, 2.0))
    with pytest.raises(ValueError, match="shape"):
        hvp(scalar_f, [1.0, 2.0, 3.0], [1.0])
    assert hessian(lambda p: 5.0)([1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]
    assert hessian(lambda x: x ** 3)(2.0) == 12.0


def test_hvp_leaves_no_trace_in_the_graph():
    w = mgl.Value(2.0, label="w")
    assert hvp(lambda x: x * x * w, 1.0, 1.0) == 4.0
    assert w.grad == 0.0


def test_torch_pow_hessian_at_exponent_zero():
    f = lambda p: (p[0] * p[0] + 1) ** (p[1] * 0.5)  # noqa: E731 - d²f/dp0 dp1 = p0 / (p0² + 1) = 0.5 at (1, 0)
    ours = hessian(f)([1.0, 0.0])
    assert ours[0][1] == ours[1][0] == 0.5
    theirs = TAF.hessian(f, T([1.0, 0.0])).tolist()
    assert theirs[0][1] == 0.0 and theirs[1][0] == 0.5  # torch 2.x: not even symmetric
    assert close(ours, TAF.hessian(f, T([1.0, 1e-12])).tolist())


@settings(deadline=None)
@given(point, point)
def test_jvp_of_grad_is_forward_over_reverse(x, v):
    expected = TAF.hvp(scalar_f, T(x), T(v))[1].tolist()
    g, hv = jvp(grad(scalar_f), (x,), (v,))
    assert close(hv, expected) and close(g, grad(scalar_f)(x))
    assert close(jacobian(grad(scalar_f))(x), TAF.hessian(scalar_f, T(x)).tolist())
    (value, g2), (slope, hv2) = jvp(mgl.value_and_grad(scalar_f), (x,), (v,))
    assert close(hv2, expected) and close(slope, sum(a * b for a, b in zip(g, v)))


def test_jvp_of_grad_of_several_arguments():
    f = lambda x, y: x * x * y + y.sin()  # noqa: E731
    _, tangent = jvp(grad(f, argnums=(0, 1)), (1.5, 2.0), (1.0, 0.0))   # column 0 of the Hessian
    assert close(list(tangent), [2 * 2.0, 2 * 1.5])
