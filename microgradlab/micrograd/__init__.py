"""A drop-in for karpathy's micrograd 0.1.0: change ``micrograd`` to ``microgradlab.micrograd`` in the imports.

``microgradlab.micrograd.engine.Value`` and the ``Module``, ``Neuron``, ``Layer``
and ``MLP`` of ``microgradlab.micrograd.nn`` have micrograd's layout, names,
constructors, reprs and parameter order, draw their weights from Python's
global :mod:`random` in micrograd's order, and do every floating-point
operation micrograd does in the order it does them, so a micrograd script or
notebook gives the same numbers bit for bit (see :mod:`.engine` for the one
thing micrograd leaves to chance, and what this package does instead).

>>> import random
>>> from microgradlab.micrograd.nn import MLP
>>> random.seed(1337)
>>> model = MLP(2, [16, 16, 1])
>>> len(model.parameters())
337
>>> model.layers[-1]
Layer of [LinearNeuron(16)]

For microgradlab's own engine and PyTorch-style networks, use
:class:`microgradlab.Value` and :mod:`microgradlab.nn`.
"""

from . import engine, nn

__all__ = ["engine", "nn"]
