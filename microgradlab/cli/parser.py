"""argparse for the command line: a usage mistake is one line with a "did you mean" suggestion."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, List, NoReturn, Optional

from ..datasets.csv import suggest
from .errors import CommandError

__all__ = ["Parser", "subcommand_parser"]


def _choices(text: str) -> List[str]:
    """argparse's "(choose from 'a', 'b')" text -> ``["a", "b"]``."""
    return [choice.strip().strip("'\"") for choice in text.split(",")]


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake raises :class:`CommandError` with a "did you mean" suggestion."""

    _given: List[str] = []

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._given = list(sys.argv[1:] if args is None else args)  # for the suggestions in error()
        return super().parse_known_args(args, namespace)

    def unknown_option(self) -> Optional[str]:
        """The first given ``--option`` this parser does not know, with the closest it does."""
        known = list(self._option_string_actions)
        for token in self._given:
            if token == "--":
                break
            word = token.split("=", 1)[0]
            if word.startswith("--") and not any(option.startswith(word) for option in known):
                return f"unrecognized option {word}{suggest(word, known)}"
        return None

    def _command_parser(self) -> Optional["Parser"]:
        commands = self._subparsers._group_actions[0].choices if self._subparsers else {}
        return next((commands[token] for token in self._given if token in commands), None)

    def error(self, message: str) -> NoReturn:
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            message += suggest(choice.group(1), _choices(choice.group(2)))
        elif message.startswith("unrecognized arguments") and self._command_parser() is not None:
            message = self._command_parser().unknown_option() or message  # type: ignore[union-attr]
        else:
            message = self.unknown_option() or message
        raise CommandError(f"{message} (see {self.prog} --help)")


def subcommand_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The parser of subcommand ``name`` in the full command line's ``parser``."""
    return parser._subparsers._group_actions[0].choices[name]  # type: ignore[union-attr]
