"""Tracing: call a function once on fresh leaves and record its graph as a program.

The program (``Program``) is a list of scalar instructions over numbered
registers; ``print(program)`` shows it, and ``evaluate`` runs it on
floats with the scalar rules (the reference the array tape must agree with).
"""

from __future__ import annotations

import contextlib
import random
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from .. import ops
from ..engine import Value, enable_grad, walk
from ..modes import tracing
from ..ops import Primitive
from .shapes import tree_flatten, tree_unflatten, as_number, tree_shape
from .watch import input_leaf, watch_reads

# How far the verification trace moves each input, relative to max(1, |x|).
_CHECK_STEP = 1e-3

# --- tracing: the graph as a program of scalar instructions ------------------------------------
#
# Every value of the traced graph is a register (an int).  Leaves have a fixed
# location (block, column): the inputs of argument a are block a, the
# parameters are block THETA, constants block CONSTS.  Op nodes get theirs
# when grouped.


class Program:
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
        self.at: Dict[int, Tuple[Tuple[float, ...], float]] = {}  # node -> (its inputs, its value) at tracing
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

    def apply(self, prim: Primitive, args: Tuple[int, ...], value: float, arg_values: Tuple[float, ...] = ()) -> int:
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
            self.at[reg] = (arg_values, value)
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

    def _name(self, reg: int) -> str:
        loc = self.loc[reg]
        if reg in self.at or loc is None:
            return f"%{reg}"
        if loc[0] == self.consts_block:
            return repr(self.consts[loc[1]])
        return f"theta[{loc[1]}]" if loc[0] == self.theta else f"x{loc[0]}[{loc[1]}]"

    def __str__(self) -> str:
        """The tape as text, one instruction a line: ``%7 = mul(x0[1], theta[0])``."""
        lines = [f"program: {self.n_args} argument(s), {len(self.params)} parameter(s), "
                 f"{len(self.instrs)} instruction(s)"]
        for prim, args, reg in self.instrs:
            lines.append(f"  %{reg} = {prim.name}({', '.join(map(self._name, args))})")
        lines.append(f"  return {', '.join(map(self._name, self.outputs))}")
        return "\n".join(lines)

    def evaluate(self, inputs: Sequence[Sequence[float]], params: Sequence[float]) -> List[float]:
        """The outputs for one sample, run instruction by instruction with the scalar rules.

        This is the reference the array tape is checked against: the op table's
        ``forward`` on floats, in the traced order.
        """
        values: Dict[int, float] = {}
        for regs, row in zip(self.inputs, inputs):
            values.update(zip(regs, map(float, row)))
        values.update(zip(self.params, map(float, params)))
        for key, reg in self._const_reg.items():
            values[reg] = float.fromhex(key)
        for prim, args, reg in self.instrs:
            xs = [values[a] for a in args]
            if prim.arity:
                values[reg] = prim.forward(*xs)
            elif prim.pairs:
                n = len(xs) // 2
                values[reg] = prim.forward(xs[:n], xs[n:])
            else:
                values[reg] = prim.forward(xs)
        return [values[r] for r in self.outputs]

    def signature(self) -> Tuple[Any, ...]:
        return tuple((p.name, a) for p, a, _ in self.instrs), tuple(c.hex() for c in self.consts), tuple(self.outputs)


def is_weighted_sum(prim: Primitive) -> bool:
    """Whether ``prim`` is the table's ``dot``: lowered to products (and matrix products), not by an array
    rule.  Every other n-ary op, over one argument group or over pairs, is lowered by its ``array_forward``."""
    return prim is ops.PRIMITIVES.get("dot")


def _record(program: Program, roots: Sequence[Any], input_leaves: Sequence[Value],
            params: Sequence[Value], bind: Optional[Sequence[int]] = None) -> Tuple[List[int], List[Value]]:
    """Add the graph under ``roots`` to ``program``; return the roots' registers and the
    other (constant) leaves met.  Called once per traced piece, all into one program."""
    reg_of: Dict[int, int] = {}
    for leaf, reg in zip(input_leaves, bind if bind is not None else (r for regs in program.inputs for r in regs)):
        reg_of[id(leaf)] = reg
    for p, reg in zip(params, program.params):
        reg_of[id(p)] = reg
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
        inputs = node.inputs  # for an op over pairs: the weights, then the inputs (a bias's input 1 last)
        args = tuple(reg_of[id(v)] if isinstance(v, Value) else program.const(v) for v in inputs)
        # each node's own inputs, for the rule checker (which checks every op lowered by its array rules)
        at = () if is_weighted_sum(op) else tuple(v.data if isinstance(v, Value) else v for v in inputs)
        reg_of[key] = program.apply(op, args, node.data, at)
    outputs = [reg_of[id(r)] if isinstance(r, Value) else program.const(r) for r in roots]
    return outputs, closed_over


