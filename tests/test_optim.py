"""Tests of microgradlab.optim: update rules by hand and against torch.optim, schedules, errors."""

from __future__ import annotations

import math

import pytest

from microgradlab import Parameter, Value, is_grad_enabled
from microgradlab.optim import SGD, Adam, ExponentialLR, Optimizer, StepLR


def quadratic_grads(params, targets, scales):
    """Set each grad to that of Σ scale·(p - target)²/2 (a problem with different curvatures)."""
    for p, t, s in zip(params, targets, scales):
        p.grad = s * (p.data - t)


START = [1.5, -0.75, 0.2]
TARGETS = [0.0, 1.0, -3.0]
SCALES = [1.0, 4.0, 0.25]


def run_ours(make, steps):
    params = [Parameter(x) for x in START]
    opt = make(params)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        quadratic_grads(params, TARGETS, SCALES)
        opt.step()
        trajectory.append([p.data for p in params])
    return trajectory


def run_torch(torch, make, steps):
    params = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = make([params])
    targets = torch.tensor(TARGETS, dtype=torch.float64)
    scales = torch.tensor(SCALES, dtype=torch.float64)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * scales * (params - targets) ** 2).sum().backward()
        opt.step()
        trajectory.append(params.detach().tolist())
    return trajectory


# --- by hand -------------------------------------------------------------------------------------


def test_plain_sgd_is_the_seeds_rule():
    # w ← w - η ∂L/∂w, with ∂L/∂w = s (w - t): w₁ = 1.5 - 0.1·1.5 = 1.35, w₂ = 1.35 - 0.1·1.35 = 1.215
    trajectory = run_ours(lambda ps: SGD(ps, lr=0.1), 2)
    assert trajectory[0][0] == pytest.approx(1.35, rel=1e-15)
    assert trajectory[1][0] == pytest.approx(1.215, rel=1e-15)
    # second coordinate: g = 4 (-0.75 - 1) = -7, so w₁ = -0.75 + 0.7
    assert trajectory[0][1] == pytest.approx(-0.05, rel=1e-13)


def test_sgd_momentum_and_nesterov_by_hand():
    p = Parameter(1.0)
    opt = SGD([p], lr=0.5, momentum=0.9)
    p.grad = 1.0
    opt.step()  # b = 1, p = 1 - 0.5
    p.grad = 2.0
    opt.step()  # b = 0.9 + 2 = 2.9, p = 0.5 - 1.45
    assert p.data == pytest.approx(-0.95, rel=1e-15)
    q = Parameter(1.0)
    opt = SGD([q], lr=0.5, momentum=0.9, nesterov=True)
    q.grad = 1.0
    opt.step()  # b = 1, g = 1 + 0.9 = 1.9, q = 1 - 0.95
    q.grad = 2.0
    opt.step()  # b = 2.9, g = 2 + 2.61 = 4.61, q = 0.05 - 2.305
    assert q.data == pytest.approx(-2.255, rel=1e-14)


def test_sgd_weight_decay_by_hand():
    p = Parameter(2.0)
    opt = SGD([p], lr=0.1, weight_decay=0.5)
    p.grad = 1.0
    opt.step()  # g = 1 + 0.5·2 = 2
    assert p.data == pytest.approx(1.8, rel=1e-15)


def test_adam_by_hand():
    p = Parameter(1.0)
    opt = Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    p.grad = 4.0
    opt.step()
    # m = 0.4, v = 0.016; m̂ = 4, v̂ = 16: step 0.1 · 4 / (4 + 1e-8)
    assert p.data == pytest.approx(1.0 - 0.1 * 4 / (4 + 1e-8), rel=1e-15)
    p.grad = -2.0
    opt.step()
    m = 0.9 * 0.4 + 0.1 * -2.0
    v = 0.999 * 0.016 + 0.001 * 4.0
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    assert p.data == pytest.approx(1.0 - 0.1 * 4 / (4 + 1e-8) - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-14)


# --- against PyTorch ------------------------------------------------------------------------------


SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.5, weight_decay=0.01),
    dict(lr=0.02, momentum=0.99, nesterov=True, weight_decay=0.1),
]
ADAM_CONFIGS = [
    dict(lr=0.01),
    dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.05, weight_decay=0.01),
    dict(lr=0.3, betas=(0.0, 0.5)),
]


