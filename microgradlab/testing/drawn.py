"""A drawn computation graph: its nodes, how it runs on Values or floats, and how it prints.

The strategies build trees of :class:`Input`, :class:`Constant` and
:class:`Apply` nodes; a :class:`DrawnExpression` wraps one with its point.
It prints with :func:`microgradlab.notation.application_text`, the spelling
:mod:`microgradlab.expr` parses, so its ``source`` reads back as the same graph.
"""

from __future__ import annotations

import ast
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

from ..engine import Value, apply
from ..notation import application_text
from ..ops import Primitive

__all__ = ["Input", "Constant", "Apply", "DrawnExpression", "applications_in"]


class Input:
    """Input ``index`` of an expression: ``x0``, ``x1``, ..."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class Constant:
    """A number that is part of an expression (a drawn constant, or a shift that keeps an op safe)."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value


class Apply:
    """``op`` applied to ``args``: one node per input, or (n-ary ops) one tuple of nodes per argument group.

    An op over pairs whose first group is one longer has a bias: the last
    item of that group, whose input is the constant 1 (as in the op table).
    """

    __slots__ = ("op", "args")

    def __init__(self, op: Primitive, args: Tuple[Any, ...]) -> None:
        self.op = op
        self.args = args

    @property
    def has_bias(self) -> bool:
        return self.op.pairs and len(self.args[0]) > len(self.args[1])


def _evaluate(node: Any, xs: Sequence[Any], done: Optional[Dict[int, Any]] = None) -> Any:
    """The Value (or number) of ``node``; a subexpression drawn twice is evaluated once, so graphs share it."""
    if type(node) is Input:
        return xs[node.index]
    if type(node) is Constant:
        return node.value
    done = {} if done is None else done
    if id(node) not in done:
        if node.op.arity == 0:
            groups = [[_evaluate(a, xs, done) for a in group] for group in node.args]
            if node.has_bias:
                groups = [groups[0][:-1], groups[1], groups[0][-1]]
            done[id(node)] = apply(node.op, *groups)
        else:
            done[id(node)] = apply(node.op, *(_evaluate(a, xs, done) for a in node.args))
    return done[id(node)]


def _text(node: Any) -> str:
    """Source text with every operand parenthesised (tidied once at the root)."""
    if type(node) is Input:
        return f"x{node.index}"
    if type(node) is Constant:
        return f"({node.value!r})"
    if node.op.arity:
        return application_text(node.op, *(f"({_text(a)})" for a in node.args))
    groups = [[f"({_text(a)})" for a in group] for group in node.args]
    bias = groups[0].pop() if node.has_bias else None
    return application_text(node.op, *groups, bias=bias)


def applications_in(node: Any) -> Iterable[Apply]:
    """Each :class:`Apply` node of the tree under ``node`` once, shared ones included."""
    stack, seen = [node], set()
    while stack:
        node = stack.pop()
        if type(node) is Apply and id(node) not in seen:
            seen.add(id(node))
            yield node
            for a in node.args:
                stack.extend(a if node.op.arity == 0 else (a,))


class DrawnExpression:
    """A drawn computation graph with the input point it was drawn at.

    Call it with one Value per input (it returns a Value) or with numbers (it
    returns a float).  ``source`` is readable source text built from each
    primitive's ``template``; ``repr`` shows it with the point, so a failing
    Hypothesis example prints legibly.

    Attributes:
        source: e.g. ``"tanh(x0 * x1) + log(x0 + 2.5)"``.
        point: the drawn inputs ``(x0, x1, ...)``, at which every op is
            differentiable with a margin.
        n_inputs: how many inputs it takes.
        size: how many op applications it has.
        op_names: the names of the primitives it uses.
    """

    def __init__(self, root: Any, point: Sequence[float]) -> None:
        self._root = root
        self.point: Tuple[float, ...] = tuple(point)
        self.n_inputs = len(self.point)
        applications = list(applications_in(root))
        self.size = len(applications)
        self.op_names = frozenset(a.op.name for a in applications)
        self._source: Optional[str] = None

    @property
    def source(self) -> str:
        if self._source is None:
            text = _text(self._root)
            try:  # parsing and unparsing drops the parentheses Python does not need
                text = ast.unparse(ast.parse(text, mode="eval"))
            except SyntaxError:  # a template that is not Python: keep every parenthesis
                pass
            self._source = text
        return self._source

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.n_inputs:
            raise TypeError(f"{self.source} takes {self.n_inputs} input(s), got {len(xs)}")
        if any(isinstance(x, Value) for x in xs):
            return _evaluate(self._root, xs)
        out = _evaluate(self._root, [Value(x) for x in xs])
        return out.data if isinstance(out, Value) else float(out)

    def __repr__(self) -> str:
        return f"DrawnExpression({self.source!r}, point={self.point!r})"
