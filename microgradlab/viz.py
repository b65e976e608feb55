"""Draw computation graphs: every Value with its data and gradient, as Graphviz DOT and SVG.

:func:`to_dot` turns one or more root Values into a :class:`graphviz.Digraph`
(building it needs no Graphviz program: ``.source`` is the DOT text);
:func:`render` writes an SVG (or PNG ...) file in one call, and :func:`draw`
returns a graph that Jupyter shows inline.

Each Value is a small table (label, data, grad); each operation is a small
node with the op table's symbol (``+``, ``*``, ``σ``, ``·`` ...), and edges
come in input order.  Node ids are numbered in a fixed traversal order, so the
same graph always gives the same DOT text.  Colours mean something and a
legend explains them: inputs, parameters (``v.is_parameter``), the output(s),
a gradient-magnitude scale, and red for NaN or infinity.

Big graphs -- an MLP has thousands of scalars -- are drawn with
``collapse="neuron"`` or ``collapse="layer"``: one box per neuron or layer,
recognised from the graph's structure alone (see :func:`to_dot`).

Rendering uses the system's Graphviz ``dot`` when it is on ``PATH`` and
otherwise the ``graphviz-pure`` program (a self-contained port of ``dot``
that is installed from PyPI with microgradlab), so SVG works after a plain
``pip install``.

>>> from microgradlab import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + 1
>>> y.backward()
>>> print(to_dot(y, legend=False).source)  # doctest: +ELLIPSIS
digraph "computation graph" {
...
    v0 [label=<...<b>x</b>...data 3.0000...grad 6.0000...>...]
...
    v0 -> v1_op
    v0 -> v1_op
    v1_op -> v1
...
    c0 [label=<1> ...]
    c0 -> v2_op
    v2_op -> v2
}
<BLANKLINE>
"""

from __future__ import annotations

import html
import math
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import graphviz

from .digraph import Digraph
from .engine import Value
from .graph import walk
from .lecture import draw_dot, expand_dots  # the lecture's pictures, re-exported here

__all__ = [
    "to_dot",
    "draw",
    "draw_dot",
    "expand_dots",
    "render",
    "pipe",
    "find_renderer",
    "available_renderers",
    "Renderer",
    "Drawing",
    "RenderError",
    "RendererNotFoundError",
    "GraphTooLargeError",
    "ACTIVATIONS",
    "RENDERERS",
    "COLORS",
    "GRAD_COLORS",
]

Roots = Union[Value, Iterable[Value]]

#: Op-table primitives that ``collapse`` takes as a neuron's activation.
ACTIVATIONS = frozenset({"tanh", "sigmoid", "relu", "leaky_relu", "softplus"})

_RANKDIRS = ("LR", "RL", "TB", "BT")
_COLLAPSE_LEVELS = ("neuron", "layer")
_MAX_PRECISION = 17  # a float never needs more than 17 significant digits

# --- colours and text -----------------------------------------------------------------

#: Background colours of the first cell of a Value (or the title of a box), by what it is,
#: and of any number that is NaN or infinite.
COLORS = {"input": "#cfe2ff", "parameter": "#c7ecd0", "output": "#ffe08a", "nonfinite": "#d62728"}
_KINDS = {"input": "input", "parameter": "parameter", "output": "output / loss"}
#: Background of a gradient, by ``|grad|`` relative to the largest finite ``|grad|`` drawn:
#: ``(fraction, colour)``, one shade per decade, so the dominant gradients stand out and
#: vanishing ones fade away; a zero gradient has none.
GRAD_COLORS = ((1e-1, "#fd8d3c"), (1e-2, "#fdae6b"), (1e-3, "#fdd0a2"), (0.0, "#feedde"))
_NONFINITE = COLORS["nonfinite"]
# A monospace font: every renderer sizes cells with 0.6 em per character (graphviz-pure's
# built-in Courier metrics, the system dot's real Courier/Liberation Mono), and every
# monospace font a viewer may substitute (DejaVu Sans Mono, Menlo, Consolas ...) is at most
# that wide, so text stays inside its cell.  A proportional font does not: boxes sized for
# Helvetica overflow where librsvg draws DejaVu Sans (tests/test_viz_fit.py measures both).
_FONT = "Courier"
_SWATCH = "&#160;" * 8  # the width of a colour sample in the legend

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _text(s: str) -> str:
    """``s`` as text in an HTML-like label: markup, quotes, braces and ``|`` are inert.

    Backslashes are doubled, as Graphviz expands ``\\N``, ``\\G`` ... even in
    HTML-like labels.  Newlines become line breaks and tabs spaces; other
    control characters, which SVG cannot hold, are shown as ``\\xNN``.
    """
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s.replace("\t", " ")).replace("\\", "\\\\")
    # "]" as an entity: Graphviz 2.43 misreads a "]" that ends a text run.
    return "<br/>".join(html.escape(line, quote=True).replace("]", "&#93;") for line in _NEWLINE.split(s))


