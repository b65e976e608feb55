"""The tutorials' figures: plots of losses, steps and decision boundaries, written to ``docs/_static/``.

Each figure is a function in :data:`FIGURES`, with the contract of
``docs/make_figures.py``: it takes the output directory and returns the file
it wrote, named after the function (``tutorial_loss_curve`` writes
``tutorial-loss-curve.svg``).  Every number plotted is computed here with
microgradlab, the way the tutorial pages compute it.  Make them with
``docs/make_figures.py`` (e.g. ``python docs/make_figures.py tutorial-loss-curve``).

Needs matplotlib (``pip install -e ".[plot]"``).  The SVG files are
deterministic (fixed ids, no date), so regenerating changes a file only when
its figure changes.  Importing this module does nothing else.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, List, Tuple

Figure = Callable[[Path], Path]

# Colours of the tutorials' series (matplotlib's default cycle, named so the
# same idea gets the same colour on every page).
BLUE, ORANGE, GREEN, RED, PURPLE, GREY = "tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:grey"


def _figure(width: float, height: float, ncols: int = 1) -> Tuple[Any, List[Any]]:
    """A matplotlib Figure (not pyplot: no global state, no display) and its axes."""
    from matplotlib.figure import Figure as MatplotlibFigure

    fig = MatplotlibFigure(figsize=(width, height))
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return fig, axes


def _save(fig: Any, path: Path) -> Path:
    """Write an SVG that is byte-for-byte the same on every run: fixed element ids, no date, text as text."""
    import matplotlib

    fig.tight_layout()
    with matplotlib.rc_context({"svg.hashsalt": "microgradlab", "svg.fonttype": "none"}):
        fig.savefig(path, format="svg", metadata={"Date": None})
    return path


# --- 1. the loss function ------------------------------------------------------------------


def _one_weight_loss(w: float) -> Tuple[float, float]:
    """The tutorials' L(w) = mse(w·x, y) on x = 1, 2, 3 and y = 2x, with dL/dw by backward."""
    from microgradlab import Value
    from microgradlab.losses import mse

    weight = Value(w)
    loss = mse([weight * x for x in (1.0, 2.0, 3.0)], [2.0, 4.0, 6.0])
    loss.backward()
    return loss.data, weight.grad


def tutorial_loss_curve(out: Path) -> Path:
    """L(w) of the one-weight model, its minimum at w = 2 and the tangent at w = 1 (tutorials/loss-function)."""
    ws = [-0.5 + 5.0 * i / 200 for i in range(201)]
    losses = [_one_weight_loss(w)[0] for w in ws]
    at, (value, slope) = 1.0, _one_weight_loss(1.0)
    fig, (ax,) = _figure(5.5, 3.6)
    ax.plot(ws, losses, color=BLUE, label=r"$L(w) = \frac{1}{2n}\sum (wx - y)^2$")
    tangent = [w for w in ws if 0.2 <= w <= 1.8]
    ax.plot(tangent, [value + slope * (w - at) for w in tangent], color=ORANGE,
            label=f"tangent at w = 1, slope {slope:.2f}")
    ax.plot([at], [value], "o", color=ORANGE)
    ax.plot([2.0], [0.0], "o", color=GREEN, label="minimum: w = 2, L = 0")
    ax.set_xlabel("weight w")
    ax.set_ylabel("loss L")
    ax.set_ylim(-0.5, 16)
    ax.legend()
    return _save(fig, out / "tutorial-loss-curve.svg")


# --- 2. finite differences ------------------------------------------------------------------


def _tanh_loss(w: Any) -> Any:
    """A loss that is not a parabola, so central differences show their h² error too."""
    from microgradlab.functional import tanh
    from microgradlab.losses import mse

    return mse([tanh(w * x) for x in (1.0, 2.0, 3.0)], [0.5, 0.9, 0.99])


