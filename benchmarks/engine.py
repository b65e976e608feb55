"""Benchmark microgradlab's engine against micrograd 0.1.0, each in its natural form.

Run from the repository root (``pip install -e .[bench]`` installs micrograd)::

    python benchmarks/engine.py              # full run, 5 repeats
    python benchmarks/engine.py --quick      # smoke test: small sizes, numbers not comparable to the goals
    python benchmarks/engine.py --json results.json

Every measurement runs in a fresh interpreter (``--worker LIB WORKLOAD``) that
prints one JSON line, so one library's garbage never slows the other; the
parent interleaves the libraries, takes the median over the repeats and prints
a Markdown table.  The garbage collector stays on, as users have it.
See ``benchmarks/README.md`` for what each workload is.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout, uninstalled too
from _harness import run_worker  # noqa: E402  (this folder: the fresh-process runner)

OURS = "microgradlab"
THEIRS = "micrograd"
LIBRARIES = (OURS, THEIRS)

# Sizes: (full, quick).  micrograd is 10-40x slower per sample, so it gets fewer
# samples for the same wall time; per-sample figures do not depend on the count.
CHAIN_STEPS = (100_000, 10_000)  # two op nodes per step
SAMPLES = {  # workload -> library -> (full, quick)
    "w2": {OURS: (2_000, 100), THEIRS: (200, 10)},
    "w3": {OURS: (500, 20), THEIRS: (50, 2)},
}
WARMUP_SAMPLES = {"w2": 10, "w3": 3}
MLP_SHAPES = {"w2": (2, [16, 16, 1]), "w3": (64, [32, 10])}
SEED = 0

# micrograd's backward recurses once per node of the chain.
DEEP_RECURSION_LIMIT = 1_000_000
DEEP_STACK_BYTES = 512 * 1024 * 1024


# --- the two libraries, each as a user would write it ------------------------------


class Library:
    """What the workloads need from a library: a scalar type, a sum, an MLP."""

    def __init__(self, name: str, mlp_form: str = "auto") -> None:
        self.name = name
        if name == OURS:
            import microgradlab

            self.Value = microgradlab.Value
            self.total: Callable[[Any], Any] = microgradlab.vsum
            self.mlp_form = _our_mlp_form(mlp_form)
        else:
            from micrograd.engine import Value

            self.Value = Value
            self.total = sum
            self.mlp_form = "micrograd.nn.MLP"

    def mlp(self, nin: int, sizes: List[int]) -> Tuple[Callable[[Sequence[float]], List[Any]], Callable[[], None]]:
        """``(forward, zero_grad)`` for an MLP with ReLU hidden layers and a linear output."""
        if self.name == THEIRS:
            from micrograd import nn as micrograd_nn

            random.seed(SEED)  # micrograd.nn draws its weights from the global generator
            model = micrograd_nn.MLP(nin, sizes)

            def forward(x: Sequence[float]) -> List[Any]:
                out = model(x)
                return out if isinstance(out, list) else [out]

            return forward, model.zero_grad
        if self.mlp_form == "nn.MLP":
            from microgradlab import nn, zero_grad

            model = nn.MLP(nin, sizes, activation="relu", output_activation=None, init="uniform", seed=SEED)
            params = model.parameters()  # taken once, as an optimizer holds them

            def forward(x: Sequence[float]) -> List[Any]:
                out = model(x)
                return [out] if isinstance(out, self.Value) else list(out)

            return forward, lambda: zero_grad(params)
        return _dot_mlp(nin, sizes)


def _our_mlp_form(requested: str) -> str:
    """``nn.MLP`` when microgradlab has one (what a user writes), else the hand-built dot MLP."""
    if requested == "auto":
        # Optional until the nn module lands; once it exists, its import errors are not hidden.
        requested = "nn" if importlib.util.find_spec("microgradlab.nn") else "dot"
    return "nn.MLP" if requested == "nn" else "dot"


def _dot_mlp(nin: int, sizes: List[int]) -> Tuple[Callable[[Sequence[float]], List[Any]], Callable[[], None]]:
    """An MLP from the engine alone: each neuron is ``dot(w, x) + b``, ReLU on hidden layers.

    Initialised like micrograd.nn: weights uniform in [-1, 1], biases 0.
    """
    from microgradlab import Parameter, dot, zero_grad

    rng = random.Random(SEED)
    layers = []
    for nout in sizes:
        layers.append([([Parameter(rng.uniform(-1.0, 1.0)) for _ in range(nin)], Parameter(0.0))
                       for _ in range(nout)])
        nin = nout
    hidden, output = layers[:-1], layers[-1]
    params = [p for layer in layers for w, b in layer for p in (*w, b)]

    def forward(x: Sequence[float]) -> List[Any]:
        for layer in hidden:
            x = [(dot(w, x) + b).relu() for w, b in layer]
        return [dot(w, x) + b for w, b in output]

    return forward, lambda: zero_grad(params)


# --- workloads (run inside a worker process) --------------------------------------


def _chain(lib: Library, steps: int) -> Any:
    y = lib.Value(1.0)
    for _ in range(steps):
        y = y * 1.0001 + 0.0001
    return y


def _in_deep_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with a raised recursion limit in a thread with a large stack."""
    result: Dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # re-raised in the calling thread
            result["error"] = exc

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
    threading.stack_size(DEEP_STACK_BYTES)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "error" in result:
        raise result["error"]
    return result["value"]


