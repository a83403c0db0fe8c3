"""Novograd, Adafactor, Adan and RAdam against hand-computed steps and straightforward reference loops.

The reference loops below are written from the update rules (behaviour spec §6.3), one parameter at a time,
in float64, so the multi-tensor implementations are checked against an independent computation.
"""

from __future__ import annotations

import math

import pytest
import torch

import optim_registry as orx
from optim_registry import _foreach

SHAPES = [(3, 4), (5,), (2, 3, 4), (1,), (6, 2)]


def make_params(dtype=torch.float32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter((torch.randn(s, generator=gen) * 0.5).to(dtype)) for s in SHAPES]


def grad_sequence(steps, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return [[torch.randn(s, generator=gen) * 0.1 for s in SHAPES] for _ in range(steps)]


def run(optimizer, params, grads_seq):
    for grads in grads_seq:
        for p, g in zip(params, grads, strict=False):
            p.grad = g.clone().to(p.dtype)
        optimizer.step()


def two_groups(params, first, second):
    return [{"params": params[:2], **first}, {"params": params[2:], **second}]


@pytest.fixture(params=[None, 5], ids=["whole", "blocked"])
def chunking(request, monkeypatch):
    """Run every comparison twice: with whole tensors, and with tensors cut into 5-element blocks."""
    if request.param:
        monkeypatch.setattr(_foreach, "CHUNK_NUMEL", request.param)
    return request.param


# ============================================================================ Novograd


def ref_novograd(params, grads_seq, groups):
    """groups: list of (indices, hyper-parameter dict)."""
    ps = [p.detach().double().clone() for p in params]
    m = [torch.zeros_like(p) for p in ps]
    v = [torch.zeros((), dtype=torch.float64) for _ in ps]
    vmax = [torch.zeros((), dtype=torch.float64) for _ in ps]
    for grads in grads_seq:
        for indices, h in groups:
            b1, b2 = h["betas"]
            for i in indices:
                g = grads[i].double()
                n2 = g.norm() ** 2
                v[i] = n2 if v[i] == 0 else b2 * v[i] + (1 - b2) * n2
                vmax[i] = torch.maximum(vmax[i], v[i])
                denom = (vmax[i] if h["amsgrad"] else v[i]).sqrt() + h["eps"]
                gp = g / denom
                if h["weight_decay"]:
                    gp = gp + h["weight_decay"] * ps[i]
                if h["grad_averaging"]:
                    gp = gp * (1 - b1)
                m[i] = b1 * m[i] + gp
                if h.get("luc"):
                    factor = min(float(h["luc_trust"] * ps[i].norm() / (m[i].norm() + h["luc_eps"])), h["lr"])
                    ps[i] = ps[i] - factor * m[i]
                else:
                    ps[i] = ps[i] - h["lr"] * m[i]
    return ps


def test_novograd_hand_computed_steps():
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = orx.Novograd([p], lr=0.1, eps=0.0)
    p.grad = torch.tensor([3.0, 4.0])
    opt.step()  # v = 25, g' = [0.6, 0.8], m = g', p -= 0.1·m
    torch.testing.assert_close(p.detach(), torch.tensor([0.94, 1.92]))
    p.grad = torch.tensor([0.0, 5.0])
    opt.step()  # v = .98·25 + .02·25 = 25, g' = [0, 1], m = .95·m + g' = [.57, 1.76]
    torch.testing.assert_close(p.detach(), torch.tensor([0.883, 1.744]))
    state = opt.state[p]
    assert state["step"] == 2
    assert state["exp_avg_sq"].shape == ()
    torch.testing.assert_close(state["exp_avg"], torch.tensor([0.57, 1.76]))


NOVOGRAD_CASES = [
    ({"lr": 0.05}, {"lr": 0.01, "betas": (0.9, 0.99), "weight_decay": 0.1}),
    ({"lr": 0.05, "amsgrad": True, "grad_averaging": True}, {"lr": 0.02, "eps": 1e-3, "amsgrad": True}),
]


@pytest.mark.parametrize(("first", "second"), NOVOGRAD_CASES)
@pytest.mark.parametrize("luc", [False, True])
def test_novograd_matches_reference_with_two_groups(first, second, luc, chunking):
    params = make_params()
    grads = grad_sequence(6)
    defaults = {
        "betas": (0.95, 0.98),
        "eps": 1e-8,
        "weight_decay": 0,
        "grad_averaging": False,
        "amsgrad": False,
    }
    h1, h2 = {**defaults, **first}, {**defaults, **second}
    for h in (h1, h2):
        h.update(luc=luc, luc_trust=0.5, luc_eps=1e-8)
    expected = ref_novograd(params, grads, [([0, 1], h1), ([2, 3, 4], h2)])
    opt = orx.Novograd(two_groups(params, first, second), luc=luc, luc_trust=0.5)
    run(opt, params, grads)
    for p, e in zip(params, expected, strict=False):
        torch.testing.assert_close(p.detach().double(), e, rtol=1e-5, atol=1e-6)


def test_novograd_leaves_grads_alone_and_rejects_bad_input():
    p = torch.nn.Parameter(torch.ones(3))
    g = torch.tensor([1.0, 2.0, 3.0])
    p.grad = g.clone()
    orx.Novograd([p], weight_decay=0.1, grad_averaging=True).step()
    torch.testing.assert_close(p.grad, g)
    for kwargs in [{"lr": -1}, {"eps": -1}, {"betas": (1.0, 0.5)}, {"betas": (0.5, -0.1)}]:
        with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the argument
            orx.Novograd([p], **kwargs)
    e = torch.nn.Embedding(4, 2, sparse=True)
    e(torch.tensor([1])).sum().backward()
    with pytest.raises(RuntimeError, match="sparse"):
        orx.Novograd(e.parameters()).step()


# ============================================================================ Adafactor


def ref_adafactor(params, grads_seq, h, min_step=1e-2):
    ps = [p.detach().double().clone() for p in params]
    st = [{"step": 0} for _ in ps]
    lr_group = h["lr"]
    for grads in grads_seq:
        for i, p in enumerate(ps):
            g = grads[i].double()
            s = st[i]
            s["step"] += 1
            t = s["step"]
            rms = float(p.norm() / math.sqrt(p.numel()))
            size = lr_group
            if h["relative_step"]:
                size = min(1e-6 * t if h["warmup_init"] else min_step, 1 / math.sqrt(t))
            scale = max(h["eps"][1], rms) if h["scale_parameter"] else 1.0
            lr = scale * size
            lr_group = lr  # NeMo writes it back into the group
            b2t = 1 - t ** h["decay_rate"]
            sq = g**2 + h["eps"][0]
            if g.dim() >= 2:
                row = s.setdefault("row", torch.zeros(g.shape[:-1], dtype=torch.float64))
                col = s.setdefault("col", torch.zeros(g.shape[:-2] + g.shape[-1:], dtype=torch.float64))
                s["row"] = row = b2t * row + (1 - b2t) * sq.mean(-1)
                s["col"] = col = b2t * col + (1 - b2t) * sq.mean(-2)
                r = (row / row.mean(-1, keepdim=True)).rsqrt().unsqueeze(-1)
                c = col.unsqueeze(-2).rsqrt()
                u = r * c * g
            else:
                v = s.setdefault("v", torch.zeros_like(g))
                s["v"] = v = b2t * v + (1 - b2t) * sq
                u = v.rsqrt() * g
            u = u / max(1.0, float(u.norm() / math.sqrt(u.numel())) / h["clip_threshold"])
            u = u * lr
            if h["beta1"] is not None:
                m = s.setdefault("m", torch.zeros_like(g))
                s["m"] = u = h["beta1"] * m + (1 - h["beta1"]) * u
            decayed = p - h["weight_decay"] * lr * p if h["weight_decay"] else p
            ps[i] = decayed - u
    return ps, lr_group


def test_adafactor_hand_computed_step():
    p = torch.nn.Parameter(torch.tensor([0.5, -0.5]))
    opt = orx.Adafactor([p])
    p.grad = torch.tensor([0.2, -0.4])
    opt.step()
    # t=1: step = min(1e-2, 1) · max(1e-3, RMS(p)=0.5) = 0.005; β2t = 0; v = g² (+1e-30); update = g/|g| = ±1;
    # RMS(update) = 1 -> no clipping; p -= 0.005·update
    torch.testing.assert_close(p.detach(), torch.tensor([0.495, -0.495]))
    assert opt.param_groups[0]["lr"] == pytest.approx(0.005)
    torch.testing.assert_close(opt.state[p]["exp_avg_sq"], torch.tensor([0.04, 0.16]))


ADAFACTOR_CASES = [
    {"lr": None, "relative_step": True},
    {"lr": None, "relative_step": True, "warmup_init": True},
    {"lr": None, "relative_step": True, "beta1": 0.9, "weight_decay": 0.01},
    {"lr": 0.01, "relative_step": False, "scale_parameter": False, "clip_threshold": 0.5},
    {"lr": 0.01, "relative_step": False, "scale_parameter": True, "beta1": 0.8},
    {"lr": 0.02, "relative_step": False, "scale_parameter": False, "decay_rate": -0.5, "eps": (1e-20, 1e-2)},
]


@pytest.mark.parametrize("case", ADAFACTOR_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_adafactor_matches_reference(case):
    defaults = {"eps": (1e-30, 1e-3), "clip_threshold": 1.0, "decay_rate": -0.8, "beta1": None,
                "weight_decay": 0.0, "scale_parameter": True, "warmup_init": False}  # fmt: skip
    h = {**defaults, **case}
    params = make_params()
    grads = grad_sequence(5)
    expected, group_lr = ref_adafactor(params, grads, h)
    opt = orx.Adafactor(params, **case)
    run(opt, params, grads)
    for p, e in zip(params, expected, strict=False):
        torch.testing.assert_close(p.detach().double(), e, rtol=2e-5, atol=1e-7)
    # the step size of the last parameter is left in the group, as in NeMo
    assert opt.param_groups[0]["lr"] == pytest.approx(group_lr, rel=1e-5)
    assert isinstance(opt.param_groups[0]["lr"], float)


def test_adafactor_factored_state_shapes_and_validation():
    params = make_params()
    opt = orx.Adafactor(params, beta1=0.9)
    run(opt, params, grad_sequence(1))
    assert opt.state[params[0]]["exp_avg_sq_row"].shape == (3,)
    assert opt.state[params[0]]["exp_avg_sq_col"].shape == (4,)
    assert opt.state[params[2]]["exp_avg_sq_row"].shape == (2, 3)
    assert opt.state[params[2]]["exp_avg_sq_col"].shape == (2, 4)
    assert "exp_avg_sq" in opt.state[params[1]]
    assert opt.state[params[0]]["exp_avg"].shape == (3, 4)
    with pytest.raises(ValueError, match="manual lr and relative_step"):
        orx.Adafactor(params, lr=0.1)
    with pytest.raises(ValueError, match="warmup_init requires relative_step"):
        orx.Adafactor(params, relative_step=False, warmup_init=True, lr=0.1)
    opt = orx.Adafactor(params, relative_step=False)
    with pytest.raises(ValueError, match="needs lr"):
        run(opt, params, grad_sequence(1))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_adafactor_half_precision_computes_in_fp32(dtype):
    params = make_params(dtype)
    grads = grad_sequence(3)
    h = {"eps": (1e-30, 1e-3), "clip_threshold": 1.0, "decay_rate": -0.8, "beta1": 0.9, "weight_decay": 0.0,
         "scale_parameter": True, "warmup_init": False, "relative_step": True, "lr": None}  # fmt: skip
    expected, _ = ref_adafactor(params, [[g.to(dtype) for g in gs] for gs in grads], h)
    opt = orx.Adafactor(params, beta1=0.9)
    run(opt, params, grads)
    for p, e in zip(params, expected, strict=False):
        assert p.dtype == dtype
        assert opt.state[p]["exp_avg"].dtype == torch.float32
        torch.testing.assert_close(p.detach().double(), e, rtol=2e-2, atol=2e-3)


# ============================================================================ Adan


def ref_adan(params, grads_seq, groups, max_grad_norm=0.0):
    ps = [p.detach().double().clone() for p in params]
    m = [torch.zeros_like(p) for p in ps]
    n = [torch.zeros_like(p) for p in ps]
    d = [torch.zeros_like(p) for p in ps]
    prev: list = [None] * len(ps)
    for t, grads in enumerate(grads_seq, start=1):
        clip = 1.0
        if max_grad_norm > 0:
            total = math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads))
            clip = min(1.0, max_grad_norm / (total + groups[-1][1]["eps"]))
        for indices, h in groups:
            b1, b2, b3 = h["betas"]
            lr, wd = h["lr"], h["weight_decay"]
            for i in indices:
                g = grads[i].double() * clip
                diff = torch.zeros_like(g) if t == 1 else g - prev[i]
                m[i] = b1 * m[i] + (1 - b1) * g
                d[i] = b2 * d[i] + (1 - b2) * diff
                z = g + b2 * diff
                n[i] = b3 * n[i] + (1 - b3) * z * z
                denom = n[i].sqrt() / math.sqrt(1 - b3**t) + h["eps"]
                step = lr / (1 - b1**t) * m[i] / denom + lr * b2 / (1 - b2**t) * d[i] / denom
                if h["no_prox"]:
                    ps[i] = ps[i] * (1 - lr * wd) - step
                else:
                    ps[i] = (ps[i] - step) / (1 + lr * wd)
                prev[i] = g
    return ps


