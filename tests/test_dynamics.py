"""fit(record="gradients") and plot_training_dynamics against values computed by hand."""

import math

import pytest

from microgradlab import MLP, SGD, fit
from microgradlab.dynamics import TrainingDynamics, layer_statistics, plot_training_dynamics
from microgradlab.losses import mse


def tiny():
    """MLP(1, [2, 1]) with round weights: neuron 0 is active on x = 1, neuron 1 is not."""
    model = MLP(1, [2, 1], seed=0)
    (n0, n1), (out,) = model.layers[0].neurons, model.layers[1].neurons
    n0.w[0].data, n0.b.data = 0.5, 0.0
    n1.w[0].data, n1.b.data = -1.0, 0.25
    out.w[0].data, out.w[1].data, out.b.data = 2.0, 3.0, 0.1
    return model


def test_statistics_match_the_hand_computation():
    model = tiny()
    hidden, output = layer_statistics(model, mse, [[1.0]], [1.0])
    # forward: h = (relu(0.5), relu(-0.75)) = (0.5, 0); y_hat = 2*0.5 + 3*0 + 0.1 = 1.1
    # mse = (y_hat - y)² / 2, so dL/dy_hat = 0.1
    # output layer: d/dw = 0.1 * h = (0.05, 0), d/db = 0.1
    assert output.grad_norm == pytest.approx(math.sqrt(0.05 ** 2 + 0.1 ** 2))
    assert output.grad_mean == pytest.approx(0.05)
    assert output.grad_std == pytest.approx(math.sqrt((0.0 + 0.05 ** 2 + 0.05 ** 2) / 3))
    assert (output.act_mean, output.act_std) == (pytest.approx(1.1), 0.0)
    assert output.inactive is None and output.dead is None  # a linear layer has no ReLUs
    # hidden layer: dL/dh0 = 0.1 * 2 = 0.2 -> d/dw0 = 0.2 * x = 0.2, d/db0 = 0.2; neuron 1 inactive: 0, 0
    assert hidden.grad_norm == pytest.approx(math.sqrt(0.08))
    assert (hidden.grad_mean, hidden.grad_std) == (pytest.approx(0.1), pytest.approx(0.1))
    assert (hidden.act_mean, hidden.act_std) == (0.25, 0.25)
    assert (hidden.inactive, hidden.dead) == (0.5, 0.5)


def test_inactive_is_per_output_and_dead_per_neuron():
    model = tiny()
    hidden, _ = layer_statistics(model, mse, [[1.0], [-1.0]], [1.0, 0.0])
    # x = -1: h = (relu(-0.5), relu(1.25)) = (0, 1.25): each neuron is active once
    assert hidden.inactive == 0.5 and hidden.dead == 0.0
    assert hidden.act_mean == pytest.approx((0.5 + 0.0 + 0.0 + 1.25) / 4)


def test_fit_records_each_epoch_as_it_starts_and_leaves_grads_alone():
    model = tiny()
    reference = layer_statistics(model, mse, [[1.0]], [1.0])
    history = fit(model, [[1.0]], [1.0], optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
                  record="gradients", progress=False)
    dynamics = history.dynamics
    assert dynamics.layers == ["layers.0", "layers.1"] and len(dynamics.epochs) == len(history) == 3
    assert dynamics.epochs[0] == reference  # the initialisation
    assert dynamics.series("layers.1", "grad_norm")[0] == pytest.approx(math.sqrt(0.0125))
    # the full-batch gradient norm of the whole model is the layers' norms combined
    for e in range(3):
        combined = math.sqrt(sum(dynamics.series(l, "grad_norm")[e] ** 2 for l in dynamics.layers))
        assert combined == pytest.approx(history.grad_norm[e], rel=1e-9)
    assert dynamics.series(0, "dead") == [0.5, 0.5, 0.5]  # neuron 1 never wakes up on x = 1
    plain = fit(tiny(), [[1.0]], [1.0], optimizer=None, epochs=3, progress=False)
    assert plain.dynamics is None and plain.loss == history.loss  # recording changes nothing


def test_compiled_and_scalar_fits_record_the_same():
    X, y = [[0.5], [-1.0], [2.0]], [1.0, 0.0, 1.5]
    runs = [fit(tiny(), X, y, epochs=4, record="gradients", progress=False, compiled=c) for c in (False, None)]
    for a, b in zip(runs[0].dynamics.epochs, runs[1].dynamics.epochs):
        for sa, sb in zip(a, b):
            assert sa.grad_norm == pytest.approx(sb.grad_norm, rel=1e-9)
            assert sa.inactive == sb.inactive


def test_errors():
    with pytest.raises(ValueError, match="record must be None or 'gradients'"):
        fit(tiny(), [[1.0]], [1.0], epochs=1, record="weights", progress=False)

    class NotAnMLP:
        def __call__(self, x):
            return self.w * x[0]

        def parameters(self):
            return [self.w]

    from microgradlab import Parameter
    m = NotAnMLP()
    m.w = Parameter(1.0)
    with pytest.raises(ValueError, match="needs an MLP"):
        fit(m, [[1.0]], [1.0], epochs=1, record="gradients", progress=False, compiled=False)
    with pytest.raises(ValueError, match="unknown statistic"):
        TrainingDynamics(["layers.0"]).series("layers.0", "norm")
    with pytest.raises(ValueError, match="no dynamics recorded"):
        plot_training_dynamics(fit(tiny(), [[1.0]], [1.0], epochs=1, progress=False))


def test_plot_returns_a_figure_and_draws_into_given_axes(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    history = fit(tiny(), [[1.0], [-1.0]], [1.0, 0.0], epochs=5, record="gradients", progress=False)
    fig = plot_training_dynamics(history, path=tmp_path / "dynamics.svg", title="tiny")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert (tmp_path / "dynamics.svg").read_text().startswith("<?xml")
    grad_panel, _, relu_panel = fig.axes
    assert len(grad_panel.lines) == 2 and len(relu_panel.lines) == 1  # only the hidden layer has ReLUs
    assert list(grad_panel.lines[0].get_ydata()) == history.dynamics.series("layers.0", "grad_norm")
    outer = Figure()
    axes = [outer.add_subplot(3, 1, k) for k in (1, 2, 3)]
    assert plot_training_dynamics(history.dynamics, ax=axes) is outer
    with pytest.raises(ValueError, match="three Axes"):
        plot_training_dynamics(history, ax=axes[:2])
    with pytest.raises(ValueError, match=".svg, .png or .pdf"):
        plot_training_dynamics(history, path=tmp_path / "x.jpg")
