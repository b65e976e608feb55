"""A model's outputs as plain floats: :func:`predict`, and :func:`output_floats` for one output.

A model returns a Value for one output and a list of Values for several;
the training loop, the metrics and the plots all want the numbers.

>>> from microgradlab.nn import MLP
>>> model = MLP(2, [3], seed=0)
>>> rows = predict(model, [[0.0, 0.0], [1.0, 2.0]])
>>> rows[0], len(rows[1])                     # zero biases: zero outputs at the origin
([0.0, 0.0, 0.0], 3)
"""

from __future__ import annotations

from typing import Any, List, Sequence

from .engine import Value, no_grad

__all__ = ["output_floats", "predict"]


def output_floats(output: Any) -> Any:
    """One sample's output as a float, or a list of floats for a vector output."""
    if isinstance(output, (list, tuple)):
        return [o.data if isinstance(o, Value) else float(o) for o in output]
    return output.data if isinstance(output, Value) else float(output)


def predict(model: Any, X: Sequence[Sequence[float]]) -> List[Any]:
    """The model's outputs for each row, as floats (a list of floats per row for vector outputs).

    Runs under :func:`~microgradlab.no_grad`: no graph is kept.
    """
    with no_grad():
        return [output_floats(model(x)) for x in X]