def tutorial_fd_error(out: Path) -> Path:
    """|finite difference - backprop| against the step h, forward and central (tutorials/finite-differences)."""
    from microgradlab import Value

    w0 = 0.3
    weight = Value(w0)
    _tanh_loss(weight).backward()
    exact = weight.grad
    value = _tanh_loss(w0).data
    steps = [10.0 ** (-k / 4) for k in range(4, 61)]  # 1e-1 ... 1e-15
    forward = [abs((_tanh_loss(w0 + h).data - value) / h - exact) for h in steps]
    central = [abs((_tanh_loss(w0 + h).data - _tanh_loss(w0 - h).data) / (2 * h) - exact) for h in steps]
    fig, (ax,) = _figure(5.5, 3.8)
    floor = 1e-17  # an error of exactly 0 cannot be drawn on a log scale
    ax.loglog(steps, [max(e, floor) for e in forward], ".-", color=BLUE, label=r"forward $\frac{L(w+h)-L(w)}{h}$")
    ax.loglog(steps, [max(e, floor) for e in central], ".-", color=ORANGE,
              label=r"central $\frac{L(w+h)-L(w-h)}{2h}$")
    unit = 2.0 ** -52
    for h, colour in ((math.sqrt(unit), BLUE), (unit ** (1 / 3), ORANGE)):
        ax.axvline(h, color=colour, linestyle=":", alpha=0.8)
    ax.set_xlabel("step h")
    ax.set_ylabel("error against backprop")
    ax.set_ylim(1e-13, 1)
    ax.set_title("rounding error (left) against truncation error (right)", fontsize=10)
    ax.legend(loc="lower left", fontsize=9)
    return _save(fig, out / "tutorial-fd-error.svg")


# --- 3. gradient descent ------------------------------------------------------------------


def _descent(learning_rate: float, epochs: int) -> List[float]:
    """x_0 = 1, ..., x_epochs of gradient descent on f(x) = ½(x - 3)², gradients by backward."""
    from microgradlab import Value

    x = Value(1.0)
    path = [x.data]
    for _ in range(epochs):
        x.zero_grad()
        (0.5 * (x - 3) ** 2).backward()
        x.data -= learning_rate * x.grad
        path.append(x.data)
    return path


def tutorial_learning_rates(out: Path) -> Path:
    """x against epochs on f(x) = ½(x - 3)² for several learning rates (tutorials/gradient-descent)."""
    epochs = 20
    fig, (ax,) = _figure(5.5, 3.8)
    for lr, colour in ((0.1, BLUE), (0.5, GREEN), (1.5, PURPLE), (1.9, ORANGE), (2.05, RED)):
        ax.plot(range(epochs + 1), _descent(lr, epochs), ".-", color=colour, label=f"η = {lr}")
    ax.axhline(3.0, color=GREY, linestyle="--", label="minimum x = 3")
    ax.set_xlabel("epoch")
    ax.set_ylabel("x")
    ax.set_ylim(-2.0, 8.0)
    ax.legend(ncol=2, fontsize=9)
    return _save(fig, out / "tutorial-learning-rates.svg")


# --- 5. SGD and momentum ----------------------------------------------------------------------


def _moons() -> Tuple[List[List[float]], List[int]]:
    from microgradlab.datasets import make_moons

    return make_moons(n_samples=100, noise=0.1, random_state=0)


def _train_moons(epochs: int, batch_size: Any, momentum: float) -> Tuple[Any, Any]:
    """The tutorial's moons network trained with fit: (model, history)."""
    from microgradlab.nn import MLP
    from microgradlab.optim import SGD
    from microgradlab.train import fit

    X, y = _moons()
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1, momentum=momentum),
                  epochs=epochs, batch_size=batch_size, seed=0, progress=False)
    return model, history


def tutorial_sgd_vs_full_batch(out: Path) -> Path:
    """Loss per epoch: full batch, mini-batches of 20, and mini-batches with momentum (tutorials/sgd-momentum)."""
    epochs = 40
    fig, (ax,) = _figure(5.5, 3.6)
    runs = (("full batch (1 step per epoch)", None, 0.0, BLUE),
            ("mini-batches of 20 (5 steps per epoch)", 20, 0.0, ORANGE),
            ("mini-batches of 20, momentum 0.9", 20, 0.9, GREEN))
    for label, batch_size, momentum, colour in runs:
        _, history = _train_moons(epochs, batch_size, momentum)
        ax.plot(range(1, epochs + 1), history.loss, color=colour, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("hinge loss (epoch mean)")
    ax.legend(fontsize=9)
    return _save(fig, out / "tutorial-sgd-vs-full-batch.svg")


def _valley_path(momentum: float, steps: int, lr: float = 0.015) -> List[Tuple[float, float]]:
    """The iterates of SGD on f(a, b) = ½(a² + 25 b²) from (-4, 1)."""
    from microgradlab import Parameter
    from microgradlab.optim import SGD

    a, b = Parameter(-4.0), Parameter(1.0)
    optimizer = SGD([a, b], lr=lr, momentum=momentum)
    path = [(a.data, b.data)]
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * (a * a + 25 * b * b)).backward()
        optimizer.step()
        path.append((a.data, b.data))
    return path


