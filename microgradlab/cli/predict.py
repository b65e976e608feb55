"""The ``predict`` command: a saved model's class for each row of a CSV file, and its accuracy."""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Union

from ..checks import is_int
from ..datasets.csv import CSVTable, label_key
from ..datasets.scaling import Scaling
from ..modelfile import read_model_file
from ..nn import MLP, ModelFileError
from ..plots import predicted_classes
from ..train import predict
from .errors import CommandError
from .files import read_table
from .options import add_limit_argument

__all__ = ["PREDICT_EXAMPLE", "add_predict_command", "run_predict"]

PREDICT_EXAMPLE = """\
example (train on one CSV file, then predict the classes of another and check them against its labels):
  microgradlab train --csv train.csv --target label --save model.json
  microgradlab predict model.json --csv test.csv --target label
"""


def add_predict_command(subparsers: argparse._SubParsersAction) -> None:
    """Add ``predict`` to the command line."""
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
        epilog=PREDICT_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a model file written by train --save (or MLP.save)")
    parser.add_argument("--csv", metavar="FILE", required=True, help="the rows to classify")
    parser.add_argument("--target", metavar="COLUMN", help="the column of true labels, to report the accuracy")
    add_limit_argument(parser)
    parser.set_defaults(run=run_predict)


@dataclass
class _Recorded:
    """What a model file says about its data: feature columns (None: by position), scaling, class labels."""

    features: Optional[List[str]]
    scaling: Optional[Scaling]
    classes: List[Union[int, str]]


def _recorded(path: str, data: Dict[str, Any], model: MLP) -> _Recorded:
    """The model file's ``data`` section, checked against the model."""
    n_classes = max(model.nout, 2)
    features, classes = data.get("features"), data.get("classes", list(range(n_classes)))
    if features is not None and not (isinstance(features, list) and len(features) == model.nin
                                     and all(isinstance(f, str) and f for f in features)
                                     and len(set(features)) == len(features)):
        raise CommandError(f"{path}: 'data.features' must be a list of {model.nin} distinct column names")
    if not (isinstance(classes, list) and len(classes) == n_classes and len(set(map(repr, classes))) == n_classes
            and all(is_int(c) or isinstance(c, str) for c in classes)):
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
    """Print the class of each row (and the accuracy on stderr, with --target)."""
    try:
        document = read_model_file(args.model)
        model = MLP.from_document(document, source=args.model, max_parameters=args.max_parameters)
        data = document.get("data", {})
    except ModelFileError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot read {args.model}: {exc.strerror or exc}") from None
    recorded = _recorded(args.model, data, model)
    table = read_table(args.csv, target=args.target, features=recorded.features,
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
