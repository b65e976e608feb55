"""Tests for microgradlab.datasets (generators, splitting, digits, IDX, Fashion-MNIST)."""

from __future__ import annotations

import csv
import doctest
import gzip
import math
import os
import random
import struct
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradlab import datasets
from microgradlab.datasets import (
    FASHION_MNIST_CLASSES,
    DatasetError,
    IDXArray,
    iterate_minibatches,
    load_digits,
    load_fashion_mnist,
    load_idx,
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    make_xor,
    read_idx,
    train_test_split,
)

GENERATORS = {
    "make_moons": lambda n, seed: make_moons(n, noise=0.1, random_state=seed),
    "make_circles": lambda n, seed: make_circles(n, noise=0.1, random_state=seed),
    "make_blobs": lambda n, seed: make_blobs(n, random_state=seed),
    "make_spiral": lambda n, seed: make_spiral(n, 3, noise=0.2, random_state=seed),
    "make_xor": lambda n, seed: make_xor(n, noise=0.1, random_state=seed),
}
N_CLASSES = {"make_moons": 2, "make_circles": 2, "make_blobs": 3, "make_spiral": 3, "make_xor": 2}


def test_doctests_pass():
    modules = [datasets] + [getattr(datasets, name) for name in
                            ("checks", "synthetic", "split", "digits", "idx", "fashion_mnist")]
    results = [doctest.testmod(module, optionflags=doctest.ELLIPSIS) for module in modules]
    assert sum(r.attempted for r in results) >= 15
    assert sum(r.failed for r in results) == 0


# --------------------------------------------------------------------------
# Generators: common behaviour
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("n", [0, 1, 7, 100])
def test_generator_shapes_and_types(name, n):
    X, y = GENERATORS[name](n, 0)
    assert len(X) == len(y) == n
    assert all(type(row) is list and len(row) == 2 for row in X)
    assert all(type(v) is float and math.isfinite(v) for row in X for v in row)
    assert all(type(label) is int for label in y)
    assert set(y) <= set(range(N_CLASSES[name]))
    if n >= 100:
        assert set(y) == set(range(N_CLASSES[name]))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_determinism_and_seed_dependence(name):
    gen = GENERATORS[name]
    X1, y1 = gen(60, 123)
    X2, y2 = gen(60, 123)
    X3, _ = gen(60, 124)
    assert X1 == X2 and y1 == y2
    assert X1 != X3
    # rows are fresh objects: mutating one result does not affect another
    X1[0][0] += 1.0
    assert X1[0][0] != X2[0][0]


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_leave_global_random_alone(name):
    random.seed(99)
    state = random.getstate()
    GENERATORS[name](50, None)
    GENERATORS[name](50, 5)
    assert random.getstate() == state


def test_random_instance_is_used_and_advanced():
    rng = random.Random(7)
    a = make_xor(20, random_state=rng)
    b = make_xor(20, random_state=rng)
    assert a != b
    assert make_xor(20, random_state=random.Random(7)) == a


# --------------------------------------------------------------------------
# make_moons / make_circles geometry
# --------------------------------------------------------------------------


def test_moons_without_noise_lie_on_the_half_circles():
    X, y = make_moons(101, random_state=3)
    assert Counter(y) == {0: 50, 1: 51}
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.isclose(a * a + b * b, 1.0, abs_tol=1e-12)
            assert b >= -1e-12
        else:
            assert math.isclose((a - 1) ** 2 + (b - 0.5) ** 2, 1.0, abs_tol=1e-12)
            assert b <= 0.5 + 1e-12


def test_moons_unshuffled_order_and_endpoints():
    X, y = make_moons((3, 5), shuffle=False)
    assert y == [0, 0, 0, 1, 1, 1, 1, 1]
    assert X[0] == [1.0, 0.0]
    assert X[1] == pytest.approx([0.0, 1.0], abs=1e-15)
    assert X[2] == pytest.approx([-1.0, 0.0], abs=1e-15)
    assert X[3] == [0.0, 0.5]
    assert X[-1] == pytest.approx([2.0, 0.5], abs=1e-15)
    # the inner moon is at t = 0, pi/4, pi/2, 3pi/4, pi
    t = math.pi / 4
    assert X[4] == pytest.approx([1 - math.cos(t), 0.5 - math.sin(t)])


def test_moons_shuffle_is_a_permutation_of_the_unshuffled_points():
    X0, y0 = make_moons(40, shuffle=False)
    X1, y1 = make_moons(40, shuffle=True, random_state=1)
    assert sorted(zip(map(tuple, X0), y0)) == sorted(zip(map(tuple, X1), y1))
    assert y1 != y0


def test_moons_noise_has_the_requested_spread():
    clean, _ = make_moons(4000, shuffle=False)
    noisy, _ = make_moons(4000, shuffle=False, noise=0.3, random_state=0)
    diffs = [n - c for rn, rc in zip(noisy, clean) for n, c in zip(rn, rc)]
    mean = sum(diffs) / len(diffs)
    std = math.sqrt(sum((d - mean) ** 2 for d in diffs) / len(diffs))
    assert abs(mean) < 0.02
    assert std == pytest.approx(0.3, rel=0.05)


