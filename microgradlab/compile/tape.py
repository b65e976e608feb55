"""The tape: the program's instructions grouped level by level (and dot nodes fused into matmuls)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from ..engine import Value
from ..ops import Primitive
from .gather import Gather
from .lower import DotStep, StepGroup, MapStep, MatMulStep, ReduceStep
from .trace import Program, is_weighted_sum


class Tape:
    """The compiled program: groups of primitives in evaluation order.

    Attributes:
        groups: One :class:`GroupInfo` per step.
        n_nodes: Op nodes after merging identical ones and folding constants.
        n_params: Parameters (their gradients are summed over the batch).
    """

    def __init__(self, groups: List[StepGroup], n_nodes: int, n_params: int) -> None:
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


def build_tape(np: Any, program: Program, fuse: bool) -> Tuple[Tape, List[int], List[bool]]:
    """Group the program's instructions level by level; return the tape, block widths and batch flags."""
    widths = [len(regs) for regs in program.inputs] + [len(program.params), len(program.consts)]
    bdep = [True] * program.n_args + [False, False]
    by_level: Dict[int, List[Tuple[Primitive, Tuple[int, ...], int]]] = {}
    for instr in program.instrs:
        by_level.setdefault(program.level[instr[2]], []).append(instr)
    groups: List[StepGroup] = []
    loc, is_bdep = program.loc, program.bdep

    def gather(regs: Sequence[int]) -> Gather:
        return Gather(np, [loc[r] for r in regs], widths, bdep)  # type: ignore[misc]

    for level in sorted(by_level):
        buckets: Dict[Any, List[Tuple[Primitive, Tuple[int, ...], int]]] = {}
        for instr in by_level[level]:
            prim, args, _ = instr
            if prim.arity:
                key: Any = ("map", prim.name)
            elif is_weighted_sum(prim):
                n = len(args) // 2
                ws, xs = args[:n], args[n:]
                if fuse and not any(is_bdep[w] for w in ws):
                    key = ("matmul", xs)  # shared inputs, fixed weights
                elif fuse and not any(is_bdep[x] for x in xs):
                    key = ("matmul", ws)
                else:
                    key = ("dot", n)
            else:  # n items per argument group
                key = ("reduce", prim.name, len(args) // len(prim.partials))
            # batch-independent nodes (parameters only) get blocks of one row: a matmul may use them as weights
            buckets.setdefault((is_bdep[instr[2]],) + key, []).append(instr)
        for (_, *key), members in buckets.items():
            block = len(widths)
            width = len(members)
            for j, (_, _, reg) in enumerate(members):
                loc[reg] = (block, j)
            prim = members[0][0]
            group: StepGroup
            if key[0] == "map":
                operands = [gather([args[i] for _, args, _ in members]) for i in range(prim.arity)]
                group = MapStep(np, prim, block, width, operands)
            elif key[0] == "reduce":
                n = key[2]  # one operand per argument group: the weights, then the inputs, for pairs
                operands = [gather([a for _, args, _ in members for a in args[k * n:(k + 1) * n]])
                            for k in range(len(prim.partials))]
                group = ReduceStep(np, prim, block, width, operands, n=n)
            elif key[0] == "dot":
                n = key[1]
                group = DotStep(prim, block, width, [gather([a for _, args, _ in members for a in args[:n]]),
                                                  gather([a for _, args, _ in members for a in args[n:]])], n=n)
            else:
                shared = key[1]
                n = len(shared)
                # the other factor of each member, neuron by neuron, for each block the shared inputs come from
                others = [args[n:] if args[:n] == shared else args[:n] for _, args, _ in members]
                inputs = gather(shared)
                weights = [gather([others[j][i] for j in range(width) for i in positions.tolist()])
                           for positions in inputs.positions]
                group = MatMulStep(prim, block, width, [inputs] + weights, n=n)
            widths.append(width)
            bdep.append(any(g.bdep for g in group.operands))
            groups.append(group)
    return Tape(groups, len(program.instrs), len(program.params)), widths, bdep


def lay_out_layers(np: Any, program: Program, params: List[Value]) -> List[Value]:
    """The parameters in an order that makes each fused layer's weights one contiguous run.

    With that layout every weight matrix is a view of the parameter array, never
    gathered (``nn``'s ``parameters()`` order has it already: weight tensor, then
    bias).  The program's parameter columns are renumbered to match.
    """
    tape, _, _ = build_tape(np, program, True)
    order: List[int] = []
    seen = set()
    for group in tape._groups:
        if group.kind != "matmul":
            continue
        for operand in group.operands[1:]:
            for block, _, cols, _, _ in operand.segments:
                if block == program.theta:
                    for j in cols.tolist():
                        if j not in seen:
                            seen.add(j)
                            order.append(j)
    order += [j for j in range(len(params)) if j not in seen]
    for k, j in enumerate(order):
        program.loc[program.params[j]] = (program.theta, k)
    program.params = [program.params[j] for j in order]
    return [params[j] for j in order]
