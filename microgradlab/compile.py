"""Compiled, batched execution: trace a function once, then run it on whole batches with NumPy.

The scalar :class:`~microgradlab.Value` engine is the reference semantics; this
module makes it fast for training, the way JAX does, by *tracing*:

1. :func:`compile` calls ``fn`` **once** on fresh leaf Values (one per input
   number) and records the graph it builds;
2. the graph becomes a flat **tape** of op-table primitives.  Every node is
   numbered; nodes at the same depth that apply the same primitive are
   **grouped**, so that one NumPy call evaluates all of them for the whole
   batch (all 32 ReLUs of a layer, for every sample, in one ``np.maximum``);
   ``dot`` nodes that share their inputs and whose weights are parameters --
   the neurons of a layer -- are **fused** into one matrix product;
3. the returned :class:`CompiledFunction` runs the tape forward on a batch,
   then backward with the *same* derivative rules the scalar engine uses
   (each primitive's ``partials``, given a NumPy math namespace instead of
   :data:`~microgradlab.ops.SCALAR_MATH`), and adds the batch's gradient to
   each parameter's ``.grad`` -- so optimizers and training loops work unchanged.

Backward is **pruned**: it only visits nodes between the loss and the
parameters, so no gradient is ever computed for input pixels.

>>> from microgradlab.nn import MLP
>>> from microgradlab.compile import compile
>>> model = MLP(3, [4, 1], seed=0)
>>> def loss(x, target):                  # one sample: fn sees Values
...     return (model(x) - target) ** 2
>>> step = compile(loss, ([0.0, 0.0, 0.0], 0.0), params=model.parameters())
>>> import numpy as np
>>> X, y = np.ones((5, 3)), np.zeros(5)
>>> losses = step(X, y)                   # forward + backward for 5 samples at once
>>> losses.shape
(5,)
>>> reference = sum((model(list(x)) - t) ** 2 for x, t in zip(X, y)) / 5
>>> bool(abs(losses.mean() - reference.data) < 1e-12)
True

The tracing rule (JAX's)
------------------------
A compiled function must build **the same graph for every input**: the tape is
recorded once, from the example inputs.  So it may not branch on the data of
a Value.  ``if v > 0``, ``bool(v)`` and other comparisons of a Value raise
:class:`~microgradlab.TracingError` while tracing.  What cannot be intercepted
-- reading ``v.data`` or ``float(v)`` and computing with the number -- would be
baked into the tape as a constant; :func:`compile` therefore traces a second
time at nearby inputs and raises :class:`~microgradlab.TracingError` when any
constant or any part of the graph changed (``check=True``).  Write data-dependent
choices with ops instead (``relu``, ``abs``, or a mask passed as an input).

Python control flow that does not look at data -- loops over layers, list
comprehensions, ``if training:`` flags -- is fine: it runs once, at tracing.

Leaves other than the inputs: those in ``params`` are read afresh at every
call (an optimizer changes them between calls); any other leaf Value the
function closes over is a **constant** with its value at tracing time.

Every primitive of the op table carries its NumPy form (``array_forward``)
next to its scalar rule; a primitive made with :func:`microgradlab.ops.define`
without one cannot be compiled, and :func:`compile` says so.  At compile time
each primitive's array rules are also checked against its scalar rules on the
traced values, so a NumPy rule that disagrees is reported, not used.

NumPy is an optional dependency (``pip install microgradlab[fast]``),
imported only when a function is compiled.
"""

from __future__ import annotations

import math
import numbers
import operator
import random
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from . import ops
from .engine import TracingError, Value, enable_grad, tracing, vsum, walk
from .ops import SCALAR_MATH, Constant, Factor, Primitive

__all__ = [
    "compile",
    "compile_model",
    "CompiledFunction",
    "CompiledModel",
    "CompileError",
    "Gradients",
    "Tape",
    "GroupInfo",
    "TracingError",
]

#: Label sets up to this size are compiled as a mixture of one traced loss per
#: label (see :func:`compile_model`); larger ones are passed to the loss as Values.
MAX_LABELS = 64

REDUCTIONS = ("mean", "sum", "none")

# How far the verification trace moves each input, relative to max(1, |x|).
_CHECK_STEP = 1e-3
# An array rule may differ from the scalar rule by rounding only.
_RULE_RTOL = 1e-9


class CompileError(TypeError):
    """A function or primitive that cannot be compiled (the message says what is missing)."""


def _as_array(np: Any, X: Any) -> Any:
    """Rows of numbers (or of Values, read through .data) as one float64 array."""
    if not isinstance(X, np.ndarray):
        X = [[v.data if isinstance(v, Value) else v for v in row] for row in X]
    return np.asarray(X, dtype=np.float64)


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError("microgradlab.compile needs NumPy: pip install microgradlab[fast]") from None
    return numpy


_ARRAY_MATH: List[Any] = []


def _ArrayMath(np: Any) -> ops.MathNamespace:
    """The math namespace ``m`` that derivative rules see on the compiled path: the op table's array rules."""
    if _ARRAY_MATH:
        return _ARRAY_MATH[0]

    def lift(prim: Primitive) -> Any:
        rule = prim.array_forward
        if rule is None:
            def missing(*args: Any) -> Any:
                raise CompileError(f"compile: op {prim.name!r} has no array_forward rule")
            return missing
        return lambda *args: rule(np, *args)

    _ARRAY_MATH.append(ops.MathNamespace(lift))
    return _ARRAY_MATH[0]


# --- shapes: arguments and results are numbers or rectangular nested lists --------------------


def _shape(x: Any, where: str) -> Tuple[int, ...]:
    if isinstance(x, (list, tuple)):
        if not x:
            raise ValueError(f"{where}: empty list")
        shapes = {_shape(item, where) for item in x}
        if len(shapes) != 1:
            raise ValueError(f"{where}: ragged nested list (items of shapes {sorted(shapes)})")
        return (len(x),) + shapes.pop()
    return ()


