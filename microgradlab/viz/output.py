"""From Values to a picture in one call: :func:`render` writes a file, :func:`draw` returns what Jupyter shows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Union

import graphviz

from .dot import Drawing, to_dot
from .renderers import find_renderer, pipe
from .traverse import Roots


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
