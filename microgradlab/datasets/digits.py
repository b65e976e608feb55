"""The UCI 8x8 handwritten digits, shipped in ``microgradlab/data/digits.csv.gz``."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from importlib import resources
from typing import Any, List, Tuple

from ..checks import check_int
from .checks import Dataset, DatasetError, Row

__all__ = ["load_digits"]


_DIGITS_FILE = "digits.csv.gz"
_DIGITS_PIXELS = 64


def _digits_file() -> Any:
    """The shipped digits file as a Traversable (works from a wheel or zip)."""
    return resources.files("microgradlab") / "data" / _DIGITS_FILE


def _read_digits(source: Any, name: str) -> Tuple[List[List[int]], List[int]]:
    rows: List[List[int]] = []
    labels: List[int] = []
    width = _DIGITS_PIXELS + 1
    try:
        with source.open("rb") as raw, gzip.open(raw, "rb") as unzipped:
            text = io.TextIOWrapper(unzipped, encoding="ascii", newline="")
            reader = csv.reader(text)
            for cells in reader:
                line = reader.line_num
                if not cells:
                    continue  # blank line
                if len(cells) != width:
                    raise DatasetError(
                        f"{name}, line {line}: expected {width} comma-separated "
                        f"values (64 pixels and a label), got {len(cells)}"
                    )
                values = []
                for col, cell in enumerate(cells, 1):
                    try:
                        value = float(cell)
                    except ValueError:
                        raise DatasetError(
                            f"{name}, line {line}, column {col}: non-numeric value "
                            f"{cell!r}"
                        ) from None
                    limit = 16 if col <= _DIGITS_PIXELS else 9
                    if not (value.is_integer() and 0 <= value <= limit):
                        what = "pixel" if col <= _DIGITS_PIXELS else "label"
                        raise DatasetError(
                            f"{name}, line {line}, column {col}: {what} {cell!r} is "
                            f"not an integer in 0..{limit}"
                        )
                    values.append(int(value))
                rows.append(values[:_DIGITS_PIXELS])
                labels.append(values[_DIGITS_PIXELS])
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise DatasetError(f"{name}: cannot read the gzip CSV data: {exc}") from exc
    if not rows:
        raise DatasetError(f"{name}: no data rows")
    return rows, labels


def load_digits(*, n_class: int = 10, scale: bool = False) -> Dataset:
    """The UCI 8x8 handwritten digits (1,797 images), shipped with the package.

    Each image is 64 pixel counts 0..16 in row-major order.  Class counts for
    digits 0..9: 178, 182, 177, 183, 181, 182, 181, 179, 174, 180.  Source and
    licence (CC BY 4.0, Alpaydin & Kaynak, via scikit-learn):
    ``microgradlab/data/README.md``.

    Args:
        n_class: Keep only the digits ``0 .. n_class - 1`` (1 to 10).
        scale: Divide the pixels by 16 so they lie in ``[0, 1]``.

    Returns:
        ``(X, y)``: rows of 64 floats and labels 0..9, in file order.

    Raises:
        DatasetError: if the shipped file is damaged (names the file and line).

    Example:
        >>> X, y = load_digits()
        >>> len(X), len(X[0]), max(map(max, X)), sorted(set(y)) == list(range(10))
        (1797, 64, 16.0, True)
        >>> X, y = load_digits(n_class=2, scale=True)
        >>> len(X), max(map(max, X))
        (360, 1.0)
    """
    func = "load_digits"
    n_class = check_int(func, "n_class", n_class, minimum=1)
    if n_class > 10:
        raise ValueError(f"{func}: n_class must be between 1 and 10, got {n_class}")
    source = _digits_file()
    rows, labels = _read_digits(source, str(source))
    divisor = 16.0 if scale else 1.0
    table = [v / divisor for v in range(17)]
    X: List[Row] = []
    y: List[int] = []
    for row, label in zip(rows, labels):
        if label < n_class:
            X.append([table[v] for v in row])
            y.append(label)
    return X, y
