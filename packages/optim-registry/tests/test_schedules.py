"""Every NeMo schedule against its formula, recomputed here independently, at the phase boundaries."""

from __future__ import annotations

import inspect
import math

import pytest
import torch

import optim_registry as orx
from optim_registry import schedules as S

BASE_LRS = (0.1, 0.04)


def two_group_sgd(lrs=BASE_LRS):
    """SGD over one tiny tensor per group, each group with its own base LR."""
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def lr_curve(scheduler, steps):
    """LRs of every group at steps 0..steps (the optimizer steps first, as torch expects)."""
    curve = [list(scheduler.get_last_lr())]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        curve.append(list(scheduler.get_last_lr()))
    return curve


def check(curve, expected_fn, steps, base_lrs=BASE_LRS):
    for s in steps:
        want = [expected_fn(s, b) for b in base_lrs]
        assert curve[s] == pytest.approx(want, rel=1e-12, abs=1e-15), f"step {s}"


def flat(curve):
    return [lr for lrs in curve for lr in lrs]


def warm(s, b, w):
    return b * (s + 1) / (w + 1)


# ---------------------------------------------------------------- WarmupPolicy / WarmupHoldPolicy


@pytest.mark.parametrize(("kwargs", "w"), [({"warmup_steps": 5}, 5), ({"warmup_ratio": 0.25}, 5), ({}, 0)])
def test_warmup_policy(kwargs, w):
    m, M = 0.001, 20

    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if s > M:
            return m
        return b

    curve = lr_curve(S.WarmupPolicy(two_group_sgd(), max_steps=M, min_lr=m, **kwargs), 25)
    check(curve, expected, [0, 1, w, w + 1, 10, M, M + 1, 25])


def test_warmup_policy_without_max_steps_is_open_ended():
    curve = lr_curve(S.WarmupPolicy(two_group_sgd(), warmup_steps=3), 50)
    assert curve[50] == list(BASE_LRS)
    assert curve[0] == pytest.approx([b / 4 for b in BASE_LRS])


@pytest.mark.parametrize(
    ("kwargs", "w", "h"),
    [
        ({"warmup_steps": 4, "hold_steps": 6}, 4, 10),
        ({"warmup_ratio": 0.1, "hold_ratio": 0.3}, 3, 12),
        ({"hold_steps": 5}, 0, 5),
        ({"warmup_steps": 4}, 4, 0),
    ],
)
def test_warmup_hold_policy(kwargs, w, h):
    M, m = 30, 0.002

    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if w <= s < h:
            return b
        if s > M:
            return m
        return b

    curve = lr_curve(S.WarmupHoldPolicy(two_group_sgd(), max_steps=M, min_lr=m, **kwargs), 35)
    check(curve, expected, sorted({0, w, w + 1, max(h - 1, 0), h, 20, M, M + 1, 35}))


# ---------------------------------------------------------------- annealers on WarmupPolicy


def square(s, b, w, M, m):
    return max(m, b * ((M - w - (s - w)) / (M - w)) ** 2)


