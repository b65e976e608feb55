"""Grade a learner's own engine: :func:`check_engine` and :func:`assert_engine_correct`.

``check_engine(TheirValue)`` takes a micrograd-style class (``TheirValue(2.0)``
has ``.data`` and ``.grad``; results of its operations have ``backward()``),
finds which operations it supports by trying them, draws random expressions
over exactly those with Hypothesis — reused subexpressions, ``x + x``,
constants on either side, a second forward and backward pass — and compares
every value and gradient with microgradlab's (and with finite differences
where they disagree).  For each defect it reports the smallest failing
expression Hypothesis can shrink to, in plain words, with where to look.

>>> import micrograd.engine
>>> report = check_engine(micrograd.engine.Value, max_examples=100)
>>> report.ok
True
>>> print(report.supported)
x + y, x * y, -x, x ** k, x + c, x * c, c + x, c * x, x - y, x - c, c - x, x / y, x / c, c / x, x.relu()
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from .engine import Value, no_grad

__all__ = ["check_engine", "assert_engine_correct", "EngineReport", "Defect"]

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


def _name(form: Form) -> str:
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


# --- the truth, from microgradlab ---------------------------------------------------

MARGIN = 1e-3
LIMIT = 1e6


def _truth(program: Program) -> Optional[Tuple[List[float], List[float]]]:
    """Our values and gradients (of the root, for every slot), or None if the program is unfit."""
    try:
        slots = program.run(Value)
    except (ArithmeticError, ValueError, TypeError):  # outside a domain (log(-1), (-2) ** 0.5)
        return None
    for v in slots[len(program.leaves):]:
        if not isinstance(v, Value) or not abs(v.data) < LIMIT or not _clear_of_kinks(v):
            return None
    root = slots[-1]
    root.backward()
    grads = []
    for v in slots:
        if not abs(v.grad) < LIMIT:
            return None
        grads.append(v.grad)
    return [v.data for v in slots], grads


def _clear_of_kinks(node: Value) -> bool:
    """Every input at least MARGIN from its op's kinks and finite domain edges (from the op table)."""
    prim = node.op
    if prim is None:
        return True
    for k, x in enumerate(node.inputs):
        x = x.data if isinstance(x, Value) else x
        (lo, hi) = prim.domain[k] if k < len(prim.domain) else (-math.inf, math.inf)
        points = list(prim.kinks[k] if k < len(prim.kinks) else ()) + [p for p in (lo, hi) if math.isfinite(p)]
        if any(abs(x - p) < MARGIN for p in points):
            return False
    return True


def _finite_difference(program: Program, leaf: int, h: float = 1e-6) -> float:
    def at(dx: float) -> float:
        leaves = list(program.leaves)
        leaves[leaf] += dx
        with no_grad():
            return Program(tuple(leaves), program.ops).run(Value)[-1].data

    try:
        return (at(h) - at(-h)) / (2 * h)
    except (ArithmeticError, ValueError, TypeError):
        return math.nan


# --- comparing one program ---------------------------------------------------------


@dataclass(frozen=True)
class Defect:
    """The smallest failing expression found for one defect, in plain words."""

    expression: str
    at: str
    message: str
    hint: str
    n_ops: int

    def __str__(self) -> str:
        return f"{self.expression} at {self.at}: {self.message} — {self.hint}"


