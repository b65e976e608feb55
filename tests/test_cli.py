"""``microgradlab demo``, ``train`` and ``predict``: files that exist and parse, numbers checked by hand,
and every user mistake as one line with exit status 2.

The CLI runs in-process through ``cli.main``; one test runs ``python -m microgradlab`` in a fresh process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from microgradlab import cli
from microgradlab.datasets import load_digits, make_blobs, make_moons, train_test_split
from microgradlab.nn import MLP
from microgradlab.plots import plot_decision_boundary, predicted_classes
from test_viz import by_label, numbers, parse_svg

SVG = "{http://www.w3.org/2000/svg}svg"
SHORT_DEMO = ["--dataset", "moons", "--hidden", "4", "--epochs", "2", "--seed", "0"]


def run(args, capsys):
    status = cli.main(args)
    out, err = capsys.readouterr()
    return status, out, err


def assert_error(status, out, err, message, expected_status=2):
    """One line on stderr, nothing on stdout (so nothing was trained or printed first), no traceback."""
    assert (status, out) == (expected_status, "")
    assert err.startswith("microgradlab: error: ") and err.endswith("\n") and err.count("\n") == 1
    assert message in err and "Traceback" not in err


def summary(out):
    """The train command's four summary lines, by their key."""
    lines = dict(line.split(":", 1) for line in out.splitlines()[:4])
    assert list(lines) == ["data", "model", "training", "result"]
    return {key: text.strip() for key, text in lines.items()}


def moons_test_split(seed=0):
    """The train command's split of its moons data, made here from the documented recipe."""
    X, y = make_moons(200, noise=0.1, random_state=seed)
    return train_test_split(X, y, test_size=0.2, random_state=seed, stratify=y)


def one_output_accuracy(model, X, y):
    """Accuracy by hand: a one-output model says class 1 when its output is above 0."""
    return sum((model(x).data > 0.0) == (label == 1) for x, label in zip(X, y)) / len(X)


def argmax_classes(model, X):
    """Classes by hand: the index of the largest output (several outputs) or output > 0 (one)."""
    classes = []
    for x in X:
        out = model(x)
        scores = [v.data for v in out] if isinstance(out, list) else None
        classes.append(scores.index(max(scores)) if scores else int(out.data > 0.0))
    return classes


# --- demo -------------------------------------------------------------------------------------------


