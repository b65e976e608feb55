"""The ``microgradlab`` command line: one subcommand per job.

Each subcommand is a pair of functions: ``add_<name>_command(subparsers)``
declares its arguments and sets ``run=<function>``; the run function takes the
parsed arguments and returns the exit status.  A user mistake raises
:class:`CommandError`, which :func:`main` prints as one line (no traceback)
with exit status 2.  To add a subcommand, write the pair and list the ``add_``
function in :data:`COMMANDS` (and an example in :data:`EXAMPLES`).

Exit status: 0 on success, 2 for bad input (arguments, expressions, values),
1 when the environment fails us (no renderer, a file that cannot be written).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import sys
import textwrap
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterator, List, NoReturn, Optional, Sequence, Tuple

from .datasets import load_digits, make_blobs, make_circles, make_moons, make_spiral, make_xor, train_test_split
from .engine import Value, no_grad
from .nn import ACTIVATIONS, INITS, MLP, ModelFileError
from .optim import SGD, Adam, Optimizer
from .plots import PLOT_SUFFIXES, plot_decision_boundary, predicted_classes
from .train import History, accuracy, fit, predict

__all__ = ["main", "build_parser", "CommandError", "COMMANDS", "EXAMPLES"]

USAGE_ERROR = 2
ENVIRONMENT_ERROR = 1


class CommandError(Exception):
    """A failure to report as one line on stderr, with an exit status."""

    def __init__(self, message: str, status: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit status 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message} (see {self.prog} --help)")


# --- graph ------------------------------------------------------------------------------

_GRAPH_EXAMPLE = """\
example (karpathy's neuron; writes neuron.svg and prints the gradients):
  microgradlab graph "tanh(w1*x1 + w2*x2 + b)" \\
      --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432 -o neuron.svg
"""

_FORMATS = ("svg", "png", "dot")


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
    parser.add_argument("expression", help='e.g. "tanh(w1*x1 + w2*x2 + b)"')
    parser.add_argument("--at", metavar="NAME=NUMBER,...", default="",
                        help="the value of every variable, e.g. x1=2,x2=0")
    parser.add_argument("-o", "--output", metavar="FILE", default="-",
                        help="file to write (default: standard output)")
    parser.add_argument("-f", "--format", choices=_FORMATS,
                        help="svg, png or dot (the DOT text; needs no renderer); "
                             "default: from the output file's suffix, else svg")
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="layout direction (default LR: inputs on the left)")
    parser.add_argument("--precision", type=int, default=4, help="decimals shown (default 4)")
    parser.add_argument("--no-backward", action="store_true", help="draw data only; do not backpropagate")
    parser.add_argument("--renderer", metavar="PROGRAM",
                        help="dot, graphviz-pure, or a path (default: dot if on PATH, else graphviz-pure)")
    parser.set_defaults(run=run_graph)


def _output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower().lstrip(".")
    return {"gv": "dot"}.get(suffix, suffix) if suffix in _FORMATS + ("gv",) else "svg"


def run_graph(args: argparse.Namespace) -> int:
    from .engine import Value
    from .expr import ExpressionError, parse, parse_bindings
    from .viz import RenderError, pipe, to_dot

    try:
        expression = parse(args.expression)
        values = parse_bindings(args.at)
        unused = [name for name in values if name not in expression.names]
        if unused:
            raise ExpressionError(f"--at gives {', '.join(unused)}, which the expression does not use")
        missing = [name for name in expression.names if name not in values]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)}: give every variable with --at, "
                                  f"e.g. --at {','.join(f'{n}=1' for n in expression.names)}")
        leaves = {name: Value(values[name], label=name) for name in expression.names}
        out = expression.evaluate(leaves)
        if not args.no_backward:
            out.backward()
        graph = to_dot(out, rankdir=args.rankdir, precision=args.precision, show_grad=not args.no_backward)
    except (ValueError, ArithmeticError) as exc:  # ExpressionError, domain errors such as log(-1.0)
        raise CommandError(str(exc)) from None
    fmt = _output_format(args)
    try:
        data = graph.source.encode("utf-8") if fmt == "dot" else pipe(graph, fmt, renderer=args.renderer)
    except RenderError as exc:
        raise CommandError(str(exc), ENVIRONMENT_ERROR) from None
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}", ENVIRONMENT_ERROR) from None
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
}


@dataclass
class _Table:
    """A CSV file's feature columns, rows and (with a target column) labels, with each row's line number."""

    columns: List[str]
    X: Rows = field(default_factory=list)
    y: Optional[List[int]] = None
    lines: List[int] = field(default_factory=list)


def _csv_rows(path: str, f: IO[str]) -> Iterator[Tuple[int, List[str]]]:
    """``(line number, cells)`` of each non-blank row; a malformed file is a CommandError naming the line."""
    reader = csv.reader(f, strict=True)  # strict: a stray quote is an error, not a silently merged cell
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise CommandError(f"{path}, line {reader.line_num}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
        if row is None:
            return
        if row:
            yield reader.line_num, row


def _number_cell(text: str, path: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"{path}, line {line}, column {column!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise CommandError(f"{path}, line {line}, column {column!r}: {text!r} is not a finite number")
    return value


def _label_cell(text: str, path: str, line: int, column: str) -> int:
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()):
        raise CommandError(f"{path}, line {line}, column {column!r}: class labels must be integers 0, 1, 2, ..., "
                           f"got {text!r}")
    return int(digits)


def _read_header(path: str, rows: Iterator[Tuple[int, List[str]]], target: Optional[str]) -> List[str]:
    line, header = next(rows, (0, None))
    if header is None:
        raise CommandError(f"{path}: the file is empty; it needs a header row naming the columns, "
                           f"then one row of numbers per sample")
    names = [name.strip() for name in header]
    for i, name in enumerate(names):
        if not name:
            raise CommandError(f"{path}, line {line}: column {i + 1} of the header has no name")
        if name in names[:i]:
            raise CommandError(f"{path}, line {line}: the header names column {name!r} twice")
    if target is not None and target not in names:
        raise CommandError(f"{path}: no column {target!r} (--target); the header has {', '.join(map(repr, names))}")
    if names == [target]:
        raise CommandError(f"{path}: no feature columns, only the label column {target!r}")
    return names


def _read_csv(path: str, target: Optional[str] = None) -> _Table:
    """Read a CSV file with a header row: numeric feature columns and, if ``target`` is given, its class labels.

    Every column but ``target`` is a feature; labels are integers ``0, 1, 2, ...``.
    Blank lines are skipped.  Any problem (a missing file or column, a ragged
    row, a cell that is not a finite number) is a :class:`CommandError` naming
    the file, line and column.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # utf-8-sig: a spreadsheet's byte-order mark
            rows = _csv_rows(path, f)
            names = _read_header(path, rows, target)
            label_at = names.index(target) if target is not None else -1
            features = [i for i in range(len(names)) if i != label_at]
            table = _Table([names[i] for i in features], y=None if target is None else [])
            for line, row in rows:
                if len(row) != len(names):
                    raise CommandError(f"{path}, line {line}: {len(row)} cells, but the header has "
                                       f"{len(names)} columns")
                table.X.append([_number_cell(row[i], path, line, names[i]) for i in features])
                if table.y is not None:
                    table.y.append(_label_cell(row[label_at], path, line, names[label_at]))
                table.lines.append(line)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not table.X:
        raise CommandError(f"{path}: no data rows after the header")
    return table


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into a one-line error (exit status 1)."""
    try:
        yield
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}", ENVIRONMENT_ERROR) from None


def _require_matplotlib() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise CommandError("plots need matplotlib: pip install microgradlab[plot]", ENVIRONMENT_ERROR)


# --- train ---------------------------------------------------------------------------------------

_TRAIN_EXAMPLE = """\
examples (the shipped digits, >= 95% test accuracy; your own CSV file, saving the model and the loss curve):
  microgradlab train --dataset digits --hidden 32 --optimizer sgd --momentum 0.9
  microgradlab train --csv data.csv --target label --epochs 200 --save model.json --plot loss.svg
"""

_TRAIN_DETAILS = f"""\
The data is split {1 - TEST_FRACTION:.0%} for training and {TEST_FRACTION:.0%} for testing, stratified by class.
--seed seeds everything: the data set, the split, the initial weights and the batch order,
so the same command gives the same numbers.  Default loss: bce (binary cross-entropy on one
output logit) for two classes, cross_entropy (softmax over one output per class) for more;
hinge also takes one output, mse one output per class (one-hot targets).  A one-output model
predicts class 1 when its output is above 0.  CSV features are used as they are: scale them
to about [-1, 1] first.
"""


def _layer_sizes(text: str) -> List[int]:
    """``"16,16"`` -> ``[16, 16]``; ``""`` -> no hidden layer."""
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if not all(part.isascii() and part.isdigit() and int(part) > 0 for part in parts):
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


def _add_training_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--dataset", choices=tuple(DATASETS),
                      help="a built-in data set: " + "; ".join(f"{k}: {d.description}" for k, d in DATASETS.items()))
    data.add_argument("--csv", metavar="FILE",
                      help="a CSV file with a header row: numeric feature columns and the label column --target")
    parser.add_argument("--target", metavar="COLUMN", help="with --csv: the column of class labels 0, 1, 2, ...")
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


def _training_data(args: argparse.Namespace) -> Tuple[Rows, List[int], str, int]:
    """The rows, labels, a description and the default number of epochs."""
    if args.csv is None:
        if args.target is not None:
            raise CommandError("--target names the label column of a --csv file")
        dataset = DATASETS[args.dataset]
        X, y = dataset.make(args.seed)
        return X, y, f"{args.dataset}, {dataset.description}", dataset.epochs
    if args.target is None:
        raise CommandError("--csv needs --target COLUMN, the column of class labels")
    table = _read_csv(args.csv, args.target)
    assert table.y is not None
    if len(table.X) < 2:
        raise CommandError(f"{args.csv}: one row is too few: training needs at least two, one of them held out "
                           f"for testing")
    if max(table.y) < 1:
        raise CommandError(f"{args.csv}: every label in column {args.target!r} is 0; "
                           f"training needs at least two classes")
    return table.X, table.y, f"{args.csv}, {len(table.X)} rows of {len(table.columns)} features", 100


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
    X, y, data, default_epochs = _training_data(args)
    n_classes = max(y) + 1
    loss = _loss(args.loss, n_classes)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=TEST_FRACTION, random_state=args.seed,
                                                        stratify=y)
    init = args.init or ("he" if args.activation == "relu" else "xavier")
    model = MLP(len(X[0]), args.hidden + [1 if loss in _ONE_OUTPUT_LOSSES else n_classes],
                activation=args.activation, init=init, seed=args.seed)
    optimizer = _optimizer(args, model)
    epochs = args.epochs or default_epochs
    about = {
        "data": f"{data}; {len(X_train)} to train on, {len(X_test)} to test on",
        "model": f"{model!r}, {len(model.parameters())} parameters, {init} init",
        "training": f"{loss} loss, {optimizer!r}, {epochs} epochs, "
                    + ("full batch" if args.batch_size is None else f"mini-batches of {args.batch_size}"),
    }
    for key, text in about.items():
        print(f"{key + ':':10}{text}", flush=True)
    start = time.perf_counter()
    try:
        history = fit(model, X_train, y_train, loss=loss, optimizer=optimizer, epochs=epochs,
                      batch_size=args.batch_size, seed=args.seed, tol=args.tol, progress=not args.quiet)
    except ArithmeticError as exc:  # FloatingPointError: the loss diverged; OverflowError from the engine
        raise CommandError(f"{exc} (--lr)") from None
    seconds = time.perf_counter() - start
    run = _Run(args.csv or args.dataset, model, history, X, y, X_test, accuracy(model, X_train, y_train),
               accuracy(model, X_test, y_test), seconds, about)
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
            run.model.save(model_file)
    if curve_file:
        with _writing(curve_file):
            run.history.plot(curve_file, title=f"{run.name}: loss and accuracy per epoch")
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
        plot_decision_boundary(run.model, run.X, run.y, files["boundary"], title=f"{run.name}: the network's classes")
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
            "Load a model saved by 'microgradlab train --save' and print its predicted class (0, 1, 2, ...) "
            "for each row of a CSV file, one per line.  The file has a header row; every column but --target "
            "is an input, in the order used for training.  A model with one output predicts class 1 when "
            "the output is above 0.  With --target, the accuracy follows on standard error (so standard "
            "output stays a list of classes)."),
        epilog=_PREDICT_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a model file written by train --save (or MLP.save)")
    parser.add_argument("--csv", metavar="FILE", required=True, help="the rows to classify")
    parser.add_argument("--target", metavar="COLUMN", help="the column of true labels, to report the accuracy")
    parser.set_defaults(run=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    try:
        model = MLP.load(args.model)
    except ModelFileError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot read {args.model}: {exc.strerror or exc}") from None
    table = _read_csv(args.csv, args.target)
    if len(table.columns) != model.nin:
        raise CommandError(f"{args.csv} has {len(table.columns)} feature columns"
                           f"{'' if args.target is None else ' besides ' + repr(args.target)}, but the model "
                           f"takes {model.nin} inputs: give the training file's feature columns, in the same order"
                           f"{' (and name the label column with --target)' if args.target is None else ''}")
    n_classes = max(model.nout, 2)
    for line, label in zip(table.lines, table.y or ()):
        if label >= n_classes:
            raise CommandError(f"{args.csv}, line {line}, column {args.target!r}: class {label} is out of range "
                               f"for a model of {n_classes} classes (0 to {n_classes - 1})")
    classes = predicted_classes(predict(model, table.X))
    sys.stdout.write("".join(f"{c}\n" for c in classes))
    if table.y is not None:
        correct = sum(c == label for c, label in zip(classes, table.y))
        print(f"accuracy {correct / len(classes):.1%} ({correct} of {len(classes)} rows)", file=sys.stderr)
    return 0


# --- the command ----------------------------------------------------------------------------

#: The functions that add each subcommand to the parser, in the order ``--help`` lists them.
COMMANDS: List[Callable[[argparse._SubParsersAction], None]] = [
    add_demo_command, add_train_command, add_predict_command, add_graph_command]
#: Examples shown by ``microgradlab --help``, one per subcommand.
EXAMPLES: List[str] = [_DEMO_EXAMPLE, _TRAIN_EXAMPLE, _PREDICT_EXAMPLE, _GRAPH_EXAMPLE]


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
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except CommandError as exc:
        print(f"microgradlab: error: {exc}", file=sys.stderr)
        return exc.status
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("microgradlab: interrupted", file=sys.stderr)
        return 130
