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

The built-in entries live in :mod:`microgradlab.primitives`, imported at the
end of this module so that the table is full whenever ``ops`` is imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

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
    "fail",
    "args_text",
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
ZERO = Constant(0.0)


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

    ``arity`` is 1 or 2 (the default: one input per partial), or 0 for an
    n-ary reduction of an elementwise term, of one argument group or two:

    * one partial: ``forward(xs)`` takes a list of floats, the partial is
      ``d(m, x_i, out)``; apply it with ``apply(op, xs)`` (like ``logsumexp``);
    * two partials: ``forward(ws, xs)`` takes two lists, the partials are
      ``dw(m, w_i, x_i, out)`` and ``dx(m, w_i, x_i, out)``; apply it with
      ``apply(op, ws, xs)`` or ``apply(op, ws, xs, bias)`` (like ``dot``), the
      bias being one weight more, whose ``x`` is 1.0 (``forward`` gets it as the
      last item of ``ws``).

    Either kind works in backward, ``create_graph``, :func:`microgradlab.grad`,
    forward mode (``jvp``, ``hvp``) and :func:`microgradlab.explain`; a
    derivative rule cannot call an n-ary op under ``hvp``.  More groups are
    refused.
    """
    if not name.isidentifier():
        raise ValueError(f"define: op name must be an identifier, got {name!r}")
    if name in PRIMITIVES:
        raise ValueError(f"define: an op named {name!r} already exists")
    if arity is not None and arity not in (0, 1, 2):
        raise ValueError(f"define: {name!r}: arity must be 0 (n-ary), 1 or 2, got {arity!r}")
    if not all(callable(d) for d in partials):
        raise TypeError(f"define: {name!r}: every partial must be callable, got {partials!r}")
    n = len(partials) if arity is None else arity
    if n not in (1, 2) and arity != 0:
        raise ValueError(f"define: {name!r} needs one partial per input (1 or 2 inputs), got {len(partials)}")
    if arity != 0 and len(partials) != n:
        raise ValueError(f"define: {name!r} has {n} inputs but {len(partials)} partials")
    if arity == 0 and len(partials) not in (1, 2):
        raise ValueError(f"define: the n-ary op {name!r} takes one argument group (one partial d(m, x_i, out)) "
                         f"or two (two partials d(m, w_i, x_i, out)), got {len(partials)} partials")
    if activation and n != 1:
        raise ValueError(f"define: an activation takes one input, but {name!r} has {n}")
    formula = (formula,) if isinstance(formula, str) else tuple(formula)
    if formula and len(formula) != len(partials):
        raise ValueError(f"define: {name!r} has {len(partials)} partials but {len(formula)} formulas")
    if template is None:
        groups = n or len(partials)  # an n-ary op shows each argument group as a list
        template = f"{name}({', '.join(('[{%d}]' if not n else '{%d}') % i for i in range(groups))})"
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
    ('tanh', 'sigmoid', 'relu', 'softplus')
    """
    return tuple(name for name, prim in PRIMITIVES.items() if prim.activation)



def fail(prim: Primitive, args: Sequence[Any], exc: Exception) -> Exception:
    """``exc`` again, its message starting with the op and its arguments: ``log(-1.0): log needs ...``."""
    return type(exc)(f"{prim.name}({args_text(args)}): {exc}")


def args_text(args: Sequence[Any]) -> str:
    """The first few arguments of an op, for a message (n-ary ops may have thousands)."""
    text = ", ".join(repr(a) for a in args[:8])
    return text + ", ..." if len(args) > 8 else text


SCALAR_MATH = MathNamespace(lambda prim: prim.in_rules)
"""``m`` for derivative rules on floats: each op's scalar rule, with IEEE results where it would raise."""

from . import primitives  # noqa: E402,F401  (last: its define calls fill the table)
