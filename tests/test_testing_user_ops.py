"""``microgradlab.testing`` with ops a user defines: n-ary ones of one and two argument groups, and activations.

An n-ary op is drawn by the strategies (with a bias, for an op over pairs),
printed as a call with its groups in brackets, parsed back by
``microgradlab.expr`` into the same graph, and its gradients agree with
finite differences.  An activation is drawn by the network strategies.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from microgradlab import Value, nn, ops
from microgradlab.engine import walk
from microgradlab.expr import parse
from microgradlab.gradcheck import gradcheck
from microgradlab.testing import applications, assert_gradients_match, expressions, mlps

# For find() where any example will do: the same examples every run, no shrinking.
ANY = settings(database=None, derandomize=True, max_examples=1000, phases=[Phase.generate])


# --- n-ary ops of one and two argument groups ---------------------------------------------


def sum_of_squares(xs):
    return math.fsum(x * x for x in xs)


def weighted_squares(ws, xs):
    """Σ w_i x_i²; a last extra weight is a bias (its input is 1), as the op table has it for pairs."""
    total = math.fsum(w * x * x for w, x in zip(ws, xs))
    return total + ws[-1] if len(ws) > len(xs) else total


@pytest.fixture
def nary(define):
    """A user n-ary op of one argument group and one of two (pairs), with the default template."""
    define("tst_sumsq", sum_of_squares, (lambda m, x, out: 2.0 * x,), arity=0)
    define("tst_wsq", weighted_squares, (lambda m, w, x, out: x * x, lambda m, w, x, out: 2.0 * w * x), arity=0)
    return ["tst_sumsq", "tst_wsq"]


def test_user_nary_ops_are_applied_and_printed_by_their_names(nary):
    one = find(applications("tst_sumsq"), lambda e: e.n_inputs == 3, settings=ANY)
    assert one.source == "tst_sumsq([x0, x1, x2])"
    assert one(*one.point) == sum_of_squares(one.point)
    two = find(applications("tst_wsq"), lambda e: e.n_inputs == 4, settings=ANY)
    assert two.source == "tst_wsq([x0, x1], [x2, x3])"
    assert two(*two.point) == weighted_squares(two.point[:2], two.point[2:])


@pytest.mark.parametrize("name", ["tst_sumsq", "tst_wsq"])
def test_user_nary_ops_appear_in_drawn_expressions(nary, name):
    expr = find(expressions(ops=[name, "tanh", "mul"], n_inputs=2, max_depth=3),
                lambda e: name in e.op_names and e.size >= 2, settings=ANY)
    assert f"{name}([" in expr.source
    assert math.isfinite(expr(*expr.point))


def test_a_user_op_over_pairs_is_drawn_with_a_bias(nary):
    expr = find(expressions(ops=["tst_wsq"], n_inputs=2, max_depth=1),
                lambda e: re.fullmatch(r"tst_wsq\(\[[^]]*\], \[[^]]*\], [^]]+\)", e.source) is not None,
                settings=ANY)
    assert_gradients_match(expr, order=2)  # the bias's derivative is the weights' partial at input 1


def test_user_nary_ops_in_expressions_parse_back_and_pass_gradcheck(nary):
    """Drawn, printed, parsed back by expr: the same value and gradients, and both agree with finite differences."""

    @given(expressions(ops=nary + ["tanh", "mul", "log", "dot"], n_inputs=st.integers(1, 3)))
    def check(expr):
        assert_gradients_match(expr, order=2)
        direct = [Value(x) for x in expr.point]
        expected = expr(*direct)
        expected.backward()
        parsed = parse(expr.source)
        leaves = [Value(x) for x in expr.point]
        got = parsed.evaluate({f"x{i}": v for i, v in enumerate(leaves)})
        got.backward()
        assert got.data == pytest.approx(expected.data, rel=1e-12, abs=1e-300)
        assert [v.grad for v in leaves] == pytest.approx([v.grad for v in direct], rel=1e-12, abs=1e-12)
        names = [f"x{i}" for i in range(expr.n_inputs)]
        assert gradcheck(lambda *xs: parsed.evaluate(dict(zip(names, xs))), expr.point)

    check()


# --- activations ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ops.activations())
def test_mlps_draw_each_activation_of_the_table(name):
    assert find(mlps(nin=1, hidden=[1]), lambda m: m.activation == name, settings=ANY).activation == name


def nn_accepts(activation):
    try:
        nn.MLP(1, [1], activation=activation)
    except ValueError:
        return False
    return True


def test_mlps_draw_a_user_activation(define):
    define("tst_softsign_act", lambda x: x / (1.0 + abs(x)),
           (lambda m, x, out: (1.0 - m.sign(x) * out) * (1.0 - m.sign(x) * out),), activation=True)
    if not nn_accepts("tst_softsign_act"):
        pytest.skip("microgradlab.nn does not take activations from ops.activations() yet")
    model = find(mlps(nin=2, hidden=[2]), lambda m: m.activation == "tst_softsign_act", settings=ANY)
    assert "tst_softsign_act" in {node.op.name for node in walk(model([0.5, -1.0])) if node.op is not None}
