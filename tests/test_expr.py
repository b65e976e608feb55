"""The safe expression parser: what it accepts builds the same graph as Python code would; the rest is refused."""

from __future__ import annotations

import ast
import builtins
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradlab import Value, dot, logsumexp, ops, vsum
from microgradlab.expr import MAX_DEPTH, MAX_LENGTH, ExpressionError, parse, parse_bindings
from microgradlab.gradcheck import gradcheck
from microgradlab.testing import expressions

UNARY_AND_BINARY = sorted(name for name, p in ops.PRIMITIVES.items() if p.arity in (1, 2))


# --- what it accepts --------------------------------------------------------------------


def test_karpathy_neuron():
    e = parse("tanh(w1*x1 + w2*x2 + b)")
    assert e.names == ("w1", "x1", "w2", "x2", "b")
    leaves = {"x1": Value(2.0), "x2": Value(0.0), "w1": Value(-3.0), "w2": Value(1.0), "b": Value(6.8813735870195432)}
    out = e.evaluate(leaves)
    out.backward()
    n = 2.0 * -3.0 + 6.8813735870195432
    assert out.data == math.tanh(n)
    do_dn = 1.0 - math.tanh(n) ** 2
    assert leaves["x1"].grad == pytest.approx(-3.0 * do_dn, rel=1e-15)
    assert leaves["w1"].grad == pytest.approx(2.0 * do_dn, rel=1e-15)
    assert leaves["w2"].grad == 0.0


@given(expressions(ops=UNARY_AND_BINARY, max_depth=3, n_inputs=st.integers(1, 3)))
def test_parsing_an_expressions_text_builds_the_same_graph(expr):
    """The source text of a drawn expression, parsed and evaluated, gives the values and
    gradients of the expression built directly from the op table."""
    direct = [Value(x) for x in expr.point]
    expected = expr(*direct)
    expected.backward()
    parsed_leaves = [Value(x) for x in expr.point]
    got = parse(expr.source).evaluate({f"x{i}": v for i, v in enumerate(parsed_leaves)})
    got.backward()
    # The same primitives on the same floats; only constant folding (a number-only
    # subexpression computed as a float rather than a node) may reorder nothing else,
    # so the results agree to the last bit but for sums of gradients in another order.
    assert got.data == pytest.approx(expected.data, rel=1e-12, abs=1e-300)
    for mine, theirs in zip(parsed_leaves, direct):
        assert mine.grad == pytest.approx(theirs.grad, rel=1e-12, abs=1e-12)


def test_names_in_order_of_first_appearance():
    assert parse("c * (b + a) - exp(c) + d ** a").names == ("c", "b", "a", "d")


@pytest.mark.parametrize("text, value", [
    ("2 + 3 * 4", 14.0),
    ("2 ** 3 ** 2", 512.0),  # right-associative, as in Python
    ("-2 ** 2", -4.0),  # unary minus binds looser than **, as in Python
    ("(1 - 4) / 2", -1.5),
    ("+3", 3.0),
    ("sqrt(16) + abs(-2)", 6.0),
    ("leaky_relu(-2, 0.25)", -0.5),
    ("1_000 * 2", 2000.0),
])
def test_numbers_follow_python_arithmetic(text, value):
    out = parse(text).evaluate({})
    assert out.data == value and out.is_leaf  # numbers alone are computed, not recorded


def test_operations_on_numbers_alone_are_folded():
    x = Value(1.5, label="x")
    out = parse("x * (2 * 3) - -1").evaluate({"x": x})
    assert out.op.name == "sub" and out.inputs[1] == -1.0
    product = out.inputs[0]
    assert product.op.name == "mul" and product.inputs == (x, 6.0)


def test_floats_become_labelled_leaves_shared_by_every_use():
    out = parse("x * x + y").evaluate({"x": 3.0, "y": 1.0})
    product, y = out.inputs
    a, b = product.inputs
    assert a is b and a.label == "x" and y.label == "y"
    out.backward()
    assert a.grad == 6.0


