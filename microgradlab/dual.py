"""Dual numbers, ``primal + tangent·ε`` with ``ε² = 0``: forward mode, one operation at a time.

Each operation applies its op-table entry to the primals and the entry's
partials to the tangents, ``tangent(out) = Σ_i d out / d input_i ·
tangent(input_i)``.  An exact zero tangent or local derivative gives a zero
contribution even against an infinite or NaN factor, as in backward.  The
transforms built on it (``jvp``, ``hvp`` ...) are in ``forward.py``.
"""

from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

from . import ops
from .engine import Value, apply
from .nary import VALUE_MATH
from .ops import SCALAR_MATH, Primitive, fail

__all__ = ["Dual", "apply_dual", "is_exact_zero"]


def is_exact_zero(x: Any) -> bool:
    """An exact zero number (a Value is never treated as zero: its graph must stay)."""
    return x.__class__ in (float, int) and x == 0


class Dual:
    """A number with a tangent: ``primal + tangent·ε`` with ``ε² = 0``.

    Primal and tangent are floats, or Values when forward mode runs inside
    ``grad`` (then the tangent is differentiable).  It has Value's operators
    and methods (``tanh``, ``exp``, ``relu``, ...), each from the op table.

    >>> d = Dual(2.0, 1.0) ** 3
    >>> d.primal, d.tangent
    (8.0, 12.0)
    """

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: Any, tangent: Any = 0.0) -> None:
        self.primal = primal
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    def __float__(self) -> float:
        raise TypeError(f"float() of {self!r} would drop its tangent; use .primal")

    # Comparisons look at the primal, as Value's look at data.
    def __lt__(self, other: Any) -> bool:
        return self.primal < _primal(other)

    def __le__(self, other: Any) -> bool:
        return self.primal <= _primal(other)

    def __gt__(self, other: Any) -> bool:
        return self.primal > _primal(other)

    def __ge__(self, other: Any) -> bool:
        return self.primal >= _primal(other)

    def __pos__(self) -> "Dual":
        return self

    def leaky_relu(self, negative_slope: Any = 0.01) -> "Dual":
        return apply_dual(ops.get("leaky_relu"), self, negative_slope)

    def _apply_primitive(self, prim: Primitive, *args: Any) -> "Dual":
        """``prim(self, *args)``: how microgradlab's math functions (``microgradlab.tanh``) treat a Dual."""
        return apply_dual(prim, self, *args)

    @staticmethod
    def _apply_nary(prim: Primitive, *groups: Sequence[Any]) -> "Dual":
        """An n-ary op (``vsum``, ``dot``, ``apply(op, xs)``) on argument groups holding Duals."""
        return _apply_nary(prim, groups)


def _primal(x: Any) -> Any:
    return x.primal if isinstance(x, Dual) else x


def apply_dual(prim: Primitive, *args: Any, in_rules: bool = False) -> Dual:
    """One forward-mode step: the primitive on the primals, its partials on the tangents.

    ``in_rules``: inside a derivative rule (hvp's reverse pass), where the op's
    IEEE rule applies (``inf`` where the forward rule would raise).
    """
    primals = [_primal(a) for a in args]
    out, primals, m = _primal_result(prim, primals, prim.in_rules if in_rules else prim.forward)
    return Dual(out, _tangent(m, out, [(a, prim.partials[i], primals) for i, a in enumerate(args)]))


def _apply_nary(prim: Primitive, groups: Sequence[Sequence[Any]]) -> Dual:
    """One forward-mode step of an n-ary op over one group (``x_i``) or two (``w_i, x_i``, a last extra
    ``w`` being a bias, whose ``x`` is 1): the op on the primals, ``Σ_i partial_i · tangent_i``."""
    out, primals, m = _primal_result(prim, [[_primal(a) for a in group] for group in groups], prim.forward)
    if prim.pairs:  # (operand, its partial, the partial's arguments): each w_i, then each x_i
        (ws, xs), (pws, pxs) = groups, primals
        dw, dx = prim.partials
        pxs_one = pxs + [1.0] * (len(pws) - len(pxs))
        terms = [(w, dw, (pw, px)) for w, pw, px in zip(ws, pws, pxs_one)]
        terms += [(x, dx, (pw, px)) for x, pw, px in zip(xs, pws, pxs)]
    else:
        terms = [(x, prim.partials[0], (p,)) for x, p in zip(groups[0], primals[0])]
    return Dual(out, _tangent(m, out, terms))


def _primal_result(prim: Primitive, primals: List[Any], forward: Callable[..., float]) -> Tuple[Any, List[Any], Any]:
    """``(out, primals, m)``: a node and the Value namespace when a primal is a Value (forward mode inside
    ``grad``), else the float result, the primals as floats (one list per group for n-ary ops) and floats' ``m``."""
    nary = prim.arity == 0
    if any(isinstance(p, Value) for p in (sum(primals, []) if nary else primals)):
        return apply(prim, *primals), primals, VALUE_MATH
    primals = [[float(p) for p in group] for group in primals] if nary else [float(p) for p in primals]
    try:
        return float(forward(*primals)), primals, SCALAR_MATH
    except (ArithmeticError, ValueError) as exc:
        raise fail(prim, sum(primals, []) if nary else primals, exc) from None


def _tangent(m: Any, out: Any, terms: List[Tuple[Any, Callable[..., Any], Sequence[Any]]]) -> Any:
    """``Σ partial(m, *args, out) · tangent(operand)`` over ``terms``; exact zeros win and are not evaluated."""
    tangent: Any = 0.0
    for a, partial, args in terms:
        t = a.tangent if isinstance(a, Dual) else 0.0
        if is_exact_zero(t):  # nothing to carry: its partial is not even evaluated
            continue
        term = m.zmul(partial(m, *args, out), t)
        tangent = term if is_exact_zero(tangent) else (tangent if is_exact_zero(term) else tangent + term)
    return tangent


def _binary(name: str, reflected: bool = False) -> Callable[[Dual, Any], Dual]:
    def method(self: Dual, other: Any) -> Dual:
        if not isinstance(other, (Dual, Value, int, float)):
            return NotImplemented
        prim = ops.get(name)
        return apply_dual(prim, other, self) if reflected else apply_dual(prim, self, other)

    method.__name__ = name
    return method


def _unary(name: str) -> Callable[[Dual], Dual]:
    def method(self: Dual) -> Dual:
        return apply_dual(ops.get(name), self)

    method.__name__ = name
    return method


for _dunder, _name in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"), ("pow", "pow")):
    setattr(Dual, f"__{_dunder}__", _binary(_name))
    setattr(Dual, f"__r{_dunder}__", _binary(_name, reflected=True))
for _method, _name in (("__neg__", "neg"), ("__abs__", "abs"), ("exp", "exp"), ("log", "log"), ("sqrt", "sqrt"),
                       ("tanh", "tanh"), ("sigmoid", "sigmoid"), ("relu", "relu"), ("softplus", "softplus"),
                       ("sin", "sin"), ("cos", "cos")):
    setattr(Dual, _method, _unary(_name))
