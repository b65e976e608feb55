"""microgradlab.interop: an MLP and its PyTorch twin compute the same outputs and gradients.

PyTorch is optional: every test that needs it asks for the ``torch`` fixture,
which skips when it is not installed; the error raised without PyTorch is
tested with the import blocked.
"""

from __future__ import annotations

import math
import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradlab import Value
from microgradlab.interop import from_torch, to_torch
from microgradlab.nn import MLP, Layer

ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear"]

# Both libraries compute in float64; they differ only in the order of the
# additions inside each dot product (PyTorch's matmul kernels associate
# differently), which changes results by a few units in the last place,
# ~1e-15 relative per layer for these small widths.  1e-9 leaves a wide margin
# for that and still catches any real mistake (a transposed or shifted weight,
# a missing activation), which changes results at order one.
REL, ABS = 1e-9, 1e-12


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    # These tensors are tiny: extra intra-op threads only add overhead (a lot
    # of it when the cores are busy with other tests).
    torch.set_num_threads(1)
    return torch


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=ABS)


architectures = st.fixed_dictionaries({
    "nin": st.integers(1, 5),
    "sizes": st.lists(st.integers(1, 5), min_size=1, max_size=3),
    "activation": st.sampled_from(ACTIVATIONS),
    "output_activation": st.sampled_from([None, "relu", "tanh", "sigmoid"]),
    "seed": st.integers(0, 2**32 - 1),
})


def random_batch(rng: random.Random, n: int, nin: int):
    return [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(n)]


def as_list(out):
    return out if isinstance(out, list) else [out]


def torch_parameter_grads(net, torch):
    """The PyTorch gradients under microgradlab's names: Linear number i is ``layers.i``."""
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    grads = {}
    for i, linear in enumerate(linears):
        grads[f"layers.{i}.weight"] = linear.weight.grad.tolist()
        grads[f"layers.{i}.bias"] = linear.bias.grad.tolist()
    return grads


def flatten(nested):
    if isinstance(nested, list):
        return [x for item in nested for x in flatten(item)]
    return [nested]


@settings(max_examples=40, deadline=None)
@given(arch=architectures, data_seed=st.integers(0, 2**32 - 1))
def test_outputs_and_gradients_match(torch, arch, data_seed):
    seed = arch.pop("seed")
    model = MLP(**arch, seed=seed)
    net = to_torch(model)
    rng = random.Random(data_seed)
    n = 4
    X = random_batch(rng, n, arch["nin"])
    Y = random_batch(rng, n, model.nout)

    # microgradlab: inputs are Values too, so the input gradient is compared as well
    xs = [[Value(v) for v in row] for row in X]
    outs = [as_list(model(row)) for row in xs]
    sq = [(o - t) ** 2 for out, target in zip(outs, Y) for o, t in zip(out, target)]
    loss = sum(sq) / (2 * n)  # the seeds' 1/(2n) Σ ||y - ŷ||², written out independently of losses.py
    loss.backward()

    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    tout = net(tx)
    tloss = ((tout - torch.tensor(Y, dtype=torch.float64)) ** 2).sum() / (2 * n)
    tloss.backward()

    assert tout.shape == (n, model.nout)
    for out, trow in zip(outs, tout.tolist()):
        assert all(close(o.data, t) for o, t in zip(out, trow))
    assert close(loss.data, tloss.item())
    for row, trow in zip(xs, tx.grad.tolist()):
        assert all(close(v.grad, t) for v, t in zip(row, trow))
    tgrads = torch_parameter_grads(net, torch)
    assert list(tgrads) == list(model.state_dict())
    for name, tensor in model.named_tensors():
        ours = [p.grad for p in flatten(tensor)]
        theirs = flatten(tgrads[name])
        assert len(ours) == len(theirs)
        assert all(close(a, b) for a, b in zip(ours, theirs)), name


def test_structure_of_the_sequential(torch):
    net = to_torch(MLP(2, [16, 16, 1], seed=0))
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [(m.in_features, m.out_features) for m in net if isinstance(m, torch.nn.Linear)] == [
        (2, 16), (16, 16), (16, 1)]
    assert all(p.dtype == torch.float64 and p.requires_grad for p in net.parameters())

    net = to_torch(MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=0))
    assert [type(m).__name__ for m in net] == ["Linear", "Tanh", "Linear", "Sigmoid"]


def test_weights_are_copied_exactly_into_torch_names(torch):
    model = MLP(3, [4, 2], activation="tanh", seed=7)
    net = to_torch(model)
    state = model.state_dict()
    torch_state = {k: v.tolist() for k, v in net.state_dict().items()}
    # Sequential indices: Linear at 0 and 2, the Tanh at 1 has no parameters
    assert torch_state == {"0.weight": state["layers.0.weight"], "0.bias": state["layers.0.bias"],
                           "2.weight": state["layers.1.weight"], "2.bias": state["layers.1.bias"]}


