"""The op table: every primitive's forward rule and derivative rule, stated once.

Each :class:`Primitive` holds

* ``forward`` -- the scalar rule on floats, numerically stable over the whole
  float range; it raises ``ValueError``/``ZeroDivisionError``/``OverflowError``
  outside its domain and the engine adds the op's name and inputs to the message;
* ``partials`` -- one function per input giving the local derivative
  ``d out / d input_i`` as ``partial(m, *inputs, out)``.  ``m`` is a math
  namespace (a partial that is constant is a :class:`Constant`), so the *same* rule serves three back ends: :data:`SCALAR_MATH` on
  floats (ordinary ``backward``), the engine's Value namespace (``create_graph``
  and higher-order gradients) and NumPy (the compiled batch path);
* ``array_forward`` -- the same forward rule on NumPy arrays, for ``compile``;
* ``symbol``/``template`` -- how the graph renderer and the test strategies print it;
* ``domain``/``kinks`` -- per input, the open interval where the op is defined
  and the points where it is not differentiable, so property tests can draw
  inputs that stay clear of them by construction;
* ``activation`` -- a unary op a neuron may apply to its pre-activation: an
  ``MLP`` accepts it by name, the graph drawing keeps it inside its neuron, the
  strategies draw networks with it and the command line offers it.

Everything else -- ``Value``'s operators, ``backward``, graph drawing, the
Hypothesis strategies and the compiled path -- is driven from :data:`PRIMITIVES`.
Adding an op is one :func:`define` call.

N-ary primitives (``sum`` and ``dot``) are reductions of an elementwise term:
``sum`` adds its inputs, ``dot`` adds ``w_i * x_i``; their partials are the
term's partials (``1`` for ``sum``; for ``dot``, those of ``mul``: the other factor).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

__all__ = [
    "Constant",
    "Factor",
    "Primitive",
    "PRIMITIVES",
    "SCALAR_MATH",
    "MathNamespace",
    "define",
    "undefine",
    "get",
    "activations",
]

INF = math.inf
Interval = Tuple[float, float]


class Constant:
    """A partial derivative that does not depend on the inputs (``1`` for add).

    It is called like any other partial; the engine also recognises it and
    skips the call on its hot path.
    """

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def __call__(self, m: Any, *inputs: Any) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Constant({self.value!r})"


class Factor:
    """The partial that is input ``index`` itself: ``d(x*y)/dx = y`` is ``Factor(1)``.

    Called like any other partial; ``dot``'s backward uses it without calls.
    """

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, m: Any, *inputs: Any) -> Any:
        return inputs[self.index]

    def __repr__(self) -> str:
        return f"Factor({self.index})"


ONE = Constant(1.0)
MINUS_ONE = Constant(-1.0)


@dataclass(frozen=True)
class Primitive:
    """One entry of the op table.  See the module docstring for the fields."""

    name: str
    arity: int  # 1, 2, or 0 for n-ary reductions
    forward: Callable[..., float]
    partials: Tuple[Callable[..., Any], ...]
    symbol: str
    template: str
    array_forward: Optional[Callable[..., Any]] = None
    domain: Tuple[Interval, ...] = ()
    kinks: Tuple[Tuple[float, ...], ...] = ()
    doc: str = ""
    rule_forward: Optional[Callable[..., float]] = None
    partials_can_raise: Tuple[bool, ...] = ()
    op_string: str = ""
    formula: Tuple[str, ...] = ()  # per input, the local derivative rule as text (for explain)
    activation: bool = False
    node_classes: Any = field(default=None, compare=False, repr=False)  # the engine's cache

    @property
    def in_rules(self) -> Callable[..., float]:
        """The scalar rule as derivative rules use it: IEEE results (``inf``) where ``forward`` raises."""
        return self.rule_forward or self.forward

    @property
    def pairs(self) -> bool:
        """An n-ary op over pairs ``(w_i, x_i)`` (two argument groups, like ``dot``).

        Its forward rule takes the two lists; a last extra item of the first
        group pairs with the constant 1 (a bias).
        """
        return self.arity == 0 and len(self.partials) == 2

    def format(self, *args: str) -> str:
        """Source text of an application to already-formatted arguments."""
        return self.template.format(*args)


PRIMITIVES: Dict[str, Primitive] = {}


class MathNamespace:
    """The functions a derivative rule sees as ``m``: one per op-table entry, made from the table.

    ``lift(prim)`` turns an entry into this back end's function: floats
    (:data:`SCALAR_MATH`), Values (the engine's, for higher order) or NumPy
    arrays (the compiled path).  Every namespace is kept in step with the
    table, so an op added by :func:`define` is callable inside every rule, in
    every back end.

    >>> SCALAR_MATH.exp(0.0), SCALAR_MATH.step(-1.0), SCALAR_MATH.zmul(0.0, INF)
    (1.0, 0.0, 0.0)
    """

    def __init__(self, lift: Callable[[Primitive], Callable[..., Any]]) -> None:
        self._lift = lift
        for prim in PRIMITIVES.values():
            self._add(prim)
        _NAMESPACES.append(self)

    def _add(self, prim: Primitive) -> None:
        setattr(self, prim.name, self._lift(prim))

    def _remove(self, name: str) -> None:
        self.__dict__.pop(name, None)

    def names(self) -> List[str]:
        """The functions offered: one per op of the table."""
        return sorted(name for name in vars(self) if not name.startswith("_"))


_NAMESPACES: List[MathNamespace] = []


def define(
    name: str,
    forward: Callable[..., float],
    partials: Tuple[Callable[..., Any], ...],
    *,
    symbol: Optional[str] = None,
    template: Optional[str] = None,
    array_forward: Optional[Callable[..., Any]] = None,
    domain: Optional[Tuple[Interval, ...]] = None,
    kinks: Optional[Tuple[Tuple[float, ...], ...]] = None,
    doc: str = "",
    arity: Optional[int] = None,
    rule_forward: Optional[Callable[..., float]] = None,
    partials_can_raise: Union[bool, Tuple[bool, ...]] = True,
    op_string: Optional[str] = None,
    formula: Union[str, Tuple[str, ...]] = (),
    activation: bool = False,
) -> Primitive:
    """Add a primitive to the op table and return it.

    ``forward(*floats) -> float`` is the scalar rule; ``partials`` holds one
    function per input, ``partial(m, *inputs, out)``, written with ``m``'s
    functions -- every op of the table is one (``m.exp``, ``m.log``,
    ``m.step``, ``m.sign``, ``m.pow``, ``m.xlogy``, ``m.zmul``, and your own) --
    and arithmetic operators only, so it works on floats, on Values (higher
    order) and on NumPy arrays (compiled).  Apply the primitive with
    :func:`microgradlab.apply`.

    ``rule_forward`` is the scalar rule as derivative rules call it, where it
    must give IEEE results (``inf`` on overflow) instead of raising;
    ``partials_can_raise=False`` (or one flag per partial) promises that the
    partials never raise for inputs the forward rule accepted (built-in entries say so; it lets backward
    skip its check before changing any gradient); ``op_string`` is how
    micrograd would print the op in ``Value._op`` (default: the name).

    ``formula`` states each partial as text, e.g. ``"d/dx tanh(x) = 1 - tanh(x)²"``
    (a str for one input); :func:`microgradlab.explain` shows it.

    ``activation=True`` (unary ops only) makes the op a neuron activation:
    ``MLP(2, [16, 1], activation=name)`` accepts it, and the graph drawing,
    the strategies and the command line offer it (see :func:`activations`).
    """
    if not name.isidentifier():
        raise ValueError(f"define: op name must be an identifier, got {name!r}")
    if name in PRIMITIVES:
        raise ValueError(f"define: an op named {name!r} already exists")
    n = len(partials) if arity is None else arity
    if n not in (1, 2) and arity != 0:
        raise ValueError(f"define: {name!r} needs one partial per input (1 or 2 inputs), got {len(partials)}")
    if arity != 0 and len(partials) != n:
        raise ValueError(f"define: {name!r} has {n} inputs but {len(partials)} partials")
    if arity == 0 and len(partials) not in (1, 2):
        raise ValueError(f"define: the n-ary op {name!r} needs one elementwise partial d(m, x_i, out), or two "
                         f"for pairs d(m, w_i, x_i, out), got {len(partials)}")
    if activation and n != 1:
        raise ValueError(f"define: an activation takes one input, but {name!r} has {n}")
    formula = (formula,) if isinstance(formula, str) else tuple(formula)
    if formula and len(formula) != len(partials):
        raise ValueError(f"define: {name!r} has {len(partials)} partials but {len(formula)} formulas")
    if template is None:
        template = f"{name}({', '.join('{%d}' % i for i in range(n))})" if n else f"{name}(...)"
    prim = Primitive(
        name=name,
        arity=n,
        forward=forward,
        partials=tuple(partials),
        symbol=symbol if symbol is not None else name,
        template=template,
        array_forward=array_forward,
        domain=domain if domain is not None else ((-INF, INF),) * max(n, 1),
        kinks=kinks if kinks is not None else ((),) * max(n, 1),
        doc=doc,
        rule_forward=rule_forward,
        partials_can_raise=(tuple(bool(c) for c in partials_can_raise) if isinstance(partials_can_raise, tuple)
                            else (bool(partials_can_raise),) * len(partials)),
        op_string=op_string if op_string is not None else name,
        formula=formula,
        activation=bool(activation),
    )
    PRIMITIVES[name] = prim
    for namespace in _NAMESPACES:
        namespace._add(prim)
    return prim


def undefine(name: str) -> Primitive:
    """Remove a primitive from the table (a throwaway op in a test or a notebook) and return it.

    Nodes already built with it keep working: they hold the entry itself.
    """
    try:
        prim = PRIMITIVES.pop(name)
    except KeyError:
        raise KeyError(f"undefine: no op named {name!r}") from None
    for namespace in _NAMESPACES:
        namespace._remove(name)
    return prim


def get(name: str) -> Primitive:
    """The primitive called ``name``; ``KeyError`` naming the known ops otherwise."""
    try:
        return PRIMITIVES[name]
    except KeyError:
        raise KeyError(f"no op named {name!r}; known ops: {', '.join(sorted(PRIMITIVES))}") from None


def activations() -> Tuple[str, ...]:
    """The names of the ops a neuron may use as its activation, in table order.

    >>> activations()
    ('tanh', 'sigmoid', 'relu')
    """
    return tuple(name for name, prim in PRIMITIVES.items() if prim.activation)


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
ZERO = Constant(0.0)

define("add", lambda x, y: x + y, (ONE, ONE), op_string="+", partials_can_raise=False,
       symbol="+", template="{0} + {1}", array_forward=lambda np, x, y: x + y,
       domain=(ALL, ALL), doc="x + y")
define("sub", lambda x, y: x - y, (ONE, MINUS_ONE), op_string="-", partials_can_raise=False,
       symbol="-", template="{0} - {1}", array_forward=lambda np, x, y: x - y,
       domain=(ALL, ALL), doc="x - y")
define("mul", lambda x, y: x * y, (lambda m, x, y, out: y, lambda m, x, y, out: x),
       op_string="*", partials_can_raise=False,
       symbol="*", template="{0} * {1}", array_forward=lambda np, x, y: x * y,
       domain=(ALL, ALL), doc="x * y")
define("div", _div, (lambda m, x, y, out: 1.0 / y, lambda m, x, y, out: -out / y),
       op_string="/", partials_can_raise=False,
       symbol="/", template="{0} / {1}", array_forward=lambda np, x, y: x / y,
       domain=(ALL, ALL), kinks=((), (0.0,)), doc="x / y; y = 0 is an error")
define("pow", _pow, (lambda m, x, y, out: m.zmul(y, m.pow(x, y - 1.0)), lambda m, x, y, out: m.xlogy(out, x)),
       rule_forward=_ieee_pow, op_string="**{1}", partials_can_raise=(False, True),
       symbol="**", template="{0} ** {1}", array_forward=lambda np, x, y: x**y,
       domain=(POSITIVE, ALL), doc="x ** y; d/dy needs x > 0")
define("neg", lambda x: -x, (MINUS_ONE,), partials_can_raise=False,
       symbol="-", template="-{0}", array_forward=lambda np, x: -x, doc="-x")
define("abs", abs, (lambda m, x, out: m.sign(x),), partials_can_raise=False,
       symbol="abs", array_forward=lambda np, x: np.abs(x), kinks=((0.0,),),
       doc="|x|; abs'(0) = 0 by convention")
define("exp", _exp, (lambda m, x, out: out,), rule_forward=_ieee_exp, partials_can_raise=False,
       array_forward=lambda np, x: np.exp(x), domain=((-INF, 700.0),), doc="e ** x")
define("log", _log, (lambda m, x, out: 1.0 / x,), partials_can_raise=False,
       array_forward=lambda np, x: np.log(x), domain=(POSITIVE,), doc="natural logarithm, x > 0")
define("sqrt", _sqrt, (lambda m, x, out: 0.5 * m.pow(out, -1.0),), partials_can_raise=False,
       symbol="√", array_forward=lambda np, x: np.sqrt(x), domain=(POSITIVE,),
       doc="square root, x >= 0 (the derivative is inf at 0)")
define("tanh", math.tanh, (lambda m, x, out: 1.0 - out * out,), partials_can_raise=False,
       array_forward=lambda np, x: np.tanh(x), activation=True, doc="hyperbolic tangent")
define("sigmoid", _sigmoid, (lambda m, x, out: out * (1.0 - out),), partials_can_raise=False,
       symbol="σ", array_forward=_np_sigmoid, activation=True, doc="logistic function 1 / (1 + e^-x)")
define("relu", _relu, (lambda m, x, out: m.step(x),), op_string="ReLU", partials_can_raise=False,
       array_forward=lambda np, x: np.maximum(x, 0.0), kinks=((0.0,),), activation=True,
       doc="max(x, 0); relu'(0) = 0 by convention")
define("leaky_relu", _leaky_relu,
       (lambda m, x, slope, out: m.step(x) + (1.0 - m.step(x)) * slope,
        lambda m, x, slope, out: (1.0 - m.step(x)) * x),
       partials_can_raise=False,
       array_forward=lambda np, x, slope: np.where(x <= 0.0, slope * x, x),
       domain=(ALL, ALL), kinks=((0.0,), ()),
       doc="x if x > 0 else slope * x; the derivative at 0 is slope by convention")
define("softplus", _softplus, (lambda m, x, out: m.sigmoid(x),), partials_can_raise=False,
       array_forward=_np_softplus, doc="log(1 + e^x), computed without overflow")
define("sin", math.sin, (lambda m, x, out: m.cos(x),), partials_can_raise=False,
       array_forward=lambda np, x: np.sin(x), doc="sine")
define("cos", math.cos, (lambda m, x, out: -m.sin(x),), partials_can_raise=False,
       array_forward=lambda np, x: np.cos(x), doc="cosine")
# Rule helpers, ops like any other: masks (zero derivative), x log y, and the strong-zero product.
define("step", _step, (ZERO,), partials_can_raise=False, array_forward=_np_step, kinks=((0.0,),),
       doc="1 for x > 0, else 0 (the derivative of relu); its own derivative is 0")
define("sign", _sign, (ZERO,), partials_can_raise=False, array_forward=lambda np, x: np.sign(x),
       kinks=((0.0,),), doc="-1, 0 or 1 (the derivative of abs); its own derivative is 0")
define("xlogy", _xlogy, (lambda m, x, y, out: m.log(y), lambda m, x, y, out: x / y),
       array_forward=_np_xlogy, domain=(ALL, POSITIVE), doc="x * log(y), and 0 where x is 0")
define("zmul", _zmul, (lambda m, x, y, out: y, lambda m, x, y, out: x), partials_can_raise=False,
       symbol="⊙", template="zmul({0}, {1})", array_forward=_np_zmul, domain=(ALL, ALL),
       doc="x * y, but 0 when either factor is exactly 0: the chain rule's product (masks select)")



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
       array_forward=lambda np, xs: xs.sum(axis=0), doc="sum of many inputs in one node")
define("logsumexp", _logsumexp, (lambda m, x, out: m.exp(x - out),), arity=0, symbol="LSE",
       partials_can_raise=False,
       template="logsumexp([{0}])", array_forward=_np_logsumexp,
       doc="log Σ exp(x_i) in one node, stable for any finite inputs; its partials are the softmax")

def _dot(ws: Any, xs: Any) -> float:
    # A bias is one weight more than inputs: the weight of a constant input 1.
    total = sum(map(operator.mul, ws, xs), 0.0)
    return total + ws[-1] if len(ws) > len(xs) else total


define("dot", _dot, (Factor(1), Factor(0)), arity=0, partials_can_raise=False,
       symbol="·", template="dot([{0}], [{1}])",
       doc="sum of w_i * x_i in one node; a last extra weight is a bias (its input is 1)")


# The built-in partials as text, one per input, for explain() and the docs.  Set
# here in one place so that the rules above stay one line each.
_FORMULAS = {
    "add": ("d/dx (x + y) = 1", "d/dy (x + y) = 1"),
    "sub": ("d/dx (x - y) = 1", "d/dy (x - y) = -1"),
    "mul": ("d/dx (x * y) = y", "d/dy (x * y) = x"),
    "div": ("d/dx (x / y) = 1 / y", "d/dy (x / y) = -x / y²"),
    "pow": ("d/dx x**y = y * x**(y - 1)", "d/dy x**y = x**y * log(x)"),
    "neg": ("d/dx (-x) = -1",),
    "abs": ("d/dx |x| = sign(x)",),
    "exp": ("d/dx exp(x) = exp(x)",),
    "log": ("d/dx log(x) = 1 / x",),
    "sqrt": ("d/dx √x = 1 / (2√x)",),
    "tanh": ("d/dx tanh(x) = 1 - tanh(x)²",),
    "sigmoid": ("d/dx σ(x) = σ(x) * (1 - σ(x))",),
    "relu": ("d/dx relu(x) = 1 if x > 0 else 0",),
    "leaky_relu": ("d/dx leaky_relu(x, s) = 1 if x > 0 else s", "d/ds leaky_relu(x, s) = 0 if x > 0 else x"),
    "softplus": ("d/dx softplus(x) = σ(x)",),
    "sin": ("d/dx sin(x) = cos(x)",),
    "cos": ("d/dx cos(x) = -sin(x)",),
    "sum": ("d/dx_i Σ x = 1",),
    "logsumexp": ("d/dx_i LSE(x) = exp(x_i - LSE(x))",),
    "dot": ("d/dw_i (w · x) = x_i", "d/dx_i (w · x) = w_i"),
    "step": ("d/dx step(x) = 0",),
    "sign": ("d/dx sign(x) = 0",),
    "xlogy": ("d/dx x·log(y) = log(y)", "d/dy x·log(y) = x / y"),
    "zmul": ("d/dx (x ⊙ y) = y", "d/dy (x ⊙ y) = x"),
}
for _name, _formula in _FORMULAS.items():
    object.__setattr__(PRIMITIVES[_name], "formula", _formula)  # frozen entries; set once at import

SCALAR_MATH = MathNamespace(lambda prim: prim.in_rules)
"""``m`` for derivative rules on floats: each op's scalar rule, with IEEE results where it would raise."""
