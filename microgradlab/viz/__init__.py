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

The package's modules, one job each: :mod:`~microgradlab.viz.dot` (the
drawing, :func:`to_dot`), :mod:`~microgradlab.viz.collapse` (recognising
neurons and layers), :mod:`~microgradlab.viz.labels` (colours, text and
numbers in cells), :mod:`~microgradlab.viz.traverse` (what is drawn, and its
size), :mod:`~microgradlab.viz.renderers` (finding and running Graphviz),
:mod:`~microgradlab.viz.digraph` (the ``graphviz.Digraph`` every drawing is),
:mod:`~microgradlab.viz.output` (:func:`render`, :func:`draw`) and
:mod:`~microgradlab.viz.lecture` (the lecture's :func:`draw_dot`).

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

from typing import Any, FrozenSet

from .. import ops
from ..animate import Animation, animate  # noqa: F401  (backprop animated; see microgradlab.animate)
from . import labels, renderers
from .dot import Drawing, to_dot
from .lecture import draw_dot, expand_dots  # the lecture's pictures
from .output import draw, render
from .renderers import Renderer, RendererNotFoundError, RenderError, available_renderers, find_renderer, pipe
from .traverse import GraphTooLargeError

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

#: Op-table primitives that ``collapse`` takes as a neuron's activation: :func:`microgradlab.ops.activations`,
#: read when asked, so an op defined with ``ops.define(..., activation=True)`` is in it as soon as it exists.
ACTIVATIONS: FrozenSet[str]
#: Background colours of the first cell of a Value (or the title of a box), by what it is,
#: and of any number that is NaN or infinite.
COLORS = labels.COLORS
#: Background of a gradient, by ``|grad|`` relative to the largest finite ``|grad|`` drawn:
#: ``(fraction, colour)``, one shade per decade; a zero gradient has none.
GRAD_COLORS = labels.GRAD_COLORS
#: Renderers tried by default, in order: the system's Graphviz, then the pip-installed port.
RENDERERS = renderers.RENDERERS

# Tracebacks, reprs and pickles name a class by its __module__: keep it the public path, as before the split.
for _public in (Drawing, Renderer, RenderError, RendererNotFoundError, GraphTooLargeError):
    _public.__module__ = __name__
del _public


def __getattr__(name: str) -> Any:
    """:data:`ACTIVATIONS`, computed from the op table each time it is read."""
    if name == "ACTIVATIONS":
        return frozenset(ops.activations())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
