"""Parse arithmetic expressions such as ``"tanh(w1*x1 + w2*x2 + b)"`` into Value graphs, safely.

The text is parsed with Python's :mod:`ast` and only a whitelist is accepted:
names (variables), numbers, ``+ - * / **``, unary ``-``/``+``, parentheses and
calls, by name, of the op table's functions with one or two inputs (``tanh``,
``exp``, ``log``, ``relu``, ``sigmoid``, ``leaky_relu(x, 0.1)`` ..., and any op
added with :func:`microgradlab.ops.define`).  N-ary ops take their argument
groups in brackets, as their templates print them: ``vsum([x, y, z])``,
``logsumexp([a, b])``, ``dot([w1, w2], [x1, x2], b)`` (a bias last, as in
:func:`microgradlab.dot`), and an op defined with ``arity=0`` by its name,
``mysum([x, y])``.  Anything else -- attribute access, subscripts, lists
outside such a call, keyword arguments, comparisons, strings, lambdas -- is an
:class:`ExpressionError` naming it.  Nothing is ever passed to ``eval``.

>>> e = parse("tanh(w*x + b)")
>>> e.names
('w', 'x', 'b')
>>> out = e.evaluate({"w": 0.5, "x": 2.0, "b": 0.0})
>>> round(out.data, 6)
0.761594

Variables given as floats become leaves labelled with their names; give
Values instead to keep hold of the leaves (for their gradients):

>>> from microgradlab import Value
>>> x = Value(3.0, label="x")
>>> y = parse("x**2 + 2*x").evaluate({"x": x})
>>> y.backward(); x.grad
8.0
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Tuple, Union

from . import ops
from .engine import Value, apply
from .notation import call_example, call_name, nary_functions

__all__ = ["ExpressionError", "Expression", "parse", "parse_bindings", "MAX_LENGTH", "MAX_DEPTH"]

#: Longest expression text accepted, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of operations accepted (``a + b + c`` nests two deep).
MAX_DEPTH = 100

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}

# What the rejected syntax is called in error messages.
_DESCRIBED = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'", ast.IfExp: "conditional expressions", ast.Lambda: "lambda",
    ast.Tuple: "tuples", ast.List: "lists", ast.Dict: "dicts", ast.Set: "sets",
    ast.Starred: "starred arguments", ast.NamedExpr: "assignment expressions (:=)",
    ast.JoinedStr: "f-strings", ast.ListComp: "comprehensions", ast.GeneratorExp: "generator expressions",
    ast.Await: "await", ast.Yield: "yield", ast.Slice: "slices",
    ast.FloorDiv: "the operator //", ast.Mod: "the operator %", ast.MatMult: "the operator @",
    ast.LShift: "the operator <<", ast.RShift: "the operator >>", ast.BitAnd: "the operator &",
    ast.BitOr: "the operator |", ast.BitXor: "the operator ^", ast.Invert: "the operator ~", ast.Not: "'not'",
}


class ExpressionError(ValueError):
    """An expression or a set of variable values that cannot be used; the message says why."""


def _where(node: ast.AST) -> str:
    line = f"line {node.lineno}, " if node.lineno > 1 else ""
    return f" at {line}column {node.col_offset + 1}"


#: What to write instead of a rejected operator that people mean as something else.
_INSTEAD = {ast.BitXor: "use ** for powers, e.g. x**2"}


def _operator_at(node: ast.AST, text: str) -> ast.AST:
    """A node placed at ``node``'s operator: between its operands for a binary operation."""
    where = ast.Constant(None)
    where.lineno, where.col_offset = node.lineno, node.col_offset
    if isinstance(node, ast.BinOp) and node.left.end_lineno == node.lineno == 1:
        between = text[node.left.end_col_offset:node.right.col_offset]
        symbol = _DESCRIBED[type(node.op)].rsplit(" ", 1)[-1] if type(node.op) in _DESCRIBED else ""
        if symbol and symbol in between:
            where.col_offset = node.left.end_col_offset + between.index(symbol)
    return where


def _reject(node: ast.AST, part: ast.AST, text: str = "") -> ExpressionError:
    """The error for ``part`` (a node or an operator) of ``node``, which is not on the whitelist."""
    what = _DESCRIBED.get(type(part))
    if what is None and isinstance(part, ast.Constant):
        what = f"{type(part.value).__name__} constants ({part.value!r})"
    what = what or f"{type(part).__name__} syntax"
    noun = what.split(" (")[0]
    verb = "are" if noun.endswith("s") and not noun.endswith("ss") and not noun.startswith("the ") else "is"
    instead = _INSTEAD.get(type(part), "use numbers, variable names, + - * / **, parentheses and op-table "
                                       "functions such as tanh(x)")
    at = _operator_at(node, text) if part is not node else node
    return ExpressionError(f"{what} {verb} not allowed{_where(at)}: {instead}")


