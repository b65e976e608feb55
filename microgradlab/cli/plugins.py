"""Plugins: installed packages that add ops to the op table, loaded when the command line starts.

A plugin declares an entry point in the group :data:`GROUP`; loading it imports
its module, which calls :func:`microgradlab.ops.define` (with
``activation=True`` for an op that ``train --activation`` should offer).  In
``setup.cfg``::

    [options.entry_points]
    microgradlab.ops =
        softsign = myplugin

A plugin that fails to import stops the command with one line naming it (exit
status 2), as any other error: a command that quietly ran without an op it was
told to have would train or draw something else than asked.  Setting
:data:`DISABLE_VARIABLE` (to any non-empty value) skips every plugin.
"""

from __future__ import annotations

import os
from importlib.metadata import EntryPoint, entry_points
from typing import List

from .errors import CommandError

__all__ = ["GROUP", "DISABLE_VARIABLE", "plugin_entry_points", "load_plugins"]

#: The entry point group of op plugins.
GROUP = "microgradlab.ops"
#: The environment variable that, when set, makes the command line load no plugin.
DISABLE_VARIABLE = "MICROGRADLAB_DISABLE_PLUGINS"


def plugin_entry_points() -> List[EntryPoint]:
    """The installed entry points of :data:`GROUP`, each once, sorted by name."""
    found = entry_points()
    # Python 3.9 returns a dict of group -> entry points; 3.10 and later select by group.
    group = found.select(group=GROUP) if hasattr(found, "select") else found.get(GROUP, ())
    unique = {(point.name, point.value): point for point in group}  # a distribution on sys.path twice
    return [unique[key] for key in sorted(unique)]


def _origin(point: EntryPoint) -> str:
    """``softsign = myplugin (from the distribution myplugin)``: what names the plugin to its user."""
    dist = getattr(point, "dist", None)  # None on Python 3.9
    name = dist.metadata["Name"] if dist is not None else None
    return f"{point.name} = {point.value}" + (f" (from the distribution {name})" if name else "")


def load_plugins() -> List[str]:
    """Import every plugin of :data:`GROUP` and return their names; one that fails is a :class:`CommandError`."""
    if os.environ.get(DISABLE_VARIABLE):
        return []
    points = plugin_entry_points()
    for point in points:
        try:
            point.load()
        except Exception as exc:  # whatever the plugin's own code raised while importing: one line, no traceback
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise CommandError(f"the plugin {_origin(point)} failed to load: {reason}; uninstall it, or set "
                               f"{DISABLE_VARIABLE}=1 to run without plugins") from None
    return [point.name for point in points]
