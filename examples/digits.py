"""Classify the 8x8 handwritten digits with an MLP 64 -> 32 -> 10 and print the test accuracy.

The 1,797 UCI digits shipped with microgradlab (pixels scaled to [0, 1]) are
split 80/20, stratified by class.  The network (He initialisation, ReLU hidden
layer, 10 linear logits) is trained with softmax cross-entropy by mini-batch
SGD with momentum; the script prints the held-out accuracy (about 97-98%) and
the wall time.

Run::

    python examples/digits.py
    python examples/digits.py --epochs 15 --plot digits.png
    python examples/digits.py --engine scalar     # the Value engine, sample by sample
"""

from __future__ import annotations

import argparse
import time
from typing import List, Optional

from microgradlab.datasets import load_digits, train_test_split
from microgradlab.nn import MLP
from microgradlab.optim import SGD
from microgradlab.train import accuracy, fit


ENGINES = {"auto": None, "compiled": True, "scalar": False}  # fit's ``compiled`` argument


def main(argv: Optional[List[str]] = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and of the batch order")
    parser.add_argument("--plot", metavar="PATH", help="write the loss and accuracy curves to this .svg or .png file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="auto",
                        help="compiled: batches through NumPy (about 1-2 s in all); scalar: one Value graph per "
                             "sample (about 10-15 s); auto: compiled when NumPy is installed (the default)")
    args = parser.parse_args(argv)

    X, y = load_digits(scale=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    model = MLP(64, [32, 10], init="he", seed=args.seed)
    optimizer = SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    start = time.perf_counter()
    history = fit(model, X_train, y_train, loss="cross_entropy", optimizer=optimizer, epochs=args.epochs,
                  batch_size=args.batch_size, seed=args.seed, progress=False if args.quiet else None,
                  compiled=ENGINES[args.engine])
    seconds = time.perf_counter() - start
    test_accuracy = accuracy(model, X_test, y_test)
    print(f"{model!r}: {len(model.parameters())} parameters, {len(X_train)} training and {len(X_test)} test images")
    print(f"training accuracy {history.accuracy[-1]:.1%} (during the last epoch), "
          f"test accuracy {test_accuracy:.1%}")
    print(f"wall time {seconds:.1f} s for {len(history)} epochs ({seconds / len(history):.2f} s per epoch)")
    if args.plot:
        history.plot(path=args.plot, title="digits, MLP 64-32-10")
        print(f"curves written to {args.plot}")
    return test_accuracy


if __name__ == "__main__":
    main()
