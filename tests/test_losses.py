"""Tests of microgradlab.losses: values against independent formulas and PyTorch, gradients, errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from microgradlab import Value, grad
from microgradlab.gradcheck import gradcheck
from microgradlab.losses import (
    LOSSES,
    binary_cross_entropy,
    cross_entropy,
    hinge,
    l2_penalty,
    log_softmax,
    mse,
    softmax,
)
from microgradlab.testing import reals

# Loss values are compared with independent float formulas to 1e-12 relative:
# both sides do a handful of float operations on numbers of moderate size, so
# they agree to within a few units in the last place (~1e-15 relative).
REL = 1e-12

moderate = reals(-20.0, 20.0)
logit_lists = st.lists(moderate, min_size=2, max_size=5)


def seeds_loss(outputs, labels):
    """The seeds' MSE loss, verbatim."""
    return sum([(x - y) ** 2 for x, y in zip(outputs, labels)]) / (len(outputs) * 2)


def naive_log_softmax(z):
    total = sum(math.exp(v) for v in z)
    return [v - math.log(total) for v in z]


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def values(xs):
    return [Value(x) for x in xs]


# --- mse ---------------------------------------------------------------------------------------


@given(st.lists(st.tuples(moderate, moderate), min_size=1, max_size=6))
def test_mse_is_the_seeds_formula(pairs):
    outputs, labels = [p[0] for p in pairs], [p[1] for p in pairs]
    assert mse(values(outputs), labels).data == pytest.approx(seeds_loss(outputs, labels), rel=REL, abs=1e-300)


def test_mse_vector_outputs_and_gradient():
    outputs = [values([1.0, 2.0]), values([0.0, -1.0])]
    labels = [[0.0, 0.0], [1.0, 1.0]]
    loss = mse(outputs, labels)
    assert loss.data == (1 + 4 + 1 + 4) / (2 * 2)
    loss.backward()
    # dL/dŷ = (ŷ - y) / n
    assert [[v.grad for v in o] for o in outputs] == [[0.5, 1.0], [-0.5, -1.0]]


def test_mse_single_pair_and_floats():
    assert mse(Value(3.0), 1.0).data == 2.0
    assert mse([3.0, 1.0], [1.0, 1.0]).data == 1.0


def test_mse_relation_to_torch_mse_loss():
    torch = pytest.importorskip("torch")
    outputs, labels = [0.5, -1.25, 3.0], [1.0, 0.0, 2.5]
    expected = torch.nn.MSELoss()(torch.tensor(outputs, dtype=torch.float64), torch.tensor(labels, dtype=torch.float64))
    assert mse(values(outputs), labels).data == pytest.approx(expected.item() / 2, rel=REL)
    k_outputs = [[0.5, 1.0, -2.0], [0.0, 0.25, 1.0]]
    k_labels = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    expected = torch.nn.MSELoss()(torch.tensor(k_outputs, dtype=torch.float64),
                                  torch.tensor(k_labels, dtype=torch.float64))
    assert mse([values(o) for o in k_outputs], k_labels).data == pytest.approx(3 / 2 * expected.item(), rel=REL)


@pytest.mark.parametrize("outputs, labels, message", [
    ([1.0, 2.0], [1.0], "2 outputs but 1 labels"),
    ([], [], "empty batch"),
    ([1.0, 2.0], 1.0, "need a list of 2 labels"),
    ([[1.0, 2.0]], [1], "output 0 is a vector of 2 but its label is 1"),
    ([[1.0, 2.0]], [[1.0]], "output 0 is a vector of 2"),
    ([1.0], [math.nan], "mse: label 0 must be a finite number, got nan"),
    ([1.0], ["a"], "must be a finite number, got 'a'"),
])
def test_mse_errors(outputs, labels, message):
    with pytest.raises(ValueError, match=message):
        mse(outputs, labels)


@given(st.lists(st.tuples(moderate, moderate), min_size=1, max_size=4))
def test_mse_gradient_matches_finite_differences(pairs):
    labels = [p[1] for p in pairs]
    gradcheck(lambda *ys: mse(list(ys), labels), [p[0] for p in pairs])


# --- softmax and log_softmax -----------------------------------------------------------------


@given(logit_lists)
def test_softmax_and_log_softmax_match_the_naive_formulas(z):
    expected = naive_log_softmax(z)
    assert [v.data for v in log_softmax(values(z))] == pytest.approx(expected, rel=REL, abs=1e-12)
    probs = [v.data for v in softmax(values(z))]
    # exp turns an absolute error of ~1e-14 in a log-probability (|z| <= 20) into
    # the same relative error in the probability; 1e-11 leaves a wide margin.
    assert probs == pytest.approx([math.exp(v) for v in expected], rel=1e-11, abs=1e-300)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-15 * len(z))


