"""Recording modes: ``no_grad``, ``enable_grad``, ``detect_anomaly``, and the tracing flag.

One context variable holds them, so that ``no_grad`` in one thread or asyncio
task never leaks into another, and the engine's fast path reads it once per op.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "tracing", "TracingError",
           "refuse_while_tracing"]

NO_GRAD = 1
ANOMALY = 2
TRACING = 4  # set by microgradlab.compile while it records a tape
_MODE: contextvars.ContextVar[int] = contextvars.ContextVar("microgradlab_mode", default=0)
mode = _MODE.get


@contextlib.contextmanager
def _flag(flag: int, on: bool) -> Iterator[None]:
    current = _MODE.get()
    token = _MODE.set(current | flag if on else current & ~flag)
    try:
        yield
    finally:
        _MODE.reset(token)


def no_grad() -> contextlib.AbstractContextManager:
    """Record no graph inside this block (evaluation, optimizer updates).

    Results are fresh leaves.  Per thread and per asyncio task, as it is a
    context variable.  Also usable as a decorator.  ``grad``/``value_and_grad``
    record all the same, as ``torch.func.grad`` does.

    >>> from microgradlab import Value
    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.is_leaf
    True
    """
    return _flag(NO_GRAD, True)


def enable_grad() -> contextlib.AbstractContextManager:
    """Record the graph again inside a ``no_grad`` block."""
    return _flag(NO_GRAD, False)


def is_grad_enabled() -> bool:
    return not _MODE.get() & NO_GRAD


def detect_anomaly() -> contextlib.AbstractContextManager:
    """Raise ``FloatingPointError`` at the first NaN or infinity in forward or backward.

    A backward stopped this way changes no gradient.

    >>> from microgradlab import Value
    >>> with detect_anomaly():
    ...     Value(1e200) * 1e200
    Traceback (most recent call last):
    ...
    FloatingPointError: detect_anomaly: mul(1e+200, 1e+200) produced inf
    """
    return _flag(ANOMALY, True)


def tracing() -> contextlib.AbstractContextManager:
    """While recording a tape (``microgradlab.compile``): branching on a Value's data raises :class:`TracingError`."""
    return _flag(TRACING, True)


class TracingError(TypeError):
    """A traced function tried to branch on the data of a Value."""


def refuse_while_tracing(value: Any, what: str) -> None:
    """Raise :class:`TracingError` if a tape is being recorded: ``what`` (``"<"``, ``"bool()"``) looked at data."""
    if _MODE.get() & TRACING:
        raise TracingError(
            f"{what} on a traced Value ({value!r}): a compiled function cannot branch on data; "
            "write the choice with ops instead (e.g. relu, or x * mask with mask an input)"
        )
