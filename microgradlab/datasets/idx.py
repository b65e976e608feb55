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
from typing import Any, BinaryIO, Dict, Iterator, List, Tuple, Union

from .checks import DatasetError, PathLike

__all__ = ["IDXArray", "IDXError", "MAX_IDX_BYTES", "read_idx", "load_idx"]


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
def gc_paused() -> Iterator[None]:
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
        with gc_paused():
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


#: Largest data section :func:`read_idx` accepts, in bytes (Fashion-MNIST's training images take 47 MB).
MAX_IDX_BYTES = 2 ** 30
#: Deflate expands at most about 1032 times; a gzip file declaring more cannot hold it.
_DEFLATE_MAX_RATIO = 1032


#: How far past the declared data a gzip stream is read, to report trailing garbage.
_COUNTED_EXTRA = 4096


class IDXError(DatasetError):
    """A damaged IDX file, or one declaring more data than it holds or than the limit; names the file."""


def _read_exactly(stream: BinaryIO, count: int) -> bytes:
    """``count`` bytes (or fewer at the end of the data) without asking for more than the data hold."""
    chunks, got = [], 0
    while got < count:
        chunk = stream.read(min(count - got, 2 ** 24))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _header(name: str, head: bytes) -> Tuple[int, Tuple[int, ...]]:
    """The type code and shape from the first bytes of the (decompressed) file."""
    if len(head) < 4:
        raise IDXError(f"{name}: truncated IDX header: need at least 4 bytes, file has {len(head)}")
    if head[0] != 0 or head[1] != 0:
        raise IDXError(f"{name}: bad IDX magic number 0x{head[:4].hex()} (the first two bytes must be zero)")
    code, ndim = head[2], head[3]
    if code not in _IDX_TYPES:
        raise IDXError(f"{name}: bad IDX magic number 0x{head[:4].hex()}: unknown data type code 0x{code:02x}")
    if ndim == 0:
        raise IDXError(f"{name}: IDX header declares 0 dimensions")
    size = 4 + 4 * ndim
    if len(head) < size:
        raise IDXError(f"{name}: truncated IDX header: {ndim} dimensions need {size} bytes, file has {len(head)}")
    return code, tuple(int.from_bytes(head[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))


def _read_payload(name: str, f: BinaryIO, max_bytes: int) -> Tuple[int, Tuple[int, ...], bytes]:
    """Type code, shape and data bytes, each size checked against the file and ``max_bytes`` before reading."""
    file_size = os.fstat(f.fileno()).st_size
    compressed = f.read(2) == b"\x1f\x8b"
    f.seek(0)
    stream: BinaryIO = gzip.GzipFile(fileobj=f, mode="rb") if compressed else f
    head = _read_exactly(stream, 4)
    head += _read_exactly(stream, 4 * head[3]) if len(head) == 4 else b""
    code, shape = _header(name, head)
    dtype, _, itemsize = _IDX_TYPES[code]
    expected = math.prod(shape) * itemsize
    if expected > max_bytes:
        raise IDXError(f"{name}: shape {shape} of {dtype} declares {expected} data bytes; the limit is "
                       f"{max_bytes} (max_bytes)")
    holds = file_size * _DEFLATE_MAX_RATIO if compressed else file_size - len(head)
    if expected > holds:
        raise IDXError(f"{name}: truncated IDX data: shape {shape} of {dtype} needs {expected} bytes after the "
                       f"header, found {'at most ' if compressed else ''}{holds}")
    if expected == 0 and shape[0] > file_size * (_DEFLATE_MAX_RATIO if compressed else 1):
        # Empty rows hold no data, but rows() still builds one list per item: the file must pay for each.
        raise IDXError(f"{name}: shape {shape} declares {shape[0]} empty items, more than a file of "
                       f"{file_size} bytes can describe")
    payload = _read_exactly(stream, expected)
    extra = len(_read_exactly(stream, _COUNTED_EXTRA)) if compressed else file_size - len(head) - expected
    if len(payload) < expected:
        raise IDXError(f"{name}: truncated IDX data: shape {shape} of {dtype} needs {expected} bytes after the "
                       f"header, found {len(payload)}")
    if extra:
        found = f"at least {extra}" if extra == _COUNTED_EXTRA else str(extra)
        raise IDXError(f"{name}: trailing garbage: {found} unexpected bytes after the {expected} data bytes of "
                       f"shape {shape}")
    return code, shape, payload


def read_idx(path: PathLike, *, max_bytes: int = MAX_IDX_BYTES) -> IDXArray:
    """Read an IDX file (MNIST format), gzip-compressed or raw.

    Compression is detected from the magic bytes ``1f 8b``, not the name.
    The header is two zero bytes, a type code (0x08 uint8, 0x09 int8,
    0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of
    dimensions and one big-endian uint32 per dimension; the data follow,
    big-endian, row-major, with nothing after them.  The declared size is
    checked against the file's (for gzip, against the most deflate can
    expand it to) and against ``max_bytes`` before the data are read, and
    decompression stops a few kilobytes past it.

    Args:
        path: The file.
        max_bytes: The largest data section accepted (default
            :data:`MAX_IDX_BYTES`, 1 GiB).

    Returns:
        An :class:`IDXArray` with ``shape``, ``dtype`` and the flat ``data``.

    Raises:
        FileNotFoundError: if the file does not exist.
        IDXError: (a :class:`DatasetError`) if the gzip stream is corrupt, the header is truncated
            or has a bad magic number, the data are shorter or longer than
            the dimensions say, or more than ``max_bytes``.  The message names the file.

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
            code, shape, payload = _read_payload(name, f, max_bytes)
    except FileNotFoundError:
        raise FileNotFoundError(2, f"read_idx: IDX file not found: {name!r}", name) from None
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise IDXError(f"{name}: corrupt gzip stream: {exc}") from None
    dtype, typecode, itemsize = _IDX_TYPES[code]
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
