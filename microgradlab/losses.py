"""Loss functions on Values: mean squared error, cross-entropy, binary cross-entropy, hinge.

Conventions (the ones :func:`microgradlab.train.fit` uses):

* A loss takes the model ``outputs`` for a batch of ``n`` samples and their
  ``labels`` (two lists of length ``n``) and returns one Value: the **mean over
  the batch**, so its gradient is the average of the per-sample gradients.
* An output is what a model returns for one sample: a Value (one output) or a
  list of Values (a vector).  Labels are numbers or lists of numbers to match;
  :func:`cross_entropy` takes class indices.
* :func:`cross_entropy` also takes a single sample: ``logits`` one list of
  Values and ``targets`` one class index (or one probability vector).
* Every function also accepts plain floats in place of Values.
* Mismatched lengths, class indices out of range, probabilities that do not
  sum to 1 and labels outside a loss's label set are ``ValueError``\\ s naming
  the function, the sample and the value.
* Each loss declares what it takes with :func:`~microgradlab.loss_spec.declare`
  (see :mod:`microgradlab.loss_spec`, re-exported here): what its outputs are,
  how many a model needs, and what kind of labels.

Softmax, log-softmax and cross-entropy are built on the engine's one-node
``logsumexp`` (which shifts by the largest logit inside its scalar rule), so
logits of ±1000 give finite results, correct to the rounding of numbers that
size; binary cross-entropy is computed from logits with ``softplus``, stable
for any logit.

>>> from microgradlab import Value
>>> from microgradlab.losses import mse, cross_entropy
>>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data      # (1² + 2²) / (2·2)
1.25
>>> round(cross_entropy([Value(1000.0), Value(-1000.0)], 1).data, 6)
2000.0
>>> cross_entropy.loss_spec
LossSpec(outputs='logits', n_outputs='per_class', labels='class_index')
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Iterable, List, Sequence, Tuple, Union

from .checks import check_float, is_int, is_real
from .engine import Value, dot, logsumexp, vsum
from .functional import relu, softplus
from .loss_spec import LossSpec, declare, spec_of

__all__ = [
    "mse",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "binary_cross_entropy",
    "hinge",
    "l2_penalty",
    "LOSSES",
    "LossSpec",
    "declare",
    "spec_of",
    "PROBABILITY_TOLERANCE",
]

Scalar = Union[Value, float]
Output = Union[Scalar, Sequence[Scalar]]

#: How far a probability vector's sum may be from 1.  Summing k floats in
#: [0, 1] is off by at most about k * 1.1e-16, so 1e-6 only flags real mistakes
#: (a vector of counts, a missing class) and never rounding.
PROBABILITY_TOLERANCE = 1e-6


# --- argument checks ----------------------------------------------------------------


def _is_vector(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def _batch(where: str, outputs: Any, labels: Any) -> Tuple[Sequence[Any], Sequence[Any]]:
    """``outputs`` and ``labels`` as two equally long, non-empty sequences.

    A single output (a Value or number) with a single label counts as a batch of one.
    """
    if not _is_vector(outputs):
        outputs, labels = [outputs], [labels]
    elif not _is_vector(labels):
        raise ValueError(f"{where}: {len(outputs)} outputs need a list of {len(outputs)} labels, got {labels!r}")
    if len(outputs) != len(labels):
        raise ValueError(f"{where}: {len(outputs)} outputs but {len(labels)} labels")
    if not outputs:
        raise ValueError(f"{where}: empty batch (no outputs)")
    return outputs, labels


def _finite_label(where: str, value: Any) -> float:
    """A label as a finite float, or a ``ValueError`` naming it (a label is data: a bad one is a bad value)."""
    if not is_real(value) or not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _target(where: str, value: Any) -> Scalar:
    """A regression target: a Value as it is (the compiled path passes them), else a finite float."""
    return value if isinstance(value, Value) else _finite_label(where, value)


def _class_index(where: str, target: Any, n_classes: int) -> int:
    if not is_int(target):
        raise ValueError(f"{where}: a class index must be an int, got {target!r}")
    if not 0 <= target < n_classes:
        raise ValueError(f"{where}: class index {target} is out of range for {n_classes} classes (0..{n_classes - 1})")
    return int(target)


def _probabilities(where: str, target: Any, n_classes: int) -> List[float]:
    if len(target) != n_classes:
        raise ValueError(f"{where}: {n_classes} logits but {len(target)} target probabilities")
    probs = [_finite_label(f"{where}: target probability", p) for p in target]
    if min(probs) < 0.0:
        raise ValueError(f"{where}: target probabilities must be >= 0, got {list(target)!r}")
    total = math.fsum(probs)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        raise ValueError(f"{where}: target probabilities must sum to 1, got sum {total!r} for {list(target)!r}")
    return probs


def _mean(losses: List[Any]) -> Value:
    return vsum(losses) / len(losses)


# --- losses ------------------------------------------------------------------------


@declare(outputs="values", n_outputs="any", labels="real")
def mse(outputs: Union[Output, Sequence[Output]], labels: Any) -> Value:
    """Mean squared error, the seeds' ``L = 1/(2n) Σ ||y - ŷ||²`` over ``n`` output/label pairs.

    ``outputs`` is a list of ``n`` predictions, each a Value (scalar output) or a
    list of Values (vector output); ``labels`` the ``n`` matching numbers or
    lists.  A single Value and a single number are one pair.

    Relation to PyTorch: ``torch.nn.MSELoss()`` (``reduction="mean"``) divides
    the same sum by the number of *elements*, ``n·k`` for ``k``-vectors, and has
    no ½.  So ``mse = MSELoss / 2`` for scalar outputs and ``mse = k/2 · MSELoss``
    for ``k``-vectors.  The ½ makes the gradient of one pair ``ŷ - y``.

    Raises:
        ValueError: for different lengths, an empty batch, a vector output
            whose label is not a vector of the same length, or a label that is
            not a finite number.

    >>> from microgradlab import Value
    >>> y_hat = [Value(0.5), Value(2.0)]
    >>> loss = mse(y_hat, [1.0, 1.0])             # ((0.5)² + 1²) / 4
    >>> loss.data
    0.3125
    >>> loss.backward(); [v.grad for v in y_hat]  # (ŷ - y) / n
    [-0.25, 0.5]
    >>> mse([[Value(1.0), Value(2.0)]], [[0.0, 0.0]]).data   # one 2-vector: (1 + 4) / 2
    2.5
    """
    outputs, labels = _batch("mse", outputs, labels)
    diffs = []
    for i, (output, label) in enumerate(zip(outputs, labels)):
        if _is_vector(output):
            if not _is_vector(label) or len(label) != len(output):
                raise ValueError(f"mse: output {i} is a vector of {len(output)} but its label is {label!r} "
                                 f"(give a list of {len(output)} numbers, e.g. one-hot)")
            diffs.extend(o - _target(f"mse: label {i}", t) for o, t in zip(output, label))
        else:
            diffs.append(output - _target(f"mse: label {i}", label))
    # Σ d² as one dot node: dot(d, d) sends 2·d·g to each d, the derivative of d².
    return dot(diffs, diffs) / (2 * len(outputs))


def _shifted(where: str, logits: Sequence[Scalar]) -> Tuple[List[Any], Value]:
    """``z - max(z)`` and ``log Σ exp(z - max(z))``: exact to a few ulps for any finite logits.

    ``z - logsumexp(z)`` alone would lose digits to the rounding of
    ``logsumexp(z)`` when ``|z|`` is large.  So the logits are first shifted by
    ``c = logsumexp(z)``, a float within rounding of ``log Σ exp(z)`` and at least
    ``max(z)``: the differences ``z - c`` of the logits that matter (near the
    largest) are exact, none is positive, and the largest is at least ``-log n``;
    the log-sum-exp of those is then a small number, rounded as such, and the
    rounding of ``c`` cancels.  (A shift by ``max(z)`` built from ``relu`` does the
    same in 3(n - 1) nodes; this is one node, one step of a compiled tape.)  Its
    gradient is honest and cancels: the results do not depend on the shift.
    NaN in any logit gives NaN.
    """
    if not _is_vector(logits) or not logits:
        raise ValueError(f"{where}: logits must be a non-empty list of Values or numbers, got {logits!r}")
    for z in logits:
        if not isinstance(z, Value) and not is_real(z):
            raise ValueError(f"{where}: a logit must be a Value or a number, got {z!r}")
    top = logsumexp(logits)
    shifted = [z - top for z in logits]
    return shifted, logsumexp(shifted)


def softmax(logits: Sequence[Scalar]) -> List[Value]:
    """``exp(z_i) / Σ_j exp(z_j)`` for one vector of logits, computed stably.

    >>> [round(p.data, 6) for p in softmax([0.0, 0.0, 0.0, 0.0])]
    [0.25, 0.25, 0.25, 0.25]
    >>> [p.data for p in softmax([1000.0, -1000.0])]
    [1.0, 0.0]
    >>> [p.data for p in softmax([1e15, 1e15])]
    [0.5, 0.5]
    """
    shifted, lse = _shifted("softmax", logits)
    return [(z - lse).exp() for z in shifted]


def log_softmax(logits: Sequence[Scalar]) -> List[Value]:
    """``z_i - log Σ_j exp(z_j)`` for one vector of logits, through a stable log-sum-exp.

    >>> [v.data for v in log_softmax([1000.0, -1000.0])]
    [0.0, -2000.0]
    """
    shifted, lse = _shifted("log_softmax", logits)
    return [z - lse for z in shifted]


def _cross_entropy_one(where: str, logits: Sequence[Scalar], target: Any) -> Value:
    shifted, lse = _shifted(where, logits)
    if _is_vector(target):
        probs = _probabilities(where, target, len(logits))
        # -Σ p_i log_softmax_i = (Σ p_i)·lse - Σ p_i z_i
        return lse * math.fsum(probs) - dot(probs, shifted)
    return lse - shifted[_class_index(where, target, len(logits))]


@declare(outputs="logits", n_outputs="per_class", labels="class_index")
def cross_entropy(logits: Sequence[Any], targets: Any) -> Value:
    """Softmax cross-entropy ``-log softmax(z)[target]``, averaged over the batch.

    Args:
        logits: One sample's logits (a list of Values or numbers), or a batch
            (a list of such lists).
        targets: For one sample a class index or a probability vector; for a
            batch a list of them.  Probabilities (one-hot, or soft labels) give
            ``-Σ p_i log softmax(z)_i``.

    Matches ``torch.nn.functional.cross_entropy`` (mean reduction, class
    indices or probabilities as targets).

    Raises:
        ValueError: for different lengths, a class index out of range (or not
            an int), probabilities that are negative or do not sum to 1.

    >>> from microgradlab import Value
    >>> z = [Value(2.0), Value(0.0), Value(0.0)]
    >>> loss = cross_entropy(z, 0)
    >>> round(loss.data, 6)                       # log(e² + 2) - 2
    0.239545
    >>> loss.backward(); [round(v.grad, 6) for v in z]   # softmax(z) - onehot(0)
    [-0.213014, 0.106507, 0.106507]
    >>> round(cross_entropy([[0.0, 0.0], [0.0, 5.0]], [0, [0.5, 0.5]]).data, 6)
    1.599931
    >>> cross_entropy([[0.0, 0.0]], [2])
    Traceback (most recent call last):
    ...
    ValueError: cross_entropy, sample 0: class index 2 is out of range for 2 classes (0..1)
    """
    if _is_vector(logits) and logits and _is_vector(logits[0]):
        logits, targets = _batch("cross_entropy", logits, targets)
        losses = [_cross_entropy_one(f"cross_entropy, sample {i}", z, t)
                  for i, (z, t) in enumerate(zip(logits, targets))]
        return _mean(losses)
    return _cross_entropy_one("cross_entropy", logits, targets)


def _scalar_outputs(where: str, outputs: Any, labels: Any) -> Tuple[Sequence[Scalar], Sequence[Any]]:
    outputs, labels = _batch(where, outputs, labels)
    for i, output in enumerate(outputs):
        if _is_vector(output):
            raise ValueError(f"{where}: expects one output per sample; output {i} is a list of {len(output)}")
    return outputs, labels


@declare(outputs="logits", n_outputs="one", labels="binary")
def binary_cross_entropy(logits: Any, targets: Any) -> Value:
    """Binary cross-entropy on logits, ``-[t log σ(z) + (1 - t) log(1 - σ(z))]``, averaged.

    Computed as ``softplus(z) - t·z`` (``softplus(-z)`` for ``t = 1``), finite for
    any logit -- PyTorch's ``binary_cross_entropy_with_logits``.  The model's
    output is the logit, not a probability: leave its last layer linear.

    Args:
        logits: One logit per sample (a list of Values), or a single Value.
        targets: Labels in ``[0, 1]``: classes 0 and 1, or soft labels.

    Raises:
        ValueError: for different lengths or a target outside ``[0, 1]``.

    >>> from microgradlab import Value
    >>> round(binary_cross_entropy([Value(0.0), Value(0.0)], [0, 1]).data, 6)   # log 2
    0.693147
    >>> binary_cross_entropy([Value(1000.0)], [0]).data
    1000.0
    """
    logits, targets = _scalar_outputs("binary_cross_entropy", logits, targets)
    losses = []
    for i, (z, t) in enumerate(zip(logits, targets)):
        t = _finite_label(f"binary_cross_entropy: target {i}", t)
        if t == 1.0:
            losses.append(softplus(-z))
        elif t == 0.0:
            losses.append(softplus(z))
        elif 0.0 < t < 1.0:
            losses.append(softplus(z) - t * z)
        else:
            raise ValueError(f"binary_cross_entropy: target {i} must be in [0, 1], got {t!r}")
    return _mean(losses)


@declare(outputs="scores", n_outputs="one", labels="signed")
def hinge(scores: Any, labels: Any) -> Value:
    """The max-margin loss of micrograd's demo, ``mean(relu(1 - y·s))``.

    Args:
        scores: One score per sample (a list of Values), or a single Value.
        labels: ``+1`` or ``-1`` per sample; ``0`` is read as ``-1``, so
            ``{0, 1}`` labels (as ``make_moons`` gives) work unchanged.

    A sample with ``y·s >= 1`` costs nothing; predict the class by the sign of the score.

    Raises:
        ValueError: for different lengths or a label other than -1, 0, 1.

    >>> from microgradlab import Value
    >>> hinge([Value(2.0), Value(0.5), Value(0.5)], [1, 1, 0]).data   # (0 + 0.5 + 1.5) / 3
    0.6666666666666666
    """
    scores, labels = _scalar_outputs("hinge", scores, labels)
    losses = []
    for i, (s, y) in enumerate(zip(scores, labels)):
        if y == 1:
            losses.append(relu(1.0 - s))
        elif y == -1 or y == 0:
            losses.append(relu(1.0 + s))
        else:
            raise ValueError(f"hinge: label {i} must be -1 or 1 (0 means -1), got {y!r}")
    return _mean(losses)


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """``alpha · Σ p²``: the L2 regularisation micrograd's demo adds to the loss.

    Adding it to a loss adds ``2·alpha·p`` to each gradient, the same as an
    optimizer's ``weight_decay = 2·alpha``.

    >>> from microgradlab import Value
    >>> ps = [Value(1.0), Value(-2.0)]
    >>> l2_penalty(ps, 1e-4).data
    0.0005
    """
    alpha = check_float("l2_penalty", "alpha", alpha)
    params = list(parameters)
    return dot(params, params) * alpha


#: Loss names accepted by :func:`microgradlab.train.fit`.
LOSSES: Dict[str, Callable[[Any, Any], Value]] = {
    "mse": mse,
    "cross_entropy": cross_entropy,
    "bce": binary_cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "hinge": hinge,
}