def _written_otherwise(prim: ops.Primitive, node: ast.AST) -> ExpressionError:
    """``sum``: an n-ary op whose template writes it under another name (``vsum``), or not as a call."""
    name = call_name(prim)
    instead = f", or {call_example(name, prim)}" if name is not None else ""
    return ExpressionError(f"{prim.name}() takes a list of values, which expressions cannot write{_where(node)}; "
                           f"write the terms out, e.g. x + y + z{instead}")


def _function(node: ast.Call) -> ops.Primitive:
    """The op-table primitive a call names, checked for arity and argument style."""
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(f"only functions called by name are allowed{_where(node)}, e.g. tanh(x)")
    name = node.func.id
    prim = ops.PRIMITIVES.get(name)
    if prim is None or prim.arity == 0:
        nary = nary_functions().get(name)
        if nary is not None:
            _check_groups(name, nary, node)
            return nary
    if prim is not None and prim.arity == 0:
        raise _written_otherwise(prim, node)
    if prim is None:
        known = ", ".join(sorted([n for n, p in ops.PRIMITIVES.items() if p.arity in (1, 2)]
                                 + list(nary_functions())))
        raise ExpressionError(f"unknown function {name!r}{_where(node)}; known functions: {known}")
    if node.keywords:
        raise ExpressionError(f"{name}() takes no keyword arguments{_where(node)}")
    if len(node.args) != prim.arity:
        raise ExpressionError(f"{name}() takes {prim.arity} argument{'s' * (prim.arity > 1)}, "
                              f"got {len(node.args)}{_where(node)}")
    return prim


def _check_groups(name: str, prim: ops.Primitive, node: ast.Call) -> None:
    """An n-ary call: one bracketed list per argument group, and for pairs an optional bias."""
    groups = len(prim.partials)
    lists = node.args[:groups]
    shape_ok = (not node.keywords and len(lists) == groups and all(isinstance(a, ast.List) for a in lists)
                and not any(isinstance(a, ast.List) for a in node.args[groups:])
                and len(node.args) <= groups + prim.pairs)
    if not shape_ok:
        what = "two lists in brackets and an optional bias" if prim.pairs else "one list in brackets"
        raise ExpressionError(f"{name}() takes {what}{_where(node)}, e.g. {call_example(name, prim)}")
    if prim.pairs and len(lists[0].elts) != len(lists[1].elts):
        raise ExpressionError(f"{name}() pairs each weight with an input{_where(node)}, got "
                              f"{len(lists[0].elts)} weight(s) and {len(lists[1].elts)} input(s)")


def _arguments(node: ast.Call, prim: ops.Primitive) -> List[ast.AST]:
    """The expressions a call's arguments are made of: each list item of an n-ary call, then its bias."""
    if prim.arity:
        return list(node.args)
    groups = len(prim.partials)
    return [item for arg in node.args[:groups] for item in arg.elts] + list(node.args[groups:])


def _validate(tree: ast.Expression, text: str) -> Tuple[str, ...]:
    """Check every node against the whitelist and return the variable names in order of appearance.

    Iterative, so the depth check itself cannot overflow the stack.
    """
    names: Dict[str, None] = {}
    stack: List[Tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested more than {MAX_DEPTH} deep")
        if isinstance(node, ast.Name):
            _check_variable(node)
            names[node.id] = None
            continue
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                raise _reject(node, node)
            _to_float(node.value, node)
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            children = [node.operand]
        elif isinstance(node, ast.Call):
            children = _arguments(node, _function(node))
        else:
            raise _reject(node, node.op if isinstance(node, (ast.BinOp, ast.UnaryOp)) else node, text)
        stack.extend((child, depth + 1) for child in reversed(children))  # left first: source order
    return tuple(names)


def _check_variable(node: ast.Name) -> None:
    """A variable must not be named like a function of the table."""
    prim, nary = ops.PRIMITIVES.get(node.id), nary_functions().get(node.id)
    if prim is not None and prim.arity in (1, 2):
        example = f"{node.id}(x)" if prim.arity == 1 else f"{node.id}(x, 0.1)"
    elif nary is not None:
        example = call_example(node.id, nary)
    elif prim is not None:
        raise _written_otherwise(prim, node)
    else:
        return
    raise ExpressionError(f"{node.id!r} is a function{_where(node)}; call it, e.g. {example}")


Operand = Union[Value, float]


@dataclass(frozen=True)
class Expression:
    """A parsed, validated expression; :meth:`evaluate` builds its graph.

    Attributes:
        text: the source text.
        names: the variables, in order of first appearance.
    """

    text: str
    names: Tuple[str, ...]
    _tree: ast.Expression = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Union[float, Value]]) -> Value:
        """Build the graph of this expression for the given variable values.

        A float becomes a leaf labelled with the variable's name; a Value is
        used as it is.  Operations on numbers alone are computed right away,
        so the graph holds only nodes that depend on a variable.  Raises
        :class:`ExpressionError` for missing variables, and the engine's
        ``ValueError``/``ArithmeticError`` for inputs outside an op's domain
        (``log(0.0): log needs a positive input``).
        """
        missing = [n for n in self.names if n not in values]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)} in {self.text!r}")
        leaves = {n: _leaf(n, values[n]) for n in self.names}
        result = self._build(self._tree.body, leaves)
        return result if isinstance(result, Value) else Value(result)

    def _build(self, node: ast.AST, leaves: Dict[str, Value]) -> Operand:
        # Recursion is bounded by MAX_DEPTH, checked when parsing.
        if isinstance(node, ast.Name):
            return leaves[node.id]
        if isinstance(node, ast.Constant):
            return _to_float(node.value, node)
        if isinstance(node, ast.UnaryOp):
            operand = self._build(node.operand, leaves)
            if isinstance(node.op, ast.UAdd):
                return operand
            return _apply(ops.get("neg"), operand)
        if isinstance(node, ast.BinOp):
            return _apply(ops.get(_BINARY[type(node.op)]), self._build(node.left, leaves),
                          self._build(node.right, leaves))
        assert isinstance(node, ast.Call)
        prim = _function(node)
        if prim.arity:
            return _apply(prim, *(self._build(a, leaves) for a in node.args))
        groups = [[self._build(item, leaves) for item in arg.elts] for arg in node.args[:len(prim.partials)]]
        bias = [self._build(a, leaves) for a in node.args[len(prim.partials):]]
        return _apply(prim, *groups, *bias)