def test_adan_hand_computed_first_step():
    p = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    opt = orx.Adan([p], lr=0.1, eps=0.0)
    p.grad = torch.tensor([0.5, 2.0])
    opt.step()
    # t=1: m = .02·g, δ = 0, n = .01·g²; denom = sqrt(n)/sqrt(.01) = |g|; p -= .1/.02·m/|g| = .1·sign(g)
    torch.testing.assert_close(p.detach(), torch.tensor([0.9, -1.1]))
    torch.testing.assert_close(opt.state[p]["neg_pre_grad"], torch.tensor([-0.5, -2.0]))
    assert opt.param_groups[0]["step"] == 1


ADAN_CASES = [
    ({"lr": 0.01}, {"lr": 0.02, "betas": (0.9, 0.9, 0.95), "weight_decay": 0.05}, 0.0),
    ({"lr": 0.01, "weight_decay": 0.1, "no_prox": True}, {"lr": 0.005, "eps": 1e-4}, 0.0),
    ({"lr": 0.01}, {"lr": 0.02, "weight_decay": 0.02}, 0.3),
]


@pytest.mark.parametrize(("first", "second", "clip"), ADAN_CASES)
def test_adan_matches_reference_with_two_groups(first, second, clip, chunking):
    params = make_params()
    grads = grad_sequence(6)
    defaults = {"betas": (0.98, 0.92, 0.99), "eps": 1e-8, "weight_decay": 0.0, "no_prox": False}
    expected = ref_adan(
        params, grads, [([0, 1], {**defaults, **first}), ([2, 3, 4], {**defaults, **second})], clip
    )
    opt = orx.Adan(two_groups(params, first, second), max_grad_norm=clip)
    run(opt, params, grads)
    for p, e in zip(params, expected, strict=False):
        torch.testing.assert_close(p.detach().double(), e, rtol=1e-5, atol=1e-6)


