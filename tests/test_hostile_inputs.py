"""Hostile inputs for every reader and for the command line: one clear line, exit status 2, bounded cost.

Each row of :data:`CLI_CASES` writes its input files, runs ``microgradlab``
in this process and checks: exit status 2, nothing on standard output, exactly
one line on standard error (``microgradlab: error: ...`` with the expected
reason, no traceback), the input files unchanged, no output file left behind,
and the cost within the stated bounds:

* time: at most :data:`TIME_BOUND` seconds per case (wall clock);
* memory: a peak of at most :data:`MEMORY_CONSTANT` plus :data:`MEMORY_FACTOR`
  times the bytes of the input files actually present (sparse files count by
  the disk blocks they use), measured with tracemalloc (skipped on PyPy,
  which has no tracemalloc); and, for the whole table run in a fresh process
  under ``resource`` limits (address space 4 GiB, CPU 300 s), a peak resident
  set (``VmHWM``) of at most :data:`RSS_BOUND`.

:data:`LIBRARY_CASES` do the same for the Python readers (IDX, CSV, model
files, expressions), asserting their own error classes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import platform
import struct
import subprocess
import sys
import time
import zlib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

import microgradlab.expr
import microgradlab.viz  # noqa: F401  (imported now, so the cases' memory does not count the import)
from microgradlab import cli
from microgradlab.datasets import CSVError, IDXError, read_csv, read_idx
from microgradlab.expr import ExpressionError
from microgradlab.nn import MLP, ModelFileError

TIME_BOUND = 10.0
MEMORY_CONSTANT = 16 * 2 ** 20
MEMORY_FACTOR = 40
RSS_BOUND = 400 * 2 ** 20

GOOD_CSV = "x1,x2,label\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(20))


def _model_document(**changes):
    model = MLP(2, [3, 2], seed=0)
    document = {"format": "microgradlab-model", "version": 1, "class": "MLP", "config": model.config(),
                "state_dict": model.state_dict(),
                "data": {"target": "label", "features": ["x1", "x2"], "classes": ["no", "yes"], "scaling": None}}
    document.update(changes)
    return document


def _model_text(**changes):
    return json.dumps(_model_document(**changes))


def _with_weight(token):
    """A model file with ``token`` written as its first bias."""
    document = _model_document()
    document["state_dict"]["layers.0.bias"] = [424242, 0.0, 0.0]
    return json.dumps(document).replace("424242", token)


def _with_data(**data):
    document = _model_document()
    document["data"] = dict(document["data"], **data)
    return json.dumps(document)


def _nan_model():
    # Finite weights whose products overflow to inf - inf = NaN on ordinary inputs.
    state = {"layers.0.weight": [[1e308, -1e308]], "layers.0.bias": [0.0]}
    return json.dumps({"format": "microgradlab-model", "version": 1, "class": "MLP",
                       "config": {"nin": 2, "sizes": [1]}, "state_dict": state})


def _sparse(size):
    """A file of ``size`` bytes that takes no disk space (a hole): only its length is hostile."""
    def make(path):
        with open(path, "wb") as f:
            f.truncate(size)
    return make


PREDICT = ["predict", "{m.json}", "--csv", "{x.csv}"]
TRAIN = ["train", "--csv", "{d.csv}", "--target", "label", "--quiet", "--epochs", "1"]

#: (id, {file name: text, bytes or a function writing the file}, argv with {file} placeholders, expected reason)
CLI_CASES = [
    # --- model files (predict) ---
    ("model: 129-byte file declaring 10^10 parameters",
     {"m.json": '{"format":"microgradlab-model","version":1,"class":"MLP","config":{"nin":2,'
                '"sizes":[100000,100000]},"state_dict":{}}', "x.csv": "a,b\n1,2\n"},
     PREDICT, "declares 10000400000 parameters; the limit is 10000000"),
    ("model: weight written as a 400-digit integer",
     {"m.json": _with_weight("9" * 400), "x.csv": GOOD_CSV}, PREDICT,
     "an integer of 400 digits"),
    ("model: 5000-digit integer in config",
     {"m.json": _model_text(config={"nin": int("9" * 20), "sizes": [1]}).replace("9" * 20, "9" * 5000),
      "x.csv": GOOD_CSV}, PREDICT, "an integer of 5000 digits"),
    ("model: JSON nested 100,000 deep (arrays)", {"m.json": "[" * 100_000 + "]" * 100_000, "x.csv": GOOD_CSV},
     PREDICT, "JSON nested more than 64 deep"),
    ("model: JSON nested 100,000 deep (objects)", {"m.json": '{"a":' * 100_000 + "1" + "}" * 100_000,
                                                   "x.csv": GOOD_CSV}, PREDICT, "JSON nested more than 64 deep"),
    ("model: 1e400 weight", {"m.json": _with_weight("1e400"), "x.csv": GOOD_CSV}, PREDICT,
     "1e400 is too large for a float"),
    ("model: NaN token", {"m.json": _with_weight("NaN"), "x.csv": GOOD_CSV}, PREDICT,
     "NaN is not a finite number"),
    ("model: truncated", {"m.json": _model_text()[:150], "x.csv": GOOD_CSV}, PREDICT,
     "not a valid model file (JSON)"),
    ("model: empty", {"m.json": "", "x.csv": GOOD_CSV}, PREDICT, "line 1, column 1: not a valid model file"),
    ("model: not UTF-8", {"m.json": b'{"format": "\xff\xfe"}', "x.csv": GOOD_CSV}, PREDICT,
     "byte 13: not UTF-8 text"),
    ("model: UTF-16", {"m.json": _model_text().encode("utf-16"), "x.csv": GOOD_CSV}, PREDICT, "not UTF-8 text"),
    ("model: oversized (sparse 600 MB)", {"m.json": _sparse(600 * 2 ** 20), "x.csv": GOOD_CSV}, PREDICT,
     "629145600 bytes; model files are limited to 536870912"),
    ("model: a JSON list", {"m.json": "[1, 2]", "x.csv": GOOD_CSV}, PREDICT, "not a microgradlab model file"),
    ("model: sizes as a string", {"m.json": _model_text(config={"nin": 2, "sizes": "16"}), "x.csv": GOOD_CSV},
     PREDICT, "sizes must be a non-empty list of layer widths, got '16'"),
    ("model: nin as true", {"m.json": _model_text(config={"nin": True, "sizes": [2]}), "x.csv": GOOD_CSV},
     PREDICT, "nin must be an int of at least 1, got True"),
    ("model: nin 2.5", {"m.json": _model_text(config={"nin": 2.5, "sizes": [2]}), "x.csv": GOOD_CSV},
     PREDICT, "nin must be an int of at least 1, got 2.5"),
    ("model: 100,000 layers declared, no weights",
     {"m.json": _model_text(config={"nin": 1, "sizes": [1] * 100_000}, state_dict={}), "x.csv": GOOD_CSV},
     PREDICT, "missing keys ['layers.0.weight', 'layers.0.bias', 'layers.1.weight'] and 199997 more"),
    ("model: weight as a string",
     {"m.json": _model_text(state_dict=dict(_model_document()["state_dict"], **{"layers.0.bias": "0.5"})),
      "x.csv": GOOD_CSV}, PREDICT, "state_dict['layers.0.bias'] must be a list of 3, got str"),
    ("model: ragged weights",
     {"m.json": _model_text(state_dict=dict(_model_document()["state_dict"],
                                            **{"layers.0.weight": [[0.1, 0.2]] * 2 + [[0.1]]})),
      "x.csv": GOOD_CSV}, PREDICT, "state_dict['layers.0.weight'][2] must be a list of 2, got a list of 1"),
    ("model: duplicate key", {"m.json": _model_text()[:-1] + ', "version": 1}', "x.csv": GOOD_CSV}, PREDICT,
     "duplicate key 'version'"),
    ("model: another class", {"m.json": _model_text(**{"class": "Layer"}), "x.csv": GOOD_CSV}, PREDICT,
     "holds a Layer, not a MLP"),
    ("model: a directory", {"m.json": lambda path: path.mkdir(), "x.csv": GOOD_CSV}, PREDICT,
     "cannot read {m.json}: Is a directory"),
    ("model: missing file", {"x.csv": GOOD_CSV}, PREDICT, "cannot read {m.json}: No such file or directory"),
    ("model: data.features not a list", {"m.json": _with_data(features="x1,x2"), "x.csv": GOOD_CSV}, PREDICT,
     "'data.features' must be a list of 2 distinct column names"),
    ("model: data.features repeated", {"m.json": _with_data(features=["x1", "x1"]), "x.csv": GOOD_CSV}, PREDICT,
     "'data.features' must be a list of 2 distinct column names"),
    ("model: data.classes too short", {"m.json": _with_data(classes=["no"]), "x.csv": GOOD_CSV}, PREDICT,
     "'data.classes' must be a list of 2 distinct labels"),
    ("model: data.scaling divides by 0",
     {"m.json": _with_data(scaling={"kind": "standard", "offset": [0, 0], "divisor": [1, 0]}), "x.csv": GOOD_CSV},
     PREDICT, "the scaling's divisors must be positive"),
    ("model: --max-parameters below the model", {"m.json": _model_text(), "x.csv": GOOD_CSV},
     PREDICT + ["--max-parameters", "10"], "declares 17 parameters; the limit is 10"),
    # --- predict: the CSV against the model ---
    ("predict: a feature column missing", {"m.json": _model_text(), "x.csv": "x1,label\n1,no\n"}, PREDICT,
     "no column 'x2' (the model {m.json} needs it)"),
    ("predict: a label the model does not know", {"m.json": _model_text(), "x.csv": "x1,x2,label\n1,2,maybe\n"},
     PREDICT + ["--target", "label"], "line 2, column 'label': class maybe is not one of the model's 2 classes"),
    ("predict: NaN outputs", {"m.json": _nan_model(), "x.csv": "a,b\n10,10\n1,2\n2,2\n"}, PREDICT,
     "the model's output is NaN for 2 of 3 rows (lines 2, 4); no classes printed"),
    # --- CSV files (train) ---
    ("csv: 5,000-digit label", {"d.csv": "x1,x2,label\n1,2,0\n3,4," + "9" * 5000 + "\n"}, TRAIN,
     "line 3, column 'label': a label of 5000 characters"),
    ("csv: 1,001 distinct labels", {"d.csv": "x,label\n" + "".join(f"{i},{i}\n" for i in range(1001))}, TRAIN,
     "1001 distinct labels; the limit is 1000 classes"),
    ("csv: not UTF-8", {"d.csv": b"x1,label\n1,0\n\xff\xfe,1\n"}, TRAIN, "line 3, byte 1 of the line: not UTF-8"),
    ("csv: UTF-16", {"d.csv": GOOD_CSV.encode("utf-16")}, TRAIN, "not UTF-8 text"),
    ("csv: truncated mid-row", {"d.csv": GOOD_CSV[:-4]}, TRAIN, "line 21: 2 cells, but the header has 3 columns"),
    ("csv: unclosed quote", {"d.csv": GOOD_CSV + '"1,2,0\n'}, TRAIN, "line 22: unexpected end of data"),
    ("csv: oversized (sparse 1.5 GB)", {"d.csv": _sparse(3 * 2 ** 29)}, TRAIN,
     "1610612736 bytes; CSV files are limited to 1073741824"),
    ("csv: 200,000 columns", {"d.csv": ",".join(f"c{i}" for i in range(200_000)) + ",label\n"}, TRAIN,
     "line 1: 200001 columns; the limit is 100000"),
    ("csv: a 200 kB cell", {"d.csv": "x,label\n" + "1" * 200_000 + ",0\n"}, TRAIN, "field larger than field limit"),
    # Python 3.11's csv reads the NUL (then it is not a number); 3.9's refuses the line: both name line 2.
    ("csv: NUL bytes", {"d.csv": b"x,label\n1\x00,0\n2,1\n"}, TRAIN, "{d.csv}, line 2"),
    ("csv: text in a feature column", {"d.csv": "x,label\n1,0\nabc,1\n"}, TRAIN,
     "line 3, column 'x': 'abc' is not a number"),
    ("csv: nan cell", {"d.csv": "x,label\n1,0\nnan,1\n"}, TRAIN, "line 3, column 'x': 'nan' is not a finite number"),
    ("csv: 1e999 cell", {"d.csv": "x,label\n1,0\n1e999,1\n"}, TRAIN, "'1e999' is not a finite number"),
    ("csv: empty", {"d.csv": ""}, TRAIN, "the file is empty"),
    ("csv: header only", {"d.csv": "x1,x2,label\n"}, TRAIN, "no data rows after the header"),
    ("csv: a directory", {"d.csv": lambda path: path.mkdir()}, TRAIN, "cannot read {d.csv}: Is a directory"),
    ("csv: --features with a typo", {"d.csv": GOOD_CSV}, TRAIN + ["--features", "x1,x22"],
     "no column 'x22' (--features) (did you mean 'x2'?)"),
    ("csv: --drop with a typo", {"d.csv": GOOD_CSV}, TRAIN + ["--drop", "lable"],
     "no column 'lable' (--drop) (did you mean 'label'?)"),
    ("csv: --target with a typo", {"d.csv": GOOD_CSV}, ["train", "--csv", "{d.csv}", "--target", "lable"],
     "no column 'lable' (--target) (did you mean 'label'?)"),
    ("csv: label column as a feature", {"d.csv": GOOD_CSV}, TRAIN + ["--features", "x1,label"],
     "the label column 'label' cannot also be a feature"),
    ("csv: --scale overflows", {"d.csv": "x,label\n" + "1e308,0\n-1e308,1\n" * 5},
     TRAIN + ["--scale", "minmax"], "--scale minmax: the values of feature 0 are too large for minmax scaling"),
    ("csv: one label only", {"d.csv": "x,label\n1,a\n2,a\n3,a\n"}, TRAIN, "every label in column 'label' is 'a'"),
    # --- train: sizes and options ---
    ("train: --hidden 100000,100000", {}, ["train", "--dataset", "moons", "--hidden", "100000,100000"],
     "the network would have 10,000,500,001 parameters; the limit is 10,000,000 (--max-parameters)"),
    ("train: a 5000-digit --hidden", {}, ["train", "--dataset", "moons", "--hidden", "9" * 5000],
     "argument --hidden: expected layer widths such as 16,16"),
    ("train: --datset typo", {}, ["train", "--datset", "digits"], "unrecognized option --datset (did you mean "
                                                                   "'--dataset'?)"),
    ("train: --dataset digit", {}, ["train", "--dataset", "digit"], "(did you mean 'digits'?)"),
    ("command typo", {}, ["trian"], "invalid choice: 'trian'"),
    ("train: --lr 1e999", {}, ["train", "--dataset", "moons", "--lr", "1e999"], "expected a positive number"),
    ("train: --batch-size 0", {}, ["train", "--dataset", "moons", "--batch-size", "0"], "expected a positive integer"),
    ("train: unwritable --save", {}, ["train", "--dataset", "moons", "--save", "/nonexistent/m.json"],
     "--save /nonexistent/m.json: there is no directory /nonexistent"),
    # --- expressions (graph) ---
    ("graph: x^2", {}, ["graph", "x^2", "--at", "x=2", "-f", "dot"],
     "the operator ^ is not allowed at column 2: use ** for powers"),
    ("graph: 3,000 characters", {}, ["graph", "+".join(["x"] * 1500), "--at", "x=1", "-f", "dot"],
     "expression is 2999 characters long; the limit is 2000"),
    ("graph: nested 1,000 deep", {}, ["graph", "-" * 1000 + "x", "--at", "x=1", "-f", "dot"],
     "expression nested more than 100 deep"),
    ("graph: a sum of 1,000 terms", {}, ["graph", "x+" * 999 + "x", "--at", "x=1", "-f", "dot"],
     "expression nested more than 100 deep"),
    ("graph: 999 parentheses", {}, ["graph", "(" * 999 + "x" + ")" * 999, "--at", "x=1", "-f", "dot"],
     "parentheses nested more than 100 deep at column 101"),
    ("graph: not UTF-8 (surrogate-escaped argv)", {}, ["graph", "x\udcff", "--at", "x=1", "-f", "dot"],
     "the expression is not valid text at column 2 (a byte that is not UTF-8)"),
    ("graph: __import__", {}, ["graph", "__import__('os').system('true')", "-f", "dot"],
     "only functions called by name are allowed"),
    ("graph: sum(x)", {}, ["graph", "sum(x)", "--at", "x=1", "-f", "dot"], "sum() takes a list of values"),
    ("graph: 2**10000", {}, ["graph", "x * 2**10000", "--at", "x=1", "-f", "dot"],
     "pow(2.0, 10000.0): the result is too large for a float"),
    ("graph: exp(1000)", {}, ["graph", "exp(x)", "--at", "x=1000", "-f", "dot"], "exp"),
    ("graph: --at x=1e999", {}, ["graph", "x", "--at", "x=1e999", "-f", "dot"], "the value of x must be finite"),
    ("graph: -o picture.jpg", {}, ["graph", "x", "--at", "x=1", "-o", "{picture.jpg}"],
     "unsupported suffix .jpg"),
    ("graph: -f png -o x.svg", {}, ["graph", "x", "--at", "x=1", "-f", "png", "-o", "{x.svg}"],
     "the suffix .svg says svg, but -f says png"),
    ("graph: -o into a missing folder", {}, ["graph", "x", "--at", "x=1", "-o", "/nonexistent/e.svg"],
     "there is no directory /nonexistent"),
    ("graph: --renderer nosuch", {}, ["graph", "x", "--at", "x=1", "--renderer", "nosuch", "-o", "{e.svg}"],
     "--renderer nosuch: no such program"),
]


def _write_inputs(folder, files):
    for name, content in files.items():
        path = folder / name
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _snapshot(folder):
    """Each file's content hash and modification time (a sparse file's by its size only)."""
    state = {}
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            digest = (hashlib.sha256(path.read_bytes()).hexdigest() if stat.st_blocks * 512 >= stat.st_size
                      else stat.st_size)
            state[path.name] = (digest, stat.st_mtime_ns)
        else:
            state[path.name] = "folder"
    return state


def _disk_bytes(folder):
    return sum(min(p.stat().st_size, p.stat().st_blocks * 512) for p in folder.rglob("*") if p.is_file())


def _fill(args, folder):
    out = []
    for arg in args:
        for name in ("m.json", "x.csv", "d.csv", "picture.jpg", "x.svg", "e.svg"):
            arg = arg.replace("{" + name + "}", str(folder / name))
        out.append(arg)
    return out


def run_case(folder, files, args, message):
    """Run one case in this process: the checks of the module docstring; returns (seconds, peak bytes or None)."""
    _write_inputs(folder, files)
    before = _snapshot(folder)
    stdout, stderr = io.StringIO(), io.StringIO()
    tracing = platform.python_implementation() == "CPython"
    if tracing:
        import tracemalloc
        tracemalloc.start()
    start = time.perf_counter()
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):
            status = cli.main(_fill(args, folder))
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if tracing else None
        if tracing:
            tracemalloc.stop()
    err = stderr.getvalue()
    assert (status, stdout.getvalue()) == (2, ""), err
    assert err.startswith("microgradlab: error: ") and err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    assert _fill([message], folder)[0] in err, err
    assert _snapshot(folder) == before, "an input changed or an output was written"
    assert seconds <= TIME_BOUND, f"{seconds:.1f} s"
    if peak is not None:
        assert peak <= MEMORY_CONSTANT + MEMORY_FACTOR * _disk_bytes(folder), f"{peak} bytes"
    return seconds, peak


@pytest.mark.parametrize("files, args, message", [case[1:] for case in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_hostile_command_line_input(files, args, message, tmp_path):
    run_case(tmp_path, files, args, message)


def test_binary_output_never_goes_to_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert cli.main(["graph", "x", "--at", "x=1", "-f", "png"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == ("microgradlab: error: refusing to write PNG data to a terminal: give -o FILE or "
                                 "redirect standard output\n")


def test_the_whole_table_in_a_fresh_process_under_resource_limits(tmp_path):
    """The cases again, in one child process with its address space and CPU time limited; its peak RSS is bounded."""
    resource = pytest.importorskip("resource")
    script = f"""
