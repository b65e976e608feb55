"""The ``microgradlab`` command line: one subcommand per job.

Each subcommand is a pair of functions: ``add_<name>_command(subparsers)``
declares its arguments and sets ``run=<function>``; the run function takes the
parsed arguments and returns the exit status.  A user mistake raises
:class:`CommandError`, which :func:`main` prints as one line (no traceback)
with exit status 2.  To add a subcommand, write the pair and list the ``add_``
function in :data:`COMMANDS` (and an example in :data:`EXAMPLES`).

Exit status: 0 on success, 2 for bad input (arguments, expressions, values),
1 when the environment fails us (no renderer, a file that cannot be written).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Callable, List, NoReturn, Optional, Sequence

__all__ = ["main", "build_parser", "CommandError", "COMMANDS", "EXAMPLES"]

USAGE_ERROR = 2
ENVIRONMENT_ERROR = 1


class CommandError(Exception):
    """A failure to report as one line on stderr, with an exit status."""

    def __init__(self, message: str, status: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit status 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message} (see {self.prog} --help)")


# --- graph ------------------------------------------------------------------------------

_GRAPH_EXAMPLE = """\
example (karpathy's neuron; writes neuron.svg and prints the gradients):
  microgradlab graph "tanh(w1*x1 + w2*x2 + b)" \\
      --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432 -o neuron.svg
"""

_FORMATS = ("svg", "png", "dot")


def add_graph_command(subparsers: argparse._SubParsersAction) -> None:
    from . import ops

    functions = ", ".join(sorted(n for n, p in ops.PRIMITIVES.items() if p.arity in (1, 2)))
    syntax = textwrap.fill("The expression may use numbers, variable names, + - * / ** (and unary -), "
                           f"parentheses, and op-table functions called by name: {functions}.")
    parser = subparsers.add_parser(
        "graph", help="draw the computation graph of an expression, with data and gradients",
        description="Evaluate an expression, backpropagate from it and draw its computation graph "
                    "(each value with its data and gradient).",
        epilog=f"{_GRAPH_EXAMPLE}\n{syntax}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expression", help='e.g. "tanh(w1*x1 + w2*x2 + b)"')
    parser.add_argument("--at", metavar="NAME=NUMBER,...", default="",
                        help="the value of every variable, e.g. x1=2,x2=0")
    parser.add_argument("-o", "--output", metavar="FILE", default="-",
                        help="file to write (default: standard output)")
    parser.add_argument("-f", "--format", choices=_FORMATS,
                        help="svg, png or dot (the DOT text; needs no renderer); "
                             "default: from the output file's suffix, else svg")
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="layout direction (default LR: inputs on the left)")
    parser.add_argument("--precision", type=int, default=4, help="decimals shown (default 4)")
    parser.add_argument("--no-backward", action="store_true", help="draw data only; do not backpropagate")
    parser.add_argument("--renderer", metavar="PROGRAM",
                        help="dot, graphviz-pure, or a path (default: dot if on PATH, else graphviz-pure)")
    parser.set_defaults(run=run_graph)


def _output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower().lstrip(".")
    return {"gv": "dot"}.get(suffix, suffix) if suffix in _FORMATS + ("gv",) else "svg"


def run_graph(args: argparse.Namespace) -> int:
    from .engine import Value
    from .expr import ExpressionError, parse, parse_bindings
    from .viz import RenderError, pipe, to_dot

    try:
        expression = parse(args.expression)
        values = parse_bindings(args.at)
        unused = [name for name in values if name not in expression.names]
        if unused:
            raise ExpressionError(f"--at gives {', '.join(unused)}, which the expression does not use")
        missing = [name for name in expression.names if name not in values]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)}: give every variable with --at, "
                                  f"e.g. --at {','.join(f'{n}=1' for n in expression.names)}")
        leaves = {name: Value(values[name], label=name) for name in expression.names}
        out = expression.evaluate(leaves)
        if not args.no_backward:
            out.backward()
        graph = to_dot(out, rankdir=args.rankdir, precision=args.precision, show_grad=not args.no_backward)
    except (ValueError, ArithmeticError) as exc:  # ExpressionError, domain errors such as log(-1.0)
        raise CommandError(str(exc)) from None
    fmt = _output_format(args)
    try:
        data = graph.source.encode("utf-8") if fmt == "dot" else pipe(graph, fmt, renderer=args.renderer)
    except RenderError as exc:
        raise CommandError(str(exc), ENVIRONMENT_ERROR) from None
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}", ENVIRONMENT_ERROR) from None
    # The numbers people check first: the output and the gradient of each variable.
    print(f"wrote {args.output}\noutput = {out.data:.{args.precision}f}")
    if not args.no_backward:
        for name, leaf in leaves.items():
            print(f"d output / d {name} = {leaf.grad:.{args.precision}f}")
    return 0


# --- the command ----------------------------------------------------------------------------

#: The functions that add each subcommand to the parser, in the order ``--help`` lists them.
COMMANDS: List[Callable[[argparse._SubParsersAction], None]] = [add_graph_command]
#: Examples shown by ``microgradlab --help``, one per subcommand.
EXAMPLES: List[str] = [_GRAPH_EXAMPLE]


def build_parser() -> argparse.ArgumentParser:
    """The ``microgradlab`` argument parser with every subcommand of :data:`COMMANDS`."""
    from . import __version__

    parser = _Parser(prog="microgradlab",
                     description="A scalar autograd engine for learning, teaching and testing backpropagation.",
                     epilog="\n".join(EXAMPLES + ["'microgradlab COMMAND --help' describes each command."]),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"microgradlab {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    subparsers.required = True
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``) and return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except CommandError as exc:
        print(f"microgradlab: error: {exc}", file=sys.stderr)
        return exc.status
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("microgradlab: interrupted", file=sys.stderr)
        return 130
