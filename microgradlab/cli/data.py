"""The ``train`` command's data: the built-in data sets it knows by name, or a CSV file, as rows and classes."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ..datasets import load_digits, load_fashion_mnist, make_blobs, make_circles, make_moons, make_spiral, make_xor
from ..datasets.csv import CSVError, encode_labels
from .errors import CommandError
from .files import read_table

__all__ = ["Rows", "Dataset", "DATASETS", "TrainingData", "training_data"]

Rows = List[List[float]]


@dataclass(frozen=True)
class Dataset:
    """A built-in data set: how to make it from a seed, what it is, and how many epochs suit it."""

    make: Callable[[int], Tuple[Rows, List[int]]]
    description: str
    epochs: int = 100
    recipe: Dict[str, Any] = field(default_factory=dict)  # options used where the command line gives none


def _seeded(make: Callable[..., Tuple[Rows, List[int]]], **options: Any) -> Callable[[int], Tuple[Rows, List[int]]]:
    return lambda seed: make(random_state=seed, **options)


#: Name (the --dataset choice) -> the data set, in the order --help lists them.
DATASETS: Dict[str, Dataset] = {
    "moons": Dataset(_seeded(make_moons, n_samples=200, noise=0.1),
                      "200 points on two interleaving half circles, noise 0.1"),
    "circles": Dataset(_seeded(make_circles, n_samples=200, noise=0.05, factor=0.5),
                        "200 points on two circles (radii 1 and 0.5), noise 0.05"),
    "spiral": Dataset(_seeded(make_spiral, n_samples=300, n_classes=3, noise=0.2),
                       "300 points on 3 spiral arms, noise 0.2"),
    "xor": Dataset(_seeded(make_xor, n_samples=200),
                    "200 points in [-1, 1]^2, class 1 where x1 and x2 have different signs"),
    "blobs": Dataset(_seeded(make_blobs, n_samples=300, centers=3),
                      "300 points in 3 Gaussian blobs"),
    "digits": Dataset(lambda seed: load_digits(scale=True),
                       "1797 8x8 handwritten digits, 64 pixels scaled to [0, 1]", epochs=15),
    "fashion-mnist": Dataset(lambda seed: load_fashion_mnist(), "the 60,000 Fashion-MNIST training images, "
                              "784 pixels in [0, 1] (Debian's dataset-fashion-mnist); the seeds' recipe: hidden "
                              "32,32, sgd lr 0.02 momentum 0.9, batches of 100, 5 epochs", epochs=5,
                              recipe={"hidden": [32, 32], "lr": 0.02, "momentum": 0.9, "batch_size": 100}),
}


@dataclass
class TrainingData:
    """Training data: rows, classes 0..k-1, what the model file records about them, and how to describe them."""

    X: Rows
    y: List[int]
    description: str
    epochs: int
    classes: List[Union[int, str]]
    features: Optional[List[str]] = None
    target: Optional[str] = None


def training_data(args: argparse.Namespace) -> TrainingData:
    """The rows and labels, with their description and default number of epochs."""
    if args.csv is None:
        for option, given in (("--target", args.target), ("--features", args.features), ("--drop", args.drop)):
            if given:
                raise CommandError(f"{option} is for a --csv file")
        dataset = DATASETS[args.dataset]
        X, y = dataset.make(args.seed)
        return TrainingData(X, y, f"{args.dataset}, {dataset.description}", dataset.epochs, sorted(set(y)))
    if args.target is None:
        raise CommandError("--csv needs --target COLUMN, the column of class labels")
    table = read_table(args.csv, target=args.target, features=args.features, drop=args.drop)
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
    return TrainingData(table.X, y, description, 100, classes, table.columns, args.target)
