"""Toy data generators, splitting and batching helpers, and small real data sets.

Everything here is pure Python and uses only the standard library, so it works
without NumPy.  A data set is a pair ``(X, y)``: ``X`` is a list of rows (each a
list of floats) and ``y`` a list of integer class labels.

Synthetic 2-D problems, in scikit-learn's style (same geometry, same argument
names, but a private :class:`random.Random` instead of NumPy's generator, so
the numbers differ from scikit-learn's for the same seed):

* :func:`make_moons`, :func:`make_circles`, :func:`make_blobs`,
* :func:`make_spiral` (CS231n's interleaved spiral arms), :func:`make_xor`.

Helpers: :func:`train_test_split` and :func:`iterate_minibatches`.

Real data:

* :func:`load_digits` -- the 8x8 UCI handwritten digits shipped in
  ``microgradlab/data/digits.csv.gz`` (see ``microgradlab/data/README.md``);
* :func:`load_idx` / :func:`read_idx` -- any MNIST-format IDX file, gzip or raw;
* :func:`load_fashion_mnist` -- Fashion-MNIST from its IDX files (not shipped;
  Debian package ``dataset-fashion-mnist`` or any folder);
* :func:`read_csv` -- your own CSV file: named feature columns, class labels
  as integers or text (:func:`encode_labels`), and :class:`Scaling` of the
  features fitted on the training split.

``random_state`` is everywhere an ``int`` (reproducible), ``None`` (fresh
entropy) or a :class:`random.Random` instance (used as is, which lets a loop
draw a new shuffle per epoch from one seeded generator).  The global
:mod:`random` generator is never touched.

Bad arguments raise ``TypeError`` (wrong type) or ``ValueError`` (bad value)
with a message naming the function, the argument and the value.  A damaged
data file raises :class:`DatasetError` (a ``ValueError``) naming the file.
"""

from .checks import DatasetError, check_random_state
from .csv import CSVError, CSVTable, encode_labels, read_csv
from .digits import load_digits
from .fashion_mnist import DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, load_fashion_mnist
from .idx import MAX_IDX_BYTES, IDXArray, IDXError, load_idx, read_idx
from .scaling import SCALINGS, Scaling
from .split import iterate_minibatches, train_test_split
from .synthetic import make_blobs, make_circles, make_moons, make_spiral, make_xor


__all__ = [
    "CSVError",
    "CSVTable",
    "SCALINGS",
    "Scaling",
    "encode_labels",
    "read_csv",
    "DEFAULT_FASHION_MNIST_DIR",
    "DatasetError",
    "FASHION_MNIST_CLASSES",
    "IDXArray",
    "IDXError",
    "MAX_IDX_BYTES",
    "check_random_state",
    "iterate_minibatches",
    "load_digits",
    "load_fashion_mnist",
    "load_idx",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spiral",
    "make_xor",
    "read_idx",
    "train_test_split",
]
