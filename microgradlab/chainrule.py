"""The chain rule, step by step: :func:`explain` records what ``backward`` does.

``explain(root)`` runs ``root.backward()`` and returns an :class:`Explanation`:
one :class:`Step` per (node, input) pair, in the order backward visits the
nodes.  Each step holds the node's value and upstream gradient, the input's
local derivative as a formula (from the op table entry's ``formula``) and as a
number, their product, and the input's gradient before and after the product is
added to it, so an input reached twice shows the accumulation.

>>> from microgradlab import Value
>>> a = Value(3.0, label="a")
>>> b = a * a
>>> b.label = "b"
>>> print(explain(b))
backward from b = 9: b.grad = 1
step  node       value  grad  input  rule              local      product  input.grad
1     b = a * a  9      1     a = 3  d/dx (x * y) = y  db/da = 3  3        a.grad = 3
2     b = a * a  9      1     a = 3  d/dy (x * y) = x  db/da = 3  3        a.grad = 3 + 3 = 6

It prints as a text table, shows as an HTML table in Jupyter
(``_repr_html_``) and exports to Markdown (:meth:`Explanation.to_markdown`).
``root.explain()`` is the same as ``explain(root)``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Sequence, Tuple

from .chain import local_derivatives as engine_local_derivatives
from .engine import Value, walk
from .graph import topological_order
from .ops import SCALAR_MATH

__all__ = ["explain", "Explanation", "Step"]


@dataclass(frozen=True)
class Step:
    """One application of the chain rule: ``input.grad += local * upstream``."""

    step: int
    node: str  #: the node's name (its label, or ``#k`` in forward order)
    expression: str  #: how the node was computed, e.g. ``"n = x1w1x2w2 + b"``
    value: float  #: the node's data
    upstream: float  #: the node's gradient (d root / d node) when backward reaches it
    input: str
    input_value: float
    formula: str  #: the local derivative rule from the op table (``""`` if the entry has none)
    local: float  #: d node / d input
    product: float  #: local * upstream, added to the input's gradient
    before: float  #: the input's gradient before this step
    after: float  #: ... and after it
    accumulated: bool  #: the input had been reached before (or held a gradient already)


def wrap_name(name: str) -> str:
    """A name fit to stand in ``d<name>`` or ``<name>.grad``: bracketed if it is an expression."""
    return name if name.replace("#", "").isidentifier() or name.lstrip("#").isdigit() else f"({name})"


def _number(x: float, precision: int) -> str:
    text = f"{x:.{precision}g}"
    return "0" if text == "-0" else text


class Explanation(Sequence[Step]):
    """The record of one ``backward``: a sequence of :class:`Step`.

    ``str()`` is an aligned text table, ``_repr_html_`` an HTML table and
    :meth:`to_markdown` a Markdown table; ``grads`` maps each leaf's name to its gradient.
    """

    def __init__(self, root: str, root_value: float, steps: List[Step], grads: Dict[str, float],
                 pairs: Sequence[Tuple[Value, Value]] = ()) -> None:
        self.root = root
        self.root_value = root_value
        self.steps = steps
        self.grads = grads
        self.pairs = list(pairs)  #: the (node, input) Values of each step, for drawings

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: Any) -> Any:
        return self.steps[i]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def rows(self, precision: int = 4) -> Tuple[List[str], List[List[str]]]:
        """The table's header and its rows as text (what every format shows)."""
        n = lambda x: _number(x, precision)  # noqa: E731 - a short local formatter
        header = ["step", "node", "value", "grad", "input", "rule", "local", "product", "input.grad"]
        rows = []
        for s in self.steps:
            node, inp = wrap_name(s.node), wrap_name(s.input)
            grad = (f"{inp}.grad = {n(s.before)} + {n(s.product)} = {n(s.after)}" if s.accumulated
                    else f"{inp}.grad = {n(s.after)}")
            rows.append([str(s.step), s.expression, n(s.value), n(s.upstream), f"{s.input} = {n(s.input_value)}",
                         s.formula or "(no formula)", f"d{node}/d{inp} = {n(s.local)}", n(s.product), grad])
        return header, rows

    def title(self, precision: int = 4) -> str:
        return f"backward from {self.root} = {_number(self.root_value, precision)}: {self.root}.grad = 1"

    def to_text(self, precision: int = 4) -> str:
        """An aligned plain-text table."""
        header, rows = self.rows(precision)
        widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header] + rows]
        return "\n".join([self.title(precision)] + lines)

    def to_markdown(self, precision: int = 4) -> str:
        """A Markdown (GitHub) table, preceded by the seed line."""
        header, rows = self.rows(precision)
        cell = lambda c: c.replace("|", "\\|")  # noqa: E731
        lines = ["| " + " | ".join(cell(c) for c in r) + " |" for r in [header] + rows]
        lines.insert(1, "|" + "|".join("---" for _ in header) + "|")
        return "\n".join([self.title(precision), ""] + lines)

    def _repr_html_(self) -> str:
        header, rows = self.rows()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
        return (f"<p>{html.escape(self.title())}</p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Explanation of backward from {self.root}: {len(self.steps)} steps>"


def local_derivatives(node: Value) -> List[Tuple[Value, float, str]]:
    """``(input, d node / d input, formula)`` for each Value input of an op node, in backward's order.

    The numbers are the engine's (:func:`microgradlab.chain.local_derivatives`);
    the formulas come from the op table entry.
    """
    if node.op is None:
        raise TypeError(f"explain: a hand-written node (Value(data, _children, _op)) has no op-table rule: {node!r}")
    formula = node.op.formula or ("",)
    if node.op.pairs:  # backward's order: w_0, x_0, w_1, x_1, ..., then the bias (input 1)
        texts = [t for w, x in zip(node._a, node._b)
                 for t, v in ((formula[0], w), (formula[-1], x)) if isinstance(v, Value)]
        weighted_sum = getattr(node.op.partials[0], "index", None) == 1  # dot: d/dw_i = x_i
        bias = "d/db (w · x + b) = 1" if weighted_sum else f"{formula[0]}, with x = 1 (a bias)"
        texts += [bias] * (len(node._a) > len(node._b) and isinstance(node._a[-1], Value))
    else:
        inputs = node.inputs
        texts = list(formula) if len(formula) == len(inputs) else [formula[0]] * len(inputs)
        texts = [t for v, t in zip(inputs, texts) if isinstance(v, Value)]
    return [(v, d, t) for (v, d), t in zip(engine_local_derivatives(node), texts)]


_times = SCALAR_MATH.zmul  # the engine's product: an exact zero on either side gives 0, even against inf or NaN


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


def explain(root: Value) -> Explanation:
    """Run ``root.backward()`` and return every chain-rule step it took, in its order.

    Leaves keep the gradients backward gives them (they accumulate, as with
    ``backward``).  Unlabelled nodes are named ``#1``, ``#2``, ... in forward order.

    Raises:
        TypeError: if ``root`` is not a Value.
        RuntimeError: if the recorded steps do not reproduce backward's gradients
            (a primitive whose ``partials`` disagree with its backward rule).
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain: expected a Value, got {root!r}")
    nodes = walk(root)
    names = node_names(nodes)
    leaves = [v for v in nodes if v.is_leaf]
    grads: Dict[int, float] = {id(v): 0.0 if v.grad is None else v.grad for v in leaves}  # None: as zero_grad
    if any(isinstance(g, Value) for g in grads.values()):
        raise TypeError("explain: leaves hold Value gradients (from create_graph); zero them first")
    root.backward()
    steps: List[Step] = []
    pairs: List[Tuple[Value, Value]] = []
    if root.is_leaf:
        return Explanation(names[id(root)], root.data, steps, {names[id(root)]: root.grad})
    order = topological_order(root, [])  # the order backward took; it uses the interior grads as marks
    for v in order:
        grads[id(v)] = 0.0
    grads[id(root)] = 1.0
    reached = {id(v) for v in leaves if grads[id(v)] != 0.0}
    for node in order:
        upstream = grads[id(node)]
        node.grad = upstream  # restore what backward left (the ordering pass used the slot)
        if upstream == 0.0:  # backward passes nothing on from a zero gradient
            continue
        expression = node_expression(node, names)
        for v, local, formula in local_derivatives(node):
            before = grads[id(v)]
            product = _times(local, upstream)
            after = before + product
            grads[id(v)] = after
            steps.append(Step(len(steps) + 1, names[id(node)], expression, node.data, upstream, names[id(v)],
                              v.data, formula, local, product, before, after, id(v) in reached))
            pairs.append((node, v))
            reached.add(id(v))
    for v in leaves:
        if not _same(v.grad, grads[id(v)]):
            raise RuntimeError(f"explain: backward gave {names[id(v)]}.grad = {v.grad!r} but the op table's "
                               f"partials give {grads[id(v)]!r}")
    return Explanation(names[id(root)], root.data, steps, {names[id(v)]: v.grad for v in leaves}, pairs)


def node_names(nodes: Sequence[Value]) -> Dict[int, str]:
    """``id(v) -> name``: each Value's label, or ``#k`` for the k-th Value of ``nodes`` (forward order)."""
    return {id(v): v.label or f"#{k}" for k, v in enumerate(nodes, 1)}


def node_expression(node: Value, names: Dict[int, str]) -> str:
    """``"n = x1w1 + b"``: the node's name and how it was computed (just the latter if they read the same)."""
    source = _source(node, names)
    return source if source.replace(" ", "") == names[id(node)].replace(" ", "") else f"{names[id(node)]} = {source}"


def _source(node: Value, names: Dict[int, str]) -> str:
    """The node's op applied to its inputs' names, e.g. ``x1w1 + x2w2``."""
    def text(items: Sequence[Any]) -> List[str]:
        return [names[id(v)] if isinstance(v, Value) else repr(v) for v in items]

    if node.op.pairs:  # two slots: the weights (and bias) and the inputs
        return node.op.format(", ".join(text(node._a)), ", ".join(text(node._b)))
    if node.op.arity == 0:
        return node.op.format(", ".join(text(node.inputs)))
    return node.op.format(*text(node.inputs))


def _value_explain(self: Value) -> Explanation:
    """Run backward and return the chain rule step by step (:func:`microgradlab.explain`)."""
    return explain(self)


Value.explain = _value_explain  # attached here so that the engine imports nothing above it
