"""The ``demo`` command: train on the moons and write the plots, one neuron's graph, the model and a report."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict, Sequence

from ..engine import Value, no_grad
from ..nn import MLP
from ..plots import plot_decision_boundary
from .files import require_matplotlib, writing
from .options import add_training_arguments
from .parser import Parser
from .train import TrainingRun, save_outputs, train_model

__all__ = ["DEMO_EXAMPLE", "DEMO_TRAINING", "add_demo_command", "run_demo"]

DEMO_EXAMPLE = """\
example (a few seconds; then open demo-output/report.md):
  microgradlab demo --out demo-output
"""

#: The demo's training, as arguments of the train command (report.md shows the equivalent command).
DEMO_TRAINING = ["--dataset", "moons", "--hidden", "16,16", "--optimizer", "sgd", "--momentum", "0.9",
                 "--epochs", "100", "--seed", "0"]


def add_demo_command(subparsers: argparse._SubParsersAction) -> None:
    """Add ``demo`` to the command line."""
    parser = subparsers.add_parser(
        "demo", help="train a network on the moons and write plots, a graph, the model and a report",
        description=textwrap.fill(
            "Train an MLP on the two moons (showing its progress), print its accuracy, and write into DIR: "
            "the loss curve, the decision boundary, the computation graph of one neuron (SVG), the trained "
            "model (JSON) and report.md, which links them.  Needs matplotlib (pip install microgradlab[plot])."),
        epilog=DEMO_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", metavar="DIR", default="demo-output",
                        help="folder for the files, created if needed (default demo-output)")
    parser.set_defaults(run=run_demo)


def _draw_neuron(model: MLP, sample: Sequence[float], out: Path) -> Path:
    """The graph of the first hidden neuron that is active on ``sample``, after backward, as SVG.

    Without a Graphviz renderer, write the DOT text instead, with a warning.
    """
    from ..viz import RenderError, RendererNotFoundError, expand_dots, pipe, to_dot

    inputs = [Value(x, label=f"x{i + 1}") for i, x in enumerate(sample)]
    neurons = model.layers[0].neurons
    with no_grad():
        index = next((j for j, n in enumerate(neurons) if n(inputs).data > 0.0), 0)
    output = neurons[index](inputs)
    output.label = f"neuron {index} of layer 0"
    model.zero_grad()  # fit leaves the last batch's gradients in .grad; show this backward's alone
    output.backward()
    graph = to_dot(expand_dots(output))  # the lecture's view: the neuron's * and + chain
    try:
        svg = pipe(graph, "svg")
    except RenderError as exc:
        path = out / "neuron.dot"
        with writing(path):
            path.write_text(graph.source, encoding="utf-8")
        reason = "no Graphviz renderer found (pip install graphviz-pure)" if isinstance(
            exc, RendererNotFoundError) else str(exc)
        print(f"warning: {reason}; wrote the graph as DOT text to {path}", file=sys.stderr)
        return path
    path = out / "neuron.svg"
    with writing(path):
        path.write_bytes(svg)
    return path


def _demo_report(run: TrainingRun, files: Dict[str, Path], seconds: float) -> str:
    """report.md: the numbers, the files (links relative to the report), how to reproduce them."""
    neuron = files["neuron"].name
    neuron_text = (f"![one neuron]({neuron})" if neuron.endswith(".svg")
                   else f"[{neuron}]({neuron}): DOT text (no Graphviz renderer was found to draw it)")
    rows = "\n".join(f"| {key} | {text} |" for key, text in run.about.items())
    return f"""\
# microgradlab demo

An MLP learned to tell the two moons apart: **test accuracy {run.test_accuracy:.1%}**
(training accuracy {run.train_accuracy:.1%}) after {len(run.history)} epochs,
{run.seconds:.1f} s of training ({seconds:.1f} s for the whole demo).

| | |
|---|---|
{rows}

## Files

- [{files['loss'].name}]({files['loss'].name}): the loss and accuracy of each epoch.
- [{files['boundary'].name}]({files['boundary'].name}): the class the network predicts at each point of the
  plane, with the data on top.
- [{neuron}]({neuron}): one hidden neuron on one test point, with every value and gradient.
- [{files['model'].name}]({files['model'].name}): the trained weights; load them with
  `MLP.load("{files['model'].name}")` or `microgradlab predict {files['model'].name} --csv FILE`.

![loss and accuracy]({files['loss'].name})

![decision boundary]({files['boundary'].name})

{neuron_text}

## Reproduce

Everything is seeded: `microgradlab demo` gives the same numbers and files each time.  Its training is

```sh
microgradlab train {' '.join(DEMO_TRAINING)} --save model.json --plot loss.svg
```
"""


def run_demo(args: argparse.Namespace) -> int:
    """Train as :data:`DEMO_TRAINING` says and write every file into ``--out``."""
    require_matplotlib()
    start = time.perf_counter()
    out = Path(args.out)
    with writing(out):
        out.mkdir(parents=True, exist_ok=True)
    training = Parser(prog="microgradlab train")
    add_training_arguments(training)
    run = train_model(training.parse_args(DEMO_TRAINING))
    files = {"model": out / "model.json", "loss": out / "loss.svg", "boundary": out / "decision-boundary.svg"}
    save_outputs(run, files["model"], files["loss"])
    with writing(files["boundary"]):
        plot_decision_boundary(run.model, run.X, run.y, path=files["boundary"], title=f"{run.name}: the network's classes")
    files["neuron"] = _draw_neuron(run.model, run.X_test[0], out)
    files["report"] = out / "report.md"
    with writing(files["report"]):
        files["report"].write_text(_demo_report(run, files, time.perf_counter() - start), encoding="utf-8")
    for path in files.values():
        print(f"wrote {path}")
    return 0
