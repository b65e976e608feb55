"""Backprop animated: :func:`animate` turns one forward and backward pass into frames.

The result is one self-contained HTML page (an inline SVG of the graph, the
frames as JSON and a little JavaScript; nothing is loaded from anywhere) with
play, step and a slider.  The first frames are the forward pass, one per
operation in the order it was computed (each shows the node's value), then the
backward pass, one frame per node in the order ``backward`` visits it: the
node is highlighted, the chain-rule product ``local × upstream = product`` is
written on each edge into it and its inputs' gradients are updated.

>>> from microgradlab import Value
>>> x, w = Value(0.5, label="x"), Value(-1.0, label="w")
>>> y = (x * w).tanh(); y.label = "y"
>>> movie = animate(y)
>>> len(movie.frames), movie.n_forward, movie.n_backward
(4, 2, 2)
>>> movie.frames[2]["title"]
'backward 1/2: y = tanh(#3), y.grad = 1; #3.grad += 0.7864'

``movie.save("backprop.html")`` writes the page; in Jupyter the object shows
itself (``_repr_html_``).  For graphs of a few hundred nodes, leaves are folded
into the nodes that use them (``collapse="leaves"``, the default beyond
:data:`COLLAPSE_ABOVE` nodes): a layer's weights are then not drawn one by one.
"""

from __future__ import annotations

import html
import itertools
import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .chainrule import Explanation, explain, node_expression, node_names, wrap_name
from .engine import Value, walk

__all__ = ["animate", "Animation", "COLLAPSE_ABOVE"]

#: Beyond this many Values, ``collapse="auto"`` folds the leaves into the nodes that use them.
COLLAPSE_ABOVE = 120
#: More drawn nodes than this is an error: the page would be unreadable (and large).
MAX_DRAWN = 800
BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 132, 50, 110, 14, 16
TITLE_INPUTS = 4  # a frame's title lists this many gradient updates, then counts the rest
_ids = itertools.count()


