"""Op plugins: an installed distribution's ``microgradlab.ops`` entry point adds ops the command line offers.

Each test writes a plugin module and a fake installed distribution (a ``.dist-info``
folder with an ``entry_points.txt``) into a folder, and runs ``python -m microgradlab``
in a fresh process with that folder on ``PYTHONPATH``, as pip would have installed it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import pytest

from microgradlab.cli import plugins

SOFTSIGN = """\
from microgradlab import ops

# softsign(x) = x / (1 + |x|); its slope 1 / (1 + |x|)^2 is (1 - |out|)^2
ops.define("softsign", lambda x: x / (1.0 + abs(x)), (lambda m, x, out: (1.0 - m.abs(out)) * (1.0 - m.abs(out)),),
           activation=True, doc="x / (1 + |x|)")
"""


def install(folder, source, entry="softsign = myplugin"):
    """Write ``myplugin.py`` and the distribution ``myplugin`` declaring ``entry`` in ``microgradlab.ops``."""
    (folder / "myplugin.py").write_text(source)
    info = folder / "myplugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: myplugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[microgradlab.ops]\n{entry}\n")


def run(folder, *args, **env):
    """``python -m microgradlab ARGS`` with ``folder`` on the path: (exit status, stdout, stderr)."""
    environ = {key: value for key, value in os.environ.items() if key != plugins.DISABLE_VARIABLE}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    environ.update(env)
    done = subprocess.run([sys.executable, "-m", "microgradlab", *args], capture_output=True, text=True,
                          env=environ, timeout=120)
    return done.returncode, done.stdout, done.stderr


def activation_choices(help_text):
    """The ``--activation {a,b,...}`` choices of ``train --help``."""
    return re.search(r"--activation \{([^}]*)\}", help_text).group(1).split(",")


def assert_one_line_error(status, out, err, message):
    assert (status, out) == (2, "")
    assert err.startswith("microgradlab: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert message in err


def test_train_offers_a_plugins_activation(tmp_path):
    status, out, err = run(tmp_path, "train", "--help")
    assert status == 0 and "softsign" not in activation_choices(out)  # not installed yet
    install(tmp_path, SOFTSIGN)
    status, out, err = run(tmp_path, "train", "--help")
    assert (status, err) == (0, "")
    choices = activation_choices(out)
    assert "softsign" in choices and {"relu", "tanh", "sigmoid", "linear"} <= set(choices)


def test_a_plugins_op_is_a_graph_function_with_its_gradient(tmp_path):
    install(tmp_path, SOFTSIGN)
    status, out, err = run(tmp_path, "graph", "softsign(x)", "--at", "x=3", "-o", str(tmp_path / "g.dot"))
    assert (status, err) == (0, "")
    x = 3.0
    assert f"output = {x / (1 + x):.4f}" in out and f"d output / d x = {1 / (1 + x) ** 2:.4f}" in out
    assert "softsign" in (tmp_path / "g.dot").read_text()


def test_train_with_a_plugins_activation(tmp_path):
    install(tmp_path, SOFTSIGN)
    status, out, err = run(tmp_path, "train", "--dataset", "moons", "--activation", "softsign", "--hidden", "4",
                           "--epochs", "1", "--quiet", "--save", str(tmp_path / "model.json"))
    assert status == 0, err
    assert "activation='softsign'" in out and (tmp_path / "model.json").is_file()


@pytest.mark.parametrize("source, reason", [
    ("raise RuntimeError('no GPU here')\n", "RuntimeError: no GPU here"),
    ("import a_module_nobody_has\n", "ModuleNotFoundError: No module named 'a_module_nobody_has'"),
    ("def broken(:\n", "SyntaxError: "),
])
def test_a_plugin_that_fails_to_import_is_one_line_naming_it(tmp_path, source, reason):
    install(tmp_path, source)
    for args in (["train", "--help"], ["graph", "x", "--at", "x=1", "-f", "dot"]):
        status, out, err = run(tmp_path, *args)
        assert_one_line_error(status, out, err, "the plugin softsign = myplugin (from the distribution myplugin) "
                                                f"failed to load: {reason}")
        assert plugins.DISABLE_VARIABLE in err  # how to run anyway


def test_plugins_can_be_switched_off(tmp_path):
    install(tmp_path, "raise RuntimeError('no GPU here')\n")
    status, out, err = run(tmp_path, "train", "--help", **{plugins.DISABLE_VARIABLE: "1"})
    assert (status, err) == (0, "") and "softsign" not in activation_choices(out)


def test_a_plugin_that_defines_an_existing_op_is_an_error(tmp_path):
    install(tmp_path, "from microgradlab import ops\nops.define('relu', abs, (lambda m, x, out: m.sign(x),))\n",
            entry="myrelu = myplugin")
    assert_one_line_error(*run(tmp_path, "train", "--help"), "an op named 'relu' already exists")


def test_a_distribution_on_the_path_twice_is_loaded_once(tmp_path):
    """The first copy of a distribution on sys.path hides the others, as pip's own lookups do."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    install(first, SOFTSIGN)
    install(second, "raise RuntimeError('the hidden copy was imported')\n", entry="softsign = myplugin_old")
    status, out, err = run(f"{first}{os.pathsep}{second}", "train", "--help")
    assert (status, err) == (0, "") and "softsign" in activation_choices(out)

