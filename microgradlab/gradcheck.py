"""Gradient checking: compare backprop with finite differences.

The seeds' recipe for a derivative is to nudge a weight and watch the loss:
``(L(w + h) - L(w)) / h``.  That quotient needs no calculus, so it is an
independent witness for what ``backward`` computes.  :func:`gradcheck` puts
the two side by side for every input and raises :class:`GradcheckError`
listing each input where they disagree; :func:`gradgradcheck` does the same
for second derivatives (``backward(create_graph=True)``, differentiated again).

>>> from microgradlab import tanh
>>> numerical_grad(lambda x, y: tanh(x * y), [0.5, -1.0])  # doctest: +ELLIPSIS
[-0.7864477329..., 0.3932238664...]
>>> gradcheck(lambda x, y: tanh(x * y), [0.5, -1.0])
True

Choice of step
--------------
With a step ``h`` the central quotient ``(f(x+h) - f(x-h)) / 2h`` is off by
about ``h² |f'''| / 6`` (truncation) plus ``u |f| / h`` (rounding: ``f`` is
only known to within a unit ``u = 2.2e-16`` of its last digit, and dividing
by ``h`` magnifies that).  The sum is smallest near ``h = u^(1/3) ≈ 6e-6``,
leaving an error of about ``u^(2/3) ≈ 4e-11``: about ten correct digits.  The
forward quotient's error is ``h |f''| / 2 + 2 u |f| / h``, smallest near
``h = √u ≈ 1.5e-8``, with only about eight digits left.  A fixed tiny step
such as ``1e-10`` would be dominated by rounding (cancellation of the
nearly equal ``f(x+h)`` and ``f(x)``), and a fixed step is too small
for large ``|x|`` (``x + h`` may round back to ``x``), so the step is
*relative*: ``h = eps * max(1, |x|)``.  The quotient then divides by the
step actually taken, ``(x + h) - (x - h)`` as computed in floating point.

Default tolerances
------------------
An input passes when ``|analytic - numeric| <= atol + rtol * |numeric|``
(the rule of ``math.isclose``, ``numpy.allclose`` and PyTorch's gradcheck),
with ``atol = rtol = 1e-6``.  Central differences are good to about
``4e-11`` times the scale of ``f`` and of its third derivative.  Measured on
the project's own test inputs, the worst ``|analytic - numeric| / (1 +
|numeric|)`` was ``1.6e-8`` over 20,000 random expressions of depth 4 from
:func:`microgradlab.testing.expressions` (first and second derivatives), and
``1e-7`` for single ops on ``[-30, 30]``, where values reach ``1e21``: a
safety factor of 10 to 60.  A wrong derivative rule -- a sign flip, a
missing factor, a wrong branch -- is off by a relative error of order one,
and even a rule off by one part in 10,000 is caught.  PyTorch's float64
defaults (``atol=1e-5, rtol=1e-3``) are looser because its checks run
through tensor reductions; a scalar engine needs no such allowance.  With
``method="forward"`` (about eight digits) pass ``atol`` and ``rtol`` of
about ``1e-4``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

from .checks import check_float
from .engine import Value, as_float
from .functional import grad, value_and_grad

__all__ = [
    "GradcheckError",
    "Mismatch",
    "numerical_grad",
    "gradcheck",
    "gradgradcheck",
    "gradcheck_parameters",
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "default_eps",
]

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-6

# The relative steps that balance truncation against rounding (module docstring).
_UNIT = sys.float_info.epsilon
_OPTIMAL_EPS = {"central": _UNIT ** (1.0 / 3.0), "forward": math.sqrt(_UNIT)}

Function = Callable[..., Any]
Index = Union[int, Tuple[int, int]]


def default_eps(method: str = "central") -> float:
    """The relative step used when ``eps`` is not given: ``u^(1/3)`` (central) or ``√u`` (forward).

    >>> f"{default_eps():.3g}", f"{default_eps('forward'):.3g}"
    ('6.06e-06', '1.49e-08')
    """
    _check_method(method, "default_eps")
    return _OPTIMAL_EPS[method]


def _check_method(method: str, where: str) -> None:
    if method not in _OPTIMAL_EPS:
        raise ValueError(f"{where}: method must be 'central' or 'forward', got {method!r}")


@dataclass(frozen=True)
class Mismatch:
    """One derivative on which backprop and finite differences disagree.

    ``index`` is the input's position, or ``(i, j)`` for ``d²f / dx_i dx_j``.
    """

    index: Index
    analytic: float
    numeric: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        """``abs_error / |numeric|`` (``inf`` when only the numeric value is 0)."""
        if self.numeric != 0.0:
            return self.abs_error / abs(self.numeric)
        return 0.0 if self.analytic == 0.0 else math.inf

    def describe(self) -> str:
        where = f"input {self.index}" if isinstance(self.index, int) else "d²f/dx{}dx{}".format(*self.index)
        return (f"{where}: analytic {self.analytic:.10g}, numeric {self.numeric:.10g}, "
                f"abs error {self.abs_error:.3g}, rel error {self.rel_error:.3g}")


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; ``mismatches`` lists each failing derivative.

    An ``AssertionError``, so a failed check reads as a failed test (and
    Hypothesis shrinks it like any assertion).
    """

    def __init__(self, message: str, mismatches: Sequence[Mismatch]) -> None:
        super().__init__(message)
        self.mismatches = tuple(mismatches)


