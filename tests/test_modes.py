"""Recording modes: ``no_grad``/``enable_grad`` (per thread and per task) and ``detect_anomaly``."""

from __future__ import annotations

import asyncio
import math
import re
import threading

import pytest

from microgradlab import Value, detect_anomaly, dot, enable_grad, is_grad_enabled, no_grad, vsum

# Barrier waits are bounded so that a broken engine fails the test instead of hanging it.
WAIT = 10.0


def _operations(x: Value) -> list:
    """One result of each kind of node: unary, binary (both sides), n-ary."""
    return [x.tanh(), x * 2.0, 3.0 - x, x**2, x.leaky_relu(0.1), vsum([x, 1.0]), dot([x], [x])]


# --- no_grad / enable_grad -----------------------------------------------------------


def test_no_grad_records_no_graph():
    x = Value(0.5)
    with no_grad():
        assert not is_grad_enabled()
        results = _operations(x)
    assert is_grad_enabled()
    expected = [math.tanh(0.5), 1.0, 2.5, 0.25, 0.5, 1.5, 0.25]
    assert [r.data for r in results] == expected
    for r in results:
        assert r.is_leaf and r.op is None and r.inputs == ()
        r.backward()
    assert x.grad == 0.0  # nothing flows back to x


def test_no_grad_as_a_decorator():
    @no_grad()
    def evaluate(v: Value) -> Value:
        assert not is_grad_enabled()
        return v * v + 1.0

    x = Value(3.0)
    for _ in range(2):  # the decorator works on every call, not only the first
        y = evaluate(x)
        assert y.is_leaf and y.data == 10.0
        assert is_grad_enabled()
    recorded = x * x
    assert not recorded.is_leaf


def test_enable_grad_inside_no_grad_and_nesting():
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            inner = x * 3.0
            with no_grad():
                assert not is_grad_enabled()
                deepest = x * 4.0
            assert is_grad_enabled()
        assert not is_grad_enabled()
        outer = x * 5.0
    assert is_grad_enabled()
    assert not inner.is_leaf and deepest.is_leaf and outer.is_leaf
    inner.backward()
    assert x.grad == 3.0


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with no_grad():
            Value(-1.0).log()
    assert is_grad_enabled()
    assert not (Value(1.0) * 2.0).is_leaf


def test_no_grad_in_one_thread_does_not_affect_another():
    barrier = threading.Barrier(2, timeout=WAIT)
    x = Value(1.5)
    seen = {}

    def quiet() -> None:
        with no_grad():
            barrier.wait()  # 1: the other thread starts recording while we are inside no_grad
            seen["quiet"] = [r.is_leaf for r in _operations(x)]
            barrier.wait()  # 2
            barrier.wait()  # 3: the other thread has left its enable_grad block

    def recording() -> None:
        barrier.wait()  # 1
        seen["recording"] = [r.is_leaf for r in _operations(x)]
        barrier.wait()  # 2
        with no_grad():
            pass  # entering and leaving no_grad here must not end the other thread's block
        barrier.wait()  # 3

    threads = [threading.Thread(target=quiet), threading.Thread(target=recording)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads)
    assert seen["quiet"] == [True] * 7
    assert seen["recording"] == [False] * 7
    assert is_grad_enabled()


def test_no_grad_is_isolated_between_asyncio_tasks():
    x = Value(0.25)

    async def quiet(entered: asyncio.Event, done: asyncio.Event) -> list:
        with no_grad():
            entered.set()
            await done.wait()  # the other task runs while this one is inside no_grad
            return [r.is_leaf for r in _operations(x)]

    async def recording(entered: asyncio.Event, done: asyncio.Event) -> list:
        await entered.wait()
        leaves = [r.is_leaf for r in _operations(x)]
        done.set()
        return leaves

    async def main() -> tuple:
        entered, done = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(quiet(entered, done), recording(entered, done))

    quiet_leaves, recording_leaves = asyncio.run(main())
    assert quiet_leaves == [True] * 7
    assert recording_leaves == [False] * 7


# --- detect_anomaly --------------------------------------------------------------------


@pytest.mark.parametrize(
    "compute, message",
    [
        (lambda: Value(1e200) * 1e200, "mul(1e+200, 1e+200) produced inf"),
        (lambda: Value(math.inf) - math.inf, "sub(inf, inf) produced nan"),
        (lambda: vsum([Value(1e308), 1e308]), "sum(1e+308, 1e+308) produced inf"),
        (lambda: dot([Value(1e200)], [1e200]), "dot(1e+200, 1e+200) produced inf"),
        (lambda: Value(math.nan).exp(), "exp(nan) produced nan"),
    ],
)
def test_detect_anomaly_forward_names_the_op_and_inputs(compute, message):
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match="^detect_anomaly: " + re.escape(message)):
            compute()
    result = compute()  # outside the block the same computation just gives inf or nan
    assert not math.isfinite(result.data)


def _overflowing_gradient() -> tuple:
    # Every forward value is finite (1e-200, 1.0, 1e200) but dy/dw = 1e400 = inf.
    w = Value(1e-200)
    y = (w * 1e200) * 1e200
    return w, y


def test_detect_anomaly_backward_names_the_op():
    w, y = _overflowing_gradient()
    with detect_anomaly():
        with pytest.raises(FloatingPointError,
                           match=r"^detect_anomaly: backward through mul\(1e-200, 1e\+200\) produced gradient inf"):
            y.backward()


def test_without_detect_anomaly_nothing_is_raised():
    w, y = _overflowing_gradient()
    y.backward()
    assert w.grad == math.inf


def test_detect_anomaly_passes_finite_computations_through():
    x = Value(0.5)
    with detect_anomaly():
        y = (x * 3.0).tanh() + vsum([x, 2.0])
        y.backward()
    assert math.isclose(y.data, math.tanh(1.5) + 2.5, rel_tol=1e-15)
    assert math.isclose(x.grad, 3.0 / math.cosh(1.5) ** 2 + 1.0, rel_tol=1e-12)


def test_detect_anomaly_with_no_grad():
    with no_grad(), detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"mul\(1e\+200, 1e\+200\)"):
            Value(1e200) * 1e200
        assert (Value(2.0) * 2.0).is_leaf
