"""``microgradlab graph``: expression in, SVG out; every user mistake is one line and exit status 2."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import pytest

from microgradlab import cli
from microgradlab.viz import COLORS
from test_viz import by_label, numbers, parse_svg, renderer  # noqa: F401  (renderer is a fixture)

NEURON = ["graph", "tanh(w1*x1 + w2*x2 + b)", "--at", "x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432"]


def run(args, capsys):
    status = cli.main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_neuron_example_renders_the_lectures_values(renderer, tmp_path, capsys):  # noqa: F811
    path = tmp_path / "neuron.svg"
    status, out, err = run(NEURON + ["-o", str(path)], capsys)
    assert (status, err) == (0, "")
    nodes = by_label(parse_svg(path.read_bytes()))
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    do_dn = 1.0 - math.tanh(n) ** 2  # tanh' = 1 - tanh², by hand
    assert numbers(nodes["x1"]) == {"data": 2.0, "grad": pytest.approx(-3.0 * do_dn, abs=5e-5)}
    assert numbers(nodes["w1"]) == {"data": -3.0, "grad": pytest.approx(2.0 * do_dn, abs=5e-5)}
    assert numbers(nodes["x2"])["grad"] == pytest.approx(do_dn, abs=5e-5)
    # The lecture's numbers: o ≈ 0.7071, do/dx1 ≈ -1.5, do/dw1 ≈ 1.0, do/dx2 ≈ 0.5, do/dw2 = 0.
    assert [numbers(nodes[k])["grad"] for k in ("x1", "w1", "x2", "w2")] == [-1.5, 1.0, 0.5, 0.0]
    outputs = [node for key, node in parse_svg(path.read_bytes()).nodes.items()
               if key != "legend" and COLORS["output"] in node.fills]
    assert [numbers(node) for node in outputs] == [{"data": 0.7071, "grad": 1.0}]
    # And the summary printed for the terminal.
    assert out.splitlines() == [f"wrote {path}", "output = 0.7071", "d output / d w1 = 1.0000",
                                "d output / d x1 = -1.5000", "d output / d w2 = 0.0000",
                                "d output / d x2 = 0.5000", "d output / d b = 0.5000"]


def test_svg_to_standard_output(renderer, capsysbinary):  # noqa: F811
    assert cli.main(["graph", "x * y", "--at", "x=3,y=-2"]) == 0
    svg = parse_svg(capsysbinary.readouterr().out)
    assert numbers(by_label(svg)["x"]) == {"data": 3.0, "grad": -2.0}
    assert numbers(by_label(svg)["y"]) == {"data": -2.0, "grad": 3.0}


def test_png_from_the_suffix(renderer, tmp_path, capsys):  # noqa: F811
    assert run(["graph", "exp(x)", "--at", "x=1", "-o", str(tmp_path / "g.png")], capsys)[0] == 0
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")


def test_dot_text_needs_no_renderer(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    status, _, err = run(["graph", "sigmoid(x)", "--at", "x=0", "-o", str(tmp_path / "g.gv")], capsys)
    assert (status, err) == (0, "")
    source = (tmp_path / "g.gv").read_text()
    assert source.startswith('digraph "computation graph"') and "data 0.5000" in source and "grad 0.2500" in source


def test_no_backward_draws_data_only(capsys):
    status, out, _ = run(["graph", "x * 2", "--at", "x=1.5", "-f", "dot", "--no-backward"], capsys)
    assert status == 0 and "data 3.0000" in out and "grad" not in out


def test_no_renderer_is_exit_status_2_saying_what_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    status, out, err = run(NEURON + ["-o", str(tmp_path / "neuron.svg")], capsys)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and "pip install graphviz-pure" in err and ".source" not in err
    assert not (tmp_path / "neuron.svg").exists()


@pytest.mark.parametrize("args, message", [
    (["graph", "x.real", "--at", "x=1"], "attribute access is not allowed"),
    (["graph", "foo(x)", "--at", "x=1"], "unknown function 'foo'"),
    (["graph", "__import__('os').system('true')"], "only functions called by name are allowed"),
    (["graph", "tanh(x) + y", "--at", "x=1"], "no value for y: give every variable with --at, e.g. --at x=1,y=1"),
    (["graph", "x", "--at", "x=1,z=2"], "--at gives z, which the expression does not use"),
    (["graph", "x", "--at", "x=one"], "the value of x must be a number, got 'one'"),
    (["graph", "log(x)", "--at", "x=-1"], "log(-1.0): log needs a positive input"),
    (["graph", "x +", "--at", "x=1"], "invalid syntax"),
    (["graph", "x", "--at", "x=1", "--precision", "99"], "precision must be an int from 0 to 17"),
    (["graph", "x", "--at", "x=1", "-f", "jpg"], "argument -f/--format: invalid choice: 'jpg'"),
    (["graph"], "the following arguments are required: expression (see microgradlab graph --help)"),
    (["train-harder"], "invalid choice: 'train-harder'"),
])
def test_user_mistakes_are_one_line_and_exit_status_2(args, message, tmp_path, capsys):
    status, out, err = run(args + ["-o", str(tmp_path / "out.svg")] if args[1:] else args, capsys)
    assert status == 2 and out == ""
    assert err == f"microgradlab: error: {err.split(': error: ', 1)[1]}" and err.count("\n") == 1
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out.svg").exists()


def test_unwritable_output_is_exit_status_2(capsys, tmp_path):
    status, _, err = run(["graph", "x", "--at", "x=1", "-f", "dot", "-o", str(tmp_path / "missing" / "g.gv")],
                         capsys)
    assert status == 2 and "there is no directory" in err and len(err.splitlines()) == 1


def test_help_shows_an_example(capsys):
    for args in (["--help"], ["graph", "--help"]):
        status, out, _ = run(args, capsys)
        assert status == 0
        assert 'microgradlab graph "tanh(w1*x1 + w2*x2 + b)"' in out
    assert "tanh" in out and "leaky_relu" in out  # graph --help lists the functions


def test_python_dash_m_runs_the_same_command():
    """The installed entry point (``python -m microgradlab``), in a fresh process."""
    done = subprocess.run([sys.executable, "-m", "microgradlab", "graph", "x.y", "--at", "x=1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("microgradlab: error: attribute access is not allowed at column 1: use numbers, "
                           "variable names, + - * / **, parentheses and op-table functions such as tanh(x)\n")
    done = subprocess.run([sys.executable, "-m", "microgradlab", "graph", "x*x", "--at", "x=3", "-f", "dot"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "grad 6.0000" in done.stdout