@pytest.mark.parametrize(("w", "M", "m"), [(0, 40, 1e-5), (5, 40, 1e-5), (10, 25, 0.01)])
def test_square_annealing(w, M, m):
    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if s > M:
            return m
        return square(s, b, w, M, m)

    kwargs = {"warmup_steps": w} if w else {}
    curve = lr_curve(S.SquareAnnealing(two_group_sgd(), max_steps=M, min_lr=m, **kwargs), M + 5)
    check(curve, expected, sorted({0, w, w + 1, (w + M) // 2, M - 1, M, M + 1, M + 5}))


def test_square_annealing_default_min_lr_is_1e_5():
    sched = S.SquareAnnealing(two_group_sgd(), max_steps=10)
    assert sched.min_lr == 1e-5
    assert lr_curve(sched, 10)[10] == [1e-5, 1e-5]


@pytest.mark.parametrize(("w", "M", "m"), [(0, 40, 0.0), (6, 40, 0.0), (6, 30, 0.03)])
def test_square_root_annealing_ignores_warmup_offset(w, M, m):
    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if s > M:
            return m
        return max(m, b * math.sqrt((M - s) / M))  # not (s - W)/(M - W)

    curve = lr_curve(S.SquareRootAnnealing(two_group_sgd(), max_steps=M, min_lr=m, warmup_steps=w), M + 3)
    check(curve, expected, sorted({0, w, w + 1, 20, M - 1, M, M + 3}))


@pytest.mark.parametrize(("w", "M", "m"), [(0, 50, 0.0), (10, 50, 1e-4), (4, 12, 0.01)])
def test_cosine_annealing(w, M, m):
    def expected(s, b):
        if w > 0 and s <= w:
            return warm(s, b, w)
        if s > M:
            return m
        return (b - m) * 0.5 * (1 + math.cos(math.pi * (s - w) / (M - w))) + m

    curve = lr_curve(S.CosineAnnealing(two_group_sgd(), max_steps=M, min_lr=m, warmup_steps=w), M + 4)
    mid = w + (M - w) // 2
    check(curve, expected, sorted({0, w, w + 1, mid, M - 1, M, M + 1, M + 4}))
    assert curve[M] == pytest.approx([m, m])


@pytest.mark.parametrize(("w", "c", "M", "m"), [(5, 10, 40, 0.001), (8, 4, 30, 0.0), (0, 6, 20, 0.002)])
def test_cosine_annealing_megatron_constant_steps(w, c, M, m):
    b0 = BASE_LRS[0]
    d = M - c - w

    def expected(s, _b):  # every group follows group 0's base LR
        if w > 0 and s <= w:
            return b0 * s / w
        if s > w + d:
            return m
        return m + 0.5 * (math.cos(math.pi * (s - w) / d) + 1) * (b0 - m)

    sched = S.CosineAnnealing(two_group_sgd(), max_steps=M, min_lr=m, warmup_steps=w, constant_steps=c)
    curve = lr_curve(sched, M + 3)
    check(curve, expected, sorted({0, 1, w, w + 1, w + d // 2, w + d, w + d + 1, M, M + 1, M + 3}))


def test_cosine_constant_ratio_and_min_lr_checks():
    sched = S.CosineAnnealing(two_group_sgd(), max_steps=100, warmup_ratio=0.1, constant_ratio=0.2)
    assert (sched.warmup_steps, sched.constant_steps, sched.decay_steps) == (10, 20, 70)
    with pytest.raises(orx.OptimRegistryError, match="lower than min_lr"):
        lr_curve(S.CosineAnnealing(two_group_sgd(), max_steps=10, min_lr=0.05), 2)
    with pytest.raises(orx.OptimRegistryError, match="exceed"):
        S.CosineAnnealing(two_group_sgd((0.05, 0.1)), max_steps=10, min_lr=0.05, constant_steps=2)


def test_cosine_reset_lr_protocol():
    optimizer = two_group_sgd()
    optimizer.param_groups[0]["reset_lr"] = {"num_steps": 5, "if_init_step": True, "reset_lr_steps": True}
    sched = S.CosineAnnealing(optimizer, max_steps=25, warmup_steps=4)
    # the schedule restarts: step s behaves like s - 5 over a run shortened by 5 steps
    assert (sched.max_steps, sched.decay_steps) == (20, 16)
    curve = lr_curve(sched, 12)
    assert curve[7] == pytest.approx([warm(2, b, 4) for b in BASE_LRS])
    assert curve[12] == pytest.approx([b * 0.5 * (1 + math.cos(math.pi * 3 / 16)) for b in BASE_LRS])


@pytest.mark.parametrize(("d_model", "w", "m"), [(512, 10, 0.0), (64, 0, 0.0), (256, 4, 0.001)])
def test_noam_annealing(d_model, w, m):
    def expected(s, b):
        s = max(1, s)
        mult = d_model**-0.5 * (min(s**-0.5, s * w**-1.5) if w > 0 else s**-0.5)
        out = b * mult
        return max(out, m) if s > w else out

    sched = S.NoamAnnealing(two_group_sgd(), d_model=d_model, warmup_steps=w, min_lr=m)
    curve = lr_curve(sched, 300)
    check(curve, expected, sorted({0, 1, 2, max(w, 1), w + 1, 100, 300}))


@pytest.mark.parametrize(
    ("w", "hold", "rate", "m"), [(5, 10, 0.5, 0.0), (4, 0, 1.0, 0.001), (8, 8, 0.5, 0.02)]
)
def test_noam_hold_annealing(w, hold, rate, m):
    M = 60
    h_total = w + hold if hold else 0
    h_len = hold

    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if w <= s < h_total:
            return b
        if s > M:
            return m
        return max(m, b * max(1, w**rate) / max(1, (s - h_len) ** rate))

    kwargs = {"hold_steps": hold} if hold else {}
    sched = S.NoamHoldAnnealing(
        two_group_sgd(), max_steps=M, warmup_steps=w, decay_rate=rate, min_lr=m, **kwargs
    )
    curve = lr_curve(sched, M + 2)
    check(curve, expected, sorted({0, w, w + 1, max(h_total - 1, 0), h_total, 30, M, M + 1}))


def test_noam_hold_annealing_needs_warmup():
    with pytest.raises(orx.OptimRegistryError, match="without warmup"):
        S.NoamHoldAnnealing(two_group_sgd(), max_steps=10)


@pytest.mark.parametrize(("w", "hold", "m"), [(5, 10, 0.0), (0, 8, 0.001), (6, 0, 0.0)])
def test_warmup_hold_anneal_one_minus_sqrt_and_linear(w, hold, m):
    M = 40
    H = w + hold if hold else 0  # no hold: the anneal is measured from step 0

    def phases(s, b, anneal):
        if s <= w and w > 0:
            return warm(s, b, w)
        if w <= s < H:
            return b
        if s > M:
            return m
        return anneal(s, b)

    def one_minus_sqrt(s, b):
        return max(m, b * (1 - math.sqrt((s - H) / (M - H))))

    def linear(s, b):
        return b - (b - m) * (s - H) / (M - H)

    kwargs = {"warmup_steps": w, "min_lr": m, "max_steps": M}
    if hold:
        kwargs["hold_steps"] = hold
    steps = sorted({0, w, w + 1, max(H - 1, 0), H, (H + M) // 2, M, M + 1})
    curve = lr_curve(S.WarmupHoldAnnealOneMinusSquareRoot(two_group_sgd(), **kwargs), M + 2)
    check(curve, lambda s, b: phases(s, b, one_minus_sqrt), steps)
    curve = lr_curve(S.WarmupHoldAnnealLinear(two_group_sgd(), **kwargs), M + 2)
    check(curve, lambda s, b: phases(s, b, linear), steps)


@pytest.mark.parametrize(("w", "M", "m"), [(0, 20, 0.0), (5, 25, 0.001)])
def test_warmup_annealing_uses_group0_base_lr(w, M, m):
    b0 = BASE_LRS[0]

    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if s > M:
            return m
        return m + (1 - (s - w) / (M - w)) * (b0 - m)

    curve = lr_curve(S.WarmupAnnealing(two_group_sgd(), max_steps=M, min_lr=m, warmup_steps=w), M + 2)
    check(curve, expected, sorted({0, w, w + 1, (w + M) // 2, M, M + 1}))


@pytest.mark.parametrize(("w", "M", "m"), [(0, 30, 0.0), (5, 30, 0.2)])
def test_inverse_square_root_annealing(w, M, m):
    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if s > M:
            return m
        return b / math.sqrt((s + 1) / (w + 1))  # no clamp to min_lr before max_steps

    curve = lr_curve(
        S.InverseSquareRootAnnealing(two_group_sgd(), max_steps=M, min_lr=m, warmup_steps=w), M + 2
    )
    check(curve, expected, sorted({0, w, w + 1, 15, M, M + 1}))


@pytest.mark.parametrize(("kwargs", "c"), [({"constant_steps": 16}, 16), ({"constant_ratio": 0.25}, 10)])
def test_t5_inverse_square_root_ignores_base_lr(kwargs, c):
    M, m = 40, 0.0

    def expected(s, _b):
        if s <= c:
            return 1 / math.sqrt(c)
        if s > M:
            return m
        return 1 / math.sqrt(s)

    curve = lr_curve(S.T5InverseSquareRootAnnealing(two_group_sgd(), max_steps=M, **kwargs), M + 2)
    check(curve, expected, sorted({0, c, c + 1, 30, M, M + 1}))


def test_t5_needs_a_constant_phase():
    with pytest.raises(orx.OptimRegistryError, match="constant_steps"):
        S.T5InverseSquareRootAnnealing(two_group_sgd(), max_steps=10)


def poly(b, p, d, *, power, m, cycle):
    if cycle:
        d = d * (1.0 if p == 0 else math.ceil(p / d))
    else:
        p = min(p, d)
    return (b - m) * (1 - p / d) ** power + m


@pytest.mark.parametrize(
    ("w", "power", "cycle", "m"), [(0, 1.0, False, 0.0), (5, 2.0, False, 0.001), (4, 1.0, True, 0.0)]
)
def test_polynomial_decay_annealing(w, power, cycle, m):
    M = 30

    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if s > M:
            return m
        return poly(b, s - w, M - w, power=power, m=m, cycle=cycle)

    sched = S.PolynomialDecayAnnealing(
        two_group_sgd(), max_steps=M, min_lr=m, power=power, cycle=cycle, warmup_steps=w
    )
    check(lr_curve(sched, M + 2), expected, sorted({0, w, w + 1, 17, M, M + 1}))


@pytest.mark.parametrize(
    ("w", "hold", "power", "cycle"), [(4, 6, 1.0, False), (0, 5, 2.0, False), (3, 0, 0.5, True)]
)
def test_polynomial_hold_decay_annealing(w, hold, power, cycle):
    M, m = 30, 0.001
    H = w + hold if hold else 0

    def expected(s, b):
        if s <= w and w > 0:
            return warm(s, b, w)
        if w <= s < H:
            return b
        if s > M:
            return m
        return poly(b, s - H, M - max(w, H), power=power, m=m, cycle=cycle)

    kwargs = {"hold_steps": hold} if hold else {}
    sched = S.PolynomialHoldDecayAnnealing(
        two_group_sgd(), max_steps=M, min_lr=m, power=power, cycle=cycle, warmup_steps=w, **kwargs
    )
    check(lr_curve(sched, M + 2), expected, sorted({0, w, w + 1, max(H - 1, 0), H, 20, M, M + 1}))


# ---------------------------------------------------------------- resume, bad input, warnings

RESUMABLE = [
    (S.CosineAnnealing, {"max_steps": 30, "warmup_steps": 5, "min_lr": 1e-4}),
    (S.CosineAnnealing, {"max_steps": 30, "warmup_steps": 5, "constant_steps": 5}),
    (S.PolynomialHoldDecayAnnealing, {"max_steps": 30, "warmup_steps": 3, "hold_steps": 4, "power": 2.0}),
    (S.NoamAnnealing, {"d_model": 128, "warmup_steps": 6}),
    (S.WarmupHoldAnnealLinear, {"max_steps": 30, "warmup_ratio": 0.1, "hold_ratio": 0.2}),
]


@pytest.mark.parametrize(("cls", "kwargs"), RESUMABLE)
def test_state_dict_round_trip_resumes_the_same_curve(cls, kwargs):
    full = lr_curve(cls(two_group_sgd(), **kwargs), 35)
    first = cls(two_group_sgd(), **kwargs)
    lr_curve(first, 12)
    saved = first.state_dict()
    resumed = cls(two_group_sgd(), **kwargs)
    resumed.load_state_dict(saved)
    assert resumed.last_epoch == 12
    rest = lr_curve(resumed, 23)
    assert flat(rest) == pytest.approx(flat(full[12:]))


@pytest.mark.parametrize(("cls", "kwargs"), RESUMABLE)
def test_last_epoch_resume(cls, kwargs):
    full = lr_curve(cls(two_group_sgd(), **kwargs), 35)
    optimizer = two_group_sgd()
    for group in optimizer.param_groups:
        group["initial_lr"] = group["lr"]
    resumed = cls(optimizer, last_epoch=9, **kwargs)  # constructing steps once: now at step 10
    assert resumed.last_epoch == 10
    assert flat(lr_curve(resumed, 25)) == pytest.approx(flat(full[10:]))


@pytest.mark.parametrize(
    "cls",
    [
        S.SquareAnnealing,
        S.SquareRootAnnealing,
        S.CosineAnnealing,
        S.WarmupAnnealing,
        S.InverseSquareRootAnnealing,
        S.PolynomialDecayAnnealing,
        S.PolynomialHoldDecayAnnealing,
        S.NoamHoldAnnealing,
        S.WarmupHoldAnnealLinear,
        S.WarmupHoldAnnealOneMinusSquareRoot,
        S.T5InverseSquareRootAnnealing,
    ],
)
def test_schedules_that_need_max_steps_say_how_to_provide_it(cls):
    with pytest.raises(orx.MissingMaxStepsError, match=r"needs max_steps.*t_max_epochs"):
        cls(
            two_group_sgd(), max_steps=None, warmup_steps=2
        ) if cls is not S.T5InverseSquareRootAnnealing else cls(
            two_group_sgd(), max_steps=None, constant_steps=2
        )


def test_ratio_errors():
    with pytest.raises(orx.OptimRegistryError, match="only one"):
        S.WarmupPolicy(two_group_sgd(), warmup_steps=2, warmup_ratio=0.1, max_steps=10)
    with pytest.raises(orx.MissingMaxStepsError, match=r"warmup_ratio=0\.1 but no max_steps"):
        S.WarmupPolicy(two_group_sgd(), warmup_ratio=0.1)
    with pytest.raises(orx.MissingMaxStepsError, match="hold_ratio"):
        S.WarmupHoldPolicy(two_group_sgd(), hold_ratio=0.1)


def test_get_lr_outside_step_warns_like_nemo():
    sched = S.CosineAnnealing(two_group_sgd(), max_steps=10)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_schedules_are_torch_lr_schedulers():
    sched = S.WarmupPolicy(two_group_sgd())
    assert isinstance(sched, torch.optim.lr_scheduler._LRScheduler)
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)


_KWARGS_SCHEDULES = {
    "SquareAnnealing": {"warmup_steps": 2},
    "CosineAnnealing": {"warmup_steps": 2, "constant_steps": 1},
    "WarmupAnnealing": {"warmup_ratio": 0.2},
    "InverseSquareRootAnnealing": {"warmup_steps": 2},
    "SquareRootAnnealing": {"warmup_steps": 2},
    "PolynomialDecayAnnealing": {"warmup_steps": 2},
    "PolynomialHoldDecayAnnealing": {"warmup_steps": 2, "hold_steps": 1},
}


@pytest.mark.parametrize("name", sorted(_KWARGS_SCHEDULES))
def test_nemo_calling_convention_of_kwargs_schedules(name):
    # NeMo: (optimizer, *, max_steps, ..., **kwargs) with the warmup/hold/constant arguments forwarded to the
    # base policy: they are keyword-only, and an unknown keyword is a TypeError from the base class.
    cls = getattr(orx, name)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    with pytest.raises(TypeError):
        cls(opt, 10)
    with pytest.raises(TypeError, match="bogus"):
        cls(opt, max_steps=10, bogus=1)
    sched = cls(opt, max_steps=10, **_KWARGS_SCHEDULES[name])
    assert sched.max_steps == 10
    params = inspect.signature(cls).parameters
    assert next(iter(params)) == "optimizer"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for n, p in params.items() if n != "optimizer")
