"""Models: a network and a loss, compiled together for mini-batch training.

Up to :data:`MAX_LABELS` distinct labels (classes, one-hot vectors, ±1), the
loss is traced **once per label**, each time at a sample that has that label
(the first in ``inputs``), and a batch evaluates every label's loss and keeps
the true one: its forward picks each sample's own column, its backward seeds
only that column, and the chain rule's zero-wins products make the other
labels' branches pass nothing on -- a branch that overflows or fails for a
label a sample does not have is never the user's error.  Labels are told
apart by type and value (``True``, ``1`` and ``1.0`` are three labels, as they
are to the losses), so each is checked by the loss exactly as on the scalar
engine.  With more distinct labels (regression targets) the labels are an
input of the traced loss.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..checks import is_real
from ..engine import TracingError, Value, no_grad
from .errors import CompileError, load_numpy
from .params import ParameterArrays
from .runtime import CompiledFunction, Gradients, trace_checked, compile, replay
from .shapes import tree_flatten, tree_unflatten, as_number, tree_shape

#: Label sets up to this size are compiled as one traced loss per label (see
#: :func:`compile_model`); larger ones are passed to the loss as Values.
MAX_LABELS = 64


def _label_key(label: Any) -> Any:
    """A hashable stand-in for a label that tells ``True``, ``1`` and ``1.0`` apart, or None."""
    if isinstance(label, (list, tuple)):
        keys = tuple(_label_key(item) for item in label)
        return None if None in keys else (type(label), keys)
    try:
        hash(label)
    except TypeError:
        return None
    if isinstance(label, float) and math.isnan(label):
        return None  # NaN is not equal to itself: it cannot select a branch
    return (type(label), label)


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
        train_function: The :class:`CompiledFunction` of the per-label losses (or the loss)
            followed by the model's outputs, for one sample.
        predict_function: The :class:`CompiledFunction` of the model's outputs.
        arrays: The parameters as arrays while :meth:`train_step` trains (see :meth:`sync`).
    """

    def __init__(self, model: Any, loss: Callable[[Any, Any], Value], example_input: Sequence[float],
                 labels: Sequence[Any], *, inputs: Optional[Sequence[Any]] = None, fuse: bool = True,
                 check: bool = True) -> None:
        np = load_numpy()
        self.model = model
        self._loss_fn = loss
        params = list(model.parameters())
        x0 = _rows(model, [example_input], len(example_input))[0].tolist()
        if inputs is not None:
            inputs = _rows(model, inputs, len(x0))
        #: The training rows as a float array (when given), converted once.
        self.inputs = inputs
        labels = list(labels)
        if not labels:
            raise ValueError("compile_model: no labels")
        if inputs is not None and len(inputs) != len(labels):
            raise ValueError(f"compile_model: {len(inputs)} inputs but {len(labels)} labels")
        keys: Dict[Any, int] = {}
        distinct: List[Any] = []
        where: List[int] = []  # for each distinct label, a sample that has it
        for i, label in enumerate(labels):
            key = _label_key(label)
            if key is None:
                distinct = []
                break
            if key not in keys:
                keys[key] = len(distinct)
                distinct.append(label)
                where.append(i)
                if len(distinct) > MAX_LABELS:
                    break
        self.predict_function = compile(lambda x: model(x), (x0,), params, fuse=fuse, check=check)
        self._k = math.prod(self.predict_function._out_shapes[0])

        def outputs_at(i: int) -> List[float]:
            """The model's outputs for sample i, where the loss of its label is traced."""
            x = x0 if inputs is None else inputs[i].tolist()
            with no_grad():
                return [v.data if isinstance(v, Value) else float(v) for v in tree_flatten(model(x))]

        if 0 < len(distinct) <= MAX_LABELS:
            self.labels: Optional[List[Any]] = distinct
            self._index = keys

            out_shape = self.predict_function._out_shapes[0]

            def branch(label: Any) -> Callable[[List[Value]], Value]:
                return lambda outputs: _loss_value(loss, tree_unflatten(outputs, out_shape), label)

            # the model once, then each label's loss applied to its outputs, at a sample of that label
            pieces: List[Any] = [(lambda x: model(x), [x0])]
            pieces += [(branch(c), [outputs_at(i)], 0) for c, i in zip(distinct, where)]
            traced_shapes = [(len(x0),)]

            def every_label(x: List[Value]) -> List[Value]:  # what the pieces compute together, in one call
                out = model(x)
                return tree_flatten(out) + [_loss_value(loss, out, c) for c in distinct]

            fn: Callable[..., Any] = every_label
        else:
            self.labels = None
            first = labels[0]

            def with_label(x: List[Value], label: Any) -> List[Value]:
                out = model(x)
                return tree_flatten(out) + [_loss_value(loss, out, label)]

            fn = with_label
            pieces = [(fn, [x0, [as_number(v, "compile_model: label 0") for v in tree_flatten(first)]])]
            traced_shapes = [(len(x0),), tree_shape(first, "compile_model: label 0")]
        try:
            traced, out_shapes = trace_checked(pieces, traced_shapes, params, False, check)
        except (TypeError, ValueError, ArithmeticError) as exc:
            if isinstance(exc, (CompileError, TracingError)):
                raise
            if self.labels is None:
                raise CompileError(
                    f"compile_model: with more than {MAX_LABELS} distinct labels the labels are passed to the "
                    f"loss as Values, and this loss does not take them: {exc}") from exc
            rows = [0] + where if inputs is not None else [0]
            examples = [x0] + [inputs[i].tolist() for i in where] if inputs is not None else [x0]
            nan = [f"; input {i} has nan at feature {row.index(v)} (NaN in, NaN out)"
                   for i, row in zip(rows, examples) for v in row if v != v][:1]
            raise CompileError(f"compile_model: the loss does not trace at a sample of each label: "
                               f"{type(exc).__name__}: {exc}{''.join(nan)}") from exc
        self.train_function = CompiledFunction(np, fn, traced, traced_shapes, out_shapes, params, False, fuse)
        self.arrays = ParameterArrays(np, params)
        self.train_function.arrays = self.predict_function.arrays = self.arrays
        self._n_losses = len(distinct) if self.labels is not None else 1

    # --- data ------------------------------------------------------------------------

    def rows(self, X: Any) -> Any:
        """``X`` as a float array of shape ``(n, inputs)``; a bad row gets the scalar model's own error."""
        return _rows(self.model, X, self.train_function._shapes[0][0])

    def encode(self, labels: Sequence[Any]) -> Any:
        """The labels as the compiled loss takes them: each label's column, or the labels as an array."""
        np = load_numpy()
        if self.labels is None:
            for i, label in enumerate(labels):
                if not _is_flat_number(label):
                    # the scalar loss checks the label (and says what is wrong with it)
                    _loss_value(self._loss_fn, self.predict_function.forward(
                        np.zeros((1, self.train_function._shapes[0][0])))[0].tolist(), label)
                    raise ValueError(f"compile_model: label {i} must be a finite number or list of them, "
                                     f"got {label!r}")
            return np.asarray(labels, dtype=np.float64)
        columns = []
        for i, label in enumerate(labels):
            column = self._index.get(_label_key(label))
            if column is None:
                raise ValueError(f"compile_model: label {i} ({label!r}) is not one of the labels the model "
                                 f"was compiled for: {self.labels!r}")
            columns.append(column)
        return np.asarray(columns, dtype=np.intp)

    # --- running ---------------------------------------------------------------------

    def _run(self, X: Any, encoded: Any, reduction: str = "mean", backward: bool = True) -> Tuple[Any, Any, Any]:
        """Per-sample losses, the outputs (batch, k) and the gradient of the reduced loss (or None)."""
        np = load_numpy()
        batch = len(X)
        if len(encoded) != batch:
            raise ValueError(f"compile_model: {batch} inputs but {len(encoded)} labels")
        args = (X,) if self.labels is not None else (X, encoded)
        width = self._n_losses + self._k
        cotangent = np.zeros((batch, width))
        column = self._k + (encoded if self.labels is not None else np.zeros(batch, dtype=np.intp))
        rows = np.arange(batch)
        cotangent[rows, column] = 1.0 / batch if reduction == "mean" else 1.0
        results, grad = self.train_function.vjp(*args, cotangent=cotangent if backward else None,
                                                per_sample=reduction == "none")
        losses = results[rows, column]
        outputs = results[:, :self._k]
        with np.errstate(all="ignore"):
            finite = np.isfinite(losses).all() and (grad is None or np.isfinite(grad).all())
        if not finite:
            self._explain(X, encoded, losses, backward)
        return losses, outputs, grad

    def _explain(self, X: Any, encoded: Any, losses: Any, backward: bool) -> None:
        np = load_numpy()
        label = (lambda b: self.labels[int(encoded[b])]) if self.labels is not None else (
            lambda b: encoded[b].tolist())
        bad = np.flatnonzero(~np.isfinite(losses)).tolist()
        order = bad + sorted(set(range(len(X))) - set(bad))

        def run(b: int) -> Callable[[], Any]:
            return lambda: _loss_value(self._loss_fn, self.model([Value(float(v)) for v in X[b]]), label(b))

        replay("compiled model", [(b, [X[b]], run(b)) for b in order], self.train_function.params, backward)
        for b in bad:  # the scalar engine raised nothing: name a NaN input, if that is where it comes from
            nan = np.flatnonzero(np.isnan(X[b]))
            if nan.size:
                raise ValueError(f"compiled model, sample {b} of the batch: its input {int(nan[0])} is nan "
                                 "(NaN in, NaN out)")

    def _outputs(self, outputs: Any) -> Any:
        return outputs[:, 0] if self.predict_function._out_shapes[0] == () else outputs

    def value_and_grad(self, X: Any, labels: Sequence[Any], *, reduction: str = "mean") -> Gradients:
        """Per-sample losses and outputs, and the parameters' gradient, without touching ``.grad``.

        ``outputs`` is ``(losses, model outputs)``; see :meth:`CompiledFunction.value_and_grad`.
        """
        X = self.rows(X)
        losses, outputs, grad = self._run(X, self.encode(labels), reduction)
        return Gradients((losses, self._outputs(outputs)), grad, None)

    def forward_backward(self, X: Any, labels: Sequence[Any]) -> Tuple[float, List[Any]]:
        """One batch: the mean loss, with its gradient added to the parameters' ``.grad``.

        A drop-in for :func:`microgradlab.train.forward_backward`.

        Returns:
            The mean loss as a float, and the outputs as floats (a list of floats per sample
            for a model with several outputs).
        """
        np = load_numpy()
        self.sync()
        X = self.rows(X)
        losses, outputs, grad = self._run(X, self.encode(labels))
        for p, g in zip(self.train_function.params, grad.tolist()):
            p.grad += g
        with np.errstate(all="ignore"):  # a diverging run is fit's to report, in one line
            return float(losses.mean()), self._outputs(outputs).tolist()

    def train_step(self, X: Any, encoded: Any) -> Tuple[float, Any, Any]:
        """One batch with the parameters in :attr:`arrays`: ``(mean loss, outputs, gradient)``.

        ``X`` is a float array (see :meth:`rows`), ``encoded`` the batch's :meth:`encode`-d
        labels; the gradient (of the mean loss, one entry per parameter) is returned, not
        stored.  The parameters are read from ``arrays.data`` (see :meth:`sync`).
        """
        np = load_numpy()
        self.arrays.acquire()
        losses, outputs, grad = self._run(X, encoded)
        with np.errstate(all="ignore"):
            return float(losses.mean()), self._outputs(outputs), grad

    def sync(self) -> None:
        """Write the parameters (values and gradients) from :attr:`arrays` into the Parameters.

        Reading any parameter does this by itself; call it to be explicit.
        """
        self.arrays.sync()

    def loss(self, X: Any, labels: Sequence[Any]) -> float:
        """The mean loss on ``(X, labels)``, without gradients."""
        np = load_numpy()
        losses, _, _ = self._run(self.rows(X), self.encode(labels), backward=False)
        with np.errstate(all="ignore"):
            return float(losses.mean())

    def predict(self, X: Any) -> Any:
        """The model's outputs for each row of ``X``: shape ``(n,)`` or ``(n, outputs)``."""
        return self.predict_function.forward(self.rows(X))