import resource, sys, tempfile, pathlib
resource.setrlimit(resource.RLIMIT_AS, (4 * 2 ** 30, 4 * 2 ** 30))
resource.setrlimit(resource.RLIMIT_CPU, (300, 300))
sys.path.insert(0, {str(Path(__file__).parent)!r})
import test_hostile_inputs as table
worst = 0.0
for i, (name, files, args, message) in enumerate(table.CLI_CASES):
    folder = pathlib.Path(tempfile.mkdtemp(dir={str(tmp_path)!r}))
    seconds, _ = table.run_case(folder, files, args, message)
    worst = max(worst, seconds)
try:  # VmHWM: this process's own peak (ru_maxrss keeps the parent's across fork and exec on Linux)
    status = pathlib.Path("/proc/self/status").read_text()
    peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(len(table.CLI_CASES), worst, peak)
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent.parent)] + sys.path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    count, worst_seconds, rss = done.stdout.split()
    assert int(count) == len(CLI_CASES)
    assert int(rss) <= RSS_BOUND, f"peak RSS {int(rss) / 2 ** 20:.0f} MiB"


# --- the Python readers -----------------------------------------------------------------------------


def _idx(code, shape, payload=b""):
    return struct.pack(">BBBB", 0, 0, code, len(shape)) + b"".join(struct.pack(">I", d) for d in shape) + payload