def _flatten(x: Any) -> List[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _flatten(item)]
    return [x]


def _nest(flat: Sequence[Any], shape: Tuple[int, ...]) -> Any:
    if not shape:
        return flat[0]
    size = len(flat) // shape[0]
    return [_nest(flat[i * size:(i + 1) * size], shape[1:]) for i in range(shape[0])]


def _number(x: Any, where: str) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a number, got {x!r} of type {type(x).__name__}")
    return float(x)


# --- tracing: the graph as a program of scalar instructions ------------------------------------
#
# Every value of the traced graph is a register (an int).  Leaves have a fixed
# location (block, column): the inputs of argument a are block a, the
# parameters are block THETA, constants block CONSTS.  Op nodes get theirs
# when grouped.


class _Program:
    """The traced graph: registers, instructions in topological order, outputs."""

    def __init__(self, arg_widths: Sequence[int], n_params: int) -> None:
        self.n_args = len(arg_widths)
        self.theta = self.n_args  # block of the parameters
        self.consts_block = self.n_args + 1
        self.loc: List[Optional[Tuple[int, int]]] = []
        self.level: List[int] = []
        self.bdep: List[bool] = []  # depends on the batch (on some input)
        self.value: List[float] = []  # at tracing
        self.instrs: List[Tuple[Primitive, Tuple[int, ...], int]] = []
        self.consts: List[float] = []
        self._const_reg: Dict[str, int] = {}
        self._cse: Dict[Tuple[str, Tuple[int, ...]], int] = {}
        self.inputs = [[self._leaf((a, i), True, 0.0) for i in range(w)] for a, w in enumerate(arg_widths)]
        self.params = [self._leaf((self.theta, j), False, 0.0) for j in range(n_params)]
        self.outputs: List[int] = []

    def _leaf(self, loc: Optional[Tuple[int, int]], bdep: bool, value: float, level: int = 0) -> int:
        self.loc.append(loc)
        self.level.append(level)
        self.bdep.append(bdep)
        self.value.append(value)
        return len(self.loc) - 1

    def const(self, c: float) -> int:
        key = c.hex()  # tells -0.0 from 0.0
        reg = self._const_reg.get(key)
        if reg is None:
            reg = self._const_reg[key] = self._leaf((self.consts_block, len(self.consts)), False, c)
            self.consts.append(c)
        return reg

    def is_const(self, reg: int) -> bool:
        loc = self.loc[reg]
        return loc is not None and loc[0] == self.consts_block

    def apply(self, prim: Primitive, args: Tuple[int, ...], value: float) -> int:
        """The register of ``prim(args)``: a folded constant, an earlier identical node, or a new one."""
        if all(map(self.is_const, args)):
            return self.const(value)  # the scalar engine's own result
        same = self._identity(prim.name, args)
        if same is not None:
            return same
        key = (prim.name, args)
        reg = self._cse.get(key)
        if reg is None:
            reg = self._cse[key] = self._leaf(None, any(self.bdep[a] for a in args), value,
                                              1 + max(self.level[a] for a in args))
            self.instrs.append((prim, args, reg))
        return reg

    def _identity(self, name: str, args: Tuple[int, ...]) -> Optional[int]:
        """The argument itself for ``x * 1``, ``1 * x``, ``x / 1`` and a one-item sum (all exact)."""
        if name == "sum" and len(args) == 1:
            return args[0]
        if name in ("mul", "div") and self.is_const(args[1]) and self.value[args[1]] == 1.0:
            return args[0]
        if name == "mul" and self.is_const(args[0]) and self.value[args[0]] == 1.0:
            return args[1]
        return None

    def signature(self) -> Tuple[Any, ...]:
        return tuple((p.name, a) for p, a, _ in self.instrs), tuple(c.hex() for c in self.consts), tuple(self.outputs)


def _record(program: _Program, roots: Sequence[Any], input_leaves: Sequence[Value],
            params: Sequence[Value]) -> List[Value]:
    """Fill ``program`` from the graph under ``roots``; return the other (constant) leaves met."""
    reg_of: Dict[int, int] = {}
    for leaf, reg in zip(input_leaves, (r for regs in program.inputs for r in regs)):
        reg_of[id(leaf)] = reg
        program.value[reg] = leaf.data
    for p, reg in zip(params, program.params):
        reg_of[id(p)] = reg
        program.value[reg] = p.data
    closed_over: List[Value] = []
    for node in walk(roots):  # each node after its inputs
        key = id(node)
        if key in reg_of:
            continue
        op = node.op
        if op is None:
            reg_of[key] = program.const(node.data)
            closed_over.append(node)
            continue
        args = tuple(reg_of[id(v)] if isinstance(v, Value) else program.const(v) for v in node.inputs)
        reg_of[key] = program.apply(op, args, node.data)
    program.outputs = [reg_of[id(r)] if isinstance(r, Value) else program.const(r) for r in roots]
    return closed_over


class _Traced(NamedTuple):
    program: _Program
    leaves: List[Value]  # every leaf of the graph (inputs, parameters, constants)


def _trace(fn: Callable[..., Any], args_flat: Sequence[Sequence[float]], shapes: Sequence[Tuple[int, ...]],
           params: Sequence[Value], has_aux: bool) -> Tuple[_Traced, List[Tuple[int, ...]]]:
    """Call ``fn`` once on fresh leaves and record its graph; also return the output shapes."""
    leaves = [[Value(v) for v in flat] for flat in args_flat]
    args = [_nest(vals, shape) for vals, shape in zip(leaves, shapes)]
    with enable_grad(), tracing():
        out = fn(*args)
    parts = list(out) if has_aux else [out]
    if has_aux and (not isinstance(out, tuple) or len(out) != 2):
        raise TypeError(f"compile: with has_aux=True the function must return (loss, aux), got {out!r}")
    out_shapes = [_shape(part, "compile: the function's result") for part in parts]
    roots = [leaf for part in parts for leaf in _flatten(part)]
    for r in roots:
        if not isinstance(r, Value):
            _number(r, "compile: the function's result")
    if has_aux and out_shapes[0] != ():
        raise TypeError(f"compile: the loss must be one number per sample, got shape {out_shapes[0]}")
    program = _Program([len(flat) for flat in args_flat], len(params))
    flat_inputs = [leaf for group in leaves for leaf in group]
    closed_over = _record(program, [r if isinstance(r, Value) else float(r) for r in roots], flat_inputs, params)
    return _Traced(program, flat_inputs + list(params) + closed_over), out_shapes


