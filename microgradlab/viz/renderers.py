"""The programs that turn DOT text into SVG: finding them, running them, and what to install when none is found.

Rendering uses the system's Graphviz ``dot`` when it is on ``PATH`` and
otherwise the ``graphviz-pure`` program (a self-contained port of ``dot``
that is installed from PyPI with microgradlab), so SVG works after a plain
``pip install``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Union

import graphviz

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
