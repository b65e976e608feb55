"""How the command line fails: :class:`CommandError` and the one-line, exit-status-2 report of every error."""

from __future__ import annotations

import sys
from typing import Callable

__all__ = ["ERROR_STATUS", "INTERRUPTED_STATUS", "CommandError", "exit_status"]

#: The exit status of every error.
ERROR_STATUS = 2
#: The exit status after Ctrl-C, as shells report a SIGINT.
INTERRUPTED_STATUS = 130


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit status :data:`ERROR_STATUS`."""


def exit_status(command: Callable[[], int]) -> int:
    """Run ``command`` and return its exit status, turning every expected failure into one line on stderr.

    A :class:`CommandError`, a missing dependency, running out of memory and
    Ctrl-C never show a traceback; ``--help`` and ``--version`` (a
    ``SystemExit`` from argparse) give their own status.
    """
    try:
        return command()
    except CommandError as exc:
        print(f"microgradlab: error: {exc}", file=sys.stderr)
        return ERROR_STATUS
    except ImportError as exc:  # a dependency missing from a broken install
        print(f"microgradlab: error: {exc}: reinstall microgradlab (pip install microgradlab)", file=sys.stderr)
        return ERROR_STATUS
    except MemoryError:  # the readers bound what files can ask for; this is the machine's own limit
        print("microgradlab: error: out of memory", file=sys.stderr)
        return ERROR_STATUS
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("microgradlab: interrupted", file=sys.stderr)
        return INTERRUPTED_STATUS
