"""Models: a network and a loss, compiled together for mini-batch training."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..engine import TracingError, Value, vsum
from .errors import CompileError, _numpy
from .runtime import Gradients, compile
from .shapes import _number

#: Label sets up to this size are compiled as a mixture of one traced loss per
#: label (see :func:`compile_model`); larger ones are passed to the loss as Values.
MAX_LABELS = 64

# --- models: a network and a loss, compiled for training -------------------------------------


def _label_key(label: Any) -> Any:
    """A hashable stand-in for a label (lists become tuples), or None if there is none."""
    if isinstance(label, (list, tuple)):
        keys = tuple(_label_key(item) for item in label)
        return None if None in keys else keys
    try:
        hash(label)
    except TypeError:
        return None
    return label


def _loss_value(loss: Callable[[Any, Any], Value], output: Any, label: Any) -> Value:
    """The loss of one sample, as the batch-of-one mean ``loss([output], [label])``."""
    value = loss([output], [label])
    if not isinstance(value, Value):
        raise TypeError(f"compile_model: the loss function must return a Value, got {value!r}")
    return value


class CompiledModel:
    """A model with a loss, compiled for mini-batch training; made by :func:`compile_model`.

    Attributes:
        model: The model (its parameters get the gradients).
        labels: The distinct labels when the loss is traced once per label, else None.
        train_function: The :class:`CompiledFunction` of ``(loss, outputs)`` for one sample.
        predict_function: The :class:`CompiledFunction` of the model's outputs.
    """

    def __init__(self, model: Any, loss: Callable[[Any, Any], Value], example_input: Sequence[float],
                 labels: Sequence[Any], *, fuse: bool = True, check: bool = True) -> None:
        self.model = model
        params = list(model.parameters())
        x0 = [_number(v, "compile_model: example_input") for v in example_input]
        keys: Dict[Any, int] = {}
        distinct: List[Any] = []
        for label in labels:
            key = _label_key(label)
            if key is None:
                distinct = []
                break
            if key not in keys:
                keys[key] = len(distinct)
                distinct.append(label)
                if len(distinct) > MAX_LABELS:
                    break
        if not labels:
            raise ValueError("compile_model: no labels")
        self.predict_function = compile(lambda x: model(x), (x0,), params, fuse=fuse, check=check)
        if 0 < len(distinct) <= MAX_LABELS:
            # One traced loss per label, weighted by a one-hot input: loss = Σ_c [label = c] · loss(out, c).
            # Exactly the scalar loss for every sample, whatever Python the loss runs on its labels.
            self.labels: Optional[List[Any]] = distinct
            self._index = keys

            def per_label(x: List[Value], one_hot: List[Value]) -> Tuple[Value, Any]:
                out = model(x)
                return vsum([m * _loss_value(loss, out, c) for m, c in zip(one_hot, distinct)]), out

            example = [1.0] + [0.0] * (len(distinct) - 1)
            self.train_function = compile(per_label, (x0, example), params, has_aux=True, fuse=fuse, check=check)
        else:
            self.labels = None
            first = labels[0]

            def with_labels(x: List[Value], label: Any) -> Tuple[Value, Any]:
                out = model(x)
                return _loss_value(loss, out, label), out

            try:
                self.train_function = compile(with_labels, (x0, first), params, has_aux=True, fuse=fuse,
                                              check=check)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, (TracingError, CompileError)):
                    raise
                raise CompileError(
                    f"compile_model: with more than {MAX_LABELS} distinct labels the labels are passed to the "
                    f"loss as Values, and this loss does not take them: {exc}") from exc

    def _encode(self, labels: Sequence[Any], batch: int) -> Any:
        np = _numpy()
        if len(labels) != batch:
            raise ValueError(f"compile_model: {batch} inputs but {len(labels)} labels")
        if self.labels is None:
            return labels
        columns = []
        for i, label in enumerate(labels):
            column = self._index.get(_label_key(label))
            if column is None:
                raise ValueError(f"compile_model: label {i} ({label!r}) is not one of the labels the model "
                                 f"was compiled for: {self.labels!r}")
            columns.append(column)
        one_hot = np.zeros((batch, len(self.labels)))
        one_hot[np.arange(batch), columns] = 1.0
        return one_hot

    def value_and_grad(self, X: Any, labels: Sequence[Any], *, reduction: str = "mean") -> Gradients:
        """Per-sample losses and outputs, and the parameters' gradient, without touching ``.grad``.

        ``outputs`` is ``(losses, model outputs)``; see :meth:`CompiledFunction.value_and_grad`.
        """
        np = _numpy()
        X = np.asarray(X, dtype=np.float64)
        return self.train_function.value_and_grad(X, self._encode(labels, len(X)), reduction=reduction)

    def forward_backward(self, X: Any, labels: Sequence[Any]) -> Tuple[float, List[Any]]:
        """One batch: the mean loss, with its gradient added to the parameters' ``.grad``.

        A drop-in for :func:`microgradlab.train.forward_backward`.

        Returns:
            The mean loss as a float, and the outputs as floats (a list of floats per sample
            for a model with several outputs).
        """
        np = _numpy()
        X = np.asarray(X, dtype=np.float64)
        losses, outputs = self.train_function(X, self._encode(labels, len(X)))
        with np.errstate(all="ignore"):  # a diverging run is fit's to report, in one line
            return float(losses.mean()), outputs.tolist()

    def loss(self, X: Any, labels: Sequence[Any]) -> float:
        """The mean loss on ``(X, labels)``, without gradients."""
        np = _numpy()
        X = np.asarray(X, dtype=np.float64)
        losses, _ = self.train_function.forward(X, self._encode(labels, len(X)))
        with np.errstate(all="ignore"):
            return float(losses.mean())

    def predict(self, X: Any) -> Any:
        """The model's outputs for each row of ``X``: shape ``(n,)`` or ``(n, outputs)``."""
        return self.predict_function.forward(X)


def compile_model(model: Any, loss: Callable[[Any, Any], Value], example_input: Sequence[float],
                  labels: Sequence[Any], *, fuse: bool = True, check: bool = True) -> CompiledModel:
    """Compile ``model`` with ``loss`` for batched training (what ``fit(..., compiled=True)`` uses).

    Args:
        model: Called with one row (a list of Values), returns a Value or a list of them;
            has ``parameters()``.
        loss: ``loss(outputs, labels)`` for a batch, returning its **mean** (the
            convention of :mod:`microgradlab.losses`); it is traced on one sample.
        example_input: One row of inputs.
        labels: The training labels (all of them, or at least every distinct one).  Up
            to :data:`MAX_LABELS` distinct labels (classes, one-hot vectors, ±1), the
            loss is traced once per label and a one-hot input selects the right one, so
            any loss works exactly as on the scalar engine.  With more (regression
            targets), the labels are passed to the loss as Values.
        fuse, check: As for :func:`compile`.

    >>> from microgradlab.nn import MLP
    >>> from microgradlab.losses import cross_entropy
    >>> model = MLP(4, [8, 3], seed=0)
    >>> runner = compile_model(model, cross_entropy, [0.0] * 4, [0, 1, 2])
    >>> model.zero_grad()
    >>> loss, outputs = runner.forward_backward([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 1.0]], [2, 0])
    >>> reference = cross_entropy([model([0.1, 0.2, 0.3, 0.4]), model([1.0, 0.0, 0.0, 1.0])], [2, 0])
    >>> bool(abs(loss - reference.data) < 1e-12), len(outputs), len(outputs[0])
    (True, 2, 3)
    """
    return CompiledModel(model, loss, example_input, labels, fuse=fuse, check=check)