def _point(xs: Sequence[Any], where: str) -> List[float]:
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"{where}: xs must be a sequence of real numbers, got {xs!r}")
    point = [as_float(x, where) for x in xs]
    for i, x in enumerate(point):
        if not math.isfinite(x):
            raise ValueError(f"{where}: input {i} is {x}; finite differences need finite inputs")
    return point


def _step(eps: Optional[float], method: str, where: str) -> float:
    _check_method(method, where)
    if eps is None:
        return _OPTIMAL_EPS[method]
    return check_float(where, "eps", eps, low_open=True, high=1.0)  # a relative step


def _scalar(out: Any, where: str) -> float:
    if isinstance(out, Value):
        return out.data
    return as_float(out, f"{where}: f must return a Value or a number; it")


def _name(f: Function) -> str:
    """How an error message names ``f``: a drawn expression prints as source text."""
    return getattr(f, "source", None) or getattr(f, "__qualname__", None) or repr(f)


def _jacobian(evaluate: Callable[[List[float]], List[float]], point: List[float], eps: float,
              method: str, where: str) -> List[List[float]]:
    """``J[i][j] ≈ d evaluate(point)[i] / d point[j]`` by finite differences.

    Each input is moved by ``eps * max(1, |x|)``; the quotient divides by the
    step as represented in floating point.
    """
    def at(j: int, x: float) -> List[float]:
        moved = list(point)
        moved[j] = x
        try:
            return evaluate(moved)
        except (ArithmeticError, ValueError) as exc:
            raise type(exc)(f"{where}: evaluating f with input {j} moved to {x!r} failed "
                            f"(is the point within eps of a domain edge?): {exc}") from exc

    base = evaluate(list(point)) if method == "forward" else None
    columns = []
    for j, x in enumerate(point):
        h = eps * max(1.0, abs(x))
        upper = x + h
        if method == "central":
            lower = x - h
            high, low = at(j, upper), at(j, lower)
        else:
            lower, high, low = x, at(j, upper), base
        width = upper - lower
        columns.append([(a - b) / width for a, b in zip(high, low)])
    return [list(row) for row in zip(*columns)] if columns else []


