"""A :class:`graphviz.Digraph` that renders with whichever Graphviz program is installed.

``graphviz``'s own ``render()``, ``pipe()``, ``view()`` and Jupyter display
run the program ``dot`` from ``PATH``.  :class:`Digraph` keeps all of those
methods, their arguments, results and exceptions (``graphviz.ExecutableNotFound``
aside: a missing program is a :class:`~microgradlab.viz.RendererNotFoundError`
saying what to install), and runs the program
:func:`microgradlab.viz.find_renderer` picks instead: the system's ``dot`` if
there is one, else ``graphviz-pure`` (installed with microgradlab).  Every
drawing microgradlab returns is one.

>>> g = Digraph(format="svg")
>>> g.edge("a", "b")
>>> g.pipe(encoding="utf-8").lstrip().startswith("<?xml")
True
"""

from __future__ import annotations

import os
import pathlib
from typing import Any, Callable, Iterator, List, Optional, Union

import graphviz
from graphviz.backend import dot_command, execute, rendering

from .renderers import find_renderer

__all__ = ["Digraph", "RANKDIRS"]

PathArg = Union[str, "os.PathLike[str]", None]

#: Graphviz's layout directions: inputs on the left, right, top or bottom.
RANKDIRS = ("LR", "RL", "TB", "BT")


class Digraph(graphviz.Digraph):
    """:class:`graphviz.Digraph`, rendered by the program :func:`~microgradlab.viz.find_renderer` picks.

    ``program`` chooses it: ``None`` (the default) for the first one installed,
    ``"dot"``, ``"graphviz-pure"``, or the name or path of another program with
    ``dot``'s command line.  It is not graphviz's ``renderer`` (an output
    plugin such as ``"cairo"``), which keeps its meaning.
    """

    program: Optional[str] = None

    def _command(self, engine: str, format: str, **options: Any) -> List[Any]:
        cmd = dot_command.command(engine, format, **options)  # graphviz's checks and flags
        cmd[0] = find_renderer(self.program, source=self.source).path
        return cmd

    # graphviz calls these three hooks to run its program; each returns graphviz's function's twin.

    @property
    def _pipe_lines(self) -> Callable[..., bytes]:
        def pipe_lines(engine: str, format: str, input_lines: Iterator[str], *, input_encoding: str,
                       quiet: bool = False, **options: Any) -> bytes:
            lines = (line.encode(input_encoding) for line in input_lines)
            cmd = self._command(engine, format, **options)
            return execute.run_check(cmd, input_lines=lines, capture_output=True, quiet=quiet).stdout

        return pipe_lines

    @property
    def _pipe_lines_string(self) -> Callable[..., str]:
        def pipe_lines_string(engine: str, format: str, input_lines: Iterator[str], *, encoding: str,
                              quiet: bool = False, **options: Any) -> str:
            cmd = self._command(engine, format, **options)
            return execute.run_check(cmd, input_lines=input_lines, encoding=encoding,
                                     capture_output=True, quiet=quiet).stdout

        return pipe_lines_string

    @property
    def _render(self) -> Callable[..., str]:
        def render(engine: str, format: Optional[str], filepath: PathArg, renderer: Optional[str] = None,
                   formatter: Optional[str] = None, neato_no_op: Any = None, quiet: bool = False, *,
                   outfile: PathArg = None, raise_if_result_exists: bool = False,
                   overwrite_filepath: bool = False) -> str:
            # graphviz.render()'s rules for the output file, with this class's program
            if raise_if_result_exists and overwrite_filepath:
                raise ValueError("overwrite_filepath cannot be combined with raise_if_result_exists")
            source = pathlib.Path(filepath)
            if outfile is not None:
                out = pathlib.Path(outfile)
                format = rendering.get_format(out, format=format)
                if not overwrite_filepath and out.resolve() == source.resolve():
                    raise ValueError(f"outfile {out.name!r} must be different from input file {source.name!r} "
                                     "(pass overwrite_filepath=True to override)")
                args = ["-o", out.resolve() if out.parent != source.parent else out.name, source.name]
            else:
                if format is None:
                    raise graphviz.RequiredArgumentError("format: (required if outfile is not given, got None)")
                out = rendering.get_outfile(source, format=format, renderer=renderer, formatter=formatter)
                args = ["-O", source.name]
            cmd = self._command(engine, format, renderer=renderer, formatter=formatter, neato_no_op=neato_no_op)
            if raise_if_result_exists and out.exists():
                raise graphviz.FileExistsError(f"output file exists: {os.fspath(out)!r}")
            execute.run_check(cmd + args, cwd=source.parent if source.parent.parts else None,
                              quiet=quiet, capture_output=True)
            return os.fspath(out)

        return render
