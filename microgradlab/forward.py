"""Forward mode and second order: :func:`jvp`, :func:`jacobian`, :func:`hvp`, :func:`hessian`.

Forward mode carries a tangent beside every value: a :class:`~microgradlab.dual.Dual` number
``(primal, tangent)`` (``dual.py``).  Each operation applies its op-table entry to the
primals and the entry's partials to the tangents,
``tangent(out) = Σ_i d out / d input_i · tangent(input_i)``, in the same pass:
no graph is recorded.  ``jvp(f, primals, tangents)`` is JAX's function of that
name (the Jacobian of ``f`` times the tangents).

>>> from microgradlab import jvp, tanh
>>> f = lambda x, y: x * y + tanh(x)
>>> value, df_dx = jvp(f, (1.0, 2.0), (1.0, 0.0))    # df/dx = y + 1 - tanh(x)²
>>> round(value, 6), round(df_dx, 6)
(2.761594, 2.419974)

Second order is forward-over-reverse: :func:`hvp` runs one reverse pass
(backward) in which every number is a Dual, so the tangent of each gradient is
the Hessian times ``v``; :func:`hessian` does that once per input.  The
gradient semantics of backward hold for tangents too: an exact zero tangent or
local derivative gives a zero contribution even against an infinite or NaN
factor; NaN in gives NaN out.

Transforms compose as in JAX: ``jvp(grad(f), (x,), (v,))`` is forward over
reverse (``grad`` records its gradient's graph and the tangents are carried
through it: the Hessian times ``v``), so ``jacobian(grad(f))`` is the Hessian;
``grad`` of a function that calls ``jvp`` is reverse over forward.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

from . import ops
from .dual import Dual, apply_dual, is_exact_zero
from .engine import Value, walk
from .functional import grad, value_and_grad
from .graph import topological_order
from .ops import SCALAR_MATH, Primitive

__all__ = ["Dual", "jvp", "jacobian", "hvp", "hessian", "local_partials"]

Number = Union[int, float]
_times = SCALAR_MATH.zmul  # backward's product: an exact zero on either side wins over inf and NaN


def _dual_rule(prim: Primitive) -> Callable[..., Any]:
    """``prim`` inside a derivative rule evaluated on Duals (the reverse pass of :func:`hvp`)."""
    if prim.arity == 0:
        def unsupported(*args: Any) -> Any:
            raise TypeError(f"hvp: the n-ary op {prim.name} inside a derivative rule is not supported")
        return unsupported

    def fn(*args: Any) -> Any:
        if any(isinstance(a, Dual) for a in args):
            return apply_dual(prim, *args, in_rules=True)
        return prim.in_rules(*args)

    fn.__name__ = prim.name
    return fn


DUAL_MATH = ops.MathNamespace(_dual_rule)


def local_partials(node: Value, m: Any, rep: Callable[[Value], Any]) -> List[Tuple[Value, Any]]:
    """``(input, d node / d input)`` for each Value input of an op node, from the op table.

    The partials are evaluated with the math namespace ``m`` on ``rep(v)`` of
    each Value ``v`` (its data, or a Dual); constant operands stay floats.
    """
    prim = node.op
    if prim is None:
        raise TypeError(f"a hand-written node (Value(data, _children, _op)) has no op-table partials: {node!r}")
    inputs = node.inputs
    args = [rep(v) if isinstance(v, Value) else v for v in inputs]
    out = rep(node)
    if prim.pairs:  # two argument groups: weights then inputs; a last extra weight is a bias, its input 1
        n, n_weights = len(node._b), len(node._a)
        ws, xs = args[:n_weights], args[n_weights:n_weights + n] + [1.0] * (n_weights - n)
        dw, dx = prim.partials
        partials = [dw(m, w, x, out) for w, x in zip(ws, xs)] + [dx(m, w, x, out) for w, x in zip(ws, xs[:n])]
        return [(v, d) for v, d in zip(inputs, partials) if isinstance(v, Value)]
    if prim.arity == 0:
        return [(v, prim.partials[0](m, a, out)) for v, a in zip(inputs, args) if isinstance(v, Value)]
    # Only for Value inputs: d/dy of x ** 2 at x < 0 does not exist, and is not needed.
    return [(v, prim.partials[i](m, *args, out)) for i, v in enumerate(inputs) if isinstance(v, Value)]


# --- the transforms ------------------------------------------------------------------


def _seed(x: Any, t: Any, where: str) -> Any:
    if isinstance(x, (list, tuple)):
        if not isinstance(t, (list, tuple)) or len(t) != len(x):
            raise ValueError(f"{where}: a tangent must have its primal's shape, got {t!r} for {x!r}")
        return [_seed(a, b, where) for a, b in zip(x, t)]
    if isinstance(t, (list, tuple)):
        raise ValueError(f"{where}: a tangent must have its primal's shape, got {t!r} for {x!r}")
    for name, v in (("primal", x), ("tangent", t)):
        if isinstance(v, bool) or not isinstance(v, (int, float, Value)):
            raise TypeError(f"{where}: each {name} must be a number or a Value, got {v!r}")
    return Dual(x if isinstance(x, Value) else float(x), t if isinstance(t, Value) else float(t))


def _split(out: Any) -> Tuple[Any, Any]:
    """(primal, tangent) of f's result: a Dual, a number (a constant), or a list of them."""
    if isinstance(out, (list, tuple)):
        pairs = [_split(o) for o in out]
        return [p for p, _ in pairs], [t for _, t in pairs]
    if isinstance(out, Dual):
        return out.primal, out.tangent
    if isinstance(out, (int, float, Value)) and not isinstance(out, bool):
        return out, 0.0
    raise TypeError(f"jvp: f must return a number, a Value or a list of them, got {out!r}")


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Tuple[Any, Any]:
    """``(f(*primals), J·tangents)`` by forward mode, in one pass, without a graph.

    ``primals`` and ``tangents`` are tuples of the same shape: numbers, or
    lists of numbers.  ``f`` may return one value or a list (then both results are lists).

    >>> round(jvp(lambda x: x.sin() * x, (0.5,), (1.0,))[1], 6)    # sin x + x cos x
    0.918217
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples, as in jax.jvp: jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    duals = [_seed(x, t, "jvp") for x, t in zip(primals, tangents)]
    if getattr(f, "__code__", None) in _TRANSFORM_CODES:
        return _jvp_of_transform(f, duals)
    return _split(f(*duals))


def _jvp_of_transform(f: Callable[..., Any], duals: List[Any]) -> Tuple[Any, Any]:
    """``jvp(grad(f), ...)``: grad takes Values, not Duals, so run it on Values (it records the
    gradient's graph, as inside any outer transform) and carry the tangents forward through that graph."""
    seeds: Dict[int, float] = {}

    def leaf(d: Any) -> Any:
        if isinstance(d, list):
            return [leaf(e) for e in d]
        if isinstance(d.primal, Value) or isinstance(d.tangent, Value):
            raise TypeError("jvp: jvp(grad(f)) takes numbers; inside another transform use hvp or grad(jvp)")
        v = Value(d.primal)
        seeds[id(v)] = d.tangent
        return v

    out = f(*[leaf(d) for d in duals])
    rep = _tangents(_flat_values(out), seeds)

    def split(o: Any) -> Tuple[Any, Any]:
        if isinstance(o, (list, tuple)):
            pairs = [split(e) for e in o]
            return [p for p, _ in pairs], [t for _, t in pairs]
        return (o.data, rep[id(o)].tangent) if isinstance(o, Value) else (o, 0.0)

    return split(out)


def _flat_values(out: Any) -> List[Value]:
    if isinstance(out, (list, tuple)):
        return [v for o in out for v in _flat_values(o)]
    return [out] if isinstance(out, Value) else []


# The inner functions of grad(f) and value_and_grad(f): shared by every f, so they identify the transforms.
_TRANSFORM_CODES = (grad(lambda x: x).__code__, value_and_grad(lambda x: x).__code__)


def _basis(x: Any) -> List[Any]:
    if isinstance(x, (list, tuple)):
        return [[1.0 if j == i else 0.0 for j in range(len(x))] for i in range(len(x))]
    return [1.0]


def _columns_to_jacobian(x: Any, columns: List[Any]) -> Any:
    if not isinstance(x, (list, tuple)):
        return columns[0]
    first = columns[0]
    if not isinstance(first, list):  # one output: the gradient
        return list(columns)
    return [[col[i] for col in columns] for i in range(len(first))]


def jacobian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """A function returning the Jacobian of ``f`` with respect to ``args[argnums]``, by forward mode.

    One :func:`jvp` per input (JAX's ``jacfwd``).  ``J[i][j] = d out_i / d x_j``
    for a list input and a list output; a float for a number in and out.

    >>> jacobian(lambda v: [v[0] * v[1], v[0] + v[1].exp()])([2.0, 0.0])
    [[0.0, 2.0], [1.0, 1.0]]
    """
    def wrapped(*args: Any) -> Any:
        x = args[argnums]
        columns = []
        for e in _basis(x):
            tangents = tuple(e if i == argnums else _zeros_like(a) for i, a in enumerate(args))
            columns.append(jvp(f, tuple(args), tangents)[1])
        return _columns_to_jacobian(x, columns)

    wrapped.__name__ = f"jacobian({getattr(f, '__name__', 'f')})"
    return wrapped


def _zeros_like(x: Any) -> Any:
    return [0.0] * len(x) if isinstance(x, (list, tuple)) else 0.0


def _flat(x: Any, where: str) -> Tuple[List[Any], bool]:
    many = isinstance(x, (list, tuple))
    xs = list(x) if many else [x]
    for v in xs:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{where}: expected a number or a list of numbers, got {v!r}")
    return [float(v) for v in xs], many


def hvp(f: Callable[..., Any], x: Any, v: Any) -> Any:
    """The Hessian of scalar ``f`` at ``x`` times ``v`` (forward-over-reverse, as ``jvp(grad(f), (x,), (v,))``).

    ``x`` and ``v`` are numbers or equally long lists of numbers.  ``f`` runs
    once on Values; backward then runs once on Duals.

    >>> hvp(lambda p: p[0] ** 2 * p[1] + p[1] ** 3, [1.0, 2.0], [1.0, 0.0])   # H = [[2y, 2x], [2x, 6y]]
    [4.0, 2.0]
    """
    xs, many = _flat(x, "hvp")
    vs, v_many = _flat(v, "hvp")
    if many != v_many or len(vs) != len(xs):
        raise ValueError(f"hvp: v must have x's shape, got {v!r} for {x!r}")
    leaves = [Value(a, label=f"x{i}") for i, a in enumerate(xs)]
    out = f(leaves if many else leaves[0])
    if not isinstance(out, Value):
        if isinstance(out, (int, float)) and not isinstance(out, bool):
            return [0.0] * len(xs) if many else 0.0  # a constant: its Hessian is 0
        raise TypeError(f"hvp: f must return a scalar Value, got {out!r}")
    adjoint = _dual_backward(out, dict(zip(map(id, leaves), vs)))
    result = [_tangent(adjoint.get(id(leaf))) for leaf in leaves]
    return result if many else result[0]


def _tangent(d: Any) -> float:
    return 0.0 if d is None else float(d.tangent if isinstance(d, Dual) else 0.0)


def _tangents(roots: Any, seeds: Dict[int, float]) -> Dict[int, Dual]:
    """Forward mode over a recorded graph: each Value as a Dual, its tangent along ``seeds`` (leaf id -> tangent)."""
    rep: Dict[int, Dual] = {}
    for node in walk(roots):  # inputs first
        if node.is_leaf:
            rep[id(node)] = Dual(node.data, seeds.get(id(node), 0.0))
            continue
        t: Any = 0.0
        for v, d in local_partials(node, SCALAR_MATH, lambda u: u.data):
            t = t + _times(d, rep[id(v)].tangent)
        rep[id(node)] = Dual(node.data, t)
    return rep


def _dual_backward(root: Value, seeds: Dict[int, float]) -> Dict[int, Any]:
    """Backward with Dual numbers: every node's data carries its tangent along ``seeds``.

    Returns each Value's adjoint (a Dual: the gradient and its tangent, H·v for the seeded leaves).
    """
    rep = _tangents(root, seeds)
    adjoint: Dict[int, Any] = {id(root): Dual(1.0, 0.0)}
    order = topological_order(root, []) if not root.is_leaf else []  # backward's order (grads left at 0.0)
    for node in order:
        g = adjoint.get(id(node))
        if g is None or (is_exact_zero(g.primal) and is_exact_zero(g.tangent)):
            continue
        for v, d in local_partials(node, DUAL_MATH, lambda u: rep[id(u)]):
            term = _dual_times(g, d)
            prev = adjoint.get(id(v))
            adjoint[id(v)] = term if prev is None else Dual(prev.primal + term.primal, prev.tangent + term.tangent)
    return adjoint


def _dual_times(g: Dual, d: Any) -> Dual:
    """``g * d`` for an adjoint ``g`` and a local derivative ``d`` (a Dual or a constant), zeros winning."""
    if not isinstance(d, Dual):
        return Dual(_times(g.primal, d), _times(g.tangent, d))
    return Dual(_times(g.primal, d.primal), _times(g.primal, d.tangent) + _times(g.tangent, d.primal))


def hessian(f: Callable[..., Any]) -> Callable[[Any], Any]:
    """A function returning the Hessian of scalar ``f``: one :func:`hvp` per input.

    >>> hessian(lambda p: p[0] ** 2 * p[1] + p[1] ** 3)([1.0, 2.0])
    [[4.0, 2.0], [2.0, 12.0]]
    >>> hessian(lambda x: x.exp())(0.0)
    1.0
    """
    def wrapped(x: Any) -> Any:
        xs, many = _flat(x, "hessian")
        if not many:
            return hvp(f, xs[0], 1.0)
        return [hvp(f, xs, e) for e in _basis(xs)]

    wrapped.__name__ = f"hessian({getattr(f, '__name__', 'f')})"
    return wrapped