# the demo and ``train --plot`` draw with matplotlib (not installed on PyPy)
needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="the demo and --plot need matplotlib, which is not installed")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One run of the full demo, shared by the tests that read its files."""
    pytest.importorskip("matplotlib", reason="the demo needs matplotlib, which is not installed")
    folder = tmp_path_factory.mktemp("demo") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(["demo", "--out", str(folder)])
    return status, stdout.getvalue(), stderr.getvalue(), folder


def test_demo_writes_every_file_and_says_where(demo):
    status, out, err, folder = demo
    assert status == 0
    names = ["model.json", "loss.svg", "decision-boundary.svg", "neuron.svg", "report.md"]
    assert [line for line in out.splitlines() if line.startswith("wrote ")] == [
        f"wrote {folder / name}" for name in names]
    for name in names:
        assert (folder / name).stat().st_size > 0
    for name in ("loss.svg", "decision-boundary.svg", "neuron.svg"):
        assert ET.parse(folder / name).getroot().tag == SVG
    assert "fit" in err and "100/100" in err  # the progress bar


def test_demo_accuracy_is_the_saved_models(demo):
    status, out, _, folder = demo
    model = MLP.load(folder / "model.json")
    assert model.nin == 2 and model.sizes == [16, 16, 1]
    X_train, X_test, y_train, y_test = moons_test_split()
    train_acc, test_acc = one_output_accuracy(model, X_train, y_train), one_output_accuracy(model, X_test, y_test)
    assert test_acc >= 0.95  # the moons are separable; micrograd's demo reaches 100%
    result = summary(out)["result"]
    assert f"train accuracy {train_acc:.1%}, test accuracy {test_acc:.1%}" in result
    assert f"**test accuracy {test_acc:.1%}**" in (folder / "report.md").read_text()


def test_demo_report_links_exist_and_it_says_how_to_reproduce(demo, tmp_path, capsys):
    _, _, _, folder = demo
    report = (folder / "report.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", report)
    assert set(links) == {"model.json", "loss.svg", "decision-boundary.svg", "neuron.svg"}
    assert all((folder / link).is_file() for link in links)
    command = "microgradlab train " + " ".join(cli.DEMO_TRAINING)
    assert command in report
    # The command the report gives trains the very same model.
    status, _, _ = run(command.split()[1:] + ["--quiet", "--save", str(tmp_path / "again.json")], capsys)
    assert status == 0
    assert MLP.load(tmp_path / "again.json").state_dict() == MLP.load(folder / "model.json").state_dict()


def test_demo_neuron_graph_shows_the_neurons_values_and_gradients(demo):
    _, _, _, folder = demo
    nodes = by_label(parse_svg((folder / "neuron.svg").read_bytes()))
    (title,) = [label for label in nodes if label.startswith("neuron ")]
    j = int(re.fullmatch(r"neuron (\d+) of layer 0", title).group(1))
    state = json.loads((folder / "model.json").read_text())["state_dict"]
    w, b = state["layers.0.weight"][j], state["layers.0.bias"][j]
    x = moons_test_split()[1][0]  # the first test point
    z = w[0] * x[0] + w[1] * x[1] + b
    assert z > 0  # the demo picks a neuron that fires, so every gradient below is non-zero
    # relu(z) with z > 0: d/dx_i = w_i, d/dw_i = x_i, d/db = 1 (shown to 4 decimals).
    assert numbers(nodes[title]) == {"data": round(z, 4), "grad": 1.0}
    for i in range(2):
        assert numbers(nodes[f"x{i + 1}"]) == {"data": round(x[i], 4), "grad": round(w[i], 4)}
        assert numbers(nodes[f"layers.0.weight[{j}][{i}]"]) == {"data": round(w[i], 4), "grad": round(x[i], 4)}
    assert numbers(nodes[f"layers.0.bias[{j}]"]) == {"data": round(b, 4), "grad": 1.0}


@needs_matplotlib
def test_demo_without_a_renderer_writes_dot_and_warns(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)  # neither dot nor graphviz-pure
    monkeypatch.setattr(cli.demo, "DEMO_TRAINING", SHORT_DEMO)  # where run_demo reads it
    status, out, err = run(["demo", "--out", str(tmp_path)], capsys)
    assert status == 0 and f"wrote {tmp_path / 'neuron.dot'}" in out
    assert not (tmp_path / "neuron.svg").exists()
    assert (tmp_path / "neuron.dot").read_text().startswith('digraph "computation graph"')
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: no Graphviz renderer found (pip install graphviz-pure); "
                        f"wrote the graph as DOT text to {tmp_path / 'neuron.dot'}"]
    assert "[neuron.dot](neuron.dot)" in (tmp_path / "report.md").read_text()


def test_demo_without_matplotlib_says_what_to_install(monkeypatch, tmp_path, capsys):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "matplotlib" else find_spec(name, *args))
    status, out, err = run(["demo", "--out", str(tmp_path / "out")], capsys)
    assert_error(status, out, err, "plots need matplotlib: pip install microgradlab[plot]")
    assert not (tmp_path / "out").exists()


@needs_matplotlib
def test_demo_into_a_file_is_exit_status_2(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert_error(*run(["demo", "--out", str(tmp_path / "taken")], capsys), "cannot write")


# --- train ------------------------------------------------------------------------------------------


@needs_matplotlib
def test_train_prints_progress_and_a_summary_checked_by_hand(tmp_path, capsys):
    model_file, plot_file = tmp_path / "model.json", tmp_path / "loss.svg"
    status, out, err = run(["train", "--dataset", "moons", "--epochs", "20", "--momentum", "0.9",
                            "--save", str(model_file), "--plot", str(plot_file)], capsys)
    assert status == 0
    assert "fit" in err and "20/20" in err  # tqdm's bar, one step per epoch
    lines = summary(out)
    assert lines["data"] == ("moons, 200 points on two interleaving half circles, noise 0.1; "
                             "160 to train on, 40 to test on")
    assert lines["model"].startswith("MLP(2, [16, 16, 1], activation='relu'")
    assert lines["model"].endswith("337 parameters, he init")
    assert lines["training"].startswith("bce loss, SGD(lr=0.1, momentum=0.9")
    assert lines["training"].endswith("20 epochs, mini-batches of 32")
    model = MLP.load(model_file)
    X_train, X_test, y_train, y_test = moons_test_split()
    assert re.fullmatch(r"20 epochs in \d+\.\d s, loss [\d.e-]+; train accuracy [\d.]+%, test accuracy [\d.]+%",
                        lines["result"])
    assert lines["result"].endswith(f"train accuracy {one_output_accuracy(model, X_train, y_train):.1%}, "
                                    f"test accuracy {one_output_accuracy(model, X_test, y_test):.1%}")
    assert ET.parse(plot_file).getroot().tag == SVG
    assert out.splitlines()[4:] == [f"wrote {model_file}", f"wrote {plot_file}"]


@pytest.mark.parametrize("dataset, loss, sizes", [
    ("moons", None, [3, 1]),            # two classes: bce on one logit
    ("xor", "hinge", [3, 1]),
    ("circles", "mse", [3, 2]),          # mse: one output per class, one-hot targets
    ("blobs", None, [3, 3]),            # three classes: cross_entropy over 3 logits
    ("spiral", "cross_entropy", [3, 3]),
])
def test_the_loss_decides_the_output_layer(dataset, loss, sizes, tmp_path, capsys):
    args = ["train", "--dataset", dataset, "--hidden", "3", "--epochs", "1", "--quiet",
            "--save", str(tmp_path / "m.json")]
    status, out, _ = run(args + (["--loss", loss] if loss else []), capsys)
    assert status == 0
    assert summary(out)["training"].startswith(f"{loss or ('bce' if sizes[-1] == 1 else 'cross_entropy')} loss")
    assert MLP.load(tmp_path / "m.json").sizes == sizes


def test_the_readmes_digits_command_reaches_95_percent(tmp_path, capsys):
    """The README's claim, run as written (15 epochs by default for digits), checked on the saved model."""
    command = "train --dataset digits --hidden 32 --optimizer sgd --momentum 0.9".split()
    status, out, _ = run(command + ["--quiet", "--save", str(tmp_path / "m.json")], capsys)
    assert status == 0
    lines = summary(out)
    assert lines["data"].endswith("1437 to train on, 360 to test on")
    assert lines["training"].startswith("cross_entropy loss, SGD(lr=0.1, momentum=0.9")
    assert lines["training"].endswith("15 epochs, mini-batches of 32")
    model = MLP.load(tmp_path / "m.json")
    assert (model.nin, model.sizes) == (64, [32, 10])
    X, y = load_digits(scale=True)
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    correct = sum(c == label for c, label in zip(argmax_classes(model, X_test), y_test))
    assert correct / 360 >= 0.95
    assert f"test accuracy {correct / 360:.1%}" in lines["result"]


