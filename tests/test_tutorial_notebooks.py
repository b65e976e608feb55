"""Every tutorial, as the Jupyter notebook the docs offer for download, runs top to bottom in a kernel.

The notebooks are made from the pages by docs/notebooks.py (as the Sphinx
build makes them) and executed with nbclient; the page's doctests already
check each output, so here every cell must run without an error, and the
notebook must show the page's figures (as cell attachments).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
spec = importlib.util.spec_from_file_location("docs_notebooks", DOCS / "notebooks.py")
notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(notebooks)

TUTORIALS = sorted(notebooks.TUTORIALS.glob("*.md"))


def execute(notebook, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    node = nbformat.from_dict(notebook)
    client = nbclient.NotebookClient(node, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return node


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_notebook_runs_top_to_bottom(page, tmp_path, monkeypatch):
    # the kernel imports this checkout's microgradlab, installed or not
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(DOCS.parent), os.environ.get("PYTHONPATH")])))
    text = page.read_text(encoding="utf-8")
    notebook = notebooks.tutorial_notebook(text, page.stem, page.parent)
    executed = execute(notebook, tmp_path)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code)  # every cell ran, in order
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    figures = [name for c in executed.cells if c.cell_type == "markdown" for name in c.get("attachments", {})]
    assert sorted(figures) == sorted(m.group(2).rsplit("/", 1)[-1] for m in notebooks._IMAGE.finditer(text))
