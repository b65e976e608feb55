"""Toy data generators, splitting and batching helpers, and small real data sets.

Everything here is pure Python and uses only the standard library, so it works
without NumPy.  A data set is a pair ``(X, y)``: ``X`` is a list of rows (each a
list of floats) and ``y`` a list of integer class labels.

Synthetic 2-D problems, in scikit-learn's style (same geometry, same argument
names, but a private :class:`random.Random` instead of NumPy's generator, so
the numbers differ from scikit-learn's for the same seed):

* :func:`make_moons`, :func:`make_circles`, :func:`make_blobs`,
* :func:`make_spiral` (CS231n's interleaved spiral arms), :func:`make_xor`.

Helpers: :func:`train_test_split` and :func:`iterate_minibatches`.

Real data:

* :func:`load_digits` -- the 8x8 UCI handwritten digits shipped in
  ``microgradlab/data/digits.csv.gz`` (see ``microgradlab/data/README.md``);
* :func:`load_idx` / :func:`read_idx` -- any MNIST-format IDX file, gzip or raw;
* :func:`load_fashion_mnist` -- Fashion-MNIST from its IDX files (not shipped;
  Debian package ``dataset-fashion-mnist`` or any folder).

``random_state`` is everywhere an ``int`` (reproducible), ``None`` (fresh
entropy) or a :class:`random.Random` instance (used as is, which lets a loop
draw a new shuffle per epoch from one seeded generator).  The global
:mod:`random` generator is never touched.

Bad arguments raise ``TypeError`` (wrong type) or ``ValueError`` (bad value)
with a message naming the function, the argument and the value.  A damaged
data file raises :class:`DatasetError` (a ``ValueError``) naming the file.
"""

from __future__ import annotations