def _fixed_point_shows(x: float, precision: int) -> bool:
    """Whether ``precision`` decimals show ``x`` faithfully: not too small to vanish, not too big to read."""
    return not math.isfinite(x) or x == 0.0 or 10.0**-precision <= abs(x) < 1e6


def _scientific(numbers: Iterable[float], precision: int) -> bool:
    """One notation for a whole drawing: scientific as soon as fixed point would hide one of its numbers."""
    return not all(_fixed_point_shows(x, precision) for x in numbers)


def _number(x: float, precision: int, scientific: bool = False) -> str:
    """``x`` with ``precision`` decimals, in fixed point or (``scientific``) in scientific notation.

    >>> _number(0.5, 4), _number(2.7358e-05, 4, scientific=True), _number(0.0, 4, scientific=True)
    ('0.5000', '2.7358e-05', '0.0000e+00')
    """
    if not math.isfinite(x):
        return str(x)  # nan, inf, -inf
    if not scientific and not _fixed_point_shows(x, precision):
        scientific = True  # never hide a value, even when the caller asked for fixed point
    return f"{x + 0.0:.{precision}e}" if scientific else f"{x + 0.0:.{precision}f}"  # + 0.0: no -0.0


def _short(x: float) -> str:
    return f"{x:.6g}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _grad_of(v: Value) -> float:
    g = v.grad
    return g.data if isinstance(g, Value) else float(g)


Cell = Tuple[str, Optional[str]]  # (HTML content, background colour)


def _table(rows: Sequence[Sequence[Cell]], *, alert: bool = False) -> str:
    """An HTML-like label made of rows of cells; a red border when ``alert``."""
    border = f'border="2" color="{_NONFINITE}"' if alert else 'border="0"'
    width = max(len(row) for row in rows)
    out = [f'<<table {border} cellborder="1" cellspacing="0" cellpadding="4">']
    for row in rows:
        out.append("<tr>")
        for content, bg in row:
            span = f' colspan="{width}"' if len(row) == 1 and width > 1 else ""  # a title row
            out.append(f'<td{span} bgcolor="{bg}">{content}</td>' if bg else f"<td{span}>{content}</td>")
        out.append("</tr>")
    out.append("</table>>")
    return "".join(out)


class _GradScale:
    """Background colours for gradient magnitudes, relative to the largest finite one drawn."""

    def __init__(self, magnitudes: Iterable[float]) -> None:
        self.top = max((m for m in magnitudes if math.isfinite(m)), default=0.0)

    def color(self, g: float) -> Optional[str]:
        m = abs(g)
        if m == 0.0 or self.top == 0.0 or math.isnan(m):  # NaN is painted as non-finite instead
            return None
        return next(color for fraction, color in GRAD_COLORS if m >= fraction * self.top)

    def legend_rows(self, number: Any) -> List[Cell]:
        """The colour scale's rows, its thresholds written by ``number`` (as every number of the drawing)."""
        if self.top == 0.0:
            return []
        rows = [(f"|grad| &gt;= {number(f * self.top)}", c) for f, c in GRAD_COLORS[:-1]]
        return rows + [("|grad| &gt; 0", GRAD_COLORS[-1][1])]