# The trajectories agree to 1e-12: each step is a few float operations done in
# the same order (PyTorch in float64), so they differ by a few units in the last
# place per step; over 25 steps of a contracting iteration that stays far below 1e-12.
@pytest.mark.parametrize("config", SGD_CONFIGS, ids=str)
def test_sgd_matches_torch_step_by_step(config):
    torch = pytest.importorskip("torch")
    ours = run_ours(lambda ps: SGD(ps, **config), 25)
    theirs = run_torch(torch, lambda ps: torch.optim.SGD(ps, **config), 25)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), f"step {step}"


@pytest.mark.parametrize("config", ADAM_CONFIGS, ids=str)
def test_adam_matches_torch_step_by_step(config):
    torch = pytest.importorskip("torch")
    ours = run_ours(lambda ps: Adam(ps, **config), 25)
    theirs = run_torch(torch, lambda ps: torch.optim.Adam(ps, foreach=False, **config), 25)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), f"step {step}"


@pytest.mark.parametrize("make_ours, make_torch", [
    (lambda opt: StepLR(opt, step_size=3, gamma=0.5),
     lambda torch, opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)),
    (lambda opt: ExponentialLR(opt, gamma=0.9),
     lambda torch, opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)),
], ids=["StepLR", "ExponentialLR"])
def test_schedulers_match_torch(make_ours, make_torch):
    torch = pytest.importorskip("torch")
    ours_opt = SGD([Parameter(0.0)], lr=0.2)
    ours = make_ours(ours_opt)
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    theirs = make_torch(torch, torch_opt)
    for epoch in range(1, 12):
        torch_opt.step()
        ours.step()
        theirs.step()
        assert ours_opt.lr == pytest.approx(torch_opt.param_groups[0]["lr"], rel=1e-13)
        assert ours.last_epoch == theirs.last_epoch == epoch
        assert ours.last_lr == ours_opt.lr


def test_schedules_in_closed_form():
    opt = SGD([Parameter(0.0)], lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.1)
    rates = []
    for _ in range(6):
        sched.step()
        rates.append(opt.lr)
    assert rates == [1.0, 0.1, 0.1, 0.1 ** 2, 0.1 ** 2, 0.1 ** 3]
    opt = Adam([Parameter(0.0)], lr=0.5)
    sched = ExponentialLR(opt, gamma=0.5)
    for _ in range(4):
        sched.step()
    assert opt.lr == 0.5 * 0.5 ** 4


# --- behaviour ---------------------------------------------------------------------------------------


def test_zero_grad_and_updates_outside_the_graph():
    w = Parameter(2.0)
    x = Value(3.0)
    opt = SGD([w], lr=0.1)
    (w * x).backward(create_graph=True)  # w.grad is now a Value
    assert isinstance(w.grad, Value)
    seen = []
    original = SGD._rule

    def spy(self, *args):
        seen.append(is_grad_enabled())
        return original(self, *args)

    SGD._rule = spy
    try:
        opt.step()
    finally:
        SGD._rule = original
    assert seen == [False]  # the update ran under no_grad
    assert type(w.data) is float and w.is_leaf
    assert w.data == pytest.approx(2.0 - 0.1 * 3.0, rel=1e-15)
    opt.zero_grad()
    assert w.grad == 0.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_gradient_changes_nothing(bad):
    params = [Parameter(1.0, label="a"), Parameter(2.0, label="b")]
    for opt in (SGD(params, lr=0.1, momentum=0.9), Adam(params, lr=0.1)):
        params[0].grad, params[1].grad = 1.0, bad
        with pytest.raises(FloatingPointError, match=f"gradient of parameter 1 \\(b\\) is {bad}"):
            opt.step()
        assert [p.data for p in params] == [1.0, 2.0]
    sgd = SGD(params, lr=0.1, momentum=0.9)
    with pytest.raises(FloatingPointError):
        sgd.step()
    assert sgd.buffers == [0.0, 0.0]


