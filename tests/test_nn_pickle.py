"""Models can be checkpointed: pickle and deepcopy give an independent model that computes the same.

(The library never unpickles anything itself; loading a pickle stays the user's choice.
Model files are JSON: see Module.save and Module.load.)
"""

import copy
import pickle

import pytest

from microgradlab import MLP
from microgradlab.datasets import make_moons
from microgradlab.nn import Layer, Neuron
from microgradlab.optim import SGD, Adam
from microgradlab.train import fit

X, y = make_moons(40, noise=0.1, random_state=0)


def pickle_copy(obj):
    return pickle.loads(pickle.dumps(obj))


COPIES = {"pickle": pickle_copy, "deepcopy": copy.deepcopy}


@pytest.mark.parametrize("how", COPIES)
@pytest.mark.parametrize("module", [
    MLP(2, [4, 3, 1], seed=0),
    MLP(2, [4, 2], activation="tanh", output_activation="sigmoid", seed=1),
    Layer(2, 3, activation="linear", seed=2),
    Neuron(2, activation="sigmoid", seed=3),
], ids=["relu-mlp", "tanh-sigmoid-mlp", "layer", "neuron"])
def test_a_copied_model_is_equal_and_independent(module, how):
    out = module([0.5, -1.0])
    (out if not isinstance(out, list) else out[0]).backward()
    twin = COPIES[how](module)
    assert type(twin) is type(module) and repr(twin) == repr(module)
    assert twin.state_dict() == module.state_dict()
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in module.named_parameters()]
    assert [p.grad for p in twin.parameters()] == [p.grad for p in module.parameters()]
    assert not set(map(id, twin.parameters())) & set(map(id, module.parameters()))
    again = twin([0.5, -1.0])
    assert [v.data for v in (again if isinstance(again, list) else [again])] == \
           [v.data for v in (out if isinstance(out, list) else [out])]
    twin.parameters()[0].data += 1.0
    assert twin.state_dict() != module.state_dict()  # the original is untouched


@pytest.mark.parametrize("make_optimizer", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.01)],
                         ids=["sgd-momentum", "adam"])
def test_training_resumes_from_a_checkpoint_exactly(make_optimizer):
    """Pickling the model with its optimizer keeps them linked, so training from the checkpoint
    continues exactly as training without a pause."""
    model = MLP(2, [8, 1], seed=0)
    optimizer = make_optimizer(model.parameters())
    fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=3, batch_size=10, seed=0, progress=False)
    checkpoint = pickle.dumps((model, optimizer))
    fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=3, batch_size=10, seed=1, progress=False)
    resumed, resumed_optimizer = pickle.loads(checkpoint)
    assert all(a is b for a, b in zip(resumed_optimizer.params, resumed.parameters()))
    fit(resumed, X, y, loss="hinge", optimizer=resumed_optimizer, epochs=3, batch_size=10, seed=1, progress=False)
    assert resumed.state_dict() == model.state_dict()