# --- walking the graph ----------------------------------------------------------------


class GraphTooLargeError(ValueError):
    """The drawing would have more than ``max_nodes`` nodes; the message says how to collapse it."""


def _as_roots(roots: Roots, where: str) -> List[Value]:
    items = [roots] if isinstance(roots, Value) else list(roots)
    if not items:
        raise ValueError(f"{where}: no roots given; pass a Value or a list of Values")
    for r in items:
        if not isinstance(r, Value):
            raise TypeError(f"{where}: roots must be Values, got {r!r} of type {type(r).__name__}")
    return items


def _too_large(limit: int, collapse: Optional[str], count: Optional[int] = None) -> GraphTooLargeError:
    size = f"{count} nodes" if count is not None else "more nodes than that"
    if collapse is None:
        advice = "draw it with collapse='neuron' or collapse='layer' (one box per neuron or layer)"
    elif collapse == "neuron":
        advice = "try collapse='layer', or draw the graph of fewer samples"
    else:
        advice = "draw the graph of fewer samples (e.g. the loss of one batch)"
    return GraphTooLargeError(f"to_dot: max_nodes={limit} but the drawing has {size}; {advice}, "
                              "or pass a larger max_nodes")


def _cost(inputs: Tuple[Any, ...]) -> int:
    """How many nodes drawing a Value with these inputs takes: itself, its op node, its constants."""
    return 2 + sum(x.__class__ is float for x in inputs) if inputs else 1


def _postorder(roots: List[Value], limit: Optional[int] = None) -> Tuple[List[Value], int]:
    """Every Value reachable from ``roots``, each after its inputs (:func:`microgradlab.graph.walk`),
    and the number of nodes it takes to draw them all.

    With ``limit``, stops with :class:`GraphTooLargeError` as soon as that
    number passes ``limit``, so a deep graph fails fast.
    """
    count = 0

    def tally(v: Value) -> None:
        nonlocal count
        count += _cost(v.inputs)
        if limit is not None and count > limit:
            raise _too_large(limit, None)

    return walk(roots, on_visit=tally), count


def _users(order: List[Value]) -> Dict[int, List[Value]]:
    """For each Value's id, the nodes that take it as an input (once per use)."""
    users: Dict[int, List[Value]] = {}
    for node in order:
        for v in node.inputs:
            if v.__class__ is not float:
                users.setdefault(id(v), []).append(node)
    return users


# --- collapsing neurons and layers -----------------------------------------------------


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
class _Box:
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
        self.neurons += 1
        self.params.update(neuron.params)
        self.is_output = self.is_output or neuron.is_output
        if neuron.activation:
            self.activations[neuron.activation] = None

    def grad_norm(self) -> float:
        return math.sqrt(math.fsum(_grad_of(p) ** 2 for p in self.params.values()))


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
    ``dot``), then an activation, each of the last two taken only when it is
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
        if act is not None and act.op.name in ACTIVATIONS and not any(isinstance(v, Value) for v in act.inputs[1:]):
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


