"""Tests of microgradlab.train: fit against hand-written loops, the demo results, History, metrics."""

from __future__ import annotations

import math
import random
import sys

import pytest

from microgradlab import Value
from microgradlab.datasets import iterate_minibatches, load_digits, make_moons, train_test_split
from microgradlab.losses import binary_cross_entropy, mse
from microgradlab.nn import MLP
from microgradlab.optim import SGD, Adam, StepLR
from microgradlab.train import History, accuracy, evaluate, fit, predict

# Weights from fit and from an independent loop agree to 1e-12: both do the
# same float operations, perhaps summed in another order (per-sample backward
# vs one backward through the batch mean), which changes results only in the
# last few bits per step.
REL = 1e-12


def regression_data(n=12, seed=0):
    rng = random.Random(seed)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    y = [[math.sin(a) + b, a * b] for a, b in X]
    return X, y


def flat(model):
    return [p.data for p in model.parameters()]


# --- fit against hand-written loops ------------------------------------------------------------


def test_full_batch_is_the_seeds_gradient_descent():
    X, y = regression_data()
    lr, epochs = 0.3, 4
    model = MLP(2, [5, 2], activation="tanh", seed=1)
    reference = MLP(2, [5, 2], activation="tanh", seed=1)
    history = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=lr), epochs=epochs,
                  progress=False)

    # The seeds' gradient_descent: per sample forward and backward of ½||y - ŷ||²,
    # gradients summed, then w -= lr / len(training_data) * gradient; zero_grad.
    params = reference.parameters()
    losses = []
    for _ in range(epochs):
        total = 0.0
        for x, label in zip(X, y):
            output = reference(x)
            sample_loss = sum((o - t) ** 2 for o, t in zip(output, label)) * 0.5
            sample_loss.backward()
            total += sample_loss.data
        losses.append(total / len(X))
        for p in params:
            p.data -= lr / len(X) * p.grad
            p.grad = 0.0
    assert flat(model) == pytest.approx(flat(reference), rel=REL, abs=1e-14)
    assert history.loss == pytest.approx(losses, rel=REL)
    assert history.accuracy == [None] * epochs  # regression: no accuracy
    assert history.stop_reason is None and len(history) == epochs


def test_mini_batches_are_iterate_minibatches_with_the_seeded_generator():
    X, y = regression_data(n=10)
    model = MLP(2, [4, 2], activation="tanh", seed=2)
    reference = MLP(2, [4, 2], activation="tanh", seed=2)
    history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.2, momentum=0.5), epochs=3,
                  batch_size=4, seed=9, progress=False)

    opt = SGD(reference.parameters(), lr=0.2, momentum=0.5)
    rng = random.Random(9)
    losses = []
    for _ in range(3):
        epoch_loss = 0.0
        for xb, yb in iterate_minibatches(X, y, 4, shuffle=True, random_state=rng):
            opt.zero_grad()
            loss = mse([reference(x) for x in xb], yb)
            loss.backward()
            opt.step()
            epoch_loss += loss.data * len(xb) / len(X)
        losses.append(epoch_loss)
    assert flat(model) == pytest.approx(flat(reference), rel=REL, abs=1e-14)
    assert history.loss == pytest.approx(losses, rel=REL)


def test_grad_norm_is_the_norm_of_the_full_gradient():
    X, y = regression_data()
    model = MLP(2, [3, 2], seed=4)
    copy = MLP(2, [3, 2], seed=4)
    mse([copy(x) for x in X], y).backward()
    expected = math.sqrt(sum(p.grad ** 2 for p in copy.parameters()))
    history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.01), epochs=1, progress=False)
    assert history.grad_norm[0] == pytest.approx(expected, rel=REL)


def test_tol_stops_at_a_small_gradient():
    # y = 2x + 1 with a linear neuron: a convex problem, so ||∇L|| -> 0.
    X = [[x / 4] for x in range(-4, 5)]
    y = [2 * row[0] + 1 for row in X]
    model = MLP(1, [1], seed=0)
    history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.5), epochs=5000, tol=1e-6, progress=False)
    assert history.stop_reason == "tol"
    assert len(history) < 5000
    assert history.grad_norm[-1] < 1e-6 <= min(history.grad_norm[:-1])
    assert flat(model) == pytest.approx([2.0, 1.0], abs=1e-5)