import array
import csv
import gc
import gzip
import io
import math
import numbers
import os
import random
import sys
import zlib
from contextlib import contextmanager
from importlib import resources
from typing import (
    Any,
    Dict,
    Hashable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

__all__ = [
    "DEFAULT_FASHION_MNIST_DIR",
    "DatasetError",
    "FASHION_MNIST_CLASSES",
    "IDXArray",
    "check_random_state",
    "iterate_minibatches",
    "load_digits",
    "load_fashion_mnist",
    "load_idx",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spiral",
    "make_xor",
    "read_idx",
    "train_test_split",
]

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


# --------------------------------------------------------------------------
# Small numeric helpers
# --------------------------------------------------------------------------


def _linspace(start: float, stop: float, num: int, endpoint: bool = True) -> List[float]:
    """``numpy.linspace`` for floats: ``start + i * step``, last value exact."""
    if num <= 0:
        return []
    div = num - 1 if endpoint else num
    if div == 0:
        return [float(start)]
    step = (stop - start) / div
    values = [start + i * step for i in range(num)]
    if endpoint:
        values[-1] = float(stop)
    return values


def _shuffled(
    X: Sequence[T], y: Sequence[L], rng: random.Random
) -> Tuple[List[T], List[L]]:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _add_noise(X: List[Row], noise: Optional[float], rng: random.Random) -> None:
    if not noise:
        return
    gauss = rng.gauss
    for row in X:
        for j in range(len(row)):
            row[j] += gauss(0.0, noise)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


# --------------------------------------------------------------------------
# Synthetic data sets
# --------------------------------------------------------------------------


def make_moons(
    n_samples: Union[int, Tuple[int, int]] = 100,
    *,
    shuffle: bool = True,
    noise: Optional[float] = None,
    random_state: RandomState = None,
) -> Dataset:
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Class 0 lies on the upper half of the unit circle, ``(cos t, sin t)``;
    class 1 on ``(1 - cos t, 1 - sin t - 0.5)``, with ``t = linspace(0, pi, n)``
    for each class.

    Args:
        n_samples: Total number of points (split ``n // 2`` to class 0, the
            rest to class 1), or a tuple ``(n_class0, n_class1)``.
        shuffle: Shuffle the samples; if False they are ordered by class and
            by ``t``.
        noise: Standard deviation of Gaussian noise added to every coordinate
            (``None`` or ``0`` for none).
        random_state: Seed (int), ``None`` or a :class:`random.Random`.

    Returns:
        ``(X, y)``: ``n_samples`` rows of two floats and their labels 0/1.

    Raises:
        TypeError, ValueError: for a bad argument (e.g. negative ``n_samples``
            or ``noise``).

    Example:
        >>> X, y = make_moons(4, shuffle=False)
        >>> [[round(v, 6) for v in row] for row in X]
        [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]]
        >>> y
        [0, 0, 1, 1]
    """
    func = "make_moons"
    n_out, n_in = _two_groups(func, n_samples)
    if noise is not None:
        noise = _check_float(func, "noise", noise)
    rng = check_random_state(random_state, func)
    X: List[Row] = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    X += [
        [1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5]
        for t in _linspace(0.0, math.pi, n_in)
    ]
    y = [0] * n_out + [1] * n_in
    if shuffle:
        X, y = _shuffled(X, y, rng)
    _add_noise(X, noise, rng)
    return X, y


def make_circles(
    n_samples: Union[int, Tuple[int, int]] = 100,
    *,
    shuffle: bool = True,
    noise: Optional[float] = None,
    random_state: RandomState = None,
    factor: float = 0.8,
) -> Dataset:
    """A large circle containing a smaller one (scikit-learn's ``make_circles``).

    Class 0 lies on the unit circle, class 1 on the circle of radius
    ``factor``; the angles are ``linspace(0, 2 pi, n, endpoint=False)``.

    Args:
        n_samples: Total number of points (``n // 2`` on the outer circle, the
            rest on the inner one), or a tuple ``(n_outer, n_inner)``.
        shuffle: Shuffle the samples; if False they are ordered by class.
        noise: Standard deviation of Gaussian noise added to every coordinate.
        random_state: Seed (int), ``None`` or a :class:`random.Random`.
        factor: Radius of the inner circle, ``0 <= factor < 1``.

    Returns:
        ``(X, y)``: rows of two floats and labels 0 (outer) / 1 (inner).

    Example:
        >>> X, y = make_circles(4, shuffle=False, factor=0.5)
        >>> [[round(v, 6) + 0.0 for v in row] for row in X]
        [[1.0, 0.0], [-1.0, 0.0], [0.5, 0.0], [-0.5, 0.0]]
        >>> y
        [0, 0, 1, 1]
    """
    func = "make_circles"
    n_out, n_in = _two_groups(func, n_samples)
    if noise is not None:
        noise = _check_float(func, "noise", noise)
    factor = _check_float(func, "factor", factor)
    if factor >= 1.0:
        raise ValueError(f"{func}: factor must be in [0, 1), got {factor!r}")
    rng = check_random_state(random_state, func)
    two_pi = 2.0 * math.pi
    X: List[Row] = [
        [math.cos(t), math.sin(t)] for t in _linspace(0.0, two_pi, n_out, False)
    ]
    X += [
        [math.cos(t) * factor, math.sin(t) * factor]
        for t in _linspace(0.0, two_pi, n_in, False)
    ]
    y = [0] * n_out + [1] * n_in
    if shuffle:
        X, y = _shuffled(X, y, rng)
    _add_noise(X, noise, rng)
    return X, y


def make_blobs(
    n_samples: Union[int, Sequence[int]] = 100,
    n_features: int = 2,
    *,
    centers: Union[int, Sequence[Sequence[float]], None] = None,
    cluster_std: Union[float, Sequence[float]] = 1.0,
    center_box: Tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    random_state: RandomState = None,
) -> Dataset:
    """Isotropic Gaussian blobs (scikit-learn's ``make_blobs``).

    Args:
        n_samples: Total number of points, shared as equally as possible
            between the centres (the first ``n % k`` centres get one more), or
            a sequence giving the count for each centre.
        n_features: Dimension of the points when the centres are drawn at
            random (ignored if ``centers`` lists coordinates).
        centers: Number of centres to draw uniformly from ``center_box``
            (default 3, or ``len(n_samples)`` if that is a sequence), or the
            centre coordinates themselves.
        cluster_std: Standard deviation of every blob, or one per centre.
        center_box: ``(low, high)`` bounds for random centres.
        shuffle: Shuffle the samples; if False they are ordered by centre.
        random_state: Seed (int), ``None`` or a :class:`random.Random`.

    Returns:
        ``(X, y)`` where ``y[i]`` is the index of the centre of sample ``i``.

    Example:
        >>> X, y = make_blobs(7, centers=[[0.0, 0.0], [5.0, 5.0]],
        ...                   cluster_std=0.0, shuffle=False)
        >>> X[0], X[-1], y
        ([0.0, 0.0], [5.0, 5.0], [0, 0, 0, 0, 1, 1, 1])
    """
    func = "make_blobs"
    rng = check_random_state(random_state, func)
    n_features = _check_int(func, "n_features", n_features, minimum=1)

    per_center: Optional[List[int]] = None
    if _is_int(n_samples):
        total = _check_int(func, "n_samples", n_samples)
    elif isinstance(n_samples, Sequence) and not isinstance(n_samples, (str, bytes)):
        per_center = [
            _check_int(func, f"n_samples[{i}]", v) for i, v in enumerate(n_samples)
        ]
        if not per_center:
            raise ValueError(f"{func}: n_samples must not be an empty sequence")
        total = sum(per_center)
    else:
        raise TypeError(
            f"{func}: n_samples must be an int or a sequence of ints, got {n_samples!r}"
        )

    if not (isinstance(center_box, Sequence) and len(center_box) == 2):
        raise TypeError(f"{func}: center_box must be a pair (low, high), got {center_box!r}")
    low = _check_float(func, "center_box[0]", center_box[0], minimum=None)
    high = _check_float(func, "center_box[1]", center_box[1], minimum=None)
    if low > high:
        raise ValueError(f"{func}: center_box must have low <= high, got {center_box!r}")

    center_list: List[List[float]]
    if centers is None or _is_int(centers):
        if centers is None:
            n_centers = len(per_center) if per_center is not None else 3
        else:
            n_centers = _check_int(func, "centers", centers, minimum=1)
        if per_center is not None and len(per_center) != n_centers:
            raise ValueError(
                f"{func}: centers={n_centers} does not match len(n_samples)="
                f"{len(per_center)}"
            )
        center_list = [
            [rng.uniform(low, high) for _ in range(n_features)] for _ in range(n_centers)
        ]
    elif isinstance(centers, Sequence) and not isinstance(centers, (str, bytes)):
        center_list = []
        for i, c in enumerate(centers):
            if not isinstance(c, Sequence) or isinstance(c, (str, bytes)):
                raise TypeError(
                    f"{func}: centers[{i}] must be a sequence of numbers, got {c!r}"
                )
            center_list.append(
                [_check_float(func, f"centers[{i}][{j}]", v, None) for j, v in enumerate(c)]
            )
        if not center_list:
            raise ValueError(f"{func}: centers must not be empty")
        dims = {len(c) for c in center_list}
        if len(dims) != 1 or 0 in dims:
            raise ValueError(
                f"{func}: all centers must have the same, non-zero length, "
                f"got lengths {[len(c) for c in center_list]}"
            )
        if per_center is not None and len(per_center) != len(center_list):
            raise ValueError(
                f"{func}: len(centers)={len(center_list)} does not match "
                f"len(n_samples)={len(per_center)}"
            )
    else:
        raise TypeError(
            f"{func}: centers must be None, an int or a sequence of points, got {centers!r}"
        )
    n_centers = len(center_list)

    if _is_real(cluster_std):
        stds = [_check_float(func, "cluster_std", cluster_std)] * n_centers
    elif isinstance(cluster_std, Sequence) and not isinstance(cluster_std, (str, bytes)):
        stds = [
            _check_float(func, f"cluster_std[{i}]", s) for i, s in enumerate(cluster_std)
        ]
        if len(stds) != n_centers:
            raise ValueError(
                f"{func}: cluster_std has {len(stds)} values for {n_centers} centers"
            )
    else:
        raise TypeError(
            f"{func}: cluster_std must be a number or a sequence of numbers, "
            f"got {cluster_std!r}"
        )

    if per_center is None:
        per_center = [total // n_centers] * n_centers
        for i in range(total % n_centers):
            per_center[i] += 1

    gauss = rng.gauss
    X: List[Row] = []
    y: List[int] = []
    for label, (center, std, count) in enumerate(zip(center_list, stds, per_center)):
        for _ in range(count):
            X.append([c + gauss(0.0, std) if std else c for c in center])
        y.extend([label] * count)
    if shuffle:
        X, y = _shuffled(X, y, rng)
    return X, y


def make_spiral(
    n_samples: int = 100,
    n_classes: int = 2,
    *,
    noise: float = 0.0,
    random_state: RandomState = None,
) -> Dataset:
    """Interleaved spiral arms, one per class (the CS231n "spiral" data).

    Class ``j`` has ``m`` points with radius ``r = linspace(0, 1, m)`` and angle
    ``t = linspace(4 j, 4 (j + 1), m) + noise * N(0, 1)``; a point is
    ``(r sin t, r cos t)``.  CS231n uses ``noise=0.2``.  The samples are
    returned ordered by class (shuffle with :func:`train_test_split` or
    :func:`iterate_minibatches`).

    Args:
        n_samples: Total number of points, shared as equally as possible
            between the classes (the first ``n % n_classes`` get one more).
        n_classes: Number of arms / classes, at least 1.
        noise: Standard deviation of the Gaussian noise on the angle (radians).
        random_state: Seed (int), ``None`` or a :class:`random.Random`.

    Returns:
        ``(X, y)`` with 2-D points and labels ``0 .. n_classes - 1``.

    Example:
        >>> X, y = make_spiral(6, n_classes=2)
        >>> y
        [0, 0, 0, 1, 1, 1]
        >>> [round(math.hypot(*p), 6) for p in X]
        [0.0, 0.5, 1.0, 0.0, 0.5, 1.0]
    """
    func = "make_spiral"
    n_samples = _check_int(func, "n_samples", n_samples)
    n_classes = _check_int(func, "n_classes", n_classes, minimum=1)
    noise = _check_float(func, "noise", noise)
    rng = check_random_state(random_state, func)
    X: List[Row] = []
    y: List[int] = []
    for j in range(n_classes):
        m = n_samples // n_classes + (1 if j < n_samples % n_classes else 0)
        radii = _linspace(0.0, 1.0, m)
        angles = _linspace(4.0 * j, 4.0 * (j + 1), m)
        for r, t in zip(radii, angles):
            if noise:
                t += rng.gauss(0.0, noise)
            X.append([r * math.sin(t), r * math.cos(t)])
        y.extend([j] * m)
    return X, y


def make_xor(
    n_samples: int = 100,
    *,
    noise: float = 0.0,
    random_state: RandomState = None,
) -> Dataset:
    """Points uniform in ``[-1, 1]^2`` labelled by the XOR of their signs.

    The label is ``1`` if ``sign(x0) != sign(x1)`` (2nd and 4th quadrants) and
    ``0`` otherwise; it is computed before the noise is added, so with
    ``noise > 0`` some points cross the axes.

    Args:
        n_samples: Number of points.
        noise: Standard deviation of Gaussian noise added to every coordinate.
        random_state: Seed (int), ``None`` or a :class:`random.Random`.

    Returns:
        ``(X, y)`` with 2-D points and labels 0/1.

    Example:
        >>> X, y = make_xor(50, random_state=0)
        >>> all((p[0] * p[1] < 0) == bool(label) for p, label in zip(X, y))
        True
    """
    func = "make_xor"
    n_samples = _check_int(func, "n_samples", n_samples)
    noise = _check_float(func, "noise", noise)
    rng = check_random_state(random_state, func)
    X = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n_samples)]
    y = [int(_sign(x0) != _sign(x1)) for x0, x1 in X]
    _add_noise(X, noise, rng)
    return X, y


# --------------------------------------------------------------------------
# Splitting and batching
# --------------------------------------------------------------------------


def _n_test(func: str, n: int, test_size: Any) -> int:
    if _is_int(test_size):
        n_test = int(test_size)
        if not 0 < n_test < n:
            raise ValueError(
                f"{func}: test_size={n_test} must be between 1 and n_samples - 1 "
                f"= {n - 1} when it is an int"
            )
        return n_test
    if _is_real(test_size):
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
    n = _check_same_length(func, X, y)
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
    n = _check_same_length(func, X, y)
    batch_size = _check_int(func, "batch_size", batch_size, minimum=1)
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


# --------------------------------------------------------------------------
# Digits (shipped)
# --------------------------------------------------------------------------

_DIGITS_FILE = "digits.csv.gz"
_DIGITS_PIXELS = 64


def _digits_file() -> Any:
    """The shipped digits file as a Traversable (works from a wheel or zip)."""
    return resources.files(__package__ or "microgradlab") / "data" / _DIGITS_FILE


def _read_digits(source: Any, name: str) -> Tuple[List[List[int]], List[int]]:
    rows: List[List[int]] = []
    labels: List[int] = []
    width = _DIGITS_PIXELS + 1
    try:
        with source.open("rb") as raw, gzip.open(raw, "rb") as unzipped:
            text = io.TextIOWrapper(unzipped, encoding="ascii", newline="")
            reader = csv.reader(text)
            for cells in reader:
                line = reader.line_num
                if not cells:
                    continue  # blank line
                if len(cells) != width:
                    raise DatasetError(
                        f"{name}, line {line}: expected {width} comma-separated "
                        f"values (64 pixels and a label), got {len(cells)}"
                    )
                values = []
                for col, cell in enumerate(cells, 1):
                    try:
                        value = float(cell)
                    except ValueError:
                        raise DatasetError(
                            f"{name}, line {line}, column {col}: non-numeric value "
                            f"{cell!r}"
                        ) from None
                    limit = 16 if col <= _DIGITS_PIXELS else 9
                    if not (value.is_integer() and 0 <= value <= limit):
                        what = "pixel" if col <= _DIGITS_PIXELS else "label"
                        raise DatasetError(
                            f"{name}, line {line}, column {col}: {what} {cell!r} is "
                            f"not an integer in 0..{limit}"
                        )
                    values.append(int(value))
                rows.append(values[:_DIGITS_PIXELS])
                labels.append(values[_DIGITS_PIXELS])
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise DatasetError(f"{name}: cannot read the gzip CSV data: {exc}") from exc
    if not rows:
        raise DatasetError(f"{name}: no data rows")
    return rows, labels


def load_digits(*, n_class: int = 10, scale: bool = False) -> Dataset:
    """The UCI 8x8 handwritten digits (1,797 images), shipped with the package.

    Each image is 64 pixel counts 0..16 in row-major order.  Class counts for
    digits 0..9: 178, 182, 177, 183, 181, 182, 181, 179, 174, 180.  Source and
    licence (CC BY 4.0, Alpaydin & Kaynak, via scikit-learn):
    ``microgradlab/data/README.md``.

    Args:
        n_class: Keep only the digits ``0 .. n_class - 1`` (1 to 10).
        scale: Divide the pixels by 16 so they lie in ``[0, 1]``.

    Returns:
        ``(X, y)``: rows of 64 floats and labels 0..9, in file order.

    Raises:
        DatasetError: if the shipped file is damaged (names the file and line).

    Example:
        >>> X, y = load_digits()
        >>> len(X), len(X[0]), max(map(max, X)), sorted(set(y)) == list(range(10))
        (1797, 64, 16.0, True)
        >>> X, y = load_digits(n_class=2, scale=True)
        >>> len(X), max(map(max, X))
        (360, 1.0)
    """
    func = "load_digits"
    n_class = _check_int(func, "n_class", n_class, minimum=1)
    if n_class > 10:
        raise ValueError(f"{func}: n_class must be between 1 and 10, got {n_class}")
    source = _digits_file()
    rows, labels = _read_digits(source, str(source))
    divisor = 16.0 if scale else 1.0
    table = [v / divisor for v in range(17)]
    X: List[Row] = []
    y: List[int] = []
    for row, label in zip(rows, labels):
        if label < n_class:
            X.append([table[v] for v in row])
            y.append(label)
    return X, y


# --------------------------------------------------------------------------
# IDX files (MNIST format)
# --------------------------------------------------------------------------

# type code -> (name, array typecode, item size in bytes)
_IDX_TYPES: Dict[int, Tuple[str, str, int]] = {
    0x08: ("uint8", "B", 1),
    0x09: ("int8", "b", 1),
    0x0B: ("int16", "h", 2),
    0x0C: ("int32", "i" if array.array("i").itemsize == 4 else "l", 4),
    0x0D: ("float32", "f", 4),
    0x0E: ("float64", "d", 8),
}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many acyclic lists (2x faster)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class IDXArray:
    """The contents of an IDX file: a shape and the values, flat, row-major.

    Attributes:
        path: The file it was read from.
        shape: The dimensions from the header, e.g. ``(60000, 28, 28)``.
        dtype: ``"uint8"``, ``"int8"``, ``"int16"``, ``"int32"``,
            ``"float32"`` or ``"float64"``.
        data: The values: ``bytes`` for uint8 (compact and fast to slice),
            otherwise an :class:`array.array` in native byte order.

    Example:
        >>> a = IDXArray("demo", (2, 3), "uint8", bytes(range(6)))
        >>> len(a), a.row_size, a.rows()
        (2, 3, [[0, 1, 2], [3, 4, 5]])
    """

    __slots__ = ("path", "shape", "dtype", "data")

    def __init__(
        self,
        path: str,
        shape: Tuple[int, ...],
        dtype: str,
        data: Union[bytes, "array.array[Any]"],
    ) -> None:
        self.path = path
        self.shape = tuple(shape)
        self.dtype = dtype
        self.data = data

    def __repr__(self) -> str:
        return f"IDXArray(path={self.path!r}, shape={self.shape}, dtype={self.dtype!r})"

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def row_size(self) -> int:
        """Values per item along the first axis (784 for 28x28 images, 1 for 1-D)."""
        return math.prod(self.shape[1:])

    def rows(self) -> List[Any]:
        """The values as Python lists.

        For a 1-D file a flat list of numbers; otherwise one flat list of
        ``row_size`` numbers per item along the first axis (an image of
        28x28 becomes a list of 784 values).
        """
        data = self.data
        if self.ndim == 1:
            return list(data)
        size = self.row_size
        count = self.shape[0]
        if size == 0:
            return [[] for _ in range(count)]
        with _gc_paused():
            if isinstance(data, bytes):
                return [list(data[i:i + size]) for i in range(0, count * size, size)]
            return [data[i:i + size].tolist() for i in range(0, count * size, size)]

    def row_bytes(self) -> List[bytes]:
        """One ``bytes`` object per item along the first axis (uint8/int8 only).

        The compact form for fast consumers: ``row[k]`` is pixel ``k`` as an int.
        """
        if self.dtype != "uint8":
            raise TypeError(
                f"IDXArray.row_bytes: only uint8 data has a bytes form, "
                f"{self.path} holds {self.dtype}"
            )
        data = self.data
        assert isinstance(data, bytes)
        size = self.row_size
        if size == 0:
            return [b"" for _ in range(self.shape[0])]
        return [data[i:i + size] for i in range(0, len(data), size)]


def read_idx(path: PathLike) -> IDXArray:
    """Read an IDX file (MNIST format), gzip-compressed or raw.

    Compression is detected from the magic bytes ``1f 8b``, not the name.
    The header is two zero bytes, a type code (0x08 uint8, 0x09 int8,
    0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of
    dimensions and one big-endian uint32 per dimension; the data follow,
    big-endian, row-major, with nothing after them.

    Args:
        path: The file.

    Returns:
        An :class:`IDXArray` with ``shape``, ``dtype`` and the flat ``data``.

    Raises:
        FileNotFoundError: if the file does not exist.
        DatasetError: if the gzip stream is corrupt, the header is truncated
            or has a bad magic number, or the data are shorter or longer than
            the dimensions say.  The message names the file.

    Example:
        >>> import os, struct, tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     name = os.path.join(tmp, "tiny-idx2-ubyte")
        ...     with open(name, "wb") as f:
        ...         _ = f.write(struct.pack(">BBBBII", 0, 0, 8, 2, 2, 3) + bytes(range(6)))
        ...     a = read_idx(name)
        >>> a.shape, a.dtype, a.rows()
        ((2, 3), 'uint8', [[0, 1, 2], [3, 4, 5]])
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(
            2, f"read_idx: IDX file not found: {name!r}", name
        ) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(f"{name}: corrupt gzip stream: {exc}") from None
    if len(raw) < 4:
        raise DatasetError(
            f"{name}: truncated IDX header: need at least 4 bytes, file has {len(raw)}"
        )
    if raw[0] != 0 or raw[1] != 0:
        raise DatasetError(
            f"{name}: bad IDX magic number 0x{raw[:4].hex()} (the first two bytes "
            f"must be zero)"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise DatasetError(
            f"{name}: bad IDX magic number 0x{raw[:4].hex()}: unknown data type "
            f"code 0x{code:02x}"
        )
    if ndim == 0:
        raise DatasetError(f"{name}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(
            f"{name}: truncated IDX header: {ndim} dimensions need {header} bytes, "
            f"file has {len(raw)}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    dtype, typecode, itemsize = _IDX_TYPES[code]
    expected = math.prod(shape) * itemsize
    found = len(raw) - header
    if found < expected:
        raise DatasetError(
            f"{name}: truncated IDX data: shape {shape} of {dtype} needs {expected} "
            f"bytes after the header, found {found}"
        )
    if found > expected:
        raise DatasetError(
            f"{name}: trailing garbage: {found - expected} unexpected bytes after "
            f"the {expected} data bytes of shape {shape}"
        )
    payload = raw[header:]
    data: Union[bytes, "array.array[Any]"]
    if code == 0x08:
        data = payload
    else:
        data = array.array(typecode)
        data.frombytes(payload)
        if itemsize > 1 and sys.byteorder == "little":
            data.byteswap()
    return IDXArray(name, shape, dtype, data)


def load_idx(path: PathLike) -> List[Any]:
    """Read an IDX file into Python lists.

    Same as ``read_idx(path).rows()``: a 1-D file (labels) gives a list of
    numbers, a 3-D file (images) a list of flat rows, e.g. 784 ints per 28x28
    image.  Use :func:`read_idx` for the shape and compact ``bytes`` rows.

    Args:
        path: The file, gzip-compressed or raw.

    Returns:
        A list of ints (float for float types) or a list of flat lists.

    Raises:
        FileNotFoundError: if the file does not exist.
        DatasetError: if the file is damaged (see :func:`read_idx`).

    Example:
        >>> import os, struct, tempfile, gzip
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     name = os.path.join(tmp, "labels-idx1-ubyte.gz")
        ...     with gzip.open(name, "wb") as f:
        ...         _ = f.write(struct.pack(">BBBBI", 0, 0, 8, 1, 4) + bytes([3, 1, 4, 1]))
        ...     load_idx(name)
        [3, 1, 4, 1]
    """
    return read_idx(path).rows()


# --------------------------------------------------------------------------
# Fashion-MNIST (not shipped)
# --------------------------------------------------------------------------

DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
"""Where Debian's ``dataset-fashion-mnist`` package installs the IDX files."""

FASHION_MNIST_CLASSES: Tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Fashion-MNIST class names, indexed by label 0..9."""

_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_FASHION_HINT = (
    "install it with `apt-get install dataset-fashion-mnist` or pass dir= "
    "to a folder with the IDX files"
)


def _find_idx(folder: str, base: str) -> Optional[str]:
    for candidate in (base + ".gz", base):
        full = os.path.join(folder, candidate)
        if os.path.isfile(full):
            return full
    return None


def load_fashion_mnist(
    dir: Optional[PathLike] = None,
    *,
    kind: str = "train",
    scale: bool = True,
) -> Dataset:
    """Fashion-MNIST (Zalando SE, MIT licence): 28x28 grey clothing images.

    Reads ``train-images-idx3-ubyte.gz`` / ``train-labels-idx1-ubyte.gz``
    (60,000 images) or ``t10k-images-idx3-ubyte.gz`` /
    ``t10k-labels-idx1-ubyte.gz`` (10,000 images), or the same names without
    ``.gz``.  Every class has 6,000 training and 1,000 test images; the
    names are in :data:`FASHION_MNIST_CLASSES`.  Loading the training set
    takes a couple of seconds and about 400 MB as Python lists.

    Args:
        dir: Folder with the IDX files; default
            :data:`DEFAULT_FASHION_MNIST_DIR` (Debian package
            ``dataset-fashion-mnist``).
        kind: ``"train"`` or ``"test"``.
        scale: Pixels as ``value / 255.0`` in ``[0, 1]``; if False as floats
            ``0.0 .. 255.0``.

    Returns:
        ``(X, y)``: one list of 784 floats per image (row-major) and labels 0..9.

    Raises:
        FileNotFoundError: if the folder or a file is missing (the message
            says how to install the data).
        DatasetError: if a file is damaged, the image and label counts
            differ, or a label is not in 0..9.

    Example:
        >>> X, y = load_fashion_mnist(kind="test")  # doctest: +SKIP
        >>> len(X), len(X[0]), FASHION_MNIST_CLASSES[y[0]]  # doctest: +SKIP
        (10000, 784, 'Ankle boot')
    """
    func = "load_fashion_mnist"
    if kind not in _FASHION_FILES:
        raise ValueError(f"{func}: kind must be 'train' or 'test', got {kind!r}")
    folder = os.fspath(dir) if dir is not None else DEFAULT_FASHION_MNIST_DIR
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"{func}: Fashion-MNIST folder {folder!r} not found; {_FASHION_HINT}"
        )
    bases = _FASHION_FILES[kind]
    found = [_find_idx(folder, base) for base in bases]
    missing = [base + "[.gz]" for base, path in zip(bases, found) if path is None]
    if missing:
        raise FileNotFoundError(
            f"{func}: {', '.join(missing)} not found in {folder!r}; {_FASHION_HINT}"
        )
    image_path, label_path = found
    assert image_path is not None and label_path is not None
    images = read_idx(image_path)
    labels = read_idx(label_path)
    if images.ndim != 3 or images.dtype != "uint8":
        raise DatasetError(
            f"{image_path}: expected 3-D uint8 images, got shape {images.shape} "
            f"of {images.dtype}"
        )
    if labels.ndim != 1 or labels.dtype != "uint8":
        raise DatasetError(
            f"{label_path}: expected 1-D uint8 labels, got shape {labels.shape} "
            f"of {labels.dtype}"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{func}: {image_path} has {len(images)} images but {label_path} has "
            f"{len(labels)} labels"
        )
    y = list(labels.data)
    if y and max(y) >= len(FASHION_MNIST_CLASSES):
        raise DatasetError(
            f"{label_path}: label {max(y)} is out of range 0..9"
        )
    divisor = 255.0 if scale else 1.0
    table = [v / divisor for v in range(256)]  # shared float objects: less memory
    data = images.data
    assert isinstance(data, bytes)
    size = images.row_size
    if size == 0:
        return [[] for _ in range(len(images))], y
    with _gc_paused():
        X = [[table[p] for p in data[i:i + size]] for i in range(0, len(data), size)]
    return X, y
