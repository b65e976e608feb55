"""Recognising neurons and layers in a graph of scalars, for ``to_dot(..., collapse=...)``.

Neurons are found from the graph's structure alone (see :func:`_find_neurons`),
so any model's graph collapses, not only :mod:`microgradlab.nn`'s: the same
weights applied to several samples are one neuron, neurons reading the same
inputs are a layer (a union-find over the inputs they read), and leaves used
only inside boxes are drawn as part of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import graphviz

from ..engine import Value
from .labels import grad_of
from .traverse import users_of

_BIAS_INPUT = ("c", 1.0)  # dot(ws, xs, bias) stores its bias as the weight of a constant input 1


@dataclass
class _Neuron:
    params: Dict[int, Value]
    input_keys: Dict[Tuple[Any, ...], None] = field(default_factory=dict)  # an ordered set
    activation: Optional[str] = None
    is_output: bool = False

    def data_keys(self) -> List[Tuple[Any, ...]]:
        """The input keys without the constant 1 of a bias: a last input that is 1 in every sample."""
        if all(key and key[-1] == _BIAS_INPUT for key in self.input_keys):
            return [key[:-1] for key in self.input_keys]
        return list(self.input_keys)


@dataclass
class Box:
    """A node that stands for many scalars: a neuron, a layer, or the inputs of a layer."""

    id: str
    title: str
    kind: str  # "neuron", "layer" or "inputs"
    neurons: int = 0
    activations: Dict[str, None] = field(default_factory=dict)
    params: Dict[int, Value] = field(default_factory=dict)
    is_output: bool = False
    values: Dict[Any, None] = field(default_factory=dict)  # inputs box: what it stands for
    samples: Dict[Tuple[Any, ...], None] = field(default_factory=dict)
    labels: Dict[str, None] = field(default_factory=dict)
    layer: Optional[int] = None  # a neuron's layer, counted from the input side

    def add(self, neuron: _Neuron) -> None:
        """Put ``neuron`` into this box: count it, and take its parameters and activation."""
        self.neurons += 1
        self.params.update(neuron.params)
        self.is_output = self.is_output or neuron.is_output
        if neuron.activation:
            self.activations[neuron.activation] = None

    def grad_norm(self) -> float:
        """The Euclidean norm of the gradients of the box's parameters."""
        return math.sqrt(math.fsum(grad_of(p) ** 2 for p in self.params.values()))


def _input_key(ins: Sequence[Any]) -> Tuple[Any, ...]:
    return tuple(("v", id(x)) if isinstance(x, Value) else ("c", x) for x in ins)


def _split_dot(node: Value) -> Optional[Tuple[Tuple[Any, ...], Tuple[Any, ...]]]:
    """``(weights, inputs)`` of a ``dot`` node one of whose sides is all Parameters."""
    items = node.inputs
    half = len(items) // 2
    ws, xs = items[:half], items[half:]
    for weights, ins in ((ws, xs), (xs, ws)):
        if weights and all(isinstance(w, Value) and w.is_parameter for w in weights):
            return weights, ins
    return None


def _find_neurons(order: List[Value], users: Dict[int, List[Value]],
                  roots: Set[int]) -> Tuple[List[_Neuron], Dict[int, int]]:
    """The neurons of a graph and, for each member node's id, its neuron's index.

    A neuron is a ``dot`` node whose weights (and bias, if it has one) are all
    Parameters, then an ``add`` of a Parameter (a bias kept outside the
    ``dot``), then an activation (an op of :func:`microgradlab.ops.activations`,
    a user's own included), each of the last two taken only when it is
    the sole user of what comes before.  Dot nodes with the same weights (one
    per sample of a batch) are the same neuron.
    """

    def sole_user(v: Value) -> Optional[Value]:
        used_by = users.get(id(v), ())
        return used_by[0] if len(used_by) == 1 and id(v) not in roots else None

    neurons: List[_Neuron] = []
    by_weights: Dict[Tuple[int, ...], int] = {}
    member: Dict[int, int] = {}
    for node in order:
        split = _split_dot(node) if node.op is not None and node.op.name == "dot" else None
        if split is None:
            continue
        weights, ins = split
        index = by_weights.setdefault(tuple(map(id, weights)), len(neurons))
        if index == len(neurons):
            neurons.append(_Neuron({id(w): w for w in weights}))
        neuron = neurons[index]
        neuron.input_keys[_input_key(ins)] = None
        member[id(node)] = index
        head = node
        bias = sole_user(head)
        if bias is not None and bias.op.name == "add":
            other = bias.inputs[1] if bias.inputs[0] is head else bias.inputs[0]
            if isinstance(other, Value) and other.is_parameter and other.is_leaf:
                neuron.params[id(other)] = other
                member[id(bias)] = index
                head = bias
        act = sole_user(head)
        if act is not None and act.op.activation:  # built-in or ops.define(..., activation=True): unary
            neuron.activation = act.op.name
            member[id(act)] = index
            head = act
        neuron.is_output = neuron.is_output or id(head) in roots
    return neurons, member