def numerical_grad(f: Function, xs: Sequence[float], eps: Optional[float] = None,
                   method: str = "central") -> List[float]:
    """The finite-difference gradient of ``f`` at ``xs``, one entry per input.

    Args:
        f: takes one Value per input and returns a Value (or a number).
        xs: the point, as real numbers.
        eps: the *relative* step: input ``x`` moves by ``eps * max(1, |x|)``.
            Defaults to :func:`default_eps` for the method.
        method: ``"central"``, ``(f(x+h) - f(x-h)) / 2h`` (error ``O(h²)``), or
            ``"forward"``, the seeds' ``(L(w+h) - L(w)) / h`` (error ``O(h)``).

    The error against the exact ``3 w² = 1.47`` at ``w = 0.7``, for the
    default steps and for a fixed tiny step lost to cancellation:

    >>> cube = lambda w: w * w * w
    >>> for method, eps in [("central", None), ("forward", None), ("forward", 1e-12)]:
    ...     (slope,) = numerical_grad(cube, [0.7], eps=eps, method=method)
    ...     print(method, eps, f"{abs(slope - 1.47):.0e}")
    central None 3e-11
    forward None 3e-08
    forward 1e-12 2e-05
    """
    where = "numerical_grad"
    step = _step(eps, method, where)
    point = _point(xs, where)

    def evaluate(p: List[float]) -> List[float]:
        return [_scalar(f(*map(Value, p)), where)]

    jac = _jacobian(evaluate, point, step, method, where)
    return jac[0] if jac else []


def _report(where: str, f: Function, point: Sequence[float], method: str, eps: float, atol: float,
            rtol: float, pairs: Sequence[Tuple[Index, float, float]], raise_exception: bool) -> bool:
    """Compare (index, analytic, numeric) triples; raise or return False on a mismatch."""
    atol = as_float(atol, f"{where}: atol")
    rtol = as_float(rtol, f"{where}: rtol")
    if atol < 0.0 or rtol < 0.0:
        raise ValueError(f"{where}: atol and rtol must be >= 0, got atol={atol!r}, rtol={rtol!r}")
    bad = [Mismatch(i, a, n) for i, a, n in pairs
           if not (math.isfinite(a) and abs(a - n) <= atol + rtol * abs(n))]
    if not bad:
        return True
    if not raise_exception:
        return False
    where_text = ", ".join(f"x{i}={x!r}" for i, x in enumerate(point))
    lines = [
        f"{where}: backprop and finite differences disagree on {len(bad)} of {len(pairs)} derivatives "
        f"of {_name(f)} at {where_text}",
        f"({method} differences, eps={eps:.3g}; passing needs |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|)",
    ]
    lines += ["  " + m.describe() for m in bad]
    raise GradcheckError("\n".join(lines), bad)


def gradcheck(f: Function, xs: Sequence[float], *, eps: Optional[float] = None, atol: float = DEFAULT_ATOL,
              rtol: float = DEFAULT_RTOL, method: str = "central", raise_exception: bool = True) -> bool:
    """Check ``backward``'s gradient of ``f`` at ``xs`` against finite differences.

    Args:
        f: takes one Value per entry of ``xs`` and returns a scalar Value; any
            function built from the library's ops (an MLP with a loss, say;
            leaves it closes over keep their ``.grad``).
        xs: the point, as real numbers.
        eps: relative finite-difference step (see :func:`numerical_grad`).
        atol, rtol: input ``i`` passes if ``|analytic - numeric| <= atol +
            rtol * |numeric|``; the defaults are justified in the module docs.
        method: ``"central"`` or ``"forward"`` differences.
        raise_exception: raise :class:`GradcheckError` on a mismatch (the
            default) rather than return ``False``.

    Returns:
        ``True`` if every input passes.

    >>> gradcheck(lambda x, y: x * y + x.exp(), [1.0, 2.0])
    True
    >>> bad = lambda x: x.relu() * 3.0 + x.data   # .data cuts x out of the graph
    >>> gradcheck(bad, [2.0])
    Traceback (most recent call last):
    ...
    microgradlab.gradcheck.GradcheckError: gradcheck: backprop and finite differences disagree ... of <lambda> at x0=2.0
    (central differences, eps=6.06e-06; passing needs |analytic - numeric| <= 1e-06 + 1e-06 * |numeric|)
      input 0: analytic 3, numeric 4, abs error 1, rel error 0.25
    """
    where = "gradcheck"
    step = _step(eps, method, where)
    point = _point(xs, where)
    n = len(point)
    _, analytic = value_and_grad(f, argnums=tuple(range(n)))(*point)
    numeric = numerical_grad(f, point, step, method)
    pairs = [(i, _scalar(a, where), num) for i, (a, num) in enumerate(zip(analytic, numeric))]
    return _report(where, f, point, method, step, atol, rtol, pairs, raise_exception)


