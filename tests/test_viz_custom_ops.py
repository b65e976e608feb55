"""A unary op a user defines with ``ops.define(..., activation=True)`` is drawn inside its neuron by ``collapse``.

The neurons are built by hand from the engine, as :class:`microgradlab.nn.Neuron`
builds them: one ``dot`` node of Parameters (bias included), then the activation
applied with :func:`microgradlab.apply`.
"""

from __future__ import annotations

import math
import re
from typing import Iterator, List, Sequence

import pytest

from microgradlab import MLP, Parameter, Value, apply, dot, ops
from microgradlab import viz
from microgradlab.viz import to_dot

SWISH = "swish_act"  # x * sigmoid(x), flagged as an activation
SOFTSIGN = "softsign_op"  # x / (1 + |x|), an ordinary unary op (not flagged)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.fixture
def swish() -> Iterator[ops.Primitive]:
    prim = ops.define(SWISH, lambda x: x * _sigmoid(x),
                      (lambda m, x, out: m.sigmoid(x) * (1.0 + x * (1.0 - m.sigmoid(x))),),
                      symbol="swish", activation=True, doc="x * sigmoid(x)")
    yield prim
    ops.undefine(SWISH)


@pytest.fixture
def softsign() -> Iterator[ops.Primitive]:
    prim = ops.define(SOFTSIGN, lambda x: x / (1.0 + abs(x)), (lambda m, x, out: (1.0 - m.sign(x) * out) ** 2,),
                      symbol="softsign", doc="x / (1 + |x|)")
    yield prim
    ops.undefine(SOFTSIGN)


def neuron(prim: ops.Primitive, xs: Sequence[object], weights: Sequence[float], bias: float) -> Value:
    """``prim(dot(w, x, b))``, as nn.Neuron computes a neuron: one ``dot`` node, bias included."""
    return apply(prim, dot([Parameter(v) for v in weights], xs, Parameter(bias)))


def op_nodes(source: str) -> List[str]:
    """The symbols of the op nodes drawn value by value (``v3_op [label=<swish> ...]``)."""
    return re.findall(r"v\d+_op \[label=<([^>]*)>", source)


def box_rows(source: str) -> List[List[str]]:
    """The text rows of every box (``g0``, ``g1`` ...) of a collapsed drawing."""
    boxes = re.findall(r"\bg\d+ \[label=<(.*?)> shape=plain\]", source)
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", box)] for box in boxes]


def test_a_user_activation_is_drawn_inside_its_neuron(swish):
    assert SWISH in ops.activations() and SWISH in viz.ACTIVATIONS
    out = neuron(swish, [Value(1.0, label="x1"), Value(-2.0, label="x2")], [0.5, 0.25], 0.1)
    out.backward()
    everything = to_dot(out).source
    assert op_nodes(everything) == ["·", "swish"]  # drawn value by value: the dot node, then the activation
    for collapse in ("neuron", "layer"):
        source = to_dot(out, collapse=collapse).source
        assert op_nodes(source) == []  # the activation is inside the box, not an op node of its own
        rows = box_rows(source)
        neuron_box = next(r for r in rows if r[0] != "inputs")
        what = SWISH if collapse == "neuron" else f"1 neuron, {SWISH}"
        assert neuron_box[1:3] == [what, "3 parameters"]  # 2 weights and the bias


def test_a_layer_of_user_activations_feeds_the_next_layer(swish):
    xs = [Value(0.5, label="x1"), Value(-1.5, label="x2")]
    hidden = [neuron(swish, xs, [0.3 * (i + 1), -0.2], 0.05 * i) for i in range(3)]
    out = neuron(swish, hidden, [0.4, -0.6, 0.8], 0.0)
    loss = (out - 1.0) ** 2
    loss.backward()
    source = to_dot(loss, collapse="layer").source
    summaries = {row[0]: row[1] for row in box_rows(source) if row[0] != "inputs"}
    assert summaries == {"layer 0": f"3 neurons, {SWISH}", "layer 1": f"1 neuron, {SWISH}"}
    assert op_nodes(source) == ["-", "**"]  # only the loss is drawn value by value


def test_an_op_not_flagged_as_activation_stays_outside_the_neuron(softsign):
    assert SOFTSIGN not in ops.activations() and SOFTSIGN not in viz.ACTIVATIONS
    out = neuron(softsign, [Value(1.0), Value(2.0)], [0.5, -1.0], 0.2)
    out.backward()
    source = to_dot(out, collapse="neuron").source
    assert op_nodes(source) == ["softsign"]  # applied to the neuron's output, drawn as an op of its own
    neuron_box = next(r for r in box_rows(source) if r[0] != "inputs")
    assert neuron_box[1:3] == ["linear", "3 parameters"]


def test_undefining_the_activation_takes_it_out_of_the_list(swish):
    assert SWISH in viz.ACTIVATIONS
    ops.undefine(SWISH)
    try:
        assert SWISH not in viz.ACTIVATIONS and SWISH not in ops.activations()
    finally:
        ops.define(SWISH, swish.forward, swish.partials, symbol=swish.symbol, activation=True)  # for the teardown


def test_an_mlp_with_a_user_activation_collapses_by_layer(swish):
    model = MLP(2, [3, 1], activation=SWISH, seed=0)
    loss = (model([1.0, -2.0]) - 0.5) ** 2
    loss.backward()
    source = to_dot(loss, collapse="layer", model=model).source
    summaries = [row[1] for row in box_rows(source) if row[0] != "inputs"]
    assert summaries[0] == f"3 neurons, {SWISH}"
    assert SWISH not in op_nodes(source)
