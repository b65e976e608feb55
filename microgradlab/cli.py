"""The ``microgradlab`` command line: one subcommand per job.

Each subcommand is a pair of functions: ``add_<name>_command(subparsers)``
declares its arguments and sets ``run=<function>``; the run function takes the
parsed arguments and returns the exit status.  A user mistake raises
:class:`CommandError`, which :func:`main` prints as one line (no traceback)
with exit status 2.  To add a subcommand, write the pair and list the ``add_``
function in :data:`COMMANDS` (and an example in :data:`EXAMPLES`).

Exit status: 0 on success, 2 for any error (bad arguments, expressions, files
or values, a file that cannot be written, a missing renderer or matplotlib),
always as one line on standard error and never with a traceback; 130 when
interrupted.  Nothing is written when a command fails: outputs are written
whole (to a temporary file, then renamed) at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, NoReturn, Optional, Sequence, Tuple, Union

from .datasets import load_digits, load_fashion_mnist, make_blobs, make_circles, make_moons, make_spiral, make_xor, train_test_split
from .datasets.csv import CSVError, CSVTable, encode_labels, label_key, read_csv, suggest
from .datasets.scaling import SCALINGS, Scaling
from .engine import Value, no_grad
from .modelfile import MAX_PARAMETERS, read_model_file
from .nn import ACTIVATIONS, INITS, MLP, ModelFileError, default_init
from .optim import SGD, Adam, Optimizer
from .plots import PLOT_SUFFIXES, plot_decision_boundary, predicted_classes
from .train import History, accuracy, fit, predict

__all__ = ["main", "build_parser", "CommandError", "COMMANDS", "EXAMPLES"]

#: The exit status of every error.
ERROR_STATUS = 2


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit status :data:`ERROR_STATUS`."""


def _choices(text: str) -> List[str]:
    return [choice.strip().strip("'\"") for choice in text.split(",")]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit status 2) with a "did you mean" suggestion."""

    _given: List[str] = []

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._given = list(sys.argv[1:] if args is None else args)  # for the suggestions in error()
        return super().parse_known_args(args, namespace)

    def unknown_option(self) -> Optional[str]:
        """The first given ``--option`` this parser does not know, with the closest it does."""
        known = list(self._option_string_actions)
        for token in self._given:
            if token == "--":
                break
            word = token.split("=", 1)[0]
            if word.startswith("--") and not any(option.startswith(word) for option in known):
                return f"unrecognized option {word}{suggest(word, known)}"
        return None

    def _command_parser(self) -> Optional["_Parser"]:
        commands = self._subparsers._group_actions[0].choices if self._subparsers else {}
        return next((commands[token] for token in self._given if token in commands), None)

    def error(self, message: str) -> NoReturn:
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            message += suggest(choice.group(1), _choices(choice.group(2)))
        elif message.startswith("unrecognized arguments") and self._command_parser() is not None:
            message = self._command_parser().unknown_option() or message  # type: ignore[union-attr]
        else:
            message = self.unknown_option() or message
        raise CommandError(f"{message} (see {self.prog} --help)")


def _write_whole(path: Union[str, Path], data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder: all of it or nothing."""
    folder = os.path.dirname(os.fspath(path)) or "."
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".microgradlab-", suffix=".tmp")
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        os.unlink(temporary)
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


# --- graph ------------------------------------------------------------------------------

_GRAPH_EXAMPLE = """\
example (karpathy's neuron; writes neuron.svg and prints the gradients):
  microgradlab graph "tanh(w1*x1 + w2*x2 + b)" \\
      --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432 -o neuron.svg
"""

#: Output file suffix -> format; dot is the DOT text, which needs no renderer.
_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
_FORMATS = ("svg", "png", "pdf", "dot")
_BINARY_FORMATS = ("png", "pdf")


