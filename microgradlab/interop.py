"""Move networks between microgradlab and PyTorch: :func:`to_torch` and :func:`from_torch`.

A microgradlab :class:`~microgradlab.nn.MLP` is a stack of fully connected
layers, each followed by an activation, and its :meth:`~microgradlab.module.Module.state_dict`
already uses ``torch.nn.Linear``'s names and shapes (``weight`` is
``(nout, nin)``, ``bias`` is ``(nout,)``).  :func:`to_torch` builds the
``torch.nn.Sequential`` of ``Linear`` layers and activation modules that
computes the same function with the same weights, so a network prototyped
here keeps training in PyTorch unchanged; :func:`from_torch` goes back for a
``Sequential`` whose layers an MLP can express.

PyTorch is an optional dependency (``pip install "microgradlab[torch]"``),
imported only when these functions run.  The PyTorch model is ``float64`` by
default, the precision microgradlab computes in, so both give the same
outputs and gradients up to rounding; pass ``dtype=torch.float32`` for
PyTorch's usual precision.

The mapping, layer by layer:

* ``layers.i.weight`` and ``layers.i.bias`` are the weight and bias of a
  ``torch.nn.Linear(nin, nout)``;
* the layer's activation (see :class:`~microgradlab.nn.Layer`) follows it as
  the module :data:`TORCH_ACTIVATIONS` names: ``"relu"`` is ``torch.nn.ReLU()``,
  ``"tanh"`` is ``torch.nn.Tanh()``, ``"sigmoid"`` is ``torch.nn.Sigmoid()``, and
  ``"linear"`` adds nothing (:func:`from_torch` also accepts and skips
  ``torch.nn.Identity()``).  An activation of your own (an op defined with
  ``activation=True``) has no PyTorch module here, so :func:`to_torch` refuses it.
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, List, Optional, Tuple

from .nn import LINEAR, MLP, Layer

__all__ = ["to_torch", "from_torch", "TORCH_ACTIVATIONS"]

#: What PyTorch knows: a microgradlab activation's name -> the ``torch.nn`` module class that computes it.
TORCH_ACTIVATIONS: Dict[str, str] = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "softplus": "Softplus"}


def _import_torch(where: str) -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError(f"{where} needs PyTorch, which is not installed: "
                          f"pip install \"microgradlab[torch]\" (or torch==2.13.0)") from None


def to_torch(model: Any, *, dtype: Any = None) -> Any:
    """A ``torch.nn.Sequential`` that computes the same function as ``model``, with copies of its weights.

    Each :class:`~microgradlab.nn.Layer` becomes a ``torch.nn.Linear`` followed by
    its activation module (none for a linear layer), so ``MLP(2, [16, 16, 1])``
    becomes ``Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 1))``.
    The weights are copied: training either model afterwards leaves the other alone.

    The PyTorch model takes a batch, a tensor of shape ``(n, nin)``, and returns
    ``(n, nout)``; where the MLP returns a single Value (one output), PyTorch
    returns a column of one.

    Args:
        model: A microgradlab :class:`~microgradlab.nn.MLP` or :class:`~microgradlab.nn.Layer`.
        dtype: The ``torch.dtype`` of the parameters; ``None`` means ``torch.float64``,
            microgradlab's precision.

    Raises:
        TypeError: if ``model`` is not an MLP or a Layer.
        ValueError: naming the layer and its activation if ``torch.nn`` has no module for it
            (not in :data:`TORCH_ACTIVATIONS`).
        ImportError: if PyTorch is not installed.

    The how-to "Move a trained MLP to PyTorch" in the documentation shows both
    directions, with outputs and gradients compared.
    """
    torch = _import_torch("to_torch")
    if isinstance(model, MLP):
        layers: List[Layer] = list(model.layers)
    elif isinstance(model, Layer):
        layers = [model]
    else:
        raise TypeError(f"to_torch: expected a microgradlab MLP or Layer, got {type(model).__name__}")
    for i, layer in enumerate(layers):
        if layer.activation != LINEAR and layer.activation not in TORCH_ACTIVATIONS:
            raise ValueError(f"to_torch: layer {i} uses the activation {layer.activation!r}, which has no torch.nn "
                             f"module here; the ones that do: {', '.join(map(repr, TORCH_ACTIVATIONS))} and "
                             f"{LINEAR!r}")
    dtype = torch.float64 if dtype is None else dtype
    modules = []
    for layer in layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=dtype)
        state = layer.state_dict()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(state["weight"], dtype=torch.float64))
            linear.bias.copy_(torch.tensor(state["bias"], dtype=torch.float64))
        modules.append(linear)
        if layer.activation != LINEAR:
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[layer.activation])())
    return torch.nn.Sequential(*modules)


def _activation_name(torch: Any, module: Any) -> Optional[str]:
    """The microgradlab name of an activation module; ``"linear"`` for Identity, None if unsupported."""
    if type(module) is torch.nn.Identity:
        return LINEAR
    for name, cls_name in TORCH_ACTIVATIONS.items():
        if type(module) is getattr(torch.nn, cls_name):
            return name
    return None


def _read_layers(torch: Any, net: Any) -> List[Tuple[Any, str]]:
    """``net``'s Linear layers, each with the activation that follows it."""
    layers: List[Tuple[Any, str]] = []
    for index, module in enumerate(net):
        where = f"from_torch: module {index} ({module!r})"
        if type(module) is torch.nn.Linear:
            if module.bias is None:
                raise ValueError(f"{where} has no bias; every microgradlab layer has one")
            if layers and layers[-1][0].out_features != module.in_features:
                raise ValueError(f"{where} takes {module.in_features} inputs but the layer before it "
                                 f"gives {layers[-1][0].out_features}")
            layers.append((module, LINEAR))
            continue
        activation = _activation_name(torch, module)
        if activation is None:
            supported = ", ".join(["Linear", *TORCH_ACTIVATIONS.values()])
            raise ValueError(f"{where} is not supported; an MLP holds only {supported} and Identity modules")
        if activation == LINEAR:
            continue
        if not layers:
            raise ValueError(f"{where} comes before any Linear layer")
        if layers[-1][1] != LINEAR:
            raise ValueError(f"{where} follows another activation after the same Linear layer")
        layers[-1] = (layers[-1][0], activation)
    if not layers:
        raise ValueError("from_torch: the Sequential holds no Linear layer")
    return layers