def _short(text: str, limit: int = 100) -> str:
    """A neuron's dot product names every weight: keep frame titles to about one line."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _fmt(x: float) -> str:
    text = f"{x:.4g}"
    return "0" if text == "-0" else text


class Animation:
    """The frames of one forward and backward pass, and the page that plays them.

    Attributes:
        frames: One dict per frame: ``title``, ``node`` (the highlighted node's
            index), and the changes it makes: ``data``/``grad`` (node index ->
            text) and ``edges`` (edge index -> the product written on it).
        n_forward, n_backward: How many frames each pass has.
    """

    def __init__(self, svg: str, frames: List[Dict[str, Any]], n_forward: int, n_backward: int) -> None:
        self.svg = svg
        self.frames = frames
        self.n_forward = n_forward
        self.n_backward = n_backward
        self._uid = f"mglanim{next(_ids)}"

    def __repr__(self) -> str:
        return f"<Animation: {self.n_forward} forward and {self.n_backward} backward frames>"

    def fragment(self) -> str:
        """The player as an HTML fragment (what Jupyter shows): style, SVG, controls and script."""
        data = json.dumps(self.frames, separators=(",", ":")).replace("</", "<\\/")
        return _TEMPLATE.replace("@SVG@", self.svg).replace("@UID@", self._uid).replace("@FRAMES@", data)

    def _repr_html_(self) -> str:
        return self.fragment()

    def to_html(self, title: str = "backprop") -> str:
        """A complete, self-contained HTML document."""
        return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
                f"</title></head><body>\n{self.fragment()}\n</body></html>\n")

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write :meth:`to_html` to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_html())


def animate(root: Value, *, collapse: Optional[str] = "auto") -> Animation:
    """Run backward on ``root`` and return the :class:`Animation` of the forward and backward pass.

    Args:
        root: The output; ``root.backward()`` runs (leaves accumulate as usual).
        collapse: ``"leaves"`` draws no box for a leaf (its value and gradient
            are shown in the node that uses it), ``None`` draws every Value,
            ``"auto"`` (default) collapses graphs of more than :data:`COLLAPSE_ABOVE` Values.

    Raises:
        TypeError: if ``root`` is not a Value.
        ValueError: for an unknown ``collapse``, or a graph too large to draw
            (more than :data:`MAX_DRAWN` boxes).
    """
    if not isinstance(root, Value):
        raise TypeError(f"animate: expected a Value, got {root!r}")
    if collapse not in (None, "auto", "leaves"):
        raise ValueError(f"animate: collapse must be None, 'auto' or 'leaves', got {collapse!r}")
    nodes = walk(root)
    names = node_names(nodes)
    fold = collapse == "leaves" or (collapse == "auto" and len(nodes) > COLLAPSE_ABOVE)
    drawn = [v for v in nodes if not (fold and v.is_leaf)] or [root]
    if len(drawn) > MAX_DRAWN:
        raise ValueError(f"animate: {len(drawn)} nodes to draw, more than {MAX_DRAWN}; "
                         "animate a smaller part of the graph (one neuron, one sample)")
    index = {id(v): i for i, v in enumerate(drawn)}
    edges = [(index[id(u)], index[id(v)]) for v in drawn for u in v.inputs
             if isinstance(u, Value) and id(u) in index]
    steps = explain(root)
    frames, n_forward = _forward_frames(nodes, drawn, index, names, fold)
    backward = _backward_frames(steps, root, index, edges, names)
    svg = _svg(drawn, index, edges, names, fold)
    return Animation(svg, frames + backward, n_forward, len(backward))


def _forward_frames(nodes: Sequence[Value], drawn: Sequence[Value], index: Dict[int, int],
                    names: Dict[int, str], fold: bool) -> Tuple[List[Dict[str, Any]], int]:
    ops = [v for v in nodes if not v.is_leaf]
    frames = []
    for k, v in enumerate(ops, 1):
        frames.append({"title": f"forward {k}/{len(ops)}: {_short(node_expression(v, names))} = {_fmt(v.data)}",
                       "node": index[id(v)], "data": {index[id(v)]: _fmt(v.data)}, "grad": {}, "edges": {}})
    if frames and not fold:  # the leaves are known from the start
        frames[0]["data"].update({index[id(v)]: _fmt(v.data) for v in drawn if v.is_leaf})
    return frames, len(frames)


def _backward_frames(steps: Explanation, root: Value, index: Dict[int, int], edges: List[Tuple[int, int]],
                     names: Dict[int, str]) -> List[Dict[str, Any]]:
    frames: List[Dict[str, Any]] = []
    last: Optional[Value] = None
    used: Dict[Tuple[int, int], int] = {}  # edges already labelled in this frame (a + a has two)
    for step, (node, inp) in zip(steps, steps.pairs):
        if node is not last:
            last, used = node, {}
            grads = {index[id(root)]: "1"} if node is root else {}
            frames.append({"title": f"{_short(step.expression)}, {wrap_name(names[id(node)])}.grad = "
                                    f"{_fmt(step.upstream)}",
                           "node": index[id(node)], "data": {},
                           "grad": grads, "edges": {}})
        frame = frames[-1]
        if id(inp) in index:
            frame["grad"][index[id(inp)]] = _fmt(step.after)
            pair = (index[id(inp)], index[id(node)])
            nth = used.get(pair, 0)
            used[pair] = nth + 1
            matches = [j for j, e in enumerate(edges) if e == pair]
            if nth < len(matches):
                frame["edges"][matches[nth]] = f"{_fmt(step.local)} × {_fmt(step.upstream)} = {_fmt(step.product)}"
        frame["inputs"] = frame.get("inputs", 0) + 1
        if frame["inputs"] <= TITLE_INPUTS:
            frame["title"] += f"; {wrap_name(step.input)}.grad += {_fmt(step.product)}"
    for k, frame in enumerate(frames, 1):
        more = frame.pop("inputs", 0) - TITLE_INPUTS
        frame["title"] = f"backward {k}/{len(frames)}: {frame['title']}" + (f"; ... {more} more inputs" if more > 0 else "")
    return frames


def _layout(drawn: Sequence[Value], index: Dict[int, int]) -> List[Tuple[float, float]]:
    """Columns by depth (leaves left, output right); rows ordered by the inputs' rows (barycentres)."""
    depth: List[int] = []
    for v in drawn:
        ins = [depth[index[id(u)]] for u in v.inputs if isinstance(u, Value) and id(u) in index]
        depth.append(1 + max(ins) if ins else (0 if v.is_leaf else 1))
    row: Dict[int, float] = {}
    columns: Dict[int, List[int]] = {}
    for i, d in enumerate(depth):
        columns.setdefault(d, []).append(i)
    for d in sorted(columns):
        def key(i: int) -> float:
            ins = [row[index[id(u)]] for u in drawn[i].inputs if isinstance(u, Value) and id(u) in index]
            return sum(ins) / len(ins) if ins else i
        for r, i in enumerate(sorted(columns[d], key=key)):
            row[i] = r
    tallest = max(len(c) for c in columns.values())
    first = min(columns)  # 1 when the leaves are folded away
    positions = []
    for i, d in enumerate(depth):
        offset = (tallest - len(columns[d])) / 2.0  # centre short columns
        positions.append((PAD + (d - first) * (BOX_W + GAP_X), PAD + (row[i] + offset) * (BOX_H + GAP_Y)))
    return positions


