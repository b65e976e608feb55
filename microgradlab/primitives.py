"""The built-in entries of the op table: each op's scalar and array rules, its partials and their formulas.

:mod:`microgradlab.ops` holds the machinery (:class:`~microgradlab.ops.Primitive`,
:func:`~microgradlab.ops.define`, the math namespaces) and imports this module
last, so the table is full whenever ``ops`` is imported.  Each op is one
``define`` call; the helpers above a call are its forward rules when one
expression is not enough (numerically stable, with a clear error outside the
domain) and its NumPy rules (NumPy is passed in as ``np``, never imported here).

N-ary primitives (``sum``, ``logsumexp`` and ``dot``) are reductions of an
elementwise term: ``sum`` adds its inputs, ``dot`` adds ``w_i * x_i``; their
partials are the term's partials (``1`` for ``sum``; for ``dot``, those of
``mul``: the other factor).
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .ops import INF, MINUS_ONE, ONE, ZERO, Factor, define

# --- scalar forward rules that need more than one expression ------------------
# NaN in gives NaN out: every comparison below sends NaN to the branch that returns x.


def _div(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError("division by zero")
    return x / y


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("zero cannot be raised to a negative power")
    if x < 0.0 and not y.is_integer():
        raise ValueError("a negative base needs an integer exponent")
    try:
        return x**y
    except OverflowError:
        raise OverflowError("the result is too large for a float") from None


def _ieee_pow(x: float, y: float) -> float:
    """``x ** y`` inside derivative rules: ``inf`` where the true value is infinite or too large."""
    if x == 0.0 and y < 0.0:
        return INF
    try:
        return x**y
    except OverflowError:  # |x ** y| is too large: its sign is negative only for x < 0 and an odd y
        return -INF if x < 0.0 and y % 2.0 == 1.0 else INF


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError("the result is too large for a float (the largest input is about 709.78)") from None


def _ieee_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError("log needs a positive input")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise ValueError("sqrt needs a non-negative input")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    # Two branches so that exp never sees a large positive argument.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never exponentiates a large number.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x


def _leaky_relu(x: float, slope: float) -> float:
    return slope * x if x <= 0.0 else x


def _step(x: float) -> float:
    """Heaviside step with ``step(0) = 0``: the derivative convention of relu."""
    return 1.0 if x > 0.0 else (0.0 if x <= 0.0 else x)


def _sign(x: float) -> float:
    """``sign(0) = 0``: the derivative convention of abs."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x))


def _xlogy(x: float, y: float) -> float:
    """``x * log(y)``, and 0 where ``x`` is 0 (as ``0 ** e`` is flat in ``e``)."""
    if x == 0.0 and y == y:
        return 0.0
    if y <= 0.0:
        raise ValueError(f"the derivative with respect to the exponent needs a positive base, got {y!r}")
    return x * math.log(y)


def _zmul(x: float, y: float) -> float:
    """``x * y``, except that an exact zero on either side wins over inf and NaN."""
    return 0.0 if x == 0.0 or y == 0.0 else x * y


# --- array forward rules (NumPy is passed in, never imported here) -----------


def _np_sigmoid(np: Any, x: Any) -> Any:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_softplus(np: Any, x: Any) -> Any:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _np_step(np: Any, x: Any) -> Any:
    return np.where(x > 0.0, 1.0, np.where(x <= 0.0, 0.0, x))


