"""Tracing: call a function once on fresh leaves and record its graph as a program.

The program (:class:`Program`) is a list of scalar instructions over numbered
registers; ``print(program)`` shows it, and :meth:`Program.evaluate` runs it on
floats with the scalar rules (the reference the array tape must agree with).
"""

from __future__ import annotations

import random
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ..engine import Value, enable_grad, tracing, walk
from ..ops import Primitive
from .shapes import _flatten, _nest, _number, _shape

# How far the verification trace moves each input, relative to max(1, |x|).
_CHECK_STEP = 1e-3

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

