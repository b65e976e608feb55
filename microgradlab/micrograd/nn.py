"""micrograd's ``Module``, ``Neuron``, ``Layer`` and ``MLP``, reproduced.

Weights come from Python's global :mod:`random` (``random.uniform(-1, 1)``,
neuron by neuron, layer by layer) and biases start at ``0``, as in micrograd,
so ``random.seed(1337)`` gives micrograd's model.  ``parameters()`` lists
each neuron's weights and then its bias, neuron by neuron; a neuron computes
``sum((wi*xi for wi, xi in zip(w, x)), b)``, micrograd's order of additions.
The one addition: a neuron given the wrong number of inputs raises
``ValueError`` (micrograd's ``zip`` silently drops the extra ones).

>>> import random
>>> random.seed(1337)
>>> n = Neuron(2, nonlin=False)
>>> n
LinearNeuron(2)
>>> [p.data for p in n.parameters()][-1]    # weights, then the bias
0
>>> Layer(2, 3)
Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)]
"""

from __future__ import annotations

import random
from typing import Any, List, Sequence, Union

from .engine import Value

__all__ = ["Module", "Neuron", "Layer", "MLP"]


class Module:
    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0

    def parameters(self) -> List[Value]:
        return []


class Neuron(Module):
    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Any]) -> Value:
        if hasattr(x, "__len__") and len(x) != len(self.w):
            raise ValueError(f"{self!r}: expected {len(self.w)} inputs, got {len(x)}")
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> List[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Any]) -> Union[Value, List[Value]]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> List[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    def __init__(self, nin: int, nouts: List[int]) -> None:
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x: Sequence[Any]) -> Union[Value, List[Value]]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> List[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
