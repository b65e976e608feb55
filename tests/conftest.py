"""Suite-wide setup: the Hypothesis profile, and markers for what only CPython offers.

``dev`` (few examples, quick) by default; ``ci`` (many examples, derandomized,
no deadline) when ``CI`` is set to a true value; ``HYPOTHESIS_PROFILE=name``
overrides both.  See :func:`microgradlab.testing.load_profile`.

``requires_tracemalloc`` and ``requires_refcounting`` skip a test, with the
reason, on interpreters without them (PyPy has no ``_tracemalloc``, and its
collector frees memory at its own pace: ``gc.collect()`` there returns None).
"""

import importlib.util
import sys

import pytest

from microgradlab import ops
from microgradlab.testing import load_profile

load_profile()

HAS_TRACEMALLOC = importlib.util.find_spec("_tracemalloc") is not None
HAS_REFCOUNTING = hasattr(sys, "getrefcount")

# marker name -> reason to skip here, or None where the interpreter has it
CPYTHON_ONLY = {
    "requires_tracemalloc": None if HAS_TRACEMALLOC else f"no tracemalloc on {sys.implementation.name}",
    "requires_refcounting": None if HAS_REFCOUNTING else f"no reference counting on {sys.implementation.name}",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "requires_tracemalloc: the test measures memory with tracemalloc")
    config.addinivalue_line("markers", "requires_refcounting: the test relies on memory being freed "
                                       "the moment the last reference goes")


def pytest_runtest_setup(item):
    for name, reason in CPYTHON_ONLY.items():
        if reason is not None and item.get_closest_marker(name) is not None:
            pytest.skip(reason)


@pytest.fixture
def define():
    """``ops.define`` for a test's own primitives, removed from the op table afterwards."""
    names = []

    def define_(name, *args, **kwargs):
        names.append(name)
        return ops.define(name, *args, **kwargs)

    yield define_
    for name in names:
        if name in ops.PRIMITIVES:
            ops.undefine(name)
