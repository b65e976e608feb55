"""How an application of an op of the table is written as source text, read from its ``template``.

The one place where printing (the test strategies' ``DrawnExpression.source``)
and parsing (:mod:`microgradlab.expr`) agree, so that a printed expression
parses back to the same graph.  Unary and binary ops print with their
template (``x * y``, ``tanh(x)``); an n-ary op is a call with one bracketed
list per argument group -- ``vsum([x, y])`` for ``sum``, whose template says
so, ``dot([w1, w2], [x1, x2], b)`` with an optional bias last (the bias
argument of :func:`microgradlab.apply`), and ``mysum([x, y])``, by its name,
for an op whose template shows no group.
"""

from __future__ import annotations

import ast
import functools
from typing import Dict, List, Optional, Sequence, Union

from . import ops

__all__ = ["call_name", "nary_functions", "call_example", "application_text"]


@functools.lru_cache(maxsize=256)
def _callee(template: str, groups: int, name: str) -> Optional[str]:
    """The function a template calls on its groups, each in brackets (``vsum`` for ``vsum([{0}])``);
    ``name`` if the template shows no group (``mysum(...)``); None if it writes them some other way."""
    marks = [f"__group{g}__" for g in range(groups)]
    text = template.format(*marks)
    if not any(mark in text for mark in marks):
        return name
    try:
        call = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and not call.keywords
            and len(call.args) == groups):
        return None
    for arg, mark in zip(call.args, marks):
        if not (isinstance(arg, ast.List) and len(arg.elts) == 1 and isinstance(arg.elts[0], ast.Name)
                and arg.elts[0].id == mark):
            return None
    return call.func.id


def call_name(prim: ops.Primitive) -> Optional[str]:
    """The function name an application of the n-ary ``prim`` is written with, or None if it is no call.

    >>> call_name(ops.get("sum")), call_name(ops.get("dot"))
    ('vsum', 'dot')
    """
    return _callee(prim.template, len(prim.partials), prim.name)


def nary_functions() -> Dict[str, ops.Primitive]:
    """Function name -> n-ary op, for every n-ary op of the table written as a call (first one wins)."""
    found: Dict[str, ops.Primitive] = {}
    for prim in ops.PRIMITIVES.values():
        name = call_name(prim) if prim.arity == 0 else None
        if name is not None:
            found.setdefault(name, prim)
    return found


def call_example(name: str, prim: ops.Primitive) -> str:
    """A sample call of the n-ary ``prim`` written as ``name``, for error messages."""
    return f"{name}([w1, w2], [x1, x2])" if prim.pairs else f"{name}([x, y, z])"


def application_text(prim: ops.Primitive, *args: Union[str, Sequence[str]], bias: Optional[str] = None) -> str:
    """Source text of ``prim`` applied to arguments already written as text.

    For an n-ary op each argument is one group, a sequence of item texts, and
    an op over pairs may take a ``bias`` text.

    >>> application_text(ops.get("mul"), "x", "y")
    'x * y'
    >>> application_text(ops.get("dot"), ["w1", "w2"], ["x1", "x2"], bias="b")
    'dot([w1, w2], [x1, x2], b)'
    """
    if prim.arity:
        return prim.format(*args)
    groups: List[List[str]] = [list(group) for group in args]
    name = call_name(prim)
    if name is None:  # a template that is not a call: the bias is the weights' last item, as ops has it
        if bias is not None:
            groups[0].append(bias)
        return prim.format(*(", ".join(group) for group in groups))
    written = [f"[{', '.join(group)}]" for group in groups] + ([] if bias is None else [bias])
    return f"{name}({', '.join(written)})"