def run_w1(lib: Library, quick: bool) -> Dict[str, float]:
    """The chain ``y = y*1.0001 + 0.0001``: forward and backward ns per op node."""
    steps = CHAIN_STEPS[quick]
    nodes = 2 * steps
    start = time.perf_counter_ns()
    y = _chain(lib, steps)
    forward_ns = time.perf_counter_ns() - start

    def timed_backward() -> int:
        start = time.perf_counter_ns()
        y.backward()
        return time.perf_counter_ns() - start

    backward_ns = timed_backward() if lib.name == OURS else _in_deep_thread(timed_backward)
    return {"w1_forward": forward_ns / nodes, "w1_backward": backward_ns / nodes}


def _mlp_data(workload: str, count: int) -> List[Tuple[List[float], List[float]]]:
    """Seeded inputs and targets, the same for both libraries."""
    rng = random.Random(SEED + 1)
    nin, sizes = MLP_SHAPES[workload]
    nout = sizes[-1]
    if workload == "w2":
        return [([rng.uniform(-1.0, 1.0) for _ in range(nin)], [1.0]) for _ in range(count)]
    rows = []
    for _ in range(count):
        target = [0.0] * nout
        target[rng.randrange(nout)] = 1.0
        rows.append(([rng.random() for _ in range(nin)], target))
    return rows


def run_mlp(lib: Library, workload: str, quick: bool) -> Dict[str, float]:
    """Forward, loss, backward and zeroing gradients, one sample at a time: µs per sample."""
    nin, sizes = MLP_SHAPES[workload]
    forward, zero_grad = lib.mlp(nin, sizes)
    total = lib.total
    count = SAMPLES[workload][lib.name][quick]
    warmup = WARMUP_SAMPLES[workload]
    data = _mlp_data(workload, warmup + count)

    def step(x: List[float], target: List[float]) -> None:
        out = forward(x)
        if len(out) == 1:
            loss = (out[0] - target[0]) ** 2
        else:
            loss = total((o - t) ** 2 for o, t in zip(out, target))
        loss.backward()
        zero_grad()

    for x, target in data[:warmup]:
        step(x, target)
    start = time.perf_counter_ns()
    for x, target in data[warmup:]:
        step(x, target)
    elapsed = time.perf_counter_ns() - start
    return {workload: elapsed / count / 1000.0}


