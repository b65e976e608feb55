"""explain(): the chain rule step by step, checked against the lecture's blackboard."""

import math

import pytest

from microgradlab import Value, explain, ops, vsum, dot
from microgradlab.engine import apply


def lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"
    x2w2 = x2 * w2; x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b; n.label = "n"
    o = n.tanh(); o.label = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b)


def test_neuron_matches_the_lecture_line_by_line():
    o, leaves = lecture_neuron()
    e = o.explain()
    # (node, input, local derivative, upstream, product) as the lecture writes them on the board
    lecture = [
        ("o", "n", 0.5, 1.0, 0.5),                      # do/dn = 1 - o**2 = 0.5
        ("n", "x1*w1 + x2*w2", 1.0, 0.5, 0.5),          # a plus node routes the gradient
        ("n", "b", 1.0, 0.5, 0.5),
        ("x1*w1 + x2*w2", "x1*w1", 1.0, 0.5, 0.5),
        ("x1*w1 + x2*w2", "x2*w2", 1.0, 0.5, 0.5),
        ("x2*w2", "x2", 1.0, 0.5, 0.5),                 # x2.grad = w2.data * x2w2.grad
        ("x2*w2", "w2", 0.0, 0.5, 0.0),                 # w2.grad = x2.data * x2w2.grad
        ("x1*w1", "x1", -3.0, 0.5, -1.5),               # x1.grad = w1.data * x1w1.grad
        ("x1*w1", "w1", 2.0, 0.5, 1.0),                 # w1.grad = x1.data * x1w1.grad
    ]
    assert [(s.node, s.input) for s in e] == [row[:2] for row in lecture]
    for s, (_, _, local, upstream, product) in zip(e, lecture):
        assert s.local == pytest.approx(local, abs=1e-12)
        assert s.upstream == pytest.approx(upstream, abs=1e-12)
        assert s.product == pytest.approx(product, abs=1e-12)
        assert s.after == s.before + s.product
    assert e[0].value == pytest.approx(0.7071067811865476)
    assert e[0].formula == "d/dx tanh(x) = 1 - tanh(x)²"
    assert e.grads == pytest.approx(dict(x1=-1.5, x2=0.5, w1=1.0, w2=0.0, b=0.5))
    assert {k: v.grad for k, v in leaves.items()} == pytest.approx(e.grads)
    text = str(e)
    assert text.splitlines()[0] == "backward from o = 0.7071: o.grad = 1"
    assert "do/dn = 0.5" in text and "x1.grad = -1.5" in text and "w1.grad = 1" in text


def test_accumulation_when_an_input_is_reached_twice():
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    d = a * b; d.label = "d"
    e = a + b; e.label = "e"
    f = d * e; f.label = "f"
    steps = explain(f)
    into_a = [s for s in steps if s.input == "a"]
    assert len(into_a) == 2 and not into_a[0].accumulated and into_a[1].accumulated
    assert into_a[1].before == into_a[0].after
    assert a.grad == into_a[1].after == -3.0  # the lecture's bug example: df/da = b*e + d = -3
    assert "a.grad = 3 + -6 = -3" in str(steps) or "a.grad = -6 + 3 = -3" in str(steps)


def test_order_is_backwards_and_each_node_before_its_inputs():
    x = Value(0.5, label="x")
    y = (x * x).exp() + x.sin()
    steps = explain(y)
    for i, s in enumerate(steps):  # once a node passes its gradient on, nothing adds to it any more
        assert all(t.input != s.node for t in steps[i:])
    assert x.grad == pytest.approx(2 * 0.5 * math.exp(0.25) + math.cos(0.5))
    assert steps[-1].accumulated and steps[-1].input == "x"


def test_n_ary_nodes_constants_and_unlabelled_names():
    w = [Value(0.5, label="w0"), Value(-1.0, label="w1")]
    bias = Value(0.25, label="bias")
    s = vsum([dot(w, [2.0, 3.0], bias), 1.0, w[0]])
    e = explain(s)
    assert [st.input for st in e] == ["#4", "w0", "w0", "w1", "bias"]
    assert e[2].formula == "d/dw_i (w · x) = x_i" and e[2].local == 2.0
    assert e[4].formula == "d/db (w · x + b) = 1"
    assert e.grads == {"w0": 3.0, "w1": 3.0, "bias": 1.0}
    assert e[0].expression == "#5 = vsum([#4, 1.0, w0])"


def test_user_defined_op_shows_its_formula():
    prim = ops.define("cube_t", lambda x: x ** 3, (lambda m, x, out: 3.0 * x * x,),
                      formula="d/dx x³ = 3x²")
    try:
        x = Value(2.0, label="x")
        e = explain(apply(prim, x))
        assert e[0].formula == "d/dx x³ = 3x²" and e[0].local == 12.0
    finally:
        ops.undefine("cube_t")
    with pytest.raises(ValueError, match="2 partials but 1 formulas"):
        ops.define("bad_f", lambda x, y: x, (ops.ONE, ops.ONE), formula="d/dx = 1")


def test_every_built_in_op_has_one_formula_per_partial():
    for prim in ops.PRIMITIVES.values():
        assert len(prim.formula) == len(prim.partials), prim.name


def test_formats_and_errors():
    o, _ = lecture_neuron()
    e = explain(o)
    md = e.to_markdown().splitlines()
    assert md[2].startswith("| step | node |") and md[3].startswith("|---|")
    assert len(md) == 4 + len(e)
    assert "\\|" not in "".join(md)
    page = e._repr_html_()
    assert page.count("<tr>") == len(e) + 1 and "<th>rule</th>" in page
    with pytest.raises(TypeError, match="explain: expected a Value"):
        explain(1.0)
    leaf = Value(3.0, label="z")
    assert len(explain(leaf)) == 0 and leaf.grad == 1.0


def test_zero_upstream_passes_nothing_on():
    z = Value(2.0, label="z")
    dead = (z * 0.0).exp() * 0.0  # d dead / d exp(...) = 0: backward stops there, and so does explain
    e = explain(dead)
    assert [s.input for s in e] == ["#3"] and e[0].product == 0.0
    assert z.grad == 0.0
