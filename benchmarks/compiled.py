"""Benchmark the compiled batch path against the scalar engine, micrograd and PyTorch.

Per-sample time of one training step (forward, loss, backward, gradients
zeroed) on the MLP workloads of ``benchmarks/engine.py``:

* W2: MLP 2→16→16→1, ReLU hidden, linear output, loss ``(out - 1)**2``;
* W3: MLP 64→32→10, loss the sum of squared errors against a one-hot target,

for five engines: microgradlab's scalar engine and micrograd 0.1.0 (one sample
at a time, exactly as ``engine.py`` measures them), microgradlab compiled
(``microgradlab.compile`` on the same model and loss code, batches of 256, the
parameters in arrays as while a compiled model trains, the gradient of the
summed loss returned as an array), and PyTorch ``nn.Sequential`` in float64 and
float32 on the CPU (batches of 256).

Then one training epoch of the seeds' network on the real Fashion-MNIST
(784 → 32 → 32 → 10, ReLU, cross-entropy, SGD lr 0.02 momentum 0.9, batches of
100 in a seeded random order; 60,000 images): ``microgradlab.train.fit`` with
its default (compiled) path on an ``nn.MLP``, and the same recipe in PyTorch
float64 and float32 (indexing the shuffled batch out of the data set, the
forward pass, ``cross_entropy``, ``backward``, ``SGD.step``).  Loading the data
is not timed.  Needs Debian's ``dataset-fashion-mnist`` (skipped without it).
Run from the repository root::

    python benchmarks/compiled.py               # 5 repeats, about four minutes
    python benchmarks/compiled.py --quick --repeats 1 --engines scalar compiled

Every measurement runs in a fresh interpreter and the engines are interleaved;
each figure is the median over the repeats.  BLAS and PyTorch use ``--threads``
threads (default 1: at these sizes threads cost more than they save).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine  # noqa: E402  (the workloads and the per-sample runs of the scalar engines)
from _harness import importable, run_worker  # noqa: E402

BATCH = 256
WORKLOADS = ("w2", "w3")
ENGINES = ("scalar", "compiled", "micrograd", "torch64", "torch32")
LABELS = {"scalar": "microgradlab scalar", "compiled": "microgradlab compiled", "micrograd": "micrograd",
          "torch64": "PyTorch float64", "torch32": "PyTorch float32"}
NEEDS = {"micrograd": "micrograd", "torch64": "torch", "torch32": "torch", "compiled": "numpy"}
# Batches timed per run (full, quick), after WARMUP_BATCHES untimed ones.
BATCHES = {"compiled": (200, 3), "torch64": (200, 3), "torch32": (200, 3)}  # the same for each engine
WARMUP_BATCHES = 3
TITLES = {"w2": "W2 MLP 2→16→16→1", "w3": "W3 MLP 64→32→10"}
GOAL_MICROGRAD = 200.0  # compiled at least this many times faster than micrograd on W3
GOAL_TORCH_W3 = 1.2  # compiled at most this many times slower than PyTorch float64 on W3, per sample
GOAL_TORCH_EPOCH = 1.5  # the Fashion-MNIST epoch, compiled fit against PyTorch float64
EPOCH_ENGINES = ("compiled", "torch64", "torch32")
EPOCH_BATCH, EPOCH_LR, EPOCH_MOMENTUM = 100, 0.02, 0.9


def _batches(workload: str, name: str, quick: bool) -> List[Any]:
    """Seeded data (as engine.py draws it), as ``(inputs, targets)`` lists of BATCH rows."""
    count = WARMUP_BATCHES + BATCHES[name][quick]
    data = engine._mlp_data(workload, count * BATCH)
    return [([x for x, _ in data[i:i + BATCH]], [t for _, t in data[i:i + BATCH]])
            for i in range(0, len(data), BATCH)]


def _time_batches(step: Callable[[Any, Any], None], batches: List[Any]) -> float:
    """µs per sample over the batches after the warm-up ones."""
    for X, T in batches[:WARMUP_BATCHES]:
        step(X, T)
    timed = batches[WARMUP_BATCHES:]
    start = time.perf_counter_ns()
    for X, T in timed:
        step(X, T)
    return (time.perf_counter_ns() - start) / (len(timed) * BATCH) / 1000.0


def run_compiled(workload: str, quick: bool) -> Dict[str, float]:
    import numpy as np

    from microgradlab import vsum
    from microgradlab.compile import compile
    from microgradlab.compile.params import ParameterArrays

    nin, sizes = engine.MLP_SHAPES[workload]
    forward, _ = engine.Library(engine.OURS).mlp(nin, sizes)

    def loss(x: List[Any], target: List[Any]) -> Any:  # engine.run_mlp's loss, for one sample
        out = forward(x)
        if len(out) == 1:
            return (out[0] - target[0]) ** 2
        return vsum((o - t) ** 2 for o, t in zip(out, target))

    batches = [(np.asarray(X), np.asarray(T)) for X, T in _batches(workload, "compiled", quick)]
    start = time.perf_counter()
    step = compile(loss, (batches[0][0][0].tolist(), batches[0][1][0].tolist()))
    seconds = time.perf_counter() - start
    step.arrays = ParameterArrays(np, step.params)  # the parameters in arrays, as while fit trains
    step.arrays.acquire()

    def train_step(X: Any, T: Any) -> None:
        step.value_and_grad(X, T, reduction="sum")

    return {"us": _time_batches(train_step, batches), "compile_s": seconds, "steps": len(step.tape)}


def run_torch(workload: str, quick: bool, dtype_name: str, threads: int) -> Dict[str, float]:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(engine.SEED)
    dtype = getattr(torch, dtype_name)
    nin, sizes = engine.MLP_SHAPES[workload]
    layers: List[Any] = []
    for i, nout in enumerate(sizes):
        layers.append(torch.nn.Linear(nin, nout))
        if i < len(sizes) - 1:
            layers.append(torch.nn.ReLU())
        nin = nout
    net = torch.nn.Sequential(*layers).to(dtype)
    batches = [(torch.tensor(X, dtype=dtype), torch.tensor(T, dtype=dtype))
               for X, T in _batches(workload, "torch64", quick)]

    def step(X: Any, T: Any) -> None:
        loss = ((net(X) - T) ** 2).sum()
        loss.backward()
        net.zero_grad()

    return {"us": _time_batches(step, batches)}


def _fashion(quick: bool) -> Any:
    """The training images (n, 784) in [0, 1] and labels; the first 6,000 with ``quick``."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
    import fashion_mnist

    return fashion_mnist.load("train", limit=6000 if quick else None)


