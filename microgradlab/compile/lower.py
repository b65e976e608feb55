"""Lowering: each kind of tape step (a primitive applied to many nodes) as NumPy array operations."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple

from .. import ops
from ..ops import Constant, Factor, Primitive
from .errors import CompileError
from .gather import Gather


#: Array forms of the rules' own forward functions where they differ from ``array_forward``:
#: pow's ``rule_forward`` answers +inf at 0 ** -1 for either sign of 0 (so sqrt'(-0.0) is +inf).
_RULE_ARRAY_FORWARD: Dict[str, Callable[..., Any]] = {
    "pow": lambda np, x, y: np.where((x == 0.0) & (y < 0.0), np.inf, np.power(x, y)),
}

_ARRAY_MATH: List[Any] = []


def ArrayMath(np: Any) -> ops.MathNamespace:
    """The math namespace ``m`` that derivative rules see on the compiled path: the op table's array rules."""
    if _ARRAY_MATH:
        return _ARRAY_MATH[0]

    def lift(prim: Primitive) -> Any:
        rule = _RULE_ARRAY_FORWARD.get(prim.name, prim.array_forward)
        if rule is None:
            def missing(*args: Any) -> Any:
                raise CompileError(f"compile: op {prim.name!r} has no array_forward rule")
            return missing
        return lambda *args: rule(np, *args)

    _ARRAY_MATH.append(ops.MathNamespace(lift))
    return _ARRAY_MATH[0]


def zero_wins(np: Any, g: Any, d: Any) -> Any:
    """The chain-rule product ``g * d``, exactly 0 where ``g`` or ``d`` is 0 (never 0 · inf = nan).

    A zero times a finite number is already 0, so only NaN products need a look; the sum
    of the products is one pass that is finite when there are none (most of the time).
    """
    out = g * d
    if not _finite_sum(np, out):
        bad = np.isnan(out)
        if bad.any():
            out = np.where(bad & ((g == 0.0) | (d == 0.0)), 0.0, out)
    return out


def _finite_sum(np: Any, a: Any) -> bool:
    """Whether ``a.sum()`` is finite: then no item is NaN or infinite (a cheap first look)."""
    total = float(np.add.reduce(a, axis=None))
    return total - total == 0.0


def zero_wins_matmul(np: Any, a: Any, b: Any) -> Any:
    """``a @ b`` with every product ``a_ik · b_kj`` zero-wins (see :func:`zero_wins`).

    A product 0 · inf makes its sum NaN, so where the plain product has no NaN it is the answer;
    otherwise the products are formed one by one.
    """
    out = a @ b
    if not _finite_sum(np, out) and np.isnan(out).any():
        out = zero_wins(np, a[:, :, None], b[None, :, :]).sum(axis=1)
    return out


class GroupInfo(NamedTuple):
    """One step of a :class:`Tape`: ``kind`` is ``"map"`` (an elementwise op), ``"reduce"``
    (``sum``, ``logsumexp``), ``"dot"`` or ``"matmul"`` (fused dot nodes); ``width`` nodes,
    each over ``n`` terms for the reductions (``n`` is 1 for ``"map"``)."""

    kind: str
    op: str
    width: int
    n: int


class StepGroup:
    """``width`` instructions evaluated together; subclasses define forward and backward."""

    kind = "map"

    def __init__(self, prim: Primitive, out_block: int, width: int, operands: List[Gather], n: int = 1) -> None:
        self.prim = prim
        self.out = out_block
        self.width = width
        self.operands = operands
        self.n = n
        self.blocks = frozenset(b for g in operands for b in g.blocks)

    def info(self) -> GroupInfo:
        return GroupInfo(self.kind, self.prim.name, self.width, self.n)

    def arguments(self) -> List[frozenset]:
        """The blocks each argument of the primitive is read from (an argument may take several operands)."""
        return [g.blocks for g in self.operands]


def _require_array_form(prim: Primitive) -> None:
    if prim.array_forward is None and prim.pairs:
        raise CompileError(
            f"compile: the op {prim.name!r} over pairs has no compiled rule; define it with "
            "array_forward=lambda np, ws, xs: ... (ws and xs of shape (n, rows, width), one slab per pair, "
            "a bias as the pair (b, 1); reduce over axis 0) to compile it")
    if prim.array_forward is None:
        raise CompileError(
            f"compile: op {prim.name!r} has no array form; define it with "
            f"array_forward=lambda np, *xs: ... (the NumPy version of its forward rule) to compile it")


class MapStep(StepGroup):
    """An elementwise primitive applied to ``width`` nodes at once."""

    def __init__(self, np: Any, *args: Any) -> None:
        super().__init__(*args)
        self.np = np
        _require_array_form(self.prim)
        self.forward_rule = self.prim.array_forward

    def forward(self, blocks: List[Any]) -> Any:
        args = [g.build(blocks) for g in self.operands]
        out = self.forward_rule(self.np, *args)
        rows = max(a.shape[0] for a in args)
        if getattr(out, "shape", None) != (rows, self.width):
            out = self.np.broadcast_to(out, (rows, self.width)).astype(self.np.float64)
        blocks[self.out] = out
        return args

    def partial(self, i: int, g: Any, args: List[Any], out: Any, m: Any) -> Any:
        rule = self.prim.partials[i]
        if isinstance(rule, Constant):  # no call, as in the scalar engine
            return g if rule.value == 1.0 else (-g if rule.value == -1.0 else zero_wins(self.np, g, rule.value))
        if isinstance(rule, Factor):
            return zero_wins(self.np, g, args[rule.index])
        return zero_wins(self.np, g, rule(m, *args, out))

    def backward(self, g: Any, args: List[Any], blocks: List[Any], m: Any, scatter: Callable[..., None],
                 per_sample: bool) -> None:
        for i, operand in enumerate(self.operands):
            scatter(operand, lambda i=i: self.partial(i, g, args, blocks[self.out], m))


