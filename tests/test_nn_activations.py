"""An activation of one's own: an op defined with activation=True works in an MLP everywhere a built-in one does."""

import copy
import math
import pickle

import pytest

from microgradlab import gradcheck_parameters, nn, ops
from microgradlab.losses import mse
from microgradlab.nn import MLP, Layer, Neuron
from microgradlab.optim import SGD
from microgradlab.train import fit

X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0], [0.0, -0.5]]
Y = [0.3, -0.2, 0.8, 0.1]


def _softsign(x):
    return x / (1.0 + abs(x))


@pytest.fixture
def softsign(define):
    """softsign(x) = x / (1 + |x|), d/dx = 1 / (1 + |x|)²; removed again after the test (conftest's define)."""
    define("softsign", _softsign, (lambda m, x, out: 1.0 / ((1.0 + m.abs(x)) * (1.0 + m.abs(x))),),
           array_forward=lambda np, x: x / (1.0 + np.abs(x)), activation=True, doc="x / (1 + |x|)")
    return "softsign"


@pytest.fixture
def square(define):
    """A unary op that is not flagged as an activation."""
    define("square", lambda x: x * x, (lambda m, x, out: 2.0 * x,))
    return "square"


def test_the_activations_are_the_op_tables(softsign):
    assert nn.activations() == ops.activations() + ("linear",)
    assert "softsign" in nn.activations() and "softsign" in nn.ACTIVATIONS
    from microgradlab.nn import ACTIVATIONS
    assert ACTIVATIONS == nn.activations()


def test_a_neuron_applies_the_op(softsign):
    n = Neuron(2, activation=softsign, seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    out = n([2.0, 3.0])
    assert out.op.name == "softsign" and out.data == _softsign(-1.75)


def test_an_mlp_with_the_activation_trains_a_step(softsign):
    model = MLP(2, [8, 1], activation=softsign, seed=0)
    assert all(layer.activation == "softsign" for layer in model.layers[:-1])
    before = model.state_dict()
    loss_before = mse([model(x) for x in X], Y).data
    fit(model, X, Y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=1, compiled=False,
        progress=False)
    assert model.state_dict() != before
    assert mse([model(x) for x in X], Y).data < loss_before


def test_the_compiled_path_agrees(softsign):
    pytest.importorskip("numpy")
    scalar, compiled = MLP(2, [4, 1], activation=softsign, seed=3), MLP(2, [4, 1], activation=softsign, seed=3)
    for model, flag in ((scalar, False), (compiled, True)):
        fit(model, X, Y, loss="mse", epochs=3, compiled=flag, progress=False)
    for a, b in zip(scalar.parameters(), compiled.parameters()):
        assert a.data == pytest.approx(b.data, rel=1e-12, abs=1e-12)


def test_gradients_match_finite_differences(softsign):
    model = MLP(2, [8, 1], activation=softsign, output_activation=softsign, seed=1)
    gradcheck_parameters(lambda: mse([model(x) for x in X], Y), model.parameters())


def test_save_and_load_round_trip(softsign, tmp_path):
    model = MLP(2, [8, 1], activation=softsign, seed=2)
    path = tmp_path / "softsign.json"
    model.save(path)
    loaded = MLP.load(path)
    assert loaded.activation == "softsign" and loaded.state_dict() == model.state_dict()
    assert [loaded(x).data for x in X] == [model(x).data for x in X]


@pytest.mark.parametrize("copy_of", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy], ids=["pickle", "deepcopy"])
def test_pickle_keeps_the_activation_by_name(softsign, copy_of):
    model = MLP(2, [8, 1], activation=softsign, seed=4)
    twin = copy_of(model)
    assert [twin(x).data for x in X] == [model(x).data for x in X]
    assert twin.layers[0].neurons[0]([1.0, 1.0]).op.name == "softsign"


def test_a_pickle_needs_the_op_defined(softsign):
    data = pickle.dumps(Layer(2, 2, activation=softsign, seed=0))
    ops.undefine("softsign")
    with pytest.raises(ValueError, match="unknown activation 'softsign'"):
        pickle.loads(data)


def test_to_torch_names_an_activation_torch_has_no_module_for(softsign):
    pytest.importorskip("torch")
    from microgradlab.interop import to_torch

    with pytest.raises(ValueError, match="to_torch: layer 0 uses the activation 'softsign', which has no torch.nn"):
        to_torch(MLP(2, [3, 1], activation=softsign, seed=0))


def test_an_op_that_is_not_an_activation_says_how_to_make_one(square):
    with pytest.raises(ValueError, match=r"MLP: unknown activation 'square'; choose one of 'tanh', 'sigmoid', "
                                         r"'relu', 'softplus', 'linear' \('square' is an op but not an activation: a unary op "
                                         r"becomes one when defined with ops.define\(\.\.\., activation=True\)\)"):
        MLP(2, [3, 1], activation=square)
    with pytest.raises(ValueError, match="'add' is an op but not an activation: an activation takes one input"):
        Neuron(2, activation="add")


def test_an_unknown_name_lists_the_known_ones(softsign):
    with pytest.raises(ValueError, match="MLP: unknown output_activation 'gelu'; choose one of .*'softsign'"):
        MLP(2, [1], output_activation="gelu")
    assert not math.isnan(MLP(2, [1], output_activation=softsign, seed=0)([1.0, 2.0]).data)