def test_extreme_logits_are_finite_and_exact():
    assert [v.data for v in log_softmax(values([1000.0, -1000.0]))] == [0.0, -2000.0]
    assert [v.data for v in softmax(values([1000.0, -1000.0]))] == [1.0, 0.0]
    # z - logsumexp(z) with logsumexp = 1000 + log 2 stored as one float: the
    # error is at most one ulp of 1000 (1.1e-13) -- the rounding of any float near 1000.
    ulp = math.ulp(1000.0)
    assert [v.data for v in log_softmax(values([1000.0, 1000.0]))] == pytest.approx([-math.log(2)] * 2, abs=ulp)
    # exp(z - lse): the same one-ulp-of-1000 error in lse, times exp(...) <= 1.
    assert [v.data for v in softmax(values([-1000.0] * 4))] == pytest.approx([0.25] * 4, abs=ulp)
    z = values([1000.0, -1000.0, 999.0])
    lsm = log_softmax(z)
    (lsm[0] + lsm[2]).backward()
    assert all(math.isfinite(v.grad) for v in z)


def test_log_softmax_matches_torch_at_large_logits():
    torch = pytest.importorskip("torch")
    z = [1000.0, -1000.0, 3.5, 999.0, -2.0]
    expected = torch.log_softmax(torch.tensor(z, dtype=torch.float64), dim=0).tolist()
    assert [v.data for v in log_softmax(values(z))] == pytest.approx(expected, rel=REL)


def _weighted(fn, weights):
    return lambda *vs: sum(w * p for w, p in zip(weights, fn(list(vs))))


@settings(deadline=None)
@given(st.lists(reals(-30.0, 30.0), min_size=2, max_size=4), st.data())
def test_softmax_gradients_match_finite_differences(z, data):
    weights = data.draw(st.lists(reals(-2.0, 2.0), min_size=len(z), max_size=len(z)))
    gradcheck(_weighted(softmax, weights), z)
    gradcheck(_weighted(log_softmax, weights), z)


@settings(deadline=None)
@given(st.lists(reals(-1000.0, 1000.0), min_size=2, max_size=4), st.data())
def test_softmax_gradients_are_shift_invariant_at_large_logits(z, data):
    # Finite differences lose their digits at |z| ~ 1000 (a step that scales with |z|
    # meets a curvature that does not); softmax(z) = softmax(z - c) instead, so the
    # gradients at z must equal those at z - max(z), where finite differences work.
    # The only difference is lse's rounding at ~1000: one ulp (1.1e-13), times weights <= 2.
    weights = data.draw(st.lists(reals(-2.0, 2.0), min_size=len(z), max_size=len(z)))
    top = max(z)
    for fn in (softmax, log_softmax):
        far, near = grad(_weighted(fn, weights), argnums=tuple(range(len(z))))(*z), \
            grad(_weighted(fn, weights), argnums=tuple(range(len(z))))(*[v - top for v in z])
        assert far == pytest.approx(near, abs=4 * math.ulp(1000.0))


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_softmax_propagates_nan_and_inf_as_pytorch_does(fn):
    for logits in ([1.0, math.nan], [math.nan, 1.0], [math.inf, 0.0]):
        assert all(math.isnan(v.data) for v in fn(logits)), logits


@pytest.mark.parametrize("fn", [softmax, log_softmax])
@pytest.mark.parametrize("logits, message", [([], "non-empty list"), (["a", 0.0], "a logit must be a Value or a number"),
                                             (Value(1.0), "non-empty list")])
def test_softmax_errors(fn, logits, message):
    with pytest.raises(ValueError, match=message):
        fn(logits)


# --- cross_entropy -------------------------------------------------------------------------------


@given(logit_lists, st.data())
def test_cross_entropy_of_one_sample(z, data):
    target = data.draw(st.integers(0, len(z) - 1))
    expected = -naive_log_softmax(z)[target]
    assert cross_entropy(values(z), target).data == pytest.approx(expected, rel=1e-10, abs=1e-12)
    one_hot = [1.0 if i == target else 0.0 for i in range(len(z))]
    assert cross_entropy(values(z), one_hot).data == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_cross_entropy_of_a_batch_is_the_mean():
    batch = [[1.0, 2.0, 0.5], [0.0, 0.0, 0.0], [-1.0, 3.0, 2.0]]
    targets = [2, 0, 1]
    expected = sum(-naive_log_softmax(z)[t] for z, t in zip(batch, targets)) / 3
    assert cross_entropy([values(z) for z in batch], targets).data == pytest.approx(expected, rel=REL)


