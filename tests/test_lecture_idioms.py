"""The lecture's cells, written as the lecture writes them, on microgradlab's own Value."""

from __future__ import annotations

import graphviz
import pytest

from microgradlab import Parameter, Value

LECTURE_GRADS = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "n": 0.5, "o": 1.0}


def lecture_neuron():
    """The lecture's neuron, node by node with its labels."""
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n]


def grads(nodes):
    return {v.label: round(v.grad, 4) for v in nodes if v.label in LECTURE_GRADS}


def test_the_chain_rule_by_hand_gives_the_lectures_gradients():
    o, nodes = lecture_neuron()
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = nodes
    o.grad = 1.0
    o._backward()
    n._backward()
    b._backward()  # a leaf: nothing to do
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    assert grads(nodes + [o]) == LECTURE_GRADS


def test_the_lectures_topological_sort_over_prev():
    o, nodes = lecture_neuron()
    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    assert grads(nodes + [o]) == LECTURE_GRADS
    assert len(topo) == 10 and topo[-1] is o


def test_tanh_from_exp_and_division_as_the_lecture_rewrites_it():
    o, nodes = lecture_neuron()
    n = nodes[-1]
    e = (2 * n).exp()
    o2 = (e - 1) / (e + 1)
    o2.backward()
    assert o2.data == pytest.approx(o.data, rel=1e-15)
    assert grads(nodes) == {k: v for k, v in LECTURE_GRADS.items() if k != "o"}


def trace(root):
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def lecture_draw_dot(root):
    """The lecture's draw_dot: records from _prev, op nodes from _op."""
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def test_the_lectures_draw_dot_runs_on_microgradlab_values():
    o, nodes = lecture_neuron()
    o.backward()
    source = lecture_draw_dot(o).source
    for label in ("x1", "x1*w1 + x2*w2", "n", "o"):
        assert f"{{ {label} | data" in source
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in source
    assert "label=tanh" in source and source.count("label=\"*\"") == 2 and source.count("label=\"+\"") == 2
    squared = (nodes[0] ** 2).relu()
    assert {v._op for v in trace(squared)[0]} == {"ReLU", "**2", ""}


def test_user_state_on_parameters_and_leaves():
    """An AdamW keeping p.m and p.v, and a drawing helper's colour, on the Values a user creates."""
    params = [Parameter(0.5), Parameter(-1.0), Value(2.0)]
    for p in params:
        p.m, p.v = 0.0, 0.0
        p._vis_color = "red"
    loss = params[0] * params[1] + params[2] ** 2
    loss.backward()
    lr, beta1, beta2, eps, decay = 0.1, 0.9, 0.999, 1e-8, 0.01
    for p in params:
        p.m = beta1 * p.m + (1 - beta1) * p.grad
        p.v = beta2 * p.v + (1 - beta2) * p.grad**2
        p.data -= lr * (p.m / (1 - beta1) / ((p.v / (1 - beta2)) ** 0.5 + eps) + decay * p.data)
    assert [round(p.m, 6) for p in params] == [-0.1, 0.05, 0.4]
    assert all(p._vis_color == "red" for p in params)
