"""Training loops: :func:`fit`, :func:`predict`, :func:`evaluate`, :func:`accuracy` and :class:`History`.

``fit`` is the seeds' gradient descent -- forward pass, loss, gradients,
a step against the gradient, repeat for some epochs -- in two flavours:

* ``batch_size=None``: full-batch gradient descent, exactly the seeds'
  ``gradient_descent``: the loss is the mean over all the data, so each
  parameter moves by ``lr`` times its gradient averaged over the data, once per
  epoch;
* ``batch_size=b``: mini-batch SGD, one step per batch of ``b`` samples, in a
  fresh random order every epoch (``shuffle=True``).

``tol`` adds the seeds' stopping rule ``||∇_w L|| < ε``.

Labels (``y``) by loss:

=====================  ====================  =====================================================
loss                   model outputs         labels
=====================  ====================  =====================================================
``"mse"``              one, or ``k``         numbers, or ``k``-vectors; for ``k >= 2`` class
                                             indices are turned into one-hot vectors
``"cross_entropy"``    ``k >= 2`` logits     class indices ``0..k-1`` (or probability vectors)
``"bce"``              one logit             ``0``/``1`` (or probabilities in ``[0, 1]``)
``"hinge"``            one score             ``-1``/``+1``, or ``0``/``1`` (0 counts as -1)
=====================  ====================  =====================================================

Which row applies is read from what the loss declares (:mod:`microgradlab.loss_spec`),
not from its name, so a loss of your own declared with
:func:`~microgradlab.loss_spec.declare` is treated as the built-in one it resembles.  A
function that declares nothing is called with the labels as they are.

Accuracy (reported when the labels are classes): the argmax of the outputs
against the class index (or the argmax of a probability/one-hot label) for
``k >= 2`` outputs; for one output, ``output > threshold`` predicts the
positive class (label ``1``), with ``threshold`` 0 for logits and scores
(``"bce"``, ``"hinge"``, and ±1 labels) and 0.5 for ``0``/``1`` labels with
``"mse"`` or a callable loss.

>>> from microgradlab.nn import MLP
>>> from microgradlab.optim import SGD
>>> X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [1, 0, 1, 0]
>>> model = MLP(2, [4, 1], seed=0)
>>> history = fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9),
...               epochs=50, seed=0, progress=False)
>>> history.accuracy[-1], accuracy(model, X, y)
(1.0, 1.0)
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Union

from .checks import check_int, check_random_state, is_real
from .datasets import iterate_minibatches
from .dynamics import TrainingDynamics, check_layers, layer_statistics
from .engine import TracingError, Value, enable_grad, no_grad
from .history import Evaluation, History
from .optim import SGD, Optimizer
from .outputs import output_floats, predict
from .task import LossArg, check_data, count_correct, label_classes, make_task

__all__ = ["History", "Evaluation", "fit", "forward_backward", "predict", "evaluate", "accuracy"]

#: The learning rate of the optimizer ``fit`` makes when none is given: ``SGD(lr=0.1)``.
DEFAULT_LR = 0.1

Callback = Callable[[int, History, Any], Any]


# --- the training step ---------------------------------------------------------------


def forward_backward(model: Any, loss_fn: Callable[[Any, Any], Value], X: Sequence[Any],
                     targets: Sequence[Any]) -> Tuple[float, List[Any]]:
    """One batch: outputs, mean loss, and its gradient accumulated into the parameters' ``.grad``.

    This is all of :func:`fit`'s per-batch work except the optimizer step (a
    batched, compiled implementation can replace it).

    Returns:
        The loss as a float, and the outputs as floats (lists of floats for vector outputs).
    """
    outputs = [model(x) for x in X]
    loss = loss_fn(outputs, targets)
    if not isinstance(loss, Value):
        raise TypeError(f"fit: the loss function must return a Value, got {loss!r}")
    loss.backward()
    return loss.data, [output_floats(o) for o in outputs]


def _check_optimizer(model: Any, optimizer: Optional[Optimizer]) -> Optimizer:
    if optimizer is None:
        return SGD(model.parameters(), lr=DEFAULT_LR)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be an Optimizer such as SGD or Adam, got {optimizer!r}")
    own = {id(p) for p in model.parameters()}
    foreign = sum(id(p) not in own for p in optimizer.params)
    if foreign:
        raise ValueError(f"fit: {foreign} of the optimizer's {len(optimizer.params)} parameters are not "
                         f"parameters of the model; build it with optimizer(model.parameters(), ...)")
    return optimizer


@enable_grad()  # fit records its graphs even when called inside no_grad(), on both paths
def fit(
    model: Any,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    loss: LossArg = "mse",
    optimizer: Optional[Optimizer] = None,
    epochs: int = 100,
    batch_size: Optional[int] = None,
    shuffle: bool = True,
    seed: Any = None,
    tol: Optional[float] = None,
    progress: Optional[bool] = None,
    callbacks: Union[Callback, Iterable[Callback]] = (),
    threshold: Optional[float] = None,
    compiled: Optional[bool] = None,
    record: Optional[str] = None,
) -> History:
    """Train ``model`` on ``(X, y)`` by gradient descent and return the :class:`History`.

    Each step: ``optimizer.zero_grad()``, the batch's mean ``loss`` (forward),
    ``backward()``, ``optimizer.step()``.

    Args:
        model: A :class:`~microgradlab.module.Module` (e.g. an MLP): called with one row, has ``parameters()``.
        X: Rows of input floats.
        y: One label per row; see the module docstring for each loss's labels.
        loss: ``"mse"``, ``"cross_entropy"``, ``"bce"`` (``"binary_cross_entropy"``),
            ``"hinge"``, or a function ``(outputs, labels) -> Value`` that returns
            the batch mean (outputs: the model's outputs for the batch).
        optimizer: An optimizer over (some of) ``model.parameters()``; by default
            ``SGD(model.parameters(), lr=0.1)``.
        epochs: Passes over the data.
        batch_size: None for full-batch gradient descent (one step per epoch,
            the gradient averaged over all the data); an int for mini-batch SGD
            (the last batch of an epoch may be smaller).
        shuffle: Visit mini-batches in a new random order each epoch.
        seed: Seeds the shuffling (``random.Random(seed)``; batches are drawn as
            :func:`~microgradlab.datasets.iterate_minibatches` with that
            generator).  The same model seed, data and ``seed`` give the same
            weights and the same History.
        tol: Stop after the first epoch whose gradient norm is below ``tol``
            (``||∇L|| < ε``); None trains for all ``epochs``.
        progress: A :mod:`tqdm.auto` progress bar that moves once per batch and shows
            the epoch and the running loss (and accuracy) of the epoch so far: a
            widget in Jupyter (with ipywidgets), a text bar in a terminal.  None
            (the default) shows it only where someone can watch it -- a notebook,
            or stderr on a terminal; True always (e.g. into a log); False never.
        callbacks: Functions ``callback(epoch, history, model)`` called after
            each epoch (``epoch`` counts from 0, ``history`` already holds it);
            if one returns a true value, training stops.  For a learning-rate
            schedule: ``callbacks=[lambda epoch, history, model: scheduler.step()]``.
        threshold: Decision threshold of a one-output model's accuracy (default: see the module docstring).
        compiled: Run each batch through :func:`microgradlab.compile.compile_model`
            (NumPy, the whole batch at once; the same results to 1e-12).  None
            (the default) compiles when NumPy is installed and the model and loss
            trace, and otherwise uses the scalar engine; True compiles or raises;
            False always uses the scalar engine.
        record: ``"gradients"`` keeps per-layer gradient and activation
            statistics (norm, mean, std, inactive ReLUs) as each epoch starts in
            ``history.dynamics`` (one extra pass over the data per epoch; the model must be an MLP).

    Returns:
        The :class:`History` of the run.

    Raises:
        ValueError: for mismatched or empty data, bad labels for the loss, an
            unknown loss, a loss that does not fit the number of outputs, or
            an optimizer holding other parameters.
        FloatingPointError: if the loss or a gradient becomes NaN or infinite
            (lower the learning rate); the model keeps the weights of the last good step.
    """
    task = make_task("fit", model, X, y, loss, threshold)
    epochs = check_int("fit", "epochs", epochs, minimum=0)
    if batch_size is not None:
        batch_size = check_int("fit", "batch_size", batch_size, minimum=1)
    if tol is not None and not (is_real(tol) and 0.0 < tol < math.inf):
        raise ValueError(f"fit: tol must be a positive number or None, got {tol!r}")
    callbacks = [callbacks] if callable(callbacks) else list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"fit: each callback must be a function (epoch, history, model), got {cb!r}")
    optimizer = _check_optimizer(model, optimizer)
    steps = _training_steps(model, task, X, optimizer, compiled)
    rng = check_random_state(seed, "fit", "seed")
    n = len(X)
    indices = range(n)
    history = History()
    if record is not None:  # a diagnostic pass per epoch (microgradlab.dynamics)
        if record != "gradients":
            raise ValueError(f"fit: record must be None or 'gradients', got {record!r}")
        history.dynamics = TrainingDynamics([f"layers.{i}" for i in range(len(check_layers(model, "fit")))])
    n_batches = 1 if batch_size is None else -(-n // batch_size)
    bar = _progress_bar(epochs, n_batches) if _show_progress(progress) else None
    try:
        for epoch in range(epochs):
            if history.dynamics is not None:
                history.dynamics.epochs.append(layer_statistics(model, task.loss_fn, X, task.targets))
            start = time.perf_counter()
            if batch_size is None:
                batches: Iterable[Sequence[int]] = [indices]
            else:
                batches = (b for b, _ in iterate_minibatches(indices, indices, batch_size, shuffle=shuffle,
                                                              random_state=rng))
            epoch_loss, correct, seen = 0.0, 0, 0
            for batch in batches:
                batch_loss, outputs = steps.forward_backward(batch)
                if not math.isfinite(batch_loss):
                    raise FloatingPointError(f"fit: the loss is {batch_loss} in epoch {epoch}; "
                                             f"try a smaller learning rate")
                weight = len(batch) / n
                epoch_loss += weight * batch_loss
                steps.add_to_mean_grad(weight)
                if task.classes is not None:
                    correct += count_correct(outputs, [task.classes[i] for i in batch], task.threshold)
                steps.step()
                seen += len(batch)
                if bar is not None:
                    _show(bar, epoch, epochs, epoch_loss * n / seen, None if task.classes is None else correct / seen)
            history.seconds.append(time.perf_counter() - start)
            history.loss.append(epoch_loss)
            history.accuracy.append(None if task.classes is None else correct / n)
            history.grad_norm.append(steps.grad_norm())
            steps.sync()  # the parameters, up to date for callbacks (a compiled run keeps them in arrays)
            if tol is not None and history.grad_norm[-1] < tol:
                history.stop_reason = "tol"
                break
            if any([bool(cb(epoch, history, model)) for cb in callbacks]):  # a list: every callback runs
                history.stop_reason = "callback"
                break
    finally:
        steps.sync()
        if bar is not None:
            bar.close()
    return history


class _ScalarSteps:
    """fit's per-batch work on the scalar engine (a compiled model has the same methods, on arrays)."""

    def __init__(self, model: Any, task: Any, X: Sequence[Any], optimizer: Optimizer) -> None:
        self.model, self.task, self.X, self.optimizer = model, task, X, optimizer
        self.mean_grad = [0.0] * len(optimizer.params)

    def forward_backward(self, batch: Sequence[int]) -> Tuple[float, List[Any]]:
        self.optimizer.zero_grad()
        return forward_backward(self.model, self.task.loss_fn, [self.X[i] for i in batch],
                                [self.task.targets[i] for i in batch])

    def add_to_mean_grad(self, weight: float) -> None:
        self.mean_grad = [a + weight * p.grad for a, p in zip(self.mean_grad, self.optimizer.params)]

    def step(self) -> None:
        self.optimizer.step()

    def grad_norm(self) -> float:
        norm = math.sqrt(math.fsum(g * g for g in self.mean_grad))
        self.mean_grad = [0.0] * len(self.mean_grad)
        return norm

    def sync(self) -> None:
        pass


def _training_steps(model: Any, task: Any, X: Sequence[Sequence[float]], optimizer: Optimizer,
                    compiled: Optional[bool]) -> Any:
    """The per-batch work: compiled (parameters in arrays) or on the scalar engine.

    With ``compiled=None`` a model or loss that cannot be compiled (an op without an
    array rule, a tape that depends on data) trains on the scalar engine, with a
    one-line warning saying why; without NumPy it does so silently.
    """
    if compiled or compiled is None:
        try:
            from .compile import CompileError, compile_model
            from .compile.training import CompiledSteps
        except ImportError:
            if compiled:
                raise
        else:
            try:
                runner = compile_model(model, task.loss_fn, X[0], task.targets, inputs=X)
                return CompiledSteps(runner, runner.inputs, task.targets, optimizer)
            except (ImportError, CompileError, TracingError) as exc:
                if compiled:
                    raise
                if not isinstance(exc, ImportError):
                    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    warnings.warn(f"fit: training on the scalar engine (much slower), because {reason}",
                                  RuntimeWarning, stacklevel=3)
    return _ScalarSteps(model, task, X, optimizer)


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where tqdm.auto draws a widget)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _show_progress(progress: Optional[bool]) -> bool:
    if progress is None:
        return _in_notebook() or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    if not isinstance(progress, bool):
        raise TypeError(f"fit: progress must be True, False or None, got {progress!r}")
    return progress


