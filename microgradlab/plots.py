"""Pictures of training: :func:`plot_history` (loss and accuracy curves), :func:`plot_decision_boundary`
and :func:`plot_training_dynamics` (per-layer gradients and activations).

Every plot returns a :class:`matplotlib.figure.Figure`, which Jupyter shows
inline when it is a cell's last expression.  ``ax=`` draws into axes of your
own (a subplot of a bigger figure) and returns that axes' figure; ``path=``
also writes the figure to an ``.svg``, ``.png`` or ``.pdf`` file.  No file is
written without ``path=``.

matplotlib (``pip install microgradlab[plot]``) is imported only when a plot
is drawn, and only its object-oriented API is used: pyplot and the global
backend are never touched, so plotting works in scripts, on servers and in
notebooks alike.

This module draws what others measured: it sits below :mod:`microgradlab.history`
(``History.plot`` calls :func:`plot_history`) and :mod:`microgradlab.train`, and
imports neither; :mod:`microgradlab.dynamics` re-exports :func:`plot_training_dynamics`.

>>> import os, tempfile
>>> from matplotlib.figure import Figure
>>> from microgradlab import MLP
>>> model = MLP(2, [4, 1], seed=0)
>>> fig = plot_decision_boundary(model, [[0.0, 0.0], [1.0, 1.0]], [0, 1], resolution=10)
>>> isinstance(fig, Figure), len(fig.axes)
(True, 1)
>>> path = os.path.join(tempfile.mkdtemp(), "boundary.svg")
>>> _ = plot_decision_boundary(model, [[0.0, 0.0], [1.0, 1.0]], [0, 1], resolution=10, path=path)
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

from .checks import check_int, is_int
from .outputs import predict

__all__ = ["plot_history", "plot_decision_boundary", "plot_training_dynamics", "predicted_classes", "PLOT_SUFFIXES"]

PathLike = Union[str, "os.PathLike[str]"]

#: Suffixes matplotlib writes without extra packages.
PLOT_SUFFIXES = (".svg", ".png", ".pdf")
# matplotlib's "tab10" colours: class k is drawn in _COLORS[k % 10].
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


# --- shared by every plot: checking the file, making or reusing axes, saving --------------


def _check_path(where: str, path: Optional[PathLike]) -> None:
    if path is not None and Path(path).suffix.lower() not in PLOT_SUFFIXES:
        raise ValueError(f"{where}: the file must end in .svg, .png or .pdf, got {os.fspath(path)!r}")


_NOTEBOOK_FIGURE: List[Any] = []  # the Figure subclass below, made once matplotlib is imported


def _figure_class(where: str) -> Any:
    """A :class:`matplotlib.figure.Figure` that Jupyter shows as a picture even when pyplot was never imported.

    IPython registers its PNG display for figures only when pyplot's inline
    backend starts; a figure of the object-oriented API would otherwise show as
    the text ``<Figure size 640x480 with 1 Axes>``.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"{where} needs matplotlib: pip install microgradlab[plot]") from None
    if not _NOTEBOOK_FIGURE:
        class NotebookFigure(Figure):
            """A Figure with Jupyter's ``_repr_png_``."""

            def _repr_png_(self) -> bytes:
                import io

                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=100)
                return buffer.getvalue()

        _NOTEBOOK_FIGURE.append(NotebookFigure)
    return _NOTEBOOK_FIGURE[0]


def _axes(where: str, ax: Any, n: int, figsize: Tuple[float, float]) -> Tuple[Any, List[Any]]:
    """The figure and ``n`` axes to draw into: ``ax`` (``n`` of them, or one for ``n == 1``) or new ones."""
    Figure = _figure_class(where)
    if ax is None:
        fig = Figure(figsize=figsize)
        return fig, [fig.add_subplot(1, n, i + 1) for i in range(n)]
    axes = list(ax) if isinstance(ax, (list, tuple)) else [ax]
    if len(axes) != n or not all(hasattr(a, "get_figure") for a in axes):
        raise TypeError(f"{where}: ax must be {'a matplotlib Axes' if n == 1 else f'{n} matplotlib Axes'}, "
                        f"got {ax!r}")
    return axes[0].get_figure(), axes


