"""check_engine: micrograd's Value and a lecture-style class pass; every planted defect is caught, shrunk."""

import math

import pytest

from microgradlab.testing import assert_engine_correct, check_engine

micrograd_engine = pytest.importorskip("micrograd.engine")


class LectureValue:
    """The Value of karpathy's lecture (tanh, exp, pow, division through pow, a postorder topo sort)."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)  # the lecture's set, in a fixed order so the planted defects are stable
        self._op = _op
        self.label = label

    def _wrap(self, other):
        return other if isinstance(other, LectureValue) else type(self)(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only supporting int/float powers for now"
        out = type(self)(self.data ** other, (self,), f"**{other}")

        def _backward():
            self.grad += other * (self.data ** (other - 1)) * out.grad
        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def __radd__(self, other):
        return self + other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return self ** -1 * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = type(self)(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def topological_order(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        return topo

    def backward(self):
        topo = self.topological_order()
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


def _unary(fn, op):
    """A method ``x.op()`` whose forward is ``fn`` and whose local derivative is ``dfn(x, out)``."""
    def make(dfn):
        def method(self):
            out = type(self)(fn(self.data), (self,), op)

            def _backward():
                self.grad += dfn(self.data, out.data) * out.grad
            out._backward = _backward
            return out
        return method
    return make


def _binary(forward, d_self, d_other, op, assign=False, chain=True):
    def method(self, other):
        other = self._wrap(other)
        out = type(self)(forward(self.data, other.data), (self, other), op)

        def _backward():
            up = out.grad if chain else 1.0
            if assign:
                self.grad = d_self(self.data, other.data) * up
                other.grad = d_other(self.data, other.data) * up
            else:
                self.grad += d_self(self.data, other.data) * up
                other.grad += d_other(self.data, other.data) * up
        out._backward = _backward
        return out
    return method


def _preorder(self):
    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            topo.append(v)  # before its children: a preorder
            for child in v._prev:
                build(child)
    build(self)
    return topo[::-1]  # so that backward's reversed() visits the root first


def _no_accumulation_backward(self):
    for v in self.topological_order():
        if not v._prev:
            v.grad = 0.0  # "helpfully" zeroes the leaves: a second pass cannot accumulate
    self.grad = 1.0
    for node in reversed(self.topological_order()):
        node._backward()


def _no_seed_backward(self):
    for node in reversed(self.topological_order()):
        node._backward()


DEFECTS = {
    # name: (the methods that differ from the lecture, where the report must point)
    "rsub sign": ({"__rsub__": lambda self, other: self + (-other)}, "__rsub__"),
    "add assigns": ({"__add__": _binary(lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0, "+", assign=True)},
                    "+="),
    "mul without out.grad": ({"__mul__": _binary(lambda a, b: a * b, lambda a, b: b, lambda a, b: a, "*",
                                                 chain=False)}, "out.grad"),
    "preorder topo sort": ({"topological_order": _preorder}, "topological sort"),
    "tanh of the input": ({"tanh": _unary(math.tanh, "tanh")(lambda x, out: 1 - x ** 2)}, "tanh"),
    "mul swapped factors": ({"__mul__": _binary(lambda a, b: a * b, lambda a, b: a, lambda a, b: b, "*")},
                            "__mul__"),
    "pow keeps the exponent": ({"__pow__": lambda self, k: _unary(lambda x: x ** k, "**")(
        lambda x, out: k * x ** k)(self)}, "__pow__"),
    "exp of the input": ({"exp": _unary(math.exp, "exp")(lambda x, out: x)}, "exp"),
    "rtruediv upside down": ({"__rtruediv__": lambda self, other: self * other ** -1}, "__rtruediv__"),
    "neg forward": ({"__neg__": lambda self: self * 1}, "__neg__"),
    "sub gradient sign": ({"__sub__": _binary(lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: 1.0, "-")},
                          "__sub__"),
    "leaves not accumulated": ({"backward": _no_accumulation_backward}, "accumulate"),
    "no seed gradient": ({"backward": _no_seed_backward}, "self.grad = 1"),
}


def test_micrograd_passes():
    report = assert_engine_correct(micrograd_engine.Value)
    assert str(report.supported).startswith("x + y, x * y, -x, x ** k, x + c")
    assert "x.tanh()" in report.unsupported  # micrograd 0.1.0 has relu only


def test_lecture_class_passes():
    report = assert_engine_correct(LectureValue)
    for op in ("x.tanh()", "x.exp()", "x ** k", "c / x", "c - x"):
        assert op in str(report.supported)
    assert "x ** y" in report.unsupported and "AssertionError" in report.unsupported["x ** y"]


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_every_planted_defect_is_caught_and_shrunk(name):
    methods, pointer = DEFECTS[name]
    broken = type(name.title().replace(" ", ""), (LectureValue,), dict(methods))
    report = check_engine(broken, max_examples=150)  # derandomized: the same search every run
    assert not report.ok, f"{name}: not caught\n{report}"
    first = report.defects[0]
    assert first.n_ops <= 3, f"{name}: not shrunk\n{report}"
    assert pointer in str(first), f"{name}: the report does not point at {pointer!r}\n{report}"


def test_the_rsub_report_reads_as_plain_words():
    broken = type("RsubBug", (LectureValue,), dict(DEFECTS["rsub sign"][0]))
    report = check_engine(broken, max_examples=20)
    assert str(report.defects[0]) == ("2.0 - x at x = 1.0: your value is -1.0, the true one is 1.0 — "
                                      "look at __rsub__")
    with pytest.raises(AssertionError, match=r"RsubBug: 1 defect\(s\) found"):
        assert_engine_correct(broken, max_examples=20)


def test_not_a_value_class():
    with pytest.raises(TypeError, match="must make a value with .data and .grad"):
        check_engine(int)