def _progress_bar(epochs: int, n_batches: int) -> Any:
    from tqdm.auto import tqdm  # an install dependency, imported only when a bar is shown

    return tqdm(total=epochs * n_batches, desc="fit", unit="batch", leave=True)


def _show(bar: Any, epoch: int, epochs: int, running_loss: float, running_accuracy: Optional[float]) -> None:
    postfix = {"epoch": f"{epoch + 1}/{epochs}", "loss": f"{running_loss:.4g}"}
    if running_accuracy is not None:
        postfix["acc"] = f"{running_accuracy:.1%}"
    bar.set_postfix(postfix, refresh=False)
    bar.update()


# --- using a trained model ----------------------------------------------------------------


def evaluate(model: Any, X: Sequence[Sequence[float]], y: Sequence[Any], *, loss: LossArg = "mse",
             threshold: Optional[float] = None) -> Evaluation:
    """The mean ``loss`` and the accuracy of ``model`` on ``(X, y)``, measured as :func:`fit` measures them.

    ``accuracy`` is None when the labels are not classes.
    """
    task = make_task("evaluate", model, X, y, loss, threshold)
    with no_grad():
        outputs = [model(x) for x in X]
        value = task.loss_fn(outputs, task.targets)
    value = value.data if isinstance(value, Value) else float(value)
    if task.classes is None:
        return Evaluation(value, None)
    floats = [output_floats(o) for o in outputs]
    return Evaluation(value, count_correct(floats, task.classes, task.threshold) / len(X))


