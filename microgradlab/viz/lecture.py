"""The lecture's pictures: :func:`draw_dot` and a neuron's ``dot`` node as its ``*`` and ``+`` chain.

:func:`draw_dot` draws what the lecture ("the spelled-out intro to neural
networks and backpropagation") and micrograd's ``trace_graph.ipynb`` draw: one
record per Value (``label | data | grad``) and one small node per operation,
named by the Value's ``_op`` (``+``, ``*``, ``tanh``, ``**2``, ``ReLU`` ...).
It draws microgradlab Values (constants in their inputs are drawn as records
with their data), :mod:`microgradlab.micrograd` Values and anything else
with micrograd's ``data``/``grad``/``_prev``/``_op``.

:func:`expand_dots` rewrites a graph so that each ``dot`` node (the single
node in which :mod:`microgradlab.nn` computes a neuron's ``w · x + b``) becomes
the lecture's chain ``w1*x1``, ``w1*x1 + w2*x2``, ..., ``+ b``, each step
with its data and its gradient (every step's gradient is the ``dot``'s, as
each enters the sum with coefficient 1).

>>> from microgradlab import Parameter, Value, dot
>>> x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
>>> w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
>>> n = dot([w1, w2], [x1, x2], Parameter(6.8813735870195432, label="b"))
>>> n.label = "n"
>>> o = n.tanh(); o.label = "o"
>>> o.backward()
>>> [(v.label, round(v.data, 4), round(v.grad, 4)) for v in walk(expand_dots(o)) if not v.is_leaf]
[('w1*x1', -6.0, 0.5), ('w2*x2', 0.0, 0.5), ('w1*x1 + w2*x2', -6.0, 0.5), ('n', 0.8814, 0.5), ('o', 0.7071, 1.0)]
>>> print(draw_dot(o).source)  # doctest: +ELLIPSIS
digraph {
	graph [rankdir=LR]
	v0 [label="{ w1 | data -3.0000 | grad 1.0000 }" shape=record]
...
	v5 [label="{ n | data 0.8814 | grad 0.5000 }" shape=record]
	v5_op [label=dot]
...
	v6_op [label=tanh]
...
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Sequence, Tuple, Union

from ..engine import Value, apply, enable_grad, walk
from .digraph import RANKDIRS, Digraph
from .traverse import GraphTooLargeError

__all__ = ["draw_dot", "expand_dots"]

_MAX_SUM_LABEL = 40  # longer partial-sum labels ("w1*x1 + w2*x2 + ...") are left off


# --- expand_dots ---------------------------------------------------------------------


def _term_label(a: Any, b: Any) -> str:
    la, lb = (v.label if isinstance(v, Value) else "" for v in (a, b))
    return f"{la}*{lb}" if la and lb else ""


def _chain(node: Value, inputs: Sequence[Any]) -> Value:
    """``node`` (a ``dot``) rebuilt from ``inputs`` as products added one by one, in its order of additions."""
    half = len(inputs) // 2  # weights (and bias) then inputs (and the bias's constant 1)
    pairs = list(zip(inputs[:half], inputs[half:]))
    bias = pairs.pop()[0] if pairs and inputs[-1].__class__ is float and inputs[-1] == 1.0 else None
    if not pairs or any(not isinstance(w, Value) and not isinstance(x, Value) for w, x in pairs):
        return apply(node.op, list(inputs[:half]), list(inputs[half:]))  # nothing to write out as a chain
    total: Any = None
    for w, x in pairs:
        term = w * x
        term.label = _term_label(w, x)
        term.grad = node.grad  # d dot / d term = 1
        if total is None:
            total = term
            continue
        label = f"{total.label} + {term.label}" if total.label and term.label else ""
        total = total + term
        total.label = label if len(label) <= _MAX_SUM_LABEL else ""
        total.grad = node.grad
    return total if bias is None else total + bias


def expand_dots(roots: Union[Value, Iterable[Value]]) -> Any:
    """The graph of ``roots`` with every ``dot`` node written out as its ``*`` and ``+`` chain.

    Returns the new root (or a list of them, for a list of roots).  Leaves are
    the original Values; nodes above a ``dot`` are rebuilt on the chains, with the
    same data, labels and gradients, so drawing the result (with
    :func:`draw_dot` or :func:`~microgradlab.viz.to_dot`) shows the lecture's
    view of every neuron.  The original graph is not changed.
    """
    single = isinstance(roots, Value)
    root_list = [roots] if single else list(roots)
    new: Dict[int, Any] = {}
    with enable_grad():
        for node in walk(root_list):
            if node.is_leaf:
                continue
            inputs = [new.get(id(v), v) if isinstance(v, Value) else v for v in node.inputs]
            if node.op is not None and node.op.name == "dot":
                out = _chain(node, inputs)
            elif node.op is None or all(a is b for a, b in zip(inputs, node.inputs)):
                continue  # nothing below it changed, or a hand-written node (its _backward is the user's): keep it
            elif node.op.arity == 0:
                out = apply(node.op, inputs)
            else:
                out = apply(node.op, *inputs)
            out.label, out.grad = node.label, node.grad
            new[id(node)] = out
    result = [new.get(id(r), r) for r in root_list]
    return result[0] if single else result


# --- draw_dot --------------------------------------------------------------------------


def _record_text(s: str) -> str:
    """``s`` as text in a Graphviz record field: braces, bars, angle brackets and backslashes are inert."""
    for ch in "\\{}|<>\"":
        s = s.replace(ch, "\\" + ch)
    return s.replace("\n", "\\n")


def _number(x: Any) -> str:
    if x is None:  # a gradient not computed yet
        return "None"
    x = x.data if isinstance(x, Value) else x  # a create_graph gradient
    return "%.4f" % x


def _children(v: Any) -> Tuple[Any, ...]:
    """A node's inputs: microgradlab's in operand order (numbers included), else micrograd's ``_prev``."""
    if isinstance(v, Value):
        return v.inputs
    return tuple(v._prev)


