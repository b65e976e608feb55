"""Neural networks on the scalar engine: :class:`Module`, :class:`Neuron`, :class:`Layer`, :class:`MLP`.

The classes follow micrograd's (a ``Neuron`` computes ``act(w · x + b)``, a
``Layer`` is a list of neurons, an ``MLP`` a list of layers) with PyTorch's
vocabulary on top: ``parameters()``, ``named_parameters()``, ``zero_grad()``,
``state_dict()`` / ``load_state_dict()``.

Weights and biases are :class:`~microgradlab.Parameter` leaves.  A neuron's
pre-activation ``w · x + b`` is one ``dot`` node, bias included, so an MLP's
graph has two nodes per neuron (``dot`` and the activation).

The activations are the ops of the op table defined with ``activation=True``
(``tanh``, ``sigmoid``, ``relu``, and any of your own), plus ``"linear"``,
which applies nothing: see :func:`activations`.  The base class
:class:`Module` lives in :mod:`microgradlab.module` and the initialisation
schemes in :mod:`microgradlab.init`; both are re-exported here.

Parameter names and shapes follow ``torch.nn.Linear``: a layer's parameters are
a ``weight`` of shape ``(nout, nin)`` (row ``j`` is neuron ``j``'s weights) and
a ``bias`` of shape ``(nout,)``; inside an MLP they are ``layers.0.weight``,
``layers.0.bias``, ``layers.1.weight`` ...  ``named_parameters()`` names each
scalar by its index, ``layers.0.weight[3][5]``; ``state_dict()`` maps each
tensor name to nested lists of floats, so
``{"layers.0.weight": [[...], ...], "layers.0.bias": [...]}`` loads into a
``torch.nn.Sequential`` of ``Linear`` layers name for name (with ``layers.``
replaced by the Sequential's indices).

>>> from microgradlab import Value
>>> from microgradlab.nn import MLP
>>> model = MLP(2, [3, 1], seed=0)
>>> out = model([1.0, -2.0])            # one output: a single Value
>>> isinstance(out, Value), len(model.parameters())      # (2*3 + 3) + (3*1 + 1) parameters
(True, 13)
>>> [(name, len(v) if isinstance(v, list) else v) for name, v in model.state_dict().items()]
[('layers.0.weight', 3), ('layers.0.bias', 3), ('layers.1.weight', 1), ('layers.1.bias', 1)]
>>> model.named_parameters()[0][0]
'layers.0.weight[0][0]'

Saving writes JSON (never pickle) with the architecture, so the class can
rebuild the model; called on an instance, ``load`` fills that model in place
after checking that the file describes the same architecture:

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "model.json")
>>> model.save(path)
>>> MLP.load(path).state_dict() == model.state_dict()
True
>>> other = MLP(2, [3, 1], seed=1)
>>> other.load(path) is other, other.state_dict() == model.state_dict()
(True, True)
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import ops
from .checks import RandomState, check_choice, check_int, is_int
from .engine import Parameter, Value, dot
from .nary import unary
from .init import INITS, default_init, init_bound, weight_generator
from .modelfile import ModelFileError, shorten
from .module import Module, Tensor

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "ModelFileError",
    "ACTIVATIONS",
    "LINEAR",
    "activations",
    "check_activation",
    "INITS",
    "default_init",
]

Seed = RandomState

# --- activations: the ops of the table flagged ``activation``, and "linear" -------------------

#: The activation that applies nothing: the layer's output is its pre-activation ``w · x + b``.
LINEAR = "linear"


def activations() -> Tuple[str, ...]:
    """The activations a layer accepts: each op defined with ``activation=True``, then ``"linear"``.

    An op added by ``ops.define(..., activation=True)`` is accepted from then on.

    >>> activations()
    ('tanh', 'sigmoid', 'relu', 'softplus', 'linear')
    """
    return ops.activations() + (LINEAR,)


def __getattr__(name: str) -> Any:
    """``ACTIVATIONS``: the names of :func:`activations` as the op table holds them now."""
    if name == "ACTIVATIONS":
        return activations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_activation(where: str, name: str, value: Any) -> str:
    """``value`` if it names an activation (see :func:`activations`), else a ``ValueError`` listing them.

    >>> check_activation("MLP", "activation", "exp")
    Traceback (most recent call last):
    ...
    ValueError: MLP: unknown activation 'exp'; choose one of 'tanh', 'sigmoid', 'relu', 'softplus', 'linear' ('exp' is an op \
but not an activation: a unary op becomes one when defined with ops.define(..., activation=True))
    """
    known = activations()
    prim = ops.PRIMITIVES.get(value) if isinstance(value, str) else None
    if prim is not None and not prim.activation:
        why = ("a unary op becomes one when defined with ops.define(..., activation=True)" if prim.arity == 1
               else "an activation takes one input")
        raise ValueError(f"{where}: unknown {name} {value!r}; choose one of {', '.join(map(repr, known))} "
                         f"({value!r} is an op but not an activation: {why})")
    return check_choice(where, name, value, known)


def _activation_function(activation: str) -> Optional[Callable[[Value], Value]]:
    """The function a neuron applies to its pre-activation (None for linear): the op table's entry."""
    return None if activation == LINEAR else unary(ops.get(activation))  # shared with apply()


