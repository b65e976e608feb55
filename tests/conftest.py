"""Suite-wide setup: the Hypothesis profile.

``dev`` (few examples, quick) by default; ``ci`` (many examples, derandomized,
no deadline) when ``CI`` is set to a true value; ``HYPOTHESIS_PROFILE=name``
overrides both.  See :func:`microgradlab.testing.load_profile`.
"""

import pytest

from microgradlab import ops
from microgradlab.testing import load_profile

load_profile()


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