def test_cross_entropy_gradient_is_softmax_minus_target():
    z = values([0.5, -1.0, 2.0])
    cross_entropy(z, 1).backward()
    probs = [math.exp(v) for v in naive_log_softmax([0.5, -1.0, 2.0])]
    assert [v.grad for v in z] == pytest.approx([probs[0], probs[1] - 1.0, probs[2]], rel=REL)


def test_cross_entropy_at_extreme_logits():
    assert cross_entropy(values([1000.0, -1000.0]), 0).data == 0.0
    assert cross_entropy(values([1000.0, -1000.0]), 1).data == 2000.0
    z = values([1000.0, -1000.0])
    cross_entropy(z, 1).backward()
    assert [v.grad for v in z] == [1.0, -1.0]


@pytest.mark.parametrize("with_probabilities", [False, True])
def test_cross_entropy_matches_torch(with_probabilities):
    torch = pytest.importorskip("torch")
    batch = [[1.5, -0.5, 0.25, 3.0], [0.0, 800.0, -800.0, 1.0], [-2.0, -1.0, 0.5, 0.5]]
    if with_probabilities:
        targets = [[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 0.0], [0.25, 0.25, 0.25, 0.25]]
        torch_targets = torch.tensor(targets, dtype=torch.float64)
    else:
        targets = [3, 2, 0]
        torch_targets = torch.tensor(targets)
    logits = torch.tensor(batch, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(logits, torch_targets)
    expected.backward()
    ours = [values(z) for z in batch]
    loss = cross_entropy(ours, targets)
    loss.backward()
    assert loss.data == pytest.approx(expected.item(), rel=REL)
    assert [v.grad for row in ours for v in row] == pytest.approx(logits.grad.flatten().tolist(), rel=1e-10, abs=1e-15)


@settings(deadline=None)
@given(st.lists(logit_lists, min_size=1, max_size=3), st.data())
def test_cross_entropy_gradients_match_finite_differences(batch, data):
    k = min(len(z) for z in batch)
    batch = [z[:k] for z in batch]
    targets = [data.draw(st.integers(0, k - 1)) for _ in batch]
    flat = [v for z in batch for v in z]
    unflatten = lambda vs: [list(vs[i * k:(i + 1) * k]) for i in range(len(batch))]  # noqa: E731
    gradcheck(lambda *vs: cross_entropy(unflatten(vs), targets), flat)
    probs = data.draw(st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k).filter(lambda p: sum(p) > 0.1))
    probs = [p / math.fsum(probs) for p in probs]
    gradcheck(lambda *vs: cross_entropy(list(vs), probs), batch[0])


@pytest.mark.parametrize("logits, targets, message", [
    ([1.0, 2.0], 2, "class index 2 is out of range for 2 classes"),
    ([1.0, 2.0], -1, "class index -1 is out of range"),
    ([1.0, 2.0], 1.0, "a class index must be an int, got 1.0"),
    ([1.0, 2.0], True, "a class index must be an int, got True"),
    ([1.0, 2.0], [0.5, 0.6], "must sum to 1, got sum 1.1"),
    ([1.0, 2.0], [1.5, -0.5], "must be >= 0"),
    ([1.0, 2.0], [1.0], "2 logits but 1 target probabilities"),
    ([[1.0, 2.0], [0.0, 1.0]], [0], "2 outputs but 1 labels"),
    ([[1.0, 2.0], [0.0, 1.0]], [0, 5], "sample 1: class index 5 is out of range"),
    ([[1.0, 2.0]], [[0.3, 0.3]], "sample 0: target probabilities must sum to 1"),
    ([], 0, "non-empty list"),
])
def test_cross_entropy_errors(logits, targets, message):
    with pytest.raises(ValueError, match=message):
        cross_entropy(logits, targets)


# --- binary cross-entropy ------------------------------------------------------------------------


@given(st.lists(st.tuples(moderate, st.sampled_from([0, 1, 0.0, 1.0, 0.25, 0.9])), min_size=1, max_size=5))
def test_bce_is_the_log_likelihood_formula(pairs):
    logits, targets = [p[0] for p in pairs], [p[1] for p in pairs]
    expected = sum(-(t * math.log(sigmoid(z)) + (1 - t) * math.log(1 - sigmoid(z))) for z, t in pairs) / len(pairs)
    # The direct formula loses relative accuracy through log(1 - σ(z)) when σ(z) is near 1:
    # at |z| <= 20 about e^20 · 1e-16 ≈ 5e-8 absolute.
    assert binary_cross_entropy(values(logits), targets).data == pytest.approx(expected, rel=1e-9, abs=1e-7)