def test_circles_radii_are_one_and_factor():
    for factor in (0.0, 0.3, 0.8):
        X, y = make_circles(99, factor=factor, random_state=0)
        assert Counter(y) == {0: 49, 1: 50}
        for (a, b), label in zip(X, y):
            radius = 1.0 if label == 0 else factor
            assert math.hypot(a, b) == pytest.approx(radius, abs=1e-12)


def test_circles_angles_are_evenly_spaced_without_endpoint():
    X, y = make_circles((4, 8), shuffle=False, factor=0.5)
    angles_out = [math.atan2(b, a) % (2 * math.pi) for a, b in X[:4]]
    angles_in = [math.atan2(b, a) % (2 * math.pi) for a, b in X[4:]]
    assert angles_out == pytest.approx([0, math.pi / 2, math.pi, 3 * math.pi / 2], abs=1e-12)
    assert angles_in == pytest.approx([k * math.pi / 4 for k in range(8)], abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 10, 51])
def test_moons_and_circles_match_scikit_learn_geometry(n):
    np = pytest.importorskip("numpy")
    sk = pytest.importorskip("sklearn.datasets")
    X, y = make_moons(n, shuffle=False)
    Xs, ys = sk.make_moons(n, shuffle=False)
    assert np.allclose(np.array(X).reshape(-1, 2), Xs, atol=1e-14)
    assert y == ys.tolist()
    X, y = make_circles(n, shuffle=False, factor=0.4)
    Xs, ys = sk.make_circles(n, shuffle=False, factor=0.4)
    assert np.allclose(np.array(X).reshape(-1, 2), Xs, atol=1e-14)
    assert y == ys.tolist()


# --------------------------------------------------------------------------
# make_blobs
# --------------------------------------------------------------------------


def test_blobs_counts_per_centre_and_random_centres_in_box():
    X, y = make_blobs(100, n_features=4, centers=3, cluster_std=0.0,
                      center_box=(2.0, 5.0), random_state=1)
    assert Counter(y) == {0: 34, 1: 33, 2: 33}
    assert all(len(row) == 4 for row in X)
    # zero spread: every sample sits exactly on its centre
    centres = {}
    for row, label in zip(X, y):
        centres.setdefault(label, row)
        assert row == centres[label]
    assert len({tuple(c) for c in centres.values()}) == 3
    assert all(2.0 <= v <= 5.0 for c in centres.values() for v in c)


def test_blobs_given_centres_means_and_spreads():
    centers = [[0.0, 0.0], [10.0, -10.0], [-5.0, 5.0]]
    stds = [0.5, 1.0, 2.0]
    X, y = make_blobs([300, 600, 900], centers=centers, cluster_std=stds, random_state=0)
    assert Counter(y) == {0: 300, 1: 600, 2: 900}
    for label, (centre, std) in enumerate(zip(centers, stds)):
        rows = [row for row, lab in zip(X, y) if lab == label]
        for j in range(2):
            vals = [r[j] for r in rows]
            mean = sum(vals) / len(vals)
            sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals))
            assert mean == pytest.approx(centre[j], abs=4 * std / math.sqrt(len(vals)))
            assert sd == pytest.approx(std, rel=0.15)


def test_blobs_centres_define_the_dimension_and_unshuffled_order():
    X, y = make_blobs(5, n_features=7, centers=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
                      cluster_std=0.0, shuffle=False)
    assert y == [0, 0, 0, 1, 1]
    assert X == [[1.0, 2.0, 3.0]] * 3 + [[4.0, 5.0, 6.0]] * 2


def test_blobs_default_three_centres_or_len_of_sample_list():
    _, y = make_blobs(10, random_state=0)
    assert Counter(y) == {0: 4, 1: 3, 2: 3}
    _, y = make_blobs([1, 2, 3, 4], random_state=0)
    assert Counter(y) == {0: 1, 1: 2, 2: 3, 3: 4}


# --------------------------------------------------------------------------
# make_spiral / make_xor
# --------------------------------------------------------------------------


def test_spiral_geometry_without_noise():
    n_classes = 3
    X, y = make_spiral(31, n_classes)
    counts = [11, 10, 10]
    assert Counter(y) == dict(enumerate(counts))
    start = 0
    for j, m in enumerate(counts):
        assert y[start:start + m] == [j] * m
        for k in range(m):
            a, b = X[start + k]
            r = k / (m - 1)
            t = 4 * j + 4 * k / (m - 1)
            assert math.hypot(a, b) == pytest.approx(r, abs=1e-12)
            if r > 0:
                assert a == pytest.approx(r * math.sin(t), abs=1e-12)
                assert b == pytest.approx(r * math.cos(t), abs=1e-12)
        start += m


