"""Collapsed views and notebook display: natural neuron order, bundled edges, one number format,
graphs fitted to the page with the full size a click away and a hint when too big to read."""

import re

import pytest

from microgradlab import MLP, Value
from microgradlab.inline import PAGE_WIDTH_PT, graph_html, svg_size
from microgradlab.viz import available_renderers, draw, pipe, to_dot

RENDERERS = [r.name for r in available_renderers()]
NUMBER = re.compile(r"(?:data|grad|grad norm) (-?[0-9.]+(?:e[-+][0-9]+)?)<")


@pytest.fixture(scope="module")
def loss_and_model():
    model = MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    return loss, model


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_collapsed_neurons_keep_their_natural_order(loss_and_model, renderer, rankdir):
    loss, model = loss_and_model
    svg = pipe(to_dot(loss, collapse="neuron", model=model, rankdir=rankdir), renderer=renderer).decode()
    places = {}
    for x, y, layer, k in re.findall(r'<text[^>]* x="([-0-9.]+)" y="([-0-9.]+)"[^>]*>layers\.(\d) neuron (\d+)</text>',
                                     svg):
        across = float(y) if rankdir in ("LR", "RL") else float(x)  # top to bottom, or left to right
        places.setdefault(layer, []).append((across, int(k)))
    assert sorted(places) == ["0", "1", "2"]
    for layer, found in places.items():
        assert [k for _, k in sorted(found)] == list(range(len(found))), f"layer {layer}"


def test_dense_edges_between_layers_are_one_labelled_edge(loss_and_model):
    loss, model = loss_and_model
    source = to_dot(loss, collapse="neuron", model=model).source
    assert source.count("ltail=") == 1 and "256 edges (16 × 16)" in source
    assert "compound=true" in source
    # 16 edges from the inputs, one bundle, 16 into the output neuron, then the loss's own nodes
    assert source.count(" -> ") - source.count("style=invis") < 40


def test_every_number_of_a_drawing_has_the_same_format():
    tiny = Value(2.7358e-05, label="tiny")
    out = tiny * 0.0 + Value(0.5, label="half")
    out.backward()
    shown = NUMBER.findall(to_dot(out).source)
    assert "2.7358e-05" in shown and "0.0000e+00" in shown and "5.0000e-01" in shown
    assert all("e" in s for s in shown)  # never "0.0000" beside "2.7358e-05"
    plain = NUMBER.findall(to_dot(Value(0.5) * 2.0).source)
    assert plain and all("e" not in s for s in plain)  # nothing needs it: fixed point throughout


@pytest.mark.skipif(not RENDERERS, reason="no Graphviz renderer installed")
def test_notebook_view_fits_the_page_with_full_size_a_click_away(loss_and_model):
    loss, model = loss_and_model
    bundle = draw(loss, collapse="layer", model=model)._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/html"}
    page = bundle["text/html"]
    assert page.count("<svg") == 2 and 'style="max-width:100%;height:auto"' in page
    assert "<details><summary>full size (" in page and "<?xml" not in page
    assert "collapse=" not in page  # small enough to read


@pytest.mark.skipif(not RENDERERS, reason="no Graphviz renderer installed")
def test_a_graph_too_big_to_read_says_how_to_draw_it_smaller(loss_and_model):
    loss, model = loss_and_model
    page = draw(loss)._repr_mimebundle_(include=["text/html"])["text/html"]
    width, height = svg_size(page)
    assert width > PAGE_WIDTH_PT / 0.4
    assert f"This graph is {width:.0f} × {height:.0f} pt" in page and "collapse='neuron'" in page
    assert "collapse=" not in graph_html('<svg width="300pt" height="900pt"></svg>')
