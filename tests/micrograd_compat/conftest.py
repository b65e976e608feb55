"""Report micrograd's vendored test file as skipped when PyTorch cannot be imported.

The file is micrograd's own, unchanged but for one import, and it starts with
``import torch``; without torch its collection (as tests and, under
``--doctest-modules``, as doctests) would be an error.  A module-level
``pytest.importorskip`` in this conftest is not an option: pytest 7 turns a
skip raised by a conftest into a skip of the whole session.
"""

from __future__ import annotations

from typing import Optional

import pytest

VENDORED = "test_micrograd_engine.py"


def _torch_importable() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


TORCH_MISSING_REASON: Optional[str] = None if _torch_importable() else (
    "micrograd's own tests compare against PyTorch, which is not installed (pip install microgradlab[torch])")


def pytest_make_collect_report(collector: pytest.Collector) -> Optional[pytest.CollectReport]:
    """Skip, instead of importing, the vendored file's collectors when torch is missing."""
    path = getattr(collector, "path", None)
    if TORCH_MISSING_REASON is None or path is None or path.name != VENDORED:
        return None
    return pytest.CollectReport(collector.nodeid, "skipped", (str(path), 0, f"Skipped: {TORCH_MISSING_REASON}"), [])