def test_spiral_noise_moves_angles_not_radii():
    clean, y0 = make_spiral(200, 4)
    noisy, y1 = make_spiral(200, 4, noise=0.2, random_state=0)
    assert y0 == y1
    radii_c = [math.hypot(*p) for p in clean]
    radii_n = [math.hypot(*p) for p in noisy]
    assert radii_n == pytest.approx(radii_c, abs=1e-12)
    moved = sum(1 for p, q in zip(clean, noisy) if math.dist(p, q) > 1e-9)
    assert moved >= 190  # all except the 4 points at the origin, essentially


def test_xor_labels_and_bounds():
    X, y = make_xor(500, random_state=2)
    assert all(-1.0 <= v <= 1.0 for row in X for v in row)
    for (a, b), label in zip(X, y):
        assert label == int((a > 0) != (b > 0))
    # all four quadrants are populated, both classes roughly balanced
    quadrants = Counter((a > 0, b > 0) for a, b in X)
    assert len(quadrants) == 4 and min(quadrants.values()) > 80


def test_xor_noise_keeps_labels_of_the_clean_points():
    clean, y0 = make_xor(300, random_state=4)
    noisy, y1 = make_xor(300, noise=0.5, random_state=4)
    assert y0 == y1
    assert all(math.dist(p, q) > 0 for p, q in zip(clean, noisy))
    flipped = sum(int((a > 0) != (b > 0)) != lab for (a, b), lab in zip(noisy, y1))
    assert flipped > 0


# --------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------

BAD_ARGS = [
    (make_moons, {"n_samples": -1}, ValueError, "make_moons: n_samples must be >= 0, got -1"),
    (make_moons, {"n_samples": (3, -2)}, ValueError, "n_samples[1] must be >= 0, got -2"),
    (make_moons, {"n_samples": (1, 2, 3)}, TypeError, "make_moons: n_samples must be an int or a tuple"),
    (make_moons, {"n_samples": 2.5}, TypeError, "2.5"),
    (make_moons, {"n_samples": True}, TypeError, "True"),
    (make_moons, {"noise": -0.1}, ValueError, "make_moons: noise must be >= 0.0, got -0.1"),
    (make_moons, {"noise": float("nan")}, ValueError, "make_moons: noise must be finite"),
    (make_moons, {"random_state": "x"}, TypeError, "make_moons: random_state must be"),
    (make_circles, {"n_samples": -5}, ValueError, "make_circles: n_samples must be >= 0, got -5"),
    (make_circles, {"factor": 1.0}, ValueError, "make_circles: factor must be in [0, 1), got 1.0"),
    (make_circles, {"factor": -0.5}, ValueError, "make_circles: factor must be >= 0.0, got -0.5"),
    (make_circles, {"noise": -2}, ValueError, "make_circles: noise must be >= 0.0, got -2.0"),
    (make_blobs, {"n_samples": -3}, ValueError, "make_blobs: n_samples must be >= 0, got -3"),
    (make_blobs, {"n_features": 0}, ValueError, "make_blobs: n_features must be >= 1, got 0"),
    (make_blobs, {"centers": 0}, ValueError, "make_blobs: centers must be >= 1, got 0"),
    (make_blobs, {"centers": [[0.0, 1.0], [2.0]]}, ValueError, "make_blobs: all centers must have the same"),
    (make_blobs, {"centers": []}, ValueError, "make_blobs: centers must not be empty"),
    (make_blobs, {"cluster_std": -1.0}, ValueError, "make_blobs: cluster_std must be >= 0.0, got -1.0"),
    (make_blobs, {"cluster_std": [1.0, 2.0]}, ValueError, "make_blobs: cluster_std has 2 values for 3 centers"),
    (make_blobs, {"n_samples": [5, 5], "centers": 3}, ValueError, "make_blobs: centers=3 does not match len(n_samples)=2"),
    (make_blobs, {"center_box": (1.0, -1.0)}, ValueError, "make_blobs: center_box must have low <= high"),
    (make_spiral, {"n_samples": -10}, ValueError, "make_spiral: n_samples must be >= 0, got -10"),
    (make_spiral, {"n_classes": 0}, ValueError, "make_spiral: n_classes must be >= 1, got 0"),
    (make_spiral, {"noise": -0.2}, ValueError, "make_spiral: noise must be >= 0.0, got -0.2"),
    (make_xor, {"n_samples": -1}, ValueError, "make_xor: n_samples must be >= 0, got -1"),
    (make_xor, {"noise": -1e-3}, ValueError, "make_xor: noise must be >= 0.0, got -0.001"),
    (make_xor, {"noise": None}, TypeError, "make_xor: noise must be a number, got None"),
]


@pytest.mark.parametrize("func, kwargs, exc, message", BAD_ARGS,
                         ids=[f"{f.__name__}-{sorted(k)}" for f, k, _, _ in BAD_ARGS])
def test_bad_arguments_raise_clear_errors(func, kwargs, exc, message):
    with pytest.raises(exc) as info:
        func(**kwargs)
    assert message in str(info.value)


