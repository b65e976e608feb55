"""What a loss function declares it takes, so callers read that instead of recognising losses by name.

A declaration (:class:`LossSpec`, set as the function's ``loss_spec``
attribute by the :func:`declare` decorator) says

* ``outputs``: what the model's outputs are to the loss (:data:`OUTPUT_KINDS`);
* ``n_outputs``: how many a model needs per sample (:data:`OUTPUT_COUNTS`);
* ``labels``: what kind of labels it takes (:data:`LABEL_KINDS`).

:func:`microgradlab.train.fit` reads it to check the model against the loss,
to turn class indices into one-hot targets for a loss of real targets, and to
pick the accuracy threshold for one output.  A loss of your own declared the
same way is treated as the built-in ones are; one that declares nothing is
called as it is, with none of these checks.

>>> from microgradlab.losses import cross_entropy
>>> spec_of(cross_entropy)
LossSpec(outputs='logits', n_outputs='per_class', labels='class_index')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

from .checks import check_choice

__all__ = ["LossSpec", "declare", "spec_of", "OUTPUT_KINDS", "OUTPUT_COUNTS", "LABEL_KINDS"]

#: What a model's outputs are to the loss, with the name of one of them.
OUTPUT_KINDS = {"values": "value", "logits": "logit", "scores": "score", "probabilities": "probability"}
#: How many outputs per sample: any number, exactly one, or one per class (at least 2).
OUTPUT_COUNTS = ("any", "one", "per_class")
#: The labels: real targets (numbers or vectors; a vector output's class index becomes one-hot),
#: class indices (or probability vectors), 0/1 (or probabilities in [0, 1]), or -1/+1 (0 read as -1).
LABEL_KINDS = ("real", "class_index", "binary", "signed")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class LossSpec:
    """What a loss takes: see :data:`OUTPUT_KINDS`, :data:`OUTPUT_COUNTS` and :data:`LABEL_KINDS`."""

    outputs: str
    n_outputs: str
    labels: str

    def __post_init__(self) -> None:
        check_choice("LossSpec", "outputs", self.outputs, tuple(OUTPUT_KINDS))
        check_choice("LossSpec", "n_outputs", self.n_outputs, OUTPUT_COUNTS)
        check_choice("LossSpec", "labels", self.labels, LABEL_KINDS)

    @property
    def output_noun(self) -> str:
        """One output, as a message names it: ``"logit"`` for ``"logits"``."""
        return OUTPUT_KINDS[self.outputs]


def declare(*, outputs: str, n_outputs: str, labels: str) -> Callable[[F], F]:
    """A decorator that gives a loss function its :class:`LossSpec`, as the attribute ``loss_spec``.

    >>> from microgradlab.losses import hinge
    >>> @declare(outputs="scores", n_outputs="one", labels="signed")
    ... def squared_hinge(scores, labels):
    ...     return hinge(scores, labels) ** 2
    >>> spec_of(squared_hinge).n_outputs
    'one'
    """
    spec = LossSpec(outputs, n_outputs, labels)

    def mark(loss: F) -> F:
        loss.loss_spec = spec  # type: ignore[attr-defined]
        return loss

    return mark


def spec_of(loss: Any) -> Optional[LossSpec]:
    """The :class:`LossSpec` a loss declared, or None for a loss that declares nothing."""
    spec = getattr(loss, "loss_spec", None)
    return spec if isinstance(spec, LossSpec) else None