def _finish(fig: Any, owned: bool, path: Optional[PathLike]) -> Any:
    """Lay out a figure this module made, write ``path`` if given, and return the figure."""
    if owned:
        fig.tight_layout()
    if path is not None:
        import matplotlib

        suffix = Path(path).suffix.lower()
        # Fixed SVG ids and no date: the same picture gives the same file.
        metadata = {"Date": None} if suffix == ".svg" else {"CreationDate": None} if suffix == ".pdf" else None
        with matplotlib.rc_context({"svg.hashsalt": "microgradlab"}):
            fig.savefig(path, metadata=metadata)
    return fig


# --- training curves ----------------------------------------------------------------------


def plot_history(history: Any, *, ax: Any = None, path: Optional[PathLike] = None,
                 title: Optional[str] = None) -> Any:
    """The loss per epoch (log scale when positive) and, if measured, the accuracy, side by side.

    This is :meth:`History.plot <microgradlab.history.History.plot>`.

    Args:
        history: A :class:`~microgradlab.history.History` from :func:`~microgradlab.train.fit`.
        ax: Axes to draw into: one for the loss alone, or a pair ``(loss_ax, accuracy_ax)``
            when the history has accuracies; None makes a new figure.
        path: Also write the figure to this ``.svg``, ``.png`` or ``.pdf`` file.
        title: Shown above the plot.

    Returns:
        The :class:`matplotlib.figure.Figure` drawn into.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: for an empty history or another file suffix.
    """
    if not history.loss:
        raise ValueError("History.plot: nothing to plot, the history has no epochs")
    _check_path("History.plot", path)
    with_accuracy = any(a is not None for a in history.accuracy)
    if ax is not None and not isinstance(ax, (list, tuple)):
        with_accuracy = False  # one axes: the loss only
    fig, axes = _axes("History.plot", ax, 2 if with_accuracy else 1, (9.0 if with_accuracy else 5.0, 3.5))
    epochs = range(1, len(history.loss) + 1)
    loss_ax = axes[0]
    loss_ax.plot(epochs, history.loss, color="tab:blue")
    if min(history.loss) > 0.0:
        loss_ax.set_yscale("log")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss")
    loss_ax.grid(True, alpha=0.3)
    if with_accuracy:
        acc = axes[1]
        acc.plot(epochs, [math.nan if a is None else a for a in history.accuracy], color="tab:green")
        acc.set_ylim(0.0, 1.02)
        acc.set_xlabel("epoch")
        acc.set_ylabel("accuracy")
        acc.grid(True, alpha=0.3)
    if title:
        if ax is None:
            fig.suptitle(title)
        else:
            loss_ax.set_title(title, fontsize=10)
    return _finish(fig, ax is None, path)


# --- decision boundaries ------------------------------------------------------------------