# --------------------------------------------------------------------------
# train_test_split
# --------------------------------------------------------------------------


def _data(n):
    return [[float(i), float(-i)] for i in range(n)], [i % 3 for i in range(n)]


@pytest.mark.parametrize("n, test_size, n_test", [
    (100, 0.25, 25), (10, 0.25, 3), (10, 0.01, 1), (7, 0.5, 4), (100, 30, 30), (2, 1, 1),
])
def test_split_sizes_follow_scikit_learn(n, test_size, n_test):
    X, y = _data(n)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=0)
    assert len(X_te) == len(y_te) == n_test
    assert len(X_tr) == len(y_tr) == n - n_test


def test_split_matches_scikit_learn_sizes():
    ms = pytest.importorskip("sklearn.model_selection")
    for n in (3, 10, 17, 99):
        for ts in (0.1, 0.25, 0.33, 0.5, 0.9):
            X, y = _data(n)
            try:
                ref = ms.train_test_split(X, y, test_size=ts, random_state=0)
            except ValueError:
                with pytest.raises(ValueError):
                    train_test_split(X, y, test_size=ts, random_state=0)
                continue
            ours = train_test_split(X, y, test_size=ts, random_state=0)
            assert [len(part) for part in ours] == [len(part) for part in ref]


def test_split_partitions_and_keeps_pairs():
    X, y = _data(50)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=5)
    ids_tr = [int(row[0]) for row in X_tr]
    ids_te = [int(row[0]) for row in X_te]
    assert not set(ids_tr) & set(ids_te)
    assert sorted(ids_tr + ids_te) == list(range(50))
    assert y_tr == [i % 3 for i in ids_tr] and y_te == [i % 3 for i in ids_te]
    assert ids_tr != sorted(ids_tr)  # shuffled


def test_split_without_shuffle_takes_the_tail():
    X, y = _data(8)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=3, shuffle=False)
    assert X_tr == X[:5] and X_te == X[5:]
    assert y_tr == y[:5] and y_te == y[5:]


def test_split_is_deterministic():
    X, y = _data(40)
    assert train_test_split(X, y, random_state=1) == train_test_split(X, y, random_state=1)
    assert train_test_split(X, y, random_state=1) != train_test_split(X, y, random_state=2)


def test_split_stratify_keeps_proportions():
    y = [0] * 60 + [1] * 30 + [2] * 10
    X = [[float(i)] for i in range(100)]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    assert Counter(y_te) == {0: 12, 1: 6, 2: 2}
    assert Counter(y_tr) == {0: 48, 1: 24, 2: 8}
    assert all(y[int(row[0])] == lab for row, lab in zip(X_te, y_te))


def test_split_stratify_rounds_to_the_exact_total():
    y = ["a"] * 5 + ["b"] * 5 + ["c"] * 5
    _, X_te, _, y_te = train_test_split(list(range(15)), y, test_size=4, stratify=y, random_state=0)
    counts = Counter(y_te)
    assert len(y_te) == 4 and sorted(counts.values()) == [1, 1, 2]


SPLIT_ERRORS = [
    ({"X": [1, 2, 3], "y": [1, 2]}, "train_test_split: X and y must have the same length, got len(X)=3 and len(y)=2"),
    ({"test_size": 0.0}, "test_size=0.0 must be in (0, 1)"),
    ({"test_size": 1.5}, "test_size=1.5 must be in (0, 1)"),
    ({"test_size": 0}, "test_size=0 must be between 1 and n_samples - 1 = 9"),
    ({"test_size": 10}, "test_size=10 must be between 1 and n_samples - 1 = 9"),
    ({"test_size": -2}, "test_size=-2"),
    ({"shuffle": False, "stratify": [0] * 10}, "stratify requires shuffle=True"),
    ({"stratify": [0] * 9}, "stratify must have the same length as X"),
]


@pytest.mark.parametrize("kwargs, message", SPLIT_ERRORS)
def test_split_errors(kwargs, message):
    args = {"X": list(range(10)), "y": list(range(10))}
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(ValueError) as info:
        train_test_split(X, y, **args)
    assert message in str(info.value)


def test_split_too_small_for_a_train_set():
    with pytest.raises(ValueError, match="train set would be empty"):
        train_test_split([[0.0]], [0], test_size=0.5)
    with pytest.raises(TypeError, match="test_size must be"):
        train_test_split([1, 2], [1, 2], test_size="half")


