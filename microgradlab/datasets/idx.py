"""IDX files (the MNIST format), gzip-compressed or raw: :func:`read_idx`, :func:`load_idx`, :class:`IDXArray`."""

from __future__ import annotations

import array
import gc
import gzip
import math
import os
import sys
import zlib
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Tuple, Union

from .checks import DatasetError, PathLike

__all__ = ["IDXArray", "read_idx", "load_idx"]


# type code -> (name, array typecode, item size in bytes)
_IDX_TYPES: Dict[int, Tuple[str, str, int]] = {
    0x08: ("uint8", "B", 1),
    0x09: ("int8", "b", 1),
    0x0B: ("int16", "h", 2),
    0x0C: ("int32", "i" if array.array("i").itemsize == 4 else "l", 4),
    0x0D: ("float32", "f", 4),
    0x0E: ("float64", "d", 8),
}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many acyclic lists (2x faster)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class IDXArray:
    """The contents of an IDX file: a shape and the values, flat, row-major.

    Attributes:
        path: The file it was read from.
        shape: The dimensions from the header, e.g. ``(60000, 28, 28)``.
        dtype: ``"uint8"``, ``"int8"``, ``"int16"``, ``"int32"``,
            ``"float32"`` or ``"float64"``.
        data: The values: ``bytes`` for uint8 (compact and fast to slice),
            otherwise an :class:`array.array` in native byte order.

    Example:
        >>> a = IDXArray("demo", (2, 3), "uint8", bytes(range(6)))
        >>> len(a), a.row_size, a.rows()
        (2, 3, [[0, 1, 2], [3, 4, 5]])
    """

    __slots__ = ("path", "shape", "dtype", "data")

    def __init__(
        self,
        path: str,
        shape: Tuple[int, ...],
        dtype: str,
        data: Union[bytes, "array.array[Any]"],
    ) -> None:
        self.path = path
        self.shape = tuple(shape)
        self.dtype = dtype
        self.data = data

    def __repr__(self) -> str:
        return f"IDXArray(path={self.path!r}, shape={self.shape}, dtype={self.dtype!r})"

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def row_size(self) -> int:
        """Values per item along the first axis (784 for 28x28 images, 1 for 1-D)."""
        return math.prod(self.shape[1:])

    def rows(self) -> List[Any]:
        """The values as Python lists.

        For a 1-D file a flat list of numbers; otherwise one flat list of
        ``row_size`` numbers per item along the first axis (an image of
        28x28 becomes a list of 784 values).
        """
        data = self.data
        if self.ndim == 1:
            return list(data)
        size = self.row_size
        count = self.shape[0]
        if size == 0:
            return [[] for _ in range(count)]
        with _gc_paused():
            if isinstance(data, bytes):
                return [list(data[i:i + size]) for i in range(0, count * size, size)]
            return [data[i:i + size].tolist() for i in range(0, count * size, size)]

    def row_bytes(self) -> List[bytes]:
        """One ``bytes`` object per item along the first axis (uint8/int8 only).

        The compact form for fast consumers: ``row[k]`` is pixel ``k`` as an int.
        """
        if self.dtype != "uint8":
            raise TypeError(
                f"IDXArray.row_bytes: only uint8 data has a bytes form, "
                f"{self.path} holds {self.dtype}"
            )
        data = self.data
        assert isinstance(data, bytes)
        size = self.row_size
        if size == 0:
            return [b"" for _ in range(self.shape[0])]
        return [data[i:i + size] for i in range(0, len(data), size)]


def read_idx(path: PathLike) -> IDXArray:
    """Read an IDX file (MNIST format), gzip-compressed or raw.

    Compression is detected from the magic bytes ``1f 8b``, not the name.
    The header is two zero bytes, a type code (0x08 uint8, 0x09 int8,
    0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of
    dimensions and one big-endian uint32 per dimension; the data follow,
    big-endian, row-major, with nothing after them.

    Args:
        path: The file.

    Returns:
        An :class:`IDXArray` with ``shape``, ``dtype`` and the flat ``data``.

    Raises:
        FileNotFoundError: if the file does not exist.
        DatasetError: if the gzip stream is corrupt, the header is truncated
            or has a bad magic number, or the data are shorter or longer than
            the dimensions say.  The message names the file.

    Example:
        >>> import os, struct, tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     name = os.path.join(tmp, "tiny-idx2-ubyte")
        ...     with open(name, "wb") as f:
        ...         _ = f.write(struct.pack(">BBBBII", 0, 0, 8, 2, 2, 3) + bytes(range(6)))
        ...     a = read_idx(name)
        >>> a.shape, a.dtype, a.rows()
        ((2, 3), 'uint8', [[0, 1, 2], [3, 4, 5]])
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(
            2, f"read_idx: IDX file not found: {name!r}", name
        ) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(f"{name}: corrupt gzip stream: {exc}") from None
    if len(raw) < 4:
        raise DatasetError(
            f"{name}: truncated IDX header: need at least 4 bytes, file has {len(raw)}"
        )
    if raw[0] != 0 or raw[1] != 0:
        raise DatasetError(
            f"{name}: bad IDX magic number 0x{raw[:4].hex()} (the first two bytes "
            f"must be zero)"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise DatasetError(
            f"{name}: bad IDX magic number 0x{raw[:4].hex()}: unknown data type "
            f"code 0x{code:02x}"
        )
    if ndim == 0:
        raise DatasetError(f"{name}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(
            f"{name}: truncated IDX header: {ndim} dimensions need {header} bytes, "
            f"file has {len(raw)}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    dtype, typecode, itemsize = _IDX_TYPES[code]
    expected = math.prod(shape) * itemsize
    found = len(raw) - header
    if found < expected:
        raise DatasetError(
            f"{name}: truncated IDX data: shape {shape} of {dtype} needs {expected} "
            f"bytes after the header, found {found}"
        )
    if found > expected:
        raise DatasetError(
            f"{name}: trailing garbage: {found - expected} unexpected bytes after "
            f"the {expected} data bytes of shape {shape}"
        )
    payload = raw[header:]
    data: Union[bytes, "array.array[Any]"]
    if code == 0x08:
        data = payload
    else:
        data = array.array(typecode)
        data.frombytes(payload)
        if itemsize > 1 and sys.byteorder == "little":
            data.byteswap()
    return IDXArray(name, shape, dtype, data)


def load_idx(path: PathLike) -> List[Any]:
    """Read an IDX file into Python lists.

    Same as ``read_idx(path).rows()``: a 1-D file (labels) gives a list of
    numbers, a 3-D file (images) a list of flat rows, e.g. 784 ints per 28x28
    image.  Use :func:`read_idx` for the shape and compact ``bytes`` rows.

    Args:
        path: The file, gzip-compressed or raw.

    Returns:
        A list of ints (float for float types) or a list of flat lists.

    Raises:
        FileNotFoundError: if the file does not exist.
        DatasetError: if the file is damaged (see :func:`read_idx`).

    Example:
        >>> import os, struct, tempfile, gzip
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     name = os.path.join(tmp, "labels-idx1-ubyte.gz")
        ...     with gzip.open(name, "wb") as f:
        ...         _ = f.write(struct.pack(">BBBBI", 0, 0, 8, 1, 4) + bytes([3, 1, 4, 1]))
        ...     load_idx(name)
        [3, 1, 4, 1]
    """
    return read_idx(path).rows()