def _np_xlogy(np: Any, x: Any, y: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((x == 0.0) & (y == y), 0.0, x * np.log(y))


def _np_zmul(np: Any, x: Any, y: Any) -> Any:
    with np.errstate(invalid="ignore"):
        return np.where((x == 0.0) | (y == 0.0), 0.0, x * y)


# --- the table ---------------------------------------------------------------

ALL = (-INF, INF)
POSITIVE = (0.0, INF)

define("add", lambda x, y: x + y, (ONE, ONE), op_string="+", partials_can_raise=False,
       symbol="+", template="{0} + {1}", array_forward=lambda np, x, y: x + y,
       domain=(ALL, ALL), doc="x + y",
       formula=("d/dx (x + y) = 1", "d/dy (x + y) = 1"))
define("sub", lambda x, y: x - y, (ONE, MINUS_ONE), op_string="-", partials_can_raise=False,
       symbol="-", template="{0} - {1}", array_forward=lambda np, x, y: x - y,
       domain=(ALL, ALL), doc="x - y",
       formula=("d/dx (x - y) = 1", "d/dy (x - y) = -1"))
define("mul", lambda x, y: x * y, (lambda m, x, y, out: y, lambda m, x, y, out: x),
       op_string="*", partials_can_raise=False,
       symbol="*", template="{0} * {1}", array_forward=lambda np, x, y: x * y,
       domain=(ALL, ALL), doc="x * y",
       formula=("d/dx (x * y) = y", "d/dy (x * y) = x"))
define("div", _div, (lambda m, x, y, out: 1.0 / y, lambda m, x, y, out: -out / y),
       op_string="/", partials_can_raise=False,
       symbol="/", template="{0} / {1}", array_forward=lambda np, x, y: x / y,
       domain=(ALL, ALL), kinks=((), (0.0,)), doc="x / y; y = 0 is an error",
       formula=("d/dx (x / y) = 1 / y", "d/dy (x / y) = -x / y²"))
define("pow", _pow, (lambda m, x, y, out: m.zmul(y, m.pow(x, y - 1.0)), lambda m, x, y, out: m.xlogy(out, x)),
       rule_forward=_ieee_pow, op_string="**{1}", partials_can_raise=(False, True),
       symbol="**", template="{0} ** {1}", array_forward=lambda np, x, y: x**y,
       domain=(POSITIVE, ALL), doc="x ** y; d/dy needs x > 0",
       formula=("d/dx x**y = y * x**(y - 1)", "d/dy x**y = x**y * log(x)"))
define("neg", lambda x: -x, (MINUS_ONE,), partials_can_raise=False,
       symbol="-", template="-{0}", array_forward=lambda np, x: -x, doc="-x",
       formula="d/dx (-x) = -1")
define("abs", abs, (lambda m, x, out: m.sign(x),), partials_can_raise=False,
       symbol="abs", array_forward=lambda np, x: np.abs(x), kinks=((0.0,),),
       doc="|x|; abs'(0) = 0 by convention",
       formula="d/dx |x| = sign(x)")
define("exp", _exp, (lambda m, x, out: out,), rule_forward=_ieee_exp, partials_can_raise=False,
       array_forward=lambda np, x: np.exp(x), domain=((-INF, 700.0),), doc="e ** x",
       formula="d/dx exp(x) = exp(x)")
define("log", _log, (lambda m, x, out: 1.0 / x,), partials_can_raise=False,
       array_forward=lambda np, x: np.log(x), domain=(POSITIVE,), doc="natural logarithm, x > 0",
       formula="d/dx log(x) = 1 / x")
define("sqrt", _sqrt, (lambda m, x, out: 0.5 * m.pow(out, -1.0),), partials_can_raise=False,
       symbol="√", array_forward=lambda np, x: np.sqrt(x), domain=(POSITIVE,),
       doc="square root, x >= 0 (the derivative is inf at 0)",
       formula="d/dx √x = 1 / (2√x)")
define("tanh", math.tanh, (lambda m, x, out: 1.0 - out * out,), partials_can_raise=False,
       array_forward=lambda np, x: np.tanh(x), activation=True, doc="hyperbolic tangent",
       formula="d/dx tanh(x) = 1 - tanh(x)²")
define("sigmoid", _sigmoid, (lambda m, x, out: out * (1.0 - out),), partials_can_raise=False,
       symbol="σ", array_forward=_np_sigmoid, activation=True, doc="logistic function 1 / (1 + e^-x)",
       formula="d/dx σ(x) = σ(x) * (1 - σ(x))")
define("relu", _relu, (lambda m, x, out: m.step(x),), op_string="ReLU", partials_can_raise=False,
       array_forward=lambda np, x: np.maximum(x, 0.0), kinks=((0.0,),), activation=True,
       doc="max(x, 0); relu'(0) = 0 by convention",
       formula="d/dx relu(x) = 1 if x > 0 else 0")
define("leaky_relu", _leaky_relu,
       (lambda m, x, slope, out: m.step(x) + (1.0 - m.step(x)) * slope,
        lambda m, x, slope, out: (1.0 - m.step(x)) * x),
       partials_can_raise=False,
       array_forward=lambda np, x, slope: np.where(x <= 0.0, slope * x, x),
       domain=(ALL, ALL), kinks=((0.0,), ()),
       doc="x if x > 0 else slope * x; the derivative at 0 is slope by convention",
       formula=("d/dx leaky_relu(x, s) = 1 if x > 0 else s", "d/ds leaky_relu(x, s) = 0 if x > 0 else x"))
define("softplus", _softplus, (lambda m, x, out: m.sigmoid(x),), partials_can_raise=False,
       array_forward=_np_softplus, activation=True, doc="log(1 + e^x), computed without overflow",
       formula="d/dx softplus(x) = σ(x)")
define("sin", math.sin, (lambda m, x, out: m.cos(x),), partials_can_raise=False,
       array_forward=lambda np, x: np.sin(x), doc="sine",
       formula="d/dx sin(x) = cos(x)")
define("cos", math.cos, (lambda m, x, out: -m.sin(x),), partials_can_raise=False,
       array_forward=lambda np, x: np.cos(x), doc="cosine",
       formula="d/dx cos(x) = -sin(x)")
# Rule helpers, ops like any other: masks (zero derivative), x log y, and the strong-zero product.
define("step", _step, (ZERO,), partials_can_raise=False, array_forward=_np_step, kinks=((0.0,),),
       doc="1 for x > 0, else 0 (the derivative of relu); its own derivative is 0",
       formula="d/dx step(x) = 0")
define("sign", _sign, (ZERO,), partials_can_raise=False, array_forward=lambda np, x: np.sign(x),
       kinks=((0.0,),), doc="-1, 0 or 1 (the derivative of abs); its own derivative is 0",
       formula="d/dx sign(x) = 0")
define("xlogy", _xlogy, (lambda m, x, y, out: m.log(y), lambda m, x, y, out: x / y),
       array_forward=_np_xlogy, domain=(ALL, POSITIVE), doc="x * log(y), and 0 where x is 0",
       formula=("d/dx x·log(y) = log(y)", "d/dy x·log(y) = x / y"))
define("zmul", _zmul, (lambda m, x, y, out: y, lambda m, x, y, out: x), partials_can_raise=False,
       symbol="⊙", template="zmul({0}, {1})", array_forward=_np_zmul, domain=(ALL, ALL),
       doc="x * y, but 0 when either factor is exactly 0: the chain rule's product (masks select)",
       formula=("d/dx (x ⊙ y) = y", "d/dy (x ⊙ y) = x"))


def _logsumexp(xs: Any) -> float:
    if not xs:
        raise ValueError("logsumexp needs at least one input")
    if any(map(math.isnan, xs)):
        return math.nan
    top = max(xs)
    if math.isinf(top):
        return top
    # Shifting by the largest input keeps every exp() <= 1 and the sum >= 1.
    return top + math.log(math.fsum([math.exp(x - top) for x in xs]))


def _np_logsumexp(np: Any, xs: Any) -> Any:
    top = xs.max(axis=0)  # NaN-propagating, like the scalar rule
    finite_top = np.where(np.isfinite(top), top, 0.0)
    return np.where(np.isfinite(top), finite_top + np.log(np.exp(xs - finite_top).sum(axis=0)), top)


# N-ary reductions: forward(list of floats); array_forward(np, a 2-D array, one row per input).
define("sum", lambda xs: sum(xs, 0.0), (ONE,), arity=0, symbol="Σ", template="vsum([{0}])",
       partials_can_raise=False, op_string="sum",
       array_forward=lambda np, xs: xs.sum(axis=0), doc="sum of many inputs in one node",
       formula="d/dx_i Σ x = 1")
define("logsumexp", _logsumexp, (lambda m, x, out: m.exp(x - out),), arity=0, symbol="LSE",
       partials_can_raise=False,
       template="logsumexp([{0}])", array_forward=_np_logsumexp,
       doc="log Σ exp(x_i) in one node, stable for any finite inputs; its partials are the softmax",
       formula="d/dx_i LSE(x) = exp(x_i - LSE(x))")


def _dot(ws: Any, xs: Any) -> float:
    # A bias is one weight more than inputs: the weight of a constant input 1.
    total = sum(map(operator.mul, ws, xs), 0.0)
    return total + ws[-1] if len(ws) > len(xs) else total


define("dot", _dot, (Factor(1), Factor(0)), arity=0, partials_can_raise=False,
       symbol="·", template="dot([{0}], [{1}])",
       doc="sum of w_i * x_i in one node; a last extra weight is a bias (its input is 1)",
       formula=("d/dw_i (w · x) = x_i", "d/dx_i (w · x) = w_i"))
