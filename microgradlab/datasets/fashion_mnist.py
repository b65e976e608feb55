"""Fashion-MNIST (Zalando SE, MIT licence) from its IDX files; not shipped."""

from __future__ import annotations

import os
from typing import Optional, Tuple

from .checks import Dataset, DatasetError, PathLike
from .idx import gc_paused, read_idx

__all__ = ["DEFAULT_FASHION_MNIST_DIR", "FASHION_MNIST_CLASSES", "load_fashion_mnist"]


DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
"""Where Debian's ``dataset-fashion-mnist`` package installs the IDX files."""

FASHION_MNIST_CLASSES: Tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Fashion-MNIST class names, indexed by label 0..9."""

_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_FASHION_HINT = (
    "install it with `apt-get install dataset-fashion-mnist` or pass dir= "
    "to a folder with the IDX files"
)


def _find_idx(folder: str, base: str) -> Optional[str]:
    for candidate in (base + ".gz", base):
        full = os.path.join(folder, candidate)
        if os.path.isfile(full):
            return full
    return None


def load_fashion_mnist(
    dir: Optional[PathLike] = None,
    *,
    kind: str = "train",
    scale: bool = True,
) -> Dataset:
    """Fashion-MNIST (Zalando SE, MIT licence): 28x28 grey clothing images.

    Reads ``train-images-idx3-ubyte.gz`` / ``train-labels-idx1-ubyte.gz``
    (60,000 images) or ``t10k-images-idx3-ubyte.gz`` /
    ``t10k-labels-idx1-ubyte.gz`` (10,000 images), or the same names without
    ``.gz``.  Every class has 6,000 training and 1,000 test images; the
    names are in :data:`FASHION_MNIST_CLASSES`.  Loading the training set
    takes a couple of seconds and about 400 MB as Python lists.

    Args:
        dir: Folder with the IDX files; default
            :data:`DEFAULT_FASHION_MNIST_DIR` (Debian package
            ``dataset-fashion-mnist``).
        kind: ``"train"`` or ``"test"``.
        scale: Pixels as ``value / 255.0`` in ``[0, 1]``; if False as floats
            ``0.0 .. 255.0``.

    Returns:
        ``(X, y)``: one list of 784 floats per image (row-major) and labels 0..9.

    Raises:
        FileNotFoundError: if the folder or a file is missing (the message
            says how to install the data).
        DatasetError: if a file is damaged, the image and label counts
            differ, or a label is not in 0..9.

    Example:
        >>> X, y = load_fashion_mnist(kind="test")  # doctest: +SKIP
        >>> len(X), len(X[0]), FASHION_MNIST_CLASSES[y[0]]  # doctest: +SKIP
        (10000, 784, 'Ankle boot')
    """
    func = "load_fashion_mnist"
    if kind not in _FASHION_FILES:
        raise ValueError(f"{func}: kind must be 'train' or 'test', got {kind!r}")
    folder = os.fspath(dir) if dir is not None else DEFAULT_FASHION_MNIST_DIR
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"{func}: Fashion-MNIST folder {folder!r} not found; {_FASHION_HINT}"
        )
    bases = _FASHION_FILES[kind]
    found = [_find_idx(folder, base) for base in bases]
    missing = [base + "[.gz]" for base, path in zip(bases, found) if path is None]
    if missing:
        raise FileNotFoundError(
            f"{func}: {', '.join(missing)} not found in {folder!r}; {_FASHION_HINT}"
        )
    image_path, label_path = found
    assert image_path is not None and label_path is not None
    images = read_idx(image_path)
    labels = read_idx(label_path)
    if images.ndim != 3 or images.dtype != "uint8":
        raise DatasetError(
            f"{image_path}: expected 3-D uint8 images, got shape {images.shape} "
            f"of {images.dtype}"
        )
    if labels.ndim != 1 or labels.dtype != "uint8":
        raise DatasetError(
            f"{label_path}: expected 1-D uint8 labels, got shape {labels.shape} "
            f"of {labels.dtype}"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{func}: {image_path} has {len(images)} images but {label_path} has "
            f"{len(labels)} labels"
        )
    y = list(labels.data)
    if y and max(y) >= len(FASHION_MNIST_CLASSES):
        raise DatasetError(
            f"{label_path}: label {max(y)} is out of range 0..9"
        )
    divisor = 255.0 if scale else 1.0
    table = [v / divisor for v in range(256)]  # shared float objects: less memory
    data = images.data
    assert isinstance(data, bytes)
    size = images.row_size
    if size == 0:
        return [[] for _ in range(len(images))], y
    with gc_paused():
        X = [[table[p] for p in data[i:i + size]] for i in range(0, len(data), size)]
    return X, y