def test_adan_clipping_leaves_grads_alone_restart_and_errors():
    params = make_params()
    opt = orx.Adan(params, max_grad_norm=0.01)
    grads = grad_sequence(1)[0]
    for p, g in zip(params, grads, strict=False):
        p.grad = g.clone()
    opt.step()
    for p, g in zip(params, grads, strict=False):
        torch.testing.assert_close(p.grad, g)
    opt.restart_opt()
    assert opt.param_groups[0]["step"] == 0
    assert all(float(opt.state[p]["exp_avg"].abs().sum()) == 0 for p in params)
    with pytest.raises(orx.BackendUnavailableError, match="fused_adan"):
        orx.Adan(params, fused=True)
    with pytest.raises(ValueError, match="index 2"):
        orx.Adan(params, betas=(0.9, 0.9, 1.0))
    with pytest.raises(ValueError, match="max_grad_norm"):
        orx.Adan(params, max_grad_norm=-1)


# ============================================================================ RAdam


def ref_radam(params, grads_seq, groups):
    ps = [p.detach().double().clone() for p in params]
    m = [torch.zeros_like(p) for p in ps]
    v = [torch.zeros_like(p) for p in ps]
    for t, grads in enumerate(grads_seq, start=1):
        for indices, h in groups:
            b1, b2 = h["betas"]
            for i in indices:
                g = grads[i].double()
                v[i] = b2 * v[i] + (1 - b2) * g * g
                m[i] = b1 * m[i] + (1 - b1) * g
                b2t = b2**t
                n_max = 2 / (1 - b2) - 1
                n_sma = n_max - 2 * t * b2t / (1 - b2t)
                if h["weight_decay"]:
                    ps[i] = ps[i] - h["weight_decay"] * h["lr"] * ps[i]
                if n_sma >= 5:
                    rect = math.sqrt(
                        (1 - b2t) * (n_sma - 4) / (n_max - 4) * (n_sma - 2) / n_sma * n_max / (n_max - 2)
                    )
                    ps[i] = ps[i] - h["lr"] * rect / (1 - b1**t) * m[i] / (v[i].sqrt() + h["eps"])
                else:
                    ps[i] = ps[i] - h["lr"] / (1 - b1**t) * m[i]
    return ps


