"""What the cells of a drawing say and how they look: colours, escaped text, numbers, HTML-like tables.

Every label :func:`~microgradlab.viz.to_dot` writes is a Graphviz HTML-like
table built here, so text is escaped and numbers are written the same way
everywhere.
"""

from __future__ import annotations

import html
import math
import re
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from ..engine import Value

#: Background colours of the first cell of a Value (or the title of a box), by what it is,
#: and of any number that is NaN or infinite.
COLORS = {"input": "#cfe2ff", "parameter": "#c7ecd0", "output": "#ffe08a", "nonfinite": "#d62728"}
#: What the legend calls each kind of Value.
KINDS = {"input": "input", "parameter": "parameter", "output": "output / loss"}
#: Background of a gradient, by ``|grad|`` relative to the largest finite ``|grad|`` drawn:
#: ``(fraction, colour)``, one shade per decade, so the dominant gradients stand out and
#: vanishing ones fade away; a zero gradient has none.
GRAD_COLORS = ((1e-1, "#fd8d3c"), (1e-2, "#fdae6b"), (1e-3, "#fdd0a2"), (0.0, "#feedde"))
#: The colour of NaN and infinity, and of the border of a label that holds one.
NONFINITE = COLORS["nonfinite"]
#: A monospace font: every renderer sizes cells with 0.6 em per character (graphviz-pure's
#: built-in Courier metrics, the system dot's real Courier/Liberation Mono), and every
#: monospace font a viewer may substitute (DejaVu Sans Mono, Menlo, Consolas ...) is at most
#: that wide, so text stays inside its cell.  A proportional font does not: boxes sized for
#: Helvetica overflow where librsvg draws DejaVu Sans (tests/test_viz_fit.py measures both).
FONT = "Courier"
#: A colour sample in the legend: a cell this wide.
SWATCH = "&#160;" * 8

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def html_text(s: str) -> str:
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


def needs_scientific(numbers: Iterable[float], precision: int) -> bool:
    """One notation for a whole drawing: scientific as soon as fixed point would hide one of its numbers."""
    return not all(_fixed_point_shows(x, precision) for x in numbers)


def format_number(x: float, precision: int, scientific: bool = False) -> str:
    """``x`` with ``precision`` decimals, in fixed point or (``scientific``) in scientific notation.

    >>> format_number(0.5, 4), format_number(2.7358e-05, 4, scientific=True)
    ('0.5000', '2.7358e-05')
    >>> format_number(0.0, 4, scientific=True), format_number(1e-9, 4)
    ('0.0000e+00', '1.0000e-09')
    """
    if not math.isfinite(x):
        return str(x)  # nan, inf, -inf
    if not scientific and not _fixed_point_shows(x, precision):
        scientific = True  # never hide a value, even when the caller asked for fixed point
    return f"{x + 0.0:.{precision}e}" if scientific else f"{x + 0.0:.{precision}f}"  # + 0.0: no -0.0


def short_number(x: float) -> str:
    """A constant input as its op node's neighbour shows it: six significant digits."""
    return f"{x:.6g}"


def plural(n: int, noun: str) -> str:
    """``"1 neuron"``, ``"3 neurons"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def grad_of(v: Value) -> float:
    """``v.grad`` as a float (a ``create_graph`` gradient is a Value)."""
    g = v.grad
    return g.data if isinstance(g, Value) else float(g)


#: One cell of a label: its HTML content and its background colour (None: none).
Cell = Tuple[str, Optional[str]]


def html_table(rows: Sequence[Sequence[Cell]], *, alert: bool = False) -> str:
    """An HTML-like label made of rows of cells; a red border when ``alert``."""
    border = f'border="2" color="{NONFINITE}"' if alert else 'border="0"'
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


class GradScale:
    """Background colours for gradient magnitudes, relative to the largest finite one drawn."""

    def __init__(self, magnitudes: Iterable[float]) -> None:
        self.top = max((m for m in magnitudes if math.isfinite(m)), default=0.0)

    def color(self, g: float) -> Optional[str]:
        """The background of a gradient ``g`` (None for zero, and for NaN, which is painted as non-finite)."""
        m = abs(g)
        if m == 0.0 or self.top == 0.0 or math.isnan(m):
            return None
        return next(color for fraction, color in GRAD_COLORS if m >= fraction * self.top)

    def legend_rows(self, number: Callable[[float], str]) -> List[Cell]:
        """The colour scale's rows, its thresholds written by ``number`` (as every number of the drawing)."""
        if self.top == 0.0:
            return []
        rows = [(f"|grad| &gt;= {number(f * self.top)}", c) for f, c in GRAD_COLORS[:-1]]
        return rows + [("|grad| &gt; 0", GRAD_COLORS[-1][1])]