def draw_dot(root: Any, format: str = "svg", rankdir: str = "LR", *, expand: bool = False,
             max_nodes: int = 2000) -> Digraph:
    """The lecture's drawing of the graph below ``root``: a :class:`graphviz.Digraph`.

    Args:
        root: a microgradlab Value, a :mod:`microgradlab.micrograd` Value, or any
            object with micrograd's ``data``, ``grad``, ``_prev`` and ``_op``.
        format: the output format of ``.render()`` and ``.pipe()`` (``"svg"``, ``"png"``, ...).
        rankdir: ``"LR"`` (inputs on the left), ``"TB"``, ``"RL"`` or ``"BT"``.
        expand: draw each ``dot`` node as its ``*`` and ``+`` chain (see :func:`expand_dots`).
        max_nodes: the most Values to draw; a larger graph is a
            :class:`~microgradlab.viz.GraphTooLargeError` (Graphviz would take minutes).

    The result's ``.render()``, ``.pipe()``, ``.view()`` and Jupyter display work
    with the system's ``dot`` or ``graphviz-pure``, whichever is installed
    (see :class:`microgradlab.digraph.Digraph`).  Each record shows the Value's
    ``label`` (when it has that attribute), ``data`` and ``grad`` to 4 decimals;
    a number among a microgradlab node's inputs is a record with its data only.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if expand and isinstance(root, Value):
        root = expand_dots(root)
    graph = Digraph(format=format, graph_attr={"rankdir": rankdir})
    order = _postorder(root, max_nodes)
    ids = {id(v): f"v{i}" for i, v in enumerate(order)}
    constants = 0
    for v in order:
        node_id = ids[id(v)]
        fields = [f"data {_number(v.data)}", f"grad {_number(v.grad)}"]
        if hasattr(v, "label"):
            fields.insert(0, _record_text(str(v.label)))
        graph.node(node_id, label="{ " + " | ".join(fields) + " }", shape="record")
        children = _children(v)
        if not children:
            continue
        op_id = f"{node_id}_op"
        graph.node(op_id, label=_record_text(v._op))
        graph.edge(op_id, node_id)
        for child in children:
            if isinstance(child, float):
                child_id, constants = f"c{constants}", constants + 1
                graph.node(child_id, label="{ data %.4f }" % child, shape="record", fontcolor="#555555")
            else:
                child_id = ids[id(child)]
            graph.edge(child_id, op_id)
    return graph


def _postorder(root: Any, limit: int) -> List[Any]:
    """Every Value below ``root`` (numbers aside), each after its children (:func:`microgradlab.graph.walk`)."""
    count = 0

    def tally(v: Any) -> None:
        nonlocal count
        count += 1
        if count > limit:
            raise GraphTooLargeError(
                f"draw_dot: the graph has more than max_nodes={limit} Values; draw a smaller one "
                "(one sample's output), use microgradlab.viz.to_dot(..., collapse='neuron'), "
                "or pass a larger max_nodes")

    return walk(root, children=_children, on_visit=tally)
