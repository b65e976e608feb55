"""Neural networks on the scalar engine: :class:`Module`, :class:`Neuron`, :class:`Layer`, :class:`MLP`.

The classes follow micrograd's (a ``Neuron`` computes ``act(w · x + b)``, a
``Layer`` is a list of neurons, an ``MLP`` a list of layers) with PyTorch's
vocabulary on top: ``parameters()``, ``named_parameters()``, ``zero_grad()``,
``state_dict()`` / ``load_state_dict()``.

Weights and biases are :class:`~microgradlab.Parameter` leaves.  A neuron's
pre-activation is one ``dot`` node plus the bias, so an MLP's graph has three
nodes per neuron (``dot``, ``+``, activation).

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

import inspect
import json
import math
import numbers
import os
import random
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .datasets import check_random_state
from .engine import Parameter, Value, dot
from .modelfile import (FILE_FORMAT, FILE_VERSION, MAX_BYTES, MAX_PARAMETERS, ModelFileError, check_weights,
                        check_document, read_model_file, shorten, write_model_file)

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "ModelFileError",
    "ACTIVATIONS",
    "INITS",
    "default_init",
]

#: A tensor of parameters: one Parameter, or (nested) lists of them.
Tensor = Union[Parameter, Sequence[Any]]
Seed = Union[int, random.Random, None]
PathLike = Union[str, "os.PathLike[str]"]

#: Activation name -> the Value method applied to the pre-activation (None: identity).
_ACTIVATION_FUNCTIONS: Dict[str, Optional[Callable[[Value], Value]]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}
ACTIVATIONS = tuple(_ACTIVATION_FUNCTIONS)

#: Initialisation name -> bound ``a`` of the uniform distribution U(-a, a) of the
#: weights, from (fan_in, fan_out).  Biases start at 0 in every scheme.
_INIT_BOUNDS: Dict[str, Callable[[int, int], float]] = {
    # micrograd's Neuron: random.uniform(-1, 1)
    "uniform": lambda fan_in, fan_out: 1.0,
    # Glorot & Bengio (2010), torch.nn.init.xavier_uniform_: variance 2 / (fan_in + fan_out)
    "xavier": lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
    "glorot": lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
    # He et al. (2015), torch.nn.init.kaiming_uniform_(nonlinearity="relu"): variance 2 / fan_in
    "he": lambda fan_in, fan_out: math.sqrt(6.0 / fan_in),
    "kaiming": lambda fan_in, fan_out: math.sqrt(6.0 / fan_in),
}
INITS = tuple(_INIT_BOUNDS)


def default_init(activation: str) -> str:
    """The initialisation a model gets when none is named: ``"he"`` for ReLU, else ``"xavier"``.

    The same rule as the command line's, so a network built in Python starts
    (and trains) as the CLI's does.  On the digits (64-32-10, SGD with momentum,
    10 epochs) He starts at cross-entropy 2.45 where micrograd's ``"uniform"``
    starts at 7.6.

    >>> default_init("relu"), default_init("tanh")
    ('he', 'xavier')
    """
    return "he" if activation == "relu" else "xavier"


def _generator(seed: Seed, where: str) -> Any:
    """What weights are drawn from: Python's global ``random`` for None (as micrograd does), else a private one."""
    return random if seed is None or seed is random else check_random_state(seed, where, "seed")


# --- argument checks ---------------------------------------------------------------


