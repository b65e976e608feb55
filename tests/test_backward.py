"""``backward`` semantics, higher-order derivatives, deep graphs and memory.

Expected gradients are derived by hand and evaluated with the ``math`` module.
"""

from __future__ import annotations

import gc
import math
import sys

import pytest

import microgradlab
from microgradlab import Value, grad, vsum

# Reference and engine evaluate algebraically equal formulas in a different
# order (e.g. 1 - tanh² against 1/cosh²): a few ulps apart, well inside 1e-12.
REL = 1e-12


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=REL, abs_tol=1e-15)


# --- accumulation and reset ------------------------------------------------------


def test_leaf_gradients_accumulate_across_backward_calls():
    x, w = Value(3.0), Value(-2.0)
    (x * w).backward()
    (x * x).backward()
    assert x.grad == -2.0 + 6.0
    assert w.grad == 3.0


def test_zero_grad_on_a_value_and_on_a_list():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    vsum([a * b, b * c, c]).backward()
    assert (a.grad, b.grad, c.grad) == (2.0, 4.0, 3.0)
    a.zero_grad()
    assert a.grad == 0.0 and b.grad == 4.0
    microgradlab.zero_grad([b, c])
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)
    microgradlab.zero_grad(v for v in [a])  # any iterable
    (a * b).backward()
    assert (a.grad, b.grad) == (2.0, 1.0)  # nothing left over from before the reset


def test_backward_twice_recomputes_interior_grads_and_doubles_leaves():
    # y = tanh(x * w) + x ; the interior nodes' grads must not pile up across calls
    x, w = Value(0.4), Value(-1.3)
    h = x * w
    t = h.tanh()
    y = t + x
    y.backward()
    first = (y.grad, t.grad, h.grad)
    dt = 1.0 / math.cosh(0.4 * -1.3) ** 2
    assert first[0] == 1.0 and first[1] == 1.0 and close(first[2], dt)
    assert close(x.grad, dt * -1.3 + 1.0) and close(w.grad, dt * 0.4)
    y.backward()
    assert (y.grad, t.grad, h.grad) == first
    assert close(x.grad, 2 * (dt * -1.3 + 1.0)) and close(w.grad, 2 * dt * 0.4)


def test_same_value_on_both_sides():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    x = Value(-1.5)
    (x * x).backward()
    assert x.grad == -3.0
    z = Value(2.0)
    (z / z).backward()
    assert z.grad == 0.0  # d/dz (z/z) = 1/z - z/z² = 0
    s = Value(0.5)
    (s - s).backward()
    assert s.grad == 0.0


def test_diamond_graph_sums_both_paths_once():
    # u = x**2 feeds two branches that meet again: f = sin(u) * exp(u)
    # df/dx = (cos(u) exp(u) + sin(u) exp(u)) * 2x
    x0 = 0.8
    x = Value(x0)
    u = x**2
    f = u.sin() * u.exp()
    f.backward()
    u0 = x0 * x0
    assert close(u.grad, math.exp(u0) * (math.cos(u0) + math.sin(u0)))
    assert close(x.grad, math.exp(u0) * (math.cos(u0) + math.sin(u0)) * 2 * x0)


def test_a_node_reused_many_times():
    # h = x * 3 used in a chain that reuses it at every level: f = ((h*h)*h)*h = h**4
    x = Value(0.5)
    h = x * 3.0
    f = h
    for _ in range(3):
        f = f * h
    f.backward()
    assert close(f.data, 1.5**4)
    assert close(h.grad, 4 * 1.5**3)
    assert close(x.grad, 4 * 1.5**3 * 3.0)


def test_backward_on_a_leaf_accumulates_the_seed():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0
    x.backward(2.5)
    assert x.grad == 3.5


def test_backward_with_an_explicit_gradient_scales_everything():
    x = Value(1.2)
    y = x.exp() * x
    y.backward(gradient=-3.0)
    assert y.grad == -3.0
    assert close(x.grad, -3.0 * math.exp(1.2) * (1.0 + 1.2))  # d/dx x e^x = e^x (1 + x)


