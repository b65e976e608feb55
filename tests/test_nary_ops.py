"""User n-ary ops, of one argument group (``apply(op, xs)``) and of two (``apply(op, ws, xs)``), in every mode.

Each op is defined by a test fixture and removed again afterwards.  Gradients
must agree with central finite differences, and plain backward,
``create_graph``, ``grad`` and forward mode must agree with each other to the bit.
"""

import math

import pytest

from microgradlab import Value, apply, explain, grad, hessian, jvp, ops


def _lse(xs):
    top = max(xs)
    return top + math.log(math.fsum(math.exp(x - top) for x in xs))


def _weighted_squares(ws, xs):
    # Σ w_i x_i², and a last extra weight is a bias (its x is 1).
    total = math.fsum(w * x * x for w, x in zip(ws, xs))
    return total + ws[-1] if len(ws) > len(xs) else total


@pytest.fixture
def my_lse():
    prim = ops.define("my_lse", _lse, (lambda m, x, out: m.exp(x - out),), arity=0,
                      formula="d/dx_i LSE(x) = exp(x_i - LSE(x))")
    yield prim
    ops.undefine("my_lse")


@pytest.fixture
def wsq():
    prim = ops.define("wsq", _weighted_squares, (lambda m, w, x, out: x * x, lambda m, w, x, out: 2.0 * w * x),
                      arity=0, formula=("d/dw_i = x_i²", "d/dx_i = 2 w_i x_i"))
    yield prim
    ops.undefine("wsq")


POINT = [0.7, -1.3, 2.1, 0.4]  # weights, then inputs, for wsq: ws = POINT[:2], xs = POINT[2:]


def _numeric(f, point, h=1e-6):
    return [(f(point[:i] + [p + h] + point[i + 1:]) - f(point[:i] + [p - h] + point[i + 1:])) / (2 * h)
            for i, p in enumerate(point)]


def _by_backward(f, point, create_graph=False):
    leaves = [Value(p) for p in point]
    f(leaves).backward(create_graph=create_graph)
    return [v.grad.data if create_graph else v.grad for v in leaves]


def _by_grad(f, point):
    return list(grad(lambda *args: f(list(args)), argnums=tuple(range(len(point))))(*point))


def _by_jvp(f, point):
    basis = [[1.0 if j == i else 0.0 for j in range(len(point))] for i in range(len(point))]
    return [jvp(lambda *args: f(list(args)), tuple(point), tuple(e))[1] for e in basis]


CASES = {
    "one group": (lambda p: apply("my_lse", p), POINT),
    "two groups": (lambda p: apply("wsq", p[:2], p[2:]), POINT),
    "two groups and a bias": (lambda p: apply("wsq", p[:2], p[2:4], p[4]), POINT + [0.25]),
    "two groups, numbers among them": (lambda p: apply("wsq", [p[0], 3.0], [-0.5, p[1]]), POINT[:2]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_agree_with_finite_differences(my_lse, wsq, case):
    f, point = CASES[case]
    numeric = _numeric(lambda p: f(p).data, point)
    assert _by_backward(f, point) == pytest.approx(numeric, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_mode_gives_the_same_gradient_to_the_bit(my_lse, wsq, case):
    f, point = CASES[case]
    plain = _by_backward(f, point)
    assert _by_backward(f, point, create_graph=True) == plain
    assert _by_grad(f, point) == plain
    assert _by_jvp(f, point) == plain


def test_the_value_is_the_forward_rule(my_lse, wsq):
    assert apply("my_lse", [Value(1.0), 2.0]).data == _lse([1.0, 2.0])
    assert apply(wsq, [Value(0.5), 2.0], [3.0, Value(-1.0)], 0.25).data == _weighted_squares([0.5, 2.0, 0.25],
                                                                                          [3.0, -1.0])


def test_second_order_agrees_with_the_analytic_hessian(wsq):
    # f = w x²: d²f/dw² = 0, d²f/dw dx = 2x, d²f/dx² = 2w.
    w, x = 0.7, -1.3
    rows = hessian(lambda p: apply("wsq", [p[0]], [p[1]]))([w, x])
    assert rows[0] == pytest.approx([0.0, 2 * x])
    assert rows[1] == pytest.approx([2 * x, 2 * w])
    assert grad(grad(lambda x: apply("wsq", [w], [x])))(x) == pytest.approx(2 * w)


def test_explain_shows_each_step_with_its_formula(my_lse, wsq):
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    y = apply("wsq", [w], [x])
    steps = list(explain(y))
    assert [(s.input, s.formula, s.local) for s in steps] == [("w", "d/dw_i = x_i²", 4.0),
                                                            ("x", "d/dx_i = 2 w_i x_i", 2.0)]
    assert steps[0].expression == "#3 = wsq([w], [x])"
    zs = [Value(1.0, label="a"), Value(2.0, label="b")]
    lse = apply("my_lse", zs)
    assert [s.local for s in explain(lse)] == [z.grad for z in zs]


def test_a_wrong_application_is_refused_by_name(my_lse, wsq):
    with pytest.raises(TypeError, match="wsq takes weights, inputs and an optional bias"):
        apply("wsq", [Value(1.0)])
    with pytest.raises(TypeError, match="my_lse takes one iterable of inputs"):
        apply("my_lse", [Value(1.0)], [Value(2.0)])
    with pytest.raises(ValueError, match="wsq: lengths differ: 2 weights and 1 inputs"):
        apply("wsq", [Value(1.0), Value(2.0)], [Value(3.0)])


def test_define_refuses_what_the_engine_cannot_run():
    three = tuple(lambda m, a, b, c, out: 1.0 for _ in range(3))
    with pytest.raises(ValueError, match="n-ary op 'three' takes one argument group .* or two .* got 3 partials"):
        ops.define("three", lambda a, b, c: 0.0, three, arity=0)
    with pytest.raises(ValueError, match="'four': arity must be 0 \\(n-ary\\), 1 or 2, got 3"):
        ops.define("four", lambda a, b, c: 0.0, three, arity=3)
    with pytest.raises(TypeError, match="'five': every partial must be callable"):
        ops.define("five", lambda xs: 0.0, (1.0,), arity=0)
    assert not {"three", "four", "five"} & set(ops.PRIMITIVES)
