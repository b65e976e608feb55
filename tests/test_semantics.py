"""Issue 10's findings, each a regression test with an independently computed expected value.

The expected numbers come from PyTorch float64 where PyTorch follows the same
rule (computed here when torch is installed, and written out otherwise), and
from the documented rule (docs/backward-semantics.md) where it does not.
"""

from __future__ import annotations

import gc
import math
import platform

import pytest

from microgradlab import MLP, SGD, Value, apply, dot, fit, grad, logsumexp, no_grad, value_and_grad, vsum
from microgradlab import ops
from microgradlab.engine import VALUE_MATH, local_derivatives
from microgradlab.losses import cross_entropy, log_softmax, softmax
from microgradlab.nary import _lift  # noqa: F401  (the Value namespace is made from the table)
from microgradlab.ops import SCALAR_MATH

INF, NAN = math.inf, math.nan
PYPY = platform.python_implementation() == "PyPy"


def torch_grads(fn, *xs):
    """Gradients of fn at xs computed by PyTorch float64 (None when torch is absent)."""
    try:
        import torch
    except ImportError:
        return None
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    fn(*ts).backward()
    return [t.grad.item() for t in ts]


def same(a, b):
    """Equal to the bit: NaN equals NaN, and the sign of zero counts."""
    return repr(float(a)) == repr(float(b))


# --- PyPy: identity of floats --------------------------------------------------------


def test_backward_does_not_rely_on_the_identity_of_floats():
    x, y = Value(2.0), Value(3.0)
    (x * y).backward()
    assert (x.grad, y.grad) == (3.0, 2.0)
    # the same interior zero reached twice, a stale float grad equal to any mark
    a = Value(1.0)
    b = a * 0.0
    b.grad = 0.0
    (b + b).backward()
    assert a.grad == 0.0 and b.grad == 1.0 + 1.0


# --- NaN in, NaN out; masks select ---------------------------------------------------


def test_relu_of_nan_is_nan_as_on_the_compiled_path():
    assert math.isnan(Value(NAN).relu().data)
    assert math.isnan(Value(NAN).leaky_relu().data)
    assert math.isnan(apply("step", NAN).data) and math.isnan(apply("sign", NAN).data)
    x = Value(NAN)
    x.relu().backward()
    assert math.isnan(x.grad)  # the mask at NaN is NaN: NaN in, NaN out
    assert math.isnan(MLP(2, [3, 1], seed=0)([NAN, 1.0]).data)


def test_an_inactive_relu_selects_zero_even_under_an_infinite_gradient():
    x = Value(-1.0)
    x.relu().sqrt().backward()
    assert same(x.grad, 0.0)
    expected = torch_grads(lambda t: t.relu().sqrt(), -1.0)
    assert expected in (None, [0.0])  # PyTorch's mask selects too


def test_zero_gradient_rule_in_every_mode():
    # sqrt'(0) = inf, multiplied by an exact zero upstream: 0 in every mode
    v = Value(0.0)
    v.sqrt().backward(create_graph=True)
    assert isinstance(v.grad, Value) and v.grad.data == INF
    w, x = Value(1.0), Value(-1.0)
    y = (w * x).relu().sqrt() ** 2 + w
    y.backward()
    assert w.grad == 1.0 and x.grad == 0.0
    w2, x2 = Value(1.0), Value(-1.0)
    ((w2 * x2).relu().sqrt() ** 2 + w2).backward(create_graph=True)
    assert w2.grad.data == 1.0 and same(x2.grad.data, 0.0)


# --- pow at 0 and at overflow ------------------------------------------------------------


def test_pow_with_exponent_zero_has_slope_zero_at_zero():
    x = Value(0.0)
    (x ** 0).backward()
    assert same(x.grad, 0.0)
    assert same(grad(grad(lambda t: t ** 1))(0.0), 0.0)
    assert same(grad(grad(grad(lambda t: t ** 2)))(0.0), 0.0)
    assert grad(grad(lambda t: t ** 2))(0.0) == 2.0


def test_a_derivative_that_overflows_is_minus_inf_as_in_pytorch():
    x = Value(1e-300)
    (x ** -0.5).backward()
    assert x.grad == -INF
    assert torch_grads(lambda t: t ** -0.5, 1e-300) in (None, [-INF])
    assert SCALAR_MATH.pow(-1e200, 3.0) == -INF and SCALAR_MATH.exp(1000.0) == INF


def test_negative_base_with_an_infinite_exponent_is_a_clear_error():
    with pytest.raises(ValueError, match=r"^pow\(-2.0, inf\): a negative base needs an integer exponent$"):
        Value(-2) ** INF


# --- all or nothing -----------------------------------------------------------------------