def _nearby(args_flat: Sequence[Sequence[float]]) -> List[List[float]]:
    """Inputs moved a little (seeded), for the verification trace."""
    rng = random.Random(0)
    return [[x + _CHECK_STEP * max(1.0, abs(x)) * rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 1.0) for x in flat]
            for flat in args_flat]


def _explain_difference(first: _Program, second: _Program) -> str:
    for a, b in zip(first.consts, second.consts):
        if a.hex() != b.hex():
            return (f"the constant {a!r} became {b!r} -- a number computed from a Value's .data or float() "
                    "(e.g. max(v.data for v in logits))")
    for (pa, aa, _), (pb, ab, _) in zip(first.instrs, second.instrs):
        if pa.name != pb.name or aa != ab:
            return f"the graph changed ({pa.name} became {pb.name}) -- Python control flow on a Value's data"
    return f"the graph changed ({len(first.instrs)} ops, then {len(second.instrs)}) -- Python control flow on data"


# --- the tape: groups of instructions, evaluated as array operations ---------------------------


class _Gather:
    """How one operand of a group is read: a (batch, width) array assembled from block columns.

    Each segment takes some of the operand's positions from one block.  The
    transpose, ``scatter``, adds a gradient for the operand into the blocks'
    gradients; columns used several times get the sum of their gradients.
    """

    IDENT, SAME, SLICE, UNIQUE, DUP = range(5)

    def __init__(self, np: Any, locs: Sequence[Tuple[int, int]], widths: Sequence[int],
                 bdep: Sequence[bool]) -> None:
        self.np = np
        self.width = len(locs)
        by_block: Dict[int, Tuple[List[int], List[int]]] = {}
        for pos, (block, col) in enumerate(locs):
            positions, cols = by_block.setdefault(block, ([], []))
            positions.append(pos)
            cols.append(col)
        self.bdep = any(bdep[b] for b in by_block)
        self.blocks = frozenset(by_block)
        self.single = len(by_block) == 1
        self.segments = []
        for block, (positions, cols) in by_block.items():
            c = np.asarray(cols, dtype=np.intp)
            extra: Any = None
            if self.single and cols == list(range(widths[block])):
                mode = self.IDENT
            elif len(set(cols)) == 1:
                mode, extra = self.SAME, cols[0]
            elif cols == list(range(cols[0], cols[0] + len(cols))):
                mode, extra = self.SLICE, slice(cols[0], cols[0] + len(cols))
            elif len(set(cols)) == len(cols):
                mode = self.UNIQUE
            else:
                mode = self.DUP
                order = np.argsort(c, kind="stable")
                ordered = c[order]
                starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
                extra = (order, starts, ordered[starts])
            self.segments.append((block, np.asarray(positions, dtype=np.intp), c, mode, extra))

    def build(self, blocks: List[Any], full: bool = False) -> Any:
        """The operand: shape (rows, width), or (rows, 1) for one column broadcast unless ``full``."""
        if self.single:
            block, _, cols, mode, extra = self.segments[0]
            src = blocks[block]
            if mode == self.IDENT:
                return src
            if mode == self.SAME:
                col = src[:, extra:extra + 1]
                return self.np.broadcast_to(col, (col.shape[0], self.width)) if full else col
            if mode == self.SLICE:
                return src[:, extra]
            return src[:, cols]
        rows = max(blocks[block].shape[0] for block in self.blocks)
        out = self.np.empty((rows, self.width))
        for block, positions, cols, mode, extra in self.segments:
            src = blocks[block]
            out[:, positions] = src[:, extra:extra + 1] if mode == self.SAME else src[:, cols]
        return out

    def scatter(self, contrib: Any, grads: List[Any], shapes: List[Tuple[int, int]], requires: Sequence[bool],
                reduce_batch: Sequence[bool]) -> None:
        """Add ``contrib`` (rows, width or 1) into the gradients of the blocks that need one."""
        np = self.np
        if contrib.shape[1] != self.width:
            contrib = np.broadcast_to(contrib, (contrib.shape[0], self.width))
        for block, positions, cols, mode, extra in self.segments:
            if not requires[block]:
                continue
            part = contrib if self.single else contrib[:, positions]
            if reduce_batch[block] and part.shape[0] > 1:
                part = part.sum(axis=0, keepdims=True)
            acc = grads[block]
            if acc is None:
                acc = grads[block] = np.zeros(shapes[block])
            if mode == self.IDENT:
                acc += part
            elif mode == self.SAME:
                acc[:, extra] += part.sum(axis=1)
            elif mode == self.SLICE:
                acc[:, extra] += part
            elif mode == self.UNIQUE:
                acc[:, cols] += part
            else:
                order, starts, unique = extra
                acc[:, unique] += np.add.reduceat(part[:, order], starts, axis=1)


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