def test_a_user_defined_op_is_callable_by_name():
    name = "cube_for_test_expr"
    ops.define(name, lambda x: x ** 3, (lambda m, x, out: 3.0 * x * x,))
    try:
        x = Value(2.0)
        out = parse(f"{name}(x) + 1").evaluate({"x": x})
        out.backward()
        assert (out.data, x.grad) == (9.0, 12.0)
    finally:
        ops.undefine(name)


def test_never_runs_code(monkeypatch):
    """No eval or exec, and compile only to an AST (which is how ast.parse works)."""
    compile_ = builtins.compile

    def forbidden(*args, **kwargs):
        raise AssertionError("code was run")

    def ast_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("code was compiled")
        return compile_(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", ast_only)
    assert parse("exp(x) * 2").evaluate({"x": 0.0}).data == 2.0
    with pytest.raises(ExpressionError):
        parse("__import__('os').system('echo hacked')")


# --- n-ary ops: argument groups in brackets, as their templates print them -------------------


@given(expressions(max_depth=3, n_inputs=st.integers(1, 3)))
def test_every_op_of_the_table_prints_and_parses_back(expr):
    """N-ary ops too (vsum, logsumexp, dot with and without a bias): the printed text builds the same graph."""
    direct = [Value(x) for x in expr.point]
    expected = expr(*direct)
    expected.backward()
    leaves = [Value(x) for x in expr.point]
    got = parse(expr.source).evaluate({f"x{i}": v for i, v in enumerate(leaves)})
    got.backward()
    assert got.data == pytest.approx(expected.data, rel=1e-12, abs=1e-300)
    for mine, theirs in zip(leaves, direct):
        assert mine.grad == pytest.approx(theirs.grad, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("text, build", [
    ("vsum([x, y, 2])", lambda x, y: vsum([x, y, 2.0])),
    ("logsumexp([x, y * y])", lambda x, y: logsumexp([x, y * y])),
    ("dot([x, y], [y, 3])", lambda x, y: dot([x, y], [y, 3.0])),
    ("dot([x, y], [y, 3], tanh(x))", lambda x, y: dot([x, y], [y, 3.0], x.tanh())),
    ("vsum([]) + x", lambda x, y: vsum([]) + x),
])
def test_nary_calls_build_what_the_python_api_builds(text, build):
    x, y = Value(0.5), Value(-1.5)
    out = parse(text).evaluate({"x": x, "y": y})
    out.backward()
    a, b = Value(0.5), Value(-1.5)
    want = build(a, b)
    want.backward()
    assert (out.data, x.grad, y.grad) == (want.data, a.grad, b.grad)
    assert out.op.name == want.op.name


def test_nary_calls_on_numbers_alone_are_folded():
    out = parse("x * vsum([1, 2.5])").evaluate({"x": 2.0})
    assert out.op.name == "mul" and out.inputs[1] == 3.5


@pytest.mark.parametrize("text, message", [
    ("vsum(x)", "vsum() takes one list in brackets at column 1, e.g. vsum([x, y, z])"),
    ("vsum([x], [y])", "vsum() takes one list in brackets"),
    ("vsum(xs=[x])", "vsum() takes one list in brackets"),
    ("dot([x], y)", "dot() takes two lists in brackets and an optional bias at column 1"),
    ("dot([x], [y], [z])", "dot() takes two lists in brackets and an optional bias"),
    ("dot([x], [y], z, w)", "dot() takes two lists in brackets and an optional bias"),
    ("dot([x, y], [z])", "dot() pairs each weight with an input at column 1, got 2 weight(s) and 1 input(s)"),
    ("vsum([[x]])", "lists are not allowed at column 7"),
    ("vsum([*x])", "starred arguments are not allowed"),
    ("vsum + 1", "'vsum' is a function at column 1; call it, e.g. vsum([x, y, z])"),
    ("2 * dot", "'dot' is a function at column 5; call it, e.g. dot([w1, w2], [x1, x2])"),
    ("sum([x, y])", "sum() takes a list of values, which expressions cannot write at column 1; write the terms "
                    "out, e.g. x + y + z, or vsum([x, y, z])"),
])
def test_nary_calls_are_checked(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert message in str(caught.value)


def test_user_nary_ops_are_callable_by_name(define):
    """An op defined with arity=0 and the default template, one argument group or two."""
    define("sumsq_for_test_expr", lambda xs: math.fsum(x * x for x in xs), (lambda m, x, out: 2.0 * x,), arity=0)
    define("wsq_for_test_expr",
           lambda ws, xs: math.fsum(w * x * x for w, x in zip(ws, xs)) + (ws[-1] if len(ws) > len(xs) else 0.0),
           (lambda m, w, x, out: x * x, lambda m, w, x, out: 2.0 * w * x), arity=0)
    x, y = Value(2.0), Value(-0.5)
    out = parse("sumsq_for_test_expr([x, y, 1]) + wsq_for_test_expr([x, y], [y, x], 0.25)").evaluate(
        {"x": x, "y": y})
    out.backward()
    assert out.data == 2.0 ** 2 + 0.5 ** 2 + 1.0 + (2.0 * 0.25 - 0.5 * 4.0 + 0.25)
    assert (x.grad, y.grad) == (2.0 * 2.0 + 0.25 + 2.0 * -0.5 * 2.0, 2.0 * -0.5 + 4.0 + 2.0 * 2.0 * -0.5)
    with pytest.raises(ExpressionError, match=r"wsq_for_test_expr\(\) pairs each weight with an input"):
        parse("wsq_for_test_expr([x], [x, y])")
    f = parse("tanh(sumsq_for_test_expr([x, y])) * wsq_for_test_expr([x], [y], x)")
    assert gradcheck(lambda a, b: f.evaluate({"x": a, "y": b}), [0.5, 1.5])


# --- what it refuses ------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("x.real", "attribute access is not allowed at column 1"),
    ("exp(x).real", "attribute access is not allowed"),
    ("x[0]", "subscripts are not allowed at column 1"),
    ("x < 1", "comparisons are not allowed"),
    ("x and y", "'and'/'or' is not allowed"),
    ("not x", "'not' is not allowed"),
    ("x if y else z", "conditional expressions are not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("(x, y)", "tuples are not allowed"),
    ("[x]", "lists are not allowed"),
    ("{1: 2}", "dicts are not allowed"),
    ("'text'", "str constants ('text') are not allowed"),
    ("True * x", "bool constants (True) are not allowed"),
    ("1j * x", "complex constants (1j) are not allowed"),
    ("None", "NoneType constants (None) are not allowed"),
    ("f'{x}'", "f-strings are not allowed"),
    ("[i for i in x]", "comprehensions are not allowed"),
    ("(y := 2)", "assignment expressions (:=) are not allowed"),
    ("x // 2", "the operator // is not allowed at column 3"),
    ("x % 2", "the operator % is not allowed"),
    ("x @ y", "the operator @ is not allowed"),
    ("x ^ y", "the operator ^ is not allowed at column 3: use ** for powers, e.g. x**2"),
    ("  x^2", "the operator ^ is not allowed at column 4"),
    ("(a+b) ^ 2", "the operator ^ is not allowed at column 7"),
    ("~x", "the operator ~ is not allowed"),
    ("x + y.z", "attribute access is not allowed at column 5"),
    ("__import__('os')", "unknown function '__import__' at column 1; known functions: abs, add, cos"),
    ("print(x)", "unknown function 'print'"),
    ("sum(x)", "sum() takes a list of values, which expressions cannot write at column 1; write the terms out"),
    ("sum + 1", "sum() takes a list of values"),  # n-ary ops take lists, which expressions do not have
    ("leaky_relu + 1", "'leaky_relu' is a function at column 1; call it, e.g. leaky_relu(x, 0.1)"),
    ("(lambda: 1)()", "only functions called by name are allowed"),
    ("x.exp()", "only functions called by name are allowed"),
    ("tanh(x, y)", "tanh() takes 1 argument, got 2 at column 1"),
    ("leaky_relu(x)", "leaky_relu() takes 2 arguments, got 1"),
    ("tanh(x=1)", "tanh() takes no keyword arguments"),
    ("tanh(*x)", "starred arguments are not allowed"),
    ("tanh + 1", "'tanh' is a function at column 1; call it, e.g. tanh(x)"),
    ("1e400 * x", "number too large for a float at column 1"),
    ("9" * 400, "number too large for a float"),
    ("x +", "invalid syntax"),
    ("x + )", "invalid syntax at column 5: unmatched ')'"),
    ("x = 1", "invalid syntax"),
    ("import os", "invalid syntax"),
    ("", "the expression is empty"),
    ("   ", "the expression is empty"),
])
def test_refused_with_a_message_naming_the_construct(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)  # one line, fit for a command line


def test_columns_count_leading_spaces():
    with pytest.raises(ExpressionError, match="at column 7"):
        parse("  x + y.z")


def test_size_limits():
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_LENGTH}"):
        parse("x + " * (MAX_LENGTH // 4) + "x")
    deep = "-" * MAX_DEPTH + "x"  # MAX_DEPTH + 1 levels
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH} deep"):
        parse(deep)
    assert parse(deep[1:]).evaluate({"x": 2.0}).data == 2.0 * (-1) ** (MAX_DEPTH - 1)  # MAX_DEPTH levels is fine
    with pytest.raises(ExpressionError):  # Python's own parser limit, reported the same way
        parse("(" * 300 + "x" + ")" * 300)
    with pytest.raises(ExpressionError, match="nested more than"):
        parse(" + ".join(["x"] * (MAX_DEPTH + 1)))


def test_not_a_string():
    with pytest.raises(ExpressionError, match="must be a str"):
        parse(b"x + 1")


# --- evaluating ---------------------------------------------------------------------------------


def test_missing_values_are_named():
    with pytest.raises(ExpressionError, match="no value for x2, b in 'tanh"):
        parse("tanh(x1 * x2 + b)").evaluate({"x1": 1.0})


def test_values_must_be_numbers_or_values():
    with pytest.raises(ExpressionError, match="the value of x must be a number, got 'one'"):
        parse("x + 1").evaluate({"x": "one"})


def test_domain_errors_come_from_the_engine():
    with pytest.raises(ValueError, match=r"log\(-1.0\): log needs a positive input"):
        parse("log(x)").evaluate({"x": -1.0})
    with pytest.raises(OverflowError, match="too large"):
        parse("10 ** 400 * x").evaluate({"x": 1.0})
    with pytest.raises(ZeroDivisionError):
        parse("x / (y - y)").evaluate({"x": 1.0, "y": 2.0})


# --- --at bindings --------------------------------------------------------------------------------


def test_parse_bindings():
    assert parse_bindings("x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432") == {
        "x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    assert parse_bindings(" a = 1e-3 , b=.5,") == {"a": 0.001, "b": 0.5}
    assert parse_bindings("") == {}


@pytest.mark.parametrize("text, message", [
    ("x", "expected name=number, got 'x'"),
    ("1x=2", "expected name=number, got '1x=2'"),
    ("x=two", "the value of x must be a number, got 'two'"),
    ("x=", "the value of x must be a number, got ''"),
    ("x=1,x=2", "x is given twice"),
    ("x=nan", "the value of x must be finite"),
    ("x=-inf", "the value of x must be finite"),
    ("x=1e999", "the value of x must be finite"),
])
def test_bad_bindings(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_bindings(text)
