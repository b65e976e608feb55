"""The ``microgradlab`` command line: one subcommand per job, one module per subcommand.

Each subcommand is a pair of functions in its module (:mod:`.train`,
:mod:`.predict`, :mod:`.demo`, :mod:`.graph`, :mod:`.teaching`):
``add_<name>_command(subparsers)`` declares its arguments and sets
``run=<function>``; the run function takes the parsed arguments and returns the
exit status.  A user mistake raises :class:`CommandError`, which :func:`main`
prints as one line (no traceback) with exit status 2 (:mod:`.errors`).  To add
a subcommand, write the pair and list the ``add_`` function in :data:`COMMANDS`
(and an example in :data:`EXAMPLES`).

Before parsing, :func:`main` loads the op plugins (:mod:`.plugins`), so an
activation a plugin defines is a ``train --activation`` choice.

Exit status: 0 on success, 2 for any error (bad arguments, expressions, files
or values, a file that cannot be written, a missing renderer or matplotlib, a
plugin that fails to load), always as one line on standard error and never
with a traceback; 130 when interrupted.  Nothing is written when a command
fails: outputs are written whole (to a temporary file, then renamed) at the end.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Callable, List, Optional, Sequence

from .data import DATASETS
from .demo import DEMO_EXAMPLE, DEMO_TRAINING, add_demo_command
from .errors import ERROR_STATUS, CommandError, exit_status
from .graph import GRAPH_EXAMPLE, add_graph_command, evaluate_expression, expression_first
from .parser import Parser
from .plugins import DISABLE_VARIABLE, GROUP, load_plugins
from .predict import PREDICT_EXAMPLE, add_predict_command
from .teaching import ANIMATE_EXAMPLE, CHECK_ENGINE_EXAMPLE, add_animate_command, add_check_engine_command
from .train import TEST_FRACTION, TRAIN_EXAMPLE, add_train_command

__all__ = ["main", "build_parser", "CommandError", "COMMANDS", "EXAMPLES", "ERROR_STATUS", "DATASETS",
           "DEMO_TRAINING", "TEST_FRACTION", "evaluate_expression"]

#: The functions that add each subcommand to the parser, in the order ``--help`` lists them.
COMMANDS: List[Callable[[argparse._SubParsersAction], None]] = [
    add_demo_command, add_train_command, add_predict_command, add_graph_command,
    add_animate_command, add_check_engine_command]
#: Examples shown by ``microgradlab --help``, one per subcommand.
EXAMPLES: List[str] = [DEMO_EXAMPLE, TRAIN_EXAMPLE, PREDICT_EXAMPLE, GRAPH_EXAMPLE,
                       ANIMATE_EXAMPLE, CHECK_ENGINE_EXAMPLE]

_PLUGINS = textwrap.fill(
    f"Plugins: every installed entry point of the group {GROUP} is imported first (to add ops to the op "
    f"table); one that fails to import is an error (exit status 2) naming it. "
    f"{DISABLE_VARIABLE}=1 runs without plugins.")

_MORE_HELP = "'microgradlab COMMAND --help' describes each command."


def build_parser() -> argparse.ArgumentParser:
    """The ``microgradlab`` argument parser with every subcommand of :data:`COMMANDS`.

    The choices that come from the op table (``train --activation``) are those
    of the ops defined when it is called: load the plugins first.
    """
    from .. import __version__

    parser = Parser(prog="microgradlab",
                    description="A scalar autograd engine for learning, teaching and testing backpropagation.",
                    epilog="\n".join(EXAMPLES + [_PLUGINS, "", _MORE_HELP]),
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"microgradlab {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for add in COMMANDS:
        add(subparsers)
    return parser


def _run(argv: List[str]) -> int:
    load_plugins()
    parser = build_parser()
    if not argv:  # the command alone: what it can do
        parser.print_help()
        return 0
    args = parser.parse_args(expression_first(argv, parser))
    return args.run(args)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``) and return the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    return exit_status(lambda: _run(arguments))