def _rows(model: Any, X: Any, width: int) -> Any:
    """``X`` as a float array of shape ``(n, width)``; a bad row gets the scalar model's own error."""
    np = load_numpy()
    if not isinstance(X, np.ndarray) and any(isinstance(v, Value) for row in X[:1] for v in row):
        X = [[v.data if isinstance(v, Value) else v for v in row] for row in X]  # rows of Values: their numbers
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is not None and arr.ndim == 2 and arr.shape[1] == width and arr.shape[0] > 0:
        return arr
    for i, row in enumerate(X):  # find the row and let the scalar path say what is wrong with it
        if isinstance(row, (str, bytes)) or not hasattr(row, "__len__") or len(row) != width or not all(
                is_real(v) for v in row):
            with no_grad():
                model(list(row) if isinstance(row, (list, tuple)) else row)
            raise ValueError(f"compile_model: row {i} must be {width} numbers, got {row!r}")
    raise ValueError(f"compile_model: expected rows of {width} numbers, got an array of shape "
                     f"{None if arr is None else arr.shape}")


def _is_flat_number(label: Any) -> bool:
    items = tree_flatten(label) if isinstance(label, (list, tuple)) else [label]
    return all(is_real(v) and math.isfinite(v) for v in items)


def compile_model(model: Any, loss: Callable[[Any, Any], Value], example_input: Sequence[float],
                  labels: Sequence[Any], *, inputs: Optional[Sequence[Any]] = None, fuse: bool = True,
                  check: bool = True) -> CompiledModel:
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
        inputs: The training rows, one per label: each label's loss is traced at the first
            sample that has it (default: all at ``example_input``).
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
    return CompiledModel(model, loss, example_input, labels, inputs=inputs, fuse=fuse, check=check)