@settings(max_examples=150, deadline=None)
@given(
    labels=st.lists(st.integers(0, 4), min_size=2, max_size=120),
    size=st.one_of(st.floats(0.01, 0.99), st.integers(1, 119)),
    seed=st.integers(0, 2**32),
    stratified=st.booleans(),
)
def test_split_property(labels, size, seed, stratified):
    n = len(labels)
    X = [[i] for i in range(n)]
    if isinstance(size, int):
        if size >= n:
            with pytest.raises(ValueError):
                train_test_split(X, labels, test_size=size)
            return
        n_test = size
    else:
        n_test = math.ceil(size * n)
        if n_test >= n:
            with pytest.raises(ValueError):
                train_test_split(X, labels, test_size=size)
            return
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, labels, test_size=size, random_state=seed,
        stratify=labels if stratified else None)
    assert len(X_te) == len(y_te) == n_test
    assert len(X_tr) == len(y_tr) == n - n_test
    ids = [row[0] for row in X_tr + X_te]
    assert sorted(ids) == list(range(n))
    assert [labels[i] for i in ids] == y_tr + y_te
    if stratified:
        total = Counter(labels)
        test_counts = Counter(y_te)
        for label, count in total.items():
            assert abs(test_counts[label] - n_test * count / n) < 1


# --------------------------------------------------------------------------
# iterate_minibatches
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n, batch_size", [(10, 3), (10, 5), (10, 1), (10, 10), (10, 64), (0, 4)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_minibatches_cover_every_sample_once(n, batch_size, shuffle):
    X, y = _data(n)
    batches = list(iterate_minibatches(X, y, batch_size, shuffle=shuffle, random_state=0))
    assert len(batches) == math.ceil(n / batch_size)
    assert all(len(xb) == len(yb) for xb, yb in batches)
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])
    seen = [int(row[0]) for xb, _ in batches for row in xb]
    assert sorted(seen) == list(range(n))
    assert [lab for _, yb in batches for lab in yb] == [i % 3 for i in seen]
    if not shuffle:
        assert seen == list(range(n))


def test_minibatches_drop_last():
    X, y = _data(10)
    batches = list(iterate_minibatches(X, y, 4, drop_last=True, random_state=1))
    assert [len(xb) for xb, _ in batches] == [4, 4]
    seen = [int(row[0]) for xb, _ in batches for row in xb]
    assert len(set(seen)) == 8
    assert list(iterate_minibatches(X, y, 11, drop_last=True)) == []


def test_minibatches_seed_and_epochs():
    X, y = _data(30)

    def order(rs):
        return [int(r[0]) for xb, _ in iterate_minibatches(X, y, 7, random_state=rs) for r in xb]

    assert order(3) == order(3)
    assert order(3) != order(4)
    rng = random.Random(3)
    assert order(rng) != order(rng)  # one generator: a new order per epoch


@pytest.mark.parametrize("args, exc, message", [
    (([1, 2], [1, 2], 0), ValueError, "iterate_minibatches: batch_size must be >= 1, got 0"),
    (([1, 2], [1, 2], -3), ValueError, "batch_size must be >= 1, got -3"),
    (([1, 2], [1, 2], 1.5), TypeError, "batch_size must be an int, got 1.5"),
    (([1, 2, 3], [1, 2], 2), ValueError, "iterate_minibatches: X and y must have the same length"),
])
def test_minibatches_errors_are_raised_eagerly(args, exc, message):
    with pytest.raises(exc) as info:
        iterate_minibatches(*args)  # no next(): checked at call time
    assert message in str(info.value)


# --------------------------------------------------------------------------
# load_digits
# --------------------------------------------------------------------------

DIGITS_PATH = Path(datasets.__file__).parent.parent / "data" / "digits.csv.gz"
SKLEARN_DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_file_is_shipped_with_attribution():
    assert DIGITS_PATH.is_file()
    readme = (DIGITS_PATH.parent / "README.md").read_text(encoding="utf-8")
    for needle in ("Alpaydin", "Kaynak", "CC BY 4.0", "scikit-learn", "Optical Recognition"):
        assert needle in readme


def test_load_digits_shape_values_and_counts():
    X, y = load_digits()
    assert len(X) == len(y) == 1797
    assert all(len(row) == 64 for row in X)
    values = {v for row in X for v in row}
    assert values == {float(v) for v in range(17)}
    assert all(type(v) is float for v in X[0])
    # count the labels straight from the file, independently of the loader
    with gzip.open(DIGITS_PATH, "rt", encoding="ascii") as f:
        file_labels = [int(row[-1]) for row in csv.reader(f)]
    file_counts = [Counter(file_labels)[d] for d in range(10)]
    assert file_counts == SKLEARN_DIGIT_COUNTS
    assert [Counter(y)[d] for d in range(10)] == SKLEARN_DIGIT_COUNTS
    assert y == file_labels
    # first image is a zero: known first row of the UCI test split
    assert y[0] == 0
    assert X[0][:8] == [0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]


def test_load_digits_matches_scikit_learn():
    sk = pytest.importorskip("sklearn.datasets")
    ref = sk.load_digits()
    X, y = load_digits()
    assert X == ref.data.tolist()
    assert y == ref.target.tolist()


def test_load_digits_scale_and_n_class():
    X, y = load_digits(n_class=3, scale=True)
    assert len(X) == sum(SKLEARN_DIGIT_COUNTS[:3])
    assert set(y) == {0, 1, 2}
    assert min(map(min, X)) == 0.0 and max(map(max, X)) == 1.0
    raw, raw_y = load_digits()
    kept = [row for row, lab in zip(raw, raw_y) if lab < 3]
    assert X == [[v / 16.0 for v in row] for row in kept]