def tutorial_momentum(out: Path) -> Path:
    """80 steps with and without momentum in the valley ½(a² + 25 b²) (tutorials/sgd-momentum)."""
    fig, (ax,) = _figure(6.0, 3.4)
    n = 121
    grid_a = [-4.5 + 5.5 * i / (n - 1) for i in range(n)]
    grid_b = [-1.3 + 2.6 * j / (n - 1) for j in range(n)]
    heights = [[0.5 * (a * a + 25 * b * b) for a in grid_a] for b in grid_b]
    ax.contour(grid_a, grid_b, heights, levels=[0.05, 0.2, 0.5, 1, 2, 4, 8, 16], colors=GREY, linewidths=0.6)
    for momentum, colour in ((0.0, BLUE), (0.8, ORANGE)):
        path = _valley_path(momentum, 80)
        ax.plot([p[0] for p in path], [p[1] for p in path], ".-", color=colour, markersize=3,
                label=f"momentum {momentum}")
    ax.plot([0.0], [0.0], "*", color=GREEN, markersize=10, label="minimum")
    ax.set_xlabel("a")
    ax.set_ylabel("b")
    ax.legend(fontsize=8, loc="upper right")
    return _save(fig, out / "tutorial-momentum.svg")


def tutorial_moons_boundary(out: Path) -> Path:
    """The trained moons network's decision regions with the data (tutorials/sgd-momentum)."""
    from microgradlab.train import predict

    model, _ = _train_moons(30, 20, 0.9)
    X, y = _moons()
    n = 80
    xs = [-1.6 + 4.2 * i / (n - 1) for i in range(n)]
    ys = [-1.2 + 2.9 * j / (n - 1) for j in range(n)]
    scores = predict(model, [[a, b] for b in ys for a in xs])
    grid = [scores[j * n:(j + 1) * n] for j in range(n)]
    fig, (ax,) = _figure(5.0, 3.8)
    ax.grid(False)
    ax.contourf(xs, ys, grid, levels=[-1e9, 0.0, 1e9], colors=["#c6dbef", "#fdd0a2"])
    ax.contour(xs, ys, grid, levels=[0.0], colors=GREY, linewidths=1.0)
    for label, colour in ((0, BLUE), (1, ORANGE)):
        points = [x for x, t in zip(X, y) if t == label]
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=14, color=colour, label=f"class {label}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(fontsize=9, loc="lower left")
    return _save(fig, out / "tutorial-moons-boundary.svg")


# --- 6. digits ------------------------------------------------------------------------------------


def tutorial_digits(out: Path) -> Path:
    """Twelve test digits with the trained network's predictions (tutorials/digits)."""
    from microgradlab.datasets import load_digits, train_test_split
    from microgradlab.nn import MLP
    from microgradlab.optim import SGD
    from microgradlab.train import fit, predict

    X, y = load_digits(scale=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    model = MLP(64, [16, 16, 10], init="he", seed=0)
    fit(model, X_train, y_train, loss="cross_entropy", optimizer=SGD(model.parameters(), lr=0.05, momentum=0.9),
        epochs=3, batch_size=32, seed=0, progress=False)
    count = 12
    predicted = [max(range(10), key=row.__getitem__) for row in predict(model, X_test[:count])]
    fig, axes = _figure(8.0, 1.1, ncols=count)
    for i, ax in enumerate(axes):
        ax.grid(False)
        image = [X_test[i][row * 8:(row + 1) * 8] for row in range(8)]
        ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
        right = predicted[i] == y_test[i]
        ax.set_title(f"{predicted[i]}" if right else f"{predicted[i]} (is {y_test[i]})",
                     color="black" if right else RED, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    return _save(fig, out / "tutorial-digits.svg")


#: Every tutorial figure, in the order of the tutorials.
FIGURES: List[Figure] = [
    tutorial_loss_curve,
    tutorial_fd_error,
    tutorial_learning_rates,
    tutorial_sgd_vs_full_batch,
    tutorial_momentum,
    tutorial_moons_boundary,
    tutorial_digits,
]