def test_a_backward_that_raises_changes_no_gradient():
    x, b, e = Value(3.0), Value(-2.0), Value(2.0)
    x.grad, b.grad, e.grad = 0.25, 0.5, 0.75
    y = b ** e + x * 5
    with pytest.raises(ValueError, match=r"^backward through pow\(-2.0, 2.0\): .*positive base"):
        y.backward()
    assert (x.grad, b.grad, e.grad) == (0.25, 0.5, 0.75)


def test_an_anomaly_found_half_way_changes_no_gradient():
    from microgradlab import detect_anomaly

    x, z = Value(0.0), Value(2.0)
    y = z * 3.0 + x.sqrt()
    z.grad = 1.0
    with detect_anomaly(), pytest.raises(FloatingPointError, match="detect_anomaly: backward through sqrt"):
        y.backward()
    assert z.grad == 1.0 and x.grad == 0.0


def test_a_grad_of_none_means_none_yet_even_half_way_through_a_rule():
    ws = [Value(1.0), Value(2.0), Value(3.0)]
    ws[1].grad = None
    out = dot(ws, [10.0, 20.0, 30.0]) + ws[1]
    out.backward()
    assert [w.grad for w in ws] == [10.0, 21.0, 30.0]
    p = Value(1.0)
    p.grad = None
    (p * 3.0).backward(create_graph=True)
    assert p.grad.data == 3.0


# --- no silent gradient loss ---------------------------------------------------------------


def test_grad_records_inside_no_grad():
    with no_grad():
        assert grad(lambda t: t ** 3)(2.0) == 12.0
        assert value_and_grad(lambda t: t * t)(3.0) == (9.0, 6.0)


def test_fit_trains_the_same_inside_no_grad_on_the_scalar_path():
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [1, 1, 0, 0]
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    ha = fit(a, X, y, loss="bce", optimizer=SGD(a.parameters(), lr=0.5), epochs=5, compiled=False, progress=False)
    with no_grad():
        hb = fit(b, X, y, loss="bce", optimizer=SGD(b.parameters(), lr=0.5), epochs=5, compiled=False,
                 progress=False)
    assert ha.loss == hb.loss and hb.grad_norm[0] > 0.0


@pytest.mark.parametrize("result, shown", [(lambda x: [x, x], "list"), (lambda x: "a", "str"),
                                           (lambda x: True, "bool"), (lambda x: None, "NoneType")])
def test_grad_of_something_that_is_not_one_scalar_is_a_type_error(result, shown):
    with pytest.raises(TypeError, match=rf"^grad: .* must return one scalar \(a Value or a number\), got {shown}"):
        grad(result)(1.0)
    assert grad(lambda x: 3.0)(1.0) == 0.0  # a constant number is a scalar: slope 0


def test_math_functions_on_a_value_are_an_error_not_a_silent_constant():
    a = Value(1.0)
    with pytest.raises(TypeError, match=r"would drop its gradient.*\.data / v\.item\(\)"):
        (a * math.exp(a)).backward()
    from microgradlab import exp

    (a * exp(a)).backward()
    assert a.grad == pytest.approx(2 * math.e, rel=1e-15)  # (a e^a)' = e^a (1 + a)


# --- stable losses ------------------------------------------------------------------------------


def test_logsumexp_propagates_nan_in_any_order():
    for xs in ([INF, NAN], [NAN, INF], [1.0, NAN], [NAN, -INF]):
        assert math.isnan(logsumexp(xs).data), xs


@pytest.mark.parametrize("z", [1e15, 1e10, -1e300, 1e300, 7.0])
def test_softmax_and_log_softmax_are_exact_for_huge_equal_logits(z):
    assert [p.data for p in softmax([Value(z), Value(z)])] == [0.5, 0.5]
    assert [v.data for v in log_softmax([z, z])] == [-math.log(2.0)] * 2
    assert cross_entropy([z, z], 0).data == math.log(2.0)


def test_log_softmax_for_logits_far_apart():
    assert [v.data for v in log_softmax([1e300, -1e300])] == [0.0, -2e300]
    assert [v.data for v in log_softmax([1e15, 1e15 + 2.0])] == pytest.approx(
        [-2.0 - math.log1p(math.exp(-2.0)), -math.log1p(math.exp(-2.0))], rel=1e-15)
    assert math.isnan(cross_entropy([NAN, 1.0], 1).data) and math.isnan(cross_entropy([1.0, NAN], 1).data)


def test_cross_entropy_gradient_is_the_softmax_minus_the_target_for_huge_logits():
    zs = [Value(1e15), Value(1e15), Value(1e15 - 1.0)]
    cross_entropy(zs, 0).backward()
    e = math.exp(-1.0)
    assert [z.grad for z in zs] == pytest.approx([1 / (2 + e) - 1, 1 / (2 + e), e / (2 + e)], abs=1e-15)


# --- create_graph holds no cycles ----------------------------------------------------------------