def from_torch(net: Any) -> MLP:
    """The microgradlab :class:`~microgradlab.nn.MLP` equivalent to a ``torch.nn.Sequential``.

    ``net`` must be a chain of ``torch.nn.Linear`` layers (with biases), each
    optionally followed by one activation module of :data:`TORCH_ACTIVATIONS` (``Identity``
    modules are allowed anywhere and ignored).  All
    hidden layers must share one activation, as in an MLP; the last layer's
    becomes ``output_activation``.  The weights are copied as float64.

    Raises:
        TypeError: if ``net`` is not a ``torch.nn.Sequential``.
        ValueError: naming the module an MLP cannot express: an unsupported
            module, a Linear without bias, mismatched widths, or hidden layers
            with different activations.
        ImportError: if PyTorch is not installed.
    """
    torch = _import_torch("from_torch")
    if not isinstance(net, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(net).__name__}")
    layers = _read_layers(torch, net)
    hidden = sorted({activation for _, activation in layers[:-1]})
    if len(hidden) > 1:
        raise ValueError(f"from_torch: the hidden layers mix activations {hidden}; an MLP uses one for all")
    last = layers[-1][1]
    model = MLP(layers[0][0].in_features, [linear.out_features for linear, _ in layers],
                activation=hidden[0] if hidden else "relu",
                output_activation=None if last == LINEAR else last, seed=0)
    state = {}
    for i, (linear, _) in enumerate(layers):
        state[f"layers.{i}.weight"] = linear.weight.detach().to(torch.float64).tolist()
        state[f"layers.{i}.bias"] = linear.bias.detach().to(torch.float64).tolist()
    model.load_state_dict(state)
    return model
