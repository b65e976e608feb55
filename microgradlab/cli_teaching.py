"""The teaching commands' old home: they are in :mod:`microgradlab.cli.teaching` now."""

from .cli.teaching import ANIMATE_EXAMPLE, CHECK_ENGINE_EXAMPLE, add_animate_command, add_check_engine_command

__all__ = ["add_animate_command", "add_check_engine_command", "ANIMATE_EXAMPLE", "CHECK_ENGINE_EXAMPLE"]