@pytest.mark.skipif(PYPY, reason="no reference counting on PyPy: memory is freed by its collector")
def test_create_graph_leaves_no_cycle_through_interior_nodes():
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = (y * 0.999).tanh()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    gc.collect()
    gc.disable()
    try:
        del y
        assert gc.collect() == 0  # all freed by reference counting already: no cycle was left
    finally:
        gc.enable()


def test_interior_grads_after_create_graph_are_numbers():
    x = Value(2.0)
    h = x.exp()
    (h * h).backward(create_graph=True)
    assert type(h.grad) is float and isinstance(x.grad, Value)


# --- wrong accumulations that a one-character change would make -----------------------------------


def test_a_weight_in_two_dot_nodes_accumulates():
    w = Value(1.0)
    (dot([w], [2.0]) + dot([w], [3.0])).backward()
    assert w.grad == 5.0


def test_a_bias_also_used_elsewhere_accumulates():
    w, b = Value(1.0), Value(1.0)
    (dot([w], [2.0], b) + b * b).backward()
    assert b.grad == 3.0 and w.grad == 2.0


def test_a_reused_interior_node_accumulates_under_create_graph():
    x = Value(2.0)
    r = 1 / x
    (r + r).backward(create_graph=True)
    assert x.grad.data == -0.5


# --- messages that name the entry point -----------------------------------------------------------


@pytest.mark.parametrize("call, message", [
    (lambda: Value(1.0).exp().backward(gradient="a"), r"^backward: gradient: expected a real number, got 'a'"),
    (lambda: vsum(None), r"^vsum: expected an iterable of Values or numbers, got None$"),
    (lambda: dot(None, [1.0]), r"^dot: expected an iterable of Values or numbers, got None$"),
    (lambda: grad(lambda x: x, argnums="a")(1.0), r"^value_and_grad: argnums must be an int or a non-empty"),
])
def test_bad_arguments_name_the_entry_point(call, message):
    with pytest.raises(TypeError, match=message):
        call()


# --- one table drives the namespaces ------------------------------------------------------------------


def test_the_three_math_namespaces_offer_the_same_names_from_the_table(define):
    np = pytest.importorskip("numpy")
    from microgradlab.compile.lower import ArrayMath

    array_math = ArrayMath(np)
    assert SCALAR_MATH.names() == VALUE_MATH.names() == array_math.names() == sorted(ops.PRIMITIVES)
    define("softsign", lambda x: x / (1.0 + abs(x)), (lambda m, x, out: 1.0 / ((1.0 + m.abs(x)) ** 2.0),),
           array_forward=lambda np, x: x / (1.0 + np.abs(x)))
    assert "softsign" in SCALAR_MATH.names() and "softsign" in VALUE_MATH.names() and "softsign" in array_math.names()
    # a user's op inside another user's rule, in every mode
    # d/dx 2x / (1 + |x|) = 2 / (1 + |x|)² = 2 softsign(x) / (x (1 + |x|)) for x != 0
    define("twice_softsign", lambda x: 2.0 * x / (1.0 + abs(x)),
           (lambda m, x, out: 2.0 * m.softsign(x) / x / (1.0 + m.abs(x)),))
    x = Value(0.5)
    apply("twice_softsign", x).backward(create_graph=True)
    assert x.grad.data == pytest.approx(2.0 / 1.5 ** 2, rel=1e-15)
    assert [d for _, d in local_derivatives(apply("twice_softsign", Value(0.5)))] == [pytest.approx(2.0 / 1.5 ** 2)]


def test_a_users_op_over_pairs_works_end_to_end_like_dot(define):
    from microgradlab import gradcheck, gradgradcheck

    # Σ w_i x_i² (+ b): two argument groups, partials of its own (dot's are the other factor)
    define("wsq", lambda ws, xs: sum(w * x * x for w, x in zip(ws, xs)) + (ws[-1] if len(ws) > len(xs) else 0.0),
           (lambda m, w, x, out: x * x, lambda m, w, x, out: 2.0 * w * x), arity=0,
           array_forward=None)
    f = lambda w0, w1, x0, x1, b: apply("wsq", [w0, w1], [x0, x1], b) * x0  # noqa: E731
    assert gradcheck(f, [0.5, -1.5, 2.0, 0.25, 0.75])
    assert gradgradcheck(f, [0.5, -1.5, 2.0, 0.25, 0.75])
    w, x = Value(3.0), Value(2.0)
    node = apply("wsq", [w], [x])
    assert [d for _, d in local_derivatives(node)] == [4.0, 12.0]
    assert node.inputs == (w, x)
    np = pytest.importorskip("numpy")  # noqa: F841
    from microgradlab.compile import CompileError, compile

    with pytest.raises(CompileError, match="'wsq' over pairs has no compiled rule"):
        compile(lambda a: apply("wsq", [a], [a]), (1.0,))
