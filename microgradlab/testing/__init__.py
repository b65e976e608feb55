"""Hypothesis strategies for testing gradients, driven by the op table.

Everything here reads :data:`microgradlab.ops.PRIMITIVES`: the ops to draw,
where each input is defined (``domain``), where it is not differentiable
(``kinks``), how to print it (``template``) and which ops are activations.
So a primitive you add with :func:`microgradlab.ops.define` -- unary, binary
or n-ary, of one argument group or two -- is drawn, checked and printed like
a built-in.

* :func:`reals` -- bounded finite floats, optionally kept away from some points;
* :func:`applications` -- one op applied to inputs drawn inside its domain;
* :func:`expressions` -- random computation graphs built from the op table,
  with an input point at which every op is differentiable with a margin;
* :func:`mlps`, :func:`mlp_data`, :func:`mlp_problems` -- small networks with
  seeded weights, and data for them;
* :func:`assert_gradients_match` -- one call for use inside ``@given`` tests;
* :func:`register_profiles`, :func:`load_profile` -- a fast ``dev`` and a
  thorough ``ci`` Hypothesis profile;
* :func:`check_engine`, :func:`assert_engine_correct` -- grade a learner's
  own engine (:mod:`microgradlab.engine_check`).

>>> from hypothesis import given, settings
>>> @settings(max_examples=20, database=None)
... @given(expressions(ops=["tanh", "mul", "log", "relu"], max_depth=3, n_inputs=2))
... def test_backprop(expr):
...     assert_gradients_match(expr)
>>> test_backprop()

One job per module: ``regions`` (safe regions and :func:`reals`), ``drawn``
(:class:`DrawnExpression`), ``builder`` (drawing a tree that stays safe),
``graphs`` (the expression strategies), ``assertions`` and ``profiles`` sit
with :mod:`microgradlab.gradcheck`, below the models, and import nothing from
``nn`` up; ``networks`` (the network strategies) sits at the level of
:mod:`microgradlab.nn`, which it imports, and so does this package, which
gathers all of them.

How expressions stay differentiable
-----------------------------------
Expressions are built bottom-up at a drawn point, so the value and gradient
of every subexpression are known while it is built.  Before a subexpression
becomes input ``k`` of an op, it must lie in that input's *safe region*: the
op's ``domain[k]`` cut to ``[-bound, bound]``, with ``margin`` removed next to
each finite domain edge and each point of ``kinks[k]``.  When it does not,
the strategy does not reject the example; it repairs it with constants that
are part of the expression: a power-of-ten scale if the subexpression is too
large or too steep, then a shift, drawn from the round numbers that land in
the safe region (nearest first, so shrinking prefers small shifts), as in
``log(x0 * x1 + 3.25)``.  Every argument of a drawn op therefore lies within
``bound``, at least ``margin`` from any kink or domain edge, and changes by at
most ``8 * max(1, |x_j|)`` per unit change of input ``j``, so a finite-difference
step of relative size ``eps`` moves it by at most about ``8 * eps``: far less
than the margin for any sensible ``eps``.  (The scales and shifts are ``mul``,
``add`` and ``sub`` nodes, which have no kinks, so they need no such care.)
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401  (checked here, once, for a clear message)
except ImportError as exc:  # pragma: no cover - the test extra is missing
    raise ImportError("microgradlab.testing needs Hypothesis: pip install 'microgradlab[test]'") from exc

from ..engine_check import EngineReport, assert_engine_correct, check_engine
from . import regions
from .assertions import assert_gradients_match
from .drawn import DrawnExpression
from .graphs import applications, expressions
from .networks import MLPProblem, mlp_data, mlp_problems, mlps
from .profiles import PROFILE_ENV, PROFILES, load_profile, profile_name, register_profiles
from .regions import kink_margin, reals, safe_intervals

BOUND = regions.BOUND
"""Default bound on inputs and on every op argument: ``exp`` stays below 55, ``x ** y`` below 300."""

MARGIN = regions.MARGIN
"""Default distance of every op argument from the op's kinks and finite domain edges."""

__all__ = [
    "BOUND",
    "MARGIN",
    "DrawnExpression",
    "reals",
    "safe_intervals",
    "applications",
    "expressions",
    "kink_margin",
    "mlps",
    "mlp_data",
    "mlp_problems",
    "MLPProblem",
    "assert_gradients_match",
    "PROFILES",
    "register_profiles",
    "profile_name",
    "load_profile",
]