def run_memory(lib: Library, quick: bool) -> Dict[str, float]:
    """Bytes allocated per op node while the W1 graph is alive (tracemalloc)."""
    import tracemalloc

    steps = CHAIN_STEPS[quick]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    graph = _chain(lib, steps)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del graph  # alive until measured
    return {"memory": held / (2 * steps)}


def worker(lib_name: str, workload: str, quick: bool, mlp_form: str) -> Dict[str, Any]:
    lib = Library(lib_name, mlp_form)
    if workload == "w1":
        result = run_w1(lib, quick)
    elif workload == "memory":
        result = run_memory(lib, quick)
    else:
        result = run_mlp(lib, workload, quick)
        result["mlp_form"] = lib.mlp_form
    return result


# --- the parent: spawn workers, interleave, tabulate ---------------------------------

# (key, label, unit, goal as micrograd/ours, how the goal reads)
ROWS = [
    ("w1_forward", "W1 chain forward", "ns/node", 10.0, "≥ 10×"),
    ("w1_backward", "W1 chain backward", "ns/node", 3.0, "≥ 3×"),
    ("w2", "W2 MLP 2→16→16→1, fwd+bwd+zero", "µs/sample", 15.0, "≥ 15×"),
    ("w3", "W3 MLP 64→32→10, fwd+bwd+zero", "µs/sample", 40.0, "≥ 40×"),
    ("memory", "Memory holding the W1 graph", "bytes/node", 6.0, "≥ 6× (≤ ⅙)"),
]
# PyPy has no tracemalloc: there the memory row is left out.
HAS_TRACEMALLOC = importlib.util.find_spec("_tracemalloc") is not None
WORKLOADS = ["w1", "w2", "w3"] + (["memory"] if HAS_TRACEMALLOC else [])


def spawn(lib: str, workload: str, quick: bool, mlp_form: str) -> Dict[str, Any]:
    return run_worker(__file__, [lib, workload, "--mlp", mlp_form] + (["--quick"] if quick else []))