class _Collapsed:
    """Where each Value goes when neurons or layers are drawn as boxes.

    Members of a neuron go into its box (or its layer's box); leaves used only
    inside boxes are drawn as part of them: Parameters are counted in their
    box, other leaves and constant inputs go into an *inputs* box per layer.
    Everything else is drawn as usual.
    """

    def __init__(self, order: List[Value], roots: List[Value], level: str, names: Dict[int, str]) -> None:
        self.level = level
        users = _users(order)
        neurons, member = _find_neurons(order, users, {id(r) for r in roots})
        layer_of = _find_layers(neurons)
        self.boxes: List[_Box] = []
        box_of_neuron = self._neuron_boxes(neurons, layer_of, level, names)
        self.box_of: Dict[int, _Box] = {node: box_of_neuron[i] for node, i in member.items()}
        self.hidden = {id(v) for v in order
                       if v.is_leaf and id(v) in users and all(id(u) in self.box_of for u in users[id(v)])}
        self.param_box: Dict[int, _Box] = {}
        for box in self.boxes:
            for p in box.params:
                self.param_box.setdefault(p, box)
        labels = {id(v): v.label for v in order if id(v) in self.hidden}
        self.inputs_of: Dict[int, _Box] = {}  # id(member) -> the inputs box of its layer
        inputs_boxes: Dict[int, _Box] = {}
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

    def _new_box(self, title: str, kind: str) -> _Box:
        box = _Box(f"g{len(self.boxes)}", title, kind)
        self.boxes.append(box)
        return box

    def _neuron_boxes(self, neurons: List[_Neuron], layer_of: List[int], level: str,
                      names: Dict[int, str]) -> List[_Box]:
        n_layers = max(layer_of, default=-1) + 1
        titles = []  # from the parameters' names (the model's, else their labels) when they share a prefix
        for layer in range(n_layers):
            params = [p for n, ly in zip(neurons, layer_of) if ly == layer for p in n.params.values()]
            titles.append(_common_prefix([names.get(id(p)) or p.label for p in params]) or f"layer {layer}")
        layer_boxes: Dict[int, _Box] = {}
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

    def edges_into_boxes(self, order: List[Value], ids: Dict[int, str]) -> "_Edges":
        """Edges into boxes, one per pair of nodes, counting the distinct Values they carry."""
        edges = _Edges(labelled=self.level == "layer")
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


class _Edges:
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


# --- drawing ------------------------------------------------------------------------------


class Drawing(Digraph):
    """The :class:`graphviz.Digraph` that :func:`to_dot` returns.

    Its ``.render()``, ``.pipe()``, ``.view()`` and Jupyter display use whichever
    renderer :func:`find_renderer` picks (see :class:`microgradlab.digraph.Digraph`).
    """

    _format = "svg"  # the default format of .render() and .pipe() (graphviz's is pdf)
    collapsed = False  # drawn with one box per neuron or layer (changes the advice for a huge graph)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> Dict[str, str]:
        """The SVG, and the notebook view of :func:`microgradlab.inline.graph_html` (one rendering for both)."""
        from .inline import graph_html

        svg = self._repr_image_svg_xml()
        bundle = {"image/svg+xml": svg, "text/html": graph_html(svg, collapsed=self.collapsed)}
        return {k: v for k, v in bundle.items() if (include is None or k in include) and k not in (exclude or ())}