def test_radam_matches_reference_across_both_branches(chunking):
    params = make_params()
    grads = grad_sequence(8)  # with β2 = 0.9 the rectified branch starts at step 6
    first = {"lr": 0.01, "betas": (0.9, 0.9)}
    second = {"lr": 0.03, "betas": (0.8, 0.9), "weight_decay": 0.1}
    defaults = {"eps": 1e-8, "weight_decay": 0}
    expected = ref_radam(
        params, grads, [([0, 1], {**defaults, **first}), ([2, 3, 4], {**defaults, **second})]
    )
    opt = orx.RAdam(two_groups(params, first, second))
    run(opt, params, grads)
    for p, e in zip(params, expected, strict=False):
        torch.testing.assert_close(p.detach().double(), e, rtol=1e-5, atol=1e-6)


def test_radam_hand_computed_first_step():
    p = torch.nn.Parameter(torch.tensor([1.0, 1.0]))
    opt = orx.RAdam([p], lr=0.1)
    p.grad = torch.tensor([1.0, -3.0])
    opt.step()  # SMA < 5: p -= lr/(1-β1)·m = 0.1/0.1·(0.1·g) = 0.1·g
    torch.testing.assert_close(p.detach(), torch.tensor([0.9, 1.3]))


# ============================================================================ shared behaviour

