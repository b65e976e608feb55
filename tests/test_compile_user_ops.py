"""User-defined n-ary ops on the compiled path, against the scalar engine.

N-ary ops of one argument group get ``array_forward(np, items)``, ``items`` of shape
``(n, rows, width)``: one slab per input, item ``i`` of every node of a step in slab ``i``;
ops over pairs get ``array_forward(np, ws, xs)``, one such array per group, a bias being
the pair ``(b, 1)`` (as the scalar engine differentiates it).  Both reduce over axis 0.
Partials are elementwise on those arrays and the result (see ``compile.lower.ReduceStep``).
Only the table's ``dot`` is lowered to (matrix) products; every other op is lowered by
its array rules, which are checked against its scalar rules when compiling.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

from test_compile import assert_matches, check_expression  # noqa: E402

from microgradlab import Parameter, Value, ops  # noqa: E402
from microgradlab.compile import CompileError, compile  # noqa: E402
from microgradlab.testing import expressions  # noqa: E402


def _sum_of_squares(define):
    return define("test_sumsq", lambda xs: math.fsum(x * x for x in xs), (lambda m, x, out: 2.0 * x,), arity=0,
                  array_forward=lambda np, xs: (xs * xs).sum(axis=0))


def _weighted_squares(define, array_forward=lambda np, ws, xs: (ws * ws * xs).sum(axis=0)):
    """``Σ w_i² x_i``, and ``b²`` for a bias (the pair ``(b, 1)``)."""
    def forward(ws, xs):
        xs = list(xs) + [1.0] * (len(ws) - len(xs))
        return math.fsum(w * w * x for w, x in zip(ws, xs))

    return define("test_wsq", forward, (lambda m, w, x, out: 2.0 * w * x, lambda m, w, x, out: w * w), arity=0,
                  array_forward=array_forward)


def _compiled_against_scalar(fn, points, params):
    """Outputs and parameter and input gradients of ``fn`` compiled, and on the scalar engine, per sample."""
    points = np.asarray(points)
    compiled = compile(fn, (points[0].tolist(),), params)
    result = compiled.value_and_grad(points, reduction="none", wrt_inputs=True)
    outputs, param_grads, input_grads = [], [], []
    for row in points:
        for p in params:
            p.grad = 0.0
        xs = [Value(float(v)) for v in row]
        out = fn(xs)
        out.backward()
        outputs.append(out.data)
        param_grads.append([p.grad for p in params])
        input_grads.append([x.grad for x in xs])
    assert_matches(result.outputs, outputs, "outputs")
    assert_matches(result.params, param_grads, "parameter gradients")
    assert_matches(result.inputs[0], input_grads, "input gradients")
    return compiled


def test_a_user_nary_op_of_one_argument_group_compiles(define):
    from microgradlab import apply

    _sum_of_squares(define)
    w = [Parameter(0.5), Parameter(-1.5)]
    compiled = _compiled_against_scalar(
        lambda xs: apply("test_sumsq", [xs[0] * w[0], xs[1] * w[1], xs[0] + xs[1], 2.0]).tanh() + apply(
            "test_sumsq", [xs[1] * w[0], xs[0]]),
        [[0.3, -0.2], [1.0, 0.5], [-0.7, 0.1]], w)
    assert [g.op for g in compiled.tape.groups].count("test_sumsq") == 2  # two sizes: two steps


def test_a_user_op_over_pairs_compiles_by_its_array_rule(define):
    from microgradlab import apply, dot

    _weighted_squares(define)
    w = [Parameter(0.5), Parameter(-1.5), Parameter(2.0)]
    bias = Parameter(0.25)
    compiled = _compiled_against_scalar(
        lambda xs: apply("test_wsq", w[:2], xs, bias) * apply("test_wsq", xs, [w[2], xs[0] * w[0]])
        + dot(w[:2], xs),  # the table's dot stays a weighted sum next to it
        [[0.3, -0.2], [1.0, 0.5], [-0.7, 0.1]], w + [bias])
    ops_in_tape = [g.op for g in compiled.tape.groups]
    assert ops_in_tape.count("test_wsq") == 2 and "dot" in ops_in_tape


def test_user_nary_ops_in_random_expressions_match_the_scalar_engine(define):
    """The strategies draw the user's n-ary ops among built-in ones; compiled, they agree with the scalar engine."""
    table = [_sum_of_squares(define), _weighted_squares(define)] + [ops.get(n) for n in ("add", "mul", "tanh")]

    @given(st.data())
    def check(data):
        expr = data.draw(expressions(ops=table, max_depth=3, n_inputs=st.integers(1, 3)))
        check_expression(expr, data.draw(st.integers(1, 4)), np.random.default_rng(data.draw(st.integers(0, 99))))

    check()


def test_user_ops_over_pairs_need_an_array_rule_that_agrees(define):
    """Partials that are the other factor, as dot's, do not make an op a dot: its own rules are used and checked."""
    from microgradlab import apply
    from microgradlab.ops import Factor

    define("test_shifted_dot", lambda ws, xs: math.fsum(w * x for w, x in zip(ws, xs)) + 1.0,
           (Factor(1), Factor(0)), arity=0)
    with pytest.raises(CompileError, match="'test_shifted_dot' over pairs has no compiled rule; define it with "
                                           "array_forward=lambda np, ws, xs"):
        compile(lambda xs: apply("test_shifted_dot", xs, [2.0, 3.0]), ([1.0, 2.0],))
    _weighted_squares(define, array_forward=lambda np, ws, xs: (ws * xs).sum(axis=0))
    with pytest.raises(CompileError, match="array_forward of op 'test_wsq' disagrees with the scalar rule"):
        compile(lambda xs: apply("test_wsq", xs, [2.0, 3.0]), ([1.0, 2.0],))
