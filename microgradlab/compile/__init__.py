"""Compiled, batched execution: trace a function once, then run it on whole batches with NumPy.

The scalar :class:`~microgradlab.Value` engine is the reference semantics; this
module makes it fast for training, the way JAX does, by *tracing*:

1. :func:`compile` calls ``fn`` **once** on fresh leaf Values (one per input
   number) and records the graph it builds;
2. the graph becomes a flat **tape** of op-table primitives.  Every node is
   numbered; nodes at the same depth that apply the same primitive are
   **grouped**, so that one NumPy call evaluates all of them for the whole
   batch (all 32 ReLUs of a layer, for every sample, in one ``np.maximum``);
   ``dot`` nodes that share their inputs and whose weights are parameters --
   the neurons of a layer -- are **fused** into one matrix product;
3. the returned :class:`CompiledFunction` runs the tape forward on a batch,
   then backward with the *same* derivative rules the scalar engine uses
   (each primitive's ``partials``, given a NumPy math namespace instead of
   :data:`~microgradlab.ops.SCALAR_MATH`), and adds the batch's gradient to
   each parameter's ``.grad`` -- so optimizers and training loops work unchanged.

Backward is **pruned**: it only visits nodes between the loss and the
parameters, so no gradient is ever computed for input pixels.

>>> from microgradlab.nn import MLP
>>> from microgradlab.compile import compile
>>> model = MLP(3, [4, 1], seed=0)
>>> def loss(x, target):                  # one sample: fn sees Values
...     return (model(x) - target) ** 2
>>> step = compile(loss, ([0.0, 0.0, 0.0], 0.0), params=model.parameters())
>>> import numpy as np
>>> X, y = np.ones((5, 3)), np.zeros(5)
>>> losses = step(X, y)                   # forward + backward for 5 samples at once
>>> losses.shape
(5,)
>>> reference = sum((model(list(x)) - t) ** 2 for x, t in zip(X, y)) / 5
>>> bool(abs(losses.mean() - reference.data) < 1e-12)
True

The tracing rule (JAX's)
------------------------
A compiled function must build **the same graph for every input**: the tape is
recorded once, from the example inputs.  So it may not branch on the data of
a Value.  ``if v > 0``, ``bool(v)`` and other comparisons of a Value raise
:class:`~microgradlab.TracingError` while tracing, and so does reading the
number of an input or a parameter (``x.data``, ``float(x)``): it would be baked
into the tape as a constant (see :mod:`.watch`).  A number read from an interior
node is caught by a second trace at nearby inputs and parameters, which raises
:class:`~microgradlab.TracingError` when any constant or any part of the graph
changed (``check=True``).  Write data-dependent choices with ops instead
(``relu``, ``abs``, or a mask passed as an input).

The package, one job per module: :mod:`.trace` (the tracer and its printable
program with a reference evaluator), :mod:`.watch` (reads of data while
tracing), :mod:`.tape` (grouping and fusing), :mod:`.gather` (operand layouts),
:mod:`.lower` (each kind of step as NumPy, and the array math namespace),
:mod:`.check` (array rules against scalar rules), :mod:`.explain` (a non-finite result
replayed on the scalar engine), :mod:`.runtime` (running a
tape forward and backward), :mod:`.model` (a model with its loss),
:mod:`.params` (parameters in arrays while training) and :mod:`.training`
(``fit``'s steps).

Python control flow that does not look at data -- loops over layers, list
comprehensions, ``if training:`` flags -- is fine: it runs once, at tracing.

Leaves other than the inputs: those in ``params`` are read afresh at every
call (an optimizer changes them between calls); any other leaf Value the
function closes over is a **constant** with its value at tracing time.

Every primitive of the op table carries its NumPy form (``array_forward``)
next to its scalar rule; a primitive made with :func:`microgradlab.ops.define`
without one cannot be compiled, and :func:`compile` says so.  For an n-ary op
``array_forward`` gets one array ``(n, rows, width)`` per argument group (one
slab per input; for an op over pairs, ``ws`` and ``xs``, a bias being the pair
``(b, 1)``) and reduces over axis 0; only the table's ``dot`` is lowered to
matrix products instead.  At compile time
each primitive's array rules are also checked against its scalar rules on the
traced values, so a NumPy rule that disagrees is reported, not used.

NumPy is an optional dependency (``pip install microgradlab[fast]``),
imported only when a function is compiled.
"""

from __future__ import annotations

from ..engine import TracingError
from .errors import CompileError
from .lower import GroupInfo
from .model import MAX_LABELS, CompiledModel, compile_model
from .params import ParameterArrays
from .runtime import REDUCTIONS, CompiledFunction, Gradients, compile
from .tape import Tape

__all__ = [
    "compile",
    "compile_model",
    "CompiledFunction",
    "CompiledModel",
    "CompileError",
    "Gradients",
    "Tape",
    "GroupInfo",
    "TracingError",
    "ParameterArrays",
    "MAX_LABELS",
    "REDUCTIONS",
]