@pytest.mark.parametrize("n_class, exc", [(0, ValueError), (11, ValueError), (2.0, TypeError)])
def test_load_digits_bad_n_class(n_class, exc):
    with pytest.raises(exc, match="load_digits: n_class"):
        load_digits(n_class=n_class)


def _write_digits(path, lines):
    with gzip.open(path, "wt", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


GOOD_LINE = ",".join(["3"] * 64 + ["7"])


@pytest.mark.parametrize("bad_line, fragment", [
    (",".join(["1"] * 63 + ["7"]), "line 2: expected 65 comma-separated values"),
    (",".join(["1"] * 65 + ["7"]), "line 2: expected 65 comma-separated values"),
    (",".join(["1"] * 10 + ["x"] + ["1"] * 53 + ["7"]), "line 2, column 11: non-numeric value 'x'"),
    (",".join(["1"] * 64 + [""]), "line 2, column 65: non-numeric value ''"),
    (",".join(["17"] + ["1"] * 63 + ["7"]), "line 2, column 1: pixel '17' is not an integer in 0..16"),
    (",".join(["1.5"] + ["1"] * 63 + ["7"]), "line 2, column 1: pixel '1.5'"),
    (",".join(["1"] * 64 + ["10"]), "line 2, column 65: label '10' is not an integer in 0..9"),
])
def test_damaged_digits_file_names_file_and_line(tmp_path, monkeypatch, bad_line, fragment):
    path = tmp_path / "digits.csv.gz"
    _write_digits(path, [GOOD_LINE, bad_line, GOOD_LINE])
    monkeypatch.setattr(datasets.digits, "_digits_file", lambda: path)
    with pytest.raises(DatasetError) as info:
        load_digits()
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_damaged_digits_gzip_and_empty_file(tmp_path, monkeypatch):
    path = tmp_path / "digits.csv.gz"
    monkeypatch.setattr(datasets.digits, "_digits_file", lambda: path)
    path.write_bytes(gzip.compress(((GOOD_LINE + "\n") * 50).encode())[:-30])
    with pytest.raises(DatasetError, match="cannot read the gzip CSV data") as info:
        load_digits()
    assert str(path) in str(info.value)
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(DatasetError, match="no data rows"):
        load_digits()
    # a good replacement file is read, blank lines skipped
    _write_digits(path, [GOOD_LINE, "", GOOD_LINE])
    X, y = load_digits()
    assert X == [[3.0] * 64, [3.0] * 64] and y == [7, 7]


# --------------------------------------------------------------------------
# IDX files
# --------------------------------------------------------------------------

IDX_FORMATS = {  # type code: (struct char, sample values)
    0x08: ("B", [0, 1, 127, 128, 255, 42]),
    0x09: ("b", [-128, -1, 0, 1, 127, 5]),
    0x0B: ("h", [-32768, -2, 0, 3, 32767, 1000]),
    0x0C: ("i", [-(2**31), -7, 0, 8, 2**31 - 1, 123456]),
    0x0D: ("f", [-1.5, 0.0, 0.25, 3.0, 1e10, -2.0]),
    0x0E: ("d", [-1.5, 0.1, 1e-300, 3.0, 1e300, math.pi]),
}


def idx_bytes(code, dims, values):
    char = IDX_FORMATS[code][0]
    header = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    return header + struct.pack(f">{len(values)}{char}", *values)


def write(path, content, compress):
    path.write_bytes(gzip.compress(content) if compress else content)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("code", sorted(IDX_FORMATS))
def test_idx_round_trip_every_type(tmp_path, code, compress):
    values = IDX_FORMATS[code][1]
    path = write(tmp_path / "data.idx", idx_bytes(code, [2, 3], values), compress)
    arr = read_idx(path)
    assert arr.shape == (2, 3) and arr.ndim == 2 and len(arr) == 2 and arr.row_size == 3
    rows = arr.rows()
    if code == 0x0D:  # float32 rounding
        assert rows[0] == pytest.approx(values[:3]) and rows[1] == pytest.approx(values[3:], rel=1e-7)
    else:
        assert rows == [values[:3], values[3:]]
    assert load_idx(path) == rows
    # 1-D: a flat list of numbers
    path1 = write(tmp_path / "vec.idx", idx_bytes(code, [6], values), compress)
    flat = load_idx(path1)
    assert flat == pytest.approx(values, rel=1e-7) if code == 0x0D else flat == values


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_idx_images_and_labels(tmp_path, compress):
    rnd = random.Random(0)
    pixels = [rnd.randrange(256) for _ in range(5 * 4 * 3)]
    labels = [rnd.randrange(10) for _ in range(5)]
    img = write(tmp_path / "images", idx_bytes(0x08, [5, 4, 3], pixels), compress)
    lab = write(tmp_path / "labels", idx_bytes(0x08, [5], labels), compress)
    rows = load_idx(img)
    assert rows == [pixels[i * 12:(i + 1) * 12] for i in range(5)]
    assert all(type(v) is int for v in rows[0])
    assert load_idx(lab) == labels
    arr = read_idx(img)
    assert arr.shape == (5, 4, 3) and arr.dtype == "uint8"
    assert arr.row_bytes() == [bytes(pixels[i * 12:(i + 1) * 12]) for i in range(5)]
    assert arr.path == str(img) and "(5, 4, 3)" in repr(arr)


def test_idx_gzip_detected_by_magic_not_name(tmp_path):
    content = idx_bytes(0x08, [3], [7, 8, 9])
    assert load_idx(write(tmp_path / "raw-but-named.gz", content, False)) == [7, 8, 9]
    assert load_idx(write(tmp_path / "gzip-but-named.idx", content, True)) == [7, 8, 9]


def test_idx_empty_dimensions(tmp_path):
    assert load_idx(write(tmp_path / "e1", idx_bytes(0x08, [0], []), False)) == []
    assert load_idx(write(tmp_path / "e2", idx_bytes(0x08, [0, 28, 28], []), True)) == []
    assert load_idx(write(tmp_path / "e3", idx_bytes(0x08, [2, 0], []), False)) == [[], []]


def test_row_bytes_rejects_wider_types(tmp_path):
    arr = read_idx(write(tmp_path / "s", idx_bytes(0x0B, [1, 2], [1, 2]), False))
    with pytest.raises(TypeError, match="only uint8"):
        arr.row_bytes()


GOOD = idx_bytes(0x08, [2, 2, 2], list(range(8)))
CORRUPTIONS = {
    "empty file": (b"", "truncated IDX header"),
    "short header": (b"\x00\x00\x08", "truncated IDX header: need at least 4 bytes"),
    "missing dims": (GOOD[:9], "truncated IDX header: 3 dimensions need 16 bytes, file has 9"),
    "bad magic": (b"\x01\x02" + GOOD[2:], "bad IDX magic number 0x01020803"),
    "bad magic 2nd byte": (b"\x00\x08" + GOOD[2:], "bad IDX magic number 0x00080803"),
    "bad type code": (GOOD[:2] + b"\x07" + GOOD[3:], "unknown data type code 0x07"),
    "zero dims": (b"\x00\x00\x08\x00", "declares 0 dimensions"),
    "truncated data": (GOOD[:-1], "truncated IDX data: shape (2, 2, 2) of uint8 needs 8 bytes after the header, found 7"),
    "dims too large": (idx_bytes(0x08, [3, 2, 2], list(range(8))), "needs 12 bytes after the header, found 8"),
    "trailing garbage": (GOOD + b"junk", "trailing garbage: 4 unexpected bytes"),
    "short int16 data": (idx_bytes(0x0B, [3], [1, 2, 3])[:-1], "of int16 needs 6 bytes"),
}


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_idx_corruption_raises_dataset_error_naming_the_path(tmp_path, case, compress):
    content, fragment = CORRUPTIONS[case]
    path = write(tmp_path / f"bad-{case.replace(' ', '-')}.idx", content, compress)
    with pytest.raises(DatasetError) as info:
        load_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert fragment in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("mangle, fragment", [
    (lambda z: z[:-5], "corrupt gzip stream"),                       # cut short
    (lambda z: z[:10] + bytes(b ^ 0xFF for b in z[10:14]) + z[14:], "corrupt gzip stream"),
    (lambda z: z[:-8] + bytes(b ^ 0x01 for b in z[-8:-4]) + z[-4:], "corrupt gzip stream"),  # CRC
    (lambda z: z + b"garbage!", "corrupt gzip stream"),              # junk after the member
    (lambda z: z[:2], "corrupt gzip stream"),                        # magic only
])
def test_idx_corrupt_gzip_stream(tmp_path, mangle, fragment):
    content = idx_bytes(0x08, [50, 10], [i % 256 for i in range(500)])
    path = tmp_path / "images-idx2-ubyte.gz"
    path.write_bytes(mangle(gzip.compress(content)))
    with pytest.raises(DatasetError) as info:
        load_idx(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_idx_missing_file(tmp_path):
    path = tmp_path / "nope-idx1-ubyte.gz"
    with pytest.raises(FileNotFoundError) as info:
        load_idx(path)
    assert "IDX file not found" in str(info.value)
    assert str(path) in str(info.value)
    assert info.value.filename == str(path)


def test_idxarray_repr_and_len():
    arr = IDXArray("x", (3,), "uint8", b"\x01\x02\x03")
    assert len(arr) == 3 and arr.ndim == 1 and arr.row_size == 1
    assert arr.rows() == [1, 2, 3]


# --------------------------------------------------------------------------
# Fashion-MNIST: a fake folder (always) and the real files (if installed)
# --------------------------------------------------------------------------


def make_fashion_dir(folder, n_train=12, n_test=5, compress=True, side=3):
    rnd = random.Random(1)
    folder.mkdir(parents=True, exist_ok=True)
    data = {}
    for kind, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        pixels = [rnd.randrange(256) for _ in range(n * side * side)]
        labels = [i % 10 for i in range(n)]
        suffix = ".gz" if compress else ""
        write(folder / f"{prefix}-images-idx3-ubyte{suffix}",
              idx_bytes(0x08, [n, side, side], pixels), compress)
        write(folder / f"{prefix}-labels-idx1-ubyte{suffix}", idx_bytes(0x08, [n], labels), compress)
        size = side * side
        data[kind] = ([pixels[i * size:(i + 1) * size] for i in range(n)], labels)
    return data


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "uncompressed"])
@pytest.mark.parametrize("kind", ["train", "test"])
def test_fashion_mnist_from_a_fake_folder(tmp_path, compress, kind):
    expected = make_fashion_dir(tmp_path, compress=compress)
    pixels, labels = expected[kind]
    X, y = load_fashion_mnist(tmp_path, kind=kind)
    assert y == labels
    assert X == [[p / 255.0 for p in row] for row in pixels]
    X, y = load_fashion_mnist(str(tmp_path), kind=kind, scale=False)
    assert X == [[float(p) for p in row] for row in pixels]
    assert all(type(v) is float for v in X[0])