def _svg(drawn: Sequence[Value], index: Dict[int, int], edges: List[Tuple[int, int]],
         names: Dict[int, str], fold: bool) -> str:
    pos = _layout(drawn, index)
    width = max(x for x, _ in pos) + BOX_W + PAD
    height = max(y for _, y in pos) + BOX_H + PAD
    parts = [f'<svg viewBox="0 0 {width:g} {height:g}" '
             f'width="{width:g}" height="{height:g}" font-family="sans-serif" font-size="11">',
             '<defs><marker id="@UID@-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
             'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>']
    fan_in: Dict[int, int] = {}
    for _, b in edges:
        fan_in[b] = fan_in.get(b, 0) + 1
    port: Dict[int, int] = {}
    for j, (a, b) in enumerate(edges):
        k = port.get(b, 0)  # the k-th input of b enters at the k-th of its ports, top to bottom
        port[b] = k + 1
        (x0, y0), (x1, y1) = pos[a], pos[b]
        x0, y0, x1, y1 = x0 + BOX_W, y0 + BOX_H / 2, x1, y1 + BOX_H * (k + 1) / (fan_in[b] + 1)
        mid = (x0 + x1) / 2
        parts.append(f'<g class="edge" id="@UID@-e{j}"><path d="M{x0:g},{y0:g} C{mid:g},{y0:g} {mid:g},{y1:g} '
                     f'{x1:g},{y1:g}" fill="none" stroke="#888" marker-end="url(#@UID@-arrow)"/>'
                     f'<text x="{mid:g}" y="{(y0 + y1) / 2 - 3:g}" text-anchor="middle" class="elabel"></text></g>')
    for i, v in enumerate(drawn):
        x, y = pos[i]
        kind = "leaf" if v.is_leaf else "op"
        op = "" if v.is_leaf else f" ({html.escape(v.op.symbol)})"
        folded = ""
        if fold and not v.is_leaf:
            leaves = [u for u in v.inputs if isinstance(u, Value) and u.is_leaf]
            if leaves:
                folded = f"<title>inputs: {html.escape(', '.join(names[id(u)] for u in leaves[:12]))}</title>"
        parts.append(
            f'<g class="node {kind}" id="@UID@-n{i}">{folded}<rect x="{x:g}" y="{y:g}" width="{BOX_W}" '
            f'height="{BOX_H}" rx="6"/><text x="{x + 6:g}" y="{y + 14:g}" font-weight="bold">'
            f'{html.escape(names[id(v)][:20])}{op}</text>'
            f'<text x="{x + 6:g}" y="{y + 29:g}">data <tspan class="data"></tspan></text>'
            f'<text x="{x + 6:g}" y="{y + 43:g}">grad <tspan class="grad"></tspan></text></g>')
    parts.append("</svg>")
    return "".join(parts)


