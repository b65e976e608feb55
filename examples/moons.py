"""Train micrograd's moons classifier and print its training accuracy.

The demo from karpathy/micrograd: 100 two-moons points with noise 0.1, an MLP
2 -> 16 -> 16 -> 1 (ReLU hidden layers, linear output score) trained by
full-batch gradient descent on the max-margin (hinge) loss, reaching 100%
training accuracy.  micrograd's demo adds an L2 penalty ``1e-4 · Σ p²`` to
the loss; ``weight_decay=2e-4`` is the same thing inside the optimizer.

Run::

    python examples/moons.py                  # hinge loss
    python examples/moons.py --loss bce       # binary cross-entropy on the logit
    python examples/moons.py --plot moons.svg # also write the loss curve
"""

from __future__ import annotations

import argparse
import time
from typing import List, Optional

from microgradlab.datasets import make_moons
from microgradlab.nn import MLP
from microgradlab.optim import SGD
from microgradlab.train import accuracy, fit


def main(argv: Optional[List[str]] = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loss", choices=["hinge", "bce"], default="hinge")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0, help="seed of the network's initial weights")
    parser.add_argument("--plot", metavar="PATH", help="write the loss curve to this .svg or .png file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    X, y = make_moons(100, noise=0.1, random_state=1)  # labels 0/1; hinge reads 0 as -1
    model = MLP(2, [16, 16, 1], seed=args.seed)
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-4)
    start = time.perf_counter()
    history = fit(model, X, y, loss=args.loss, optimizer=optimizer, epochs=args.epochs, progress=False if args.quiet else None)
    seconds = time.perf_counter() - start
    train_accuracy = accuracy(model, X, y)
    print(f"{model!r}, {len(model.parameters())} parameters, {args.loss} loss")
    print(f"training accuracy {train_accuracy:.0%} after {len(history)} epochs "
          f"(final loss {history.loss[-1]:.4f}, {seconds:.1f} s)")
    if args.plot:
        history.plot(path=args.plot, title=f"moons, {args.loss} loss")
        print(f"loss curve written to {args.plot}")
    return train_accuracy


if __name__ == "__main__":
    main()
