"""Weight initialisation, as ``torch.nn.init``: where a layer's first weights come from.

Every scheme draws each weight from a uniform distribution ``U(-a, a)``; they
differ in the bound ``a``, computed from the layer's ``fan_in`` (inputs) and
``fan_out`` (outputs).  Biases start at 0 in every scheme.

>>> round(init_bound("xavier", fan_in=2, fan_out=4), 6)      # sqrt(6 / (2 + 4))
1.0
>>> init_bound("he", fan_in=6, fan_out=1), init_bound("uniform", 784, 32)
(1.0, 1.0)
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, Dict

from .checks import RandomState, check_choice, check_random_state

__all__ = ["INITS", "init_bound", "default_init", "weight_generator"]

#: Initialisation name -> bound ``a`` of U(-a, a) from (fan_in, fan_out).
_BOUNDS: Dict[str, Callable[[int, int], float]] = {
    # micrograd's Neuron: random.uniform(-1, 1)
    "uniform": lambda fan_in, fan_out: 1.0,
    # Glorot & Bengio (2010), torch.nn.init.xavier_uniform_: variance 2 / (fan_in + fan_out)
    "xavier": lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
    "glorot": lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
    # He et al. (2015), torch.nn.init.kaiming_uniform_(nonlinearity="relu"): variance 2 / fan_in
    "he": lambda fan_in, fan_out: math.sqrt(6.0 / fan_in),
    "kaiming": lambda fan_in, fan_out: math.sqrt(6.0 / fan_in),
}
#: The names :func:`init_bound` accepts (``"glorot"`` and ``"kaiming"`` are aliases).
INITS = tuple(_BOUNDS)


def init_bound(init: str, fan_in: int, fan_out: int, where: str = "init_bound") -> float:
    """The bound ``a`` of ``U(-a, a)`` for scheme ``init``; ``ValueError`` naming ``where`` for an unknown one."""
    return _BOUNDS[check_choice(where, "init", init, INITS)](fan_in, fan_out)


def default_init(activation: str) -> str:
    """The initialisation a model gets when none is named: ``"he"`` for ReLU, else ``"xavier"``.

    The same rule as the command line's, so a network built in Python starts
    (and trains) as the CLI's does.  On the digits (64-32-10, SGD with momentum,
    10 epochs) He starts at cross-entropy 2.45 where micrograd's ``"uniform"``
    starts at 7.6.

    >>> default_init("relu"), default_init("tanh")
    ('he', 'xavier')
    """
    return "he" if activation == "relu" else "xavier"


def weight_generator(seed: RandomState, where: str) -> Any:
    """What weights are drawn from: Python's global ``random`` for None (as micrograd does), else a private one.

    An int seeds a new :class:`random.Random`; a ``random.Random`` is used as it is.
    """
    return random if seed is None or seed is random else check_random_state(seed, where, "seed")