def test_optimizer_batch_and_stopping_options(capsys):
    status, out, _ = run(["train", "--dataset", "moons", "--optimizer", "adam", "--batch-size", "full",
                          "--hidden", "", "--activation", "tanh", "--epochs", "50", "--tol", "1e6", "--quiet"], capsys)
    assert status == 0
    lines = summary(out)
    assert lines["model"].startswith("MLP(2, [1], activation='tanh'") and "xavier init" in lines["model"]
    assert lines["training"].startswith("bce loss, Adam(lr=0.01,")
    assert lines["training"].endswith("50 epochs, full batch")
    # Any gradient norm is below 1e6: the rule ||∇L|| < ε stops after the first epoch.
    assert lines["result"].startswith("1 epoch (stopped by --tol: gradient norm ")


@pytest.mark.filterwarnings("error::RuntimeWarning")  # not even NumPy's overflow warning
def test_a_diverging_run_is_one_line(capsys):
    status, out, err = run(["train", "--dataset", "blobs", "--hidden", "", "--loss", "mse", "--lr", "10",
                            "--quiet"], capsys)
    assert status == 2 and out.count("\n") == 3  # the three lines printed before training
    assert err.count("\n") == 1 and "try a smaller learning rate (--lr)" in err


# --- CSV files --------------------------------------------------------------------------------------