def add_graph_command(subparsers: argparse._SubParsersAction) -> None:
    from . import ops

    functions = ", ".join(sorted(n for n, p in ops.PRIMITIVES.items() if p.arity in (1, 2)))
    syntax = textwrap.fill("The expression may use numbers, variable names, + - * / ** (and unary -), "
                           f"parentheses, and op-table functions called by name: {functions}.")
    parser = subparsers.add_parser(
        "graph", help="draw the computation graph of an expression, with data and gradients",
        description="Evaluate an expression, backpropagate from it and draw its computation graph "
                    "(each value with its data and gradient).",
        epilog=f"{_GRAPH_EXAMPLE}\n{syntax}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("expression", help='e.g. "tanh(w1*x1 + w2*x2 + b)"; it may start with -, as in "-log(x)"')
    parser.add_argument("--at", metavar="NAME=NUMBER,...", default="",
                        help="the value of every variable, e.g. x1=2,x2=0")
    parser.add_argument("-o", "--output", metavar="FILE", default="-",
                        help="file to write (default: standard output)")
    parser.add_argument("-f", "--format", choices=_FORMATS,
                        help="svg, png, pdf or dot (the DOT text; needs no renderer); default: from the "
                             "output file's suffix (.svg .png .pdf .dot .gv), else svg")
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="layout direction (default LR: inputs on the left)")
    parser.add_argument("--precision", type=int, default=4, help="decimals shown (default 4)")
    parser.add_argument("--no-backward", action="store_true", help="draw data only; do not backpropagate")
    parser.add_argument("--renderer", metavar="PROGRAM",
                        help="dot, graphviz-pure, or a path (default: dot if on PATH, else graphviz-pure)")
    parser.set_defaults(run=run_graph)


def _output_format(args: argparse.Namespace) -> str:
    """The format from -f and the output's suffix, refusing a mismatch and binary output to a terminal."""
    if args.output == "-":
        fmt = args.format or "svg"
        if fmt in _BINARY_FORMATS and sys.stdout.isatty():
            raise CommandError(f"refusing to write {fmt.upper()} data to a terminal: give -o FILE or redirect "
                               f"standard output")
        return fmt
    suffix = Path(args.output).suffix.lower()
    from_suffix = _SUFFIXES.get(suffix)
    if suffix and from_suffix is None:
        raise CommandError(f"-o {args.output}: unsupported suffix {suffix}; use one of {' '.join(_SUFFIXES)}"
                           f"{suggest(suffix, list(_SUFFIXES))}")
    if args.format and from_suffix and args.format != from_suffix:
        raise CommandError(f"-o {args.output}: the suffix {suffix} says {from_suffix}, but -f says {args.format}")
    if not Path(args.output).parent.is_dir():
        raise CommandError(f"-o {args.output}: there is no directory {Path(args.output).parent}")
    return args.format or from_suffix or "svg"


def _check_renderer(renderer: Optional[str]) -> None:
    known = ("dot", "graphviz-pure")
    if renderer is not None and renderer not in known and shutil.which(renderer) is None \
            and not os.path.isfile(renderer):
        raise CommandError(f"--renderer {renderer}: no such program; use dot, graphviz-pure or the path of a "
                           f"program with dot's flags{suggest(renderer, list(known))}")


def _expression_first(argv: List[str], parser: argparse.ArgumentParser) -> List[str]:
    """``graph -log(x) --at x=2``: move an expression starting with '-' behind ``--`` so argparse reads it."""
    if not argv or argv[0] != "graph" or "--" in argv:
        return argv
    actions = parser._subparsers._group_actions[0].choices["graph"]._option_string_actions  # type: ignore
    takes_value = False
    for i, token in enumerate(argv[1:], 1):
        if takes_value:
            takes_value = False
            continue
        option = actions.get(token.split("=", 1)[0])
        if option is not None:
            takes_value = "=" not in token and option.nargs != 0
        elif token[:2] in actions:  # a short option with its value attached: -oneuron.svg
            continue
        elif token.startswith("-") and len(token) > 1 and not re.match(r"--[A-Za-z][\w-]*(=|$)", token):
            return argv[:i] + argv[i + 1:] + ["--", token]
    return argv


def evaluate_expression(text: str, at: str) -> Tuple[Value, Dict[str, Value]]:
    """The output of expression ``text`` with ``--at`` values, and its labelled leaves (graph, animate).

    Raises ExpressionError (a ValueError) or an ArithmeticError for the user to read.
    """
    from .expr import ExpressionError, parse, parse_bindings

    expression = parse(text)
    values = parse_bindings(at)
    unused = [name for name in values if name not in expression.names]
    if unused:
        raise ExpressionError(f"--at gives {', '.join(unused)}, which the expression does not use")
    missing = [name for name in expression.names if name not in values]
    if missing:
        raise ExpressionError(f"no value for {', '.join(missing)}: give every variable with --at, "
                              f"e.g. --at {','.join(f'{n}=1' for n in expression.names)}")
    leaves = {name: Value(values[name], label=name) for name in expression.names}
    return expression.evaluate(leaves), leaves