class _Drawer:
    """Adds Values, op nodes, constants, boxes and the legend to a :class:`Drawing`."""

    def __init__(self, rankdir: str, show_data: bool, show_grad: bool, precision: int, scale: _GradScale,
                 scientific: bool = False) -> None:
        self.graph = Drawing("computation graph", graph_attr={"rankdir": rankdir},
                             node_attr={"fontname": _FONT, "fontsize": "11"},
                             edge_attr={"arrowsize": "0.6", "fontname": _FONT, "fontsize": "9"})
        self.show_data, self.show_grad, self.precision, self.scale = show_data, show_grad, precision, scale
        self.scientific = scientific
        self.kinds: Dict[str, None] = {}
        self.alert = False
        self.constants = 0

    def _number_cell(self, name: str, x: float, bg: Optional[str] = None) -> Cell:
        text = f"{name} {self.number(x)}"
        if math.isfinite(x):
            return text, bg
        self.alert = True
        return f'<font color="white"><b>{text}</b></font>', _NONFINITE

    def number(self, x: float) -> str:
        return _number(x, self.precision, self.scientific)

    def _grad_cell(self, name: str, g: float) -> Cell:
        return self._number_cell(name, g, self.scale.color(g))

    def _kind_color(self, kind: Optional[str]) -> Optional[str]:
        if kind is None:
            return None
        self.kinds[kind] = None
        return COLORS[kind]

    def value(self, node_id: str, v: Value, label: str, kind: Optional[str]) -> None:
        cells = []
        if self.show_data:
            cells.append(self._number_cell("data", v.data))
        if self.show_grad:
            cells.append(self._grad_cell("grad", _grad_of(v)))
        alert = any(bg == _NONFINITE for _, bg in cells)
        if label or not cells:
            cells.insert(0, (f"<b>{_text(label)}</b>" if label else "", None))  # Graphviz rejects an empty <b>
        cells[0] = (cells[0][0], cells[0][1] or self._kind_color(kind))
        self.graph.node(node_id, label=_table([cells], alert=alert), shape="plain")

    def operation(self, value_id: str, symbol: str, sources: Sequence[Union[str, float]]) -> None:
        """The op node that makes ``value_id``, with an edge from each input in order.

        ``sources`` are node ids, or numbers for constant inputs (each drawn as its own node).
        """
        op_id = f"{value_id}_op"
        self.graph.node(op_id, label=f"<{_text(symbol)}>", shape="ellipse", fontsize="10",
                        width="0.3", height="0.3", margin="0.04,0.02")
        for src in sources:
            if not isinstance(src, str):
                constant, src = src, f"c{self.constants}"
                self.constants += 1
                self.graph.node(src, label=f"<{_text(_short(constant))}>", shape="plaintext", fontcolor="#555555")
            self.graph.edge(src, op_id)
        self.graph.edge(op_id, value_id)

    def box(self, box: _Box, graph: Optional[graphviz.Digraph] = None) -> None:
        kind = "input" if box.kind == "inputs" else "output" if box.is_output else "parameter"
        rows: List[List[Cell]] = [[(f"<b>{_text(box.title)}</b>", self._kind_color(kind))]]
        if box.kind == "inputs":
            samples = f" in {len(box.samples)} samples" if len(box.samples) > 1 else ""
            rows.append([(_plural(len(box.values), "value") + samples, None)])
            if box.labels:
                shown = list(box.labels)[:4]
                rows.append([(_text(", ".join(shown) + (", ..." if len(box.labels) > 4 else "")), None)])
        else:
            activation = "/".join(box.activations) or "linear"
            what = f"{_plural(box.neurons, 'neuron')}, {activation}" if box.kind == "layer" else activation
            rows.append([(_text(what), None)])
            rows.append([(_plural(len(box.params), "parameter"), None)])
            if self.show_grad:
                rows.append([self._grad_cell("grad norm", box.grad_norm())])
        alert = any(bg == _NONFINITE for row in rows for _, bg in row)
        (graph or self.graph).node(box.id, label=_table(rows, alert=alert), shape="plain")

    def legend(self) -> None:
        rows: List[List[Cell]] = [[("<b>legend</b>", None)]]
        rows += [[(_SWATCH, COLORS[k]), (name, None)] for k, name in _KINDS.items() if k in self.kinds]
        if self.show_grad:
            rows += [[(_SWATCH, color), (text, None)] for text, color in self.scale.legend_rows(self.number)]
        if self.alert:
            rows.append([(_SWATCH, _NONFINITE), ("NaN or infinity", None)])
        self.graph.node("legend", label=_table(rows), shape="plain")


def _parameter_names(model: Any) -> Dict[int, str]:
    if model is None:
        return {}
    named = getattr(model, "named_parameters", None)
    if not callable(named):
        raise TypeError(f"to_dot: model must have a named_parameters() method (like nn.Module), got {model!r}")
    return {id(p): name for name, p in named()}


def _check_options(rankdir: str, precision: int, max_nodes: int, collapse: Optional[str]) -> None:
    if rankdir not in _RANKDIRS:
        raise ValueError(f"to_dot: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= _MAX_PRECISION:
        raise ValueError(f"to_dot: precision must be an int from 0 to {_MAX_PRECISION}, got {precision!r}")
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"to_dot: max_nodes must be a positive int, got {max_nodes!r}")
    if collapse is not None and collapse not in _COLLAPSE_LEVELS:
        raise ValueError(f"to_dot: collapse must be None, 'neuron' or 'layer', got {collapse!r}")


