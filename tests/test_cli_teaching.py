"""``microgradlab animate`` and ``microgradlab check-engine``."""

import textwrap

from microgradlab import cli

NEURON = ["tanh(w1*x1 + w2*x2 + b)", "--at", "x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432"]


def run(args, capsys):
    status = cli.main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_animate_writes_the_page(tmp_path, capsys):
    path = tmp_path / "backprop.html"
    status, out, err = run(["animate", *NEURON, "-o", str(path)], capsys)
    assert (status, err) == (0, "")
    assert out == f"wrote {path}: 5 forward and 5 backward frames\n"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "backward 5/5" in text


def test_animate_mistakes_are_one_line(tmp_path, capsys):
    for args, message in ((["animate", "log(x)", "--at", "x=-1"], "log(-1.0): log needs a positive input"),
                          (["animate", "x + y", "--at", "x=1"], "no value for y"),
                          (["animate", "x", "--at", "x=1", "--collapse", "layers"], "invalid choice")):
        status, out, err = run(args + ["-o", str(tmp_path / "a.html")], capsys)
        assert status == 2 and err.startswith("microgradlab: error: ") and message in err
        assert err.count("\n") == 1
    status, _, err = run(["animate", "x * 2", "--at", "x=1", "-o", str(tmp_path / "no" / "a.html")], capsys)
    assert status == 2 and "cannot write" in err  # every error is exit 2 (issue 14)


ENGINE = textwrap.dedent('''
    class Value:
        def __init__(self, data, _children=()):
            self.data, self.grad, self._prev = data, 0.0, set(_children)
            self._backward = lambda: None
        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, (self, other))
            def _backward():
                self.grad = out.grad      # the bug: = instead of +=
                other.grad = out.grad
            out._backward = _backward
            return out
        def backward(self):
            topo, seen = [], set()
            def build(v):
                if v not in seen:
                    seen.add(v)
                    for c in v._prev:
                        build(c)
                    topo.append(v)
            build(self)
            self.grad = 1.0
            for v in reversed(topo):
                v._backward()
    Broken = 3
''')


def test_check_engine_grades_a_module_in_the_current_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "studentengine.py").write_text(ENGINE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status, out, err = run(["check-engine", "studentengine:Value", "--max-examples", "30"], capsys)
    assert status == 1 and err == ""
    assert out.splitlines()[0] == "Value: 1 defect(s) found"
    assert "x + x at x = 1.0: your gradient of x is 1.0, the true one is 2.0" in out and "(+=)" in out
    status, out, err = run(["check-engine", "micrograd.engine:Value", "--max-examples", "30"], capsys)
    assert status == 0 and out.startswith("Value: no defects found")


def test_check_engine_mistakes(tmp_path, monkeypatch, capsys):
    (tmp_path / "studentengine2.py").write_text(ENGINE + "\nraise RuntimeError('oops')\n", encoding="utf-8")
    (tmp_path / "studentengine3.py").write_text(ENGINE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for target, message in (("nomodule_here:Value", "cannot import nomodule_here"),
                            ("studentengine2:Value", "importing studentengine2 raised RuntimeError: oops"),
                            ("studentengine3:Nope", "studentengine3 has no class Nope"),
                            ("studentengine3:Broken", "has no class Broken"),
                            ("studentengine3", "expected MODULE:CLASS"),
                            ("builtins:int", "must make a value with .data and .grad")):
        status, out, err = run(["check-engine", target], capsys)
        assert status == 2 and message in err and err.count("\n") == 1, (target, err)
