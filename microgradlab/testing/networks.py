"""Strategies for small networks and data for them.

This module sits at the level of :mod:`microgradlab.nn`, which it imports;
the other modules of :mod:`microgradlab.testing` sit below ``nn`` and never
import it.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, List, Optional, Sequence, Tuple, Union

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from .. import nn, ops
from .regions import BOUND, as_strategy, kink_margin, reals

__all__ = ["MLPProblem", "mlps", "mlp_data", "mlp_problems"]

MLPProblem = namedtuple("MLPProblem", ["model", "inputs", "targets"])
MLPProblem.__doc__ = """A network with data for it: ``inputs[i]`` is a list of ``nin`` floats, ``targets[i]`` a float
(one output) or a list of ``nout`` floats, matching what ``model(inputs[i])`` returns."""


def mlps(nin: Union[int, SearchStrategy] = st.integers(1, 3), *,
         hidden: Union[Sequence[int], SearchStrategy] = st.lists(st.integers(1, 4), max_size=2),
         nout: Union[int, SearchStrategy] = 1, activations: Optional[Sequence[str]] = None,
         output_activations: Sequence[Optional[str]] = (None,),
         inits: Sequence[str] = ("uniform", "xavier", "he")) -> SearchStrategy:
    """Small :class:`microgradlab.nn.MLP` networks with seeded weights.

    Draws the hidden layer sizes, the activations, the initialisation and the
    seed (reproducible weights; shrinking moves the seed towards 0).  ``nin``,
    ``hidden`` and ``nout`` may be fixed values or strategies.
    ``activations`` defaults to :func:`microgradlab.ops.activations` when
    this function is called: every op flagged as an activation, your own included.
    """
    nin_s, hidden_s, nout_s = as_strategy(nin), as_strategy(hidden), as_strategy(nout)
    activation_s = st.sampled_from(list(ops.activations() if activations is None else activations))
    output_s = st.sampled_from(list(output_activations))
    init_s = st.sampled_from(list(inits))

    @st.composite
    def draw_mlp(draw: Any) -> nn.MLP:
        return nn.MLP(draw(nin_s), list(draw(hidden_s)) + [draw(nout_s)], activation=draw(activation_s),
                      output_activation=draw(output_s), init=draw(init_s), seed=draw(st.integers(0, 2**32 - 1)))

    return draw_mlp()


def mlp_data(nin: int, nout: int = 1, n_samples: Union[int, SearchStrategy] = st.integers(1, 4), *,
             bound: float = BOUND) -> SearchStrategy:
    """``(inputs, targets)`` for a network with ``nin`` inputs and ``nout`` outputs.

    >>> from hypothesis import find
    >>> inputs, targets = find(mlp_data(2, n_samples=3), lambda d: True)
    >>> [len(x) for x in inputs], len(targets)
    ([2, 2, 2], 3)
    """
    values = reals(-bound, bound)
    target = values if nout == 1 else st.lists(values, min_size=nout, max_size=nout)

    @st.composite
    def draw_data(draw: Any) -> Tuple[List[List[float]], List[Any]]:
        n = draw(as_strategy(n_samples))
        inputs = draw(st.lists(st.lists(values, min_size=nin, max_size=nin), min_size=n, max_size=n))
        targets = draw(st.lists(target, min_size=n, max_size=n))
        return inputs, targets

    return draw_data()


def mlp_problems(nin: Union[int, SearchStrategy] = st.integers(1, 3), nout: Union[int, SearchStrategy] = 1,
                 n_samples: Union[int, SearchStrategy] = st.integers(1, 4), *, margin: float = 1e-3,
                 **mlp_options: Any) -> SearchStrategy:
    """:class:`MLPProblem` examples: a network from :func:`mlps` and data from :func:`mlp_data`.

    Examples where some op of the network, run on the data, is within
    ``margin`` of a kink (a relu input near 0) are rejected, so finite
    differences never step over one; that is rare, as weights and data are
    continuous draws.  ``mlp_options`` go to :func:`mlps`.
    """
    nin_s, nout_s = as_strategy(nin), as_strategy(nout)

    @st.composite
    def draw_problem(draw: Any) -> MLPProblem:
        n_in, n_out = draw(nin_s), draw(nout_s)
        model = draw(mlps(n_in, nout=n_out, **mlp_options))
        inputs, targets = draw(mlp_data(n_in, n_out, n_samples))
        for x in inputs:
            outputs = model(x)
            for out in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                assume(kink_margin(out) > margin)
        return MLPProblem(model, inputs, targets)

    return draw_problem()
