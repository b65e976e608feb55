"""Feature scaling fitted on training rows and stored with a model: standardisation and min-max.

>>> scaling = Scaling.fit("minmax", [[0.0, 10.0], [2.0, 30.0]])
>>> scaling.transform([[1.0, 20.0]])
[[0.5, 0.5]]
>>> Scaling.from_dict(scaling.to_dict(), 2) == scaling
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

from ..checks import is_real

__all__ = ["SCALINGS", "Scaling"]

#: The kinds of scaling: ``standard`` (mean 0, standard deviation 1, as scikit-learn's
#: StandardScaler) and ``minmax`` (each feature into [0, 1], as MinMaxScaler).
SCALINGS = ("standard", "minmax")


def _statistics(kind: str, j: int, column: Sequence[float]) -> Tuple[float, float]:
    """``(offset, divisor)`` of feature ``j``; a spread that overflows is an error, never a silent 1."""
    try:
        if kind == "standard":
            offset = math.fsum(column) / len(column)
            spread = math.sqrt(math.fsum((v - offset) ** 2 for v in column) / len(column))
        else:
            offset, spread = min(column), max(column) - min(column)
    except OverflowError:  # fsum of values near the largest float
        offset = spread = math.inf
    if not (math.isfinite(offset) and math.isfinite(spread)):
        raise ValueError(f"the values of feature {j} are too large for {kind} scaling (their spread overflows "
                         f"a float)")
    return offset, spread if spread > 0.0 else 1.0


@dataclass(frozen=True)
class Scaling:
    """``x -> (x - offset) / divisor`` per feature; a constant feature gets divisor 1, as in scikit-learn."""

    kind: str
    offset: List[float]
    divisor: List[float]

    @classmethod
    def fit(cls, kind: str, X: Sequence[Sequence[float]]) -> "Scaling":
        """Fit on the rows ``X`` (the training split only, so the test rows stay unseen)."""
        if kind not in SCALINGS:
            raise ValueError(f"Scaling.fit: kind must be one of {', '.join(SCALINGS)}, got {kind!r}")
        statistics = [_statistics(kind, j, column) for j, column in enumerate(zip(*X))]
        return cls(kind, [o for o, _ in statistics], [d for _, d in statistics])

    def transform(self, X: Sequence[Sequence[float]]) -> List[List[float]]:
        """The rows scaled (new lists; ``X`` is not changed)."""
        pairs = list(zip(self.offset, self.divisor))
        return [[(v - o) / d for v, (o, d) in zip(row, pairs)] for row in X]

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "offset": list(self.offset), "divisor": list(self.divisor)}

    @classmethod
    def from_dict(cls, data: Any, n_features: int) -> "Scaling":
        """Rebuild from :meth:`to_dict`'s output, checking it: ``ValueError`` says what is wrong."""
        if not isinstance(data, dict) or set(data) != {"kind", "offset", "divisor"} or data["kind"] not in SCALINGS:
            raise ValueError(f"a scaling must be {{'kind': one of {', '.join(SCALINGS)}, 'offset': [...], "
                             f"'divisor': [...]}}")
        for key in ("offset", "divisor"):
            values = data[key]
            if not isinstance(values, list) or len(values) != n_features or not all(
                    is_real(v) and math.isfinite(v) for v in values):
                raise ValueError(f"the scaling's {key} must be a list of {n_features} finite numbers")
        if not all(d > 0 for d in data["divisor"]):
            raise ValueError("the scaling's divisors must be positive")
        return cls(data["kind"], [float(v) for v in data["offset"]], [float(v) for v in data["divisor"]])
