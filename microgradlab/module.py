"""The base class of models, :class:`Module`: finding parameters, ``state_dict`` and model files.

A module's parameters are found from its attributes (see :class:`Module`), and
grouped into named *tensors*: a :class:`~microgradlab.Parameter`, or nested
lists of them.  :meth:`Module.state_dict` maps each tensor's name to the same
nesting of plain floats; :meth:`Module.save` and :meth:`Module.load` write and
read them as JSON with the architecture (:meth:`Module.config`), through
:mod:`microgradlab.modelfile`.  The layers themselves are in
:mod:`microgradlab.nn`, which re-exports :class:`Module`.
"""

from __future__ import annotations

import inspect
import json
import math
import os
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .checks import is_real
from .engine import Parameter
from .modelfile import (FILE_FORMAT, FILE_VERSION, MAX_BYTES, MAX_PARAMETERS, ModelFileError, check_document,
                        check_weights, read_model_file, shorten, write_model_file)

__all__ = ["Module", "Tensor"]

#: A tensor of parameters: one Parameter, or (nested) lists of them.
Tensor = Union[Parameter, Sequence[Any]]
PathLike = Union[str, "os.PathLike[str]"]


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
        if not is_real(value):
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
            ~microgradlab.modelfile.ModelFileError: (a ``ValueError``) naming the file and the problem:
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

