"""Which Values a drawing holds, and how many nodes drawing them takes.

A drawing of thousands of scalars takes Graphviz minutes and cannot be read;
:class:`GraphTooLargeError` stops it early and says how to draw it smaller.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from ..engine import Value
from ..graph import walk

#: What every drawing function takes: one Value or several.
Roots = Union[Value, Iterable[Value]]


class GraphTooLargeError(ValueError):
    """The drawing would have more than ``max_nodes`` nodes; the message says how to collapse it."""


def as_roots(roots: Roots, where: str) -> List[Value]:
    """``roots`` as a non-empty list of Values; a clear error naming ``where`` otherwise."""
    items = [roots] if isinstance(roots, Value) else list(roots)
    if not items:
        raise ValueError(f"{where}: no roots given; pass a Value or a list of Values")
    for r in items:
        if not isinstance(r, Value):
            raise TypeError(f"{where}: roots must be Values, got {r!r} of type {type(r).__name__}")
    return items


def too_large(limit: int, collapse: Optional[str], count: Optional[int] = None) -> GraphTooLargeError:
    """The error for a drawing of ``count`` nodes (None: more than ``limit``), with advice for ``collapse``."""
    size = f"{count} nodes" if count is not None else "more nodes than that"
    if collapse is None:
        advice = "draw it with collapse='neuron' or collapse='layer' (one box per neuron or layer)"
    elif collapse == "neuron":
        advice = "try collapse='layer', or draw the graph of fewer samples"
    else:
        advice = "draw the graph of fewer samples (e.g. the loss of one batch)"
    return GraphTooLargeError(f"to_dot: max_nodes={limit} but the drawing has {size}; {advice}, "
                              "or pass a larger max_nodes")


def drawn_cost(inputs: Tuple[Any, ...]) -> int:
    """How many nodes drawing a Value with these inputs takes: itself, its op node, its constants."""
    return 2 + sum(x.__class__ is float for x in inputs) if inputs else 1


def postorder(roots: List[Value], limit: Optional[int] = None) -> Tuple[List[Value], int]:
    """Every Value reachable from ``roots``, each after its inputs (:func:`microgradlab.graph.walk`),
    and the number of nodes it takes to draw them all.

    With ``limit``, stops with :class:`GraphTooLargeError` as soon as that
    number passes ``limit``, so a deep graph fails fast.
    """
    count = 0

    def tally(v: Value) -> None:
        nonlocal count
        count += drawn_cost(v.inputs)
        if limit is not None and count > limit:
            raise too_large(limit, None)

    return walk(roots, on_visit=tally), count


def users_of(order: List[Value]) -> Dict[int, List[Value]]:
    """For each Value's id, the nodes that take it as an input (once per use)."""
    users: Dict[int, List[Value]] = {}
    for node in order:
        for v in node.inputs:
            if v.__class__ is not float:
                users.setdefault(id(v), []).append(node)
    return users