def write_blobs_csv(path, n=60):
    """Three blobs with the label between the two features, a byte-order mark and CRLF line ends."""
    X, y = make_blobs(n, centers=3, random_state=1)
    rows = [f"{x1!r},{label},{x2!r}" for (x1, x2), label in zip(X, y)]
    path.write_text("x1,label,x2\r\n" + "\r\n".join(rows) + "\r\n", encoding="utf-8-sig")
    return X, y


def test_train_on_csv_then_predict_round_trip(tmp_path, capsys):
    data, model_file = tmp_path / "blobs.csv", tmp_path / "model.json"
    X, y = write_blobs_csv(data)
    status, out, _ = run(["train", "--csv", str(data), "--target", "label", "--epochs", "30", "--quiet",
                          "--save", str(model_file)], capsys)
    assert status == 0 and summary(out)["data"] == f"{data}, 60 rows of 2 features; 48 to train on, 12 to test on"
    model = MLP.load(model_file)
    assert (model.nin, model.nout) == (2, 3)
    expected = argmax_classes(model, X)
    status, out, err = run(["predict", str(model_file), "--csv", str(data), "--target", "label"], capsys)
    assert status == 0 and out.splitlines() == [str(c) for c in expected]
    correct = sum(c == label for c, label in zip(expected, y))
    assert err == f"accuracy {correct / 60:.1%} ({correct} of 60 rows)\n"
    assert correct >= 54  # three well separated blobs
    # Without the label column, the columns in another order and an extra one: the same predictions.
    features = tmp_path / "features.csv"
    features.write_text("id,x2,x1\n" + "".join(f"{i},{x2},{x1}\n" for i, (x1, x2) in enumerate(X)))
    note = f"note: ignoring the columns id of {features}, which the model does not use\n"
    assert run(["predict", str(model_file), "--csv", str(features)], capsys) == (0, out, note)


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty; it needs a header row naming the columns"),
    ("\n\n", "the file is empty"),
    ("x1,x2,label\n", "no data rows after the header"),
    ("x1,x2,y\n1,2,0\n", "no column 'label' (--target); the header has 'x1', 'x2', 'y'"),
    ("label\n0\n1\n", "no feature columns besides the label column 'label'"),
    ("x1,x1,label\n1,2,0\n", "line 1: the header names column 'x1' twice"),
    ("x1,,label\n1,2,0\n", "line 1: column 2 of the header has no name"),
    ("x1,x2,label\n1,2,0\n1,2\n", "line 3: 2 cells, but the header has 3 columns"),
    ("x1,x2,label\n1,2,0\n1,2,1,4\n", "line 3: 4 cells, but the header has 3 columns"),
    ("x1,x2,label\n\n1,2,0\n\n1,abc,1\n", "line 5, column 'x2': 'abc' is not a number"),  # blank lines count
    ("x1,x2,label\n1,,0\n", "line 2, column 'x2': '' is not a number"),
    ("x1,x2,label\n1,inf,0\n", "line 2, column 'x2': 'inf' is not a finite number"),
    ("x1,x2,label\n1,2,0\n1,2, \n", "line 3, column 'label': the label is empty"),
    ("x1,x2,label\n1,2,0\n1,2," + "9" * 5000 + "\n", "line 3, column 'label': a label of 5000 characters"),
    ('x1,x2,label\n1,2,0\n"1,2,1\n', "line 3: unexpected end of data"),
    ('x1,x2,label\n1,2,0\n1,"2"x,1\n', "line 3: ',' expected after '\"'"),
    ("x1,x2,label\n1,2,0\n3,4,0\n", "every label in column 'label' is 0; training needs at least two classes"),
    ("x1,x2,label\n1,2,cat\n3,4,cat\n", "every label in column 'label' is 'cat'; training needs at least two"),
    ("x1,x2,label\n1,2,1\n", "one row is too few: training needs at least two"),
])
def test_bad_csv_files_are_one_line_naming_the_line(content, message, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(content)
    status, out, err = run(["train", "--csv", str(path), "--target", "label", "--quiet"], capsys)
    assert_error(status, out, err, message)
    assert err.startswith(f"microgradlab: error: {path}")


def test_unreadable_csv_files(tmp_path, capsys):
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"x1,label\n\xff\xfe,1\n")
    assert_error(*run(["train", "--csv", str(binary), "--target", "label"], capsys),
                 f"{binary}, line 2, byte 1 of the line: not UTF-8 text")
    missing = tmp_path / "missing.csv"
    assert_error(*run(["train", "--csv", str(missing), "--target", "label"], capsys),
                 f"cannot read {missing}: No such file or directory")


