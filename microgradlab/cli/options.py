"""The training options shared by ``train`` and ``demo``: their argument types, defaults and recipes."""

from __future__ import annotations

import argparse
from typing import Any, Callable, List, Optional

from ..checks import check_float, check_int
from ..datasets.scaling import SCALINGS
from ..modelfile import MAX_PARAMETERS
from ..nn import INITS, activations
from .data import DATASETS

__all__ = ["DEFAULT_ACTIVATION", "layer_sizes", "positive", "batch_size", "column_names",
           "add_limit_argument", "add_training_arguments", "apply_recipe"]

#: The activation of the hidden layers when --activation is not given.
DEFAULT_ACTIVATION = "relu"



def layer_sizes(text: str) -> List[int]:
    """``"16,16"`` -> ``[16, 16]``; ``""`` -> no hidden layer."""
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if not all(part.isascii() and part.isdigit() and len(part) <= 9 and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(f"expected layer widths such as 16,16 (positive integers), got {text!r}")
    return [int(part) for part in parts]


def positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argument type: ``kind`` (int or float) of the text, which must be positive and finite."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
            if kind is int:
                return check_int("", "", value, minimum=1)
            return check_float("", "", value, low=0.0, low_open=True)
        except ValueError:  # not a number, or not in range: argparse names the option and shows the text
            raise argparse.ArgumentTypeError(f"expected a positive {'integer' if kind is int else 'number'}, "
                                             f"got {text!r}") from None

    return parse


def batch_size(text: str) -> Optional[int]:
    """``--batch-size``: a positive integer, or ``full`` (None) for full-batch gradient descent."""
    return None if text == "full" else positive(int)(text)


def column_names(text: str) -> List[str]:
    """``"a, b"`` -> ``["a", "b"]``: column names for --features and --drop."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected column names separated by commas, got {text!r}")
    return names


def add_limit_argument(parser: argparse.ArgumentParser) -> None:
    """``--max-parameters``: the largest network a command builds or loads."""
    parser.add_argument("--max-parameters", type=positive(int), default=MAX_PARAMETERS, metavar="N",
                        help=f"refuse a network of more than N parameters (default {MAX_PARAMETERS:,})")


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``train``: the data, the network, the optimizer, the outputs."""
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--dataset", choices=tuple(DATASETS),
                      help="a built-in data set: " + "; ".join(f"{k}: {d.description}" for k, d in DATASETS.items()))
    data.add_argument("--csv", metavar="FILE",
                      help="a CSV file with a header row: numeric feature columns and the label column --target")
    parser.add_argument("--target", metavar="COLUMN",
                        help="with --csv: the column of class labels (integers or text)")
    columns = parser.add_mutually_exclusive_group()
    columns.add_argument("--features", type=column_names, metavar="A,B,...",
                         help="with --csv: the feature columns, in this order (default: all but --target)")
    columns.add_argument("--drop", type=column_names, default=[], metavar="A,B,...",
                         help="with --csv: columns not to use as features, e.g. --drop id")
    parser.add_argument("--scale", choices=SCALINGS,
                        help="scale the features, fitted on the training split: standard (mean 0, "
                             "deviation 1) or minmax (into [0, 1]); stored in the saved model")
    parser.add_argument("--hidden", type=layer_sizes, default="16,16", metavar="WIDTHS",
                        help="hidden layer widths, e.g. 32 or 16,16 (default 16,16; '' for none)")
    parser.add_argument("--activation", choices=activations(), default=DEFAULT_ACTIVATION,
                        help="hidden activation: an op of the op table (including plugins' ops) or linear "
                             f"(default {DEFAULT_ACTIVATION})")
    parser.add_argument("--init", choices=INITS, help="weight initialisation (default he for relu, else xavier)")
    parser.add_argument("--loss", choices=("cross_entropy", "bce", "hinge", "mse"),
                        help="default: bce for two classes, cross_entropy for more")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd", help="default sgd")
    parser.add_argument("--lr", type=positive(float), help="learning rate (default 0.1 for sgd, 0.01 for adam)")
    parser.add_argument("--momentum", type=float, help="sgd's momentum in [0, 1) (default 0)")
    parser.add_argument("--epochs", type=positive(int), help="passes over the training data "
                                                              "(default 15 for digits, else 100)")
    parser.add_argument("--batch-size", type=batch_size, default=32, metavar="N",
                        help="samples per step, or 'full' for full-batch gradient descent (default 32)")
    parser.add_argument("--tol", type=positive(float),
                        help="stop once the gradient norm of an epoch is below TOL (||grad L|| < tol)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, split, weights and batches (default 0)")
    parser.add_argument("--save", metavar="FILE", help="write the trained model (JSON) to FILE")
    parser.add_argument("--plot", metavar="FILE", help="write the loss and accuracy curves to FILE (.svg, .png, .pdf)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_limit_argument(parser)


def apply_recipe(args: argparse.Namespace) -> None:
    """Set the options a built-in data set's recipe names, where the command line left the default."""
    if args.csv is not None:
        return
    defaults = argparse.ArgumentParser()
    add_training_arguments(defaults)
    default = defaults.parse_args(["--dataset", args.dataset])
    for name, value in DATASETS[args.dataset].recipe.items():
        if getattr(args, name) == getattr(default, name):
            setattr(args, name, value)