def test_fashion_mnist_missing_folder_and_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(tmp_path / "absent")
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message and "dir=" in message
    assert str(tmp_path / "absent") in message
    make_fashion_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    load_fashion_mnist(tmp_path, kind="train")  # the train files are still there
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(tmp_path, kind="test")
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte" in message and "t10k-images" not in message
    assert "apt-get install dataset-fashion-mnist" in message


def test_fashion_mnist_count_mismatch_and_bad_labels(tmp_path):
    make_fashion_dir(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(0x08, [11], [0] * 11), True)
    with pytest.raises(DatasetError, match="has 12 images but .* has 11 labels"):
        load_fashion_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(0x08, [12], [0] * 11 + [10]), True)
    with pytest.raises(DatasetError, match="label 10 is out of range 0..9"):
        load_fashion_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(0x08, [12, 1], [0] * 12), True)
    with pytest.raises(DatasetError, match="expected 1-D uint8 labels"):
        load_fashion_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(0x08, [12], [0] * 12), True)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x00\x00\x08\x03")
    with pytest.raises(DatasetError) as info:
        load_fashion_mnist(tmp_path)
    assert str(tmp_path / "train-images-idx3-ubyte.gz") in str(info.value)


def test_fashion_mnist_bad_kind(tmp_path):
    with pytest.raises(ValueError, match="load_fashion_mnist: kind must be 'train' or 'test', got 'valid'"):
        load_fashion_mnist(tmp_path, kind="valid")


