"""CSV files of samples: a header row naming the columns, numeric features, and a column of class labels.

:func:`read_csv` reads the features (every column but the target, or those
named by ``features``, minus ``drop``) and keeps each label cell as written;
:func:`encode_labels` turns the labels into classes ``0 .. k-1`` and the list
of original labels, so that labels ``1, 2, 3``, ``0.0, 1.0`` or ``setosa,
versicolor`` all work and nothing is padded.

The file is untrusted input: its size is checked against ``max_bytes`` before
it is read, its header against ``max_columns``, and its labels against
``max_label_length`` and ``max_classes``; every failure is a
:class:`CSVError` naming the file, line and column.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "flowers.csv")
>>> with open(path, "w") as f:
...     _ = f.write("id,petal,sepal,species\\n1,1.4,5.1,setosa\\n2,4.7,7.0,versicolor\\n3,1.3,4.9,setosa\\n")
>>> table = read_csv(path, target="species", drop=["id"])
>>> table.columns, table.X[0], table.labels
(['petal', 'sepal'], [1.4, 5.1], ['setosa', 'versicolor', 'setosa'])
>>> encode_labels(table)
([0, 1, 0], ['setosa', 'versicolor'])
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence, Tuple, Union

from .checks import DatasetError, PathLike

__all__ = ["CSVError", "CSVTable", "read_csv", "encode_labels", "label_key", "suggest",
           "MAX_CSV_BYTES", "MAX_COLUMNS", "MAX_CLASSES", "MAX_LABEL_LENGTH"]

#: Largest CSV file read, in bytes.
MAX_CSV_BYTES = 2 ** 30
#: Most columns in the header.
MAX_COLUMNS = 100_000
#: Most distinct class labels (a column with more is rarely a class label).
MAX_CLASSES = 1000
#: Longest label cell, in characters.
MAX_LABEL_LENGTH = 100

Label = Union[int, str]
#: An integer label: up to 18 digits, so the class list stays within model files' integers.
_INTEGER = re.compile(r"[+-]?\d{1,18}")


class CSVError(DatasetError):
    """A CSV file that cannot be used: the message names the file, line and column, and why."""


@dataclass
class CSVTable:
    """The feature columns of a CSV file, its rows, and (with a target) its label cells as written.

    ``lines`` holds each row's line number; ``ignored`` the file's columns that
    are neither features nor the target.
    """

    path: str
    columns: List[str]
    X: List[List[float]] = field(default_factory=list)
    labels: Optional[List[str]] = None
    target: Optional[str] = None
    lines: List[int] = field(default_factory=list)
    ignored: List[str] = field(default_factory=list)


def suggest(name: str, choices: Sequence[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _text(path: str, max_bytes: int) -> str:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise CSVError(f"{path}: {size} bytes; CSV files are limited to {max_bytes} (max_bytes)")
            raw = f.read(size + 1)  # not read(max_bytes): that would allocate max_bytes up front
    except OSError as exc:
        raise CSVError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > size:
        raise CSVError(f"{path}: the file grew while it was read; read it again once it is complete")
    try:
        return raw.decode("utf-8-sig")  # -sig: a spreadsheet's byte-order mark
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CSVError(f"{path}, line {line}, byte {column} of the line: not UTF-8 text ({exc.reason}); "
                       f"save the file as UTF-8") from None


def _rows(path: str, text: str) -> Iterator[Tuple[int, List[str]]]:
    """``(line number, cells)`` of each non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # strict: a stray quote is an error
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise CSVError(f"{path}, line {reader.line_num}: {exc}") from None
        if row is None:
            return
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def _header(path: str, rows: Iterator[Tuple[int, List[str]]], max_columns: int) -> List[str]:
    line, header = next(rows, (0, None))
    if header is None:
        raise CSVError(f"{path}: the file is empty; it needs a header row naming the columns, "
                       f"then one row of numbers per sample")
    if len(header) > max_columns:
        raise CSVError(f"{path}, line {line}: {len(header)} columns; the limit is {max_columns} (max_columns)")
    names = [name.strip() for name in header]
    seen = set()
    for i, name in enumerate(names):
        if not name:
            raise CSVError(f"{path}, line {line}: column {i + 1} of the header has no name")
        if name in seen:
            raise CSVError(f"{path}, line {line}: the header names column {name!r} twice")
        seen.add(name)
    return names


def _column(path: str, names: List[str], name: str, option: str) -> int:
    if name not in names:
        shown = ", ".join(map(repr, names[:20])) + (", ..." if len(names) > 20 else "")
        raise CSVError(f"{path}: no column {name!r} ({option}){suggest(name, names)}; the header has {shown}")
    return names.index(name)


