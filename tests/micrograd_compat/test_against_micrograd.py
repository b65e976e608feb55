"""microgradlab's Value against micrograd's on the same random expressions.

One builder drives both engines through their common API (Python operators,
``**`` with a number, ``relu`` and ``backward``), so the two graphs are the
same expression; data and leaf gradients must agree.
"""

from __future__ import annotations

import math
import random
from typing import Any, List, Tuple

import pytest

import microgradlab

micrograd_engine = pytest.importorskip("micrograd.engine", reason="micrograd is not installed (the bench extra)")

N_LEAVES = 4
N_STEPS = 40


def build(value_class: Any, seed: int) -> Tuple[List[Any], Any]:
    """Leaves and the root of a random expression; the same seed gives the same expression."""
    rng = random.Random(seed)
    leaves = [value_class(rng.uniform(-2.0, 2.0)) for _ in range(N_LEAVES)]
    nodes = list(leaves)
    for _ in range(N_STEPS):
        a, b = rng.choice(nodes), rng.choice(nodes)
        c = rng.choice([-1.5, 0.5, 2.0, 3])
        kind = rng.randrange(10)
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a - b
        elif kind == 2:
            out = a * b
        elif kind == 3:
            out = c * a + b * c - c
        elif kind == 4:
            out = a / (b * b + 1.0)  # the denominator stays >= 1
        elif kind == 5:
            out = a ** rng.choice([2, 3])
        elif kind == 6:
            out = (a - b).relu()
        elif kind == 7:
            out = -a
        elif kind == 8:
            out = c / (a * a + 0.5)
        else:
            out = c - a
        if abs(out.data) < 1e6:  # keep the expression in a range where rounding stays small
            nodes.append(out)
    root = nodes[-1]
    for node in nodes[-6:-1]:
        root = root + node  # several roots' subgraphs feed one output
    return leaves, root


@pytest.mark.parametrize("seed", range(25))
def test_random_expression_matches_micrograd(seed):
    ours, our_root = build(microgradlab.Value, seed)
    theirs, their_root = build(micrograd_engine.Value, seed)
    our_root.backward()
    their_root.backward()
    # Both engines round the same operations, except that micrograd computes
    # a / b as a * b**-1 and sums a node's gradient contributions in set order:
    # differences of a few ulps, amplified by at most a few dozen operations.
    # Compare against the largest magnitude involved (1e-12 of it; observed: 3e-16).
    scale = max(1.0, abs(their_root.data), *(abs(v.grad) for v in theirs))
    assert math.isclose(our_root.data, their_root.data, rel_tol=1e-12, abs_tol=1e-12 * scale)
    for ours_leaf, their_leaf in zip(ours, theirs):
        assert ours_leaf.data == their_leaf.data
        assert math.isclose(ours_leaf.grad, their_leaf.grad, rel_tol=1e-12, abs_tol=1e-12 * scale)
    assert any(leaf.grad != 0.0 for leaf in ours)  # the expression really depends on its leaves


@pytest.mark.parametrize("seed", range(25))
def test_random_expression_in_the_dropin_is_micrograds_bit_for_bit(seed, ordered_micrograd):
    """microgradlab.micrograd does micrograd's operations in micrograd's order: equal reprs."""
    from microgradlab.micrograd.engine import Value

    ours, our_root = build(Value, seed)
    theirs, their_root = build(ordered_micrograd.Value, seed)
    our_root.backward()
    their_root.backward()
    assert [repr(v) for v in [our_root, *ours]] == [repr(v) for v in [their_root, *theirs]]