def _config_size(name: str, value: Any) -> int:
    """A size read from a model file's config (its message shortens what a hostile file may hold)."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{name} must be an int of at least 1, got {shorten(value)}")
    return value


def _label_parameters(module: Module) -> None:
    """Label every parameter with its name (shown by the graph renderer)."""
    for name, p in module.named_parameters():
        p.label = name


# --- the layers ----------------------------------------------------------------------------


class Neuron(Module):
    """One unit: ``activation(dot(w, x, b))``, where ``dot`` is one engine node, bias included.

    Args:
        nin: Number of inputs.
        activation: ``"relu"`` (micrograd's default), ``"tanh"``, ``"sigmoid"``, ``"softplus"``,
            ``"linear"``, or any op defined with ``activation=True`` (see :func:`activations`).
        init: Weight initialisation, ``U(-a, a)`` with ``a`` = 1 for ``"uniform"``
            (micrograd's), ``sqrt(6 / (fan_in + fan_out))`` for ``"xavier"``
            (alias ``"glorot"``), ``sqrt(6 / fan_in)`` for ``"he"`` (alias
            ``"kaiming"``); None (the default) picks :func:`default_init` of
            the activation.  The bias starts at 0.
        seed: An int for reproducible weights, a :class:`random.Random` to
            draw from, or None to draw from Python's global :mod:`random`
            (so ``random.seed(...)`` reproduces them, as in micrograd).
        fan_out: The ``fan_out`` used by Xavier initialisation (a Layer passes its width).

    Attributes:
        w: The ``nin`` weight Parameters.
        b: The bias Parameter.

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.w[0].data, n.w[1].data = 0.5, -1.0
    >>> n.b.data = 0.25
    >>> out = n([2.0, 3.0])
    >>> out.data, out.op.name       # w · x + b in one node
    (-1.75, 'dot')
    """

    def __init__(self, nin: int, activation: str = "relu", *, init: Optional[str] = None, seed: Seed = None,
                 fan_out: int = 1) -> None:
        nin = check_int("Neuron", "nin", nin, minimum=1)
        fan_out = check_int("Neuron", "fan_out", fan_out, minimum=1)
        self.activation = check_activation("Neuron", "activation", activation)
        init = default_init(activation) if init is None else init
        bound = init_bound(init, nin, fan_out, "Neuron")
        rng = weight_generator(seed, "Neuron")
        self.w = [Parameter(rng.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Parameter(0.0)
        self._act = _activation_function(activation)
        _label_parameters(self)

    @property
    def nin(self) -> int:
        return len(self.w)

    def __getstate__(self) -> Dict[str, Any]:
        """For pickle and deepcopy: the activation is kept by name (its function is not picklable).

        Unpickling looks the name up in the op table again, so a model with an
        activation of your own unpickles once that op is defined.
        """
        state = dict(vars(self))
        del state["_act"]
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        vars(self).update(state)
        self._act = _activation_function(check_activation("Neuron", "activation", self.activation))

    def forward(self, x: Sequence[Any]) -> Value:
        """``activation(dot(w, x, b))`` for ``nin`` inputs (floats or Values): one dot node, bias included."""
        out = dot(self.w, x, self.b)
        act = self._act
        return out if act is None else act(out)

    def named_tensors(self) -> Iterator[Tuple[str, Tensor]]:
        yield "weight", self.w
        yield "bias", self.b

    def config(self) -> Dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}

    @classmethod
    def shapes_from_config(cls, config: Mapping[str, Any]) -> Iterable[Tuple[str, Tuple[int, ...]]]:
        return [("weight", (_config_size("nin", config.get("nin")),)), ("bias", ())]

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


def _input_length(module: Any, x: Any) -> None:
    """The one check on a model's input: ``ValueError`` unless it has ``module.nin`` items."""
    try:
        n = len(x)
    except TypeError:
        raise TypeError(f"{module!r}: expected a list of {module.nin} numbers or Values, got {x!r}") from None
    if n != module.nin:
        raise ValueError(f"{module!r}: expected an input of length {module.nin}, got {n}")


class Layer(Module):
    """``nout`` neurons that see the same ``nin`` inputs (``torch.nn.Linear`` plus an activation).

    Its parameters are a ``weight`` tensor of shape ``(nout, nin)`` -- row ``j``
    is ``neurons[j].w`` -- and a ``bias`` of length ``nout``.  Calling it returns
    a list of ``nout`` Values, or one Value when ``nout == 1`` (as micrograd's).

    Args:
        nin: Number of inputs.
        nout: Number of neurons.
        activation, init, seed: As for :class:`Neuron`.

    >>> layer = Layer(3, 2, seed=0)
    >>> [len(row) for row in layer.state_dict()["weight"]]
    [3, 3]
    >>> len(layer([1.0, 2.0, 3.0]))
    2
    >>> layer([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: Layer(3, 2, activation='relu'): expected an input of length 3, got 2
    """

    def __init__(self, nin: int, nout: int, activation: str = "relu", *, init: Optional[str] = None,
                 seed: Seed = None) -> None:
        nin = check_int("Layer", "nin", nin, minimum=1)
        nout = check_int("Layer", "nout", nout, minimum=1)
        rng = weight_generator(seed, "Layer")
        self.neurons = [Neuron(nin, activation, init=init, seed=rng, fan_out=nout) for _ in range(nout)]
        self.nin = nin
        self.nout = nout
        self.activation = activation
        _label_parameters(self)

    def forward(self, x: Sequence[Any]) -> Union[Value, List[Value]]:
        _input_length(self, x)
        out = self._outputs(x)
        return out[0] if len(out) == 1 else out

    def _outputs(self, x: Sequence[Any]) -> List[Value]:
        x = tuple(x)  # dot() takes a tuple as it is, once for all neurons
        return [n.forward(x) for n in self.neurons]

    def named_tensors(self) -> Iterator[Tuple[str, Tensor]]:
        yield "weight", [n.w for n in self.neurons]
        yield "bias", [n.b for n in self.neurons]

    def config(self) -> Dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    @classmethod
    def shapes_from_config(cls, config: Mapping[str, Any]) -> Iterable[Tuple[str, Tuple[int, ...]]]:
        nin, nout = _config_size("nin", config.get("nin")), _config_size("nout", config.get("nout"))
        return [("weight", (nout, nin)), ("bias", (nout,))]

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one :class:`Layer` per entry of ``sizes``.

    Hidden layers use ``activation``; the last uses ``output_activation``
    (``None`` means linear, as in micrograd, so outputs are scores/logits).
    ``MLP(2, [16, 16, 1])`` is micrograd's moons classifier.  Called with a list
    of ``nin`` floats or Values, it returns a list of Values, or a single Value
    when the last layer has one output.

    Args:
        nin: Number of inputs.
        sizes: Width of each layer, the last being the number of outputs.
        activation: Hidden activation: ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"softplus"``, ``"linear"``, or any
            op defined with ``activation=True`` (see :func:`activations`).
        output_activation: Activation of the last layer (None: linear).
        init: ``"he"``/``"kaiming"``, ``"xavier"``/``"glorot"`` or ``"uniform"``
            (micrograd's U(-1, 1)); see :class:`Neuron`.  None (the default) is
            :func:`default_init` of ``activation`` for every layer -- He for
            ReLU networks, Xavier otherwise -- the command line's rule.
        seed: An int gives the same weights every time (from a private
            :class:`random.Random`); None draws them from Python's global
            :mod:`random`, so ``random.seed(1337)`` before building the model
            makes a whole script reproducible, as in micrograd and as
            PyTorch's global generator does.

    Raises:
        ValueError: for a size below 1 or an unknown activation or init; and,
            on a call, for an input whose length is not ``nin``.

    >>> model = MLP(2, [4, 3], activation="tanh", init="xavier", seed=42)
    >>> model
    MLP(2, [4, 3], activation='tanh', output_activation=None)
    >>> [round(v.data, 6) for v in model([0.0, 0.0])]      # zero biases: zero outputs
    [0.0, 0.0, 0.0]
    >>> model([1.0])
    Traceback (most recent call last):
    ...
    ValueError: MLP(2, [4, 3], activation='tanh', output_activation=None): expected an input of length 2, got 1
    """

    def __init__(self, nin: int, sizes: Sequence[int], activation: str = "relu",
                 output_activation: Optional[str] = None, *, init: Optional[str] = None, seed: Seed = None) -> None:
        nin = check_int("MLP", "nin", nin, minimum=1)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise TypeError(f"MLP: sizes must be a non-empty list of layer widths, got {sizes!r}")
        sizes = [check_int("MLP", "each of sizes", s, minimum=1) for s in sizes]
        check_activation("MLP", "activation", activation)
        if output_activation is not None:
            check_activation("MLP", "output_activation", output_activation)
        init = default_init(activation) if init is None else check_choice("MLP", "init", init, INITS)
        rng = weight_generator(seed, "MLP")
        widths = [nin] + sizes
        last = len(sizes) - 1
        self.layers = [
            Layer(widths[i], widths[i + 1], activation if i < last else (output_activation or "linear"),
                  init=init, seed=rng)
            for i in range(len(sizes))
        ]
        self.nin = nin
        self.sizes = sizes
        self.activation = activation
        self.output_activation = output_activation
        _label_parameters(self)

    @property
    def nout(self) -> int:
        return self.sizes[-1]

    def forward(self, x: Sequence[Any]) -> Union[Value, List[Value]]:
        _input_length(self, x)
        for layer in self.layers:
            x = layer._outputs(x)
        return x[0] if len(x) == 1 else x

    def config(self) -> Dict[str, Any]:
        return {"nin": self.nin, "sizes": list(self.sizes), "activation": self.activation,
                "output_activation": self.output_activation}

    @classmethod
    def shapes_from_config(cls, config: Mapping[str, Any]) -> Iterable[Tuple[str, Tuple[int, ...]]]:
        sizes = config.get("sizes")
        if not isinstance(sizes, list) or not sizes:
            raise ValueError(f"sizes must be a non-empty list of layer widths, got {shorten(sizes)}")
        widths = [_config_size("nin", config.get("nin"))] + [_config_size("each of sizes", s) for s in sizes]
        def shapes() -> Iterator[Tuple[str, Tuple[int, ...]]]:  # lazy: a file may declare 100,000 layers
            for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
                yield f"layers.{i}.weight", (fan_out, fan_in)
                yield f"layers.{i}.bias", (fan_out,)

        return shapes()

    def __repr__(self) -> str:
        return (f"MLP({self.nin}, {self.sizes}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r})")