def test_default_optimizer_is_sgd_with_lr_0_1():
    X, y = regression_data(n=6)
    a, b = MLP(2, [3, 2], seed=5), MLP(2, [3, 2], seed=5)
    fit(a, X, y, epochs=3, progress=False)
    fit(b, X, y, optimizer=SGD(b.parameters(), lr=0.1), epochs=3, progress=False)
    assert flat(a) == flat(b)


def test_mse_turns_class_indices_into_one_hot_vectors():
    X = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
    a, b = MLP(2, [3], seed=6), MLP(2, [3], seed=6)
    ha = fit(a, X, [0, 2, 1], loss="mse", epochs=2, progress=False)
    hb = fit(b, X, [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], loss="mse", epochs=2, progress=False)
    assert flat(a) == flat(b)
    assert ha == hb and ha.accuracy[0] is not None


def test_callable_loss():
    X, y = make_moons(20, noise=0.1, random_state=0)
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    ha = fit(a, X, y, loss=lambda outputs, labels: binary_cross_entropy(outputs, labels), epochs=3,
             progress=False, threshold=0.0)
    hb = fit(b, X, y, loss="bce", epochs=3, progress=False)
    assert flat(a) == flat(b) and ha == hb


# --- the demos ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["hinge", "bce"])
def test_moons_reach_full_training_accuracy(loss):
    # micrograd's demo: 100 moons with noise 0.1, MLP 2-16-16-1, full-batch descent.
    X, y = make_moons(100, noise=0.1, random_state=1)
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9),
                  epochs=100, progress=False)
    assert accuracy(model, X, y) == 1.0
    assert history.accuracy[-1] == 1.0
    assert history.loss[-1] < history.loss[0] / 10


def test_digits_subset_generalises():
    # A smaller run of examples/digits.py: 500 of the 1,797 digits, 5 epochs.
    X, y = load_digits(scale=True)
    X_train, X_test, y_train, y_test = train_test_split(X[:500], y[:500], test_size=0.2, random_state=0,
                                                        stratify=y[:500])
    model = MLP(64, [32, 10], init="he", seed=0)
    history = fit(model, X_train, y_train, loss="cross_entropy",
                  optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=5, batch_size=16, seed=0,
                  progress=False)
    assert history.accuracy[-1] > 0.9
    assert accuracy(model, X_test, y_test) >= 0.9  # chance is 0.1
    result = evaluate(model, X_test, y_test, loss="cross_entropy")
    assert result.accuracy == accuracy(model, X_test, y_test)
    assert 0.0 < result.loss < history.loss[0]


# --- reproducibility --------------------------------------------------------------------------------


def test_same_seed_gives_identical_weights_and_history():
    X, y = make_moons(40, noise=0.2, random_state=3)
    runs = []
    for _ in range(2):
        model = MLP(2, [8, 1], seed=7)
        history = fit(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05), epochs=4,
                      batch_size=8, seed=11, progress=False)
        runs.append((model.state_dict(), history))
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == runs[1][1]
    assert runs[0][1].seconds != [] and runs[0][1].loss == runs[1][1].loss
    other = MLP(2, [8, 1], seed=7)
    fit(other, X, y, loss="hinge", optimizer=Adam(other.parameters(), lr=0.05), epochs=4, batch_size=8, seed=12,
        progress=False)
    assert other.state_dict() != runs[0][0]


def test_without_shuffle_batches_keep_the_data_order():
    X, y = regression_data(n=6)
    a, b = MLP(2, [2, 2], seed=1), MLP(2, [2, 2], seed=1)
    fit(a, X, y, epochs=2, batch_size=4, shuffle=False, seed=1, progress=False)
    fit(b, X, y, epochs=2, batch_size=4, shuffle=False, seed=2, progress=False)
    assert flat(a) == flat(b)


# --- history and callbacks -----------------------------------------------------------------------------