def run_graph(args: argparse.Namespace) -> int:
    from .viz import RenderError, pipe, to_dot

    fmt = _output_format(args)
    _check_renderer(args.renderer)
    try:
        out, leaves = evaluate_expression(args.expression, args.at)
        if not args.no_backward:
            out.backward()
        graph = to_dot(out, rankdir=args.rankdir, precision=args.precision, show_grad=not args.no_backward)
    except (ValueError, ArithmeticError) as exc:  # ExpressionError, domain errors such as log(-1.0)
        raise CommandError(str(exc)) from None
    try:
        data = graph.source.encode("utf-8") if fmt == "dot" else pipe(graph, fmt, renderer=args.renderer)
    except RenderError as exc:  # the Python API's pointer to .source means nothing here
        raise CommandError(str(exc).split("; the DOT text is in")[0]) from None
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    _write_whole(args.output, data)
    # The numbers people check first: the output and the gradient of each variable.
    print(f"wrote {args.output}\noutput = {out.data:.{args.precision}f}")
    if not args.no_backward:
        for name, leaf in leaves.items():
            print(f"d output / d {name} = {leaf.grad:.{args.precision}f}")
    return 0


# --- shared by demo, train and predict: data, outputs ----------------------------------------

#: Fraction of the data held out for testing (a stratified split, seeded by --seed).
TEST_FRACTION = 0.2
Rows = List[List[float]]


@dataclass(frozen=True)
class _Dataset:
    """A built-in data set: how to make it from a seed, what it is, and how many epochs suit it."""

    make: Callable[[int], Tuple[Rows, List[int]]]
    description: str
    epochs: int = 100
    recipe: Dict[str, Any] = field(default_factory=dict)  # options used where the command line gives none


def _seeded(make: Callable[..., Tuple[Rows, List[int]]], **options: Any) -> Callable[[int], Tuple[Rows, List[int]]]:
    return lambda seed: make(random_state=seed, **options)


DATASETS: Dict[str, _Dataset] = {
    "moons": _Dataset(_seeded(make_moons, n_samples=200, noise=0.1),
                      "200 points on two interleaving half circles, noise 0.1"),
    "circles": _Dataset(_seeded(make_circles, n_samples=200, noise=0.05, factor=0.5),
                        "200 points on two circles (radii 1 and 0.5), noise 0.05"),
    "spiral": _Dataset(_seeded(make_spiral, n_samples=300, n_classes=3, noise=0.2),
                       "300 points on 3 spiral arms, noise 0.2"),
    "xor": _Dataset(_seeded(make_xor, n_samples=200),
                    "200 points in [-1, 1]^2, class 1 where x1 and x2 have different signs"),
    "blobs": _Dataset(_seeded(make_blobs, n_samples=300, centers=3),
                      "300 points in 3 Gaussian blobs"),
    "digits": _Dataset(lambda seed: load_digits(scale=True),
                       "1797 8x8 handwritten digits, 64 pixels scaled to [0, 1]", epochs=15),
    "fashion-mnist": _Dataset(lambda seed: load_fashion_mnist(), "the 60,000 Fashion-MNIST training images, "
                              "784 pixels in [0, 1] (Debian's dataset-fashion-mnist); the seeds' recipe: hidden "
                              "32,32, sgd lr 0.02 momentum 0.9, batches of 100, 5 epochs", epochs=5,
                              recipe={"hidden": [32, 32], "lr": 0.02, "momentum": 0.9, "batch_size": 100}),
}


def _apply_recipe(args: argparse.Namespace) -> None:
    """Options a built-in data set's recipe sets, where the command line left the default."""
    if args.csv is not None:
        return
    defaults = argparse.ArgumentParser()
    _add_training_arguments(defaults)
    default = defaults.parse_args(["--dataset", args.dataset])
    for name, value in DATASETS[args.dataset].recipe.items():
        if getattr(args, name) == getattr(default, name):
            setattr(args, name, value)


