"""Model files: JSON read within bounds, checked before any model is built, and written atomically.

:meth:`microgradlab.module.Module.save` and :meth:`~microgradlab.module.Module.load`
use these functions; the command line reads the file's ``"data"`` section (the
feature columns, their scaling and the class labels of ``train --csv``) with
:func:`read_model_file`.

A model file is untrusted input, so the reader checks what the file declares
against what it holds and against limits (defaults that real models never
meet, raised by an argument) before allocating anything large: the file's size
(:data:`MAX_BYTES`), the nesting depth of its JSON (:data:`MAX_DEPTH`), the
digits of an integer (:data:`MAX_INT_DIGITS`), and the number of parameters
its architecture declares (:data:`MAX_PARAMETERS`), which must also match the
weights the file holds, tensor by tensor.  Every failure is a
:class:`ModelFileError` naming the file, the position (line and column) where
known, and the reason.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "m.json")
>>> with open(path, "w") as f:
...     _ = f.write('{"format": "microgradlab-model", "version": 1, "class": "MLP", "config": {"nin": 2, '
...                 '"sizes": [100000, 100000]}, "state_dict": {}}')
>>> from microgradlab.nn import MLP
>>> MLP.load(path)                                   # doctest: +ELLIPSIS
Traceback (most recent call last):
...
microgradlab.modelfile.ModelFileError: ...m.json: the architecture declares 10000400000 parameters; the limit is ...
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

__all__ = ["ModelFileError", "read_model_file", "check_document", "check_weights", "write_model_file", "shorten",
           "FILE_FORMAT", "FILE_VERSION", "MAX_BYTES", "MAX_DEPTH", "MAX_INT_DIGITS", "MAX_PARAMETERS"]

PathLike = Union[str, "os.PathLike[str]"]
Shape = Tuple[int, ...]

FILE_FORMAT = "microgradlab-model"
FILE_VERSION = 1
#: Largest model file read, in bytes (a 784-32-32-10 network takes about 0.5 MB).
MAX_BYTES = 512 * 2 ** 20
#: Deepest nesting of JSON arrays and objects (a model file needs 4).
MAX_DEPTH = 64
#: Most digits in a JSON integer (a float carries 17 significant digits).
MAX_INT_DIGITS = 30
#: Most parameters an architecture may declare (the scalar engine trains thousands).
MAX_PARAMETERS = 10 ** 7


class ModelFileError(ValueError):
    """A model file that cannot be loaded: unreadable, not JSON, too large, or not matching the model."""


def shorten(value: Any, limit: int = 120) -> str:
    """``repr(value)``, cut to ``limit`` characters: a hostile file's content must not flood a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + " ...]"


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line}, column {index - (text.rfind(chr(10), 0, index) + 1) + 1}"


_STRINGS_AND_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_depth(path: PathLike, text: str, max_depth: int) -> None:
    """Refuse JSON nested deeper than ``max_depth`` before ``json`` recurses into it."""
    depth = 0
    for match in _STRINGS_AND_BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                raise ModelFileError(f"{path}, {_position(text, match.start())}: JSON nested more than "
                                     f"{max_depth} deep (max_depth)")
        elif token in "]}":
            depth -= 1


class _BadNumber(ValueError):
    def __init__(self, token: str, reason: str) -> None:
        super().__init__(reason)
        self.token = token


def _parse_int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_INT_DIGITS:
        raise _BadNumber(token, f"an integer of {len(token.lstrip('-'))} digits; at most {MAX_INT_DIGITS} "
                                f"are accepted")
    return int(token)


def _parse_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _BadNumber(token, f"{token} is too large for a float")
    return value


def _reject_constant(token: str) -> Any:
    raise _BadNumber(token, f"{token} is not a finite number")


