"""The ``graph`` command: evaluate an expression, backpropagate and draw its computation graph."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .. import ops
from ..datasets.csv import suggest
from ..engine import Value
from .errors import CommandError
from .files import write_whole
from .parser import subcommand_parser

__all__ = ["GRAPH_EXAMPLE", "add_graph_command", "run_graph", "evaluate_expression", "expression_first"]

GRAPH_EXAMPLE = """\
example (karpathy's neuron; writes neuron.svg and prints the gradients):
  microgradlab graph "tanh(w1*x1 + w2*x2 + b)" \\
      --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432 -o neuron.svg
"""

#: Output file suffix -> format; dot is the DOT text, which needs no renderer.
_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
_FORMATS = ("svg", "png", "pdf", "dot")
_BINARY_FORMATS = ("png", "pdf")


def add_graph_command(subparsers: argparse._SubParsersAction) -> None:
    """Add ``graph`` to the command line."""
    functions = ", ".join(sorted(n for n, p in ops.PRIMITIVES.items() if p.arity in (1, 2)))
    syntax = textwrap.fill("The expression may use numbers, variable names, + - * / ** (and unary -), "
                           f"parentheses, and op-table functions called by name: {functions}.")
    parser = subparsers.add_parser(
        "graph", help="draw the computation graph of an expression, with data and gradients",
        description="Evaluate an expression, backpropagate from it and draw its computation graph "
                    "(each value with its data and gradient).",
        epilog=f"{GRAPH_EXAMPLE}\n{syntax}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expression", help='e.g. "tanh(w1*x1 + w2*x2 + b)"; it may start with -, as in "-log(x)"')
    parser.add_argument("--at", metavar="NAME=NUMBER,...", default="",
                        help="the value of every variable, e.g. x1=2,x2=0")
    parser.add_argument("-o", "--output", metavar="FILE", default="-",
                        help="file to write (default: standard output)")
    parser.add_argument("-f", "--format", choices=_FORMATS,
                        help="svg, png, pdf or dot (the DOT text; needs no renderer); default: from the "
                             "output file's suffix (.svg .png .pdf .dot .gv), else svg")
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="layout direction (default LR: inputs on the left)")
    parser.add_argument("--precision", type=int, default=4, help="decimals shown (default 4)")
    parser.add_argument("--no-backward", action="store_true", help="draw data only; do not backpropagate")
    parser.add_argument("--renderer", metavar="PROGRAM",
                        help="dot, graphviz-pure, or a path (default: dot if on PATH, else graphviz-pure)")
    parser.set_defaults(run=run_graph)


def _output_format(args: argparse.Namespace) -> str:
    """The format from -f and the output's suffix, refusing a mismatch and binary output to a terminal."""
    if args.output == "-":
        fmt = args.format or "svg"
        if fmt in _BINARY_FORMATS and sys.stdout.isatty():
            raise CommandError(f"refusing to write {fmt.upper()} data to a terminal: give -o FILE or redirect "
                               f"standard output")
        return fmt
    suffix = Path(args.output).suffix.lower()
    from_suffix = _SUFFIXES.get(suffix)
    if suffix and from_suffix is None:
        raise CommandError(f"-o {args.output}: unsupported suffix {suffix}; use one of {' '.join(_SUFFIXES)}"
                           f"{suggest(suffix, list(_SUFFIXES))}")
    if args.format and from_suffix and args.format != from_suffix:
        raise CommandError(f"-o {args.output}: the suffix {suffix} says {from_suffix}, but -f says {args.format}")
    if not Path(args.output).parent.is_dir():
        raise CommandError(f"-o {args.output}: there is no directory {Path(args.output).parent}")
    return args.format or from_suffix or "svg"


def _check_renderer(renderer: Optional[str]) -> None:
    known = ("dot", "graphviz-pure")
    if renderer is not None and renderer not in known and shutil.which(renderer) is None \
            and not os.path.isfile(renderer):
        raise CommandError(f"--renderer {renderer}: no such program; use dot, graphviz-pure or the path of a "
                           f"program with dot's flags{suggest(renderer, list(known))}")


def expression_first(argv: List[str], parser: argparse.ArgumentParser) -> List[str]:
    """``graph -log(x) --at x=2``: move an expression starting with '-' behind ``--`` so argparse reads it."""
    if not argv or argv[0] != "graph" or "--" in argv:
        return argv
    actions = subcommand_parser(parser, "graph")._option_string_actions
    takes_value = False
    for i, token in enumerate(argv[1:], 1):
        if takes_value:
            takes_value = False
            continue
        option = actions.get(token.split("=", 1)[0])
        if option is not None:
            takes_value = "=" not in token and option.nargs != 0
        elif token[:2] in actions:  # a short option with its value attached: -oneuron.svg
            continue
        elif token.startswith("-") and len(token) > 1 and not re.match(r"--[A-Za-z][\w-]*(=|$)", token):
            return argv[:i] + argv[i + 1:] + ["--", token]
    return argv


def evaluate_expression(text: str, at: str) -> Tuple[Value, Dict[str, Value]]:
    """The output of expression ``text`` with ``--at`` values, and its labelled leaves (graph, animate).

    Raises ExpressionError (a ValueError) or an ArithmeticError for the user to read.
    """
    from ..expr import ExpressionError, parse, parse_bindings

    expression = parse(text)
    values = parse_bindings(at)
    unused = [name for name in values if name not in expression.names]
    if unused:
        raise ExpressionError(f"--at gives {', '.join(unused)}, which the expression does not use")
    missing = [name for name in expression.names if name not in values]
    if missing:
        raise ExpressionError(f"no value for {', '.join(missing)}: give every variable with --at, "
                              f"e.g. --at {','.join(f'{n}=1' for n in expression.names)}")
    leaves = {name: Value(values[name], label=name) for name in expression.names}
    return expression.evaluate(leaves), leaves


def run_graph(args: argparse.Namespace) -> int:
    """Draw the graph as ``args`` say and print the output and the gradients."""
    from ..viz import RenderError, pipe, to_dot

    fmt = _output_format(args)
    _check_renderer(args.renderer)
    try:
        out, leaves = evaluate_expression(args.expression, args.at)
        if not args.no_backward:
            out.backward()
        graph = to_dot(out, rankdir=args.rankdir, precision=args.precision, show_grad=not args.no_backward)
    except (ValueError, ArithmeticError) as exc:  # ExpressionError, domain errors such as log(-1.0)
        raise CommandError(str(exc)) from None
    try:
        data = graph.source.encode("utf-8") if fmt == "dot" else pipe(graph, fmt, renderer=args.renderer)
    except RenderError as exc:  # the Python API's pointer to .source means nothing here
        raise CommandError(str(exc).split("; the DOT text is in")[0]) from None
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    write_whole(args.output, data)
    # The numbers people check first: the output and the gradient of each variable.
    print(f"wrote {args.output}\noutput = {out.data:.{args.precision}f}")
    if not args.no_backward:
        for name, leaf in leaves.items():
            print(f"d output / d {name} = {leaf.grad:.{args.precision}f}")
    return 0