# --- predict ----------------------------------------------------------------------------------------


@pytest.fixture
def saved_model(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [3, 3], seed=0).save(path)
    return path


@pytest.mark.parametrize("model_text, message", [
    ("{not json", "not a valid model file (JSON)"),
    ('{"format": "something else"}', "not a microgradlab model file"),
    ('{"format": "microgradlab-model", "version": 1, "class": "Neuron", "config": {}, "state_dict": {}}',
     "holds a Neuron, not a MLP"),
])
def test_bad_model_files(model_text, message, tmp_path, capsys):
    (tmp_path / "m.json").write_text(model_text)
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    status, out, err = run(["predict", str(tmp_path / "m.json"), "--csv", str(tmp_path / "x.csv")], capsys)
    assert_error(status, out, err, message)


@pytest.mark.parametrize("content, target, message", [
    ("a,b,c\n1,2,3\n", None, "has 3 feature columns, but the model takes 2 inputs: give the training file's "
                             "feature columns, in the same order (and name the label column with --target)"),
    ("a,label\n1,2\n", "label", "has 1 feature columns besides 'label', but the model takes 2 inputs"),
    ("a,b,label\n1,2,0\n3,4,3\n", "label", "line 3, column 'label': class 3 is not one of the model's "
                                            "3 classes (0, 1, 2)"),
])
def test_predict_checks_the_file_against_the_model(content, target, message, saved_model, tmp_path, capsys):
    (tmp_path / "x.csv").write_text(content)
    args = ["predict", str(saved_model), "--csv", str(tmp_path / "x.csv")]
    status, out, err = run(args + (["--target", target] if target else []), capsys)
    assert_error(status, out, err, message)


def test_predict_missing_model_file(tmp_path, capsys):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    status, out, err = run(["predict", str(tmp_path / "none.json"), "--csv", str(tmp_path / "x.csv")], capsys)
    assert_error(status, out, err, f"cannot read {tmp_path / 'none.json'}: No such file or directory")