def test_backward_of_two_roots_sharing_a_subgraph():
    x, w = Value(0.3), Value(2.0)
    shared = (x * w).sigmoid()
    r1 = shared * 4.0
    r2 = shared.log()
    s0 = 1.0 / (1.0 + math.exp(-0.6))
    ds = s0 * (1.0 - s0)
    r1.backward()
    assert close(shared.grad, 4.0)
    assert close(x.grad, 4.0 * ds * 2.0)
    r2.backward()
    assert close(shared.grad, 1.0 / s0)  # recomputed for r2, not added to r1's
    assert close(x.grad, (4.0 + 1.0 / s0) * ds * 2.0)  # the leaf holds the sum of both
    assert close(w.grad, (4.0 + 1.0 / s0) * ds * 0.3)


def test_unreachable_leaves_are_untouched():
    x, unused = Value(1.0), Value(2.0)
    unused.grad = 7.0
    other = unused * 3.0
    (x * 2.0).backward()
    assert unused.grad == 7.0 and other.grad == 0.0


def test_failed_backward_leaves_a_graph_that_works_again():
    x, n = Value(-2.0), Value(2.0)
    shared = x * 1.0
    bad = shared**n  # d/dn (-2)**n does not exist: backward fails part-way
    with pytest.raises(ValueError, match=r"backward through pow\(-2\.0, 2\.0\)"):
        bad.backward()
    x.zero_grad()
    good = shared * 3.0
    good.backward()
    assert shared.grad == 3.0 and x.grad == 3.0


# --- higher order ------------------------------------------------------------------

# name -> (f on Values, f, f', f'', f''') with the derivatives worked out by hand.
HIGHER = {
    "sin": (lambda v: v.sin(), math.sin, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)),
    "exp": (lambda v: v.exp(), math.exp, math.exp, math.exp, math.exp),
    "log": (lambda v: v.log(), math.log, lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3),
    "tanh": (lambda v: v.tanh(), math.tanh,
             lambda x: 1 - math.tanh(x) ** 2,
             lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
             lambda x: -2 * (1 - math.tanh(x) ** 2) * (1 - 3 * math.tanh(x) ** 2)),
    "cube": (lambda v: v**3, lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x, lambda x: 6.0),
}
HIGHER_POINTS = [0.3, 1.7]

# Second and third derivatives come out of longer chains of float operations
# (each derivative rule is itself differentiated), and tanh''' has the
# cancellation-prone factor 1 - 3 tanh²: allow 1e-10 relative.
HIGHER_REL = 1e-10


def _grad_values(root: Value, leaf: Value, create_graph: bool) -> Value:
    """d root / d leaf via backward, starting the leaf from zero as torch.autograd.grad would."""
    leaf.zero_grad()
    root.backward(create_graph=create_graph)
    return leaf.grad


@pytest.mark.parametrize("x0", HIGHER_POINTS)
@pytest.mark.parametrize("name", sorted(HIGHER))
def test_higher_derivatives_via_backward_create_graph(name, x0):
    fn, f, df, d2f, d3f = HIGHER[name]
    x = Value(x0)
    y = fn(x)
    g1 = _grad_values(y, x, create_graph=True)
    assert isinstance(g1, Value)
    g2 = _grad_values(g1, x, create_graph=True)
    g3 = _grad_values(g2, x, create_graph=False)
    assert close(y.data, f(x0))
    assert math.isclose(g1.data, df(x0), rel_tol=HIGHER_REL)
    assert math.isclose(g2.data, d2f(x0), rel_tol=HIGHER_REL)
    assert math.isclose(g3, d3f(x0), rel_tol=HIGHER_REL, abs_tol=1e-12)


@pytest.mark.parametrize("x0", HIGHER_POINTS)
@pytest.mark.parametrize("name", sorted(HIGHER))
def test_higher_derivatives_via_nested_grad(name, x0):
    fn, f, df, d2f, d3f = HIGHER[name]
    first, second, third = grad(fn), grad(grad(fn)), grad(grad(grad(fn)))
    results = (first(x0), second(x0), third(x0))
    assert all(type(r) is float for r in results)
    for got, want in zip(results, (df(x0), d2f(x0), d3f(x0))):
        assert math.isclose(got, want, rel_tol=HIGHER_REL, abs_tol=1e-12)


def test_second_backward_without_reset_accumulates_like_pytorch():
    # x.grad holds f' (a Value); a second backward adds f'' to it.
    x = Value(2.0)
    (x**3).backward(create_graph=True)
    first = x.grad
    first.backward()
    assert close(x.grad.data, 3 * 2.0**2 + 6 * 2.0)


def test_mixed_second_derivative():
    # f = x² y ; d²f/dxdy = 2x
    x, y = Value(1.5), Value(-0.5)
    f = x * x * y
    f.backward(create_graph=True)
    df_dx = x.grad
    assert close(df_dx.data, 2 * 1.5 * -0.5)
    x.zero_grad()
    y.zero_grad()
    df_dx.backward()
    assert close(y.grad, 2 * 1.5)
    assert close(x.grad, 2 * -0.5)


# --- deep graphs -------------------------------------------------------------------

CHAIN_LENGTH = 1_000_000


def _chain(x: Value, c: float) -> Value:
    y = x
    for _ in range(CHAIN_LENGTH):
        y = y * c
    return y


def test_million_node_chain_backward():
    limit = sys.getrecursionlimit()
    c = 1.0000001
    x = Value(0.5)
    y = _chain(x, c)
    y.backward()
    assert sys.getrecursionlimit() == limit
    # Each of the N multiplications (forward and backward) rounds once:
    # relative error at most N * 2**-53 ~ 1.1e-10; allow twice that.
    rel = 2 * CHAIN_LENGTH * 2.0**-53
    assert math.isclose(x.grad, c**CHAIN_LENGTH, rel_tol=rel)
    assert math.isclose(y.data, 0.5 * c**CHAIN_LENGTH, rel_tol=rel)


@pytest.mark.requires_refcounting
def test_million_node_chain_is_freed_at_once_without_recursing():
    limit = sys.getrecursionlimit()
    x = Value(0.5)
    refs_before = sys.getrefcount(x)
    y = _chain(x, 1.0000001)
    assert sys.getrefcount(x) == refs_before + 1  # the first node holds x
    y.backward()
    del y  # the whole chain goes by reference counting, without recursing
    assert sys.getrefcount(x) == refs_before
    assert sys.getrecursionlimit() == limit


# --- memory ------------------------------------------------------------------------


def _build_and_differentiate(n: int) -> Value:
    """A graph of about 4n nodes mixing unary, binary and n-ary nodes; returns a leaf of it."""
    x = Value(0.1)
    terms = []
    h = x
    for i in range(n):
        h = (h * 0.999 + 0.001).tanh()
        terms.append(h * float(i % 3))
    total = vsum(terms) + microgradlab.dot(terms[:10], terms[-10:])
    total.backward()
    return x


@pytest.mark.requires_tracemalloc
def test_graph_memory_returns_to_baseline_after_deletion():
    import tracemalloc

    _build_and_differentiate(10)  # warm up: node classes, interned constants
    gc.collect()
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        leaf = _build_and_differentiate(2_500)  # ~10,000 nodes
        _, peak = tracemalloc.get_traced_memory()
        del leaf
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - baseline > 500_000  # the graph really was built: ~10,000 nodes of ~60+ bytes
    # Freed without the cyclic collector; only interpreter free lists (floats,
    # tuples) may keep a few kilobytes, far below one percent of the graph.
    assert after - baseline < 16_000


@pytest.mark.requires_refcounting
def test_engine_graphs_contain_no_reference_cycles():
    _build_and_differentiate(10)
    was_enabled = gc.isenabled()
    gc.disable()  # no automatic collection may hide a cycle between the two collects
    try:
        gc.collect()
        leaf = _build_and_differentiate(500)
        higher = grad(grad(lambda v: v.tanh() * v))(0.3)
        del leaf
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()
    assert isinstance(higher, float)


def test_a_zero_gradient_passes_nothing_on():
    # relu(-1) is inactive: its gradient 0 stops there, so sqrt's infinite
    # derivative at 0 below it contributes 0, not 0 * inf = nan.
    x = Value(0.0)
    y = (x.sqrt() - 1.0).relu()
    y.backward()
    assert x.grad == 0.0
    # Active path: the same sqrt now receives a nonzero gradient and gives inf.
    z = x.sqrt() + 1.0
    z.backward()
    assert x.grad == math.inf