def _find_layers(neurons: List[_Neuron]) -> List[int]:
    """Each neuron's layer: neurons that read the same inputs, numbered from the input side."""
    parent = list(range(len(neurons)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: Dict[Tuple[Any, ...], int] = {}
    for i, neuron in enumerate(neurons):
        for key in neuron.data_keys():
            a, b = find(i), find(first.setdefault(key, i))
            parent[max(a, b)] = min(a, b)  # the smallest index leads, so numbering follows discovery
    leaders = sorted({find(i) for i in range(len(neurons))})
    number = {leader: n for n, leader in enumerate(leaders)}
    return [number[find(i)] for i in range(len(neurons))]


def _common_prefix(names: List[str]) -> str:
    """The dotted prefix of all ``names`` (``"layers.0"``), or ``""`` unless it is shorter than each."""
    if not names or not all(names):
        return ""
    parts = [n.split(".") for n in names]
    common = []
    for column in zip(*parts):
        if any(c != column[0] for c in column):
            break
        common.append(column[0])
    return "" if any(len(p) == len(common) for p in parts) else ".".join(common)


class Collapsed:
    """Where each Value goes when neurons or layers are drawn as boxes.

    Members of a neuron go into its box (or its layer's box); leaves used only
    inside boxes are drawn as part of them: Parameters are counted in their
    box, other leaves and constant inputs go into an *inputs* box per layer.
    Everything else is drawn as usual.
    """

    def __init__(self, order: List[Value], roots: List[Value], level: str, names: Dict[int, str]) -> None:
        self.level = level
        users = users_of(order)
        neurons, member = _find_neurons(order, users, {id(r) for r in roots})
        layer_of = _find_layers(neurons)
        self.boxes: List[Box] = []
        box_of_neuron = self._neuron_boxes(neurons, layer_of, level, names)
        self.box_of: Dict[int, Box] = {node: box_of_neuron[i] for node, i in member.items()}
        self.hidden = {id(v) for v in order
                       if v.is_leaf and id(v) in users and all(id(u) in self.box_of for u in users[id(v)])}
        self.param_box: Dict[int, Box] = {}
        for box in self.boxes:
            for p in box.params:
                self.param_box.setdefault(p, box)
        labels = {id(v): v.label for v in order if id(v) in self.hidden}
        self.inputs_of: Dict[int, Box] = {}  # id(member) -> the inputs box of its layer
        inputs_boxes: Dict[int, Box] = {}
        for neuron, layer in zip(neurons, layer_of):
            for key in neuron.data_keys():
                items = [(item, i) for i, item in enumerate(key)
                         if item[0] == "c" or (item[1] in self.hidden and item[1] not in self.param_box)]
                if not items:
                    continue
                if layer not in inputs_boxes:
                    inputs_boxes[layer] = self._new_box("inputs", "inputs")
                box = inputs_boxes[layer]
                box.samples[key] = None
                for item, i in items:
                    box.values[item if item[0] == "v" else (key, i)] = None
                    if item[0] == "v" and labels[item[1]]:
                        box.labels[labels[item[1]]] = None
        for node, i in member.items():
            if layer_of[i] in inputs_boxes:
                self.inputs_of[node] = inputs_boxes[layer_of[i]]

    def _new_box(self, title: str, kind: str) -> Box:
        box = Box(f"g{len(self.boxes)}", title, kind)
        self.boxes.append(box)
        return box

    def _neuron_boxes(self, neurons: List[_Neuron], layer_of: List[int], level: str,
                      names: Dict[int, str]) -> List[Box]:
        n_layers = max(layer_of, default=-1) + 1
        titles = []  # from the parameters' names (the model's, else their labels) when they share a prefix
        for layer in range(n_layers):
            params = [p for n, ly in zip(neurons, layer_of) if ly == layer for p in n.params.values()]
            titles.append(_common_prefix([names.get(id(p)) or p.label for p in params]) or f"layer {layer}")
        layer_boxes: Dict[int, Box] = {}
        seen = [0] * n_layers
        boxes = []
        for neuron, layer in zip(neurons, layer_of):
            if level == "neuron":
                box = self._new_box(f"{titles[layer]} neuron {seen[layer]}", "neuron")
                box.layer = layer
            elif layer in layer_boxes:
                box = layer_boxes[layer]
            else:
                box = layer_boxes[layer] = self._new_box(titles[layer], "layer")
            seen[layer] += 1
            box.add(neuron)
            boxes.append(box)
        return boxes

    def drawn(self, v: Value) -> bool:
        """Whether ``v`` is drawn as a node of its own (not inside a box)."""
        return id(v) not in self.box_of and id(v) not in self.hidden

    def edges_into_boxes(self, order: List[Value], ids: Dict[int, str]) -> BoxEdges:
        """Edges into boxes, one per pair of nodes, counting the distinct Values they carry."""
        edges = BoxEdges(labelled=self.level == "layer")
        for node in order:
            box = self.box_of.get(id(node))
            if box is None:
                continue
            inputs_box = self.inputs_of.get(id(node))
            for x in node.inputs:
                if not isinstance(x, Value):
                    if node.op.name == "dot" and inputs_box is not None:  # else the constant 1 of a bias
                        edges.add(inputs_box.id, box.id, None)
                elif id(x) in self.box_of:
                    if self.box_of[id(x)] is not box:
                        edges.add(self.box_of[id(x)].id, box.id, id(x))
                elif id(x) in self.param_box:
                    owner = self.param_box[id(x)]
                    if owner is not box:  # a weight of one neuron that another one reads
                        edges.add(owner.id, box.id, id(x))
                elif id(x) in self.hidden:
                    edges.add(inputs_box.id, box.id, None)
                else:
                    edges.add(ids[id(x)], box.id, id(x))
        return edges


class BoxEdges:
    """Edges into boxes, merged per pair of nodes; with ``labelled``, each says how many Values it carries."""

    def __init__(self, labelled: bool = False) -> None:
        self.labelled = labelled
        self.carried: Dict[Tuple[str, str], Set[int]] = {}

    def add(self, src: str, dst: str, value: Optional[int]) -> None:
        carried = self.carried.setdefault((src, dst), set())
        if value is not None:
            carried.add(value)

    def emit(self, graph: graphviz.Digraph, layers: Optional[Dict[str, List[str]]] = None) -> None:
        """Write the edges; with ``layers`` (cluster name -> its neuron boxes, in order), the edges
        between two layers are drawn as one labelled edge between the clusters when they are dense
        (more than a one-to-one wiring would have: more than the two layers' neurons together)."""
        cluster = {box: name for name, boxes in (layers or {}).items() for box in boxes}
        between: Dict[Tuple[str, str], int] = {}
        for src, dst in self.carried:
            if src in cluster and dst in cluster and cluster[src] != cluster[dst]:
                between[cluster[src], cluster[dst]] = between.get((cluster[src], cluster[dst]), 0) + 1
        bundled = {pair for pair, n in between.items()
                   if n > len(layers[pair[0]]) + len(layers[pair[1]])}  # type: ignore[index]
        for (src, dst), carried in self.carried.items():
            if (cluster.get(src), cluster.get(dst)) in bundled:
                continue
            label = f"{len(carried)} values" if self.labelled and len(carried) > 1 else None
            graph.edge(src, dst, label=label)
        for tail, head in sorted(bundled, key=list(between).index):
            a, b = layers[tail], layers[head]  # type: ignore[index]
            graph.edge(a[len(a) // 2], b[len(b) // 2], ltail=tail, lhead=head, penwidth="2",
                       label=f"{between[tail, head]} edges ({len(a)} × {len(b)})")