def _leaf(name: str, value: Union[float, Value]) -> Value:
    if isinstance(value, Value):
        return value
    try:
        return Value(value, label=name)
    except TypeError:
        raise ExpressionError(f"the value of {name} must be a number, got {value!r}") from None


def _to_float(value: Union[int, float], node: ast.AST) -> float:
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):  # 1e400 parses as inf
        raise ExpressionError(f"number too large for a float{_where(node)}")
    return x


def _apply(prim: ops.Primitive, *args: Union[Operand, List[Operand]]) -> Operand:
    """Apply ``prim``; on numbers alone the result stays a number (no graph node)."""
    out = apply(prim, *args)
    operands = (v for a in args for v in (a if isinstance(a, list) else [a]))
    return out if any(isinstance(v, Value) for v in operands) else out.data


def _check_parentheses(text: str) -> None:
    """Refuse parentheses nested deeper than :data:`MAX_DEPTH` before Python's parser meets its own limits
    (which differ between CPython and PyPy)."""
    depth = 0
    for column, char in enumerate(text, 1):
        depth += (char == "(") - (char == ")")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"parentheses nested more than {MAX_DEPTH} deep at column {column}")


def parse(text: str) -> Expression:
    """Parse and validate ``text``; :class:`ExpressionError` says what is wrong and where.

    >>> parse("x.__class__")
    Traceback (most recent call last):
    ...
    microgradlab.expr.ExpressionError: attribute access is not allowed at column 1: use numbers, ...
    >>> parse("x^2")
    Traceback (most recent call last):
    ...
    microgradlab.expr.ExpressionError: the operator ^ is not allowed at column 2: use ** for powers, e.g. x**2
    >>> parse("exp(x, y)")
    Traceback (most recent call last):
    ...
    microgradlab.expr.ExpressionError: exp() takes 1 argument, got 2 at column 1
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a str, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    bad = next((i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff"), None)
    if bad is not None:  # a byte that was not UTF-8, kept by the command line as a lone surrogate
        raise ExpressionError(f"the expression is not valid text at column {bad + 1} (a byte that is not UTF-8)")
    _check_parentheses(text)
    source = text.lstrip(" \t")  # eval mode rejects leading spaces as an indent
    shift = len(text) - len(source)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        column = f" at column {exc.offset + shift}" if exc.offset and exc.lineno == 1 else ""
        detail = "" if exc.msg == "invalid syntax" else f": {exc.msg}"
        raise ExpressionError(f"invalid syntax{column}{detail}") from None
    except (RecursionError, MemoryError, ValueError) as exc:  # the parser's own limits
        raise ExpressionError(f"expression cannot be parsed: {type(exc).__name__}: {exc}") from None
    for node in ast.walk(tree):  # columns as in the text given
        if isinstance(node, ast.expr) and node.lineno == 1:
            node.col_offset += shift
        if isinstance(node, ast.expr) and node.end_lineno == 1:
            node.end_col_offset = (node.end_col_offset or 0) + shift
    return Expression(text, _validate(tree, text), tree)


def parse_bindings(text: str) -> Dict[str, float]:
    """Parse variable values written as ``"x1=2,x2=0,w1=-3"`` (spaces allowed).

    >>> parse_bindings("x1=2, w1=-3.5")
    {'x1': 2.0, 'w1': -3.5}
    """
    values: Dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, number = (s.strip() for s in part.partition("="))
        if not sep or not name.isidentifier():
            raise ExpressionError(f"expected name=number, got {part.strip()!r}")
        if name in values:
            raise ExpressionError(f"{name} is given twice")
        try:
            values[name] = float(number)
        except ValueError:
            raise ExpressionError(f"the value of {name} must be a number, got {number!r}") from None
        if not math.isfinite(values[name]):
            raise ExpressionError(f"the value of {name} must be finite, got {number!r}")
    return values
