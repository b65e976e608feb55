"""Argument checks and the seed helper shared by the data-set functions (and by nn and train).

Bad arguments raise ``TypeError`` (wrong type) or ``ValueError`` (bad value)
with a message naming the function, the argument and the value.
"""

from __future__ import annotations

import math
import numbers
import os
import random
from typing import Any, List, Optional, Sequence, Tuple, TypeVar, Union

__all__ = ["DatasetError", "check_random_state"]


Row = List[float]
Dataset = Tuple[List[Row], List[int]]
RandomState = Union[int, random.Random, None]
PathLike = Union[str, "os.PathLike[str]"]
T = TypeVar("T")
L = TypeVar("L")


class DatasetError(ValueError):
    """A data file is damaged or not in the expected format.

    The message names the file and what is wrong with it.
    """


# --------------------------------------------------------------------------
# Argument checking
# --------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_int(func: str, name: str, value: Any, minimum: int = 0) -> int:
    if not _is_int(value):
        raise TypeError(f"{func}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{func}: {name} must be >= {minimum}, got {value!r}")
    return int(value)


def _check_float(
    func: str, name: str, value: Any, minimum: Optional[float] = 0.0
) -> float:
    if not _is_real(value):
        raise TypeError(f"{func}: {name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{func}: {name} must be finite, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{func}: {name} must be >= {minimum}, got {value!r}")
    return value


def check_random_state(random_state: RandomState, where: str = "check_random_state",
                       name: str = "random_state") -> random.Random:
    """A private generator from a seed, as scikit-learn's ``check_random_state``.

    An int seeds a new ``random.Random``, None gives a fresh unseeded one, and a
    ``random.Random`` is returned as it is; the global ``random`` state is never
    used.  Anything else is a ``TypeError`` naming ``where`` and ``name``.

    >>> check_random_state(0).random() == check_random_state(0).random()
    True
    """
    if isinstance(random_state, random.Random):
        return random_state
    if random_state is None:
        return random.Random()
    if _is_int(random_state):
        return random.Random(int(random_state))
    raise TypeError(f"{where}: {name} must be an int, None or a random.Random, got {random_state!r}")


def _check_same_length(func: str, X: Sequence[Any], y: Sequence[Any]) -> int:
    n_x, n_y = len(X), len(y)
    if n_x != n_y:
        raise ValueError(
            f"{func}: X and y must have the same length, got len(X)={n_x} "
            f"and len(y)={n_y}"
        )
    return n_x


def _two_groups(func: str, n_samples: Any) -> Tuple[int, int]:
    """Split ``n_samples`` (int or 2-tuple) into (outer/first, inner/second)."""
    if _is_int(n_samples):
        n = _check_int(func, "n_samples", n_samples)
        return n // 2, n - n // 2
    if isinstance(n_samples, tuple) and len(n_samples) == 2:
        n_out = _check_int(func, "n_samples[0]", n_samples[0])
        n_in = _check_int(func, "n_samples[1]", n_samples[1])
        return n_out, n_in
    raise TypeError(
        f"{func}: n_samples must be an int or a tuple of two ints, got {n_samples!r}"
    )