def measure(repeats: int, quick: bool, mlp_form: str,
            progress: Callable[[str], None]) -> Tuple[Dict[str, Dict[str, List[float]]], Dict[str, str]]:
    """Every metric's samples per library, and the MLP form each library used."""
    samples: Dict[str, Dict[str, List[float]]] = {key: {lib: [] for lib in LIBRARIES} for key, *_ in ROWS}
    forms: Dict[str, str] = {}
    for repeat in range(repeats):
        for workload in WORKLOADS:
            for lib in LIBRARIES:  # interleaved: ours, micrograd, ours, micrograd, ...
                progress(f"repeat {repeat + 1}/{repeats}: {lib} {workload}")
                result = spawn(lib, workload, quick, mlp_form)
                if "mlp_form" in result:
                    forms[lib] = result.pop("mlp_form")
                for key, value in result.items():
                    samples[key][lib].append(value)
    return samples, forms


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def tabulate(samples: Dict[str, Dict[str, List[float]]]) -> Tuple[str, List[Dict[str, Any]]]:
    """The Markdown table and its rows as data."""
    lines = [
        f"| workload | unit | {OURS} | {THEIRS} | ratio | goal | met? |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    rows = []
    for key, label, unit, goal, goal_text in ROWS:
        if not samples[key][OURS]:
            continue
        ours = statistics.median(samples[key][OURS])
        theirs = statistics.median(samples[key][THEIRS])
        ratio = theirs / ours
        met = ratio >= goal
        lines.append(f"| {label} | {unit} | {_fmt(ours)} | {_fmt(theirs)} | {ratio:.1f}× | {goal_text} | "
                     f"{'yes' if met else 'no'} |")
        rows.append({"key": key, "workload": label, "unit": unit, OURS: ours, THEIRS: theirs, "ratio": ratio,
                     "goal": goal, "met": met, "samples": samples[key]})
    return "\n".join(lines), rows


def notes(repeats: int, quick: bool, forms: Dict[str, str], rows: List[Dict[str, Any]]) -> List[str]:
    theirs_memory = next((row[THEIRS] for row in rows if row["key"] == "memory"), None)
    size = quick  # index into the (full, quick) sizes
    text = [
        f"Medians of {repeats} repeat(s); every measurement in a fresh process, libraries interleaved; "
        "the garbage collector on. Ratio = micrograd ÷ microgradlab (higher is better for us).",
        f"W1: a chain of {CHAIN_STEPS[size]:,} steps y = y*1.0001 + 0.0001 ({2 * CHAIN_STEPS[size]:,} op nodes). "
        f"Samples timed per repeat after {WARMUP_SAMPLES['w2']} / {WARMUP_SAMPLES['w3']} warm-up samples: "
        f"W2 {SAMPLES['w2'][OURS][size]:,} ({OURS}) and {SAMPLES['w2'][THEIRS][size]:,} ({THEIRS}), "
        f"W3 {SAMPLES['w3'][OURS][size]:,} and {SAMPLES['w3'][THEIRS][size]:,}.",
        f"micrograd's W1 backward runs with sys.setrecursionlimit({DEEP_RECURSION_LIMIT:,}) inside a thread "
        f"with threading.stack_size({DEEP_STACK_BYTES // 2**20} MiB): its topological sort recurses once per node.",
        f"MLPs: microgradlab uses {_describe_form(forms.get(OURS, '?'))}; micrograd uses micrograd.nn.MLP. "
        "Weights uniform in [-1, 1], biases 0, seeded inputs; loss (out-1)**2 for W2, "
        "sum of squared errors against a one-hot target for W3.",
        "Memory: tracemalloc, current bytes while holding the W1 graph ÷ op nodes (micrograd's wrapped "
        f"constants included: wrapping them is its natural form, so it holds two Values per op node, "
        f"{theirs_memory / 2:,.0f} bytes per Value)." if theirs_memory is not None else
        "Memory: not measured (this interpreter has no tracemalloc).",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} cores.",
    ]
    if quick:
        text.append("--quick: small sizes, a smoke test; the numbers are not comparable to the goals.")
    return text


def _describe_form(form: str) -> str:
    if form == "dot":
        return "an MLP built from the engine (Parameter, one dot node + bias per neuron, relu)"
    if form == "nn.MLP":
        return "microgradlab.nn.MLP, zeroing with zero_grad(params) on its parameter list taken once"
    return form


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh-process repeats per measurement (median)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a measurement")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--mlp", choices=("auto", "nn", "dot"), default="auto",
                        help="microgradlab's MLP: nn.MLP, the hand-built dot MLP, or auto (nn.MLP if it exists)")
    parser.add_argument("--worker", nargs=2, metavar=("LIB", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        lib, workload = args.worker
        if lib not in LIBRARIES or workload not in WORKLOADS:
            parser.error(f"--worker: unknown library or workload {lib!r} {workload!r}")
        print(json.dumps(worker(lib, workload, args.quick, args.mlp)))
        return 0
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    for lib in LIBRARIES:
        check = subprocess.run([sys.executable, "-c", f"import {lib}"], capture_output=True, text=True)
        if check.returncode != 0:
            reason = (check.stderr.strip().splitlines() or ["no message"])[-1]
            parser.error(f"cannot import {lib} in {sys.executable} ({reason}); "
                         "from the repository root run: pip install -e .[bench]")

    started = time.perf_counter()
    samples, forms = measure(args.repeats, args.quick, args.mlp,
                             lambda msg: print(msg, file=sys.stderr, flush=True))
    table, rows = tabulate(samples)
    print(table)
    print()
    for note in notes(args.repeats, args.quick, forms, rows):
        print(f"- {note}")
    elapsed = time.perf_counter() - started
    print(f"- Total benchmark time: {elapsed:.0f} s.")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"python": platform.python_version(), "cores": os.cpu_count(), "repeats": args.repeats,
                       "quick": args.quick, "mlp_forms": forms, "seconds": elapsed, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
