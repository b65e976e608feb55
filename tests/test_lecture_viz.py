"""draw_dot, expand_dots, and drawings that render as graphviz documents with either renderer."""

from __future__ import annotations

import math
import re
from pathlib import Path

import graphviz
import pytest

from microgradlab import Parameter, Value, dot
from microgradlab.digraph import Digraph
from microgradlab.engine import walk
from microgradlab.micrograd import engine as mg_engine
from microgradlab.micrograd import nn as mg_nn
from microgradlab.viz import GraphTooLargeError, available_renderers, draw, draw_dot, expand_dots, to_dot

RENDERERS = [r.name for r in available_renderers()]
needs_renderer = pytest.mark.skipif(not RENDERERS, reason="no Graphviz renderer installed")


def lecture_neuron():
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), as one dot node."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
    b = Parameter(6.8813735870195432, label="b")
    n = dot([w1, w2], [x1, x2], b)
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, (x1, x2, w1, w2, b)


def records(graph):
    """{label: (data, grad)} of the records in a draw_dot graph."""
    out = {}
    for label in re.findall(r'label="\{ (.*?) \}"', graph.source):
        fields = [f.strip() for f in label.split("|")]
        if len(fields) == 3:
            out[fields[0]] = tuple(float(f.split()[1]) for f in fields[1:])
    return out


def test_draw_dot_is_the_lecture_picture():
    o, (x1, x2, w1, w2, b) = lecture_neuron()
    graph = draw_dot(o)
    assert isinstance(graph, graphviz.Digraph) and graph.format == "svg"
    assert "rankdir=LR" in graph.source
    shown = records(graph)
    assert shown["x1"] == (2.0, -1.5) and shown["w1"] == (-3.0, 1.0)
    assert shown["x2"] == (0.0, 0.5) and shown["w2"] == (1.0, 0.0)
    assert shown["o"] == (0.7071, 1.0) and shown["n"] == (0.8814, 0.5)
    assert re.findall(r"_op \[label=\"?([^\s\"\]]+)", graph.source) == ["dot", "tanh"]
    assert draw_dot(o, rankdir="TB").graph_attr["rankdir"] == "TB"
    with pytest.raises(ValueError, match="draw_dot: rankdir must be one of"):
        draw_dot(o, rankdir="XY")


def test_draw_dot_expanded_shows_the_lectures_chain():
    o, _ = lecture_neuron()
    graph = draw_dot(o, expand=True)
    shown = records(graph)
    assert shown["w1*x1"] == (-6.0, 0.5) and shown["w2*x2"] == (0.0, 0.5)
    assert shown["w1*x1 + w2*x2"] == (-6.0, 0.5) and shown["n"] == (0.8814, 0.5)
    assert sorted(re.findall(r"_op \[label=\"?([^\s\"\]]+)", graph.source)) == ["*", "*", "+", "+", "tanh"]


def test_expand_dots_keeps_data_and_gradients_and_the_original_graph():
    o, leaves = lecture_neuron()
    before = to_dot(o).source
    expanded = expand_dots(o)
    assert expanded is not o and expanded.data == o.data and expanded.grad == o.grad
    assert [v.op.name for v in walk(expanded) if not v.is_leaf] == ["mul", "mul", "add", "add", "tanh"]
    assert {id(v) for v in walk(expanded) if v.is_leaf} == {id(v) for v in leaves}
    assert to_dot(o).source == before
    grads = [v.grad for v in leaves]  # backward through the chain gives the dot's gradients
    for v in leaves:
        v.grad = 0.0
    expanded.backward()
    assert [v.grad for v in leaves] == pytest.approx(grads, rel=1e-15)
    # a list of roots, and a graph with nothing to expand, come back as they were
    z = Value(1.0) * 2.0
    assert expand_dots([z]) == [z] and expand_dots(z) is z


def test_expand_dots_rewrites_every_neuron_of_an_mlp():
    from microgradlab.nn import MLP

    model = MLP(2, [3, 1], seed=0)
    out = model([Value(0.5), Value(-1.0)])
    out.backward()
    expanded = expand_dots(out)
    assert math.isclose(expanded.data, out.data, rel_tol=1e-15)
    assert not any(v.op is not None and v.op.name == "dot" for v in walk(expanded))


def test_draw_dot_runs_on_micrograd_values():
    """The trace_graph.ipynb example on the drop-in: records without a label field, micrograd's _op."""
    x = mg_engine.Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    graph = draw_dot(y)
    assert sorted(re.findall(r"_op \[label=\"?([^\s\"\]]+)", graph.source)) == ["*", "+", "ReLU"]
    assert "{ data 3.0000 | grad 1.0000 }" in graph.source and "{ data 1.0000 | grad 2.0000 }" in graph.source
    import random

    random.seed(1337)
    n = mg_nn.Neuron(2)
    assert len(re.findall(r"shape=record", draw_dot(n([mg_engine.Value(1.0), mg_engine.Value(-2.0)])).source)) == 10


def test_draw_dot_shows_a_gradient_not_computed_yet():
    x = Value(1.0, label="x")
    x.grad = None
    assert "{ x | data 1.0000 | grad None }" in draw_dot(x).source


def test_draw_dot_refuses_huge_graphs():
    x = Value(1.0)
    y = x
    for _ in range(50):
        y = y + x
    with pytest.raises(GraphTooLargeError, match="max_nodes=20"):
        draw_dot(y, max_nodes=20)


@needs_renderer
@pytest.mark.parametrize("program", RENDERERS)
def test_drawings_render_pipe_view_and_display_as_graphviz_documents(program, tmp_path, monkeypatch):
    o, _ = lecture_neuron()
    for graph in (draw_dot(o), draw(o, renderer=program), to_dot(o)):
        graph.program = program
        assert graph.pipe(format="svg").lstrip().startswith(b"<?xml")
        assert graph.pipe(format="svg", encoding="utf-8").lstrip().startswith("<?xml")
        assert "<svg" in graph._repr_mimebundle_()["image/svg+xml"]  # what Jupyter calls
        out = graph.render(tmp_path / "gout")  # the notebook's dot.render('gout')
        assert out == str(tmp_path / "gout.svg") and Path(out).read_bytes().lstrip().startswith(b"<?xml")
        assert (tmp_path / "gout").read_text() == graph.source  # graphviz saves the source too
        assert Path(graph.render(outfile=tmp_path / "g.png")).read_bytes()[:4] == b"\x89PNG"
        viewed = []
        monkeypatch.setattr(type(graph), "_view", lambda self, path, **kw: viewed.append(path))
        graph.view(tmp_path / "seen")
        assert viewed == [str(tmp_path / "seen.svg")]


@needs_renderer
def test_draw_takes_a_format(tmp_path):
    graph = draw(Value(2.0, label="x") * 3.0, format="png")
    assert graph.format == "png"
    assert Path(graph.render(tmp_path / "gout")).read_bytes()[:4] == b"\x89PNG"
    assert graph.renderer is None  # graphviz's own renderer option keeps its meaning


def test_a_missing_program_is_a_clear_error(monkeypatch):
    graph = Digraph()
    graph.edge("a", "b")
    graph.program = "no-such-graphviz-program"
    with pytest.raises(RuntimeError, match="renderer 'no-such-graphviz-program' not found"):
        graph.pipe()
