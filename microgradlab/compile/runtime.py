"""The runtime: a compiled function runs its tape forward and backward on whole batches."""

from __future__ import annotations

import math
import operator
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from ..engine import TracingError, Value
from .check import check_array_rules
from .errors import load_numpy
from .gather import Gather
from .lower import GroupInfo, ArrayMath
from .shapes import tree_flatten, tree_unflatten, as_number, tree_shape
from .explain import replay
from .tape import build_tape, lay_out_layers
from .params import ParameterArrays
from .trace import Piece, explain_difference, moved_parameters, nearby_inputs, trace_pieces, Traced

REDUCTIONS = ("mean", "sum", "none")


# --- the compiled function ---------------------------------------------------------------------


class Gradients(NamedTuple):
    """What :meth:`CompiledFunction.value_and_grad` returns.

    Attributes:
        outputs: The function's result on the batch, as :meth:`CompiledFunction.forward` gives it.
        params: ``d loss / d params``: shape ``(n_params,)``, or ``(batch, n_params)`` per sample
            with ``reduction="none"``.
        inputs: One array per argument, shaped like it: the gradient with respect to each
            sample's inputs (of the reduced loss), or None unless requested.
    """

    outputs: Any
    params: Any
    inputs: Optional[Tuple[Any, ...]]