def epoch_compiled(quick: bool) -> Dict[str, float]:
    from microgradlab.nn import MLP
    from microgradlab.optim import SGD
    from microgradlab.train import fit

    X, y = _fashion(quick)
    model = MLP(784, [32, 32, 10], activation="relu", init="he", seed=engine.SEED)
    optimizer = SGD(model.parameters(), lr=EPOCH_LR, momentum=EPOCH_MOMENTUM)
    start = time.perf_counter()
    history = fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=1, batch_size=EPOCH_BATCH,
                  seed=engine.SEED, progress=False, compiled=True)
    total = time.perf_counter() - start
    return {"s": history.seconds[0], "compile_s": total - history.seconds[0], "loss": history.loss[0]}


def epoch_torch(quick: bool, dtype_name: str, threads: int) -> Dict[str, float]:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(engine.SEED)
    dtype = getattr(torch, dtype_name)
    X, y = _fashion(quick)
    X, y = torch.tensor(X, dtype=dtype), torch.tensor(np.asarray(y), dtype=torch.long)
    net = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32), torch.nn.ReLU(),
                              torch.nn.Linear(32, 10)).to(dtype)
    optimizer = torch.optim.SGD(net.parameters(), lr=EPOCH_LR, momentum=EPOCH_MOMENTUM)
    order = torch.tensor(np.random.default_rng(engine.SEED).permutation(len(X)))
    start = time.perf_counter()
    for first in range(0, len(X), EPOCH_BATCH):
        batch = order[first:first + EPOCH_BATCH]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(X[batch]), y[batch])
        loss.backward()
        optimizer.step()
    return {"s": time.perf_counter() - start}


def worker(name: str, workload: str, quick: bool, threads: int) -> Dict[str, float]:
    if workload == "epoch":
        if name == "compiled":
            return epoch_compiled(quick)
        return epoch_torch(quick, "float64" if name == "torch64" else "float32", threads)
    if name == "compiled":
        return run_compiled(workload, quick)
    if name in ("torch64", "torch32"):
        return run_torch(workload, quick, "float64" if name == "torch64" else "float32", threads)
    library = engine.Library(engine.OURS if name == "scalar" else engine.THEIRS)
    return {"us": engine.run_mlp(library, workload, quick)[workload]}


def _environment(threads: int) -> Dict[str, str]:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout, if not installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def _fmt(x: Optional[float]) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def tabulate(medians: Dict[str, Dict[str, Optional[float]]], engines: Sequence[str]) -> str:
    lines = ["| workload (µs per sample) | " + " | ".join(LABELS[e] for e in engines)
             + " | micrograd ÷ compiled | compiled ÷ PyTorch f64 |",
             "|---|" + "---:|" * len(engines) + "---:|---:|"]
    for workload in WORKLOADS:
        row = medians[workload]
        compiled, theirs, torch64 = row.get("compiled"), row.get("micrograd"), row.get("torch64")
        speedup = f"{theirs / compiled:,.0f}×" if compiled and theirs else "—"
        versus = f"{compiled / torch64:.2f}×" if compiled and torch64 else "—"
        lines.append(f"| {TITLES[workload]}, batch {BATCH} | " + " | ".join(_fmt(row.get(e)) for e in engines)
                     + f" | {speedup} | {versus} |")
    return "\n".join(lines)