FACTORIES = {
    "novograd": lambda ps: orx.Novograd(ps, lr=0.01, amsgrad=True),
    "adafactor": lambda ps: orx.Adafactor(ps, beta1=0.9),
    "adan": lambda ps: orx.Adan(ps, lr=0.01, weight_decay=0.01),
    "radam": lambda ps: orx.RAdam(ps, lr=0.01),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_state_dict_round_trip_continues_identically(name, tmp_path):
    grads = grad_sequence(8)
    params = make_params()
    straight = FACTORIES[name](params)
    run(straight, params, grads)

    first_params = make_params()
    first = FACTORIES[name](first_params)
    run(first, first_params, grads[:4])
    path = tmp_path / "checkpoint.pt"
    torch.save({"params": [p.detach() for p in first_params], "optimizer": first.state_dict()}, path)

    saved = torch.load(path, weights_only=True)
    resumed_params = [torch.nn.Parameter(t.clone()) for t in saved["params"]]
    resumed = FACTORIES[name](resumed_params)
    resumed.load_state_dict(saved["optimizer"])
    run(resumed, resumed_params, grads[4:])
    for a, b in zip(params, resumed_params, strict=False):
        torch.testing.assert_close(a.detach(), b.detach(), rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_parameters_without_grad_are_skipped(name):
    params = make_params()
    before = params[1].detach().clone()
    opt = FACTORIES[name](params)
    for i, p in enumerate(params):
        p.grad = None if i == 1 else torch.ones_like(p) * 0.1
    opt.step()
    torch.testing.assert_close(params[1].detach(), before)
    assert params[1] not in opt.state or not opt.state[params[1]].get("exp_avg", torch.zeros(1)).any()


def test_closure_is_evaluated_with_grad_enabled():
    p = torch.nn.Parameter(torch.ones(2))
    opt = orx.Novograd([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure).detach()) == 2.0
    assert float(p.detach()[0]) < 1.0


def test_blocks_split_large_contiguous_tensors_only():
    big, small, strided = torch.zeros(12), torch.zeros(3), torch.zeros(4, 4).t()
    out = list(_foreach.blocks([[big, small, strided]], [0, 1, 2], chunk=5))
    sizes = [[v.numel() for v in views[0]] for _, views in out]
    assert sizes == [[5], [5], [2], [3, 16]]
    assert [owners for owners, _ in out] == [[0], [0], [0], [1, 2]]