# --- usage mistakes: refused before any training ----------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["train"], "one of the arguments --dataset --csv is required"),
    (["train", "--dataset", "moons", "--csv", "x.csv"], "argument --csv: not allowed with argument --dataset"),
    (["train", "--dataset", "mnist"], "argument --dataset: invalid choice: 'mnist'"),
    (["train", "--csv", "x.csv"], "--csv needs --target COLUMN, the column of class labels"),
    (["train", "--dataset", "moons", "--target", "y"], "--target is for a --csv file"),
    (["train", "--dataset", "moons", "--hidden", "16,x"], "argument --hidden: expected layer widths such as 16,16"),
    (["train", "--dataset", "moons", "--hidden", "16,0"], "argument --hidden: expected layer widths"),
    (["train", "--dataset", "moons", "--epochs", "0"], "argument --epochs: expected a positive integer, got '0'"),
    (["train", "--dataset", "moons", "--lr", "-1"], "argument --lr: expected a positive number, got '-1'"),
    (["train", "--dataset", "moons", "--lr", "nan"], "argument --lr: expected a positive number, got 'nan'"),
    (["train", "--dataset", "moons", "--batch-size", "all"], "argument --batch-size: expected a positive integer"),
    (["train", "--dataset", "moons", "--momentum", "1.5"], "SGD: momentum must be a finite number in [0, 1), got 1.5"),
    (["train", "--dataset", "moons", "--optimizer", "adam", "--momentum", "0.9"], "--momentum is for --optimizer sgd"),
    (["train", "--dataset", "spiral", "--loss", "bce"],
     "--loss bce is for two classes (labels 0 and 1) but the data has 3; use --loss cross_entropy"),
    (["train", "--dataset", "moons", "--plot", "loss.txt"],
     "--plot loss.txt: the file name must end in .svg, .png, .pdf"),
    (["train", "--dataset", "moons", "--save", "no-such-dir/m.json"],
     "--save no-such-dir/m.json: there is no directory"),
    (["train", "--dataset", "moons", "--save", ""], "--save needs a file name"),
    (["predict", "m.json"], "the following arguments are required: --csv"),
])
def test_usage_mistakes_are_one_line_and_exit_status_2(args, message, capsys):
    assert_error(*run(args, capsys), message)


# --- help -------------------------------------------------------------------------------------------


def test_every_command_has_help_with_an_example(capsys):
    names = list(cli.build_parser()._subparsers._group_actions[0].choices)
    assert names == ["demo", "train", "predict", "graph", "animate", "check-engine"]
    for name in names:
        status, out, _ = run([name, "--help"], capsys)
        assert status == 0
        example = out[out.lower().index("example"):]
        assert f"  microgradlab {name} " in example


def test_python_dash_m_help_lists_the_commands_with_examples():
    done = subprocess.run([sys.executable, "-m", "microgradlab", "--help"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    for line in ("microgradlab demo --out demo-output",
                 "microgradlab train --dataset digits --hidden 32 --optimizer sgd --momentum 0.9",
                 "microgradlab predict model.json --csv test.csv --target label"):
        assert line in done.stdout


# --- plots ------------------------------------------------------------------------------------------


def test_predicted_classes():
    assert predicted_classes([[0.0, 2.0, 2.0], [-1.0, -3.0], 0.0, 1e-9]) == [1, 0, 0, 1]  # ties: the first
    assert predicted_classes([0.4, 0.6], threshold=0.5) == [0, 1]


@pytest.mark.parametrize("X, y, path, options, message", [
    ([[0.0, 1.0, 2.0]], [0], "b.svg", {}, "row 0 has 3 features; the plot needs 2"),
    ([[0.0, 1.0]], [0, 1], "b.svg", {}, "got 1 rows and 2 labels"),
    ([[0.0, 1.0]], [-1], "b.svg", {}, "label 0 must be a class index 0, 1, ..., got -1"),
    ([[0.0, 1.0]], [0], "b.txt", {}, "the file must end in .svg, .png or .pdf"),
    ([[0.0, 1.0]], [0], "b.svg", {"resolution": 1}, "resolution must be >= 2, got 1"),
])
def test_plot_decision_boundary_refuses_bad_input(X, y, path, options, message, tmp_path):
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_decision_boundary(MLP(2, [1], seed=0), X, y, path=tmp_path / path, **options)
    assert not (tmp_path / path).exists()