def _unique_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def read_model_file(path: PathLike, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Dict[str, Any]:
    """The parsed model file, checked to be a microgradlab model of a known version.

    Raises:
        ModelFileError: naming the file, the position and the problem (too large, not UTF-8,
            not JSON, nested too deep, a number too long, not a model file).
        OSError: if the file cannot be opened.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise ModelFileError(f"{path}: {size} bytes; model files are limited to {max_bytes} (max_bytes)")
        raw = f.read(size + 1)  # not read(max_bytes): that would allocate max_bytes up front
    if len(raw) > size:
        raise ModelFileError(f"{path}: the file grew while it was read; read it again once it is complete")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path}, byte {exc.start + 1}: not UTF-8 text ({exc.reason})") from None
    _check_depth(path, text, max_depth)
    try:
        document = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_reject_constant,
                              object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}, line {exc.lineno}, column {exc.colno}: not a valid model file (JSON): {exc.msg}") from None
    except _BadNumber as exc:
        found = re.search(r"(?<![\w.+-])" + re.escape(exc.token) + r"(?![\w.])", text)
        where = f", {_position(text, found.start())}" if found else ""
        raise ModelFileError(f"{path}{where}: {exc}") from None
    except ValueError as exc:  # duplicate keys
        raise ModelFileError(f"{path}: not a valid model file (JSON): {exc}") from None
    return check_document(path, document)


def check_document(path: PathLike, document: Any) -> Dict[str, Any]:
    """``document`` if it is a model file's content of a known version (the sections of the right JSON types)."""
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{path}: not a microgradlab model file (no \"format\": {FILE_FORMAT!r})")
    if document.get("version") != FILE_VERSION:
        raise ModelFileError(f"{path}: unsupported format version {shorten(document.get('version'))}; "
                             f"this microgradlab reads version {FILE_VERSION}")
    for key, kind in (("class", str), ("config", dict), ("state_dict", dict)):
        if not isinstance(document.get(key), kind):
            raise ModelFileError(f"{path}: {key!r} must be a JSON {'string' if kind is str else 'object'}")
    if not isinstance(document.get("data", {}), dict):
        raise ModelFileError(f"{path}: 'data' must be a JSON object")
    return document


def _check_tensor(where: str, shape: Shape, value: Any) -> None:
    if not shape:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where} must be a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError(f"{where} must be finite, got {value!r}")
        return
    if not isinstance(value, list) or len(value) != shape[0]:
        got = f"a list of {len(value)}" if isinstance(value, list) else type(value).__name__
        raise ValueError(f"{where} must be a list of {shape[0]}, got {got}")
    for i, item in enumerate(value):
        _check_tensor(f"{where}[{i}]", shape[1:], item)


def check_weights(path: PathLike, state: Mapping[str, Any], shapes: Iterable[Tuple[str, Shape]], *,
                  max_parameters: int = MAX_PARAMETERS) -> None:
    """Check a file's ``state_dict`` against the ``(name, shape)`` of each tensor its architecture declares.

    One pass over ``shapes`` (which may be a generator: a config declaring
    100,000 layers costs no list of 100,000 shapes), keeping only what the
    file itself holds.  The errors, in order: more than ``max_parameters``
    declared, missing or unexpected tensors, a tensor of the wrong nesting,
    length or type.  Nothing is built.
    """
    declared, seen, missing, n_missing = 0, set(), [], 0
    first_error: Optional[str] = None
    for name, shape in shapes:
        declared += math.prod(shape)
        if name not in state:
            n_missing += 1
            if len(missing) < 3:
                missing.append(name)
            continue
        seen.add(name)
        if first_error is None and declared <= max_parameters:
            try:
                _check_tensor(f"state_dict[{name!r}]", shape, state[name])
            except ValueError as exc:
                first_error = str(exc)
    if declared > max_parameters:
        raise ModelFileError(f"{path}: the architecture declares {declared} parameters; the limit is "
                             f"{max_parameters} (max_parameters)")
    unexpected = [name for name in state if name not in seen]
    if n_missing or unexpected:
        more = f" and {n_missing - len(missing)} more" if n_missing > len(missing) else ""
        parts = ([f"missing keys {shorten(missing)}{more}"] if n_missing else []) + (
            [f"unexpected keys {shorten(unexpected)}"] if unexpected else [])
        raise ModelFileError(f"{path}: {' and '.join(parts)} for the architecture in 'config'")
    if first_error is not None:
        raise ModelFileError(f"{path}: {first_error}")


def write_model_file(path: PathLike, document: Mapping[str, Any]) -> None:
    """Write ``document`` as JSON to ``path`` all at once: a failure leaves no partial file behind."""
    text = json.dumps(document, allow_nan=False)
    folder = os.path.dirname(os.fspath(path)) or "."
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".model-", suffix=".json.tmp")
    try:
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the model from other users
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise

