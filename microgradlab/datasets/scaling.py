"""Feature scaling fitted on training rows and stored with a model: standardisation and min-max.

>>> scaling = Scaling.fit("minmax", [[0.0, 10.0], [2.0, 30.0]])
>>> scaling.transform([[1.0, 20.0]])
[[0.5, 0.5]]
>>> Scaling.from_dict(scaling.to_dict(), 2) == scaling
True
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

__all__ = ["SCALINGS", "Scaling"]

#: The kinds of scaling: ``standard`` (mean 0, standard deviation 1, as scikit-learn's
#: StandardScaler) and ``minmax`` (each feature into [0, 1], as MinMaxScaler).
SCALINGS = ("standard", "minmax")


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
        columns = list(zip(*X))
        if kind == "standard":
            offset = [math.fsum(c) / len(c) for c in columns]
            spread = [math.sqrt(math.fsum((v - m) ** 2 for v in c) / len(c)) for c, m in zip(columns, offset)]
        else:
            offset = [min(c) for c in columns]
            spread = [max(c) - low for c, low in zip(columns, offset)]
        return cls(kind, offset, [s if s > 0.0 and math.isfinite(s) else 1.0 for s in spread])

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
                    isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in values):
                raise ValueError(f"the scaling's {key} must be a list of {n_features} finite numbers")
        if not all(d > 0 for d in data["divisor"]):
            raise ValueError("the scaling's divisors must be positive")
        return cls(data["kind"], [float(v) for v in data["offset"]], [float(v) for v in data["divisor"]])
