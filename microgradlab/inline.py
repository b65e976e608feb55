"""How drawings show in notebooks: fitted to the page's width, the full-size SVG a click away.

Jupyter shows a graph through its ``_repr_mimebundle_``: the SVG itself
(``image/svg+xml``, for viewers that show only images) and an HTML view
(``text/html``, which notebooks prefer) made by :func:`graph_html`:

* the SVG scaled down to the width of the page (never up), so a wide graph
  needs no sideways scrolling;
* below it, a "full size" disclosure holding the SVG at its natural size,
  in a scrolling box;
* above it, when fitting the page would shrink the text below readable size,
  a note saying how big the graph is and how to draw it smaller (``collapse=``).

No script is used, so the view works in exported HTML and untrusted notebooks.
"""

from __future__ import annotations

import html
import re
from typing import Optional, Tuple

__all__ = ["graph_html", "svg_size", "fit_to_width", "PAGE_WIDTH_PT", "READABLE_SCALE"]

#: The width a notebook's output area gives a figure, in points (about 900 CSS pixels).
PAGE_WIDTH_PT = 675.0
#: Drawn smaller than this fraction of its size (11 pt text below ~4 pt), a graph cannot be read.
READABLE_SCALE = 0.4

_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.S)
_LENGTH = re.compile(r'\b(width|height)="([0-9.]+)(pt|px)?"')


def svg_size(svg: str) -> Optional[Tuple[float, float]]:
    """The natural ``(width, height)`` of an SVG in points, from its root element (None if unsized)."""
    tag = _SVG_TAG.search(svg)
    if tag is None:
        return None
    found = {name: float(value) * (0.75 if unit == "px" else 1.0) for name, value, unit in _LENGTH.findall(tag.group())}
    return (found["width"], found["height"]) if {"width", "height"} <= set(found) else None


def fit_to_width(svg: str) -> str:
    """The SVG drawn at most as wide as its container, keeping its proportions (its size is kept as the maximum)."""
    def restyle(tag: "re.Match[str]") -> str:
        return tag.group().replace("<svg", '<svg style="max-width:100%;height:auto"', 1)

    return _SVG_TAG.sub(restyle, svg, count=1)


def _body(svg: str) -> str:
    """The ``<svg>`` element alone, without the XML declaration and doctype, for embedding in HTML."""
    tag = _SVG_TAG.search(svg)
    return svg[tag.start():] if tag else svg


def graph_html(svg: str, *, collapsed: bool = False) -> str:
    """The HTML a notebook shows for a drawing: fitted to the page, full size on a click, a hint when too big.

    ``collapsed`` says whether the drawing already has one box per neuron or
    layer, which changes the advice for a graph too big to read.

    >>> svg = '<svg width="2000pt" height="100pt" viewBox="0 0 2000 100"><text>x</text></svg>'
    >>> page = graph_html(svg)
    >>> 'style="max-width:100%;height:auto"' in page, "<details>" in page, "collapse='neuron'" in page
    (True, True, True)
    >>> "collapse=" in graph_html(svg.replace("2000", "600"))
    False
    """
    body = _body(svg)
    size = svg_size(body)
    parts = []
    if size is not None and PAGE_WIDTH_PT / size[0] < READABLE_SCALE:
        advice = ("draw fewer samples (the loss of one batch), or collapse='layer'" if collapsed else
                  "draw it with collapse='neuron' or collapse='layer' (one box per neuron or layer)")
        parts.append(f'<p style="margin:0 0 4px 0">This graph is {size[0]:.0f} × {size[1]:.0f} pt: fitted to the '
                     f"page its text is too small to read. Open it at full size below, or {html.escape(advice, quote=False)}.</p>")
    parts.append(f'<div class="microgradlab-graph">{fit_to_width(body)}</div>')
    if size is not None:
        parts.append(f'<details><summary>full size ({size[0]:.0f} × {size[1]:.0f} pt)</summary>'
                     f'<div style="overflow:auto;max-height:90vh">{body}</div></details>')
    return "".join(parts)