def _check_size(where: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{where}: {name} must be at least 1, got {value!r}")
    return int(value)


def _config_size(name: str, value: Any) -> int:
    """A size read from a model file's config (its message shortens what a hostile file may hold)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int of at least 1, got {shorten(value)}")
    return value


def _check_choice(where: str, name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{where}: unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}")
    return value


# --- tensors: nested lists of Parameters -----------------------------------------------


def _is_tensor(value: Any) -> bool:
    if isinstance(value, Parameter):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(map(_is_tensor, value))


def _flatten(name: str, tensor: Tensor, out: List[Tuple[str, Parameter]]) -> None:
    if isinstance(tensor, Parameter):
        out.append((name, tensor))
    else:
        for i, item in enumerate(tensor):
            _flatten(f"{name}[{i}]", item, out)


def _floats(tensor: Tensor) -> Any:
    if isinstance(tensor, Parameter):
        return tensor.data
    return [_floats(item) for item in tensor]


def _describe(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    return repr(value) if len(repr(value)) <= 40 else f"a {type(value).__name__}"


def _check_like(where: str, tensor: Tensor, value: Any) -> None:
    """Raise ``ValueError`` unless ``value`` has ``tensor``'s nesting, with finite numbers at the leaves."""
    if isinstance(tensor, Parameter):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"load_state_dict: {where} must be a number, got {_describe(value)}")
        if not math.isfinite(value):
            raise ValueError(f"load_state_dict: {where} must be finite, got {value!r}")
        return
    if not isinstance(value, (list, tuple)) or len(value) != len(tensor):
        raise ValueError(f"load_state_dict: {where} must be a list of {len(tensor)}, got {_describe(value)}")
    for i, (item, sub) in enumerate(zip(tensor, value)):
        _check_like(f"{where}[{i}]", item, sub)


def _assign(tensor: Tensor, value: Any) -> None:
    if isinstance(tensor, Parameter):
        tensor.data = float(value)
    else:
        for item, sub in zip(tensor, value):
            _assign(item, sub)


