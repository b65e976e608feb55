"""Pickling and ``copy.deepcopy`` of Values: what ``Value.__reduce__`` returns, and how it is rebuilt.

A leaf is rebuilt from its class; an op node's class is made at run time
(``nodes.py``: one per primitive and kind), so a node is rebuilt from its op's
name and its kind instead, the node classes being made again on the other side.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

from . import ops
from .graph import CHECKED
from .nodes import node_classes

__all__ = ["reduce_value", "rebuild_leaf", "rebuild_node"]

_new = object.__new__


def reduce_value(value: Any, base: type) -> Tuple[Any, ...]:
    """``value.__reduce__()`` for a Value whose op nodes derive from ``base``."""
    state = (value.data, value.grad, value.label, getattr(value, "__dict__", None) or None)
    if not value._kind:
        return (rebuild_leaf, (type(value),) + state)
    if value._prim is None:
        raise TypeError("a hand-written node (Value(data, _children, _op)) cannot be pickled")
    kind = value._kind % CHECKED
    return (rebuild_node, (base, value._prim.name, kind, value._a, getattr(value, "_b", None)) + state)


def rebuild_leaf(cls: type, data: float, grad: Any, label: str, extra: Optional[dict]) -> Any:
    """A leaf of class ``cls`` with its data, grad, label and attributes."""
    leaf = _new(cls)
    leaf.data, leaf.grad = data, grad
    if label:
        leaf.label = label
    if extra:
        leaf.__dict__.update(extra)
    return leaf


def rebuild_node(base: type, name: str, kind: int, a: Any, b: Any, data: float, grad: Any, label: str,
                 extra: Any) -> Any:
    """An op node of the op ``name`` and of ``kind``, with its inputs ``a``/``b``, data, grad and label."""
    node = _new(node_classes(ops.get(name), base)[kind])
    node.data, node.grad, node._a, node._b = data, grad, a, b
    if label:
        node.label = label
    return node
