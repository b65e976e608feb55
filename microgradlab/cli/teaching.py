"""The teaching commands: ``animate`` (a backprop movie) and ``check-engine`` (grade a student's Value)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from ..checks import check_int
from .errors import CommandError
from .graph import evaluate_expression

__all__ = ["add_animate_command", "add_check_engine_command", "run_animate", "run_check_engine", "ANIMATE_EXAMPLE",
           "CHECK_ENGINE_EXAMPLE"]

ANIMATE_EXAMPLE = """\
example (the neuron's forward and backward pass, step by step, as a page to open in a browser):
  microgradlab animate "tanh(w1*x1 + w2*x2 + b)" \\
      --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432 -o backprop.html
"""

CHECK_ENGINE_EXAMPLE = """\
example (grade the Value class in ./myengine.py; exit status 1 if it has a defect):
  microgradlab check-engine myengine:Value
"""


def add_animate_command(subparsers: argparse._SubParsersAction) -> None:
    """Add ``animate`` to the command line."""
    parser = subparsers.add_parser(
        "animate", help="animate the forward and backward pass of an expression as an HTML page",
        description="Evaluate an expression, backpropagate from it and write a self-contained HTML page "
                    "that plays the forward and then the backward pass, one step per frame.",
        epilog=ANIMATE_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expression", help='e.g. "tanh(w1*x1 + w2*x2 + b)" (the syntax of the graph command)')
    parser.add_argument("--at", metavar="NAME=NUMBER,...", default="", help="the value of every variable")
    parser.add_argument("-o", "--output", metavar="FILE", default="backprop.html",
                        help="the page to write (default backprop.html)")
    parser.add_argument("--collapse", choices=("auto", "leaves", "none"), default="auto",
                        help="fold leaves into the nodes that use them (default: for big graphs)")
    parser.set_defaults(run=run_animate)


def run_animate(args: argparse.Namespace) -> int:
    """Write the page and say how many frames it has."""
    from ..animate import animate

    try:
        out, _ = evaluate_expression(args.expression, args.at)
        movie = animate(out, collapse=None if args.collapse == "none" else args.collapse)
    except (ValueError, ArithmeticError) as exc:
        raise CommandError(str(exc)) from None
    try:
        movie.save(args.output)
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {args.output}: {movie.n_forward} forward and {movie.n_backward} backward frames")
    return 0


def add_check_engine_command(subparsers: argparse._SubParsersAction) -> None:
    """Add ``check-engine`` to the command line."""
    parser = subparsers.add_parser(
        "check-engine", help="grade a micrograd-style Value class against microgradlab",
        description="Import MODULE:CLASS (from the current directory or the Python path), find which "
                    "operations the class supports, and compare its values and gradients with microgradlab's "
                    "on random expressions. Prints the smallest failing expression of each defect; the exit "
                    "status is 1 if there is one, 0 if not.",
        epilog=CHECK_ENGINE_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", metavar="MODULE:CLASS", help="e.g. myengine:Value or micrograd.engine:Value")
    parser.add_argument("--max-examples", type=int, default=300, metavar="N",
                        help="expressions tried per search (default 300)")
    parser.set_defaults(run=run_check_engine)


def _load_class(target: str) -> type:
    """The class ``MODULE:CLASS`` names, imported from the current directory or the Python path."""
    module_name, sep, class_name = target.partition(":")
    if not sep or not module_name or not class_name.isidentifier():
        raise CommandError(f"expected MODULE:CLASS such as myengine:Value, got {target!r}")
    sys.path.insert(0, os.getcwd())  # a student's myengine.py next to them, as `python -m` finds it
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise CommandError(f"cannot import {module_name}: {exc}") from None
    except Exception as exc:  # their module failed while importing: say how, in one line
        raise CommandError(f"importing {module_name} raised {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(os.getcwd())
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise CommandError(f"{module_name} has no class {class_name}"
                           f" (from {Path(getattr(module, '__file__', '') or module_name).name})")
    return cls


def run_check_engine(args: argparse.Namespace) -> int:
    """Print the grade; the exit status is 1 if the class has a defect."""
    from ..engine_check import check_engine

    try:
        check_int("check-engine", "--max-examples", args.max_examples, minimum=1)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    cls = _load_class(args.target)
    try:
        report = check_engine(cls, max_examples=args.max_examples)
    except TypeError as exc:
        raise CommandError(str(exc)) from None
    print(report)
    return 0 if report.ok else 1
