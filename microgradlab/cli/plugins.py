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
import re
from importlib.metadata import EntryPoint, distributions
from typing import List, Optional, Tuple

from .errors import CommandError

__all__ = ["GROUP", "DISABLE_VARIABLE", "plugin_entry_points", "load_plugins"]

#: The entry point group of op plugins.
GROUP = "microgradlab.ops"
#: The environment variable that, when set, makes the command line load no plugin.
DISABLE_VARIABLE = "MICROGRADLAB_DISABLE_PLUGINS"


def plugin_entry_points() -> List[Tuple[EntryPoint, Optional[str]]]:
    """The installed entry points of :data:`GROUP`, sorted by name, each with its distribution's name.

    Read from each distribution (not ``importlib.metadata.entry_points()``,
    whose points do not know their distribution on Python 3.9); as that does on
    3.10 and later, the first distribution of a name on ``sys.path`` hides the others.
    """
    found, seen = [], set()
    for dist in distributions():
        points = [point for point in dist.entry_points if point.group == GROUP]
        if not points:  # most distributions: their metadata is not even read
            continue
        name = dist.metadata["Name"]
        key = re.sub(r"[-_.]+", "-", name).lower() if name else None
        if key is not None and key in seen:
            continue
        seen.add(key)
        found += [(point, name) for point in points]
    return sorted(found, key=lambda found_point: (found_point[0].name, found_point[0].value))


def load_plugins() -> List[str]:
    """Import every plugin of :data:`GROUP` and return their names; one that fails is a :class:`CommandError`."""
    if os.environ.get(DISABLE_VARIABLE):
        return []
    points = plugin_entry_points()
    for point, distribution in points:
        try:
            point.load()
        except Exception as exc:  # whatever the plugin's own code raised while importing: one line, no traceback
            origin = f"{point.name} = {point.value}" + (f" (from the distribution {distribution})"
                                                        if distribution else "")
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise CommandError(f"the plugin {origin} failed to load: {reason}; uninstall it, or set "
                               f"{DISABLE_VARIABLE}=1 to run without plugins") from None
    return [point.name for point, _ in points]
