"""Moved to :mod:`microgradlab.viz.lecture`; this name keeps ``from microgradlab.lecture import draw_dot`` working."""

from .viz.lecture import draw_dot, expand_dots

__all__ = ["draw_dot", "expand_dots"]