def test_a_single_layer_converts(torch):
    layer = Layer(3, 2, activation="sigmoid", seed=1)
    net = to_torch(layer)
    assert [type(m).__name__ for m in net] == ["Linear", "Sigmoid"]
    x = [0.5, -1.0, 2.0]
    expected = [v.data for v in layer(x)]
    got = net(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert all(close(a, b) for a, b in zip(expected, got))


def test_the_copies_are_independent(torch):
    model = MLP(2, [2, 1], seed=3)
    before = model.state_dict()
    net = to_torch(model)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    assert model.state_dict() == before
    model.parameters()[0].data = 123.0
    assert net[0].weight[0, 0].item() == before["layers.0.weight"][0][0] + 1.0


def test_float32(torch):
    model = MLP(2, [5, 1], activation="tanh", seed=4)
    net = to_torch(model, dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in net.parameters())
    x = [0.3, -0.7]
    got = net(torch.tensor([x], dtype=torch.float32)).item()
    # float32 keeps about 7 significant digits; outputs here are O(1)
    assert math.isclose(got, model(x).data, rel_tol=1e-5, abs_tol=1e-6)


def test_one_training_step_agrees(torch):
    """After converting, a gradient step in PyTorch equals the same step here."""
    lr = 0.1
    model = MLP(2, [3, 1], activation="tanh", seed=5)
    net = to_torch(model)
    X, Y = [[1.0, -1.0], [0.5, 2.0]], [0.25, -0.5]

    loss = sum((model(x) - y) ** 2 for x, y in zip(X, Y)) / (2 * len(X))
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad

    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    tloss = ((net(torch.tensor(X, dtype=torch.float64)).squeeze(1) - torch.tensor(Y, dtype=torch.float64)) ** 2
             ).sum() / (2 * len(X))
    tloss.backward()
    optimizer.step()

    back = from_torch(net).state_dict()
    for name, value in model.state_dict().items():
        assert all(close(a, b) for a, b in zip(flatten(value), flatten(back[name]))), name


@settings(max_examples=20, deadline=None)
@given(arch=architectures)
def test_round_trip_is_exact(torch, arch):
    seed = arch.pop("seed")
    model = MLP(**arch, seed=seed)
    back = from_torch(to_torch(model))
    assert back.state_dict() == model.state_dict()
    assert back.nout == model.nout and back.output_activation == model.output_activation
    if len(model.sizes) > 1:  # one layer has no hidden activation to carry over
        assert back.activation == model.activation


def test_from_torch_of_a_torch_initialised_network(torch):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Identity(),
                              torch.nn.Linear(8, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    model = from_torch(net)
    assert (model.nin, model.sizes, model.activation, model.output_activation) == (3, [8, 8, 2], "tanh", None)
    rng = random.Random(1)
    for x in random_batch(rng, 5, 3):
        expected = net(torch.tensor([x], dtype=torch.float64))[0].tolist()
        assert all(close(o.data, e) for o, e in zip(model(x), expected))


def test_from_torch_reads_float32_weights(torch):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1), torch.nn.Sigmoid())
    model = from_torch(net)
    assert model.output_activation == "sigmoid"
    # float32 -> float64 is exact, so the weights are the same numbers
    assert model.state_dict()["layers.0.weight"] == net[0].weight.double().tolist()


@pytest.mark.parametrize("build, message", [
    (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(), nn.Linear(3, 1)),
     "module 1 (LeakyReLU(negative_slope=0.01)) is not supported"),
    (lambda nn: nn.Sequential(nn.Linear(2, 3, bias=False)), "has no bias"),
    (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), "takes 4 inputs but the layer before it gives 3"),
    (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)),
     "mix activations ['relu', 'tanh']"),
    (lambda nn: nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), "module 0 (ReLU()) comes before any Linear layer"),
    (lambda nn: nn.Sequential(nn.Linear(2, 1), nn.ReLU(), nn.Tanh()), "follows another activation"),
    (lambda nn: nn.Sequential(nn.Identity()), "holds no Linear layer"),
])
def test_from_torch_rejects_what_an_mlp_cannot_express(torch, build, message):
    with pytest.raises(ValueError) as info:
        from_torch(build(torch.nn))
    assert message in str(info.value)


def test_from_torch_rejects_non_finite_weights_and_changes_nothing(torch):
    net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[0].bias.fill_(float("nan"))
    with pytest.raises(ValueError, match="layers.0.bias.*finite"):
        from_torch(net)


def test_wrong_types(torch):
    with pytest.raises(TypeError, match="from_torch: expected a torch.nn.Sequential, got Linear"):
        from_torch(torch.nn.Linear(2, 1))
    with pytest.raises(TypeError, match="to_torch: expected a microgradlab MLP or Layer, got Value"):
        to_torch(Value(1.0))


def test_without_torch_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=r'to_torch needs PyTorch.*pip install "microgradlab\[torch\]"'):
        to_torch(MLP(1, [1], seed=0))
    with pytest.raises(ImportError, match="from_torch needs PyTorch"):
        from_torch(None)
