"""Moved to :mod:`microgradlab.viz.digraph`; this name keeps ``from microgradlab.digraph import Digraph`` working."""

from .viz.digraph import Digraph

__all__ = ["Digraph"]
