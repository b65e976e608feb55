"""Hypothesis profiles: a fast ``dev`` one while editing and a thorough, reproducible ``ci`` one."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Mapping, Optional

from hypothesis import settings
from hypothesis.errors import InvalidArgument

__all__ = ["PROFILE_ENV", "PROFILES", "register_profiles", "profile_name", "load_profile"]

PROFILE_ENV = "HYPOTHESIS_PROFILE"

PROFILES: Mapping[str, Mapping[str, Any]] = {
    # Quick feedback while editing: few examples, and a deadline that catches
    # accidental slowness without tripping over a busy machine.
    "dev": {"max_examples": 20, "deadline": timedelta(seconds=1)},
    # CI: ten times the examples, the same examples on every run (no flaky
    # reds, no example database to carry between machines), and no deadline
    # (shared CI machines have erratic timing).
    "ci": {"max_examples": 200, "derandomize": True, "database": None, "deadline": None, "print_blob": True},
}


def register_profiles() -> None:
    """Register the :data:`PROFILES` (``dev`` and ``ci``) with Hypothesis."""
    for name, options in PROFILES.items():
        settings.register_profile(name, **options)


def profile_name(environ: Optional[Mapping[str, str]] = None) -> str:
    """The profile to use: ``$HYPOTHESIS_PROFILE``, else ``ci`` if ``$CI`` is true, else ``dev``.

    ``CI`` counts as true unless it is empty, ``0``, ``false``, ``no`` or ``off``.

    >>> profile_name({}), profile_name({"CI": "true"}), profile_name({"CI": "0"})
    ('dev', 'ci', 'dev')
    >>> profile_name({"CI": "1", "HYPOTHESIS_PROFILE": "dev"})
    'dev'
    """
    env = os.environ if environ is None else environ
    chosen = env.get(PROFILE_ENV, "").strip()
    if chosen:
        return chosen
    ci = env.get("CI", "").strip().lower()
    return "ci" if ci not in ("", "0", "false", "no", "off") else "dev"


def load_profile(environ: Optional[Mapping[str, str]] = None) -> str:
    """Register the profiles, load the one :func:`profile_name` chooses, and return its name.

    An unknown name is a ``ValueError`` and leaves the loaded profile as it was.
    """
    register_profiles()
    name = profile_name(environ)
    try:
        # Checked first: Hypothesis's load_profile records an unknown name as current
        # before failing, which breaks every later register_profile.
        settings.get_profile(name)
    except InvalidArgument:
        raise ValueError(f"{PROFILE_ENV}={name!r} is not a registered Hypothesis profile; "
                         f"use one of {', '.join(sorted(PROFILES))} or register it first") from None
    settings.load_profile(name)
    return name
