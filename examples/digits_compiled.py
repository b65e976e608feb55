"""The digits example, compiled: MLP 64 → 32 → 10 on the 8×8 digits in about a second.

Same data, split and network as ``examples/digits.py`` (80/20 stratified split,
He initialisation, cross-entropy, SGD with momentum, batches of 32), trained
by the compiled batch loop of ``examples/fashion_mnist.py`` instead of one
scalar graph per sample.  Prints the time and test accuracy per epoch (about
97%).  Needs NumPy (``pip install microgradlab[fast]``)::

    python examples/digits_compiled.py
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional, Sequence

import numpy as np

from fashion_mnist import Epoch, train  # the compiled training loop, for any 10-class data
from microgradlab.datasets import load_digits, train_test_split


def run(epochs: int = 10, batch_size: int = 32, lr: float = 0.1, momentum: float = 0.9, seed: int = 0,
        quiet: bool = False) -> List[Epoch]:
    """Train on the digits; return what each epoch measured."""
    X, y = load_digits(scale=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)

    def report(epoch: int, result: Epoch) -> None:
        if not quiet:
            print(f"epoch {epoch + 1:2}: {result.seconds:.2f} s, train loss {result.train_loss:.4f}, "
                  f"test accuracy {result.test_accuracy:.1%}", flush=True)

    _, results = train(np.asarray(X_train), y_train, np.asarray(X_test), y_test, hidden=(32,), epochs=epochs,
                       batch_size=batch_size, lr=lr, momentum=momentum, seed=seed, report=report)
    return results


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = run(args.epochs, args.batch_size, args.lr, args.momentum, args.seed)
    print(f"test accuracy {results[-1].test_accuracy:.1%}; {sum(r.seconds for r in results):.1f} s of training, "
          f"{time.perf_counter() - start:.1f} s in all (with loading and compiling)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
