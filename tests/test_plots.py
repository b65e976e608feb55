"""Plots are objects: each returns a matplotlib Figure, draws into ``ax=``, writes a file only with ``path=``."""

import os

import pytest

from microgradlab.datasets import make_moons
from microgradlab.nn import MLP
from microgradlab.plots import plot_decision_boundary, plot_history
from microgradlab.train import History, fit

Figure = pytest.importorskip("matplotlib.figure").Figure


@pytest.fixture
def history():
    return History(loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.75, 1.0], grad_norm=[1.0, 0.5, 0.1], seconds=[0.1] * 3)


def test_history_plot_returns_a_figure_and_writes_nothing(history, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = history.plot()
    assert isinstance(fig, Figure)
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    assert list(fig.axes[0].lines[0].get_ydata()) == [1.0, 0.5, 0.25]
    assert os.listdir(tmp_path) == []


def test_history_plot_draws_into_the_users_axes(history):
    fig = Figure()
    loss_ax, acc_ax = fig.subplots(1, 2)
    assert history.plot(ax=(loss_ax, acc_ax)) is fig
    assert loss_ax.get_ylabel() == "loss" and acc_ax.get_ylabel() == "accuracy"
    one = Figure().add_subplot(1, 1, 1)
    assert plot_history(history, ax=one, title="run 1") is one.get_figure()
    assert len(one.get_figure().axes) == 1 and one.get_title() == "run 1"  # one axes: the loss alone
    with pytest.raises(TypeError, match="ax must be 2 matplotlib Axes"):
        history.plot(ax=[loss_ax])


def test_decision_boundary_returns_a_figure_into_ax_and_writes_only_with_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = make_moons(20, noise=0.1, random_state=0)
    model = MLP(2, [4, 1], seed=0)
    fig = plot_decision_boundary(model, X, y, resolution=8)
    assert isinstance(fig, Figure) and os.listdir(tmp_path) == []
    target = Figure()
    ax = target.add_subplot(1, 2, 2)
    assert plot_decision_boundary(model, X, y, ax=ax, resolution=8, title="moons") is target
    assert ax.get_title() == "moons" and ax.collections  # the regions and the points
    plot_decision_boundary(model, X, y, resolution=8, path=tmp_path / "b.png")
    assert (tmp_path / "b.png").read_bytes().startswith(b"\x89PNG")


def test_history_prints_a_summary_and_shows_a_table():
    X, y = make_moons(20, noise=0.1, random_state=0)
    history = fit(MLP(2, [4, 1], seed=0), X, y, loss="hinge", epochs=5, progress=False)
    text = repr(history)
    assert text.startswith("History: 5 epochs in ") and len(text.splitlines()) == 3
    assert f"last {history.loss[-1]:.4g}" in text and "accuracy" in text
    html = history._repr_html_()
    assert html.startswith("<table") and html.count("<tr>") == 3 and "best" in html
    assert repr(History()) == "History: no epochs"