@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf])
def test_bad_learning_rate(lr):
    with pytest.raises(ValueError, match="SGD: lr must be a finite number in \\(0, inf\\)"):
        SGD([Parameter(0.0)], lr=lr)
    with pytest.raises(ValueError, match="Adam: lr must be"):
        Adam([Parameter(0.0)], lr=lr)
    opt = SGD([Parameter(0.0)], lr=0.1)
    with pytest.raises(ValueError, match="lr must be"):
        opt.lr = lr
    assert opt.lr == 0.1


@pytest.mark.parametrize("make, error, message", [
    (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a number, got '0.1'"),
    (lambda p: SGD(p, lr=True), TypeError, "lr must be a number"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum must be a finite number in \\[0, 1\\)"),
    (lambda p: SGD(p, lr=0.1, momentum=1.0), ValueError, "momentum must be"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov=True needs a momentum > 0"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1.0), ValueError, "weight_decay must be"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, "beta2 must be a finite number in \\[0, 1\\)"),
    (lambda p: Adam(p, betas=(-0.1, 0.9)), ValueError, "beta1 must be"),
    (lambda p: Adam(p, betas=0.9), TypeError, "betas must be a pair"),
    (lambda p: Adam(p, eps=0.0), ValueError, "eps must be a finite number in \\(0, inf\\)"),
    (lambda p: SGD([], lr=0.1), ValueError, "empty list of parameters"),
    (lambda p: SGD([1.0], lr=0.1), TypeError, "parameter 0 must be a Value"),
    (lambda p: SGD(p + p, lr=0.1), ValueError, "parameter 1 .* appears twice"),
    (lambda p: SGD([p[0] * 2.0], lr=0.1), ValueError, "parameter 0 is not a leaf"),
    (lambda p: StepLR(SGD(p, lr=0.1), step_size=0), ValueError, "step_size must be an int >= 1"),
    (lambda p: ExponentialLR(SGD(p, lr=0.1), gamma=0.0), ValueError, "gamma must be"),
    (lambda p: StepLR("sgd", step_size=1), TypeError, "expected an Optimizer"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make([Parameter(0.0)])


def test_optimizers_are_optimizers():
    p = [Parameter(0.0)]
    assert isinstance(SGD(p, lr=0.1), Optimizer) and isinstance(Adam(p), Optimizer)
    assert repr(SGD(p, lr=0.1, momentum=0.9)) == "SGD(lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.0)"


# --- schedulers: clamping at 0.0, all-or-nothing steps, state_dict -------------------------------


def test_scheduler_decays_to_zero_like_torch():
    torch = pytest.importorskip("torch")
    ours_opt = SGD([Parameter(1.0)], lr=0.1)
    ours = ExponentialLR(ours_opt, gamma=0.1)
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    theirs = torch.optim.lr_scheduler.ExponentialLR(torch_opt, gamma=0.1)
    for _ in range(400):  # below the smallest float after ~323 steps
        torch_opt.step()
        ours.step()
        theirs.step()
    assert ours_opt.lr == torch_opt.param_groups[0]["lr"] == 0.0
    assert ours.last_epoch == 400
    p = ours_opt.params[0]
    p.grad = 1.0
    ours_opt.step()  # training goes on with lr 0.0
    assert p.data == 1.0


def test_failing_scheduler_step_changes_nothing():
    opt = SGD([Parameter(0.0)], lr=1.0)
    sched = ExponentialLR(opt, gamma=1e300)
    sched.step()
    state = sched.state_dict()
    with pytest.raises(ValueError, match="epoch 2 gives the learning rate inf"):
        sched.step()
    assert sched.state_dict() == state and opt.lr == 1e300


def test_scheduler_state_dict_round_trip():
    opt = SGD([Parameter(0.0)], lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    other = StepLR(SGD([Parameter(0.0)], lr=1.0), step_size=5, gamma=0.9)
    other.load_state_dict(sched.state_dict())
    assert other.state_dict() == sched.state_dict() == {"base_lr": 1.0, "last_epoch": 3, "last_lr": 0.5,
                                                        "step_size": 2, "gamma": 0.5}
    other.step()
    sched.step()
    assert other.last_lr == sched.last_lr == 0.25
    before = other.state_dict()
    for bad in ({"base_lr": 1.0}, dict(before, last_epoch=1.5), dict(before, gamma=math.nan)):
        with pytest.raises(ValueError, match="StepLR.load_state_dict"):
            other.load_state_dict(bad)
        assert other.state_dict() == before