#: From this many rows on, accuracy runs the model compiled (when it compiles): a forward pass over
#: 48,000 Fashion-MNIST images takes minutes on the scalar engine and a second compiled.
COMPILED_ACCURACY_ROWS = 2000


def _outputs_for_counting(model: Any, X: Sequence[Sequence[float]]) -> List[Any]:
    """The model's outputs as :func:`predict` gives them, batched on NumPy for many rows."""
    if len(X) >= COMPILED_ACCURACY_ROWS:
        try:
            from .compile import CompileError, compile

            forward = compile(lambda x: model(x), ([float(v) for v in X[0]],))
            return forward.forward(X).tolist()
        except (ImportError, CompileError, TracingError, TypeError, ValueError):
            pass  # what the scalar engine says about it is the answer
    return predict(model, X)


def accuracy(model: Any, X: Sequence[Sequence[float]], y: Sequence[Any], *, threshold: float = 0.0) -> float:
    """The fraction of rows classified correctly.

    With several outputs the prediction is the argmax (labels: class indices or
    one-hot vectors).  With one output, ``output > threshold`` predicts class
    ``1`` and anything else class ``0`` (or ``-1``): the default 0 suits logits
    (``bce``), hinge scores and ±1 targets; pass 0.5 for a model whose output
    approximates 0/1 labels.

    Raises:
        ValueError: if the labels are not classes.
    """
    check_data("accuracy", X, y)
    outputs = _outputs_for_counting(model, X)
    k = len(outputs[0]) if isinstance(outputs[0], list) else 1
    classes, _ = label_classes(y, k, logits=True)
    if classes is None:
        raise ValueError("accuracy: labels must be classes: indices or one-hot vectors for a model with several "
                         "outputs, -1/0/1 for one output")
    return count_correct(outputs, classes, threshold) / len(X)