def tabulate_epoch(medians: Dict[str, float]) -> str:
    engines = [e for e in EPOCH_ENGINES if e in medians]
    compiled, torch64, torch32 = (medians.get(e) for e in EPOCH_ENGINES)
    ratio64 = f"{compiled / torch64:.2f}×" if compiled and torch64 else "—"
    ratio32 = f"{compiled / torch32:.2f}×" if compiled and torch32 else "—"
    return "\n".join([
        "| Fashion-MNIST epoch (s) | " + " | ".join(LABELS[e] for e in engines)
        + " | compiled ÷ PyTorch f64 | compiled ÷ PyTorch f32 |",
        "|---|" + "---:|" * len(engines) + "---:|---:|",
        f"| 784→32→32→10, batch {EPOCH_BATCH}, 600 steps | " + " | ".join(f"{medians[e]:.2f}" for e in engines)
        + f" | {ratio64} | {ratio32} |"])


def _fashion_installed(env: Dict[str, str]) -> bool:
    import subprocess

    check = "import os, microgradlab.datasets as d; raise SystemExit(not os.path.isdir(d.DEFAULT_FASHION_MNIST_DIR))"
    return subprocess.run([sys.executable, "-c", check], env=env, capture_output=True).returncode == 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh-process repeats per measurement (median)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a measurement")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--no-epoch", action="store_true", help="skip the Fashion-MNIST epoch")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        name, workload = args.worker
        if name not in ENGINES or workload not in WORKLOADS + ("epoch",):
            parser.error(f"--worker: unknown engine or workload {name!r} {workload!r}")
        import json

        print(json.dumps(worker(name, workload, args.quick, args.threads)))
        return 0
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be at least 1")

    env = _environment(args.threads)
    engines = [e for e in args.engines if e not in NEEDS or importable(NEEDS[e], env)]
    skipped = [e for e in args.engines if e not in engines]
    flags = ["--threads", str(args.threads)] + (["--quick"] if args.quick else [])
    samples: Dict[str, Dict[str, List[float]]] = {w: {e: [] for e in engines} for w in WORKLOADS}
    extra: Dict[str, Dict[str, Any]] = {}
    started = time.perf_counter()
    for repeat in range(args.repeats):
        for workload in WORKLOADS:
            for name in engines:  # interleaved, so drifts in machine load hit every engine alike
                print(f"repeat {repeat + 1}/{args.repeats}: {name} {workload}", file=sys.stderr, flush=True)
                result = run_worker(__file__, [name, workload] + flags, env)
                samples[workload][name].append(result.pop("us"))
                extra.setdefault(workload, {}).update(result)
    medians = {w: {e: statistics.median(v) for e, v in per.items()} for w, per in samples.items()}
    epochs: Dict[str, List[float]] = {e: [] for e in EPOCH_ENGINES if e in engines}
    if epochs and not args.no_epoch and _fashion_installed(env):
        for repeat in range(args.repeats):
            for name in epochs:
                print(f"repeat {repeat + 1}/{args.repeats}: {name} Fashion-MNIST epoch", file=sys.stderr, flush=True)
                result = run_worker(__file__, [name, "epoch"] + flags, env)
                epochs[name].append(result.pop("s"))
                extra.setdefault("epoch", {}).update(result)
    print(tabulate(medians, args.engines))
    print()
    epoch_medians = {e: statistics.median(v) for e, v in epochs.items() if v}
    if epoch_medians:
        print(tabulate_epoch(epoch_medians))
        print()
    notes = [
        f"Medians of {args.repeats} repeat(s), each in a fresh process, engines interleaved; "
        f"{args.threads} BLAS/PyTorch thread(s).",
        "One step = forward, loss, backward, gradients zeroed. Scalar engines: one sample at a time "
        "(benchmarks/engine.py's runs); compiled and PyTorch: batches of "
        f"{BATCH}, gradients summed over the batch.",
        f"Goals: micrograd ÷ compiled ≥ {GOAL_MICROGRAD:.0f}× on W3; compiled ÷ PyTorch float64 ≤ "
        f"{GOAL_TORCH_W3}× per sample on W3 at the same batch size, and ≤ {GOAL_TORCH_EPOCH}× for the "
        "Fashion-MNIST epoch (below 1: the compiled path is faster).",
    ]
    for workload in WORKLOADS:
        if "compile_s" in extra.get(workload, {}):
            info = extra[workload]
            notes.append(f"{TITLES[workload]}: compiling (tracing twice, grouping, checking the rules) took "
                         f"{info['compile_s'] * 1000:.0f} ms; the tape has {info['steps']} steps.")
    if "compile_s" in extra.get("epoch", {}):
        notes.append(f"Fashion-MNIST: fit compiled the model and loss in {extra['epoch']['compile_s']:.1f} s "
                     f"(not in the epoch's time); its epoch loss was {extra['epoch']['loss']:.4f}.")
    if skipped:
        notes.append(f"Not installed, so not measured: {', '.join(LABELS[e] for e in skipped)}.")
    notes.append(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
                 f"{os.cpu_count()} cores; total {time.perf_counter() - started:.0f} s.")
    if args.quick:
        notes.append("--quick: small sizes, a smoke test; the numbers are not comparable to the goals.")
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
