"""The commands' files: reading a CSV table, writing outputs whole, and refusing an output early.

Every failure is a :class:`~microgradlab.cli.errors.CommandError` naming the file.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, Union

from ..datasets.csv import CSVError, CSVTable, read_csv
from .errors import CommandError

__all__ = ["read_table", "write_whole", "writing", "require_matplotlib", "check_output"]


def read_table(path: str, **options: Any) -> CSVTable:
    """:func:`~microgradlab.datasets.csv.read_csv` with its errors as one-line command errors."""
    try:
        return read_csv(path, **options)
    except CSVError as exc:
        raise CommandError(str(exc)) from None


def write_whole(path: Union[str, Path], data: bytes) -> None:
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


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` into a one-line error."""
    try:
        yield
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


def require_matplotlib() -> None:
    """Refuse to start a command that plots when matplotlib is not installed."""
    if importlib.util.find_spec("matplotlib") is None:
        raise CommandError("plots need matplotlib: pip install microgradlab[plot]")


def check_output(option: str, path: Optional[str], suffixes: Sequence[str] = ()) -> None:
    """Refuse an output file that cannot be written before spending time on training.

    ``suffixes`` (a plot's) also demand matplotlib.
    """
    if path is None:
        return
    if not path:
        raise CommandError(f"{option} needs a file name")
    if suffixes and Path(path).suffix.lower() not in suffixes:
        raise CommandError(f"{option} {path}: the file name must end in {', '.join(suffixes)}")
    if not Path(path).parent.is_dir():
        raise CommandError(f"{option} {path}: there is no directory {Path(path).parent}")
    if suffixes:
        require_matplotlib()
