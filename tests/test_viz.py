"""Graph drawing: DOT structure, colours, escaping, collapsing, and real SVG from each renderer.

Rendering tests take the ``renderer`` fixture: once with the system's Graphviz
``dot`` and once with ``graphviz-pure``, chosen by :func:`microgradlab.viz.find_renderer`
exactly as on a user's machine (for ``graphviz-pure`` the system ``dot`` is
hidden from ``PATH``).  A renderer that is absent is skipped, except under CI,
which installs both.  The SVG is parsed with ``xml.etree``.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import string
import xml.etree.ElementTree as ET
from typing import Dict, List, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradlab import Parameter, Value, dot, vsum
from microgradlab import viz
from microgradlab.viz import COLORS, GRAD_COLORS, GraphTooLargeError, RenderError, RendererNotFoundError

SVG = "{http://www.w3.org/2000/svg}"


# --- rendering and reading SVG ------------------------------------------------------------


def hide_system_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every directory holding a ``dot`` program from ``PATH`` (for this test only)."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    monkeypatch.setenv("PATH", os.pathsep.join(d for d in dirs if d and not shutil.which("dot", path=d)))


@pytest.fixture(params=viz.RENDERERS)
def renderer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> viz.Renderer:
    """Each renderer in turn, as automatic selection finds it."""
    name = request.param
    if name == "graphviz-pure":
        hide_system_dot(monkeypatch)
    try:
        found = viz.find_renderer()
    except RendererNotFoundError:
        found = None
    if found is None or found.name != name:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs both renderers, but {name} was not found")
        pytest.skip(f"{name} is not installed")
    return found


class Node(NamedTuple):
    texts: List[str]
    fills: List[str]


class Svg(NamedTuple):
    nodes: Dict[str, Node]  # by node id (the SVG <title>)
    edges: List[str]  # "src->dst"


def parse_svg(data: bytes) -> Svg:
    root = ET.fromstring(data)
    nodes, edges = {}, []
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if g.get("class") == "node":
            texts = [t.text or "" for t in g.iter(f"{SVG}text")]
            fills = [p.get("fill") for p in g.iter(f"{SVG}polygon") if p.get("fill") not in ("none", "white", None)]
            nodes[title.text] = Node(texts, fills)
        elif g.get("class") == "edge":
            edges.append(title.text)
    return Svg(nodes, edges)


def render_svg(roots, **options) -> Svg:
    """Render with the renderer automatic selection picks (the fixture arranges which)."""
    return parse_svg(viz.pipe(viz.to_dot(roots, **options), "svg"))


def numbers(node: Node) -> Dict[str, float]:
    """``{"data": ..., "grad": ...}`` read from a Value node's texts."""
    out = {}
    for text in node.texts:
        name, _, number = text.partition(" ")
        if name in ("data", "grad", "norm"):
            out[name] = float(number)
    return out


def by_label(svg: Svg) -> Dict[str, Node]:
    """Value nodes by their label (the first text, when it is not a number)."""
    return {n.texts[0]: n for n in svg.nodes.values() if n.texts and not n.texts[0].startswith(("data", "grad"))}


