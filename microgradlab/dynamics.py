"""Watching training from the inside: per-layer gradient and activation statistics.

``fit(model, X, y, record="gradients")`` calls :func:`layer_statistics` as
each epoch starts (so the first entry is the initialisation) and keeps the
results in ``history.dynamics``, a :class:`TrainingDynamics`.  For every layer
of the MLP it holds, on the whole training set:

* the gradient of the mean loss with respect to the layer's weights and
  biases: its Euclidean ``grad_norm``, ``grad_mean`` and ``grad_std``;
* the layer's outputs over all samples: ``act_mean``, ``act_std``;
* for ReLU layers, ``inactive``: the fraction of (sample, neuron) outputs that
  are 0, and ``dead``: the fraction of neurons that are 0 on every sample.

:func:`plot_training_dynamics` draws them: vanishing or exploding gradients
and dead ReLUs are what a learner is taught to look for.

>>> from microgradlab import MLP, fit
>>> model = MLP(2, [4, 1], seed=0)
>>> history = fit(model, [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0], epochs=3, record="gradients",
...               progress=False)
>>> history.dynamics.layers
['layers.0', 'layers.1']
>>> len(history.dynamics.series("layers.0", "grad_norm"))
3
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Sequence, Union

from .engine import Value

__all__ = ["LayerStats", "TrainingDynamics", "layer_statistics", "plot_training_dynamics", "STATS"]

#: The statistics of each layer, in the order plot_training_dynamics draws them.
STATS = ("grad_norm", "grad_mean", "grad_std", "act_mean", "act_std", "inactive", "dead")


@dataclass(frozen=True)
class LayerStats:
    """One layer's statistics at one moment (see the module docstring)."""

    grad_norm: float
    grad_mean: float
    grad_std: float
    act_mean: float
    act_std: float
    inactive: Optional[float]  #: None unless the layer's activation is relu
    dead: Optional[float]


@dataclass
class TrainingDynamics:
    """Per-epoch :class:`LayerStats` of every layer, recorded by ``fit(..., record="gradients")``."""

    layers: List[str]
    epochs: List[List[LayerStats]] = field(default_factory=list)  #: epochs[e][l]: layer l as epoch e starts

    def series(self, layer: Union[str, int], stat: str) -> List[Optional[float]]:
        """One statistic of one layer (by name or index) over the epochs."""
        if stat not in STATS:
            raise ValueError(f"TrainingDynamics: unknown statistic {stat!r}; choose one of {', '.join(STATS)}")
        if isinstance(layer, str):
            if layer not in self.layers:
                raise KeyError(f"TrainingDynamics: no layer {layer!r}; the layers are {', '.join(self.layers)}")
            layer = self.layers.index(layer)
        return [getattr(epoch[layer], stat) for epoch in self.epochs]


def _mean_std(xs: Sequence[float]) -> "tuple[float, float]":
    mean = math.fsum(xs) / len(xs)
    return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / len(xs))  # population std, as numpy


def check_layers(model: Any, where: str) -> List[Any]:
    """The layers of ``model`` (an MLP: ``model.layers``, each with ``neurons`` and ``activation``)."""
    layers = getattr(model, "layers", None)
    if not layers or not all(hasattr(l, "neurons") and hasattr(l, "activation") for l in layers):
        raise ValueError(f"{where}: record='gradients' needs an MLP (a model with .layers of Layers), got {model!r}")
    return list(layers)


def layer_statistics(model: Any, loss_fn: Callable[[Any, Any], Value], X: Sequence[Sequence[float]],
                     targets: Sequence[Any]) -> List[LayerStats]:
    """Every layer's :class:`LayerStats` for the mean loss over ``(X, targets)``, one forward and backward pass.

    The parameters' ``.grad`` are left as they were.
    """
    layers = check_layers(model, "layer_statistics")
    params = [p for layer in layers for p in layer.parameters()]
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    try:
        outputs, activations = [], [[] for _ in layers]
        for x in X:
            h: Any = x
            for k, layer in enumerate(layers):
                h = layer._outputs(h)
                activations[k].append([v.data for v in h])
            outputs.append(h[0] if len(h) == 1 else h)
        loss = loss_fn(outputs, targets)
        loss.backward()
        stats = [_layer_stats(layer, rows) for layer, rows in zip(layers, activations)]
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    return stats


def _layer_stats(layer: Any, rows: List[List[float]]) -> LayerStats:
    grads = [p.grad for p in layer.parameters()]
    g_mean, g_std = _mean_std(grads)
    acts = [a for row in rows for a in row]
    a_mean, a_std = _mean_std(acts)
    inactive = dead = None
    if layer.activation == "relu":
        inactive = sum(a == 0.0 for a in acts) / len(acts)
        dead = sum(all(row[j] == 0.0 for row in rows) for j in range(len(rows[0]))) / len(rows[0])
    return LayerStats(math.sqrt(math.fsum(g * g for g in grads)), g_mean, g_std, a_mean, a_std, inactive, dead)


# --- the plot ---------------------------------------------------------------------------

_PANELS = (("grad_norm", "gradient norm  ‖∂L/∂θ‖", True), ("act_std", "activation std", False),
           ("inactive", "inactive ReLUs (fraction)", False))


def plot_training_dynamics(history: Any, *, ax: Any = None, path: Union[str, "os.PathLike[str]", None] = None,
                           title: Optional[str] = None) -> Any:
    """Draw ``history.dynamics``: per layer, the gradient norm (log scale), the activations' spread
    and the fraction of inactive ReLUs, over the epochs; return the matplotlib Figure.

    Args:
        history: What ``fit(..., record="gradients")`` returned (or its ``.dynamics``).
        ax: Three Axes to draw into (a sequence); by default a new Figure with three panels.
        path: Also save the Figure there (``.svg``, ``.png`` or ``.pdf``).
        title: A title over the panels.

    Raises:
        ValueError: if the history has no dynamics (fit without ``record="gradients"``) or no epochs.
        ImportError: without matplotlib.
    """
    dynamics = history if isinstance(history, TrainingDynamics) else getattr(history, "dynamics", None)
    if dynamics is None or not dynamics.epochs:
        raise ValueError("plot_training_dynamics: no dynamics recorded; train with fit(..., record='gradients')")
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_training_dynamics needs matplotlib: pip install microgradlab[plot]") from None
    if ax is None:
        fig = Figure(figsize=(11.0, 3.4))
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
    if ax is None:
        fig.tight_layout()
    if path is not None:
        suffix = os.path.splitext(os.fspath(path))[1].lower()
        if suffix not in (".svg", ".png", ".pdf"):
            raise ValueError(f"plot_training_dynamics: the file must end in .svg, .png or .pdf, got {path!r}")
        fig.savefig(path, metadata={".svg": {"Date": None}, ".pdf": {"CreationDate": None}}.get(suffix))
    return fig
