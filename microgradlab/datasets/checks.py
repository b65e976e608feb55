"""The data-set functions' types, their file error, and the one check only they need.

The argument checks and the seed helper live in :mod:`microgradlab.checks`.
"""

from __future__ import annotations

import os
from typing import Any, List, Tuple, TypeVar, Union

from ..checks import RandomState, check_int, check_random_state, is_int  # noqa: F401 (RandomState re-exported)

__all__ = ["DatasetError", "check_random_state"]


Row = List[float]
Dataset = Tuple[List[Row], List[int]]
PathLike = Union[str, "os.PathLike[str]"]
T = TypeVar("T")
L = TypeVar("L")


class DatasetError(ValueError):
    """A data file is damaged or not in the expected format.

    The message names the file and what is wrong with it.
    """


def two_groups(func: str, n_samples: Any) -> Tuple[int, int]:
    """Split ``n_samples`` (int or 2-tuple) into (outer/first, inner/second)."""
    if is_int(n_samples):
        n = check_int(func, "n_samples", n_samples)
        return n // 2, n - n // 2
    if isinstance(n_samples, tuple) and len(n_samples) == 2:
        n_out = check_int(func, "n_samples[0]", n_samples[0])
        n_in = check_int(func, "n_samples[1]", n_samples[1])
        return n_out, n_in
    raise TypeError(
        f"{func}: n_samples must be an int or a tuple of two ints, got {n_samples!r}"
    )