def test_history_records_every_epoch():
    X, y = make_moons(30, noise=0.1, random_state=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, loss="bce", epochs=5, progress=False)
    assert isinstance(history, History)
    assert len(history.loss) == len(history.accuracy) == len(history.grad_norm) == len(history.seconds) == 5
    assert all(s > 0 for s in history.seconds)
    assert all(0.0 <= a <= 1.0 for a in history.accuracy)
    assert all(g > 0 for g in history.grad_norm)
    assert fit(MLP(2, [4, 1], seed=0), X, y, epochs=0, progress=False) == History()


def test_callbacks_see_each_epoch_and_can_stop():
    X, y = make_moons(20, noise=0.1, random_state=0)
    model = MLP(2, [4, 1], seed=0)
    calls = []

    def record(epoch, history, m):
        calls.append((epoch, len(history), m is model))

    history = fit(model, X, y, loss="hinge", epochs=10, progress=False,
                  callbacks=[record, lambda epoch, history, m: epoch == 2])
    assert calls == [(0, 1, True), (1, 2, True), (2, 3, True)]
    assert history.stop_reason == "callback" and len(history) == 3


def test_a_scheduler_runs_as_a_callback():
    X, y = make_moons(20, noise=0.1, random_state=0)
    model = MLP(2, [4, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.4)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    rates = []
    fit(model, X, y, loss="hinge", optimizer=opt, epochs=5, progress=False,
        callbacks=[lambda e, h, m: sched.step(), lambda e, h, m: rates.append(opt.lr)])
    assert rates == [0.4, 0.2, 0.2, 0.1, 0.1]


def test_progress_bar_shows_loss_and_accuracy(capsys):
    X, y = make_moons(10, noise=0.1, random_state=0)
    fit(MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "fit" in err and "3/3" in err and "loss=" in err and "acc=" in err
    assert "epoch=3/3" in err


def test_progress_bar_moves_per_batch_with_the_running_loss(capsys):
    X, y = make_moons(10, noise=0.1, random_state=0)
    fit(MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=2, batch_size=4, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err and "epoch=2/2" in err  # 3 batches per epoch: 10 = 4 + 4 + 2


def test_no_progress_bar_when_nobody_watches(capsys):
    X, y = make_moons(10, noise=0.1, random_state=0)
    fit(MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=2)  # progress=None and stderr is not a terminal
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        fit(MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=2, progress="yes")


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_history_plot(tmp_path, suffix, magic):
    pytest.importorskip("matplotlib")
    history = History(loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.75, 1.0], grad_norm=[1.0, 0.5, 0.1],
                      seconds=[0.1] * 3)
    path = tmp_path / f"curve{suffix}"
    history.plot(path=path, title="moons")
    assert path.read_bytes().startswith(magic)
    if suffix == ".svg":
        text = path.read_text()
        assert "loss" in text and "accuracy" in text


def test_history_plot_errors(tmp_path, monkeypatch):
    history = History(loss=[1.0], accuracy=[None], grad_norm=[1.0], seconds=[0.1])
    with pytest.raises(ValueError, match="must end in .svg, .png or .pdf"):
        history.plot(path=tmp_path / "curve.jpg")
    with pytest.raises(ValueError, match="no epochs"):
        History().plot(path=tmp_path / "curve.svg")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install microgradlab\[plot\]"):
        history.plot(path=tmp_path / "curve.svg")
    assert not (tmp_path / "curve.svg").exists()


# --- predict, accuracy, evaluate ------------------------------------------------------------------------


def identity_model():
    """A one-output model whose output is its input."""
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"layers.0.weight": [[1.0]], "layers.0.bias": [0.0]})
    return model


def test_predict_returns_floats():
    assert predict(identity_model(), [[0.5], [-2.0]]) == [0.5, -2.0]
    outputs = predict(MLP(2, [3], seed=0), [[1.0, 2.0]])
    assert len(outputs[0]) == 3 and all(type(v) is float for v in outputs[0])


