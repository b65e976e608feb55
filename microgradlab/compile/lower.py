"""Lowering: each kind of tape step (a primitive applied to many nodes) as NumPy array operations."""

from __future__ import annotations

from typing import Any, Callable, List, NamedTuple

from .. import ops
from ..ops import Constant, Factor, Primitive
from .errors import CompileError
from .gather import _Gather


class _ArrayMath:
    """The math namespace ``m`` that derivative rules see on the compiled path.

    The one-argument functions are the op table's own array rules, so the
    compiled backward uses the same formulas as the compiled forward.
    """

    def __init__(self, np: Any) -> None:
        for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"):
            rule = ops.get(name).array_forward
            setattr(self, name, lambda x, rule=rule: rule(np, x))
        self._np = np

    def step(self, x: Any) -> Any:
        return (x > 0.0).astype(self._np.float64)  # step(0) = 0, as SCALAR_MATH.step

    def sign(self, x: Any) -> Any:
        return self._np.sign(x)

    def pow(self, x: Any, y: Any) -> Any:
        return self._np.power(x, y)  # 0 ** -1 is inf (warnings are off), as SCALAR_MATH.pow

    def xlogy(self, x: Any, y: Any) -> Any:
        np = self._np
        return np.where(x == 0.0, 0.0, x * np.log(y))  # 0 where x is 0, as SCALAR_MATH.xlogy



class GroupInfo(NamedTuple):
    """One step of a :class:`Tape`: ``kind`` is ``"map"`` (an elementwise op), ``"reduce"``
    (``sum``, ``logsumexp``), ``"dot"`` or ``"matmul"`` (fused dot nodes); ``width`` nodes,
    each over ``n`` terms for the reductions (``n`` is 1 for ``"map"``)."""

    kind: str
    op: str
    width: int
    n: int


class _Group:
    """``width`` instructions evaluated together; subclasses define forward and backward."""

    kind = "map"

    def __init__(self, prim: Primitive, out_block: int, width: int, operands: List[_Gather], n: int = 1) -> None:
        self.prim = prim
        self.out = out_block
        self.width = width
        self.operands = operands
        self.n = n
        self.blocks = frozenset(b for g in operands for b in g.blocks)

    def info(self) -> GroupInfo:
        return GroupInfo(self.kind, self.prim.name, self.width, self.n)


def _require_array_form(prim: Primitive) -> None:
    if prim.array_forward is None:
        raise CompileError(
            f"compile: op {prim.name!r} has no array form; define it with "
            f"array_forward=lambda np, *xs: ... (the NumPy version of its forward rule) to compile it")


class _Map(_Group):
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
            return g if rule.value == 1.0 else (-g if rule.value == -1.0 else g * rule.value)
        if isinstance(rule, Factor):
            return g * args[rule.index]
        return g * rule(m, *args, out)

    def backward(self, g: Any, args: List[Any], blocks: List[Any], m: Any, scatter: Callable[..., None],
                 per_sample: bool) -> None:
        for i, operand in enumerate(self.operands):
            scatter(operand, lambda i=i: self.partial(i, g, args, blocks[self.out], m))


class _Reduce(_Group):
    """``width`` nodes of an n-ary reduction (``sum``, ``logsumexp``) of ``n`` items each.

    The op table's protocol: ``array_forward(np, items)`` reduces over axis 0,
    one slab per input, and the partial ``d(m, x_i, out)`` is elementwise.
    """

    kind = "reduce"

    def __init__(self, np: Any, *args: Any, n: int) -> None:
        super().__init__(*args, n=n)
        self.np = np
        _require_array_form(self.prim)

    def forward(self, blocks: List[Any]) -> Any:
        flat = self.operands[0].build(blocks, full=True)
        items = self.np.moveaxis(flat.reshape(flat.shape[0], self.width, self.n), 2, 0)  # (n, rows, width)
        blocks[self.out] = self.prim.array_forward(self.np, items)
        return items

    def backward(self, g: Any, items: Any, blocks: List[Any], m: Any, scatter: Callable[..., None],
                 per_sample: bool) -> None:
        np = self.np
        rule = self.prim.partials[0]

        def contrib() -> Any:
            if isinstance(rule, Constant):  # sum: every item gets g (times the constant)
                d = np.repeat(g if rule.value == 1.0 else g * rule.value, self.n, axis=1)
                return d
            d = g * rule(m, items, blocks[self.out])  # (n, rows, width)
            return np.moveaxis(d, 0, 2).reshape(d.shape[1], -1)

        scatter(self.operands[0], contrib)


class _Dot(_Group):
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
        scatter(self.operands[0], lambda: np.repeat(g, self.n, axis=1) * x)
        scatter(self.operands[1], lambda: np.repeat(g, self.n, axis=1) * w)


class _MatMul(_Group):
    """``width`` dot nodes over the same ``n`` inputs with fixed weights: one ``(rows, n) @ (n, width)``."""

    kind = "matmul"

    def forward(self, blocks: List[Any]) -> Any:
        shared = self.operands[0].build(blocks, full=True)
        weights = self.operands[1].build(blocks, full=True).reshape(self.n, self.width)
        blocks[self.out] = shared @ weights
        return shared, weights

    def backward(self, g: Any, args: Any, blocks: List[Any], m: Any, scatter: Callable[..., None],
                 per_sample: bool) -> None:
        np = self.operands[0].np
        shared, weights = args
        scatter(self.operands[0], lambda: g @ weights.T)
        if shared.shape[0] != g.shape[0]:
            shared = np.broadcast_to(shared, (g.shape[0], self.n))
        if per_sample:
            scatter(self.operands[1], lambda: np.einsum("bn,bk->bnk", shared, g).reshape(g.shape[0], -1))
        else:
            scatter(self.operands[1], lambda: (shared.T @ g).reshape(1, -1))