def test_bce_at_extreme_logits():
    assert binary_cross_entropy(values([1000.0]), [0]).data == 1000.0
    assert binary_cross_entropy(values([-1000.0]), [1]).data == 1000.0
    assert binary_cross_entropy(values([1000.0, -1000.0]), [1, 0]).data == 0.0
    z = values([1000.0, -1000.0, 0.0])
    binary_cross_entropy(z, [0, 0.5, 1]).backward()
    # dL/dz = (σ(z) - t) / n
    assert [v.grad for v in z] == pytest.approx([1 / 3, -0.5 / 3, -0.5 / 3], rel=REL)


def test_bce_matches_torch():
    torch = pytest.importorskip("torch")
    logits, targets = [2.0, -700.0, 0.3, 50.0, -1.0], [1.0, 0.0, 0.25, 0.0, 1.0]
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(targets, dtype=torch.float64))
    expected.backward()
    ours = values(logits)
    loss = binary_cross_entropy(ours, targets)
    loss.backward()
    assert loss.data == pytest.approx(expected.item(), rel=REL)
    assert [v.grad for v in ours] == pytest.approx(z.grad.tolist(), rel=1e-10, abs=1e-15)


@given(st.lists(st.tuples(reals(-50.0, 50.0), st.sampled_from([0, 1, 0.3])), min_size=1, max_size=4))
def test_bce_gradient_matches_finite_differences(pairs):
    targets = [p[1] for p in pairs]
    gradcheck(lambda *zs: binary_cross_entropy(list(zs), targets), [p[0] for p in pairs])


@pytest.mark.parametrize("logits, targets, message", [
    ([Value(0.0)], [1.5], "target 0 must be in \\[0, 1\\], got 1.5"),
    ([Value(0.0)], [-0.5], "must be in \\[0, 1\\]"),
    ([Value(0.0)], [math.nan], "must be a finite number"),
    ([Value(0.0), Value(1.0)], [1], "2 outputs but 1 labels"),
    ([[Value(0.0), Value(1.0)]], [1], "one output per sample; output 0 is a list of 2"),
])
def test_bce_errors(logits, targets, message):
    with pytest.raises(ValueError, match=message):
        binary_cross_entropy(logits, targets)


# --- hinge ------------------------------------------------------------------------------------------


@given(st.lists(st.tuples(moderate, st.sampled_from([-1, 1])), min_size=1, max_size=6))
def test_hinge_is_micrograds_max_margin_loss(pairs):
    scores, labels = [p[0] for p in pairs], [p[1] for p in pairs]
    # micrograd's demo: losses = [(1 + -yi*scorei).relu() ...]; sum(losses) * (1.0 / len(losses))
    expected = sum(max(1 + -y * s, 0.0) for s, y in pairs) * (1.0 / len(pairs))
    assert hinge(values(scores), labels).data == pytest.approx(expected, rel=REL, abs=1e-15)
    zero_one = [0 if y == -1 else 1 for y in labels]
    assert hinge(values(scores), zero_one).data == hinge(values(scores), labels).data


@given(st.lists(st.tuples(moderate, st.sampled_from([-1, 0, 1])), min_size=1, max_size=4))
def test_hinge_gradient_matches_finite_differences(pairs):
    # Finite differences must not step over the kink at y·s = 1.
    assume(all(abs(1 - (1 if y == 1 else -1) * s) > 1e-3 for s, y in pairs))
    labels = [p[1] for p in pairs]
    gradcheck(lambda *ss: hinge(list(ss), labels), [p[0] for p in pairs])


@pytest.mark.parametrize("labels, message", [([2], "label 0 must be -1 or 1 \\(0 means -1\\), got 2"),
                                             ([0.5], "got 0.5"), (["1"], "got '1'")])
def test_hinge_errors(labels, message):
    with pytest.raises(ValueError, match=message):
        hinge([Value(0.0)], labels)


# --- L2 penalty and the registry ------------------------------------------------------------------


def test_l2_penalty_value_and_gradient():
    ps = values([1.0, -2.0, 0.5])
    penalty = l2_penalty(ps, 0.1)
    assert penalty.data == pytest.approx(0.1 * (1 + 4 + 0.25), rel=REL)
    penalty.backward()
    assert [p.grad for p in ps] == pytest.approx([0.2, -0.4, 0.1], rel=REL)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        l2_penalty(ps, -1.0)


@given(st.lists(moderate, min_size=1, max_size=5), st.floats(0.0, 1.0))
def test_l2_penalty_gradient_matches_finite_differences(ps, alpha):
    gradcheck(lambda *vs: l2_penalty(vs, alpha), ps)


def test_loss_registry_names():
    assert LOSSES == {"mse": mse, "cross_entropy": cross_entropy, "bce": binary_cross_entropy,
                      "binary_cross_entropy": binary_cross_entropy, "hinge": hinge}
