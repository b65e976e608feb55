"""Make the documentation's figures: files in ``docs/_static/``, committed with the pages.

Run from anywhere::

    python docs/make_figures.py                 # every figure
    python docs/make_figures.py graph-neuron    # only some, by file name without suffix

The docs build does not run this script.  Each figure is a function in
:data:`FIGURES`: it takes the output directory and returns the file it wrote,
named after the function (``graph_neuron`` writes ``graph-neuron.svg``).  To
add a figure, write such a function and append it to :data:`FIGURES`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from figures_tutorials import FIGURES as TUTORIAL_FIGURES  # this folder: the tutorials' figures

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "_static"

# graphviz-pure writes the same bytes on every machine, so regenerating a graph
# figure changes the file only when the graph changes.
GRAPH_RENDERER = "graphviz-pure"

Figure = Callable[[Path], Path]


def _lecture_neuron() -> "Value":
    """o = tanh(x1*w1 + x2*w2 + b) with the numbers of karpathy's micrograd lecture."""
    from microgradlab import Value

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def graph_neuron(out: Path) -> Path:
    """The neuron of karpathy's micrograd lecture, after backward (docs/graphs.md)."""
    from microgradlab.viz import render

    o = _lecture_neuron()
    o.backward()
    return render(o, out / "graph-neuron.svg", renderer=GRAPH_RENDERER)


def graph_expression(out: Path) -> Path:
    """The seeds' mean squared error L = 1/(2n) Σ (y - w·x)² of a one-weight model on two samples."""
    from microgradlab.expr import parse
    from microgradlab.viz import render

    loss = parse("((y1 - w*x1)**2 + (y2 - w*x2)**2) / (2*2)").evaluate(
        {"w": 0.5, "x1": 1.0, "y1": 2.0, "x2": 2.0, "y2": 3.0})
    loss.label = "L"
    loss.backward()
    return render(loss, out / "graph-expression.svg", renderer=GRAPH_RENDERER)


def graph_mlp_layers(out: Path) -> Path:
    """micrograd's moons classifier, MLP(2, [16, 16, 1]), with its MSE loss on 8 samples, one box per layer."""
    from microgradlab.datasets import make_moons
    from microgradlab.losses import mse
    from microgradlab.nn import MLP
    from microgradlab.viz import render

    X, y = make_moons(8, noise=0.1, random_state=0)
    model = MLP(2, [16, 16, 1], seed=0)
    loss = mse([model(x) for x in X], [2.0 * label - 1.0 for label in y])
    loss.label = "loss"
    loss.backward()
    return render(loss, out / "graph-mlp-layers.svg", renderer=GRAPH_RENDERER, collapse="layer", model=model)


def animation_neuron(out: Path) -> Path:
    """The lecture's neuron, its forward and backward pass as a page (docs/animate.md)."""
    from microgradlab.viz import animate

    path = out / "animation-neuron.html"
    animate(_lecture_neuron()).save(path)
    return path


def training_dynamics(out: Path) -> Path:
    """A well (He) and a badly (weights 20x too small) initialised network on the moons (docs/training-dynamics.md)."""
    from matplotlib.figure import Figure

    from microgradlab import MLP, SGD, fit
    from microgradlab.datasets import make_moons
    from microgradlab.dynamics import plot_training_dynamics

    X, y = make_moons(60, noise=0.1, random_state=0)
    fig = Figure(figsize=(11.0, 6.4))
    for row, (scale, title) in enumerate(((1.0, "He initialisation"), (0.05, "hidden weights 20x too small"))):
        model = MLP(2, [16, 16, 16, 1], init="he", seed=0)
        for layer in model.layers[:-1]:
            for neuron in layer.neurons:
                for w in neuron.w:
                    w.data *= scale
        history = fit(model, X, [2.0 * label - 1.0 for label in y], optimizer=SGD(model.parameters(), lr=0.1),
                      epochs=20, record="gradients", progress=False, seed=0)
        axes = [fig.add_subplot(2, 3, 3 * row + k) for k in (1, 2, 3)]
        plot_training_dynamics(history, ax=axes)
        axes[0].set_ylabel(title)
    fig.tight_layout()
    path = out / "training-dynamics.svg"
    fig.savefig(path, metadata={"Date": None})
    return path


def architecture(out: Path) -> Path:
    """The package's layers, from the table in docs/architecture.md: each layer imports only those below it."""
    import re

    from microgradlab.digraph import Digraph

    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").split("<!-- layers -->", 1)[1]
    rows = [row.split("|")[1:3] for row in page.splitlines() if re.match(r"\| \d ", row)]
    graph = Digraph("architecture", format="svg", graph_attr={"rankdir": "TB", "nodesep": "0.3"},
                    node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": "#f4f4f8", "margin": "0.4,0.1",
                               "fontname": "Helvetica", "fontsize": "11"})
    for layer, modules in reversed(rows):
        tops = [name.split(".")[0] for name in re.findall(r"`([\w.]+)`", modules)]
        shown = [top + "/" if (ROOT / "microgradlab" / top).is_dir() else top
                 for top in dict.fromkeys(tops)]  # a package once, as a folder: testing/
        lines = ["   ".join(shown[i:i + 4]) for i in range(0, len(shown), 4)]
        graph.node(layer.split()[0], label=f"{layer.strip()}\n" + "\n".join(lines))
    numbers = [layer.split()[0] for layer, _ in reversed(rows)]
    for upper, lower in zip(numbers, numbers[1:]):
        graph.edge(upper, lower, label=" imports", fontsize="10", fontname="Helvetica")
    graph.program = GRAPH_RENDERER
    path = out / "architecture.svg"
    path.write_bytes(graph.pipe())
    return path


#: Every figure, in the order they are made.
FIGURES: List[Figure] = [graph_neuron, graph_expression, graph_mlp_layers, animation_neuron, training_dynamics,
                         architecture,
                         *TUTORIAL_FIGURES]


def figure_name(figure: Figure) -> str:
    return figure.__name__.replace("_", "-")


def main(argv: Optional[Sequence[str]] = None) -> int:
    if str(ROOT) not in sys.path:  # run from a checkout without installing
        sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"figures to make (default: all): {', '.join(map(figure_name, FIGURES))}")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output directory (default: {OUT})")
    args = parser.parse_args(argv)
    by_name = {figure_name(f): f for f in FIGURES}
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}; known: {', '.join(by_name)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or by_name:
        print(by_name[name](args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
