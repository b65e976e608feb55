"""The task of a training run: a loss, the labels as it takes them, and how to count correct answers.

:func:`make_task` reads what the loss declares (:mod:`microgradlab.loss_spec`)
-- never its name -- to check the model's number of outputs against it, to
turn class indices into one-hot targets for a loss of real targets, and to
pick the one-output decision threshold (0 for logits and scores, 0.5 for 0/1
labels otherwise).  A loss that declares nothing is called as it is.
:func:`~microgradlab.train.fit`, :func:`~microgradlab.train.evaluate` and
:func:`~microgradlab.train.accuracy` use these functions.

>>> from microgradlab.nn import MLP
>>> task = make_task("fit", MLP(2, [3], seed=0), [[0.0, 1.0]], [2], "mse", None)
>>> task.targets, task.classes                # mse with 3 outputs: class 2 becomes one-hot
([[0.0, 0.0, 1.0]], [2])
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from .checks import is_int, is_real
from .engine import Value, no_grad
from .loss_spec import LossSpec, spec_of
from .losses import LOSSES, PROBABILITY_TOLERANCE

__all__ = ["Task", "LossArg", "make_task", "check_data", "label_classes", "count_correct"]

LossArg = Union[str, Callable[[Any, Any], Value]]


@dataclass(frozen=True)
class Task:
    """A loss with the labels as it takes them, the true classes (if any) and the one-output threshold."""

    loss_fn: Callable[[Any, Any], Value]
    targets: List[Any]  # the labels as loss_fn takes them
    classes: Optional[List[Any]]  # the true class of each sample (int, or bool for one output), or None
    threshold: float  # one output: ``output > threshold`` predicts the positive class


def check_data(where: str, X: Any, y: Any) -> int:
    """The number of rows: ``X`` and ``y`` must be sequences of one length, not empty."""
    for name, value in (("X", X), ("y", y)):
        if isinstance(value, (str, bytes)) or not (hasattr(value, "__len__") and hasattr(value, "__getitem__")):
            raise TypeError(f"{where}: {name} must be a list, got {type(value).__name__}")
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} rows but y has {len(y)} labels")
    if len(X) == 0:
        raise ValueError(f"{where}: no data (X is empty)")
    return len(X)


def _label_class(label: Any) -> Optional[int]:
    """The class of a multi-output label: an index, or the argmax of a probability vector."""
    if is_int(label):
        return int(label)
    if isinstance(label, (list, tuple)) and label and all(isinstance(p, numbers.Real) for p in label):
        if min(label) >= 0.0 and abs(math.fsum(label) - 1.0) <= PROBABILITY_TOLERANCE:
            return max(range(len(label)), key=label.__getitem__)
    return None


def label_classes(y: Sequence[Any], n_outputs: int, logits: bool) -> Tuple[Optional[List[Any]], float]:
    """The true classes of ``y`` (None if they are not classes) and the one-output threshold."""
    if n_outputs >= 2:
        classes = [_label_class(label) for label in y]
        return (None if None in classes else classes), 0.0
    if not all(isinstance(label, numbers.Real) and label in (-1, 0, 1) for label in y):
        return None, 0.0
    signed = any(label == -1 for label in y)
    return [bool(label == 1) for label in y], 0.0 if logits or signed else 0.5


def _one_hot(where: str, i: int, label: Any, k: int) -> List[float]:
    if not 0 <= label < k:
        raise ValueError(f"{where}: label {i} is class {label}, out of range for a model with {k} outputs")
    vector = [0.0] * k
    vector[label] = 1.0
    return vector


def make_task(where: str, model: Any, X: Sequence[Any], y: Sequence[Any], loss: LossArg,
              threshold: Optional[float]) -> Task:
    """The :class:`Task` of training or evaluating ``model`` on ``(X, y)`` with ``loss`` (a name or a function).

    The model runs once, on ``X[0]``, to count its outputs.  ``threshold``
    None picks the one-output threshold from the loss and the labels.

    Raises:
        ValueError: naming ``where``, for bad data, an unknown loss name, a
            model whose outputs do not fit the loss's declaration, a class
            index out of range for one-hot targets, or a threshold that is not
            a finite number.
        TypeError: for ``loss`` that is neither a name nor a function.
    """
    check_data(where, X, y)
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"{where}: unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))} "
                             f"or pass a function (outputs, labels) -> Value")
        loss_fn = LOSSES[loss]
    elif callable(loss):
        loss_fn = loss
    else:
        raise TypeError(f"{where}: loss must be a loss name or a function (outputs, labels) -> Value, got {loss!r}")
    with no_grad():
        first = model(X[0])
    k = len(first) if isinstance(first, (list, tuple)) else 1
    spec = spec_of(loss_fn)  # None: a loss of the user's that declares nothing is called as it is
    if spec is not None:
        _check_outputs(where, getattr(loss_fn, "__name__", "the loss"), spec, k)
    targets = list(y)
    if spec is not None and spec.labels == "real" and k >= 2 and all(map(is_int, targets)):
        targets = [_one_hot(where, i, label, k) for i, label in enumerate(targets)]
    classes, auto_threshold = label_classes(y, k, logits=spec is not None and spec.outputs in ("logits", "scores"))
    if threshold is None:
        threshold = auto_threshold
    elif not is_real(threshold) or not math.isfinite(threshold):
        raise ValueError(f"{where}: threshold must be a finite number, got {threshold!r}")
    return Task(loss_fn, targets, classes, float(threshold))


def _named_losses(wanted: Callable[[LossSpec], bool]) -> List[str]:
    """The names of :data:`~microgradlab.losses.LOSSES` whose declaration is ``wanted``, each loss by its first name."""
    first_names: Dict[Callable[..., Any], str] = {}
    for name, fn in LOSSES.items():
        first_names.setdefault(fn, name)
    return [name for fn, name in first_names.items() if spec_of(fn) is not None and wanted(spec_of(fn))]


def _check_outputs(where: str, name: str, spec: LossSpec, k: int) -> None:
    """``ValueError`` unless a model with ``k`` outputs gives what the loss declared it takes."""
    if spec.n_outputs == "per_class" and k < 2:
        one_output = _named_losses(lambda spec: spec.n_outputs == "one")
        raise ValueError(f"{where}: {name} needs one {spec.output_noun} per class (>= 2 outputs) but the model has "
                         f"{k}; use loss={' or '.join(map(repr, one_output))} for two classes")
    if spec.n_outputs == "one" and k != 1:
        raise ValueError(f"{where}: {name} needs a model with one output, this one has {k}")


def count_correct(outputs: Sequence[Any], classes: Sequence[Any], threshold: float) -> int:
    """How many outputs (floats, or lists of floats) predict their true class: argmax, or ``> threshold``."""
    correct = 0
    for output, true_class in zip(outputs, classes):
        if isinstance(output, list):
            predicted = max(range(len(output)), key=output.__getitem__)  # first maximum, like argmax
        else:
            predicted = output > threshold
        correct += predicted == true_class
    return correct
