"""The drawing itself: :func:`to_dot` turns Values into a Graphviz graph (DOT text) with a legend.

Each Value is a small table (label, data, grad), each operation a small node
with the op table's symbol, and edges come in input order; with ``collapse``,
the boxes :mod:`microgradlab.viz.collapse` recognises stand for whole neurons
or layers.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Union

import graphviz

from ..checks import is_int
from ..engine import Value
from ..inline import graph_html
from .collapse import Box, Collapsed
from .digraph import RANKDIRS, Digraph
from .labels import (COLORS, FONT, KINDS, NONFINITE, SWATCH, Cell, GradScale, format_number, grad_of,
                     html_table, html_text, needs_scientific, plural, short_number)
from .traverse import Roots, as_roots, drawn_cost, postorder, too_large

_COLLAPSE_LEVELS = ("neuron", "layer")
_MAX_PRECISION = 17  # a float never needs more than 17 significant digits


class Drawing(Digraph):
    """The :class:`graphviz.Digraph` that :func:`to_dot` returns.

    Its ``.render()``, ``.pipe()``, ``.view()`` and Jupyter display use whichever
    renderer :func:`find_renderer` picks (see :class:`microgradlab.digraph.Digraph`).
    """

    _format = "svg"  # the default format of .render() and .pipe() (graphviz's is pdf)
    collapsed = False  # drawn with one box per neuron or layer (changes the advice for a huge graph)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> Dict[str, str]:
        """The SVG, and the notebook view of :func:`microgradlab.inline.graph_html` (one rendering for both)."""
        svg = self._repr_image_svg_xml()
        bundle = {"image/svg+xml": svg, "text/html": graph_html(svg, collapsed=self.collapsed)}
        return {k: v for k, v in bundle.items() if (include is None or k in include) and k not in (exclude or ())}


class _Drawer:
    """Adds Values, op nodes, constants, boxes and the legend to a :class:`Drawing`."""

    def __init__(self, rankdir: str, show_data: bool, show_grad: bool, precision: int, scale: GradScale,
                 scientific: bool = False) -> None:
        self.graph = Drawing("computation graph", graph_attr={"rankdir": rankdir},
                             node_attr={"fontname": FONT, "fontsize": "11"},
                             edge_attr={"arrowsize": "0.6", "fontname": FONT, "fontsize": "9"})
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
        return f'<font color="white"><b>{text}</b></font>', NONFINITE

    def number(self, x: float) -> str:
        return format_number(x, self.precision, self.scientific)

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
            cells.append(self._grad_cell("grad", grad_of(v)))
        alert = any(bg == NONFINITE for _, bg in cells)
        if label or not cells:
            cells.insert(0, (f"<b>{html_text(label)}</b>" if label else "", None))  # Graphviz rejects an empty <b>
        cells[0] = (cells[0][0], cells[0][1] or self._kind_color(kind))
        self.graph.node(node_id, label=html_table([cells], alert=alert), shape="plain")

    def operation(self, value_id: str, symbol: str, sources: Sequence[Union[str, float]]) -> None:
        """The op node that makes ``value_id``, with an edge from each input in order.

        ``sources`` are node ids, or numbers for constant inputs (each drawn as its own node).
        """
        op_id = f"{value_id}_op"
        self.graph.node(op_id, label=f"<{html_text(symbol)}>", shape="ellipse", fontsize="10",
                        width="0.3", height="0.3", margin="0.04,0.02")
        for src in sources:
            if not isinstance(src, str):
                constant, src = src, f"c{self.constants}"
                self.constants += 1
                self.graph.node(src, label=f"<{html_text(short_number(constant))}>", shape="plaintext",
                                fontcolor="#555555")
            self.graph.edge(src, op_id)
        self.graph.edge(op_id, value_id)

    def box(self, box: Box, graph: Optional[graphviz.Digraph] = None) -> None:
        kind = "input" if box.kind == "inputs" else "output" if box.is_output else "parameter"
        rows: List[List[Cell]] = [[(f"<b>{html_text(box.title)}</b>", self._kind_color(kind))]]
        if box.kind == "inputs":
            samples = f" in {len(box.samples)} samples" if len(box.samples) > 1 else ""
            rows.append([(plural(len(box.values), "value") + samples, None)])
            if box.labels:
                shown = list(box.labels)[:4]
                rows.append([(html_text(", ".join(shown) + (", ..." if len(box.labels) > 4 else "")), None)])
        else:
            activation = "/".join(box.activations) or "linear"
            what = f"{plural(box.neurons, 'neuron')}, {activation}" if box.kind == "layer" else activation
            rows.append([(html_text(what), None)])
            rows.append([(plural(len(box.params), "parameter"), None)])
            if self.show_grad:
                rows.append([self._grad_cell("grad norm", box.grad_norm())])
        alert = any(bg == NONFINITE for row in rows for _, bg in row)
        (graph or self.graph).node(box.id, label=html_table(rows, alert=alert), shape="plain")

    def legend(self) -> None:
        rows: List[List[Cell]] = [[("<b>legend</b>", None)]]
        rows += [[(SWATCH, COLORS[k]), (name, None)] for k, name in KINDS.items() if k in self.kinds]
        if self.show_grad:
            rows += [[(SWATCH, color), (text, None)] for text, color in self.scale.legend_rows(self.number)]
        if self.alert:
            rows.append([(SWATCH, NONFINITE), ("NaN or infinity", None)])
        self.graph.node("legend", label=html_table(rows), shape="plain")


def _parameter_names(model: Any) -> Dict[int, str]:
    if model is None:
        return {}
    named = getattr(model, "named_parameters", None)
    if not callable(named):
        raise TypeError(f"to_dot: model must have a named_parameters() method (like nn.Module), got {model!r}")
    return {id(p): name for name, p in named()}


def _check_options(rankdir: str, precision: int, max_nodes: int, collapse: Optional[str]) -> None:
    if rankdir not in RANKDIRS:
        raise ValueError(f"to_dot: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if not is_int(precision) or not 0 <= precision <= _MAX_PRECISION:
        raise ValueError(f"to_dot: precision must be an int from 0 to {_MAX_PRECISION}, got {precision!r}")
    if not is_int(max_nodes) or max_nodes < 1:
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
    and then an activation (an op flagged ``activation`` in the op table, see
    :func:`microgradlab.ops.activations`; your own ops too), each taken only if it is
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
    roots = as_roots(roots, "to_dot")
    names = _parameter_names(model)
    order, count = postorder(roots, None if collapse else max_nodes)
    collapsed = Collapsed(order, roots, collapse, names) if collapse else None
    boxes = collapsed.boxes if collapsed else []
    drawn = order
    if collapsed:
        drawn = [v for v in order if collapsed.drawn(v)]
        count += len(boxes) - sum(drawn_cost(v.inputs) for v in order if not collapsed.drawn(v))
    if count > max_nodes:
        raise too_large(max_nodes, collapse, count)
    magnitudes = [abs(grad_of(v)) for v in drawn] + [box.grad_norm() for box in boxes]
    scale = GradScale(magnitudes)
    shown = ([v.data for v in drawn] if show_data else []) + (magnitudes if show_grad else [])
    drawer = _Drawer(rankdir, show_data, show_grad, precision, scale, needs_scientific(shown, precision))
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


def _draw_boxes(drawer: _Drawer, boxes: List[Box]) -> Dict[str, List[str]]:
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