class Tape:
    """The compiled program: groups of primitives in evaluation order.

    Attributes:
        groups: One :class:`GroupInfo` per step.
        n_nodes: Op nodes after merging identical ones and folding constants.
        n_params: Parameters (their gradients are summed over the batch).
    """

    def __init__(self, groups: List[_Group], n_nodes: int, n_params: int) -> None:
        self._groups = groups
        self.groups = [g.info() for g in groups]
        self.n_nodes = n_nodes
        self.n_params = n_params

    def __len__(self) -> int:
        return len(self.groups)

    def describe(self) -> str:
        """One line per step, e.g. ``matmul  dot   32 x 784``."""
        lines = [f"{len(self.groups)} steps for {self.n_nodes} nodes, {self.n_params} parameters"]
        for g in self.groups:
            lines.append(f"{g.kind:7} {g.op:10} {g.width:5}" + (f" x {g.n}" if g.kind != "map" else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Tape({len(self.groups)} steps, {self.n_nodes} nodes, {self.n_params} parameters)"


def _build_tape(np: Any, program: _Program, fuse: bool) -> Tuple[Tape, List[int], List[bool]]:
    """Group the program's instructions level by level; return the tape, block widths and batch flags."""
    widths = [len(regs) for regs in program.inputs] + [len(program.params), len(program.consts)]
    bdep = [True] * program.n_args + [False, False]
    by_level: Dict[int, List[Tuple[Primitive, Tuple[int, ...], int]]] = {}
    for instr in program.instrs:
        by_level.setdefault(program.level[instr[2]], []).append(instr)
    groups: List[_Group] = []
    loc, is_bdep = program.loc, program.bdep

    def gather(regs: Sequence[int]) -> _Gather:
        return _Gather(np, [loc[r] for r in regs], widths, bdep)  # type: ignore[misc]

    for level in sorted(by_level):
        buckets: Dict[Any, List[Tuple[Primitive, Tuple[int, ...], int]]] = {}
        for instr in by_level[level]:
            prim, args, _ = instr
            if prim.arity:
                key: Any = ("map", prim.name)
            elif prim.name == "dot":
                n = len(args) // 2
                ws, xs = args[:n], args[n:]
                if fuse and not any(is_bdep[w] for w in ws):
                    key = ("matmul", xs)  # shared inputs, fixed weights
                elif fuse and not any(is_bdep[x] for x in xs):
                    key = ("matmul", ws)
                else:
                    key = ("dot", n)
            else:
                key = ("reduce", prim.name, len(args))
            # batch-independent nodes (parameters only) get blocks of one row: a matmul may use them as weights
            buckets.setdefault((is_bdep[instr[2]],) + key, []).append(instr)
        for (_, *key), members in buckets.items():
            block = len(widths)
            width = len(members)
            for j, (_, _, reg) in enumerate(members):
                loc[reg] = (block, j)
            prim = members[0][0]
            group: _Group
            if key[0] == "map":
                operands = [gather([args[i] for _, args, _ in members]) for i in range(prim.arity)]
                group = _Map(np, prim, block, width, operands)
            elif key[0] == "reduce":
                group = _Reduce(np, prim, block, width, [gather([a for _, args, _ in members for a in args])],
                                n=key[2])
            elif key[0] == "dot":
                n = key[1]
                group = _Dot(prim, block, width, [gather([a for _, args, _ in members for a in args[:n]]),
                                                  gather([a for _, args, _ in members for a in args[n:]])], n=n)
            else:
                shared = key[1]
                n = len(shared)
                # the other factor of each member, laid out as an (n, width) matrix
                others = [args[n:] if args[:n] == shared else args[:n] for _, args, _ in members]
                weights = [others[j][i] for i in range(n) for j in range(width)]
                group = _MatMul(prim, block, width, [gather(shared), gather(weights)], n=n)
            widths.append(width)
            bdep.append(any(g.bdep for g in group.operands))
            groups.append(group)
    return Tape(groups, len(program.instrs), len(program.params)), widths, bdep


def _check_rules(np: Any, m: Any, groups: Sequence[_Group], program: _Program,
                 members_of: Dict[int, List[Tuple[Tuple[int, ...], int]]]) -> None:
    """Each primitive's array rules against its scalar rules, on the traced values of its first group.

    The values are laid out as at run time, with two identical rows, so that a
    rule that only works on one number (``math.cos`` instead of ``m.cos``) fails here.
    """
    seen = set()
    for group in groups:
        prim = group.prim
        if not isinstance(group, (_Map, _Reduce)) or prim.name in seen:
            continue
        seen.add(prim.name)
        members = members_of[group.out]
        value = program.value
        expected = np.asarray([[value[out] for _, out in members]] * 2)
        if isinstance(group, _Map):
            arrays = [np.asarray([[value[args[i]] for args, _ in members]] * 2) for i in range(prim.arity)]
            # (index into a partial's result, scalar inputs, scalar output) for each node
            points = [((slice(None), j), tuple(float(a[0, j]) for a in arrays), expected[0, j])
                      for j in range(len(members))]
        else:
            items = np.asarray([[[value[args[i]] for args, _ in members]] * 2 for i in range(group.n)])
            arrays = [items]
            points = [((i, slice(None), j), (float(items[i, 0, j]),), expected[0, j])
                      for i in range(group.n) for j in range(len(members))]
        try:
            with np.errstate(all="ignore"):
                got = np.asarray(prim.array_forward(np, *arrays), dtype=float)
        except Exception as exc:
            raise CompileError(f"compile: the array_forward of op {prim.name!r} fails on NumPy arrays: "
                               f"{type(exc).__name__}: {exc}") from exc
        _agree(np, got, expected, f"the array_forward of op {prim.name!r}")
        for i, rule in enumerate(prim.partials):
            if isinstance(rule, (Constant, Factor)):
                continue
            what = f"derivative rule {i} of op {prim.name!r}"
            try:
                with np.errstate(all="ignore"):
                    got = np.asarray(rule(m, *arrays, expected), dtype=float)
                    got = np.broadcast_to(got, np.broadcast_shapes(got.shape, arrays[0].shape, expected.shape))
            except Exception as exc:
                raise CompileError(
                    f"compile: {what} fails on NumPy arrays ({type(exc).__name__}: {exc}); write it with the "
                    "functions of its m argument (m.exp, m.log, m.step, ...) and arithmetic, so it works on "
                    "floats, Values and arrays") from exc
            want = got.copy()
            for index, xs, out in points:
                try:
                    want[index] = rule(SCALAR_MATH, *xs, float(out))
                except (ArithmeticError, ValueError):
                    pass  # undefined here for the scalar rule too
            _agree(np, got, want, what)


def _agree(np: Any, got: Any, want: Any, what: str) -> None:
    if got.shape != want.shape:
        raise CompileError(f"compile: {what} returned shape {got.shape}, expected {want.shape}")
    close = np.isclose(got, want, rtol=_RULE_RTOL, atol=1e-300, equal_nan=True)
    if not close.all():
        j = int(np.flatnonzero(~close.ravel())[0])
        raise CompileError(f"compile: {what} disagrees with the scalar rule: "
                           f"{float(got.ravel()[j])!r} instead of {float(want.ravel()[j])!r}")


# --- the compiled function ---------------------------------------------------------------------


class Gradients(NamedTuple):
    """What :meth:`CompiledFunction.value_and_grad` returns.

    Attributes:
        outputs: The function's result on the batch, as :meth:`CompiledFunction.forward` gives it.
        params: ``d loss / d params``: shape ``(n_params,)``, or ``(batch, n_params)`` per sample
            with ``reduction="none"``.
        inputs: One array per argument, shaped like it: the gradient with respect to each
            sample's inputs (of the reduced loss), or None unless requested.
    """

    outputs: Any
    params: Any
    inputs: Optional[Tuple[Any, ...]]


class CompiledFunction:
    """A traced function that runs forward and backward on whole batches.

    Made by :func:`compile`; see there.  Attributes: ``params`` (the Values
    whose gradients it computes, in order), ``tape`` (a :class:`Tape` to
    inspect), ``has_aux``.
    """

    def __init__(self, np: Any, fn: Callable[..., Any], traced: _Traced, shapes: List[Tuple[int, ...]],
                 out_shapes: List[Tuple[int, ...]], params: List[Value], has_aux: bool, fuse: bool) -> None:
        self._np = np
        self._math = _ArrayMath(np)
        self._fn = fn
        self._shapes = shapes
        self._out_shapes = out_shapes
        self.params = params
        self.has_aux = has_aux
        program = traced.program
        self.tape, self._widths, self._bdep = _build_tape(np, program, fuse)
        self._groups = self.tape._groups
        members_of: Dict[int, List[Tuple[Tuple[int, ...], int]]] = {}
        for _, args, reg in program.instrs:
            members_of.setdefault(program.loc[reg][0], []).append((args, reg))  # type: ignore[index]
        _check_rules(np, self._math, self._groups, program, members_of)
        self._theta = program.theta
        self._consts = np.asarray([program.consts], dtype=float).reshape(1, -1)
        self._outputs = _Gather(np, [program.loc[r] for r in program.outputs],  # type: ignore[misc]
                                self._widths, self._bdep)
        self._loss = _Gather(np, [program.loc[program.outputs[0]]], self._widths, self._bdep)  # type: ignore[list-item]
        self._scalar_loss = has_aux or out_shapes[0] == ()
        self._get_data = operator.attrgetter("data")
        self._plans: Dict[bool, List[bool]] = {}

    # --- running -----------------------------------------------------------------------

    def _blocks(self, inputs: Sequence[Any]) -> Tuple[List[Any], int]:
        np = self._np
        if len(inputs) != len(self._shapes):
            raise TypeError(f"compiled function: expected {len(self._shapes)} batched argument(s), got {len(inputs)}")
        blocks: List[Any] = []
        batch = None
        for a, (x, shape) in enumerate(zip(inputs, self._shapes)):
            arr = np.asarray(x, dtype=np.float64)
            if arr.ndim != len(shape) + 1 or arr.shape[1:] != shape:
                raise ValueError(f"compiled function: argument {a} must have shape (batch, {', '.join(map(str, shape))}"
                                 f"{',' if len(shape) == 1 else ''}) for examples of shape {shape}, got {arr.shape}")
            if arr.shape[0] == 0:
                raise ValueError("compiled function: empty batch (0 samples)")
            if batch is None:
                batch = arr.shape[0]
            elif arr.shape[0] != batch:
                raise ValueError(f"compiled function: argument {a} has {arr.shape[0]} samples, argument 0 has {batch}")
            blocks.append(arr.reshape(arr.shape[0], -1))
        theta = np.fromiter(map(self._get_data, self.params), np.float64, len(self.params))
        blocks += [theta.reshape(1, -1), self._consts]
        blocks += [None] * len(self._groups)
        return blocks, batch

    def _forward(self, blocks: List[Any]) -> List[Any]:
        return [group.forward(blocks) for group in self._groups]

    def _results(self, blocks: List[Any], batch: int) -> Any:
        flat = self._np.broadcast_to(self._outputs.build(blocks, full=True), (batch, self._outputs.width))
        results, start = [], 0
        for shape in self._out_shapes:
            size = math.prod(shape)
            results.append(flat[:, start:start + size].reshape((batch,) + shape).copy())
            start += size
        return tuple(results) if self.has_aux else results[0]

    def _requires(self, wrt_inputs: bool) -> List[bool]:
        """Which blocks need a gradient: the parameters (and inputs), and what depends on them."""
        plan = self._plans.get(wrt_inputs)
        if plan is None:
            plan = [wrt_inputs] * self._theta + [bool(self.params), False]
            for group in self._groups:
                plan.append(any(plan[b] for b in group.blocks))
            self._plans[wrt_inputs] = plan
        return plan

    def _backward(self, blocks: List[Any], saved: List[Any], batch: int, reduction: str,
                  wrt_inputs: bool) -> List[Any]:
        np = self._np
        requires = self._requires(wrt_inputs)
        per_sample = reduction == "none"
        reduce_batch = [not (b or per_sample) for b in self._bdep]
        shapes = [(1 if reduce else batch, w) for reduce, w in zip(reduce_batch, self._widths)]
        grads: List[Any] = [None] * len(blocks)

        def scatter(operand: _Gather, contrib: Callable[[], Any]) -> None:
            if any(requires[b] for b in operand.blocks):
                operand.scatter(contrib(), grads, shapes, requires, reduce_batch)

        seed = np.full((batch, 1), 1.0 / batch if reduction == "mean" else 1.0)
        scatter(self._loss, lambda: seed)
        m = self._math
        for group, args in zip(reversed(self._groups), reversed(saved)):
            g = grads[group.out]
            if g is not None and requires[group.out]:
                group.backward(g, args, blocks, m, scatter, per_sample)
        return grads

    def _run(self, inputs: Sequence[Any], reduction: str, wrt_inputs: bool, backward: bool) -> Tuple[Any, Any, Any]:
        np = self._np
        if reduction not in REDUCTIONS:
            raise ValueError(f"compiled function: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        if backward and not self._scalar_loss:
            raise TypeError("compiled function: gradients need a function that returns one number per sample "
                            "(or (loss, aux) with has_aux=True); use forward() for other results")
        blocks, batch = self._blocks(inputs)
        with np.errstate(all="ignore"):
            saved = self._forward(blocks)
            results = self._results(blocks, batch)
            loss = results[0] if self.has_aux else results
            if not backward:
                if not np.isfinite(results if not self.has_aux else results[0]).all():
                    self._explain(inputs, batch, loss, backward=False)
                return results, None, None
            grads = self._backward(blocks, saved, batch, reduction, wrt_inputs)
        theta = grads[self._theta]
        n = len(self.params)
        if theta is None:
            theta = np.zeros((batch, n) if reduction == "none" else (1, n))
        params_grad = theta if reduction == "none" else theta.reshape(n)
        input_grads = None
        if wrt_inputs:
            input_grads = tuple(np.zeros((batch,) + shape) if grads[a] is None else
                                np.broadcast_to(grads[a], (batch, grads[a].shape[1])).reshape((batch,) + shape)
                                for a, shape in enumerate(self._shapes))
        if not (np.isfinite(loss).all() and np.isfinite(params_grad).all()):
            self._explain(inputs, batch, loss, backward=True)
        return results, params_grad, input_grads

    def _explain(self, inputs: Sequence[Any], batch: int, loss: Any, backward: bool) -> None:
        """Replay the samples on the scalar engine: its error (if any) is the compiled call's error.

        NumPy answers inf or nan where the scalar rules raise (log(0), x / 0);
        the scalar engine says which op failed and why.  If it raises nothing,
        the non-finite numbers are what the scalar engine computes too.
        """
        np = self._np
        arrays = [np.asarray(x, dtype=np.float64) for x in inputs]
        bad = [int(b) for b in np.flatnonzero(~np.isfinite(np.asarray(loss).reshape(batch, -1)).all(axis=1))]
        order = bad + sorted(set(range(batch)) - set(bad))
        for b in order:
            leaves = [[Value(float(v)) for v in a[b].ravel()] for a in arrays]
            args = [_nest(vals, shape) for vals, shape in zip(leaves, self._shapes)]
            saved = [(p, p.grad) for p in self.params]
            try:
                with enable_grad():
                    out = self._fn(*args)
                    root = out[0] if self.has_aux else out
                    if backward and isinstance(root, Value):
                        root.backward()
            except (ArithmeticError, ValueError) as exc:
                raise type(exc)(f"compiled function, sample {b} of the batch: {exc}") from exc
            finally:
                for p, g in saved:
                    p.grad = g

    # --- public ------------------------------------------------------------------------

    def gradient_plan(self, wrt_inputs: bool = False) -> List[Tuple[GroupInfo, Tuple[bool, ...]]]:
        """For each step of the tape, which of its operands backward differentiates.

        Backward visits a step only if its result leads to the loss and some
        operand depends on a parameter (or on an input, with ``wrt_inputs``);
        an operand made only of inputs and constants -- the pixels fed to the
        first layer -- gets no gradient.
        """
        requires = self._requires(wrt_inputs)
        return [(group.info(), tuple(requires[group.out] and any(requires[b] for b in operand.blocks)
                                     for operand in group.operands)) for group in self._groups]

    def forward(self, *inputs: Any) -> Any:
        """The function's result for a batch: an array per result, with the batch first.

        A number per sample gives shape ``(batch,)``; a list of ``k`` gives
        ``(batch, k)``; with ``has_aux`` a pair ``(loss, aux)``.
        """
        return self._run(inputs, "none", False, backward=False)[0]

    def value_and_grad(self, *inputs: Any, reduction: str = "mean", wrt_inputs: bool = False) -> Gradients:
        """Forward and backward on a batch, without touching any ``.grad``.

        Args:
            inputs: One array per argument of the traced function, with the batch first.
            reduction: ``"mean"`` or ``"sum"`` of the per-sample losses is
                differentiated; ``"none"`` gives per-sample gradients.
            wrt_inputs: Also return gradients with respect to the inputs.
        """
        results, params_grad, input_grads = self._run(inputs, reduction, wrt_inputs, backward=True)
        return Gradients(results, params_grad, input_grads)

    def __call__(self, *inputs: Any, reduction: str = "mean") -> Any:
        """Forward and backward on a batch; the gradient of the batch's mean (or sum) loss
        is **added** to each parameter's ``.grad``, as ``backward()`` does.

        Returns:
            The per-sample losses, shape ``(batch,)`` (with ``has_aux``: ``(losses, aux)``).
        """
        if reduction == "none":
            raise ValueError("compiled function: reduction='none' gives per-sample gradients, which do not fit "
                             "in .grad; use value_and_grad(..., reduction='none')")
        results, params_grad, _ = self._run(inputs, reduction, False, backward=True)
        _add_to_grads(self.params, params_grad.tolist())
        return results

    def __repr__(self) -> str:
        return f"CompiledFunction({getattr(self._fn, '__name__', 'fn')}, {self.tape!r})"


def _add_to_grads(params: Sequence[Value], grads: List[float]) -> None:
    for p, g in zip(params, grads):
        p.grad += g


def compile(fn: Callable[..., Any], example_inputs: Sequence[Any], params: Optional[Iterable[Value]] = None, *,
            has_aux: bool = False, fuse: bool = True, check: bool = True) -> CompiledFunction:
    """Trace ``fn`` once and return a :class:`CompiledFunction` that runs it on batches.

    Args:
        fn: A function of Values for **one sample**: each argument is a number
            or a (nested) list of numbers; it returns the loss (one Value),
            any number or (nested) list of them (forward only), or
            ``(loss, aux)`` with ``has_aux=True``.
        example_inputs: The arguments for one sample, as a tuple (``(x0,)``
            for one argument): they fix the shapes, and ``fn`` is traced at them.
        params: The leaf Values to differentiate (read afresh at every call);
            default: every :class:`~microgradlab.Parameter` in the graph.
            Other leaves ``fn`` closes over are constants.
        has_aux: ``fn`` returns ``(loss, aux)``; gradients are of the loss.
        fuse: Fuse ``dot`` nodes that share their inputs into matrix products.
        check: Trace again at nearby inputs and raise
            :class:`~microgradlab.TracingError` if the graph or a constant changed.

    Returns:
        The compiled function.  ``f(*batch)`` runs forward and backward, adds the
        gradient of the mean loss to each parameter's ``.grad`` and returns the
        per-sample losses; ``f.forward(*batch)`` and ``f.value_and_grad(*batch)`` also exist.

    Raises:
        ImportError: without NumPy.
        TracingError: if ``fn`` branches on data (see the module docs).
        CompileError: for a primitive without an array form, or whose array rules
            disagree with its scalar rules.

    >>> from microgradlab import Parameter
    >>> w = Parameter(2.0)
    >>> f = compile(lambda x: (w * x - 1.0) ** 2, (0.0,))
    >>> f([1.0, 2.0]).tolist()          # (2·1 - 1)², (2·2 - 1)²
    [1.0, 9.0]
    >>> w.grad                          # mean of 2(wx - 1)x: (2 + 12) / 2
    7.0
    """
    np = _numpy()
    if not isinstance(example_inputs, (tuple, list)):
        raise TypeError(f"compile: example_inputs must be a tuple of the arguments of fn, got {example_inputs!r}")
    shapes = [_shape(x, f"compile: example input {a}") for a, x in enumerate(example_inputs)]
    if not shapes:
        raise TypeError("compile: fn needs at least one argument (the batched inputs)")
    args_flat = [[_number(v, f"compile: example input {a}") for v in _flatten(x)]
                 for a, x in enumerate(example_inputs)]
    chosen = _parameters(fn, args_flat, shapes, has_aux) if params is None else list(params)
    for i, p in enumerate(chosen):
        if not isinstance(p, Value) or not p.is_leaf:
            raise TypeError(f"compile: params[{i}] must be a leaf Value (a Parameter), got {p!r}")
    if len({id(p) for p in chosen}) != len(chosen):
        raise ValueError("compile: a parameter appears twice in params")
    traced, out_shapes = _trace(fn, args_flat, shapes, chosen, has_aux)
    if check:
        try:
            again, _ = _trace(fn, _nearby(args_flat), shapes, chosen, has_aux)
        except (ArithmeticError, ValueError):
            again = None  # out of fn's domain nearby: nothing to compare
        if again is not None and again.program.signature() != traced.program.signature():
            raise TracingError("compile: the traced graph depends on the input data: "
                               + _explain_difference(traced.program, again.program)
                               + "; write data-dependent choices with ops (relu, abs, a mask input)")
    return CompiledFunction(np, fn, traced, shapes, out_shapes, chosen, has_aux, fuse)


def _parameters(fn: Callable[..., Any], args_flat: Sequence[Sequence[float]], shapes: Sequence[Tuple[int, ...]],
                has_aux: bool) -> List[Value]:
    """Every Parameter leaf of fn's graph at the example, in the order first met."""
    traced, _ = _trace(fn, args_flat, shapes, [], has_aux)
    return [leaf for leaf in traced.leaves if leaf.is_parameter]


# --- models: a network and a loss, compiled for training -------------------------------------


def _label_key(label: Any) -> Any:
    """A hashable stand-in for a label (lists become tuples), or None if there is none."""
    if isinstance(label, (list, tuple)):
        keys = tuple(_label_key(item) for item in label)
        return None if None in keys else keys
    try:
        hash(label)
    except TypeError:
        return None
    return label


def _loss_value(loss: Callable[[Any, Any], Value], output: Any, label: Any) -> Value:
    """The loss of one sample, as the batch-of-one mean ``loss([output], [label])``."""
    value = loss([output], [label])
    if not isinstance(value, Value):
        raise TypeError(f"compile_model: the loss function must return a Value, got {value!r}")
    return value


class CompiledModel:
    """A model with a loss, compiled for mini-batch training; made by :func:`compile_model`.

    Attributes:
        model: The model (its parameters get the gradients).
        labels: The distinct labels when the loss is traced once per label, else None.
        train_function: The :class:`CompiledFunction` of ``(loss, outputs)`` for one sample.
        predict_function: The :class:`CompiledFunction` of the model's outputs.
    """

    def __init__(self, model: Any, loss: Callable[[Any, Any], Value], example_input: Sequence[float],
                 labels: Sequence[Any], *, fuse: bool = True, check: bool = True) -> None:
        self.model = model
        params = list(model.parameters())
        x0 = [_number(v, "compile_model: example_input") for v in example_input]
        keys: Dict[Any, int] = {}
        distinct: List[Any] = []
        for label in labels:
            key = _label_key(label)
            if key is None:
                distinct = []
                break
            if key not in keys:
                keys[key] = len(distinct)
                distinct.append(label)
                if len(distinct) > MAX_LABELS:
                    break
        if not labels:
            raise ValueError("compile_model: no labels")
        self.predict_function = compile(lambda x: model(x), (x0,), params, fuse=fuse, check=check)
        if 0 < len(distinct) <= MAX_LABELS:
            # One traced loss per label, weighted by a one-hot input: loss = Σ_c [label = c] · loss(out, c).
            # Exactly the scalar loss for every sample, whatever Python the loss runs on its labels.
            self.labels: Optional[List[Any]] = distinct
            self._index = keys

            def per_label(x: List[Value], one_hot: List[Value]) -> Tuple[Value, Any]:
                out = model(x)
                return vsum([m * _loss_value(loss, out, c) for m, c in zip(one_hot, distinct)]), out

            example = [1.0] + [0.0] * (len(distinct) - 1)
            self.train_function = compile(per_label, (x0, example), params, has_aux=True, fuse=fuse, check=check)
        else:
            self.labels = None
            first = labels[0]

            def with_labels(x: List[Value], label: Any) -> Tuple[Value, Any]:
                out = model(x)
                return _loss_value(loss, out, label), out

            try:
                self.train_function = compile(with_labels, (x0, first), params, has_aux=True, fuse=fuse,
                                              check=check)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, (TracingError, CompileError)):
                    raise
                raise CompileError(
                    f"compile_model: with more than {MAX_LABELS} distinct labels the labels are passed to the "
                    f"loss as Values, and this loss does not take them: {exc}") from exc

    def _encode(self, labels: Sequence[Any], batch: int) -> Any:
        np = _numpy()
        if len(labels) != batch:
            raise ValueError(f"compile_model: {batch} inputs but {len(labels)} labels")
        if self.labels is None:
            return labels
        columns = []
        for i, label in enumerate(labels):
            column = self._index.get(_label_key(label))
            if column is None:
                raise ValueError(f"compile_model: label {i} ({label!r}) is not one of the labels the model "
                                 f"was compiled for: {self.labels!r}")
            columns.append(column)
        one_hot = np.zeros((batch, len(self.labels)))
        one_hot[np.arange(batch), columns] = 1.0
        return one_hot

    def value_and_grad(self, X: Any, labels: Sequence[Any], *, reduction: str = "mean") -> Gradients:
        """Per-sample losses and outputs, and the parameters' gradient, without touching ``.grad``.

        ``outputs`` is ``(losses, model outputs)``; see :meth:`CompiledFunction.value_and_grad`.
        """
        np = _numpy()
        X = np.asarray(X, dtype=np.float64)
        return self.train_function.value_and_grad(X, self._encode(labels, len(X)), reduction=reduction)

    def forward_backward(self, X: Any, labels: Sequence[Any]) -> Tuple[float, List[Any]]:
        """One batch: the mean loss, with its gradient added to the parameters' ``.grad``.

        A drop-in for :func:`microgradlab.train.forward_backward`.

        Returns:
            The mean loss as a float, and the outputs as floats (a list of floats per sample
            for a model with several outputs).
        """
        np = _numpy()
        X = _as_array(np, X)
        losses, outputs = self.train_function(X, self._encode(labels, len(X)))
        with np.errstate(all="ignore"):  # a diverging run is fit's to report, in one line
            return float(losses.mean()), outputs.tolist()

    def loss(self, X: Any, labels: Sequence[Any]) -> float:
        """The mean loss on ``(X, labels)``, without gradients."""
        np = _numpy()
        X = _as_array(np, X)
        losses, _ = self.train_function.forward(X, self._encode(labels, len(X)))
        with np.errstate(all="ignore"):
            return float(losses.mean())

    def predict(self, X: Any) -> Any:
        """The model's outputs for each row of ``X``: shape ``(n,)`` or ``(n, outputs)``."""
        return self.predict_function.forward(X)


def compile_model(model: Any, loss: Callable[[Any, Any], Value], example_input: Sequence[float],
                  labels: Sequence[Any], *, fuse: bool = True, check: bool = True) -> CompiledModel:
    """Compile ``model`` with ``loss`` for batched training (what ``fit(..., compiled=True)`` uses).

    Args:
        model: Called with one row (a list of Values), returns a Value or a list of them;
            has ``parameters()``.
        loss: ``loss(outputs, labels)`` for a batch, returning its **mean** (the
            convention of :mod:`microgradlab.losses`); it is traced on one sample.
        example_input: One row of inputs.
        labels: The training labels (all of them, or at least every distinct one).  Up
            to :data:`MAX_LABELS` distinct labels (classes, one-hot vectors, ±1), the
            loss is traced once per label and a one-hot input selects the right one, so
            any loss works exactly as on the scalar engine.  With more (regression
            targets), the labels are passed to the loss as Values.
        fuse, check: As for :func:`compile`.

    >>> from microgradlab.nn import MLP
    >>> from microgradlab.losses import cross_entropy
    >>> model = MLP(4, [8, 3], seed=0)
    >>> runner = compile_model(model, cross_entropy, [0.0] * 4, [0, 1, 2])
    >>> model.zero_grad()
    >>> loss, outputs = runner.forward_backward([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 1.0]], [2, 0])
    >>> reference = cross_entropy([model([0.1, 0.2, 0.3, 0.4]), model([1.0, 0.0, 0.0, 1.0])], [2, 0])
    >>> bool(abs(loss - reference.data) < 1e-12), len(outputs), len(outputs[0])
    (True, 2, 3)
    """
    return CompiledModel(model, loss, example_input, labels, fuse=fuse, check=check)
