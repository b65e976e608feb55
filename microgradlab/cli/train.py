"""The ``train`` command: train an MLP on a built-in data set or a CSV file, then save what was asked."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..datasets import train_test_split
from ..datasets.scaling import Scaling
from ..losses import LOSSES, spec_of
from ..nn import MLP, default_init
from ..optim import SGD, Adam, Optimizer
from ..plots import PLOT_SUFFIXES
from ..train import History, accuracy, fit
from .data import Rows, training_data
from .errors import CommandError
from .files import check_output, writing
from .options import add_training_arguments, apply_recipe

__all__ = ["TEST_FRACTION", "TRAIN_EXAMPLE", "TrainingRun", "add_train_command", "train_model", "save_outputs",
           "run_train"]

#: Fraction of the data held out for testing (a stratified split, seeded by --seed).
TEST_FRACTION = 0.2

TRAIN_EXAMPLE = """\
examples (the shipped digits, >= 95% test accuracy; your own CSV file, saving the model and the loss curve):
  microgradlab train --dataset digits --hidden 32 --optimizer sgd --momentum 0.9
  microgradlab train --csv data.csv --target label --epochs 200 --save model.json --plot loss.svg
  microgradlab train --csv iris.csv --target species --drop id --scale standard --save model.json
"""

_TRAIN_DETAILS = f"""\
The data is split {1 - TEST_FRACTION:.0%} for training and {TEST_FRACTION:.0%} for testing, stratified by class.
--seed seeds everything: the data set, the split, the initial weights and the batch order,
so the same command gives the same numbers.  Default loss: bce (binary cross-entropy on one
output logit) for two classes, cross_entropy (softmax over one output per class) for more;
hinge also takes one output, mse one output per class (one-hot targets).  A one-output model
predicts class 1 when its output is above 0.  CSV labels may be integers, integer-valued
floats (1.0) or text (setosa); classes are numbered 0, 1, ... in sorted order, and the
mapping is printed when it is not the identity.  CSV features are used as they are unless
--scale fits a scaling on the training split.  --save records the feature columns, their
scaling and the class labels in the model file, so predict can match columns by name.
"""


def add_train_command(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` to the command line."""
    parser = subparsers.add_parser(
        "train", help="train an MLP on a built-in data set or a CSV file",
        description="Train an MLP classifier, showing the progress of each epoch, then print the "
                    "training and test accuracy.",
        epilog=f"{TRAIN_EXAMPLE}\n{_TRAIN_DETAILS}", formatter_class=argparse.RawDescriptionHelpFormatter)
    add_training_arguments(parser)
    parser.set_defaults(run=run_train)


@dataclass
class TrainingRun:
    """A finished training run: the model, its data and what to tell the user about it."""

    name: str  # the data set's name or the CSV file's path
    model: MLP
    history: History
    X: Rows  # all the data, training and test
    y: List[int]
    X_test: Rows
    train_accuracy: float
    test_accuracy: float
    seconds: float
    about: Dict[str, str]  # "data", "model", "training", "result": one line each
    data: Dict[str, Any]  # the model file's "data" section: features, scaling, classes


def _check_network_size(sizes: List[int], limit: int) -> None:
    count = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if count > limit:
        raise CommandError(f"--hidden {','.join(map(str, sizes[1:-1]))}: the network would have {count:,} "
                           f"parameters; the limit is {limit:,} (--max-parameters)")


def _one_output(loss: str) -> bool:
    """Whether the loss takes one output (a logit or score) for two classes, as its declaration says."""
    return spec_of(LOSSES[loss]).n_outputs == "one"


def _loss(requested: Optional[str], n_classes: int) -> str:
    loss = requested or ("bce" if n_classes == 2 else "cross_entropy")
    if _one_output(loss) and n_classes != 2:
        raise CommandError(f"--loss {loss} is for two classes (labels 0 and 1) but the data has {n_classes}; "
                           f"use --loss cross_entropy")
    return loss


def _optimizer(args: argparse.Namespace, model: MLP) -> Optimizer:
    try:
        if args.optimizer == "adam":
            if args.momentum is not None:
                raise CommandError("--momentum is for --optimizer sgd (Adam keeps its own moment estimates)")
            return Adam(model.parameters(), lr=0.01 if args.lr is None else args.lr)
        return SGD(model.parameters(), lr=0.1 if args.lr is None else args.lr,
                   momentum=0.0 if args.momentum is None else args.momentum)
    except ValueError as exc:  # e.g. a momentum outside [0, 1)
        raise CommandError(str(exc)) from None


