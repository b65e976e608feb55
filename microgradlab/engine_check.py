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
from typing import Any, Dict, List, Optional, Tuple

from hypothesis import HealthCheck, find, settings
from hypothesis.errors import NoSuchExample

from .engine import Value, no_grad
from .engine_programs import FORMS, NAMES, Form, Program, form_name, has_shared, programs, single_ops

__all__ = ["check_engine", "assert_engine_correct", "EngineReport", "Defect"]

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
        return f"local {op.form.dunder}", f"look at the backward of {op.form.dunder} (the derivative of {form_name(op.form)})"
    if has_shared(program):  # trees pass (they are searched first): the order is to blame
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
            unsupported[form_name(form)] = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        else:
            supported.append(form)
    return supported, unsupported


class _Forms(list):
    def __str__(self) -> str:
        return ", ".join(form_name(f) for f in self)


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
    for program in single_ops(supported):
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
            if len(program.ops) < 2 or has_shared(program) != shared:
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


def assert_engine_correct(cls: Any, **options: Any) -> EngineReport:
    """:func:`check_engine`, raising ``AssertionError`` with the report if it finds a defect (for pytest)."""
    report = check_engine(cls, **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report