def gradgradcheck(f: Function, xs: Sequence[float], *, eps: Optional[float] = None, atol: float = DEFAULT_ATOL,
                  rtol: float = DEFAULT_RTOL, method: str = "central", raise_exception: bool = True) -> bool:
    """Check second derivatives: ``backward(create_graph=True)`` differentiated again.

    Every entry ``d²f / dx_i dx_j`` of the Hessian that backprop computes
    (differentiating the gradient's graph) is compared with finite differences
    of the gradient that plain ``backward`` computes.  Arguments as for
    :func:`gradcheck`.

    >>> from microgradlab import sin
    >>> gradgradcheck(lambda x, y: sin(x) * y * y, [0.3, 2.0])
    True
    """
    where = "gradgradcheck"
    step = _step(eps, method, where)
    point = _point(xs, where)
    argnums = tuple(range(len(point)))
    gradient = grad(f, argnums)

    def row(i: int) -> Sequence[Any]:
        return grad(lambda *vs: gradient(*vs)[i], argnums)(*point)

    def evaluate(p: List[float]) -> List[float]:
        return [_scalar(g, where) for g in gradient(*p)]

    numeric = _jacobian(evaluate, point, step, method, where)
    pairs = [((i, j), _scalar(a, where), numeric[i][j]) for i in argnums for j, a in enumerate(row(i))]
    return _report(where, f, point, method, step, atol, rtol, pairs, raise_exception)


def gradcheck_parameters(loss: Callable[[], Any], parameters: Sequence[Value], *, eps: Optional[float] = None,
                         atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL, method: str = "central",
                         raise_exception: bool = True) -> bool:
    """Check the gradient of ``loss()`` with respect to leaves it closes over (a model's parameters).

    ``loss`` takes no arguments and rebuilds the graph from the current
    ``.data`` of ``parameters`` on every call.  Finite differences move each
    parameter's ``.data``; both ``.data`` and ``.grad`` of every parameter
    are restored afterwards.

    >>> from microgradlab import Value
    >>> w, b = Value(0.5), Value(-1.0)
    >>> xs, ys = [1.0, 2.0, 3.0], [1.0, 0.0, 1.0]
    >>> mse = lambda: sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / (2 * len(xs))
    >>> gradcheck_parameters(mse, [w, b])
    True
    """
    where = "gradcheck_parameters"
    step = _step(eps, method, where)
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Value) or not p.is_leaf:
            raise TypeError(f"{where}: parameter {i} must be a leaf Value, got {p!r}")
    point = [p.data for p in params]
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = 0.0
        out = loss()
        if isinstance(out, Value):
            out.backward()
        analytic = [_scalar(p.grad, where) for p in params]
    finally:
        for p, g in zip(params, saved):
            p.grad = g

    def evaluate(p_data: List[float]) -> List[float]:
        try:
            for p, x in zip(params, p_data):
                p.data = x
            return [_scalar(loss(), where)]
        finally:
            for p, x in zip(params, point):
                p.data = x

    numeric = _jacobian(evaluate, point, step, method, where)
    pairs = [(i, a, numeric[0][i]) for i, a in enumerate(analytic)]
    return _report(where, loss, point, method, step, atol, rtol, pairs, raise_exception)
