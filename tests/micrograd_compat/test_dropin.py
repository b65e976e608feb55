"""microgradlab.micrograd against micrograd 0.1.0 itself: same models, same numbers, bit for bit.

micrograd orders a graph by iterating over the *sets* ``Value._prev``, so
where a Value feeds several nodes the order in which its gradient is summed
follows memory addresses, and its results vary in the last digits from one
run to the next (measured: three runs of its demo notebook gave three
different sets of final weights).  ``microgradlab.micrograd`` visits children
in operand order instead.  The bit-for-bit comparisons therefore run
micrograd with insertion-ordered ``_prev`` (the one change, made by the
``ordered_micrograd`` fixture of conftest.py); micrograd as it is agrees to rounding.
"""

from __future__ import annotations

import math
import random
from typing import Any, Iterator, List, Tuple

import pytest

from microgradlab.micrograd import engine as our_engine
from microgradlab.micrograd import nn as our_nn

mg_engine = pytest.importorskip("micrograd.engine", reason="micrograd is not installed (the bench extra)")
mg_nn = pytest.importorskip("micrograd.nn")
make_moons = pytest.importorskip("sklearn.datasets").make_moons

# What micrograd's demo.ipynb printed (its saved outputs).
DEMO_STEP0 = "Value(data=0.8958441028683222, grad=0) 0.5"
DEMO_FINAL_LOSS = 0.010978370135492717  # step 99


def demo_steps(Value: Any, MLP: Any, steps: int) -> Iterator[Tuple[str, float, List[str]]]:
    """micrograd's demo.ipynb: moons, MLP(2, [16, 16, 1]), SVM loss with L2, SGD with a decaying rate.

    Yields, before each update, the loss's repr and the accuracy, and after it the weights (as hex).
    """
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1337)  # the demo's np.random.seed(1337)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])
    for k in range(steps):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        shown = f"{total_loss} {sum(accuracy) / len(accuracy)}"
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        yield shown, total_loss.data, [float(p.data).hex() for p in model.parameters()]


def test_demo_training_loop_is_micrograds_bit_for_bit(ordered_micrograd: None) -> None:
    ours = demo_steps(our_engine.Value, our_nn.MLP, 100)
    theirs = demo_steps(mg_engine.Value, mg_nn.MLP, 100)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a[0] == b[0], f"step {k}: loss and accuracy differ"
        assert a[2] == b[2], f"step {k}: weights differ after the update"
        if k == 0:
            assert a[0] == DEMO_STEP0
    assert k == 99 and a[1] == DEMO_FINAL_LOSS


def test_demo_agrees_with_micrograd_as_it_is_to_rounding() -> None:
    """Unpatched micrograd sums gradients in address order: equal up to a few ulps per step."""
    for (shown, loss, weights), (their_shown, their_loss, their_weights) in zip(
            demo_steps(our_engine.Value, our_nn.MLP, 3), demo_steps(mg_engine.Value, mg_nn.MLP, 3)):
        assert shown.split()[-1] == their_shown.split()[-1]  # accuracy
        assert math.isclose(loss, their_loss, rel_tol=1e-13)
        for w, v in zip(weights, their_weights):
            assert math.isclose(float.fromhex(w), float.fromhex(v), rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("seed", [0, 1337])
def test_models_are_micrograds(seed: int) -> None:
    """Same weights from the global random in the same order, same parameter order, same reprs."""
    models = []
    for nn in (our_nn, mg_nn):
        random.seed(seed)
        models.append((nn.MLP(3, [4, 4, 1]), nn.Neuron(2, nonlin=False), nn.Layer(2, 2), random.random()))
    (mlp, neuron, layer, after), (their_mlp, their_neuron, their_layer, their_after) = models
    assert [p.data for p in mlp.parameters()] == [p.data for p in their_mlp.parameters()]
    assert [repr(p) for p in layer.parameters()] == [repr(p) for p in their_layer.parameters()]
    assert (repr(mlp), repr(neuron), repr(layer)) == (repr(their_mlp), repr(their_neuron), repr(their_layer))
    assert after == their_after  # the same number of draws
    assert neuron([1.0, 2.0]).data == their_neuron([1.0, 2.0]).data  # nonlin=False: no relu
    assert mlp.layers[-1].neurons[0].nonlin is False and mlp.layers[0].neurons[0].nonlin is True
    mlp.zero_grad()
    assert {p.grad for p in mlp.parameters()} == {0} and our_nn.Module().parameters() == []


def test_values_print_and_differentiate_as_micrograds(ordered_micrograd: None) -> None:
    """Ints stay ints and gradients start at 0, so every repr matches; / and - are micrograd's compositions."""
    results = []
    for Value in (our_engine.Value, mg_engine.Value):
        a, b = Value(-4), Value(2.0)
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        h = (a * 3).relu() + a / b - 1 / b + 2 - b
        out = g + h
        out.backward()
        results.append([repr(v) for v in (a, b, c, d, e, f, g, h, out)] + [d._op, f._op, h._op])
    assert results[0] == results[1]
    y = our_engine.Value(3).relu()
    assert (repr(y), y._op, repr(our_engine.Value(-3).relu())) == ("Value(data=3, grad=0)", "ReLU",
                                                                     "Value(data=0, grad=0)")


def test_micrograds_idioms_work() -> None:
    """An op added by assigning out._backward, the chain rule run by hand, state on a parameter."""
    Value = our_engine.Value

    def tanh(self: Any) -> Any:
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    x1w1, x2w2 = x1 * w1, x2 * w2
    s = x1w1 + x2w2
    n = s + b
    o = tanh(n)
    o.backward()
    assert [round(v.grad, 6) for v in (x1, w1, x2, w2)] == [-1.5, 1.0, 0.5, 0.0]
    assert o._op == "tanh" and o._prev == {n}
    nodes = (x1, w1, x2, w2, b, x1w1, x2w2, s, n)
    for v in nodes:
        v.grad = 0
    o.grad = 1.0
    for v in (o, n, s, x2w2, x1w1):  # the lecture's chain rule, one node at a time
        v._backward()
    assert [round(v.grad, 6) for v in nodes] == [-1.5, 1.0, 0.5, 0.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    w1.m = 0.0  # an optimizer's own state
    assert w1.m == 0.0


def test_backward_twice_accumulates_into_leaves_only() -> None:
    x = our_engine.Value(3.0)
    z = x * x
    y = z + z
    y.backward()
    y.backward()
    assert (x.grad, z.grad) == (24.0, 2)  # twice dy/dx = 4x; micrograd gives 36.0 (z.grad grows to 4)


def test_bad_input_is_a_clear_error() -> None:
    Value = our_engine.Value
    with pytest.raises(TypeError, match="Value: expected a real number, got 'a'"):
        Value("a")
    with pytest.raises(TypeError, match=r"Value \*\* Value\(data=2.0, grad=0\): the exponent must be"):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError, match=r"Value\(data=-8.0\) \*\* 0.5: a negative base"):
        Value(-8.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match="zero cannot be raised"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match=r"ReLUNeuron\(3\): expected 3 inputs, got 2"):
        our_nn.Neuron(3)([1.0, 2.0])


def test_deep_graphs_need_no_recursion() -> None:
    x = our_engine.Value(1.0)
    y = x
    for _ in range(20000):
        y = y + 0.0
    y.backward()
    assert x.grad == 1
