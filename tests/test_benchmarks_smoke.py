"""Smoke test: ``benchmarks/engine.py --quick`` runs end to end and prints its table.

No timing assertions: only that every workload row appears, its numbers parse
and its ratio is a positive number consistent with the two columns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("micrograd")

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "engine.py"
ROW_LABELS = ("W1 chain forward", "W1 chain backward", "W2 MLP", "W3 MLP", "Memory")


def _number(cell: str) -> float:
    return float(cell.replace(",", "").rstrip("×"))


@pytest.mark.requires_tracemalloc  # the Memory row is measured with tracemalloc
def test_quick_benchmark_prints_table_and_json(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    env = dict(os.environ)
    # The workers import microgradlab: make the checkout importable even when it is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--repeats", "1", "--json", str(out_json)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr

    rows = {}
    for line in proc.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for label in ROW_LABELS:
            if cells[0].startswith(label):
                rows[label] = cells
    assert set(rows) == set(ROW_LABELS), proc.stdout

    for label, (_, _, ours, theirs, ratio, _, met) in rows.items():
        ours, theirs, ratio = _number(ours), _number(theirs), _number(ratio)
        assert ours > 0 and theirs > 0 and ratio > 0, (label, rows[label])
        # Cells are rounded for display (ratio to 0.1, times to 0.1 or 1 of at least 100): they agree to that.
        assert ratio == pytest.approx(theirs / ours, rel=0.01, abs=0.051), (label, rows[label])
        assert met in ("yes", "no")

    saved = json.loads(out_json.read_text(encoding="utf-8"))
    assert saved["quick"] is True and saved["repeats"] == 1
    assert [row["workload"] for row in saved["rows"]] == [rows[label][0] for label in ROW_LABELS]
    for row in saved["rows"]:
        assert row["ratio"] == pytest.approx(row["micrograd"] / row["microgradlab"])