def test_one_output_accuracy_thresholds():
    model = identity_model()
    X = [[-1.0], [0.25], [0.75], [2.0]]
    assert accuracy(model, X, [0, 1, 1, 1]) == 1.0  # output > 0 is class 1
    assert accuracy(model, X, [-1, 1, 1, 1]) == 1.0
    assert accuracy(model, X, [0, 0, 1, 1], threshold=0.5) == 1.0
    # evaluate picks the threshold from the loss and labels: 0 for logits, 0.5 for 0/1 targets of mse.
    assert evaluate(model, X, [0, 0, 1, 1], loss="bce").accuracy == 0.75
    assert evaluate(model, X, [0, 0, 1, 1], loss="mse").accuracy == 1.0
    assert evaluate(model, X, [-1, -1, 1, 1], loss="mse").accuracy == 0.75
    result = evaluate(model, X, [0, 0, 1, 1], loss="hinge")
    expected = (0 + (1 + 0.25) + (1 - 0.75) + 0) / 4
    assert result.loss == pytest.approx(expected, rel=REL) and result.accuracy == 0.75


def test_several_outputs_accuracy_is_argmax():
    model = MLP(2, [2], seed=0)
    model.load_state_dict({"layers.0.weight": [[1.0, 0.0], [0.0, 1.0]], "layers.0.bias": [0.0, 0.0]})
    X = [[1.0, 0.0], [0.0, 1.0], [2.0, 3.0], [1.0, 1.0]]
    assert accuracy(model, X, [0, 1, 1, 0]) == 1.0  # a tie goes to the first class, like argmax
    assert accuracy(model, X, [[1, 0], [0, 1], [0, 1], [0, 1]]) == 0.75
    assert evaluate(model, X, [0, 1, 1, 0], loss="cross_entropy").accuracy == 1.0
    assert evaluate(model, X, [[0.5, 2.0], [0.0, 1.0], [0, 1], [1, 0]], loss="mse").accuracy is None
    with pytest.raises(ValueError, match="labels must be classes"):
        accuracy(model, X, [0.5, 1, 1, 0])


