"""Explaining a non-finite result: replay the samples on the scalar engine, whose error is the answer."""

from __future__ import annotations

from typing import Any, Callable, Sequence, Tuple

from ..engine import Value, enable_grad
from .errors import load_numpy


def replay(where: str, samples: Sequence[Tuple[int, Sequence[Any], Callable[[], Any]]], params: Sequence[Value],
           backward: bool) -> None:
    """Run samples on the scalar engine (forward, and backward with ``backward``); raise its first error.

    NumPy answers inf or nan where the scalar rules raise (log(0), x / 0); the
    scalar engine says which op failed and why, and the message names the
    sample (and a NaN among its inputs).  If nothing raises, the non-finite
    numbers are what the scalar engine computes too.  No ``.grad`` changes.
    """
    np = load_numpy()
    for b, inputs, run in samples:
        saved = [(p, p.grad) for p in params]
        try:
            with enable_grad():
                root = run()
                if backward and isinstance(root, Value):
                    root.backward()
        except (ArithmeticError, ValueError) as exc:
            nan = [f"argument {a} has nan at {np.argwhere(np.isnan(x)).tolist()[0]}"
                   for a, x in enumerate(map(np.asarray, inputs)) if np.isnan(x).any()]
            note = f" ({'; '.join(nan)}: NaN in, NaN out)" if nan else ""
            raise type(exc)(f"{where}, sample {b} of the batch{note}: {exc}") from exc
        finally:
            for p, g in saved:
                p.grad = g