def to_dot(
    roots: Roots,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    precision: int = 4,
    max_nodes: int = 1000,
    collapse: Optional[str] = None,
    model: Any = None,
    legend: bool = True,
) -> Drawing:
    """The computation graph behind ``roots`` as a :class:`graphviz.Digraph` (no Graphviz program needed).

    Args:
        roots: a Value or several (a loss, or a model's outputs).
        rankdir: layout direction: ``"LR"`` (inputs on the left), ``"RL"``, ``"TB"`` or ``"BT"``.
        show_data: show each Value's ``data``.
        show_grad: show each Value's ``grad`` (and a colour scale for its magnitude).
        precision: decimals shown (scientific notation where fixed point would hide the value).
        max_nodes: the most nodes to draw; beyond it a :class:`GraphTooLargeError` says how to collapse.
        collapse: ``None`` (every scalar), ``"neuron"`` or ``"layer"`` (one box per neuron or layer).
        model: optional, anything with ``named_parameters()`` (an ``nn.Module``): its names label
            unlabelled Parameters and title the boxes of layers.
        legend: add a node explaining the colours.

    Returns:
        A :class:`Drawing` (a ``graphviz.Digraph``); ``.source`` is the DOT text,
        identical for identical graphs.

    With ``collapse``, neurons are found from the graph alone: a neuron is a
    ``dot`` node whose weights (and bias, if it has one) are all Parameters,
    followed by an ``add`` of a Parameter (a bias kept outside the ``dot``)
    and then an activation from :data:`ACTIVATIONS`, each taken only if it is
    the sole user of the node before.  ``dot`` nodes with
    the same weights (one per sample of a batch) are the same neuron, and
    neurons reading the same inputs form a layer.  Each box shows its number of
    parameters and the norm of their gradients; leaves used only inside boxes
    are drawn as part of them (constants and input Values as an *inputs* box).

    >>> from microgradlab import Parameter, Value, dot
    >>> w = [Parameter(0.5), Parameter(-1.0)]
    >>> out = (dot(w, [Value(1.0), Value(2.0)]) + Parameter(0.1)).tanh()
    >>> source = to_dot(out, collapse="layer").source
    >>> "3 parameters" in source and "1 neuron, tanh" in source
    True
    """
    _check_options(rankdir, precision, max_nodes, collapse)
    roots = _as_roots(roots, "to_dot")
    names = _parameter_names(model)
    order, count = _postorder(roots, None if collapse else max_nodes)
    collapsed = _Collapsed(order, roots, collapse, names) if collapse else None
    boxes = collapsed.boxes if collapsed else []
    drawn = order
    if collapsed:
        drawn = [v for v in order if collapsed.drawn(v)]
        count += len(boxes) - sum(_cost(v.inputs) for v in order if not collapsed.drawn(v))
    if count > max_nodes:
        raise _too_large(max_nodes, collapse, count)
    magnitudes = [abs(_grad_of(v)) for v in drawn] + [box.grad_norm() for box in boxes]
    scale = _GradScale(magnitudes)
    shown = ([v.data for v in drawn] if show_data else []) + (magnitudes if show_grad else [])
    drawer = _Drawer(rankdir, show_data, show_grad, precision, scale, _scientific(shown, precision))
    drawer.graph.collapsed = collapse is not None
    layers = _draw_boxes(drawer, boxes)
    ids = {id(v): f"v{i}" for i, v in enumerate(drawn)}
    root_ids = {id(r) for r in roots}
    for v in drawn:
        kind = "output" if id(v) in root_ids else "parameter" if v.is_parameter else "input" if v.is_leaf else None
        drawer.value(ids[id(v)], v, v.label or names.get(id(v), ""), kind)
        if not v.is_leaf:
            sources = [x if not isinstance(x, Value) else ids.get(id(x)) or collapsed.box_of[id(x)].id
                       for x in v.inputs]
            drawer.operation(ids[id(v)], v.op.symbol, sources)
    if collapsed:
        collapsed.edges_into_boxes(order, ids).emit(drawer.graph, layers)
    if legend:
        drawer.legend()
    return drawer.graph


