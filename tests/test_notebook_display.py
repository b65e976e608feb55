"""What a learner sees in Jupyter: a notebook executed in a real kernel (nbclient), its outputs asserted.

The notebook trains the moons classifier with a progress bar, shows the
History, its curves, the decision boundary and the computation graph of one
sample -- each as the cell's last expression, the way notebooks are written.
The executed notebook is also exported to HTML (nbconvert, when installed),
which is what a reader opens in a browser.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent

CELLS = [
    "from microgradlab import MLP, fit\n"
    "from microgradlab.datasets import make_moons\n"
    "from microgradlab.optim import SGD\n"
    "from microgradlab.plots import plot_decision_boundary\n"
    "from microgradlab.viz import draw\n"
    "X, y = make_moons(60, noise=0.1, random_state=0)\n"
    "model = MLP(2, [8, 8, 1], seed=0)",
    # progress=None: a notebook is somewhere a person watches, so the bar shows
    "history = fit(model, X, y, loss='hinge', optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9),\n"
    "              epochs=4, batch_size=20, seed=0)",
    "history",
    "history.plot()",
    "plot_decision_boundary(model, X, y, resolution=20)",
    "out = model(X[0])\nout.backward()\ndraw(out, collapse='neuron', model=model)",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebook")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    env = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env]))  # the kernel imports this checkout
    try:
        nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=True,
                                resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        if env is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = env
    return notebook


def outputs(executed, cell, kind=None):
    found = executed.cells[CELLS.index(cell)].outputs
    assert not [o for o in found if o.output_type == "error"], found
    return [o for o in found if kind is None or o.output_type == kind]


def test_fit_shows_a_progress_bar_per_batch(executed):
    shown = outputs(executed, CELLS[1])
    widgets = [o for o in shown if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    text = "".join(o.get("text", "") for o in shown if o.output_type == "stream")
    if widgets:  # ipywidgets installed: tqdm.auto's widget; its final state is saved with the notebook
        states = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        values = [w["state"].get("value") for w in states.values()]
        assert 12 in values  # the progress bar's end: 3 batches × 4 epochs
        labels = [v for v in values if isinstance(v, str)]
        assert any("12/12" in v and "loss=" in v and "epoch=4/4" in v for v in labels), labels
        assert "IProgress not found" not in text
    else:  # without ipywidgets tqdm.auto falls back to its text bar (and says to install ipywidgets)
        assert "12/12" in text and "loss=" in text


def test_history_shows_as_a_small_table(executed):
    (result,) = outputs(executed, "history", "execute_result")
    table = result.data["text/html"]
    assert table.startswith("<table") and "History: 4 epochs" in table and table.count("<tr>") == 3
    assert result.data["text/plain"].startswith("History: 4 epochs in ")


@pytest.mark.parametrize("cell", [CELLS[3], CELLS[4]], ids=["history.plot", "plot_decision_boundary"])
def test_plots_show_inline_as_pictures(executed, cell):
    (result,) = outputs(executed, cell, "execute_result")
    png = base64.b64decode(result.data["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert "Figure" in result.data["text/plain"]


def test_graph_shows_inline_as_svg_fitted_to_the_page(executed):
    (result,) = outputs(executed, CELLS[5], "execute_result")
    assert result.data["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    page = result.data["text/html"]
    assert '<svg style="max-width:100%;height:auto"' in page and "full size" in page
    assert "neuron 0" in page and "edges (8 × 8)" in page


def test_the_notebook_exports_to_html(executed, tmp_path):
    nbconvert = pytest.importorskip("nbconvert")
    html, _ = nbconvert.HTMLExporter().from_notebook_node(executed)
    assert html.count("<svg") >= 2 and "data:image/png;base64," in html and "History: 4 epochs" in html
    (tmp_path / "notebook.html").write_text(html, encoding="utf-8")