def karpathy_neuron():
    """The neuron of karpathy's micrograd lecture: o = tanh(x1 w1 + x2 w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


# --- the neuron, rendered ---------------------------------------------------------------------


def test_karpathy_neuron_renders_the_lectures_values(renderer):
    o, leaves = karpathy_neuron()
    svg = render_svg(o)
    nodes = by_label(svg)
    # Independent values: o = tanh(n) and do/dn = 1 - o^2, by the chain rule by hand.
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    do_dn = 1.0 - math.tanh(n) ** 2
    expected = {
        "o": (math.tanh(n), 1.0), "n": (n, do_dn),
        "x1": (2.0, -3.0 * do_dn), "w1": (-3.0, 2.0 * do_dn),
        "x2": (0.0, 1.0 * do_dn), "w2": (1.0, 0.0 * do_dn), "b": (6.8813735870195432, do_dn),
    }
    for label, (data, grad) in expected.items():
        shown = numbers(nodes[label])
        assert shown["data"] == pytest.approx(data, abs=5e-5)  # 4 decimals shown: half a unit in the last place
        assert shown["grad"] == pytest.approx(grad, abs=5e-5)
    # The numbers on the lecture's slide.
    assert [numbers(nodes[k])["grad"] for k in ("x1", "w1", "x2", "w2")] == [-1.5, 1.0, 0.5, 0.0]
    assert numbers(nodes["o"])["data"] == 0.7071
    # 10 Values (5 leaves, 5 results) + 5 op nodes + the legend; 9 inputs + 5 results as edges.
    assert len(svg.nodes) == 16 and "legend" in svg.nodes
    assert len(svg.edges) == 14
    assert sum(e.endswith("_op") for e in svg.edges) == 9  # each input into its op node
    ops = sorted(n.texts[0] for key, n in svg.nodes.items() if key.endswith("_op"))
    assert ops == ["*", "*", "+", "+", "tanh"]


def test_constants_repeated_inputs_and_input_order(renderer):
    x = Value(3.0, label="x")
    y = Value(2.0, label="y")
    z = (x * x - y) / 2.0
    z.backward()
    svg = render_svg(z, legend=False)
    # x, y, x*x, x*x - y, z: 5 Values; 3 op nodes; 1 constant node (2.0).
    assert len(svg.nodes) == 9
    # x*x has two edges from x; then x*x, y into "-"; then (x*x - y), 2 into "/"; 3 op -> result edges.
    assert len(svg.edges) == 2 + 2 + 2 + 3
    assert numbers(by_label(svg)["x"]) == {"data": 3.0, "grad": 3.0}  # dz/dx = 2x / 2
    assert numbers(by_label(svg)["y"]) == {"data": 2.0, "grad": -0.5}
    constants = [n.texts for key, n in svg.nodes.items() if key.startswith("c")]
    assert constants == [["2"]]


def test_edges_come_in_input_order():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    source = viz.to_dot([b - a, a - b], legend=False).source
    edges = re.findall(r"^\s*(\w+) -> (\w+)$", source, flags=re.M)
    into = {}
    for src, dst in edges:
        into.setdefault(dst, []).append(src)
    label_of = dict(re.findall(r"^\s*(\w+) \[label=<.*?<b>(\w)</b>", source, flags=re.M))
    ops = [dst for dst in into if dst.endswith("_op")]
    assert [[label_of.get(s) for s in into[op]] for op in ops] == [["b", "a"], ["a", "b"]]


def test_same_graph_gives_the_same_dot_text():
    def build():
        o, _ = karpathy_neuron()
        return viz.to_dot(o).source

    first, second = build(), build()
    assert first == second
    assert "0x" not in first  # no memory addresses leak into node ids


def test_several_roots_share_nodes():
    x = Value(1.5, label="x")
    outs = [x.exp(), x.sin(), x.exp()]
    source = viz.to_dot(outs, legend=False).source
    assert source.count("<b>x</b>") == 1  # x drawn once
    assert len(re.findall(r"^\s*v\d+_op \[", source, flags=re.M)) == 3
    assert source.count(COLORS["output"]) == 3


def test_grad_that_is_a_value_shows_its_data():
    x = Value(2.0, label="x")
    y = x * x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert "grad 12.0000" in viz.to_dot(y).source


# --- colours and legend -----------------------------------------------------------------------


def test_colours_mark_inputs_parameters_output_and_gradient_scale(renderer):
    x = Value(1.0, label="x")
    w = Parameter(2.0, label="w")
    tiny = Value(1e-5, label="tiny")
    out = w * x + tiny * tiny
    out.backward()  # |grads|: x 2, w 1, tiny 2e-5, out 1
    svg = render_svg(out)
    nodes = by_label(svg)
    assert COLORS["input"] in nodes["x"].fills and COLORS["parameter"] in nodes["w"].fills
    grad_color = {fraction: color for fraction, color in GRAD_COLORS}
    assert grad_color[1e-1] in nodes["x"].fills and grad_color[1e-1] in nodes["w"].fills
    assert grad_color[0.0] in nodes["tiny"].fills  # 2e-5 is below 1/1000 of the largest (2)
    outputs = [n for key, n in svg.nodes.items() if key != "legend" and COLORS["output"] in n.fills]
    assert [numbers(n) for n in outputs] == [{"data": 2.0, "grad": 1.0}]  # w*x + tiny² shown to 4 decimals
    legend = svg.nodes["legend"].texts
    assert {"input", "parameter", "output / loss"} <= set(legend)
    # thresholds from the largest |grad|, 2, in the drawing's notation (scientific: "tiny" needs it)
    assert "|grad| >= 2.0000e-01" in legend and "|grad| > 0" in legend


def test_zero_gradients_are_not_coloured_and_have_no_scale():
    x = Value(1.0, label="x")
    y = x * 3.0  # no backward: every grad is 0
    source = viz.to_dot(y).source
    assert not any(color in source for _, color in GRAD_COLORS)
    assert "|grad|" not in source


def test_nonfinite_values_stand_out(renderer):
    x = Value(1e308, label="big")
    y = x * 10.0  # inf
    z = y - y  # nan
    z.backward()
    svg = render_svg(z)
    red = {t for n in svg.nodes.values() if COLORS["nonfinite"] in n.fills for t in n.texts}
    assert {"data inf", "data nan"} <= red
    assert numbers(by_label(svg)["big"]) == {"data": 1e308, "grad": 0.0}  # finite: not red
    assert COLORS["nonfinite"] not in by_label(svg)["big"].fills
    assert "NaN or infinity" in svg.nodes["legend"].texts
    assert f'border="2" color="{COLORS["nonfinite"]}"' in viz.to_dot(z).source


def test_nonfinite_gradients_stand_out():
    x = Value(0.0, label="x")
    y = x.sqrt() - x.sqrt()  # sqrt'(0) is inf, and inf - inf is nan
    y.backward()
    assert math.isnan(x.grad)
    cells = re.findall(r'<td bgcolor="([^"]+)"><font color="white"><b>([^<]+)</b>', viz.to_dot(y).source)
    assert (COLORS["nonfinite"], "grad nan") in cells


def test_legend_can_be_left_out():
    assert "legend" not in viz.to_dot(Value(1.0) + 1.0, legend=False).source


def test_options_hide_data_or_grad_and_set_precision():
    x = Value(1 / 3, label="x")
    y = x * 2.0
    y.backward()
    assert "data 0.33<" in viz.to_dot(y, precision=2).source
    source = viz.to_dot(y, show_grad=False, show_data=False)
    assert "data" not in source.source and "grad" not in source.source
    assert "rankdir=TB" in viz.to_dot(y, rankdir="TB").source


@pytest.mark.parametrize("value, shown", [
    (1e-7, "1.0000e-07"),  # fixed point would show 0.0000
    (-0.0, "0.0000"),
    (123456789.0, "1.2346e+08"),
    (-2.5, "-2.5000"),
    (float("-inf"), "-inf"),
])
def test_number_format(value, shown):
    assert f"data {shown}<" in viz.to_dot(Value(value), legend=False).source


@pytest.mark.parametrize("options, message", [
    ({"rankdir": "XY"}, "rankdir"),
    ({"precision": -1}, "precision"),
    ({"precision": 2.5}, "precision"),
    ({"max_nodes": 0}, "max_nodes"),
    ({"collapse": "neurons"}, "collapse"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        viz.to_dot(Value(1.0), **options)


def test_bad_roots():
    with pytest.raises(TypeError, match="roots must be Values, got 1.0"):
        viz.to_dot([Value(1.0), 1.0])
    with pytest.raises(ValueError, match="no roots"):
        viz.to_dot([])


# --- escaping ----------------------------------------------------------------------------------


# Each label, and the lines it is shown as.
HOSTILE = {
    'say "hi"': ['say "hi"'], "{a|b}": ["{a|b}"], "<b>bold</b>": ["<b>bold</b>"], "x -> y": ["x -> y"],
    '"]; evil [label="x': ['"]; evil [label="x'], "</td></tr></table>>]; evil [": ["</td></tr></table>>]; evil ["],
    "a & b; &amp;": ["a & b; &amp;"], "[]": ["[]"], "'single'": ["'single'"], "σ ∂o/∂x": ["σ ∂o/∂x"],
    "back\\slash \\N \\G \\l": ["back\\slash \\N \\G \\l"],  # Graphviz would expand \N, \G unescaped
    "line1\nline2": ["line1", "line2"], "tab\tend": ["tab end"], "bell\x07": ["bell\\x07"],
}


def test_hostile_labels_render_as_text(renderer):
    leaves = [Value(float(i), label=label) for i, label in enumerate(HOSTILE)]
    svg = render_svg(vsum(leaves), show_data=False, show_grad=False, legend=False)
    assert len(svg.nodes) == len(HOSTILE) + 2  # the leaves, the sum and its op node: nothing injected
    assert len(svg.edges) == len(HOSTILE) + 1
    assert "evil" not in svg.nodes
    for i, lines in enumerate(HOSTILE.values()):
        assert svg.nodes[f"v{i}"].texts == lines


LABEL_CHARACTERS = string.printable.replace("\x0b", "").replace("\x0c", "") + "σ∂é→"


@settings(max_examples=10, deadline=None)  # each example runs the renderer, about 30 ms
@given(st.lists(st.text(alphabet=LABEL_CHARACTERS, min_size=1, max_size=12), min_size=1, max_size=4))
def test_any_label_keeps_the_graph_structure(labels):
    leaves = [Value(float(i), label=label) for i, label in enumerate(labels)]
    graph = viz.to_dot(vsum(leaves), show_data=False, show_grad=False, legend=False)
    svg = parse_svg(viz.pipe(graph, "svg"))
    assert len(svg.nodes) == len(labels) + 2 and len(svg.edges) == len(labels) + 1
    for i, label in enumerate(labels):
        # Shown as written, line by line (a tab as a space).  Renderers drop blank lines and
        # may write runs of spaces as no-break spaces, so compare the stripped, non-blank lines.
        lines = [line.strip() for line in re.split(r"\r\n|\r|\n", label.replace("\t", " ")) if line.strip()]
        texts = [t.replace("\xa0", " ").strip() for t in svg.nodes[f"v{i}"].texts]
        assert [t for t in texts if t] == lines


# --- size limits and deep graphs ---------------------------------------------------------------


def chain(n: int) -> Value:
    y = Value(0.0, label="start")
    for _ in range(n):
        y = y + 1.0
    return y


def test_too_many_nodes_says_how_to_collapse():
    with pytest.raises(GraphTooLargeError, match=r"max_nodes=50 .*collapse='neuron' or collapse='layer'"):
        viz.to_dot(chain(20), max_nodes=50)  # 20 Values, 20 op nodes, 20 constants, the start
    assert len(viz.to_dot(chain(20), max_nodes=61).source) > 0


def test_a_million_node_graph_gives_the_error_not_a_recursion_error():
    deep = chain(1_000_000)
    with pytest.raises(GraphTooLargeError):
        viz.to_dot(deep)


def test_collapse_walks_a_deep_graph_iteratively():
    deep = chain(300_000)  # far deeper than the recursion limit; every node is visited
    with pytest.raises(GraphTooLargeError, match="has 900001 nodes"):
        viz.to_dot(deep, collapse="layer")


# --- collapse ------------------------------------------------------------------------------------


class Net(NamedTuple):
    """A hand-built network: per layer, per neuron, (weights, bias, activation or None)."""

    layers: list
    bias_in_dot: bool  # dot(ws, x, b), or dot(ws, x) + b

    def __call__(self, x):
        for layer in self.layers:
            x = [self.neuron(ws, b, act, x) for ws, b, act in layer]
        return x

    def neuron(self, ws, b, act, x):
        z = dot(ws, x, b) if self.bias_in_dot else dot(ws, x) + b
        return getattr(z, act)() if act else z

    def params(self, i):
        return [p for ws, b, _ in self.layers[i] for p in ws + [b]]


def make_net(sizes=(2, 3, 2), acts=("tanh", None), bias_in_dot=False) -> Net:
    layers, k = [], 0
    for nin, nout, act in zip(sizes, sizes[1:], acts):
        layer = []
        for _ in range(nout):
            ws = [Parameter(0.1 * (k := k + 1) * (-1) ** k) for _ in range(nin)]
            layer.append((ws, Parameter(0.05 * k), act))
        layers.append(layer)
    return Net(layers, bias_in_dot)


def squared_error_loss(net: Net, samples) -> Value:
    return vsum((out - target) ** 2 for x, y in samples for out, target in zip(net(x), y))


def grad_norm(params) -> float:
    return math.sqrt(sum(p.grad ** 2 for p in params))


@pytest.mark.parametrize("bias_in_dot", [False, True], ids=["dot+bias", "dot-with-bias"])
def test_collapse_by_layer(renderer, bias_in_dot):
    net = make_net(bias_in_dot=bias_in_dot)
    loss = squared_error_loss(net, [([1.0, -2.0], [0.5, -0.5])])
    loss.backward()
    svg = render_svg(loss, collapse="layer")
    boxes = {n.texts[0]: n for key, n in svg.nodes.items() if key.startswith("g")}
    assert set(boxes) == {"layer 0", "layer 1", "inputs"}
    assert boxes["layer 0"].texts[1:3] == ["3 neurons, tanh", "9 parameters"]  # 3 * (2 weights + bias)
    assert boxes["layer 1"].texts[1:3] == ["2 neurons, linear", "8 parameters"]  # 2 * (3 weights + bias)
    assert boxes["inputs"].texts[1] == "2 values"
    for i in (0, 1):
        shown = float(boxes[f"layer {i}"].texts[3].split()[-1])
        assert shown == pytest.approx(grad_norm(net.params(i)), abs=5e-5)
    # Left outside the boxes: the loss terms (2 subs, 2 squares, the sum) with their op nodes,
    # their constants (2 targets, 2 exponents), and the legend.
    assert len(svg.nodes) == 3 + 5 * 2 + 4 + 1
    ids = {n.texts[0]: key for key, n in svg.nodes.items() if key.startswith("g")}
    assert f"{ids['inputs']}->{ids['layer 0']}" in svg.edges
    assert f"{ids['layer 0']}->{ids['layer 1']}" in svg.edges
    assert sum(e.startswith(ids["layer 1"]) for e in svg.edges) == 2  # one per output, into each "-"
    assert "3 values" in viz.to_dot(loss, collapse="layer").source  # layer 0 passes on 3 values


def test_collapse_by_neuron(renderer):
    net = make_net()
    loss = squared_error_loss(net, [([1.0, -2.0], [0.5, -0.5])])
    loss.backward()
    svg = render_svg(loss, collapse="neuron")
    titles = sorted(n.texts[0] for key, n in svg.nodes.items() if key.startswith("g"))
    assert titles == ["inputs"] + [f"layer 0 neuron {i}" for i in range(3)] + [f"layer 1 neuron {i}" for i in range(2)]
    first = next(n for n in svg.nodes.values() if n.texts[0] == "layer 0 neuron 0")
    ws, b, _ = net.layers[0][0]
    assert first.texts[1:3] == ["tanh", "3 parameters"]
    assert float(first.texts[3].split()[-1]) == pytest.approx(grad_norm(ws + [b]), abs=5e-5)
    # Every neuron of layer 0 feeds every neuron of layer 1: 6 edges, bundled into one labelled edge
    # between the layers' clusters (from and to a middle neuron).
    box = {n.texts[0]: key for key, n in svg.nodes.items() if key.startswith("g")}
    between = [e for e in svg.edges if e.split("->")[0] in box.values() and e.split("->")[1] in box.values()
               and e.split("->")[0] != box["inputs"]]
    assert between == [f"{box['layer 0 neuron 1']}->{box['layer 1 neuron 1']}"]
    assert "6 edges (3 × 2)" in viz.to_dot(loss, collapse="neuron").source


@pytest.mark.parametrize("bias_in_dot", [False, True], ids=["dot+bias", "dot-with-bias"])
def test_collapse_merges_the_samples_of_a_batch(bias_in_dot):
    net = make_net(bias_in_dot=bias_in_dot)
    samples = [([1.0, -2.0], [0.5, -0.5]), ([0.3, 0.2], [-1.0, 1.0]), ([0.0, 1.0], [0.0, 0.0])]
    loss = squared_error_loss(net, samples)
    loss.backward()
    source = viz.to_dot(loss, collapse="layer").source
    assert source.count("neurons, ") == 2  # still one box per layer
    assert "6 values in 3 samples" in source
    assert "9 values" in source  # layer 0 passes 3 values per sample
    norm = grad_norm(net.params(1))
    assert f"grad norm {norm:.4f}" in source


def test_collapse_keeps_input_values_and_other_uses_of_parameters():
    net = make_net(sizes=(2, 1), acts=("relu",))
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    (ws, b, _), = net.layers[0]
    out = net(x)[0] + ws[0] * ws[0]  # a penalty reads a weight outside its neuron
    out.backward()
    source = viz.to_dot(out, collapse="layer").source
    assert "x0, x1" in source and "2 values" in source  # inputs box lists the labels
    assert "3 parameters" in source
    # Drawn on their own: the weight (counted in its box too), ws0 * ws0 and the sum.
    values = re.findall(r"^\s*(v\d+) \[label=<.*?data ([^<]+)<", source, flags=re.M)
    assert [float(data) for _, data in values] == pytest.approx([ws[0].data, ws[0].data ** 2, out.data], abs=5e-5)
    weight = values[0][0]
    assert source.count(f"{weight} -> ") == 2 and source.count(" -> g0") == 1  # ws0 into "*" twice; inputs box


def test_collapse_without_neurons_draws_every_scalar():
    o, _ = karpathy_neuron()  # no Parameters: nothing to collapse
    assert viz.to_dot(o, collapse="layer").source == viz.to_dot(o).source


def test_collapse_of_nn_mlp_uses_parameter_names():
    nn = pytest.importorskip("microgradlab.nn")
    model = nn.MLP(2, [4, 3, 1], activation="tanh", seed=0)
    outs = [model(x) for x in ([1.0, 0.5], [-0.5, 2.0])]
    loss = vsum((o - 1.0) ** 2 for o in outs)
    loss.backward()
    source = viz.to_dot(loss, collapse="layer", model=model).source
    for i, layer in enumerate(model.layers):
        params = layer.parameters()
        assert f"<b>layers.{i}</b>" in source
        assert f"{len(params)} parameters" in source
        assert f"grad norm {grad_norm(params):.4f}" in source
    assert source.count("neurons, tanh") == 2 and "1 neuron, linear" in source
    # Without the model, the parameters' own labels (nn sets them to their names) give the same titles.
    assert viz.to_dot(loss, collapse="layer").source == source
    neurons = viz.to_dot(loss, collapse="neuron").source
    assert "layers.1 neuron 2" in neurons and "layers.2 neuron 0" in neurons


def test_model_names_label_unlabelled_parameters():
    class Model:
        def __init__(self):
            self.w = Parameter(2.0)

        def named_parameters(self):
            return [("scale", self.w)]

    m = Model()
    assert "<b>scale</b>" in viz.to_dot(m.w * 3.0, model=m).source
    with pytest.raises(TypeError, match="named_parameters"):
        viz.to_dot(m.w * 3.0, model=object())


# --- renderers -------------------------------------------------------------------------------------


def test_render_writes_the_file(renderer, tmp_path):
    o, _ = karpathy_neuron()
    path = viz.render(o, tmp_path / "neuron.svg")
    assert path == tmp_path / "neuron.svg"
    assert len(parse_svg(path.read_bytes()).nodes) == 16
    png = viz.render(viz.to_dot(o), tmp_path / "neuron.png", format="png")
    assert png.read_bytes().startswith(b"\x89PNG")


def test_jupyter_display_uses_the_renderer_found(renderer):
    graph = viz.draw(Value(2.0, label="x").tanh())
    svg = graph._repr_mimebundle_()["image/svg+xml"]
    assert "<svg" in svg and ">x<" in svg


def test_hiding_the_system_dot_falls_back_to_graphviz_pure(monkeypatch):
    hide_system_dot(monkeypatch)
    assert shutil.which("dot") is None
    try:
        found = viz.find_renderer()
    except RendererNotFoundError:
        pytest.skip("graphviz-pure is not installed")
    assert found.name == "graphviz-pure"


def test_no_renderer_says_what_to_install_and_keeps_the_source(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    o, _ = karpathy_neuron()
    with pytest.raises(RendererNotFoundError) as caught:
        viz.render(o, tmp_path / "neuron.svg")
    message = str(caught.value)
    assert "pip install graphviz-pure" in message and "apt install graphviz" in message
    assert caught.value.source == viz.to_dot(o).source
    assert not (tmp_path / "neuron.svg").exists()
    with pytest.raises(RendererNotFoundError) as caught:
        viz.draw(o)
    assert caught.value.source.startswith("digraph")
    assert viz.available_renderers() == []


def test_named_renderer_that_is_missing(monkeypatch):
    with pytest.raises(RendererNotFoundError, match="'no-such-program' not found"):
        viz.find_renderer("no-such-program")
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(RendererNotFoundError, match="apt install graphviz"):
        viz.find_renderer("dot")


def test_renderer_failure_is_reported_with_the_source(renderer):
    with pytest.raises(RenderError, match=f"{renderer.name} failed with exit status") as caught:
        viz.pipe("digraph { a -> }", "svg")
    assert caught.value.source == "digraph { a -> }"


def test_format_must_be_a_format_name(renderer):
    with pytest.raises(ValueError, match="format"):
        viz.pipe("digraph { a }", "svg -o /tmp/x")


def test_render_rejects_options_for_a_graph_already_drawn(tmp_path):
    with pytest.raises(TypeError, match="precision"):
        viz.render(viz.to_dot(Value(1.0)), tmp_path / "x.svg", precision=2)


# --- the documentation's figures ----------------------------------------------------------------


def test_docs_graph_figures_are_generated_from_the_code(tmp_path, monkeypatch):
    """docs/make_figures.py remakes each committed graph figure: same nodes, same texts, same edges."""
    import importlib.util
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs"
    monkeypatch.syspath_prepend(str(docs))  # as when the script runs: its folder is on the path
    spec = importlib.util.spec_from_file_location("make_figures", docs / "make_figures.py")
    make_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_figures)
    if not any(r.name == make_figures.GRAPH_RENDERER for r in viz.available_renderers()):
        pytest.skip(f"{make_figures.GRAPH_RENDERER} is not installed")
    graph_figures = [f for f in make_figures.FIGURES if f.__name__.startswith("graph_")]
    assert len(graph_figures) == 3
    for figure in graph_figures:
        made = parse_svg(figure(tmp_path).read_bytes())
        committed = parse_svg((docs / "_static" / f"{make_figures.figure_name(figure)}.svg").read_bytes())
        assert made.nodes == committed.nodes and sorted(made.edges) == sorted(committed.edges), figure.__name__
