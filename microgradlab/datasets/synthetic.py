"""Synthetic 2-D problems in scikit-learn's style: moons, circles, blobs, spiral arms, XOR.

Same geometry and argument names as scikit-learn's generators, but a private
:class:`random.Random` instead of NumPy's generator, so the numbers differ
from scikit-learn's for the same seed.
"""

from __future__ import annotations

import math
import random
from typing import List, Optional, Sequence, Tuple, Union

from ..checks import check_float, check_int, check_random_state, is_int, is_real
from .checks import Dataset, L, RandomState, Row, T, two_groups

__all__ = ["make_moons", "make_circles", "make_blobs", "make_spiral", "make_xor"]


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
    n_out, n_in = two_groups(func, n_samples)
    if noise is not None:
        noise = check_float(func, "noise", noise)
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
    n_out, n_in = two_groups(func, n_samples)
    if noise is not None:
        noise = check_float(func, "noise", noise)
    factor = check_float(func, "factor", factor)
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
    n_features = check_int(func, "n_features", n_features, minimum=1)

    per_center: Optional[List[int]] = None
    if is_int(n_samples):
        total = check_int(func, "n_samples", n_samples)
    elif isinstance(n_samples, Sequence) and not isinstance(n_samples, (str, bytes)):
        per_center = [
            check_int(func, f"n_samples[{i}]", v) for i, v in enumerate(n_samples)
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
    low = check_float(func, "center_box[0]", center_box[0], low=-math.inf)
    high = check_float(func, "center_box[1]", center_box[1], low=-math.inf)
    if low > high:
        raise ValueError(f"{func}: center_box must have low <= high, got {center_box!r}")

    center_list: List[List[float]]
    if centers is None or is_int(centers):
        if centers is None:
            n_centers = len(per_center) if per_center is not None else 3
        else:
            n_centers = check_int(func, "centers", centers, minimum=1)
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
                [check_float(func, f"centers[{i}][{j}]", v, low=-math.inf) for j, v in enumerate(c)]
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

    if is_real(cluster_std):
        stds = [check_float(func, "cluster_std", cluster_std)] * n_centers
    elif isinstance(cluster_std, Sequence) and not isinstance(cluster_std, (str, bytes)):
        stds = [
            check_float(func, f"cluster_std[{i}]", s) for i, s in enumerate(cluster_std)
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
    n_samples = check_int(func, "n_samples", n_samples)
    n_classes = check_int(func, "n_classes", n_classes, minimum=1)
    noise = check_float(func, "noise", noise)
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
    n_samples = check_int(func, "n_samples", n_samples)
    noise = check_float(func, "noise", noise)
    rng = check_random_state(random_state, func)
    X = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n_samples)]
    y = [int(_sign(x0) != _sign(x1)) for x0, x1 in X]
    _add_noise(X, noise, rng)
    return X, y