def test_fashion_mnist_class_names():
    assert FASHION_MNIST_CLASSES == (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    )


REAL_DIR = datasets.DEFAULT_FASHION_MNIST_DIR


def _real_fashion_or_skip():
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    if not all(os.path.exists(os.path.join(REAL_DIR, n + ".gz"))
               or os.path.exists(os.path.join(REAL_DIR, n)) for n in names):
        pytest.skip(f"Fashion-MNIST not installed in {REAL_DIR} (apt-get install dataset-fashion-mnist)")


@pytest.fixture(scope="module")
def fashion_train():
    _real_fashion_or_skip()
    start = time.perf_counter()
    data = load_fashion_mnist(kind="train")
    return data, time.perf_counter() - start


def test_real_fashion_mnist_train(fashion_train):
    (X, y), seconds = fashion_train
    assert len(X) == len(y) == 60000
    assert all(len(row) == 784 for row in X)
    assert [Counter(y)[c] for c in range(10)] == [6000] * 10
    assert y[:8] == [9, 0, 0, 3, 0, 2, 7, 2]  # first labels of the official file
    lo = min(min(row) for row in X)
    hi = max(max(row) for row in X)
    assert lo == 0.0 and hi == 1.0
    assert {v * 255.0 for v in X[0]} <= {float(k) for k in range(256)}
    assert seconds < 15, f"loading the training set took {seconds:.1f} s"


def test_real_fashion_mnist_test_set_unscaled():
    _real_fashion_or_skip()
    X, y = load_fashion_mnist(kind="test", scale=False)
    assert len(X) == len(y) == 10000
    assert all(len(row) == 784 for row in X)
    assert [Counter(y)[c] for c in range(10)] == [1000] * 10
    assert FASHION_MNIST_CLASSES[y[0]] == "Ankle boot"
    assert min(map(min, X)) == 0.0 and max(map(max, X)) == 255.0
    assert all(v.is_integer() for v in X[0])
    # the raw IDX view agrees with the converted rows
    arr = read_idx(os.path.join(REAL_DIR, "t10k-images-idx3-ubyte.gz"))
    assert arr.shape == (10000, 28, 28)
    assert list(arr.row_bytes()[17]) == [int(v) for v in X[17]]