def _draw_boxes(drawer: _Drawer, boxes: List[_Box]) -> Dict[str, List[str]]:
    """Draw the boxes; a layer's neuron boxes go into a cluster, stacked in their natural order.

    Returns each cluster's name and its boxes' ids, for bundling the edges between layers.
    """
    layers: Dict[str, List[str]] = {}
    for box in boxes:
        if box.layer is None:
            drawer.box(box)
        else:
            layers.setdefault(f"cluster_layer{box.layer}", []).append(box.id)
    by_id = {box.id: box for box in boxes}
    for name, ids in layers.items():
        with drawer.graph.subgraph(name=name) as cluster, cluster.subgraph() as column:
            cluster.attr(style="rounded,dashed", color="#999999", label="")
            column.attr(rank="same")  # one column (a row for TB): clusters ignore rank themselves
            for box_id in ids:
                drawer.box(by_id[box_id], column)
            # Invisible edges between neighbours fix the order: neuron 0 first (top, or left for TB).
            # Dot orders a rank along its flat edges, and LR turns "left to right" into "bottom to top".
            upward = drawer.graph.graph_attr["rankdir"] in ("LR", "RL")
            for a, b in zip(ids, ids[1:]):
                column.edge(*((b, a) if upward else (a, b)), style="invis")
    if layers:
        drawer.graph.attr(compound="true")  # edges may end at a cluster's border (ltail, lhead)
    return layers


# --- renderers ----------------------------------------------------------------------------

#: Renderers tried by default, in order: the system's Graphviz, then the pip-installed port.
RENDERERS = ("dot", "graphviz-pure")

_INSTALL = {
    "dot": "install Graphviz (apt install graphviz, brew install graphviz or conda install graphviz)",
    "graphviz-pure": "install the graphviz-pure package (pip install graphviz-pure; microgradlab depends on it, "
                     "so reinstalling microgradlab also brings it)",
}
_FORMAT = re.compile(r"[a-z0-9_]+(:[a-z0-9_]+)*")


class RenderError(RuntimeError):
    """Rendering failed; ``.source`` holds the DOT text, so nothing is lost."""

    def __init__(self, message: str, source: str) -> None:
        super().__init__(message)
        self.source = source


class RendererNotFoundError(RenderError):
    """Neither the system's ``dot`` nor ``graphviz-pure`` was found; the message says what to install."""