_TEMPLATE = r"""<div id="@UID@" class="mgl-animation">
<style>
#@UID@ { font-family: sans-serif; }
#@UID@ .controls { display: flex; gap: 6px; align-items: center; margin: 6px 0; }
#@UID@ .controls input[type=range] { flex: 1; }
#@UID@ .title { font-family: monospace; min-height: 2.6em; white-space: pre-wrap; }
#@UID@ .stage { overflow: auto; max-height: 80vh; border: 1px solid #ddd; }
#@UID@ .node rect { fill: #fff; stroke: #555; }
#@UID@ .node.leaf rect { fill: #eef4ff; }
#@UID@ .node.current rect { fill: #ffe9a8; stroke: #d08000; stroke-width: 2.5; }
#@UID@ .edge.current path { stroke: #d08000; stroke-width: 2; }
#@UID@ .elabel { fill: #b06000; font-weight: bold; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
#@UID@ .grad { fill: #1a5fb4; }
</style>
<div class="controls">
<button type="button" data-go="first" title="first frame">|&#9664;</button>
<button type="button" data-go="prev" title="step back">&#9664;</button>
<button type="button" data-go="play" title="play / pause">&#9654; play</button>
<button type="button" data-go="next" title="step">&#9654;</button>
<button type="button" data-go="last" title="last frame">&#9654;|</button>
<input type="range" min="0" value="0" aria-label="frame">
<span class="counter"></span>
</div>
<div class="title"></div>
<div class="stage">@SVG@</div>
<script>
(function () {
  var root = document.getElementById("@UID@");
  var frames = @FRAMES@;
  var slider = root.querySelector("input[type=range]");
  var title = root.querySelector(".title"), counter = root.querySelector(".counter");
  var playButton = root.querySelector("[data-go=play]");
  var timer = null, current = 0;
  slider.max = frames.length - 1;
  var stage = root.querySelector(".stage");
  function node(i) { return root.querySelector("#@UID@-n" + i); }
  function reveal(g) {  // scroll the stage (not the page) so that the current node is in view
    var r = g.getBoundingClientRect(), s = stage.getBoundingClientRect();
    if (r.left < s.left || r.right > s.right) { stage.scrollLeft += r.left - s.left - (s.width - r.width) / 2; }
    if (r.top < s.top || r.bottom > s.bottom) { stage.scrollTop += r.top - s.top - (s.height - r.height) / 2; }
  }
  function show(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    var data = {}, grad = {};
    for (var f = 0; f <= current; f++) {
      Object.assign(data, frames[f].data);
      Object.assign(grad, frames[f].grad);
    }
    root.querySelectorAll(".node").forEach(function (g) {
      var i = g.id.slice("@UID@-n".length);
      g.querySelector(".data").textContent = data[i] === undefined ? "" : data[i];
      g.querySelector(".grad").textContent = grad[i] === undefined ? "" : grad[i];
      g.classList.remove("current");
    });
    root.querySelectorAll(".edge").forEach(function (g) {
      var j = g.id.slice("@UID@-e".length), label = frames[current].edges[j];
      g.querySelector("text").textContent = label === undefined ? "" : label;
      g.classList.toggle("current", label !== undefined);
    });
    var here = node(frames[current].node);
    if (here) { here.classList.add("current"); reveal(here); }
    title.textContent = frames[current].title;
    counter.textContent = "frame " + (current + 1) + " of " + frames.length;
    slider.value = current;
  }
  function stop() { clearInterval(timer); timer = null; playButton.innerHTML = "&#9654; play"; }
  function play() {
    if (timer) { stop(); return; }
    if (current === frames.length - 1) { show(0); }
    playButton.innerHTML = "&#10074;&#10074; pause";
    timer = setInterval(function () {
      if (current >= frames.length - 1) { stop(); } else { show(current + 1); }
    }, 900);
  }
  root.querySelectorAll("[data-go]").forEach(function (b) {
    b.addEventListener("click", function () {
      var go = b.getAttribute("data-go");
      if (go === "play") { play(); return; }
      stop();
      show({first: 0, prev: current - 1, next: current + 1, last: frames.length - 1}[go]);
    });
  });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  root.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { stop(); show(current + 1); }
    if (e.key === "ArrowLeft") { stop(); show(current - 1); }
  });
  var start = /[#&]frame=(\d+)/.exec(window.location.hash);  // page.html#frame=7 opens frame 7
  show(start ? parseInt(start[1], 10) - 1 : 0);
})();
</script>
</div>"""