class ReduceStep(StepGroup):
    """``width`` nodes of an n-ary op of ``n`` items each: a reduction (``sum``, ``logsumexp``)
    or an op over pairs ``(w_i, x_i)`` (two argument groups) other than ``dot``.

    The array protocol of n-ary ops: ``array_forward(np, *groups)`` gets one array
    ``(n, rows, width)`` per argument group -- item ``i`` of every node in slab ``i`` --
    and reduces over axis 0; each partial ``d(m, *items, out)`` is elementwise, on
    those arrays and the result ``(rows, width)``.  A bias (one weight more than
    inputs) is the pair ``(b, 1)``, as the scalar engine differentiates it.
    """

    kind = "reduce"

    def __init__(self, np: Any, *args: Any, n: int) -> None:
        super().__init__(*args, n=n)
        self.np = np
        _require_array_form(self.prim)

    def forward(self, blocks: List[Any]) -> Any:
        groups = []
        for operand in self.operands:
            flat = operand.build(blocks, full=True)
            groups.append(self.np.moveaxis(flat.reshape(flat.shape[0], self.width, self.n), 2, 0))  # (n, rows, width)
        blocks[self.out] = self.prim.array_forward(self.np, *groups)
        return groups

    def backward(self, g: Any, groups: Any, blocks: List[Any], m: Any, scatter: Callable[..., None],
                 per_sample: bool) -> None:
        np = self.np

        def contrib(rule: Any) -> Any:
            if isinstance(rule, Constant):  # sum: every item gets g (times the constant)
                return np.repeat(g if rule.value == 1.0 else g * rule.value, self.n, axis=1)
            d = zero_wins(np, g, rule(m, *groups, blocks[self.out]))  # (n, rows, width)
            d = np.broadcast_to(d, (self.n,) + d.shape[-2:])  # a rule may not depend on the item
            return np.moveaxis(d, 0, 2).reshape(d.shape[1], -1)

        for operand, rule in zip(self.operands, self.prim.partials):
            scatter(operand, lambda rule=rule: contrib(rule))


class DotStep(StepGroup):
    """``width`` dot nodes of ``n`` terms each, with weights that vary per sample."""

    kind = "dot"

    def forward(self, blocks: List[Any]) -> Any:
        w, x = (op.build(blocks, full=True) for op in self.operands)
        w3 = w.reshape(w.shape[0], self.width, self.n)
        x3 = x.reshape(x.shape[0], self.width, self.n)
        blocks[self.out] = (w3 * x3).sum(axis=2)
        return w, x

    def backward(self, g: Any, args: Any, blocks: List[Any], m: Any, scatter: Callable[..., None],
                 per_sample: bool) -> None:
        np = self.operands[0].np
        w, x = args
        # dot's partials are the other factor (ops.Factor): d/dw_i = x_i, d/dx_i = w_i
        scatter(self.operands[0], lambda: zero_wins(np, np.repeat(g, self.n, axis=1), x))
        scatter(self.operands[1], lambda: zero_wins(np, np.repeat(g, self.n, axis=1), w))


class MatMulStep(StepGroup):
    """``width`` dot nodes over the same ``n`` inputs with fixed weights: ``(rows, n) @ (n, width)``.

    Operand 0 is the shared inputs; then one weight operand per block the inputs
    come from, laid out ``(width, k)`` neuron by neuron -- for a layer of an MLP
    a view of its weight (or bias) tensor.  The product is taken block by block,
    so a bias's constant input 1 is never copied next to the batch and no
    weight matrix is gathered.
    """

    kind = "matmul"

    def arguments(self) -> List[frozenset]:
        return [self.operands[0].blocks, frozenset(b for g in self.operands[1:] for b in g.blocks)]

    def forward(self, blocks: List[Any]) -> Any:
        parts = self.operands[0].parts(blocks)
        weights = [op.build(blocks, full=True).reshape(self.width, -1) for op in self.operands[1:]]
        out = parts[0] @ weights[0].T
        for part, w in zip(parts[1:], weights[1:]):
            out = out + part @ w.T
        blocks[self.out] = out
        return parts, weights

    def backward(self, g: Any, args: Any, blocks: List[Any], m: Any, scatter: Callable[..., None],
                 per_sample: bool) -> None:
        np = self.operands[0].np
        parts, weights = args
        shared = self.operands[0]

        def input_grad() -> Any:
            out = np.empty((g.shape[0], self.n))
            for take, w in zip(shared.takes, weights):
                out[:, take] = zero_wins_matmul(np, g, w)
            return out

        scatter(shared, input_grad)
        for part, operand in zip(parts, self.operands[1:]):
            if part.shape[0] != g.shape[0]:  # one row for the whole batch (a bias's constant 1)
                if not per_sample:
                    total = g.sum(axis=0, keepdims=True).T
                    scatter(operand, lambda part=part, total=total: zero_wins(np, total, part).reshape(1, -1))
                    continue
                part = np.broadcast_to(part, (g.shape[0], part.shape[1]))
            if per_sample:
                scatter(operand, lambda part=part: zero_wins(np, g[:, :, None], part[:, None, :]).reshape(g.shape[0], -1))
            else:
                scatter(operand, lambda part=part: zero_wins_matmul(np, g.T, part).reshape(1, -1))
