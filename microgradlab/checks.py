"""Argument checks and the seed helper: the one home for them, used by every module.

Every check names the function (``where``), the argument and the value, and
raises ``TypeError`` for a wrong type and ``ValueError`` for a bad value:

>>> check_int("MLP", "nin", 0, minimum=1)
Traceback (most recent call last):
    ...
ValueError: MLP: nin must be >= 1, got 0
>>> check_float("SGD", "momentum", 1.5, high=1.0)
Traceback (most recent call last):
    ...
ValueError: SGD: momentum must be a finite number in [0, 1), got 1.5

This module imports nothing from the library, so any module may use it.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any, Sequence, TypeVar, Union

__all__ = ["is_int", "is_real", "check_int", "check_float", "check_choice", "check_same_length",
           "check_random_state", "RandomState"]

RandomState = Union[int, random.Random, None]
C = TypeVar("C")


def is_int(value: Any) -> bool:
    """An integer that is not a bool (``True`` is not a size or an index)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """A real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(where: str, name: str, value: Any, minimum: int = 0) -> int:
    """``value`` as an int of at least ``minimum``."""
    if not is_int(value):
        raise TypeError(f"{where}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value!r}")
    return int(value)


def check_float(where: str, name: str, value: Any, *, low: float = 0.0, low_open: bool = False,
                high: float = math.inf, high_open: bool = True) -> float:
    """``value`` as a finite float in the interval from ``low`` to ``high`` (``low=-math.inf``: no bound).

    The message states the bound as ``>= low`` when that is the only one (and says "finite"
    for nan and inf), else as an interval of finite numbers.
    """
    if not is_real(value):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    value = float(value)
    finite = math.isfinite(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if finite and not (too_low or too_high):
        return value
    if high == math.inf and not low_open:
        bound = f">= {float(low)!r}" if finite else "finite"
        raise ValueError(f"{where}: {name} must be {bound}, got {value!r}")
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    raise ValueError(f"{where}: {name} must be a finite number in {interval}, got {value!r}")


def check_choice(where: str, name: str, value: Any, choices: Sequence[C]) -> C:
    """``value`` if it is one of ``choices``, else a ``ValueError`` listing them."""
    if value not in choices:
        raise ValueError(f"{where}: unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}")
    return value


def check_same_length(where: str, X: Sequence[Any], y: Sequence[Any]) -> int:
    """The common length of ``X`` and ``y``."""
    n_x, n_y = len(X), len(y)
    if n_x != n_y:
        raise ValueError(f"{where}: X and y must have the same length, got len(X)={n_x} and len(y)={n_y}")
    return n_x


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
    if is_int(random_state):
        return random.Random(int(random_state))
    raise TypeError(f"{where}: {name} must be an int, None or a random.Random, got {random_state!r}")