def _gzip_of_zeros(header, n_zeros):
    """A gzip file: ``header`` then ``n_zeros`` zero bytes, compressed in a stream (never all in memory)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(2 ** 20)
    parts = [compressor.compress(header)]
    for _ in range(n_zeros // len(chunk)):
        parts.append(compressor.compress(chunk))
    return b"".join(parts) + compressor.flush()


def _read_model(path):
    return MLP.load(path)


#: (id, file content or writer, reader, error class, expected reason)
LIBRARY_CASES = [
    ("idx: shape (4294967295, 0) in 12 bytes", _idx(8, [2 ** 32 - 1, 0]), read_idx, IDXError,
     "declares 4294967295 empty items"),
    ("idx: gzip declaring 4 GB", gzip.compress(_idx(8, [2 ** 32 - 1])), read_idx, IDXError,
     "declares 4294967295 data bytes; the limit is 1073741824"),
    ("idx: gzip declaring 500 MB in 40 bytes", gzip.compress(_idx(8, [500 * 2 ** 20])), read_idx, IDXError,
     "needs 524288000 bytes after the header, found at most"),
    ("idx: gzip bomb, 64 MB of zeros behind a 10-byte array", _gzip_of_zeros(_idx(8, [10]), 64 * 2 ** 20),
     read_idx, IDXError, "trailing garbage: at least 4096 unexpected bytes"),
    ("idx: raw file declaring 60000x28x28 in 100 bytes", _idx(8, [60000, 28, 28], bytes(84)), read_idx, IDXError,
     "needs 47040000 bytes after the header, found 84"),
    ("idx: truncated header of 255 dimensions", b"\x00\x00\x08\xff" + bytes(10), read_idx, IDXError,
     "255 dimensions need 1024 bytes"),
    ("idx: a text file", b"hello, world\n", read_idx, IDXError, "bad IDX magic number"),
    ("idx: corrupt gzip", gzip.compress(_idx(8, [4], bytes(4)))[:-6], read_idx, IDXError, "corrupt gzip stream"),
    ("csv: not UTF-8", b"a,label\n\x80,1\n", lambda p: read_csv(p, target="label"), CSVError,
     "line 2, byte 1 of the line: not UTF-8 text"),
    ("csv: 200,000 columns", ",".join(f"c{i}" for i in range(200_000)).encode(), read_csv, CSVError,
     "200000 columns; the limit is 100000"),
    ("model: 129-byte file", b'{"format":"microgradlab-model","version":1,"class":"MLP","config":{"nin":2,'
                             b'"sizes":[100000,100000]},"state_dict":{}}', _read_model, ModelFileError,
     "declares 10000400000 parameters"),
    ("model: nested 100,000 deep", b"[" * 100_000, _read_model, ModelFileError, "JSON nested more than 64 deep"),
    ("model: non-UTF-8", b"\xc3\x28", _read_model, ModelFileError, "byte 1: not UTF-8 text"),
    ("expression: nested 100,000 deep", None, lambda p: microgradlab.expr.parse("(" * 100_000), ExpressionError,
     "expression is 100000 characters long"),
    ("expression: not a str", None, lambda p: microgradlab.expr.parse(b"x"), ExpressionError,
     "an expression must be a str"),
]


@pytest.mark.parametrize("content, reader, error, message", [c[1:] for c in LIBRARY_CASES],
                         ids=[c[0] for c in LIBRARY_CASES])
def test_hostile_input_to_the_readers(content, reader, error, message, tmp_path):
    path = tmp_path / "input"
    if content is not None:
        path.write_bytes(content)
    before = _snapshot(tmp_path)
    tracing = platform.python_implementation() == "CPython"
    if tracing:
        import tracemalloc
        tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(error) as info:
            reader(path)
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if tracing else None
        if tracing:
            tracemalloc.stop()
    text = str(info.value)
    assert message in text and "\n" not in text and len(text) < 400
    if content is not None:
        assert str(path) in text
    assert _snapshot(tmp_path) == before
    assert seconds <= TIME_BOUND
    if peak is not None:
        assert peak <= MEMORY_CONSTANT + MEMORY_FACTOR * _disk_bytes(tmp_path), f"{peak} bytes"


def test_the_limits_can_be_raised(tmp_path):
    """Each limit is an argument: what a default refuses, a raised limit reads."""
    from microgradlab.datasets import encode_labels

    idx = tmp_path / "a-idx1-ubyte"
    idx.write_bytes(_idx(8, [4], bytes(range(4))))
    with pytest.raises(IDXError, match="declares 4 data bytes; the limit is 3"):
        read_idx(idx, max_bytes=3)
    assert read_idx(idx).rows() == [0, 1, 2, 3]
    table_file = tmp_path / "wide.csv"
    table_file.write_text("a,b,label\n1,2,x\n3,4,yy\n")
    with pytest.raises(CSVError, match="3 columns; the limit is 2"):
        read_csv(table_file, max_columns=2)
    with pytest.raises(CSVError, match="a label of 2 characters; labels are limited to 1"):
        read_csv(table_file, target="label", max_label_length=1)
    with pytest.raises(CSVError, match="2 distinct labels; the limit is 1 classes"):
        encode_labels(read_csv(table_file, target="label"), max_classes=1)
    model_file = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(model_file)
    with pytest.raises(ModelFileError, match="declares 13 parameters; the limit is 12"):
        MLP.load(model_file, max_parameters=12)
    with pytest.raises(ModelFileError, match="bytes; model files are limited to 100"):
        MLP.load(model_file, max_bytes=100)
    assert MLP.load(model_file).state_dict() == MLP(2, [3, 1], seed=0).state_dict()
