"""JAX-style function transforms over the engine: :func:`grad` and :func:`value_and_grad`.

``grad(f)`` is a new function that returns ``df/dx``; transforms compose, so
``grad(grad(f))`` is the second derivative.  Functions here also accept plain
floats: ``exp``, ``log``, ``sin`` ... apply the op-table primitive to a Value,
or its scalar rule to a number, so one ``f`` works on both.

>>> from microgradlab import grad, sin
>>> f = lambda x: x ** 3 + sin(x)
>>> round(grad(f)(2.0), 6)          # 3x² + cos x
11.583853
>>> round(grad(grad(f))(2.0), 6)    # 6x - sin x
11.090703
"""

from __future__ import annotations

import contextvars
from typing import Any, Callable, Sequence, Tuple, Union

from . import ops
from .checks import is_int
from .engine import Value, apply, as_float, enable_grad, run_backward
from .graph import leaves

__all__ = ["grad", "value_and_grad", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "softplus"]



def _function(name: str) -> Callable[[Any], Any]:
    """The op ``name`` on a Value (a node), or its scalar rule on a number."""
    prim = ops.get(name)

    def fn(x: Any) -> Any:
        if isinstance(x, Value):
            return apply(prim, x)
        if hasattr(x, "_apply_primitive"):  # a forward-mode Dual (microgradlab.forward)
            return x._apply_primitive(prim)
        return apply(prim, as_float(x, name)).data

    fn.__name__ = name
    fn.__doc__ = prim.doc
    return fn


exp = _function("exp")
log = _function("log")
sqrt = _function("sqrt")
sin = _function("sin")
cos = _function("cos")
tanh = _function("tanh")
sigmoid = _function("sigmoid")
relu = _function("relu")
softplus = _function("softplus")

ArgNums = Union[int, Sequence[int]]

# How many transforms are running around the current call.  Inside another
# transform a gradient must stay a differentiable Value, even when it reaches
# the outer variable only through a closure or another argument.
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("microgradlab_transform_depth", default=0)


def _as_input(x: Any, where: str) -> Tuple[Any, bool]:
    """A differentiable stand-in for an argument, and whether it came in as a Value.

    A Value argument (we are inside an outer transform) is passed through an
    identity node, so its gradient here is recomputed while the outer graph
    stays connected; a number becomes a fresh leaf.
    """
    if isinstance(x, Value):
        return x + 0.0, True
    if isinstance(x, (list, tuple)):
        parts = [_as_input(v, where) for v in x]
        return [p for p, _ in parts], any(nested for _, nested in parts)
    return Value(x, label=where), False


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Tuple[Any, Any]]:
    """A function returning ``(f(*args), gradient of f with respect to args[argnums])``.

    Arguments may be floats, Values (when nested inside another transform) or
    lists of them (the gradient is then a list).  ``f`` must return one scalar:
    a Value, or a plain number (a constant: its gradient is 0); anything else is
    a ``TypeError``.  With float arguments the results are floats; leaves that
    ``f`` closes over (model parameters, say) keep their ``.grad`` unchanged.
    It records the graph even inside ``no_grad()``, as ``torch.func.grad`` does.

    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (12.0, (4.0, 3.0))
    """
    name = getattr(f, "__name__", "f")
    many, nums = _argnums(argnums, "value_and_grad")

    def wrapped(*args: Any) -> Tuple[Any, Any]:
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(f"value_and_grad: argnums {i} is out of range for {len(args)} arguments")
        args_list = list(args)
        nested = _DEPTH.get() > 0
        inputs = {}
        for i in nums:
            inputs[i], was_value = _as_input(args[i], f"x{i}")
            args_list[i] = inputs[i]
            nested = nested or was_value
        token = _DEPTH.set(_DEPTH.get() + 1)
        try:
            with enable_grad():
                out = f(*args_list)
        finally:
            _DEPTH.reset(token)
        if not isinstance(out, Value):
            if isinstance(out, bool) or not isinstance(out, (int, float)):
                raise TypeError(f"grad: {name} must return one scalar (a Value or a number), "
                                f"got {type(out).__name__} {out!r:.80}")
            zero = {i: [0.0] * len(v) if isinstance(v, list) else 0.0 for i, v in inputs.items()}
            grads = tuple(zero[i] for i in nums)
            return out, grads if many else grads[0]
        saved = [(leaf, leaf.grad) for leaf in leaves(out)]
        for leaf, _ in saved:
            leaf.grad = 0.0
        try:
            with enable_grad():
                run_backward(out, create_graph=nested, keep=_flat(inputs.values()))
            grads = tuple(_grad_of(inputs[i]) for i in nums)
        finally:
            for leaf, g in saved:
                leaf.grad = g
        value = out if nested else out.data
        return value, grads if many else grads[0]

    wrapped.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    wrapped.__doc__ = f.__doc__
    return wrapped


def _argnums(argnums: Any, where: str) -> Tuple[bool, Tuple[int, ...]]:
    """Whether several argnums were asked for, and which (as JAX takes them: an int or a sequence of ints)."""
    if is_int(argnums):
        return False, (int(argnums),)
    if isinstance(argnums, (tuple, list)) and argnums and all(map(is_int, argnums)):
        return True, tuple(map(int, argnums))
    raise TypeError(f"{where}: argnums must be an int or a non-empty sequence of ints, got {argnums!r}")


def _flat(values: Any) -> list:
    flat: list = []
    for v in values:
        flat.extend(v if isinstance(v, list) else [v])
    return flat


def _grad_of(x: Any) -> Any:
    if isinstance(x, list):
        return [_grad_of(v) for v in x]
    return x.grad


def grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """A function returning the gradient of ``f`` (see :func:`value_and_grad`).

    >>> grad(lambda x: x * x)(3.0)
    6.0
    >>> grad(grad(lambda x: x * x * x))(2.0)
    12.0
    """
    vg = value_and_grad(f, argnums)

    def wrapped(*args: Any) -> Any:
        return vg(*args)[1]

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    wrapped.__doc__ = f.__doc__
    return wrapped

