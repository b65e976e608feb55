"""Splitting (:func:`train_test_split`, scikit-learn's) and batching (:func:`iterate_minibatches`)."""

from __future__ import annotations

import math
import random
from typing import Any, Dict, Hashable, Iterator, List, Optional, Sequence, Tuple, Union

from ..checks import check_int, check_random_state, check_same_length, is_int, is_real
from .checks import L, RandomState, T

__all__ = ["train_test_split", "iterate_minibatches"]



def _n_test(func: str, n: int, test_size: Any) -> int:
    if is_int(test_size):
        n_test = int(test_size)
        if not 0 < n_test < n:
            raise ValueError(
                f"{func}: test_size={n_test} must be between 1 and n_samples - 1 "
                f"= {n - 1} when it is an int"
            )
        return n_test
    if is_real(test_size):
        fraction = float(test_size)
        if not 0.0 < fraction < 1.0:
            raise ValueError(
                f"{func}: test_size={test_size!r} must be in (0, 1) when it is a float"
            )
        n_test = math.ceil(fraction * n)
        if n_test >= n:
            raise ValueError(
                f"{func}: with n_samples={n} and test_size={test_size!r} the train "
                f"set would be empty"
            )
        return n_test
    raise TypeError(
        f"{func}: test_size must be a float in (0, 1) or an int, got {test_size!r}"
    )


def _stratified_counts(
    counts: Sequence[int], n_total: int, n_test: int
) -> List[int]:
    """Per-class test counts summing to ``n_test``, each within 1 of its quota."""
    quotas = [n_test * c / n_total for c in counts]
    alloc = [math.floor(q) for q in quotas]
    missing = n_test - sum(alloc)
    by_remainder = sorted(range(len(counts)), key=lambda k: alloc[k] - quotas[k])
    for k in by_remainder[:missing]:
        alloc[k] += 1
    return alloc


def train_test_split(
    X: Sequence[T],
    y: Sequence[L],
    *,
    test_size: Union[float, int] = 0.25,
    shuffle: bool = True,
    random_state: RandomState = None,
    stratify: Optional[Sequence[Hashable]] = None,
) -> Tuple[List[T], List[T], List[L], List[L]]:
    """Split ``(X, y)`` into train and test parts, like scikit-learn.

    Args:
        X: The samples (any sequence; rows are not copied).
        y: The labels, same length as ``X``.
        test_size: Fraction of the samples in ``(0, 1)`` (the test set gets
            ``ceil(test_size * n)``) or the number of test samples.
        shuffle: Shuffle before splitting.  If False the test set is the last
            ``n_test`` samples, in order.
        random_state: Seed (int), ``None`` or a :class:`random.Random`.
        stratify: Class labels (usually ``y``) whose proportions the test set
            should keep: each class gets its share of ``n_test`` rounded up or
            down (largest remainders first).  Requires ``shuffle=True``.

    Returns:
        ``X_train, X_test, y_train, y_test`` as lists.

    Raises:
        ValueError: if lengths differ, ``test_size`` is out of range or leaves
            an empty train or test set, or ``stratify`` is used without
            shuffling.

    Example:
        >>> X_tr, X_te, y_tr, y_te = train_test_split(
        ...     [[0], [1], [2], [3]], [0, 1, 2, 3], test_size=1, shuffle=False)
        >>> X_tr, X_te, y_tr, y_te
        ([[0], [1], [2]], [[3]], [0, 1, 2], [3])
    """
    func = "train_test_split"
    n = check_same_length(func, X, y)
    n_test = _n_test(func, n, test_size)
    rng = check_random_state(random_state, func)

    if stratify is not None:
        if not shuffle:
            raise ValueError(
                f"{func}: stratify requires shuffle=True (got shuffle=False)"
            )
        if len(stratify) != n:
            raise ValueError(
                f"{func}: stratify must have the same length as X, got "
                f"len(stratify)={len(stratify)} and len(X)={n}"
            )
        groups: Dict[Hashable, List[int]] = {}
        for i, label in enumerate(stratify):
            groups.setdefault(label, []).append(i)
        members = list(groups.values())
        alloc = _stratified_counts([len(m) for m in members], n, n_test)
        train_idx: List[int] = []
        test_idx: List[int] = []
        for idx, k in zip(members, alloc):
            idx = idx[:]
            rng.shuffle(idx)
            test_idx += idx[:k]
            train_idx += idx[k:]
        rng.shuffle(train_idx)
        rng.shuffle(test_idx)
    else:
        order = list(range(n))
        if shuffle:
            rng.shuffle(order)
        train_idx, test_idx = order[: n - n_test], order[n - n_test:]

    return (
        [X[i] for i in train_idx],
        [X[i] for i in test_idx],
        [y[i] for i in train_idx],
        [y[i] for i in test_idx],
    )


def iterate_minibatches(
    X: Sequence[T],
    y: Sequence[L],
    batch_size: int,
    *,
    shuffle: bool = True,
    random_state: RandomState = None,
    drop_last: bool = False,
) -> Iterator[Tuple[List[T], List[L]]]:
    """Yield ``(X_batch, y_batch)`` pairs that cover the data once.

    Arguments are checked immediately (not at the first ``next``).  With an
    int ``random_state`` every call gives the same order; pass one
    :class:`random.Random` to get a new order per epoch.

    Args:
        X: The samples.
        y: The labels, same length as ``X``.
        batch_size: Samples per batch, at least 1.  The last batch may be
            smaller unless ``drop_last`` is True.
        shuffle: Visit the samples in a random order.
        random_state: Seed (int), ``None`` or a :class:`random.Random`.
        drop_last: Skip the final, incomplete batch.

    Returns:
        An iterator of ``(list, list)`` pairs.

    Example:
        >>> batches = iterate_minibatches([[0], [1], [2]], [0, 1, 0], 2,
        ...                               shuffle=False)
        >>> list(batches)
        [([[0], [1]], [0, 1]), ([[2]], [0])]
    """
    func = "iterate_minibatches"
    n = check_same_length(func, X, y)
    batch_size = check_int(func, "batch_size", batch_size, minimum=1)
    rng = check_random_state(random_state, func)
    return _minibatches(X, y, n, batch_size, shuffle, rng, drop_last)


def _minibatches(
    X: Sequence[T],
    y: Sequence[L],
    n: int,
    batch_size: int,
    shuffle: bool,
    rng: random.Random,
    drop_last: bool,
) -> Iterator[Tuple[List[T], List[L]]]:
    order = list(range(n))
    if shuffle:
        rng.shuffle(order)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield [X[i] for i in idx], [y[i] for i in idx]
