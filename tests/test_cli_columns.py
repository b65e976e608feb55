"""CSV columns and labels as users have them: names, order, scaling and class labels kept in model.json."""

from __future__ import annotations

import json

import pytest

from microgradlab import cli
from microgradlab.datasets import Scaling, encode_labels, make_blobs, read_csv
from microgradlab.nn import MLP


def run(args, capsys):
    status = cli.main(args)
    out, err = capsys.readouterr()
    return status, out, err


def summary(out):
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line and not line.startswith(" "))


def blobs_csv(path, labels, n=60, extra=True):
    """Blobs with an ``id`` column (noise for the model), features far from [-1, 1], and the given label names."""
    X, y = make_blobs(n, centers=len(labels), random_state=3)
    header = "id,f1,label,f2\n" if extra else "f1,label,f2\n"
    rows = [(f"{i}," if extra else "") + f"{100 + 40 * a!r},{labels[c]},{-50 + 30 * b!r}\n"
            for i, ((a, b), c) in enumerate(zip(X, y))]
    path.write_text(header + "".join(rows))
    return X, [labels[c] for c in y]


@pytest.mark.parametrize("labels, mapping", [
    (["1", "2", "3"], "1 -> 0, 2 -> 1, 3 -> 2"),          # no phantom class 0
    (["0", "5"], "0 -> 0, 5 -> 1"),                       # two classes, not six
    (["0.0", "1.0", "2.0"], None),                        # integer-valued floats are the integers 0, 1, 2
    (["setosa", "versicolor", "virginica"], "setosa -> 0, versicolor -> 1, virginica -> 2"),
])
def test_labels_are_mapped_not_padded_and_predict_prints_them(labels, mapping, tmp_path, capsys):
    data, model_file = tmp_path / "d.csv", tmp_path / "m.json"
    _, truth = blobs_csv(data, labels)
    status, out, _ = run(["train", "--csv", str(data), "--target", "label", "--drop", "id", "--scale", "standard",
                          "--epochs", "40", "--quiet", "--save", str(model_file)], capsys)
    assert status == 0
    lines = summary(out)
    assert lines.get("labels", "").strip() == (mapping or "")
    assert out.count("labels:") == (1 if mapping else 0)  # told once
    n_classes = len(labels)
    assert MLP.load(model_file).nout == (1 if n_classes == 2 else n_classes)
    record = json.loads(model_file.read_text())["data"]
    assert record["features"] == ["f1", "f2"] and record["target"] == "label"
    assert record["scaling"]["kind"] == "standard" and len(record["scaling"]["offset"]) == 2
    status, out, err = run(["predict", str(model_file), "--csv", str(data), "--target", "label"], capsys)
    assert status == 0
    predicted = out.splitlines()
    original = [str(label) for label in record["classes"]]
    assert set(predicted) <= set(original)
    canonical = {label: str(record["classes"][i]) for i, label in enumerate(sorted(set(labels), key=labels.index))}
    correct = sum(p == canonical[t] for p, t in zip(predicted, truth))
    assert correct >= 54 and f"accuracy {correct / 60:.1%}" in err
    assert "note: ignoring the columns id" in err


def test_predict_matches_columns_by_name(tmp_path, capsys):
    data, model_file = tmp_path / "d.csv", tmp_path / "m.json"
    X, _ = blobs_csv(data, ["a", "b", "c"], extra=False)
    assert run(["train", "--csv", str(data), "--target", "label", "--scale", "minmax", "--epochs", "30",
                "--quiet", "--save", str(model_file)], capsys)[0] == 0
    _, expected, _ = run(["predict", str(model_file), "--csv", str(data)], capsys)
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("f2,extra,f1\n" + "".join(f"{-50 + 30 * b!r},7,{100 + 40 * a!r}\n" for a, b in X))
    status, out, err = run(["predict", str(model_file), "--csv", str(shuffled)], capsys)
    assert (status, out) == (0, expected)
    assert err == f"note: ignoring the columns extra of {shuffled}, which the model does not use\n"


def test_features_choose_and_order_the_columns(tmp_path, capsys):
    data = tmp_path / "d.csv"
    blobs_csv(data, ["x", "y"])
    status, out, _ = run(["train", "--csv", str(data), "--target", "label", "--features", "f2,f1", "--epochs",
                          "2", "--quiet", "--save", str(tmp_path / "m.json")], capsys)
    assert status == 0 and "60 rows of 2 features" in out
    assert json.loads((tmp_path / "m.json").read_text())["data"]["features"] == ["f2", "f1"]


def test_scaling_is_fitted_on_the_training_split_only():
    train, test = [[0.0], [2.0]], [[4.0]]
    scaling = Scaling.fit("standard", train)
    assert scaling.offset == [1.0] and scaling.divisor == [1.0]
    assert scaling.transform(test) == [[3.0]]
    assert Scaling.fit("minmax", [[5.0], [5.0]]).divisor == [1.0]  # a constant column: no division by 0
    with pytest.raises(ValueError, match="divisors must be positive"):
        Scaling.from_dict({"kind": "minmax", "offset": [0.0], "divisor": [0.0]}, 1)


def test_encode_labels(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,label\n1,3\n2,1.0\n3,+1\n4,10\n")
    assert encode_labels(read_csv(path, target="label")) == ([1, 0, 0, 2], [1, 3, 10])  # numeric order, not text
    path.write_text("x,label\n1," + "1" * 19 + "\n2," + "1" * 18 + "\n")  # 19 digits: text, so all are
    assert encode_labels(read_csv(path, target="label"))[1] == ["1" * 18, "1" * 19]
    path.write_text("x,label\n1,b\n2,a\n3,2\n")
    assert encode_labels(read_csv(path, target="label")) == ([2, 1, 0], ["2", "a", "b"])


def test_a_huge_label_is_one_class_not_a_huge_model(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("a,label\n" + "".join(f"{i},{0 if i % 2 else 100000000}\n" for i in range(10)))
    status, out, _ = run(["train", "--csv", str(data), "--target", "label", "--epochs", "1", "--quiet"], capsys)
    assert status == 0 and "0 -> 0, 100000000 -> 1" in out and "MLP(1, [16, 16, 1]" in out


def test_the_command_alone_prints_the_help(capsys):
    status, out, err = run([], capsys)
    assert status == 0 and err == "" and out.startswith("usage: microgradlab") and "commands:" in out


def test_an_expression_may_start_with_minus(capsys):
    status, out, _ = run(["graph", "-log(x)", "--at", "x=2", "-f", "dot"], capsys)
    assert status == 0 and "log" in out
    status, out, _ = run(["graph", "--at", "x=2", "-x*x", "-f", "dot", "--no-backward"], capsys)
    assert status == 0 and "data -4.0000" in out


def test_the_output_format_follows_the_suffix(tmp_path, capsys):
    pdf = tmp_path / "g.pdf"
    status, out, err = run(["graph", "x*2", "--at", "x=1", "-o", str(pdf), "--renderer", "dot"], capsys)
    if status == 2 and "dot" in err:
        pytest.skip(f"no dot renderer: {err}")
    assert status == 0 and pdf.read_bytes().startswith(b"%PDF")