@dataclass(frozen=True)
class Renderer:
    """A program with ``dot``'s command line: its ``name`` and the ``path`` that runs it."""

    name: str
    path: str

    def run(self, source: str, format: str = "svg") -> bytes:
        """Lay out the DOT ``source`` and return the output file's bytes."""
        if not _FORMAT.fullmatch(format):
            raise ValueError(f"render: format must be a Graphviz output format such as 'svg' or 'png', got {format!r}")
        try:
            proc = subprocess.run([self.path, f"-T{format}"], input=source.encode("utf-8"), capture_output=True)
        except OSError as exc:
            raise RenderError(f"render: cannot run {self.name} ({self.path}): {exc}", source) from exc
        if proc.returncode != 0:
            errors = [line for line in proc.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
            detail = errors[-1] if errors else "no message"
            raise RenderError(f"render: {self.name} failed with exit status {proc.returncode}: {detail}", source)
        return proc.stdout


def _user_scripts() -> Optional[str]:
    try:
        scheme = sysconfig.get_preferred_scheme("user")  # type: ignore[attr-defined]
    except AttributeError:  # Python 3.9
        scheme = f"{os.name}_user"
    try:
        return sysconfig.get_path("scripts", scheme)
    except KeyError:  # pragma: no cover - a platform without a user scheme
        return None


def _locate(program: str) -> Optional[str]:
    """``program`` on ``PATH``; for anything but the system ``dot``, also where pip puts commands.

    pip installs ``graphviz-pure`` next to the interpreter, which is not on
    ``PATH`` when a virtual environment is used without activating it.
    """
    found = shutil.which(program)
    if found or program == "dot":
        return found
    places = (sysconfig.get_path("scripts"), os.path.dirname(sys.executable), _user_scripts())
    for place in dict.fromkeys(p for p in places if p):
        found = shutil.which(program, path=place)
        if found:
            return found
    return None


def available_renderers() -> List[Renderer]:
    """The renderers of :data:`RENDERERS` that are installed, in order of preference."""
    return [Renderer(name, path) for name, path in ((n, _locate(n)) for n in RENDERERS) if path]


def find_renderer(renderer: Optional[str] = None, *, source: str = "") -> Renderer:
    """The program that turns DOT text into SVG.

    Args:
        renderer: ``None`` for the first of :data:`RENDERERS` that is installed
            (the system's ``dot``, else ``graphviz-pure``), one of those names,
            or the name or path of another program with ``dot``'s command line.
        source: DOT text to attach to the error if nothing is found.

    Raises:
        RendererNotFoundError: saying exactly what to install.
    """
    if renderer is None:
        found = available_renderers()
        if found:
            return found[0]
        raise RendererNotFoundError(
            f"render: no Graphviz renderer found: {_INSTALL['graphviz-pure']}, or {_INSTALL['dot']}; "
            "the DOT text is in this error's .source", source)
    path = _locate(renderer)
    if path is None:
        advice = _INSTALL.get(renderer, "pass 'dot', 'graphviz-pure' or the path of a program with dot's flags")
        raise RendererNotFoundError(f"render: renderer {renderer!r} not found: {advice}; "
                                    "the DOT text is in this error's .source", source)
    return Renderer(renderer if renderer in RENDERERS else Path(path).name, path)


def pipe(graph: Union[str, graphviz.Digraph], format: str = "svg", *, renderer: Optional[str] = None) -> bytes:
    """Render DOT text (or a graph from :func:`to_dot`) and return the output's bytes.

    ``renderer`` is as for :func:`find_renderer`.  Errors are :class:`RenderError`
    (or :class:`RendererNotFoundError`) carrying the DOT text in ``.source``.
    """
    source = graph if isinstance(graph, str) else graph.source
    return find_renderer(renderer, source=source).run(source, format)


def render(roots: Union[Roots, graphviz.Digraph], path: Union[str, os.PathLike], format: str = "svg", *,
           renderer: Optional[str] = None, **options: Any) -> Path:
    """Draw ``roots`` (see :func:`to_dot` for ``options``) and write the file ``path``.

    ``roots`` may also be a graph :func:`to_dot` made.  The file is written only
    once rendering has succeeded.  Returns the path written.

    >>> import tempfile, pathlib
    >>> from microgradlab import Value
    >>> x = Value(2.0, label="x")
    >>> y = x.tanh(); y.backward()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     svg = render(y, pathlib.Path(tmp) / "y.svg").read_text()
    >>> "grad 0.0707" in svg
    True
    """
    if isinstance(roots, graphviz.Digraph):
        if options:
            raise TypeError(f"render: options {sorted(options)} apply to Values, not to a graph already drawn")
        graph = roots
    else:
        graph = to_dot(roots, **options)
    data = pipe(graph, format, renderer=renderer)
    path = Path(path)
    path.write_bytes(data)
    return path


def draw(roots: Roots, *, renderer: Optional[str] = None, format: str = "svg", **options: Any) -> Drawing:
    """:func:`to_dot`, checked to be renderable now: the graph Jupyter shows inline.

    ``format`` is the output format of its ``.render()`` and ``.pipe()``;
    ``renderer`` (as for :func:`find_renderer`) is the program they run.
    Raises :class:`RendererNotFoundError` (with the DOT text in ``.source``)
    right away if there is no renderer, instead of when the notebook displays it.
    """
    graph = to_dot(roots, **options)
    graph.format = format
    graph.program = find_renderer(renderer, source=graph.source).path
    return graph


from .animate import Animation, animate  # noqa: E402,F401  (backprop animated; see microgradlab.animate)