def _read_table(path: str, **options: Any) -> CSVTable:
    try:
        return read_csv(path, **options)
    except CSVError as exc:
        raise CommandError(str(exc)) from None


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into a one-line error."""
    try:
        yield
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


def _require_matplotlib() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise CommandError("plots need matplotlib: pip install microgradlab[plot]")


# --- train ---------------------------------------------------------------------------------------

_TRAIN_EXAMPLE = """\
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


def _layer_sizes(text: str) -> List[int]:
    """``"16,16"`` -> ``[16, 16]``; ``""`` -> no hidden layer."""
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if not all(part.isascii() and part.isdigit() and len(part) <= 9 and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(f"expected layer widths such as 16,16 (positive integers), got {text!r}")
    return [int(part) for part in parts]


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not 0 < value < math.inf:
            raise argparse.ArgumentTypeError(f"expected a positive {'integer' if kind is int else 'number'}, "
                                             f"got {text!r}")
        return value

    return parse


def _batch_size(text: str) -> Optional[int]:
    return None if text == "full" else _positive(int)(text)


def _names(text: str) -> List[str]:
    """``"a, b"`` -> ``["a", "b"]``: column names for --features and --drop."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected column names separated by commas, got {text!r}")
    return names


def _add_limit_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-parameters", type=_positive(int), default=MAX_PARAMETERS, metavar="N",
                        help=f"refuse a network of more than N parameters (default {MAX_PARAMETERS:,})")


def _add_training_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--dataset", choices=tuple(DATASETS),
                      help="a built-in data set: " + "; ".join(f"{k}: {d.description}" for k, d in DATASETS.items()))
    data.add_argument("--csv", metavar="FILE",
                      help="a CSV file with a header row: numeric feature columns and the label column --target")
    parser.add_argument("--target", metavar="COLUMN",
                        help="with --csv: the column of class labels (integers or text)")
    columns = parser.add_mutually_exclusive_group()
    columns.add_argument("--features", type=_names, metavar="A,B,...",
                         help="with --csv: the feature columns, in this order (default: all but --target)")
    columns.add_argument("--drop", type=_names, default=[], metavar="A,B,...",
                         help="with --csv: columns not to use as features, e.g. --drop id")
    parser.add_argument("--scale", choices=SCALINGS,
                        help="scale the features, fitted on the training split: standard (mean 0, "
                             "deviation 1) or minmax (into [0, 1]); stored in the saved model")
    parser.add_argument("--hidden", type=_layer_sizes, default="16,16", metavar="WIDTHS",
                        help="hidden layer widths, e.g. 32 or 16,16 (default 16,16; '' for none)")
    parser.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="hidden activation (default relu)")
    parser.add_argument("--init", choices=INITS, help="weight initialisation (default he for relu, else xavier)")
    parser.add_argument("--loss", choices=("cross_entropy", "bce", "hinge", "mse"),
                        help="default: bce for two classes, cross_entropy for more")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd", help="default sgd")
    parser.add_argument("--lr", type=_positive(float), help="learning rate (default 0.1 for sgd, 0.01 for adam)")
    parser.add_argument("--momentum", type=float, help="sgd's momentum in [0, 1) (default 0)")
    parser.add_argument("--epochs", type=_positive(int), help="passes over the training data "
                                                               "(default 15 for digits, else 100)")
    parser.add_argument("--batch-size", type=_batch_size, default=32, metavar="N",
                        help="samples per step, or 'full' for full-batch gradient descent (default 32)")
    parser.add_argument("--tol", type=_positive(float),
                        help="stop once the gradient norm of an epoch is below TOL (||grad L|| < tol)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, split, weights and batches (default 0)")
    parser.add_argument("--save", metavar="FILE", help="write the trained model (JSON) to FILE")
    parser.add_argument("--plot", metavar="FILE", help="write the loss and accuracy curves to FILE (.svg, .png, .pdf)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_limit_argument(parser)


def add_train_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train an MLP on a built-in data set or a CSV file",
        description="Train an MLP classifier, showing the progress of each epoch, then print the "
                    "training and test accuracy.",
        epilog=f"{_TRAIN_EXAMPLE}\n{_TRAIN_DETAILS}", formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_training_arguments(parser)
    parser.set_defaults(run=run_train)


@dataclass
class _Run:
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


@dataclass
class _Data:
    """Training data: rows, classes 0..k-1, what the model file records about them, and how to describe them."""

    X: Rows
    y: List[int]
    description: str
    epochs: int
    classes: List[Union[int, str]]
    features: Optional[List[str]] = None
    target: Optional[str] = None


def _training_data(args: argparse.Namespace) -> _Data:
    """The rows and labels, with their description and default number of epochs."""
    if args.csv is None:
        for option, given in (("--target", args.target), ("--features", args.features), ("--drop", args.drop)):
            if given:
                raise CommandError(f"{option} is for a --csv file")
        dataset = DATASETS[args.dataset]
        X, y = dataset.make(args.seed)
        return _Data(X, y, f"{args.dataset}, {dataset.description}", dataset.epochs, sorted(set(y)))
    if args.target is None:
        raise CommandError("--csv needs --target COLUMN, the column of class labels")
    table = _read_table(args.csv, target=args.target, features=args.features, drop=args.drop)
    try:
        y, classes = encode_labels(table)
    except CSVError as exc:
        raise CommandError(str(exc)) from None
    if len(table.X) < 2:
        raise CommandError(f"{args.csv}: one row is too few: training needs at least two, one of them held out "
                           f"for testing")
    if len(classes) < 2:
        raise CommandError(f"{args.csv}: every label in column {args.target!r} is {classes[0]!r}; "
                           f"training needs at least two classes")
    description = f"{args.csv}, {len(table.X)} rows of {len(table.columns)} features"
    return _Data(table.X, y, description, 100, classes, table.columns, args.target)


def _check_network_size(sizes: List[int], limit: int) -> None:
    count = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if count > limit:
        raise CommandError(f"--hidden {','.join(map(str, sizes[1:-1]))}: the network would have {count:,} "
                           f"parameters; the limit is {limit:,} (--max-parameters)")


#: Losses on one output (a logit or score) for two classes; the others take one output per class.
_ONE_OUTPUT_LOSSES = ("bce", "hinge")


def _loss(requested: Optional[str], n_classes: int) -> str:
    loss = requested or ("bce" if n_classes == 2 else "cross_entropy")
    if loss in _ONE_OUTPUT_LOSSES and n_classes != 2:
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


def _train(args: argparse.Namespace) -> _Run:
    """Train as ``args`` (the train command's arguments) say, printing what happens; return the run."""
    _apply_recipe(args)
    data = _training_data(args)
    n_classes = len(data.classes)
    loss = _loss(args.loss, n_classes)
    sizes = [len(data.X[0])] + args.hidden + [1 if loss in _ONE_OUTPUT_LOSSES else n_classes]
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
    model = MLP(sizes[0], sizes[1:], activation=args.activation, init=init, seed=args.seed)
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
    run = _Run(args.csv or args.dataset, model, history, X_all, data.y, X_test, accuracy(model, X_train, y_train),
               accuracy(model, X_test, y_test), seconds, about, record)
    epochs_run = f"{len(history)} epoch{'' if len(history) == 1 else 's'}"
    if history.stop_reason == "tol":
        epochs_run += f" (stopped by --tol: gradient norm {history.grad_norm[-1]:.3g} < {args.tol:g})"
    about["result"] = (f"{epochs_run} in {seconds:.1f} s, loss {history.loss[-1]:.4g}; "
                       f"train accuracy {run.train_accuracy:.1%}, test accuracy {run.test_accuracy:.1%}")
    print(f"{'result:':10}{about['result']}")
    return run


def _check_output(option: str, path: Optional[str], suffixes: Sequence[str] = ()) -> None:
    """Refuse an output file that cannot be written before spending time on training."""
    if path is None:
        return
    if not path:
        raise CommandError(f"{option} needs a file name")
    if suffixes and Path(path).suffix.lower() not in suffixes:
        raise CommandError(f"{option} {path}: the file name must end in {', '.join(suffixes)}")
    if not Path(path).parent.is_dir():
        raise CommandError(f"{option} {path}: there is no directory {Path(path).parent}")
    if suffixes:
        _require_matplotlib()


def _save(run: _Run, model_file: Optional[Path], curve_file: Optional[Path]) -> List[Path]:
    """Write the trained model (JSON) and the loss and accuracy curves, if asked; return the paths written."""
    if model_file:
        with _writing(model_file):
            run.model.save(model_file, data=run.data)
    if curve_file:
        with _writing(curve_file):
            run.history.plot(path=curve_file, title=f"{run.name}: loss and accuracy per epoch")
    return [path for path in (model_file, curve_file) if path]


def run_train(args: argparse.Namespace) -> int:
    _check_output("--save", args.save)
    _check_output("--plot", args.plot, PLOT_SUFFIXES)
    run = _train(args)
    for path in _save(run, Path(args.save) if args.save else None, Path(args.plot) if args.plot else None):
        print(f"wrote {path}")
    return 0


# --- demo ----------------------------------------------------------------------------------------

_DEMO_EXAMPLE = """\
example (a few seconds; then open demo-output/report.md):
  microgradlab demo --out demo-output
"""

#: The demo's training, as arguments of the train command (report.md shows the equivalent command).
DEMO_TRAINING = ["--dataset", "moons", "--hidden", "16,16", "--optimizer", "sgd", "--momentum", "0.9",
                 "--epochs", "100", "--seed", "0"]


def add_demo_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="train a network on the moons and write plots, a graph, the model and a report",
        description=textwrap.fill(
            "Train an MLP on the two moons (showing its progress), print its accuracy, and write into DIR: "
            "the loss curve, the decision boundary, the computation graph of one neuron (SVG), the trained "
            "model (JSON) and report.md, which links them.  Needs matplotlib (pip install microgradlab[plot])."),
        epilog=_DEMO_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", metavar="DIR", default="demo-output",
                        help="folder for the files, created if needed (default demo-output)")
    parser.set_defaults(run=run_demo)


def _draw_neuron(model: MLP, sample: Sequence[float], out: Path) -> Path:
    """The graph of the first hidden neuron that is active on ``sample``, after backward, as SVG.

    Without a Graphviz renderer, write the DOT text instead, with a warning.
    """
    from .viz import RenderError, RendererNotFoundError, expand_dots, pipe, to_dot

    inputs = [Value(x, label=f"x{i + 1}") for i, x in enumerate(sample)]
    neurons = model.layers[0].neurons
    with no_grad():
        index = next((j for j, n in enumerate(neurons) if n(inputs).data > 0.0), 0)
    output = neurons[index](inputs)
    output.label = f"neuron {index} of layer 0"
    model.zero_grad()  # fit leaves the last batch's gradients in .grad; show this backward's alone
    output.backward()
    graph = to_dot(expand_dots(output))  # the lecture's view: the neuron's * and + chain
    try:
        svg = pipe(graph, "svg")
    except RenderError as exc:
        path = out / "neuron.dot"
        with _writing(path):
            path.write_text(graph.source, encoding="utf-8")
        reason = "no Graphviz renderer found (pip install graphviz-pure)" if isinstance(
            exc, RendererNotFoundError) else str(exc)
        print(f"warning: {reason}; wrote the graph as DOT text to {path}", file=sys.stderr)
        return path
    path = out / "neuron.svg"
    with _writing(path):
        path.write_bytes(svg)
    return path


def _demo_report(run: _Run, files: Dict[str, Path], seconds: float) -> str:
    """report.md: the numbers, the files (links relative to the report), how to reproduce them."""
    neuron = files["neuron"].name
    neuron_text = (f"![one neuron]({neuron})" if neuron.endswith(".svg")
                   else f"[{neuron}]({neuron}): DOT text (no Graphviz renderer was found to draw it)")
    rows = "\n".join(f"| {key} | {text} |" for key, text in run.about.items())
    return f"""\
# microgradlab demo

An MLP learned to tell the two moons apart: **test accuracy {run.test_accuracy:.1%}**
(training accuracy {run.train_accuracy:.1%}) after {len(run.history)} epochs,
{run.seconds:.1f} s of training ({seconds:.1f} s for the whole demo).

| | |
|---|---|
{rows}

## Files

- [{files['loss'].name}]({files['loss'].name}): the loss and accuracy of each epoch.
- [{files['boundary'].name}]({files['boundary'].name}): the class the network predicts at each point of the
  plane, with the data on top.
- [{neuron}]({neuron}): one hidden neuron on one test point, with every value and gradient.
- [{files['model'].name}]({files['model'].name}): the trained weights; load them with
  `MLP.load("{files['model'].name}")` or `microgradlab predict {files['model'].name} --csv FILE`.

![loss and accuracy]({files['loss'].name})

![decision boundary]({files['boundary'].name})

{neuron_text}

## Reproduce

Everything is seeded: `microgradlab demo` gives the same numbers and files each time.  Its training is

```sh
microgradlab train {' '.join(DEMO_TRAINING)} --save model.json --plot loss.svg
```
"""


def run_demo(args: argparse.Namespace) -> int:
    _require_matplotlib()
    start = time.perf_counter()
    out = Path(args.out)
    with _writing(out):
        out.mkdir(parents=True, exist_ok=True)
    training = _Parser(prog="microgradlab train")
    _add_training_arguments(training)
    run = _train(training.parse_args(DEMO_TRAINING))
    files = {"model": out / "model.json", "loss": out / "loss.svg", "boundary": out / "decision-boundary.svg"}
    _save(run, files["model"], files["loss"])
    with _writing(files["boundary"]):
        plot_decision_boundary(run.model, run.X, run.y, path=files["boundary"], title=f"{run.name}: the network's classes")
    files["neuron"] = _draw_neuron(run.model, run.X_test[0], out)
    files["report"] = out / "report.md"
    with _writing(files["report"]):
        files["report"].write_text(_demo_report(run, files, time.perf_counter() - start), encoding="utf-8")
    for path in files.values():
        print(f"wrote {path}")
    return 0


# --- predict -------------------------------------------------------------------------------------

_PREDICT_EXAMPLE = """\
example (train on one CSV file, then predict the classes of another and check them against its labels):
  microgradlab train --csv train.csv --target label --save model.json
  microgradlab predict model.json --csv test.csv --target label
"""


def add_predict_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict", help="print a saved model's class for each row of a CSV file",
        description=textwrap.fill(
            "Load a model saved by 'microgradlab train --save' and print its predicted class for each row "
            "of a CSV file, one per line, as the training file's labels (0, 1, ... or setosa, ...).  The file "
            "has a header row.  A model trained with --csv finds its feature columns by name, in any order "
            "(other columns are ignored, with a note) and applies the training's scaling; for other models "
            "every column but --target is an input, in the order used for training.  A model with one "
            "output predicts class 1 when the output is above 0.  With --target, the accuracy follows on "
            "standard error (so standard output stays a list of classes)."),
        epilog=_PREDICT_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a model file written by train --save (or MLP.save)")
    parser.add_argument("--csv", metavar="FILE", required=True, help="the rows to classify")
    parser.add_argument("--target", metavar="COLUMN", help="the column of true labels, to report the accuracy")
    _add_limit_argument(parser)
    parser.set_defaults(run=run_predict)


@dataclass
class _Recorded:
    """What a model file says about its data: feature columns (None: by position), scaling, class labels."""

    features: Optional[List[str]]
    scaling: Optional[Scaling]
    classes: List[Union[int, str]]


def _recorded(path: str, data: Dict[str, Any], model: MLP) -> _Recorded:
    n_classes = max(model.nout, 2)
    features, classes = data.get("features"), data.get("classes", list(range(n_classes)))
    if features is not None and not (isinstance(features, list) and len(features) == model.nin
                                     and all(isinstance(f, str) and f for f in features)
                                     and len(set(features)) == len(features)):
        raise CommandError(f"{path}: 'data.features' must be a list of {model.nin} distinct column names")
    if not (isinstance(classes, list) and len(classes) == n_classes and len(set(map(repr, classes))) == n_classes
            and all(isinstance(c, (int, str)) and not isinstance(c, bool) for c in classes)):
        raise CommandError(f"{path}: 'data.classes' must be a list of {n_classes} distinct labels")
    try:
        scaling = Scaling.from_dict(data["scaling"], model.nin) if data.get("scaling") is not None else None
    except ValueError as exc:
        raise CommandError(f"{path}: 'data.scaling': {exc}") from None
    return _Recorded(features, scaling, classes)


def _true_classes(table: CSVTable, classes: List[Union[int, str]]) -> List[int]:
    """The index of each row's label among the model's ``classes``; a label it does not know is an error."""
    index = {label: i for i, label in enumerate(classes)}
    numeric = all(isinstance(c, int) for c in classes)
    out = []
    for line, cell in zip(table.lines, table.labels or ()):
        key = label_key(cell) if numeric else cell
        if key not in index:
            shown = ", ".join(map(str, classes[:10])) + (", ..." if len(classes) > 10 else "")
            raise CommandError(f"{table.path}, line {line}, column {table.target!r}: class {cell} is not one of "
                               f"the model's {len(classes)} classes ({shown})")
        out.append(index[key])
    return out


def _classes_of(outputs: Sequence[Any], table: CSVTable) -> List[int]:
    """Each output's class; a NaN output is an error naming its rows, never a class."""
    bad = [line for line, o in zip(table.lines, outputs)
           if any(math.isnan(v) for v in (o if isinstance(o, list) else [o]))]
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
        raise CommandError(f"{table.path}: the model's output is NaN for {len(bad)} of {len(outputs)} rows "
                           f"(lines {shown}); no classes printed")
    return predicted_classes(outputs)


def run_predict(args: argparse.Namespace) -> int:
    try:
        document = read_model_file(args.model)
        model = MLP.from_document(document, source=args.model, max_parameters=args.max_parameters)
        data = document.get("data", {})
    except ModelFileError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot read {args.model}: {exc.strerror or exc}") from None
    recorded = _recorded(args.model, data, model)
    table = _read_table(args.csv, target=args.target, features=recorded.features,
                        features_from=f"the model {args.model} needs it")
    if recorded.features is None and len(table.columns) != model.nin:
        raise CommandError(f"{args.csv} has {len(table.columns)} feature columns"
                           f"{'' if args.target is None else ' besides ' + repr(args.target)}, but the model "
                           f"takes {model.nin} inputs: give the training file's feature columns, in the same order"
                           f"{' (and name the label column with --target)' if args.target is None else ''}")
    if recorded.features is not None and table.ignored:
        print(f"note: ignoring the columns {', '.join(table.ignored)} of {args.csv}, which the model does not use",
              file=sys.stderr)
    truth = _true_classes(table, recorded.classes) if table.labels is not None else None
    X = recorded.scaling.transform(table.X) if recorded.scaling else table.X
    classes = _classes_of(predict(model, X), table)
    sys.stdout.write("".join(f"{recorded.classes[c]}\n" for c in classes))
    if truth is not None:
        correct = sum(c == label for c, label in zip(classes, truth))
        print(f"accuracy {correct / len(classes):.1%} ({correct} of {len(classes)} rows)", file=sys.stderr)
    return 0


# --- the command ----------------------------------------------------------------------------

from .cli_teaching import ANIMATE_EXAMPLE, CHECK_ENGINE_EXAMPLE, add_animate_command, add_check_engine_command  # noqa: E402

#: The functions that add each subcommand to the parser, in the order ``--help`` lists them.
COMMANDS: List[Callable[[argparse._SubParsersAction], None]] = [
    add_demo_command, add_train_command, add_predict_command, add_graph_command,
    add_animate_command, add_check_engine_command]
#: Examples shown by ``microgradlab --help``, one per subcommand.
EXAMPLES: List[str] = [_DEMO_EXAMPLE, _TRAIN_EXAMPLE, _PREDICT_EXAMPLE, _GRAPH_EXAMPLE,
                       ANIMATE_EXAMPLE, CHECK_ENGINE_EXAMPLE]


def build_parser() -> argparse.ArgumentParser:
    """The ``microgradlab`` argument parser with every subcommand of :data:`COMMANDS`."""
    from . import __version__

    parser = _Parser(prog="microgradlab",
                     description="A scalar autograd engine for learning, teaching and testing backpropagation.",
                     epilog="\n".join(EXAMPLES + ["'microgradlab COMMAND --help' describes each command."]),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"microgradlab {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    subparsers.required = True
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:  # the command alone: what it can do
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(_expression_first(argv, parser))
        return args.run(args)
    except CommandError as exc:
        print(f"microgradlab: error: {exc}", file=sys.stderr)
        return ERROR_STATUS
    except ImportError as exc:  # a dependency missing from a broken install
        print(f"microgradlab: error: {exc}: reinstall microgradlab (pip install microgradlab)", file=sys.stderr)
        return ERROR_STATUS
    except MemoryError:  # the readers bound what files can ask for; this is the machine's own limit
        print("microgradlab: error: out of memory", file=sys.stderr)
        return ERROR_STATUS
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("microgradlab: interrupted", file=sys.stderr)
        return 130
