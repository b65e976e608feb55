"""What a training run measured: :class:`History` (one entry per epoch) and :class:`Evaluation`.

:func:`microgradlab.train.fit` fills a History and :func:`~microgradlab.train.evaluate`
returns an Evaluation; :mod:`microgradlab.train` re-exports both.  ``History.plot``
draws through :mod:`microgradlab.plots`, which sits below this module.
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, List, NamedTuple, Optional, Tuple, Union

from .dynamics import TrainingDynamics
from .plots import plot_history

__all__ = ["History", "Evaluation"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class History:
    """What :func:`~microgradlab.train.fit` measured, one entry per epoch.

    Attributes:
        loss: Mean loss over the epoch (batch losses weighted by batch size,
            each measured before that batch's update, as Keras reports it).
        accuracy: Fraction of correctly classified samples over the epoch,
            measured the same way; ``None`` when the labels are not classes.
        grad_norm: ``||∇L||``, the Euclidean norm of the gradient averaged over
            the epoch's batches (for full batch: the gradient of the loss over
            all the data); what ``tol`` is compared with.
        seconds: Wall time of each epoch (left out of ``==``).
        stop_reason: ``"tol"`` or ``"callback"`` if training stopped early, else None.
        dynamics: Per-layer gradient and activation statistics as each epoch
            starts, with ``fit(..., record="gradients")`` (else None); see
            :mod:`microgradlab.dynamics`.
    """

    loss: List[float] = field(default_factory=list)
    accuracy: List[Optional[float]] = field(default_factory=list)
    grad_norm: List[float] = field(default_factory=list)
    seconds: List[float] = field(default_factory=list, compare=False)
    stop_reason: Optional[str] = None
    dynamics: Optional[TrainingDynamics] = None

    def __len__(self) -> int:
        return len(self.loss)

    def plot(self, *, ax: Any = None, path: Optional[PathLike] = None, title: Optional[str] = None) -> Any:
        """The loss curve (and the accuracy curve, if any) as a matplotlib Figure, shown inline by Jupyter.

        ``ax=`` draws into your own axes (one, or a pair for loss and
        accuracy); ``path=`` also writes an ``.svg``, ``.png`` or ``.pdf`` file.
        See :func:`microgradlab.plots.plot_history`.
        """
        return plot_history(self, ax=ax, path=path, title=title)

    def _summary(self) -> List[Tuple[str, str, str, str]]:
        """(measure, first epoch, last epoch, best and when) for the loss and, if measured, the accuracy."""
        def best(values: List[float], pick: Callable[..., float], fmt: str) -> str:
            value = pick(values)
            return f"{value:{fmt}} (epoch {values.index(value) + 1})"

        rows = [("loss", f"{self.loss[0]:.4g}", f"{self.loss[-1]:.4g}", best(self.loss, min, ".4g"))]
        if self.accuracy and self.accuracy[-1] is not None:
            acc = [a for a in self.accuracy if a is not None]
            rows.append(("accuracy", f"{acc[0]:.1%}", f"{acc[-1]:.1%}", best(acc, max, ".1%")))
        return rows

    def _headline(self) -> str:
        epochs = f"{len(self)} epoch{'' if len(self) == 1 else 's'}"
        stop = f", stopped by {self.stop_reason}" if self.stop_reason else ""
        return f"History: {epochs} in {math.fsum(self.seconds):.2f} s{stop}"

    def __repr__(self) -> str:
        """A short summary; the numbers per epoch are in the attributes.

        >>> History(loss=[0.9, 0.5, 0.6], accuracy=[0.5, 0.75, 1.0], grad_norm=[1.0] * 3, seconds=[0.1] * 3)
        History: 3 epochs in 0.30 s
          loss      first 0.9     last 0.6     best 0.5 (epoch 2)
          accuracy  first 50.0%   last 100.0%  best 100.0% (epoch 3)
        """
        if not self.loss:
            return "History: no epochs"
        lines = [self._headline()]
        for name, first, last, best in self._summary():
            lines.append(f"  {name:9} first {first:7} last {last:7} best {best}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The summary as a small table, which Jupyter shows instead of the text."""
        if not self.loss:
            return "<p>History: no epochs</p>"
        rows = "".join(f"<tr><th style='text-align:left'>{name}</th><td>{first}</td><td>{last}</td><td>{best}</td></tr>"
                       for name, first, last, best in self._summary())
        return (f"<table class='microgradlab-history'><caption style='text-align:left'>{html.escape(self._headline())}"
                f"</caption><thead><tr><th></th><th>first</th><th>last</th><th>best</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")


class Evaluation(NamedTuple):
    """The result of :func:`~microgradlab.train.evaluate`: the mean loss, and the accuracy (None if the labels are not classes)."""

    loss: float
    accuracy: Optional[float]
