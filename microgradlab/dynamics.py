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


from .plots import plot_training_dynamics  # noqa: E402,F401  (drawn with the other plots, re-exported here)