class _ClassOrInstanceMethod:
    """A method that receives ``(cls, instance)``; ``instance`` is None when called on the class."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__doc__ = func.__doc__
        # What callers pass: the parameters after (cls, instance).
        signature = inspect.signature(func)
        self.signature = signature.replace(parameters=list(signature.parameters.values())[2:])

    def __get__(self, instance: Any, owner: type) -> Callable[..., Any]:
        func = self.func

        def bound(*args: Any, **kwargs: Any) -> Any:
            return func(owner, instance, *args, **kwargs)

        bound.__name__, bound.__qualname__, bound.__doc__ = func.__name__, func.__qualname__, func.__doc__
        bound.__signature__ = self.signature  # type: ignore[attr-defined]
        return bound


# --- Module -------------------------------------------------------------------------------


class Module:
    """Base class of models, in PyTorch's style.

    Calling a module runs :meth:`forward`.  Sub-modules and parameters are found
    from the attributes: an attribute holding a ``Module`` (or a list of them,
    named ``attr.0``, ``attr.1`` ...) is a child; one holding a ``Parameter``
    (or nested lists of them) is a parameter tensor.  Subclasses that store
    their parameters differently override :meth:`named_tensors`.  ``save`` and
    ``load`` also need :meth:`config`.

    >>> from microgradlab import Parameter
    >>> class Affine(Module):
    ...     def __init__(self):
    ...         self.scale = Parameter(2.0)
    ...         self.shift = [Parameter(0.5)]
    ...     def forward(self, x):
    ...         return self.scale * x + self.shift[0]
    >>> f = Affine()
    >>> f(3.0).data
    6.5
    >>> f.state_dict()
    {'scale': 2.0, 'shift': [0.5]}
    >>> [name for name, _ in f.named_parameters()]
    ['scale', 'shift[0]']
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """The direct sub-modules as ``(name, module)``, in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
                for i, child in enumerate(value):
                    yield f"{name}.{i}", child

    def named_tensors(self) -> Iterator[Tuple[str, Tensor]]:
        """The parameters grouped into named tensors (a Parameter or nested lists of them).

        These are the entries of :meth:`state_dict`; own tensors come first, then
        each child's, prefixed with the child's name.
        """
        for name, value in vars(self).items():
            if _is_tensor(value):
                yield name, value
        for prefix, child in self.named_children():
            for name, tensor in child.named_tensors():
                yield f"{prefix}.{name}", tensor

    def named_parameters(self) -> List[Tuple[str, Parameter]]:
        """Every scalar parameter with its name, e.g. ``("layers.0.weight[3][5]", p)``.

        The order is stable: tensor by tensor as in :meth:`state_dict`, each in
        row-major order.
        """
        out: List[Tuple[str, Parameter]] = []
        for name, tensor in self.named_tensors():
            _flatten(name, tensor, out)
        return out

    def parameters(self) -> List[Parameter]:
        """Every scalar parameter, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set the ``.grad`` of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> Dict[str, Any]:
        """The parameter values as plain floats: ``{tensor name: float or nested lists of floats}``."""
        return {name: _floats(tensor) for name, tensor in self.named_tensors()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set the parameters from a :meth:`state_dict`-shaped mapping.

        Everything is checked first -- the same keys, the same nesting and
        lengths, finite numbers -- and nothing changes unless all of it is
        right.

        Raises:
            TypeError: if ``state`` is not a mapping.
            ValueError: naming the missing, unexpected or malformed entry.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of tensor names, got {_describe(state)}")
        tensors = dict(self.named_tensors())
        missing = [name for name in tensors if name not in state]
        unexpected = [name for name in state if name not in tensors]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise ValueError(f"load_state_dict: {' and '.join(parts)} for {self!r}")
        for name, tensor in tensors.items():
            _check_like(name, tensor, state[name])
        for name, tensor in tensors.items():
            _assign(tensor, state[name])

    def config(self) -> Dict[str, Any]:
        """The constructor arguments (JSON values) that rebuild this architecture; used by :meth:`save`."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot be saved: define config() returning its constructor arguments")

    def save(self, path: PathLike, *, data: Optional[Mapping[str, Any]] = None) -> None:
        """Write the model to ``path`` as JSON: class, :meth:`config` and :meth:`state_dict`.

        ``data`` (JSON values) is stored alongside, as the file's ``"data"``
        section; the command line keeps the feature columns, their scaling and
        the class labels there.  The file is written whole or not at all.

        Raises:
            ValueError: if a parameter is NaN or infinite (the file could not be loaded back).
        """
        for name, p in self.named_parameters():
            if not math.isfinite(p.data):
                raise ValueError(f"save: parameter {name} is {p.data}; refusing to write a model that cannot be loaded")
        document = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "class": type(self).__name__,
            "config": self.config(),
            "state_dict": self.state_dict(),
        }
        if data is not None:
            document["data"] = dict(data)
        write_model_file(path, document)

    @classmethod
    def shapes_from_config(cls, config: Mapping[str, Any]) -> Optional[Iterable[Tuple[str, Tuple[int, ...]]]]:
        """The ``(name, shape)`` of each tensor the constructor would make from ``config``, without building.

        :meth:`load` checks a file's weights against them before building
        anything (so they may come from a generator).  A bad config raises
        ``ValueError``.  A subclass that does not override this returns None,
        and is built first, then checked.
        """
        return None

    @_ClassOrInstanceMethod
    def load(cls, model: Optional["Module"], path: PathLike, *, max_bytes: int = MAX_BYTES,
             max_parameters: int = MAX_PARAMETERS) -> "Module":
        """Read a model file written by :meth:`save`.

        ``MLP.load(path)`` builds a new model from the file.  ``model.load(path)``
        loads the file's weights into ``model`` (its class and :meth:`config`
        must match the file) and returns ``model``.  The file is JSON; it is
        never unpickled or evaluated.  Before a model is built, the weights in
        the file are checked against the architecture it declares, and the
        architecture against ``max_parameters``; the file against ``max_bytes``
        (see :mod:`microgradlab.modelfile`).

        Raises:
            ModelFileError: (a ``ValueError``) naming the file and the problem:
                too large, not JSON, not a model file, another class or architecture, or bad
                weights.  The model is unchanged.
            OSError: if the file cannot be read.
        """
        return _from_document(cls, model, read_model_file(path, max_bytes=max_bytes), path, max_parameters)

    @_ClassOrInstanceMethod
    def from_document(cls, model: Optional["Module"], document: Mapping[str, Any], *, source: str = "<document>",
                      max_parameters: int = MAX_PARAMETERS) -> "Module":
        """:meth:`load` from a document already read with :func:`~microgradlab.modelfile.read_model_file`.

        For callers that also want the file's ``"data"`` section, so the file
        is read once; ``source`` names it in messages.
        """
        return _from_document(cls, model, check_document(source, document), source, max_parameters)


def _from_document(cls: type, model: Optional[Module], document: Mapping[str, Any], path: PathLike,
                   max_parameters: int) -> Module:
    """The body of :meth:`Module.load`: everything checked before the model is built or changed."""
    target = type(model) if model is not None else cls
    if document["class"] != target.__name__:
        raise ModelFileError(f"{path}: holds a {document['class'][:60]}, not a {target.__name__}")
    config, state = document["config"], document["state_dict"]
    if model is not None:
        own = json.loads(json.dumps(model.config()))
        if config != own:
            raise ModelFileError(f"{path}: architecture {shorten(config)} does not match the model's {own}")
    try:
        shapes = target.shapes_from_config(config)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: bad config {shorten(config)}: {exc}") from None
    if shapes is not None:
        check_weights(path, state, shapes, max_parameters=max_parameters)
    if model is None:
        try:
            model = cls(**config)
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: bad config {shorten(config)}: {exc}") from None
    try:
        model.load_state_dict(state)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    return model


def _label_parameters(module: Module) -> None:
    """Label every parameter with its name (shown by the graph renderer)."""
    for name, p in module.named_parameters():
        p.label = name


# --- the layers ----------------------------------------------------------------------------


class Neuron(Module):
    """One unit: ``activation(dot(w, x, b))``, where ``dot`` is one engine node, bias included.

    Args:
        nin: Number of inputs.
        activation: ``"relu"`` (micrograd's default), ``"tanh"``, ``"sigmoid"`` or ``"linear"``.
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
        nin = _check_size("Neuron", "nin", nin)
        fan_out = _check_size("Neuron", "fan_out", fan_out)
        self.activation = _check_choice("Neuron", "activation", activation, ACTIVATIONS)
        init = default_init(activation) if init is None else init
        bound = _INIT_BOUNDS[_check_choice("Neuron", "init", init, INITS)](nin, fan_out)
        rng = _generator(seed, "Neuron")
        self.w = [Parameter(rng.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Parameter(0.0)
        self._act = _ACTIVATION_FUNCTIONS[activation]
        _label_parameters(self)

    @property
    def nin(self) -> int:
        return len(self.w)

    def __getstate__(self) -> Dict[str, Any]:
        """For pickle and deepcopy: the activation is kept by name (the Value method is not picklable)."""
        state = dict(vars(self))
        del state["_act"]
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        vars(self).update(state)
        self._act = _ACTIVATION_FUNCTIONS[self.activation]

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
        nin = _check_size("Layer", "nin", nin)
        nout = _check_size("Layer", "nout", nout)
        rng = _generator(seed, "Layer")
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
        activation: Hidden activation: ``"relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"``.
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
        nin = _check_size("MLP", "nin", nin)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise TypeError(f"MLP: sizes must be a non-empty list of layer widths, got {sizes!r}")
        sizes = [_check_size("MLP", "each of sizes", s) for s in sizes]
        _check_choice("MLP", "activation", activation, ACTIVATIONS)
        if output_activation is not None:
            _check_choice("MLP", "output_activation", output_activation, ACTIVATIONS)
        init = default_init(activation) if init is None else _check_choice("MLP", "init", init, INITS)
        rng = _generator(seed, "MLP")
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