def test_regression_labels_have_no_accuracy():
    X = [[0.0], [1.0]]
    assert evaluate(identity_model(), X, [0.3, 2.5], loss="mse").accuracy is None
    with pytest.raises(ValueError, match="labels must be classes"):
        accuracy(identity_model(), X, [0.3, 2.5])


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(X=[[0.0, 0.0]], y=[0, 1]), ValueError, "X has 1 rows but y has 2 labels"),
    (dict(X=[], y=[]), ValueError, "no data"),
    (dict(X="ab", y=[0, 1]), TypeError, "X must be a list"),
    (dict(loss="l1"), ValueError, "unknown loss 'l1'"),
    (dict(loss=3), TypeError, "loss must be a loss name or a function"),
    (dict(loss="cross_entropy"), ValueError, "cross_entropy needs one logit per class"),
    (dict(epochs=-1), ValueError, "epochs must be >= 0"),
    (dict(epochs=2.0), TypeError, "epochs must be an int"),
    (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
    (dict(tol=0.0), ValueError, "tol must be a positive number"),
    (dict(tol=math.nan), ValueError, "tol must be a positive number"),
    (dict(seed="a"), TypeError, "seed must be an int"),
    (dict(callbacks=[3]), TypeError, "each callback must be a function"),
    (dict(optimizer="sgd"), TypeError, "optimizer must be an Optimizer"),
    (dict(optimizer=SGD(MLP(2, [1], seed=0).parameters(), lr=0.1)), ValueError,
     "3 of the optimizer's 3 parameters are not parameters of the model"),
    (dict(loss=lambda outputs, labels: 1.0), TypeError, "must return a Value"),
    (dict(threshold="high"), ValueError, "threshold must be a finite number"),
])
def test_fit_errors(kwargs, error, message):
    model = MLP(2, [1], seed=1)
    before = model.state_dict()
    args = dict(X=[[0.0, 1.0], [1.0, 0.0]], y=[0, 1], loss="hinge", progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        fit(model, args.pop("X"), args.pop("y"), **args)
    assert model.state_dict() == before


def test_loss_must_fit_the_outputs():
    X = [[0.0, 1.0]]
    with pytest.raises(ValueError, match="hinge needs a model with one output, this one has 3"):
        fit(MLP(2, [3], seed=0), X, [1], loss="hinge", progress=False)
    with pytest.raises(ValueError, match="label 0 is class 5, out of range for a model with 3 outputs"):
        fit(MLP(2, [3], seed=0), X, [5], loss="mse", progress=False)
    with pytest.raises(ValueError, match="class index 3 is out of range"):
        fit(MLP(2, [3], seed=0), X, [3], loss="cross_entropy", progress=False)


def test_divergence_is_a_floating_point_error():
    X = [[1e3], [-1e3]]
    model = MLP(1, [1], seed=0)
    with pytest.raises(FloatingPointError, match="smaller learning rate|gradient of parameter"):
        fit(model, X, [1e3, -1e3], optimizer=SGD(model.parameters(), lr=1e6), epochs=100, progress=False)
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_inputs_that_are_values_work():
    X = [[Value(0.5), Value(-0.5)], [Value(1.0), Value(0.0)]]
    history = fit(MLP(2, [2, 1], seed=0), X, [1, 0], loss="bce", epochs=2, progress=False)
    assert len(history) == 2


def test_numpy_arrays_as_data():
    np = pytest.importorskip("numpy")
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    y = np.array([0, 2, 1])
    a, b = MLP(2, [3], seed=0), MLP(2, [3], seed=0)
    ha = fit(a, X, y, loss="cross_entropy", epochs=2, progress=False)
    hb = fit(b, X.tolist(), y.tolist(), loss="cross_entropy", epochs=2, progress=False)
    assert flat(a) == flat(b) and ha == hb
    assert all(type(v) is float for v in ha.accuracy + ha.loss)


# --- losses are read by what they declare, not by name ---------------------------------------------------


def squared_error(outputs, labels):
    """mse under another name, declaring nothing."""
    return mse(outputs, labels)


def test_a_declared_loss_of_ones_own_is_treated_as_the_built_in_one():
    from microgradlab.loss_spec import declare, spec_of

    @declare(outputs="values", n_outputs="any", labels="real")
    def own(outputs, labels):
        return mse(outputs, labels)

    assert spec_of(own) == spec_of(mse)
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [2, 0, 1]
    a, b = MLP(2, [3], seed=0), MLP(2, [3], seed=0)
    ha = fit(a, X, y, loss="mse", epochs=3, compiled=False, progress=False)
    hb = fit(b, X, y, loss=own, epochs=3, compiled=False, progress=False)  # class indices become one-hot for both
    assert flat(a) == flat(b) and ha == hb and ha.accuracy[-1] is not None


def test_a_declared_one_output_loss_is_checked_against_the_model():
    from microgradlab.loss_spec import declare

    @declare(outputs="logits", n_outputs="per_class", labels="class_index")
    def my_ce(logits, labels):
        raise AssertionError("never called: the model has one output")

    with pytest.raises(ValueError, match="my_ce needs one logit per class .* use loss='bce' or 'hinge'"):
        fit(MLP(2, [1], seed=0), [[0.0, 1.0]], [1], loss=my_ce, progress=False)


def test_an_undeclared_loss_is_called_as_it_is():
    X = [[-1.0], [0.25], [0.75], [2.0]]
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"layers.0.weight": [[1.0]], "layers.0.bias": [0.0]})
    # no declaration: 0/1 labels are read with the threshold 0.5, as for mse
    assert evaluate(model, X, [0, 0, 1, 1], loss=squared_error).accuracy == 1.0
    with pytest.raises(ValueError, match="output 0 is a vector of 3 but its label is 2"):
        fit(MLP(2, [3], seed=0), [[0.0, 1.0]], [2], loss=squared_error, compiled=False, progress=False)


def test_declarations_are_checked():
    from microgradlab.loss_spec import LossSpec

    with pytest.raises(ValueError, match="LossSpec: unknown labels 'ints'; choose one of 'real'"):
        LossSpec("values", "any", "ints")