def predicted_classes(outputs: Sequence[Any], threshold: float = 0.0) -> List[int]:
    """The class of each output of :func:`~microgradlab.outputs.predict`.

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
        if not is_int(label) or label < 0:
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


def plot_decision_boundary(model: Any, X: Sequence[Sequence[float]], y: Sequence[int], *, ax: Any = None,
                           path: Optional[PathLike] = None, resolution: int = 60, threshold: float = 0.0,
                           title: Optional[str] = None) -> Any:
    """Shade the class ``model`` predicts at each point of the plane and draw the data on top.

    The model (two inputs) runs on a ``resolution × resolution`` grid covering
    the data under :func:`~microgradlab.no_grad`; each grid point gets the
    class of :func:`predicted_classes`, and a filled contour shows the
    regions.  The points of ``X`` are drawn in the colour of their label ``y``.

    Args:
        model: A model taking 2 inputs, with one output (a score or logit) or one per class.
        X: Rows of 2 floats.
        y: Their class indices.
        ax: Axes to draw into; None makes a new figure.
        path: Also write the figure to this ``.svg``, ``.png`` or ``.pdf`` file.
        resolution: Grid points per axis (the model runs ``resolution²`` times).
        threshold: For a one-output model, a score above it is class 1.
        title: Shown above the plot.

    Returns:
        The :class:`matplotlib.figure.Figure` drawn into.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: for rows without 2 features, labels that are not class
            indices, a resolution below 2, or another file suffix.
    """
    _check_path("plot_decision_boundary", path)
    resolution = check_int("plot_decision_boundary", "resolution", resolution, minimum=2)
    _check_points(X, y)
    fig, (axes,) = _axes("plot_decision_boundary", ax, 1, (5.0, 4.0))
    xs = _axis([row[0] for row in X], resolution)
    ys = _axis([row[1] for row in X], resolution)
    outputs = predict(model, [[a, b] for b in ys for a in xs])
    n_outputs = len(outputs[0]) if isinstance(outputs[0], list) else 2
    colors = [_COLORS[k % len(_COLORS)] for k in range(max(n_outputs, max(y) + 1))]
    margins = [_margins(output, threshold) for output in outputs]
    # Each class's region is where its margin is positive; contouring the (continuous)
    # margin at 0 draws a smooth boundary where a grid of class indices would draw steps.
    for k in range(n_outputs):
        margin = [[m[k] for m in margins[j * resolution:(j + 1) * resolution]] for j in range(resolution)]
        top = max(map(max, margin))
        if top > 0.0:
            axes.contourf(xs, ys, margin, levels=[0.0, top], colors=[colors[k]], alpha=0.25)
            axes.contour(xs, ys, margin, levels=[0.0], colors="#555555", linewidths=0.8)
    for k in sorted(set(y)):
        points = [row for row, label in zip(X, y) if label == k]
        axes.scatter([p[0] for p in points], [p[1] for p in points], s=16, color=colors[k],
                     edgecolors="white", linewidths=0.5, label=f"class {k}")
    axes.set_xlim(xs[0], xs[-1])
    axes.set_ylim(ys[0], ys[-1])
    axes.set_xlabel("$x_1$")
    axes.set_ylabel("$x_2$")
    axes.legend(fontsize=8, loc="best", framealpha=0.8)
    if title:
        axes.set_title(title, fontsize=10)
    return _finish(fig, ax is None, path)


# --- training dynamics -------------------------------------------------------------------

_PANELS = (("grad_norm", "gradient norm  ‖∂L/∂θ‖", True), ("act_std", "activation std", False),
           ("inactive", "inactive ReLUs (fraction)", False))


def plot_training_dynamics(history: Any, *, ax: Any = None, path: Optional[PathLike] = None,
                           title: Optional[str] = None) -> Any:
    """Draw ``history.dynamics``: per layer, the gradient norm (log scale), the activations' spread
    and the fraction of inactive ReLUs, over the epochs; return the matplotlib Figure.

    Args:
        history: What ``fit(..., record="gradients")`` returned (or its ``.dynamics``, a
            :class:`~microgradlab.dynamics.TrainingDynamics`).
        ax: Three Axes to draw into (a sequence); by default a new Figure with three panels.
        path: Also save the Figure there (``.svg``, ``.png`` or ``.pdf``).
        title: A title over the panels.

    Raises:
        ValueError: if the history has no dynamics (fit without ``record="gradients"``) or no epochs.
        ImportError: without matplotlib.
    """
    dynamics = getattr(history, "dynamics", history)  # a History, or its TrainingDynamics
    if dynamics is None or not getattr(dynamics, "epochs", None):
        raise ValueError("plot_training_dynamics: no dynamics recorded; train with fit(..., record='gradients')")
    _check_path("plot_training_dynamics", path)
    if ax is None:
        fig = _figure_class("plot_training_dynamics")(figsize=(11.0, 3.4))
        axes = [fig.add_subplot(1, 3, k + 1) for k in range(3)]
    else:
        axes = list(ax)
        if len(axes) != 3:
            raise ValueError(f"plot_training_dynamics: ax must be three Axes, got {len(axes)}")
        fig = axes[0].figure
    epochs = range(len(dynamics.epochs))
    for panel, (stat, label, log) in zip(axes, _PANELS):
        for k, name in enumerate(dynamics.layers):
            values = dynamics.series(name, stat)
            if all(v is None for v in values):
                continue
            panel.plot(epochs, [math.nan if v is None else v for v in values], label=name, color=f"C{k % 10}")
        if log and all(v > 0 for name in dynamics.layers for v in dynamics.series(name, stat)):
            panel.set_yscale("log")
        panel.set_xlabel("epoch")
        panel.set_title(label, fontsize=10)
        panel.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _finish(fig, ax is None, path)
