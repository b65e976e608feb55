"""The ``ordered_micrograd`` fixture: micrograd 0.1.0 with its children visited in operand order."""

from __future__ import annotations

from typing import Any, Tuple

import pytest


@pytest.fixture
def ordered_micrograd(monkeypatch: pytest.MonkeyPatch) -> Any:
    """micrograd's engine module, its ``Value._prev`` a dict's keys (a set iterated in operand order).

    micrograd orders a graph by iterating over the sets ``_prev``, in an order
    that follows memory addresses; this makes it the order
    ``microgradlab.micrograd`` uses, so the two can be compared bit for bit.
    """
    engine = pytest.importorskip("micrograd.engine", reason="micrograd is not installed (the bench extra)")
    init = engine.Value.__init__

    def ordered_init(self: Any, data: Any, _children: Tuple[Any, ...] = (), _op: str = "") -> None:
        init(self, data, _children, _op)
        self._prev = dict.fromkeys(_children)

    monkeypatch.setattr(engine.Value, "__init__", ordered_init)
    return engine
