"""The expressions :func:`~microgradlab.engine_check.check_engine` tries: operation forms and programs.

A :class:`Program` is a few leaves and a few operations, each applied to
earlier results (so results can be reused, as in ``a = x + 1; a * a``);
:data:`FORMS` lists the ways to apply an operation (``x * c`` and ``c * x``
are two forms of ``*``), simplest and most basic first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from hypothesis import strategies as st

__all__ = ["Form", "FORMS", "Op", "Program", "programs", "single_ops", "has_shared", "form_name"]

LEAF_VALUES = (1.0, 2.0, -1.0, 0.5, -2.0, 1.5, 3.0, -0.5)  # the shrinker prefers the first
CONSTANTS = (2.0, 3.0, -1.0, 0.5)
EXPONENTS = (2, 3, -1, 0.5)
NAMES = ("x", "y", "z")


@dataclass(frozen=True)
class Form:
    """One way to apply an operation: ``x * c`` or ``c * x`` are two forms of ``*``."""

    text: str  # with {0}, {1} for Value operands and {c} for the constant
    apply: Callable[..., Any]
    values: int  # Value operands
    dunder: str  # where a defect would be
    constants: Tuple[Any, ...] = ()


def _form(text: str, apply: Callable[..., Any], dunder: str, constants: Tuple[Any, ...] = ()) -> Form:
    return Form(text, apply, text.count("{0}") + text.count("{1}"), dunder, constants)


# The operations others are usually built from come first: the shrinker prefers early
# forms, so a defect in __neg__ is reported as -x, not as the x - y built on it.
FORMS = (
    _form("{0} + {1}", lambda a, b: a + b, "__add__"),
    _form("{0} * {1}", lambda a, b: a * b, "__mul__"),
    _form("-{0}", lambda a: -a, "__neg__"),
    _form("{0} ** {c}", lambda a, c: a ** c, "__pow__", EXPONENTS),
    _form("{0} + {c}", lambda a, c: a + c, "__add__", CONSTANTS),
    _form("{0} * {c}", lambda a, c: a * c, "__mul__", CONSTANTS),
    _form("{c} + {0}", lambda a, c: c + a, "__radd__", CONSTANTS),
    _form("{c} * {0}", lambda a, c: c * a, "__rmul__", CONSTANTS),
    _form("{0} - {1}", lambda a, b: a - b, "__sub__"),
    _form("{0} - {c}", lambda a, c: a - c, "__sub__", CONSTANTS),
    _form("{c} - {0}", lambda a, c: c - a, "__rsub__", CONSTANTS),
    _form("{0} / {1}", lambda a, b: a / b, "__truediv__"),
    _form("{0} / {c}", lambda a, c: a / c, "__truediv__", CONSTANTS),
    _form("{c} / {0}", lambda a, c: c / a, "__rtruediv__", CONSTANTS),
    _form("{0} ** {1}", lambda a, b: a ** b, "__pow__"),
    _form("{c} ** {0}", lambda a, c: c ** a, "__rpow__", (2.0, 0.5)),
    *(_form(f"{{0}}.{m}()", (lambda m: lambda a: getattr(a, m)())(m), m)
      for m in ("exp", "tanh", "relu", "sigmoid", "log", "sin", "cos", "sqrt")),
)


def form_name(form: Form) -> str:
    return form.text.format("x", "y", c="k" if form.constants is EXPONENTS else "c")


# --- programs: a few operations over earlier results ---------------------------------


@dataclass(frozen=True)
class Op:
    form: Form
    args: Tuple[int, ...]  # slots: leaves first, then earlier operations
    constant: Any = None


@dataclass(frozen=True)
class Program:
    leaves: Tuple[float, ...]
    ops: Tuple[Op, ...]

    def run(self, cls: Any, leaves: Optional[Sequence[Any]] = None) -> List[Any]:
        """Every slot's value (leaves, then one per operation) built with ``cls`` (or from ``leaves``)."""
        slots = [cls(x) for x in self.leaves] if leaves is None else list(leaves)
        for op in self.ops:
            operands = [slots[i] for i in op.args]
            slots.append(op.form.apply(*operands, op.constant) if op.form.constants else op.form.apply(*operands))
        return slots

    def text(self, upto: Optional[int] = None) -> str:
        """The expression of slot ``upto`` (default: the root); a shared result gets a name."""
        n = len(self.leaves)
        last = n + len(self.ops) - 1 if upto is None else upto
        uses: Dict[int, int] = {}
        for op in self.ops[:last - n + 1]:
            for i in set(op.args):
                uses[i] = uses.get(i, 0) + 1
        names = list(NAMES[:n])
        lets = []
        for k, op in enumerate(self.ops[:last - n + 1]):
            slot = n + k
            parts = [names[i] if i < n or uses.get(i, 0) > 1 or self.ops[i - n].form.values == 0
                     else f"({names[i]})" for i in op.args]
            text = op.form.text.format(*parts, c=_const(op.constant))
            if slot != last and uses.get(slot, 0) > 1:
                short = "abcdefgh"[len(lets)]
                lets.append(f"{short} = {text}")
                names.append(short)
            else:
                names.append(text)
        return "; ".join(lets + [names[last]])

    def at(self) -> str:
        return ", ".join(f"{NAMES[i]} = {x!r}" for i, x in enumerate(self.leaves))


def _const(c: Any) -> str:
    return "" if c is None else repr(c)


@st.composite
def programs(draw: Any, forms: Sequence[Form], max_ops: int = 5) -> Program:
    n_leaves = draw(st.integers(1, 3))
    leaves = tuple(draw(st.sampled_from(LEAF_VALUES)) for _ in range(n_leaves))
    ops = []
    for k in range(draw(st.integers(1, max_ops))):
        form = draw(st.sampled_from(forms))
        top = n_leaves + k - 1  # the most recent slot; shrinking prefers it, making chains
        args = tuple(top - draw(st.integers(0, top)) for _ in range(form.values))
        constant = draw(st.sampled_from(form.constants)) if form.constants else None
        ops.append(Op(form, args, constant))
    return Program(leaves, tuple(ops))


def single_ops(forms: Sequence[Form]) -> Iterator[Program]:
    """Every form applied once: to x, to x and y, to x twice (x + x), with each constant."""
    for form in forms:
        for constant in form.constants or (None,):
            if form.values == 1:
                for x in LEAF_VALUES:
                    yield Program((x,), (Op(form, (0,), constant),))
                continue
            for x in LEAF_VALUES:
                yield Program((x,), (Op(form, (0, 0), constant),))
                for y in LEAF_VALUES:
                    yield Program((x, y), (Op(form, (0, 1), constant),))


def has_shared(program: Program) -> bool:
    """Whether an operation's result is used more than once (then backward's order matters)."""
    n = len(program.leaves)
    args = [i for op in program.ops for i in op.args if i >= n]
    return len(args) != len(set(args))