class Traced(NamedTuple):
    program: Program
    leaves: List[Value]  # every leaf of the graph (inputs, parameters, constants)


#: One traced piece: a function of one sample, the example (flat arguments) to trace it at,
#: and optionally the number of the piece whose results are its arguments (instead of the inputs).
Piece = Tuple[Any, ...]


def trace_pieces(pieces: Sequence[Piece], shapes: Sequence[Tuple[int, ...]], params: Sequence[Value],
           has_aux: bool) -> Tuple[Traced, List[Tuple[int, ...]]]:
    """Call each piece's function once on fresh leaves at its example and record the graphs in
    one program (identical nodes merge); also return the output shapes.

    One piece is a compiled function; several (a model, then a loss per label applied
    to its results, each at the results for a sample of that label) give one flat
    list of all their results.  While tracing, a read of an
    input's or a parameter's data from outside the library raises TracingError.
    """
    program = Program([len(flat) for flat in pieces[0][1]], len(params))
    leaves_met: List[Value] = list(params)
    outputs: List[int] = []
    out_shapes: List[Tuple[int, ...]] = []
    with enable_grad(), tracing(), watch_reads(params):
        results: List[List[int]] = []
        for fn, args_flat, *on in pieces:
            leaves = [[input_leaf(v, a, i) for i, v in enumerate(flat)] for a, flat in enumerate(args_flat)]
            # a piece bound to earlier results gets them flat (it nests them itself)
            args = leaves if on else [tree_unflatten(vals, shape) for vals, shape in zip(leaves, shapes)]
            out = fn(*args)
            parts = list(out) if has_aux else [out]
            if has_aux and (not isinstance(out, tuple) or len(out) != 2):
                raise TypeError(f"compile: with has_aux=True the function must return (loss, aux), got {out!r}")
            piece_shapes = [tree_shape(part, "compile: the function's result") for part in parts]
            roots = [leaf for part in parts for leaf in tree_flatten(part)]
            for r in roots:
                if not isinstance(r, Value):
                    as_number(r, "compile: the function's result")
            if has_aux and piece_shapes[0] != ():
                raise TypeError(f"compile: the loss must be one number per sample, got shape {piece_shapes[0]}")
            flat_inputs = [leaf for group in leaves for leaf in group]
            regs, closed_over = _record(program, [r if isinstance(r, Value) else float(r) for r in roots],
                                        flat_inputs, params, results[on[0]] if on else None)
            results.append(regs)
            outputs += regs
            out_shapes += piece_shapes
            leaves_met += flat_inputs + closed_over
    program.outputs = outputs
    if len(pieces) > 1:
        out_shapes = [(len(outputs),)]
    return Traced(program, leaves_met), out_shapes


def nearby_inputs(args_flat: Sequence[Sequence[float]]) -> List[List[float]]:
    """Inputs moved a little (seeded), for the verification trace."""
    rng = random.Random(0)
    return [[x + _CHECK_STEP * max(1.0, abs(x)) * rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 1.0) for x in flat]
            for flat in args_flat]


@contextlib.contextmanager
def moved_parameters(params: Sequence[Value]) -> Iterator[None]:
    """Parameters moved a little (seeded) for the verification trace, and put back exactly."""
    saved = [p.data for p in params]
    rng = random.Random(1)
    try:
        for p, x in zip(params, saved):
            p.data = x + _CHECK_STEP * max(1.0, abs(x)) * rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 1.0)
        yield
    finally:
        for p, x in zip(params, saved):
            p.data = x


def explain_difference(first: Program, second: Program) -> str:
    for a, b in zip(first.consts, second.consts):
        if a.hex() != b.hex():
            return (f"the constant {a!r} became {b!r} -- a number computed from a Value's .data or float() "
                    "(e.g. max(v.data for v in logits))")
    for (pa, aa, _), (pb, ab, _) in zip(first.instrs, second.instrs):
        if pa.name != pb.name or aa != ab:
            return f"the graph changed ({pa.name} became {pb.name}) -- Python control flow on a Value's data"
    return f"the graph changed ({len(first.instrs)} ops, then {len(second.instrs)}) -- Python control flow on data"