class CompiledFunction:
    """A traced function that runs forward and backward on whole batches.

    Made by :func:`compile`; see there.  Attributes: ``params`` (the Values
    whose gradients it computes, in order), ``tape`` (a :class:`Tape` to
    inspect), ``has_aux``.
    """

    def __init__(self, np: Any, fn: Callable[..., Any], traced: Traced, shapes: List[Tuple[int, ...]],
                 out_shapes: List[Tuple[int, ...]], params: List[Value], has_aux: bool, fuse: bool) -> None:
        self._np = np
        self._math = ArrayMath(np)
        self._fn = fn
        self._shapes = shapes
        self._out_shapes = out_shapes
        self.params = params
        self.has_aux = has_aux
        program = traced.program
        self.tape, self._widths, self._bdep = build_tape(np, program, fuse)
        self._groups = self.tape._groups
        members_of: Dict[int, List[Tuple[Tuple[int, ...], int]]] = {}
        for _, args, reg in program.instrs:
            members_of.setdefault(program.loc[reg][0], []).append((args, reg))  # type: ignore[index]
        check_array_rules(np, self._math, self._groups, program, members_of)
        self._theta = program.theta
        self._consts = np.asarray([program.consts], dtype=float).reshape(1, -1)
        self._outputs = Gather(np, [program.loc[r] for r in program.outputs],  # type: ignore[misc]
                                self._widths, self._bdep)
        self._loss = Gather(np, [program.loc[program.outputs[0]]], self._widths, self._bdep)  # type: ignore[list-item]
        self._scalar_loss = has_aux or out_shapes[0] == ()
        self._get_data = operator.attrgetter("data")
        #: Where the parameters are read from while they live in arrays (see ``params.ParameterArrays``).
        self.arrays: Optional[ParameterArrays] = None
        self._plans: Dict[bool, List[bool]] = {}
        # The last call's arrays, kept until the next call has made its own: freed all at once, their
        # memory went back to the system and was paged in afresh at every call (49 page faults, a
        # third of the time of a W3 step in benchmarks/compiled.py).
        self._held: Any = None
        self._required_sets: Dict[bool, frozenset] = {}

    # --- running -----------------------------------------------------------------------

    def _blocks(self, inputs: Sequence[Any]) -> Tuple[List[Any], int]:
        np = self._np
        if len(inputs) != len(self._shapes):
            raise TypeError(f"compiled function: expected {len(self._shapes)} batched argument(s), got {len(inputs)}")
        blocks: List[Any] = []
        batch = None
        for a, (x, shape) in enumerate(zip(inputs, self._shapes)):
            arr = np.asarray(x, dtype=np.float64)
            if arr.ndim != len(shape) + 1 or arr.shape[1:] != shape:
                raise ValueError(f"compiled function: argument {a} must have shape (batch, {', '.join(map(str, shape))}"
                                 f"{',' if len(shape) == 1 else ''}) for examples of shape {shape}, got {arr.shape}")
            if arr.shape[0] == 0:
                raise ValueError("compiled function: empty batch (0 samples)")
            if batch is None:
                batch = arr.shape[0]
            elif arr.shape[0] != batch:
                raise ValueError(f"compiled function: argument {a} has {arr.shape[0]} samples, argument 0 has {batch}")
            blocks.append(arr.reshape(arr.shape[0], -1))
        arrays = self.arrays
        if arrays is not None and arrays.active:
            theta = arrays.data  # the parameters live there while a compiled model trains
        else:
            theta = np.fromiter(map(self._get_data, self.params), np.float64, len(self.params))
        blocks += [theta.reshape(1, -1), self._consts]
        blocks += [None] * len(self._groups)
        return blocks, batch

    def _forward(self, blocks: List[Any]) -> List[Any]:
        return [group.forward(blocks) for group in self._groups]

    def _results(self, blocks: List[Any], batch: int) -> Any:
        flat = self._np.broadcast_to(self._outputs.build(blocks, full=True), (batch, self._outputs.width))
        results, start = [], 0
        for shape in self._out_shapes:
            size = math.prod(shape)
            results.append(flat[:, start:start + size].reshape((batch,) + shape).copy())
            start += size
        return tuple(results) if self.has_aux else results[0]

    def _requires(self, wrt_inputs: bool) -> List[bool]:
        """Which blocks need a gradient: the parameters (and inputs), and what depends on them."""
        plan = self._plans.get(wrt_inputs)
        if plan is None:
            plan = [wrt_inputs] * self._theta + [bool(self.params), False]
            for group in self._groups:
                plan.append(any(plan[b] for b in group.blocks))
            self._plans[wrt_inputs] = plan
        return plan

    def _required(self, wrt_inputs: bool) -> frozenset:
        """The blocks that need a gradient, as a set (an operand needs one if it reads any of them)."""
        required = self._required_sets.get(wrt_inputs)
        if required is None:
            required = self._required_sets[wrt_inputs] = frozenset(
                b for b, needed in enumerate(self._requires(wrt_inputs)) if needed)
        return required

    def _backward(self, blocks: List[Any], saved: List[Any], batch: int, reduction: str,
                  wrt_inputs: bool, cotangent: Any = None) -> List[Any]:
        np = self._np
        requires = self._requires(wrt_inputs)
        required = self._required(wrt_inputs)
        per_sample = reduction == "none"
        reduce_batch = [not (b or per_sample) for b in self._bdep]
        shapes = [(1 if reduce else batch, w) for reduce, w in zip(reduce_batch, self._widths)]
        grads: List[Any] = [None] * len(blocks)

        def scatter(operand: Gather, contrib: Callable[[], Any]) -> None:
            if not required.isdisjoint(operand.blocks):
                operand.scatter(contrib(), grads, shapes, requires, reduce_batch)

        if cotangent is None:
            seed = np.full((batch, 1), 1.0 / batch if reduction == "mean" else 1.0)
            scatter(self._loss, lambda: seed)
        else:
            scatter(self._outputs, lambda: cotangent)
        m = self._math
        for group, args in zip(reversed(self._groups), reversed(saved)):
            g = grads[group.out]
            if g is not None and requires[group.out]:
                group.backward(g, args, blocks, m, scatter, per_sample)
        return grads

    def _run(self, inputs: Sequence[Any], reduction: str, wrt_inputs: bool, backward: bool) -> Tuple[Any, Any, Any]:
        np = self._np
        if reduction not in REDUCTIONS:
            raise ValueError(f"compiled function: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        if backward and not self._scalar_loss:
            raise TypeError("compiled function: gradients need a function that returns one number per sample "
                            "(or (loss, aux) with has_aux=True); use forward() for other results")
        blocks, batch = self._blocks(inputs)
        with np.errstate(all="ignore"):
            saved = self._forward(blocks)
            results = self._results(blocks, batch)
            loss = results[0] if self.has_aux else results
            if not backward:
                if not np.isfinite(results if not self.has_aux else results[0]).all():
                    self._explain(inputs, batch, loss, backward=False)
                return results, None, None
            grads = self._backward(blocks, saved, batch, reduction, wrt_inputs)
            self._held = (blocks, saved, grads)
        theta = grads[self._theta]
        n = len(self.params)
        if theta is None:
            theta = np.zeros((batch, n) if reduction == "none" else (1, n))
        params_grad = theta if reduction == "none" else theta.reshape(n)
        input_grads = None
        if wrt_inputs:
            input_grads = tuple(np.zeros((batch,) + shape) if grads[a] is None else
                                np.broadcast_to(grads[a], (batch, grads[a].shape[1])).reshape((batch,) + shape)
                                for a, shape in enumerate(self._shapes))
        if not (np.isfinite(loss).all() and np.isfinite(params_grad).all()):
            self._explain(inputs, batch, loss, backward=True)
        return results, params_grad, input_grads

    def vjp(self, *inputs: Any, cotangent: Any = None, per_sample: bool = False) -> Tuple[Any, Any]:
        """Forward, then backward from a cotangent of the outputs, without touching any ``.grad``.

        Args:
            inputs: One array per argument, with the batch first.
            cotangent: Shape ``(batch, outputs)``: the weight of each (flattened) output of each
                sample; None runs forward only (and the gradient is None).
            per_sample: Keep the parameters' gradient per sample.

        Returns:
            ``(results, g)``: the flattened results, shape ``(batch, outputs)``, and
            ``g = Σ_b Σ_j cotangent[b, j] · d results[b, j] / d params``, shape ``(n_params,)``
            (``(batch, n_params)`` with ``per_sample``).  Non-finite numbers are returned, not explained.
        """
        np = self._np
        blocks, batch = self._blocks(inputs)
        with np.errstate(all="ignore"):
            saved = self._forward(blocks)
            results = np.broadcast_to(self._outputs.build(blocks, full=True), (batch, self._outputs.width))
            if cotangent is None:
                return results, None
            grads = self._backward(blocks, saved, batch, "none" if per_sample else "sum", False,
                                   np.asarray(cotangent, dtype=np.float64))
            self._held = (blocks, saved, grads)
        n = len(self.params)
        theta = grads[self._theta]
        if theta is None:
            theta = np.zeros((batch, n) if per_sample else (1, n))
        return results, theta if per_sample else theta.reshape(n)

    def _explain(self, inputs: Sequence[Any], batch: int, loss: Any, backward: bool) -> None:
        """Replay the samples on the scalar engine: its error (if any) is the compiled call's error."""
        np = self._np
        arrays = [np.asarray(x, dtype=np.float64) for x in inputs]

        def run(b: int) -> Callable[[], Any]:
            def sample() -> Any:
                args = [tree_unflatten([Value(float(v)) for v in a[b].ravel()], shape)
                        for a, shape in zip(arrays, self._shapes)]
                out = self._fn(*args)
                return out[0] if self.has_aux else out
            return sample

        bad = np.flatnonzero(~np.isfinite(np.asarray(loss).reshape(batch, -1)).all(axis=1)).tolist()
        order = bad + sorted(set(range(batch)) - set(bad))
        replay("compiled function", [(b, [a[b] for a in arrays], run(b)) for b in order], self.params, backward)

    # --- public ------------------------------------------------------------------------

    def gradient_plan(self, wrt_inputs: bool = False) -> List[Tuple[GroupInfo, Tuple[bool, ...]]]:
        """For each step of the tape, which of its operands backward differentiates.

        Backward visits a step only if its result leads to the loss and some
        operand depends on a parameter (or on an input, with ``wrt_inputs``);
        an operand made only of inputs and constants -- the pixels fed to the
        first layer -- gets no gradient.
        """
        requires = self._requires(wrt_inputs)
        return [(group.info(), tuple(requires[group.out] and any(requires[b] for b in blocks)
                                     for blocks in group.arguments())) for group in self._groups]

    def forward(self, *inputs: Any) -> Any:
        """The function's result for a batch: an array per result, with the batch first.

        A number per sample gives shape ``(batch,)``; a list of ``k`` gives
        ``(batch, k)``; with ``has_aux`` a pair ``(loss, aux)``.
        """
        return self._run(inputs, "none", False, backward=False)[0]

    def value_and_grad(self, *inputs: Any, reduction: str = "mean", wrt_inputs: bool = False) -> Gradients:
        """Forward and backward on a batch, without touching any ``.grad``.

        Args:
            inputs: One array per argument of the traced function, with the batch first.
            reduction: ``"mean"`` or ``"sum"`` of the per-sample losses is
                differentiated; ``"none"`` gives per-sample gradients.
            wrt_inputs: Also return gradients with respect to the inputs.
        """
        results, params_grad, input_grads = self._run(inputs, reduction, wrt_inputs, backward=True)
        return Gradients(results, params_grad, input_grads)

    def __call__(self, *inputs: Any, reduction: str = "mean") -> Any:
        """Forward and backward on a batch; the gradient of the batch's mean (or sum) loss
        is **added** to each parameter's ``.grad``, as ``backward()`` does.

        Returns:
            The per-sample losses, shape ``(batch,)`` (with ``has_aux``: ``(losses, aux)``).
        """
        if reduction == "none":
            raise ValueError("compiled function: reduction='none' gives per-sample gradients, which do not fit "
                             "in .grad; use value_and_grad(..., reduction='none')")
        results, params_grad, _ = self._run(inputs, reduction, False, backward=True)
        _add_to_grads(self.params, params_grad.tolist())
        return results

    def __repr__(self) -> str:
        return f"CompiledFunction({getattr(self._fn, '__name__', 'fn')}, {self.tape!r})"


def _add_to_grads(params: Sequence[Value], grads: List[float]) -> None:
    for p, g in zip(params, grads):
        p.grad += g


def compile(fn: Callable[..., Any], example_inputs: Sequence[Any], params: Optional[Iterable[Value]] = None, *,
            has_aux: bool = False, fuse: bool = True, check: bool = True) -> CompiledFunction:
    """Trace ``fn`` once and return a :class:`CompiledFunction` that runs it on batches.

    Args:
        fn: A function of Values for **one sample**: each argument is a number
            or a (nested) list of numbers; it returns the loss (one Value),
            any number or (nested) list of them (forward only), or
            ``(loss, aux)`` with ``has_aux=True``.
        example_inputs: The arguments for one sample, as a tuple (``(x0,)``
            for one argument): they fix the shapes, and ``fn`` is traced at them.
        params: The leaf Values to differentiate (read afresh at every call);
            default: every :class:`~microgradlab.Parameter` in the graph, laid out layer by layer
            (each fused layer's weights one contiguous run, so they are views of the parameter array).
            Other leaves ``fn`` closes over are constants.
        has_aux: ``fn`` returns ``(loss, aux)``; gradients are of the loss.
        fuse: Fuse ``dot`` nodes that share their inputs into matrix products.
        check: Trace again at nearby inputs and raise
            :class:`~microgradlab.TracingError` if the graph or a constant changed.

    Returns:
        The compiled function.  ``f(*batch)`` runs forward and backward, adds the
        gradient of the mean loss to each parameter's ``.grad`` and returns the
        per-sample losses; ``f.forward(*batch)`` and ``f.value_and_grad(*batch)`` also exist.

    Raises:
        ImportError: without NumPy.
        TracingError: if ``fn`` branches on data (see the module docs).
        CompileError: for a primitive without an array form, or whose array rules
            disagree with its scalar rules.

    >>> from microgradlab import Parameter
    >>> w = Parameter(2.0)
    >>> f = compile(lambda x: (w * x - 1.0) ** 2, (0.0,))
    >>> f([1.0, 2.0]).tolist()          # (2·1 - 1)², (2·2 - 1)²
    [1.0, 9.0]
    >>> w.grad                          # mean of 2(wx - 1)x: (2 + 12) / 2
    7.0
    """
    np = load_numpy()
    if not isinstance(example_inputs, (tuple, list)):
        raise TypeError(f"compile: example_inputs must be a tuple of the arguments of fn, got {example_inputs!r}")
    shapes = [tree_shape(x, f"compile: example input {a}") for a, x in enumerate(example_inputs)]
    if not shapes:
        raise TypeError("compile: fn needs at least one argument (the batched inputs)")
    args_flat = [[as_number(v, f"compile: example input {a}") for v in tree_flatten(x)]
                 for a, x in enumerate(example_inputs)]
    chosen = _parameters(fn, args_flat, shapes, has_aux) if params is None else list(params)
    for i, p in enumerate(chosen):
        if not isinstance(p, Value) or not p.is_leaf:
            raise TypeError(f"compile: params[{i}] must be a leaf Value (a Parameter), got {p!r}")
    if len({id(p) for p in chosen}) != len(chosen):
        raise ValueError("compile: a parameter appears twice in params")
    traced, out_shapes = trace_checked([(fn, args_flat)], shapes, chosen, has_aux, check)
    if params is None:  # the same order with fuse=False: f.params does not depend on fusing
        chosen = lay_out_layers(np, traced.program, chosen)
    return CompiledFunction(np, fn, traced, shapes, out_shapes, chosen, has_aux, fuse)


def trace_checked(pieces: Sequence[Piece], shapes: Sequence[Tuple[int, ...]], params: Sequence[Value],
                   has_aux: bool, check: bool) -> Tuple[Traced, List[Tuple[int, ...]]]:
    """Trace the pieces; with ``check``, trace again at nearby inputs and parameters and raise
    TracingError if the graph or a constant changed."""
    traced, out_shapes = trace_pieces(pieces, shapes, params, has_aux)
    if check:
        try:
            with moved_parameters(params):
                again, _ = trace_pieces([(fn, nearby_inputs(args), *on) for fn, args, *on in pieces], shapes, params,
                                        has_aux)
        except (ArithmeticError, ValueError):
            again = None  # out of fn's domain nearby: nothing to compare
        if again is not None and again.program.signature() != traced.program.signature():
            raise TracingError("compile: the traced graph depends on the data of the inputs or parameters: "
                               + explain_difference(traced.program, again.program)
                               + "; write data-dependent choices with ops (relu, abs, a mask input)")
    return traced, out_shapes


def _parameters(fn: Callable[..., Any], args_flat: Sequence[Sequence[float]], shapes: Sequence[Tuple[int, ...]],
                has_aux: bool) -> List[Value]:
    """Every Parameter leaf of fn's graph at the example, in the order first met."""
    traced, _ = trace_pieces([(fn, args_flat)], shapes, [], has_aux)
    return [leaf for leaf in traced.leaves if leaf.is_parameter]