def train_model(args: argparse.Namespace) -> TrainingRun:
    """Train as ``args`` (the train command's arguments) say, printing what happens; return the run."""
    apply_recipe(args)
    data = training_data(args)
    n_classes = len(data.classes)
    loss = _loss(args.loss, n_classes)
    sizes = [len(data.X[0])] + args.hidden + [1 if _one_output(loss) else n_classes]
    _check_network_size(sizes, args.max_parameters)
    X_train, X_test, y_train, y_test = train_test_split(data.X, data.y, test_size=TEST_FRACTION,
                                                        random_state=args.seed, stratify=data.y)
    try:
        scaling = Scaling.fit(args.scale, X_train) if args.scale else None
    except ValueError as exc:  # a spread that overflows
        raise CommandError(f"--scale {args.scale}: {exc}") from None
    if scaling is not None:  # fitted on the training split alone: the test rows stay unseen
        X_train, X_test = scaling.transform(X_train), scaling.transform(X_test)
    init = args.init or default_init(args.activation)  # what MLP picks by itself, named for the summary
    try:
        model = MLP(sizes[0], sizes[1:], activation=args.activation, init=init, seed=args.seed)
    except ValueError as exc:  # a choice the network refuses: one line, not a traceback
        raise CommandError(f"--activation {args.activation}: {exc}") from None
    optimizer = _optimizer(args, model)
    epochs = args.epochs or data.epochs
    about = {"data": f"{data.description}; {len(X_train)} to train on, {len(X_test)} to test on"
                     + (f"; {args.scale} scaling fitted on the training split" if scaling else "")}
    if data.classes != list(range(n_classes)):  # told once, here; predict maps the classes back
        about["labels"] = ", ".join(f"{label} -> {i}" for i, label in enumerate(data.classes))
    about["model"] = f"{model!r}, {len(model.parameters())} parameters, {init} init"
    about["training"] = (f"{loss} loss, {optimizer!r}, {epochs} epochs, "
                         + ("full batch" if args.batch_size is None else f"mini-batches of {args.batch_size}"))
    for key, text in about.items():
        print(f"{key + ':':10}{text}", flush=True)
    start = time.perf_counter()
    try:
        history = fit(model, X_train, y_train, loss=loss, optimizer=optimizer, epochs=epochs,
                      batch_size=args.batch_size, seed=args.seed, tol=args.tol, progress=not args.quiet)
    except ArithmeticError as exc:  # FloatingPointError: the loss diverged; OverflowError from the engine
        raise CommandError(f"{exc} (--lr)") from None
    seconds = time.perf_counter() - start
    record = {"target": data.target, "features": data.features, "classes": data.classes,
              "scaling": scaling.to_dict() if scaling else None}
    X_all = scaling.transform(data.X) if scaling else data.X  # what the model sees, for the demo's plot
    run = TrainingRun(args.csv or args.dataset, model, history, X_all, data.y, X_test, accuracy(model, X_train, y_train),
               accuracy(model, X_test, y_test), seconds, about, record)
    epochs_run = f"{len(history)} epoch{'' if len(history) == 1 else 's'}"
    if history.stop_reason == "tol":
        epochs_run += f" (stopped by --tol: gradient norm {history.grad_norm[-1]:.3g} < {args.tol:g})"
    about["result"] = (f"{epochs_run} in {seconds:.1f} s, loss {history.loss[-1]:.4g}; "
                       f"train accuracy {run.train_accuracy:.1%}, test accuracy {run.test_accuracy:.1%}")
    print(f"{'result:':10}{about['result']}")
    return run


def save_outputs(run: TrainingRun, model_file: Optional[Path], curve_file: Optional[Path]) -> List[Path]:
    """Write the trained model (JSON) and the loss and accuracy curves, if asked; return the paths written."""
    if model_file:
        with writing(model_file):
            run.model.save(model_file, data=run.data)
    if curve_file:
        with writing(curve_file):
            run.history.plot(path=curve_file, title=f"{run.name}: loss and accuracy per epoch")
    return [path for path in (model_file, curve_file) if path]


def run_train(args: argparse.Namespace) -> int:
    """Check the outputs can be written, train, then write them."""
    check_output("--save", args.save)
    check_output("--plot", args.plot, PLOT_SUFFIXES)
    run = train_model(args)
    for path in save_outputs(run, Path(args.save) if args.save else None, Path(args.plot) if args.plot else None):
        print(f"wrote {path}")
    return 0

