"""The one-call gradient check for inside ``@given`` tests."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..gradcheck import DEFAULT_ATOL, DEFAULT_RTOL, gradcheck, gradgradcheck

__all__ = ["assert_gradients_match"]


def assert_gradients_match(f: Any, xs: Optional[Sequence[float]] = None, *, order: int = 1,
                           eps: Optional[float] = None, atol: float = DEFAULT_ATOL,
                           rtol: float = DEFAULT_RTOL, method: str = "central") -> None:
    """Assert that backprop agrees with finite differences for ``f`` at ``xs``.

    For use inside ``@given`` tests.  ``xs`` defaults to ``f.point`` (a
    :class:`~microgradlab.testing.DrawnExpression` carries its point).  ``order=2`` also checks second
    derivatives (:func:`~microgradlab.gradcheck.gradgradcheck`).  Raises
    :class:`~microgradlab.gradcheck.GradcheckError`, an ``AssertionError``
    listing each failing input, on a mismatch.

    >>> assert_gradients_match(lambda x, y: x.sin() * y, [0.5, 2.0], order=2)
    """
    if xs is None:
        xs = getattr(f, "point", None)
        if xs is None:
            raise TypeError("assert_gradients_match: pass xs, or an f that carries its point (a DrawnExpression)")
    if order not in (1, 2):
        raise ValueError(f"assert_gradients_match: order must be 1 or 2, got {order!r}")
    options = dict(eps=eps, atol=atol, rtol=rtol, method=method)
    gradcheck(f, xs, **options)
    if order == 2:
        gradgradcheck(f, xs, **options)
