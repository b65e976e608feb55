"""Pictures of what a trained model does: :func:`plot_decision_boundary`.

matplotlib (``pip install microgradlab[plot]``) is imported only when a plot
is drawn, and only its object-oriented API is used: pyplot and the global
backend are never touched.

>>> import os, tempfile
>>> from microgradlab import MLP
>>> model = MLP(2, [4, 1], seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "boundary.svg")
>>> plot_decision_boundary(model, [[0.0, 0.0], [1.0, 1.0]], [0, 1], path, resolution=10).name
'boundary.svg'
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from .train import predict

__all__ = ["plot_decision_boundary", "predicted_classes"]

PathLike = Union[str, "os.PathLike[str]"]

#: Suffixes matplotlib writes without extra packages.
PLOT_SUFFIXES = (".svg", ".png", ".pdf")
# matplotlib's "tab10" colours: class k is drawn in _COLORS[k % 10].
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def predicted_classes(outputs: Sequence[Any], threshold: float = 0.0) -> List[int]:
    """The class of each output of :func:`~microgradlab.train.predict`.

    A list of scores (several outputs) gives the index of its first maximum,
    as ``argmax``; a single score gives ``1`` if it is above ``threshold``
    (0 for logits and hinge scores), else ``0``.

    >>> predicted_classes([[0.1, 2.0, -1.0], 0.7, -0.2])
    [1, 1, 0]
    """
    return [max(range(len(o)), key=o.__getitem__) if isinstance(o, list) else int(o > threshold)
            for o in outputs]


def _check_points(X: Sequence[Sequence[float]], y: Sequence[int]) -> None:
    if len(X) != len(y) or not X:
        raise ValueError(f"plot_decision_boundary: X and y must be non-empty and of the same length, "
                         f"got {len(X)} rows and {len(y)} labels")
    for i, (row, label) in enumerate(zip(X, y)):
        if len(row) != 2:
            raise ValueError(f"plot_decision_boundary: row {i} has {len(row)} features; the plot needs 2")
        if isinstance(label, bool) or not isinstance(label, numbers.Integral) or label < 0:
            raise ValueError(f"plot_decision_boundary: label {i} must be a class index 0, 1, ..., got {label!r}")


def _axis(values: List[float], resolution: int) -> List[float]:
    """``resolution`` points spanning ``values`` with a 10% margin on each side."""
    low, high = min(values), max(values)
    margin = 0.1 * (high - low) or 0.5  # all points on a line: still show some plane around it
    low, high = low - margin, high + margin
    return [low + (high - low) * i / (resolution - 1) for i in range(resolution)]


def _margins(output: Any, threshold: float) -> List[float]:
    """How far each class is ahead of its best rival for one output: positive exactly for the predicted class."""
    if not isinstance(output, list):
        return [threshold - output, output - threshold]
    return [score - max(output[:k] + output[k + 1:]) for k, score in enumerate(output)]


def plot_decision_boundary(model: Any, X: Sequence[Sequence[float]], y: Sequence[int], path: PathLike, *,
                           resolution: int = 60, threshold: float = 0.0, title: Optional[str] = None) -> Path:
    """Shade the class ``model`` predicts at each point of the plane, draw the data on top, write ``path``.

    The model (two inputs) runs on a ``resolution × resolution`` grid covering
    the data under :func:`~microgradlab.no_grad`; each grid point gets the
    class of :func:`predicted_classes`, and a filled contour shows the
    regions.  The points of ``X`` are drawn in the colour of their label ``y``.

    Args:
        model: A model taking 2 inputs, with one output (a score or logit) or one per class.
        X: Rows of 2 floats.
        y: Their class indices.
        path: File to write; its suffix (``.svg``, ``.png`` or ``.pdf``) picks the format.
        resolution: Grid points per axis (the model runs ``resolution²`` times).
        threshold: For a one-output model, a score above it is class 1.
        title: Shown above the plot.

    Returns:
        The path written.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: for rows without 2 features, labels that are not class
            indices, a resolution below 2, or another file suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_SUFFIXES:
        raise ValueError(f"plot_decision_boundary: the file must end in .svg, .png or .pdf, got {os.fspath(path)!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be an int of at least 2, got {resolution!r}")
    _check_points(X, y)
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_decision_boundary needs matplotlib: pip install microgradlab[plot]") from None
    xs = _axis([row[0] for row in X], resolution)
    ys = _axis([row[1] for row in X], resolution)
    outputs = predict(model, [[a, b] for b in ys for a in xs])
    n_outputs = len(outputs[0]) if isinstance(outputs[0], list) else 2
    colors = [_COLORS[k % len(_COLORS)] for k in range(max(n_outputs, max(y) + 1))]
    margins = [_margins(output, threshold) for output in outputs]

    fig = Figure(figsize=(5.0, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    # Each class's region is where its margin is positive; contouring the (continuous)
    # margin at 0 draws a smooth boundary where a grid of class indices would draw steps.
    for k in range(n_outputs):
        margin = [[m[k] for m in margins[j * resolution:(j + 1) * resolution]] for j in range(resolution)]
        top = max(map(max, margin))
        if top > 0.0:
            ax.contourf(xs, ys, margin, levels=[0.0, top], colors=[colors[k]], alpha=0.25)
            ax.contour(xs, ys, margin, levels=[0.0], colors="#555555", linewidths=0.8)
    for k in sorted(set(y)):
        points = [row for row, label in zip(X, y) if label == k]
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=16, color=colors[k],
                   edgecolors="white", linewidths=0.5, label=f"class {k}")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(fontsize=8, loc="best", framealpha=0.8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    # Fixed SVG ids and no date: the same model and data give the same file.
    metadata = {"Date": None} if suffix == ".svg" else {"CreationDate": None} if suffix == ".pdf" else None
    with matplotlib.rc_context({"svg.hashsalt": "microgradlab"}):
        fig.savefig(path, metadata=metadata)
    return Path(path)
from .dynamics import plot_training_dynamics  # noqa: E402,F401  (see microgradlab.dynamics)