def _number(path: str, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CSVError(f"{path}, line {line}, column {column!r}: {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise CSVError(f"{path}, line {line}, column {column!r}: {text[:40]!r} is not a finite number")
    return value


def read_csv(path: PathLike, *, target: Optional[str] = None, features: Optional[Sequence[str]] = None,
             drop: Sequence[str] = (), max_bytes: int = MAX_CSV_BYTES, max_columns: int = MAX_COLUMNS,
             max_label_length: int = MAX_LABEL_LENGTH, features_from: str = "--features") -> CSVTable:
    """Read a CSV file with a header row into feature rows and, with ``target``, label cells.

    Args:
        path: The file (UTF-8, with or without a byte-order mark).
        target: The column of class labels, kept as text (see :func:`encode_labels`).
        features: The feature columns, in this order (default: every column but
            ``target``).  Other columns are ignored and listed in ``ignored``.
        drop: Columns not to use as features (an ``id`` column, say).
        max_bytes: The largest file read (default :data:`MAX_CSV_BYTES`).
        max_columns: The most columns in the header (default :data:`MAX_COLUMNS`).
        max_label_length: The longest label cell, in characters (default :data:`MAX_LABEL_LENGTH`).
        features_from: Where ``features`` came from, for messages (``"the model"``).

    Raises:
        CSVError: naming the file, line and column: unreadable, too large, not UTF-8, a
            missing or repeated column, a ragged row, a feature that is not a finite number,
            an empty label.
    """
    name = os.fspath(path)
    rows = _rows(name, _text(name, max_bytes))
    names = _header(name, rows, max_columns)
    label_at = _column(name, names, target, "--target") if target is not None else None
    for column in drop:
        _column(name, names, column, "--drop")
    if features is None:
        chosen = [i for i, column in enumerate(names) if i != label_at and column not in drop]
    else:
        chosen = [_column(name, names, column, features_from) for column in features]
        if label_at in chosen:
            raise CSVError(f"{name}: the label column {target!r} cannot also be a feature")
    if not chosen:
        raise CSVError(f"{name}: no feature columns" + (f" besides the label column {target!r}" if target else ""))
    table = CSVTable(name, [names[i] for i in chosen], labels=None if target is None else [], target=target,
                     ignored=[c for i, c in enumerate(names) if i not in chosen and i != label_at])
    for line, row in rows:
        if len(row) != len(names):
            raise CSVError(f"{name}, line {line}: {len(row)} cells, but the header has {len(names)} columns")
        table.X.append([_number(name, line, names[i], row[i]) for i in chosen])
        if label_at is not None:
            cell = row[label_at].strip()
            if not cell:
                raise CSVError(f"{name}, line {line}, column {target!r}: the label is empty")
            if len(cell) > max_label_length:
                raise CSVError(f"{name}, line {line}, column {target!r}: a label of {len(cell)} characters; "
                               f"labels are limited to {max_label_length} (max_label_length)")
            table.labels.append(cell)  # type: ignore[union-attr]
        table.lines.append(line)
    if not table.X:
        raise CSVError(f"{name}: no data rows after the header")
    return table


def label_key(cell: str) -> Label:
    """A label cell as the class it names: an int for ``3``, ``+3`` or ``3.0`` (up to 18 digits), else the text.

    >>> label_key("2"), label_key("2.0"), label_key("1e1"), label_key("2.5"), label_key("setosa")
    (2, 2, 10, '2.5', 'setosa')
    """
    cell = cell.strip()
    if _INTEGER.fullmatch(cell):
        return int(cell)
    try:
        value = float(cell)
    except ValueError:
        return cell
    return int(value) if math.isfinite(value) and value.is_integer() and abs(value) <= 2 ** 53 else cell


def encode_labels(table: CSVTable, *, max_classes: int = MAX_CLASSES) -> Tuple[List[int], List[Label]]:
    """The labels as classes ``0 .. k-1`` and the original label of each class.

    If every label names an integer (``3``, ``3.0``) the classes are those
    integers in increasing order, otherwise the labels as text in sorted
    order: labels ``1, 2, 3`` become classes ``0, 1, 2``; ``{0, 5}`` two
    classes, not six.

    Raises:
        CSVError: if there are no labels or more than ``max_classes`` distinct ones.
    """
    if table.labels is None:
        raise CSVError(f"{table.path}: no label column (target) was read")
    keys = [label_key(cell) for cell in table.labels]
    if not all(isinstance(key, int) for key in keys):
        keys = list(table.labels)
    classes = sorted(set(keys))  # type: ignore[type-var]
    if len(classes) > max_classes:
        raise CSVError(f"{table.path}, column {table.target!r}: {len(classes)} distinct labels; the limit is "
                       f"{max_classes} classes (is it a class label?)")
    index = {label: i for i, label in enumerate(classes)}
    return [index[key] for key in keys], classes
