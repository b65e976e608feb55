"""Tests of microgradlab.nn: construction, forward pass, parameters, state dicts and model files."""

from __future__ import annotations

import copy
import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradlab import Parameter, Value
from microgradlab.gradcheck import gradcheck, gradcheck_parameters
from microgradlab.losses import cross_entropy, mse
from microgradlab.nn import INITS, MLP, Layer, Module, ModelFileError, Neuron
from microgradlab.testing import mlp_problems, reals

ACTIVATION_FNS = {
    "relu": lambda z: max(z, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "linear": lambda z: z,
}


def float_forward(state, activations, x):
    """The MLP's function computed from its state dict with plain floats."""
    for i, act in enumerate(activations):
        weight, bias = state[f"layers.{i}.weight"], state[f"layers.{i}.bias"]
        x = [ACTIVATION_FNS[act](math.fsum(w * xi for w, xi in zip(row, x)) + b) for row, b in zip(weight, bias)]
    return x


def interior_nodes(root):
    seen, stack, count = set(), [root], 0
    while stack:
        node = stack.pop()
        if node.is_leaf or id(node) in seen:
            continue
        seen.add(id(node))
        count += 1
        stack.extend(v for v in node.inputs if isinstance(v, Value))
    return count


# --- construction and forward -------------------------------------------------------------


def test_micrograd_moons_architecture():
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 * 1 + 1)
    assert all(isinstance(p, Parameter) for p in model.parameters())
    shapes = {name: (len(v), len(v[0])) if isinstance(v[0], list) else (len(v),)
              for name, v in model.state_dict().items()}
    assert shapes == {"layers.0.weight": (16, 2), "layers.0.bias": (16,),
                      "layers.1.weight": (16, 16), "layers.1.bias": (16,),
                      "layers.2.weight": (1, 16), "layers.2.bias": (1,)}
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert model.nout == 1


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("output_activation", [None, "sigmoid", "tanh"])
def test_forward_matches_float_computation(activation, output_activation):
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation, init="xavier", seed=7)
    state = model.state_dict()
    # Non-zero biases so that the bias path is tested too.
    rng = random.Random(1)
    for i in range(3):
        state[f"layers.{i}.bias"] = [rng.uniform(-1, 1) for _ in state[f"layers.{i}.bias"]]
    model.load_state_dict(state)
    acts = [activation, activation, output_activation or "linear"]
    for x in ([0.5, -1.0, 2.0], [0.0, 0.0, 0.0], [-3.0, 0.25, 1.5]):
        out = model(x)
        assert isinstance(out, list) and len(out) == 2
        expected = float_forward(state, acts, x)
        assert [o.data for o in out] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_forward_matches_torch():
    torch = pytest.importorskip("torch")
    model = MLP(4, [6, 3], activation="tanh", seed=3)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()
    with torch.no_grad():
        for i, linear in zip((0, 1), (net[0], net[2])):
            linear.weight.copy_(torch.tensor(model.state_dict()[f"layers.{i}.weight"], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([0.1 * (j + 1) for j in range(linear.out_features)], dtype=torch.float64))
            model.layers[i].load_state_dict({"weight": model.layers[i].state_dict()["weight"],
                                             "bias": linear.bias.tolist()})
    x = [0.3, -0.7, 1.1, 0.05]
    expected = net(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert [o.data for o in model(x)] == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_inputs_may_be_values_and_gradients_reach_them():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    x = [Value(0.5), Value(-0.25)]
    model(x).backward()
    assert all(isinstance(v.grad, float) and v.grad != 0.0 for v in x)


def test_one_output_is_a_value_and_several_a_list():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert isinstance(Neuron(2, seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and all(isinstance(o, Value) for o in out)
    # A hidden layer of width 1 still passes a list on.
    assert isinstance(MLP(2, [1, 3], seed=0)([1.0, 2.0]), list)


def test_graph_has_two_nodes_per_neuron():
    model = MLP(2, [3, 1], seed=0)
    out = model([1.0, -2.0])
    # Hidden neurons: one dot node (bias included), relu; the linear output neuron: one dot node.
    assert interior_nodes(out) == 3 * 2 + 1
    assert out.op.name == "dot" and out.inputs[3] is model.layers[1].neurons[0].b and out.inputs[-1] == 1.0
    linear = Neuron(3, activation="linear", seed=0)
    assert interior_nodes(linear([1.0, 2.0, 3.0])) == 1


@pytest.mark.parametrize("bad", [[1.0], [1.0, 2.0, 3.0], []])
def test_wrong_input_length_is_value_error(bad):
    with pytest.raises(ValueError, match=r"MLP\(2, \[3, 1\].*expected an input of length 2, got"):
        MLP(2, [3, 1], seed=0)(bad)
    with pytest.raises(ValueError, match=r"Layer\(2, 3.*expected an input of length 2"):
        Layer(2, 3, seed=0)(bad)
    with pytest.raises(ValueError, match="dot: lengths differ"):
        Neuron(2, seed=0)(bad)


def test_non_sequence_input_is_type_error():
    with pytest.raises(TypeError, match="expected a list of 1 numbers or Values"):
        MLP(1, [1], seed=0)(3.0)


@pytest.mark.parametrize("make, message", [
    (lambda: MLP(0, [1]), "nin must be >= 1"),
    (lambda: MLP(2, []), "non-empty list"),
    (lambda: MLP(2, 3), "non-empty list"),
    (lambda: MLP(2, [4, 0]), "each of sizes must be >= 1"),
    (lambda: MLP(2, [4.0]), "must be an int"),
    (lambda: MLP(True, [1]), "must be an int"),
    (lambda: MLP(2, [1], activation="softmax"), "unknown activation 'softmax'"),
    (lambda: MLP(2, [1], output_activation="gelu"), "unknown output_activation 'gelu'"),
    (lambda: MLP(2, [1], init="normal"), "unknown init 'normal'"),
    (lambda: MLP(2, [1], seed="abc"), "seed must be an int"),
    (lambda: Layer(2, 0), "nout must be >= 1"),
    (lambda: Neuron(2, activation="elu"), "unknown activation"),
])
def test_bad_constructor_arguments(make, message):
    with pytest.raises((TypeError, ValueError), match=message):
        make()


# --- seeding and initialisation ----------------------------------------------------------------


def test_same_seed_same_weights_and_global_rng_untouched():
    random.seed(12345)
    before = random.getstate()
    a = MLP(3, [4, 2], seed=11)
    b = MLP(3, [4, 2], seed=11)
    assert random.getstate() == before
    assert a.state_dict() == b.state_dict()
    assert MLP(3, [4, 2], seed=12).state_dict() != a.state_dict()
    # A generator can be passed in: two models drawn from one stream differ.
    rng = random.Random(5)
    assert MLP(3, [4, 2], seed=rng).state_dict() != MLP(3, [4, 2], seed=rng).state_dict()


def test_unseeded_models_differ():
    assert MLP(3, [4, 2]).state_dict() != MLP(3, [4, 2]).state_dict()


@pytest.mark.parametrize("init, bound", [
    ("uniform", lambda fan_in, fan_out: 1.0),
    ("xavier", lambda fan_in, fan_out: math.sqrt(6 / (fan_in + fan_out))),
    ("glorot", lambda fan_in, fan_out: math.sqrt(6 / (fan_in + fan_out))),
    ("he", lambda fan_in, fan_out: math.sqrt(6 / fan_in)),
    ("kaiming", lambda fan_in, fan_out: math.sqrt(6 / fan_in)),
])
def test_initialisation_distribution(init, bound):
    fan_in, fan_out = 200, 50
    layer = Layer(fan_in, fan_out, init=init, seed=0)
    a = bound(fan_in, fan_out)
    weights = [w for row in layer.state_dict()["weight"] for w in row]
    assert all(-a <= w <= a for w in weights)
    assert layer.state_dict()["bias"] == [0.0] * fan_out
    # U(-a, a) has mean 0 and variance a²/3.  With 10,000 draws the sample
    # mean has standard deviation a/sqrt(3·10⁴) ≈ 0.006a and the sample
    # variance a relative standard deviation ≈ sqrt(0.8/10⁴) ≈ 0.009: the
    # bounds below are over 5 standard deviations wide.
    mean = sum(weights) / len(weights)
    variance = sum((w - mean) ** 2 for w in weights) / len(weights)
    assert abs(mean) < 0.03 * a
    assert variance == pytest.approx(a * a / 3, rel=0.05)
    assert set(INITS) == {"uniform", "xavier", "glorot", "he", "kaiming"}


# --- parameters and names ----------------------------------------------------------------------


def test_named_parameters_follow_torch_layout():
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:7] == ["layers.0.weight[0][0]", "layers.0.weight[0][1]", "layers.0.weight[1][0]",
                         "layers.0.weight[1][1]", "layers.0.weight[2][0]", "layers.0.weight[2][1]",
                         "layers.0.bias[0]"]
    assert names[-2:] == ["layers.1.weight[0][2]", "layers.1.bias[0]"]
    assert len(set(names)) == len(names) == 13
    assert [p for _, p in model.named_parameters()] == model.parameters()
    # Row j of a layer's weight is neuron j's weights; labels are the names (for graph drawings).
    assert model.named_parameters()[2][1] is model.layers[0].neurons[1].w[0]
    assert all(p.label == name for name, p in model.named_parameters())


def test_parameters_are_stable_objects():
    model = MLP(2, [3, 1], seed=0)
    first = model.parameters()
    model([1.0, 1.0]).backward()
    assert all(a is b for a, b in zip(first, model.parameters()))


def test_zero_grad():
    model = MLP(2, [3, 2], seed=0)
    out = model([1.0, -1.0])
    (out[0] + out[1]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


class Affine(Module):
    def __init__(self):
        self.scale = Parameter(2.0)
        self.inner = MLP(1, [2, 1], seed=0)
        self.heads = [Neuron(1, seed=1), Neuron(1, seed=2)]

    def forward(self, x):
        return self.scale * self.inner([x]) + self.heads[0]([x]) + self.heads[1]([x])


def test_custom_module_finds_parameters_and_children():
    model = Affine()
    assert [name for name, _ in model.named_children()] == ["inner", "heads.0", "heads.1"]
    assert list(model.state_dict()) == ["scale", "inner.layers.0.weight", "inner.layers.0.bias",
                                        "inner.layers.1.weight", "inner.layers.1.bias",
                                        "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert len(model.parameters()) == 1 + 7 + 2 * 2
    out = model(0.5)
    out.backward()
    assert model.scale.grad == model.inner([0.5]).data
    with pytest.raises(NotImplementedError, match="define config"):
        model.save("unused.json")
    with pytest.raises(NotImplementedError, match="must define forward"):
        Module()(1.0)


# --- state dicts ---------------------------------------------------------------------------------


def test_state_dict_is_plain_floats_and_round_trips():
    model = MLP(3, [4, 2], seed=1)
    state = model.state_dict()
    assert json.loads(json.dumps(state)) == state
    assert all(type(v) is float for row in state["layers.0.weight"] for v in row)
    other = MLP(3, [4, 2], seed=2)
    other.load_state_dict(state)
    assert other.state_dict() == state
    x = [0.1, 0.2, -0.3]
    assert [o.data for o in other(x)] == [o.data for o in model(x)]
    # The state is a copy: changing it does not change the model.
    state["layers.0.bias"][0] = 99.0
    assert model.layers[0].neurons[0].b.data == 0.0


def _bad_states():
    good = MLP(2, [2, 1], seed=0).state_dict()

    def edit(fn):
        state = copy.deepcopy(good)
        fn(state)
        return state

    return [
        ("missing", edit(lambda s: s.pop("layers.1.bias")), "missing keys \\['layers.1.bias'\\]"),
        ("unexpected", edit(lambda s: s.update(extra=[1.0])), "unexpected keys \\['extra'\\]"),
        ("short row", edit(lambda s: s["layers.0.weight"][1].pop()), r"layers.0.weight\[1\] must be a list of 2"),
        ("extra row", edit(lambda s: s["layers.0.weight"].append([0.0, 0.0])), "layers.0.weight must be a list of 2"),
        ("flat", edit(lambda s: s.update({"layers.0.weight": [0.0, 0.0]})),
         r"layers.0.weight\[0\] must be a list of 2, got 0.0"),
        ("nan", edit(lambda s: s["layers.1.bias"].__setitem__(0, math.nan)), r"layers.1.bias\[0\] must be finite"),
        ("inf", edit(lambda s: s["layers.0.weight"][0].__setitem__(1, -math.inf)), "must be finite"),
        ("string", edit(lambda s: s["layers.1.bias"].__setitem__(0, "0.5")), "must be a number, got '0.5'"),
        ("bool", edit(lambda s: s["layers.1.bias"].__setitem__(0, True)), "must be a number, got True"),
        ("null", edit(lambda s: s.update({"layers.1.bias": None})), "must be a list of 1, got None"),
    ]


@pytest.mark.parametrize("label, state, message", _bad_states(), ids=[b[0] for b in _bad_states()])
def test_load_state_dict_rejects_bad_state_and_changes_nothing(label, state, message):
    model = MLP(2, [2, 1], seed=3)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="expected a mapping"):
        MLP(2, [1], seed=0).load_state_dict([1.0, 2.0])


def test_load_state_dict_accepts_ints_as_floats():
    model = Layer(2, 1, seed=0)
    model.load_state_dict({"weight": [[1, 2]], "bias": [3]})
    assert model.state_dict() == {"weight": [[1.0, 2.0]], "bias": [3.0]}
    assert all(type(p.data) is float for p in model.parameters())


# --- model files -----------------------------------------------------------------------------------


def test_save_writes_json_with_architecture(tmp_path):
    path = tmp_path / "model.json"
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=0)
    model.save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "microgradlab-model" and document["version"] == 1
    assert document["class"] == "MLP"
    assert document["config"] == {"nin": 3, "sizes": [4, 2], "activation": "tanh", "output_activation": "sigmoid"}
    assert document["state_dict"] == model.state_dict()


@pytest.mark.parametrize("model", [MLP(3, [4, 2], activation="sigmoid", seed=0), Layer(3, 2, "tanh", seed=1),
                                   Neuron(3, "linear", seed=2)], ids=["MLP", "Layer", "Neuron"])
def test_class_load_rebuilds_the_model(tmp_path, model):
    path = tmp_path / "model.json"
    model.save(str(path))
    loaded = type(model).load(path)
    assert type(loaded) is type(model) and loaded is not model
    assert loaded.config() == model.config()
    assert loaded.state_dict() == model.state_dict()
    x = [0.5, -1.5, 2.0]
    assert repr(loaded(x)) == repr(model(x))


def test_instance_load_fills_the_model_in_place(tmp_path):
    path = tmp_path / "model.json"
    source = MLP(2, [3, 1], seed=0)
    source.save(path)
    target = MLP(2, [3, 1], seed=1)
    params = target.parameters()
    assert target.load(path) is target
    assert target.state_dict() == source.state_dict()
    assert all(a is b for a, b in zip(params, target.parameters()))


def _write(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    return path


def _document(model, **changes):
    document = {"format": "microgradlab-model", "version": 1, "class": type(model).__name__,
                "config": model.config(), "state_dict": model.state_dict()}
    document.update(changes)
    return json.dumps(document)


BAD_FILES = [
    ("not json", lambda m: "{not json", "not a valid model file"),
    ("empty", lambda m: "", "not a valid model file"),
    ("truncated", lambda m: _document(m)[:-20], "not a valid model file"),
    ("a list", lambda m: "[1, 2]", "not a microgradlab model file"),
    ("other format", lambda m: _document(m, format="keras"), "not a microgradlab model file"),
    ("version", lambda m: _document(m, version=2), "unsupported format version 2"),
    ("class", lambda m: _document(m, **{"class": "Layer"}), "holds a Layer, not a MLP"),
    ("config type", lambda m: _document(m, config=[2, 3]), "'config' must be a JSON object"),
    ("state type", lambda m: _document(m, state_dict="weights"), "'state_dict' must be a JSON object"),
    ("NaN token", lambda m: _document(m).replace(str(m.state_dict()["layers.0.bias"][0]), "NaN", 1),
     "NaN is not a finite number"),
    ("duplicate key", lambda m: _document(m)[:-1] + ', "version": 1}', "duplicate key 'version'"),
    ("weights", lambda m: _document(m, state_dict={"layers.0.weight": [[1.0]]}), "missing keys"),
]


@pytest.mark.parametrize("label, text, message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_raise_and_change_nothing(tmp_path, label, text, message):
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    path = _write(tmp_path, text(model))
    with pytest.raises(ModelFileError, match=message):
        model.load(path)
    assert model.state_dict() == before
    with pytest.raises(ModelFileError, match=message):
        MLP.load(path)


def test_class_load_rejects_a_bad_config(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    for config, message in [({"nin": 2, "sizes": [3, 0]}, "bad config"), ({"nin": 2}, "bad config"),
                            ({"nin": 2, "sizes": [3, 1], "dropout": 0.5}, "bad config")]:
        path = _write(tmp_path, _document(model, config=config))
        with pytest.raises(ModelFileError, match=message):
            MLP.load(path)


def test_instance_load_rejects_another_architecture_and_changes_nothing(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [4, 1], seed=0).save(path)
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ModelFileError, match="does not match"):
        model.load(path)
    assert model.state_dict() == before


def test_missing_file_is_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "nope.json")


def test_save_refuses_non_finite_weights(tmp_path):
    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].w[1].data = math.nan
    path = tmp_path / "model.json"
    with pytest.raises(ValueError, match=r"layers.0.weight\[0\]\[1\] is nan"):
        model.save(path)
    assert not path.exists()


# --- gradients of a whole network with a loss ----------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(mlp_problems(nin=st.integers(1, 3), nout=1, n_samples=st.integers(1, 3),
                    activations=("relu", "tanh", "sigmoid")))
def test_mlp_with_mse_matches_finite_differences(problem):
    model, inputs, targets = problem
    gradcheck_parameters(lambda: mse([model(x) for x in inputs], targets), model.parameters())


@settings(max_examples=20, deadline=None)
@given(mlp_problems(nin=2, nout=3, n_samples=st.integers(1, 3), activations=("tanh", "relu")),
       st.lists(st.integers(0, 2), min_size=3, max_size=3))
def test_mlp_with_cross_entropy_matches_finite_differences(problem, classes):
    model, inputs, _ = problem
    labels = classes[:len(inputs)]
    gradcheck_parameters(lambda: cross_entropy([model(x) for x in inputs], labels), model.parameters())


@settings(max_examples=20, deadline=None)
@given(st.lists(reals(-2.0, 2.0), min_size=3, max_size=3))
def test_mlp_input_gradients_match_finite_differences(x):
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=4)
    gradcheck(lambda *xs: mse([model(list(xs))], [[0.25, 0.75]]), x)
