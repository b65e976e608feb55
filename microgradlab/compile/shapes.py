"""Arguments and results of a compiled function: numbers or rectangular nested lists."""

from __future__ import annotations

from typing import Any, List, Sequence, Tuple

from ..checks import is_real
from ..engine import Value


def tree_shape(x: Any, where: str) -> Tuple[int, ...]:
    if isinstance(x, (list, tuple)):
        if not x:
            raise ValueError(f"{where}: empty list")
        shapes = {tree_shape(item, where) for item in x}
        if len(shapes) != 1:
            raise ValueError(f"{where}: ragged nested list (items of shapes {sorted(shapes)})")
        return (len(x),) + shapes.pop()
    return ()


def tree_flatten(x: Any) -> List[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in tree_flatten(item)]
    return [x]


def tree_unflatten(flat: Sequence[Any], shape: Tuple[int, ...]) -> Any:
    if not shape:
        return flat[0]
    size = len(flat) // shape[0]
    return [tree_unflatten(flat[i * size:(i + 1) * size], shape[1:]) for i in range(shape[0])]


def as_number(x: Any, where: str) -> float:
    if isinstance(x, Value):
        return x.data
    if not is_real(x):
        raise TypeError(f"{where}: expected a number, got {x!r} of type {type(x).__name__}")
    return float(x)

