"""MLP's defaults: the command line's initialisation, and Python's global random when no seed is given."""

import random

import pytest

from microgradlab.nn import MLP, Layer, Neuron, default_init


@pytest.mark.parametrize("activation, init", [("relu", "he"), ("tanh", "xavier"), ("sigmoid", "xavier"),
                                              ("linear", "xavier")])
def test_the_default_init_is_the_command_lines(activation, init):
    assert default_init(activation) == init
    assert MLP(3, [5, 2], activation=activation, seed=0).state_dict() == \
        MLP(3, [5, 2], activation=activation, init=init, seed=0).state_dict()
    assert Layer(3, 5, activation, seed=0).state_dict() == Layer(3, 5, activation, init=init, seed=0).state_dict()
    assert Neuron(3, activation, seed=0).state_dict() == Neuron(3, activation, init=init, seed=0).state_dict()


def test_micrograds_uniform_init_stays_available_by_name():
    weights = [w for row in MLP(64, [32], init="uniform", seed=0).state_dict()["layers.0.weight"] for w in row]
    assert max(map(abs, weights)) > 0.9  # U(-1, 1), where He's bound for 64 inputs is 0.31
    he = [w for row in MLP(64, [32], seed=0).state_dict()["layers.0.weight"] for w in row]
    assert max(map(abs, he)) <= (6 / 64) ** 0.5


def test_without_a_seed_weights_come_from_the_global_random():
    random.seed(1337)
    first = MLP(2, [16, 16, 1])
    after_first = random.random()
    random.seed(1337)
    second = MLP(2, [16, 16, 1])
    assert second.state_dict() == first.state_dict() and random.random() == after_first
    random.seed(1337)
    bound = (6 / 2) ** 0.5  # He, 2 inputs: micrograd's order, weight by weight, neuron by neuron
    assert first.layers[0].neurons[0].w[0].data == random.uniform(-bound, bound)
    assert MLP(2, [3], seed=5).state_dict() == MLP(2, [3], seed=5).state_dict()  # a seed: a private generator
