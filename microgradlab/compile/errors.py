"""What the compiled path raises, and its one optional dependency."""

from __future__ import annotations

from typing import Any


class CompileError(TypeError):
    """A function or primitive that cannot be compiled (the message says what is missing)."""


def load_numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError("microgradlab.compile needs NumPy: pip install microgradlab[fast]") from None
    return numpy