def _close(a: Any, b: float) -> bool:
    try:
        return math.isclose(float(a), b, rel_tol=1e-7, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _data(v: Any) -> Any:
    return getattr(v, "data", v)


def _diagnose(cls: Any, program: Program) -> Optional[Tuple[str, Defect]]:
    """``(signature, defect)`` if ``cls`` gets this program wrong, else None."""
    truth = _truth(program)
    if truth is None:
        return None
    values, grads = truth
    n = len(program.leaves)
    at = program.at()

    def defect(signature: str, message: str, hint: str, upto: Optional[int] = None) -> Tuple[str, Defect]:
        return signature, Defect(program.text(upto), at, message, hint, len(program.ops))

    try:
        slots = program.run(cls)
    except Exception as exc:  # their code: any exception is a finding
        return defect(f"raises {type(exc).__name__}", f"computing it raised {type(exc).__name__}: {exc}",
                      "look at the operations in this expression")
    for k in range(n, len(slots)):
        if not _close(_data(slots[k]), values[k]):
            op = program.ops[k - n]
            return defect(f"value {op.form.dunder}",
                          f"your value is {_data(slots[k])!r}, the true one is {values[k]!r}",
                          f"look at {op.form.dunder}", upto=k)
    try:
        slots[-1].backward()
    except Exception as exc:
        return defect(f"backward raises {type(exc).__name__}",
                      f"backward() raised {type(exc).__name__}: {exc}", "look at backward() and the _backward functions")
    theirs = [getattr(v, "grad", None) for v in slots]
    if not _close(theirs[-1], 1.0):
        return defect("seed", f"after backward() the output's gradient is {theirs[-1]!r}, not 1",
                      "backward() must start with self.grad = 1")
    wrong = [i for i in range(n) if not _close(theirs[i], grads[i])]
    if wrong:
        i = wrong[0]
        fd = _finite_difference(program, i)
        if _close(theirs[i], fd) and not _close(grads[i], fd):  # a convention of ours, not their defect
            return None
        signature, hint = _blame(program, theirs, grads)
        fd_text = f"{fd:.6g}" if abs(fd) > 1e-7 * max(1.0, abs(grads[i])) else "0"  # below the step's error
        return defect(signature, f"your gradient of {NAMES[i]} is {theirs[i]!r}, the true one is {grads[i]!r} "
                                 f"(finite differences: {fd_text})", hint)
    again = program.run(cls)  # a new graph from new leaves must not see the old one
    try:
        again[-1].backward()
    except Exception as exc:
        return defect("repeat raises", f"a second graph's backward() raised {type(exc).__name__}: {exc}",
                      "look at backward()")
    for i in range(n):
        for when, v in (("on a second graph", again[i]), ("after a second graph's backward", slots[i])):
            if not _close(getattr(v, "grad", None), grads[i]):
                return defect("shared state", f"{when} the gradient of {NAMES[i]} is {v.grad!r}, the true one is "
                                              f"{grads[i]!r}", "look for state shared between graphs "
                                                               "(class attributes, module-level lists)")
    # The lecture's training loop without zero_grad: two passes from the same leaves add up.
    leaves = [cls(x) for x in program.leaves]
    for _ in range(2):
        program.run(cls, leaves)[-1].backward()
    for i, leaf in enumerate(leaves):
        if not _close(leaf.grad, 2.0 * grads[i]):
            return defect("accumulate", f"after two forward and backward passes the gradient of {NAMES[i]} is "
                                        f"{leaf.grad!r}, the true one is {2.0 * grads[i]!r}",
                          "leaves' gradients must accumulate over backward() calls (+=); "
                          "a training loop zeroes them (p.grad = 0.0) before each backward")
    return None


def _blame(program: Program, theirs: List[Any], grads: List[float]) -> Tuple[str, str]:
    """Where a wrong gradient comes from, judged from which slots' gradients are wrong."""
    n = len(program.leaves)
    ops = program.ops
    if len(ops) == 1:
        op = ops[0]
        if len(set(op.args)) < len(op.args):
            return (f"accumulate {op.form.dunder}", f"look at the backward of {op.form.dunder}: {program.text()} "
                    f"uses one input twice, so both gradients must be added (+=), not assigned")
        return f"local {op.form.dunder}", f"look at the backward of {op.form.dunder} (the derivative of {_name(op.form)})"
    if _has_shared(program):  # trees pass (they are searched first): the order is to blame
        return ("order", "look at the topological sort in backward(): a node's _backward must run after those of "
                         "all the nodes that use it (append a node after its children, then go in reverse)")
    # A tree: the lowest operation whose own gradient is right but whose inputs' are wrong.
    for k, op in enumerate(ops):
        slot = n + k
        if _close(theirs[slot], grads[slot]) and any(not _close(theirs[i], grads[i]) for i in op.args):
            return (f"chain {op.form.dunder}", f"look at the backward of {op.form.dunder}: it must multiply its "
                    f"local derivative by out.grad (the chain rule); alone, out.grad is 1 and hides this")
    return "other", "look at the _backward functions of the operations in this expression"


# --- probing and the report ---------------------------------------------------------


def probe(cls: Any) -> Tuple[List[Form], Dict[str, str]]:
    """The forms ``cls`` supports (it computes them and has ``backward``), and why the others are not."""
    supported, unsupported = [], {}
    for form in FORMS:
        args = [cls(1.5), cls(0.5)][:form.values]
        try:
            out = form.apply(*args, form.constants[0]) if form.constants else form.apply(*args)
            float(_data(out))
            if not callable(getattr(out, "backward", None)):
                raise TypeError("its result has no backward()")
        except Exception as exc:  # anything at all: the operation is not available
            unsupported[_name(form)] = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        else:
            supported.append(form)
    return supported, unsupported


class _Forms(list):
    def __str__(self) -> str:
        return ", ".join(_name(f) for f in self)


@dataclass
class EngineReport:
    """What :func:`check_engine` found: ``ok``, the defects, and which operations were checked."""

    name: str
    supported: List[Form]
    unsupported: Dict[str, str]
    defects: List[Defect] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.defects

    def __str__(self) -> str:
        lines = [f"{self.name}: {'no defects found' if self.ok else f'{len(self.defects)} defect(s) found'}",
                 f"checked: {self.supported}"]
        if self.unsupported:
            lines.append(f"not supported (skipped): {', '.join(self.unsupported)}")
        lines += [f"  {i}. {d}" for i, d in enumerate(self.defects, 1)]
        if len(self.defects) > 1:
            lines.append("Fix the first one first: an operation built on a broken one (x - y on + and -) fails too.")
        return "\n".join(lines)


def check_engine(cls: Any, *, max_examples: int = 300, max_ops: int = 5, max_defects: int = 12,
                 derandomize: bool = True) -> EngineReport:
    """Compare a micrograd-style Value class with microgradlab on random expressions.

    Args:
        cls: The class: ``cls(2.0)`` makes a leaf with ``.data`` and ``.grad``.
        max_examples: Expressions tried per search (one search per defect found, plus one).
        max_ops: Operations per expression.
        max_defects: Stop after this many distinct defects.
        derandomize: The same class gives the same report (Hypothesis' derandomize).

    Raises:
        TypeError: if ``cls(2.0)`` fails or has no ``data`` and ``grad``.
    """
    try:
        leaf = cls(2.0)
        leaf.data, leaf.grad
    except Exception as exc:
        raise TypeError(f"check_engine: {getattr(cls, '__name__', cls)!r}(2.0) must make a value with "
                        f".data and .grad ({type(exc).__name__}: {exc})") from None
    supported, unsupported = probe(cls)
    report = EngineReport(getattr(cls, "__qualname__", repr(cls)), _Forms(supported), unsupported)
    if not supported:
        return report
    found: Dict[str, Defect] = {}
    blamed: set = set()

    def record(signature: str, defect: Defect, program: Program) -> None:
        found[signature] = defect
        blamed.update(op.form.dunder for op in program.ops if signature.endswith(op.form.dunder))

    # 1. Each operation alone, in FORMS order, on a grid of small inputs.
    for program in _single_ops(supported):
        if len(found) >= max_defects:
            break
        if program.ops[0].form.dunder in blamed:
            continue
        result = _diagnose(cls, program)
        if result is not None and result[0] not in found:
            record(result[0], result[1], program)
    # 2. Compositions: trees first (a missing chain-rule factor shows there), then shared results.
    options = settings(max_examples=max_examples, database=None, deadline=None, derandomize=derandomize,
                       suppress_health_check=list(HealthCheck))
    for shared in (False, True):
        def fails(program: Program) -> bool:
            if len(program.ops) < 2 or _has_shared(program) != shared:
                return False
            if any(op.form.dunder in blamed for op in program.ops):
                return False  # a defect there is reported already: look for others
            result = _diagnose(cls, program)
            return result is not None and result[0] not in found

        while len(found) < max_defects:
            try:
                program = find(programs(supported, max_ops), fails, settings=options)
            except NoSuchExample:
                break
            signature, defect = _diagnose(cls, program)
            record(signature, defect, program)
    report.defects = list(found.values())
    return report


def _single_ops(forms: Sequence[Form]) -> Iterator[Program]:
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


def _has_shared(program: Program) -> bool:
    """Whether an operation's result is used more than once (then backward's order matters)."""
    n = len(program.leaves)
    args = [i for op in program.ops for i in op.args if i >= n]
    return len(args) != len(set(args))


def assert_engine_correct(cls: Any, **options: Any) -> EngineReport:
    """:func:`check_engine`, raising ``AssertionError`` with the report if it finds a defect (for pytest)."""
    report = check_engine(cls, **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report
