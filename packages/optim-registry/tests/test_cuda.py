"""The custom optimizers on a CUDA device give the CPU's results (skipped without a GPU)."""

from __future__ import annotations

import pytest
import torch

import optim_registry as orx

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

SHAPES = [(64, 48), (48,), (4, 16, 8), (1,), (300, 7)]

FACTORIES = {
    "novograd": lambda groups: orx.Novograd(groups, lr=0.01, amsgrad=True, weight_decay=0.01),
    "novograd-luc": lambda groups: orx.Novograd(groups, lr=0.01, luc=True),
    "adafactor": lambda groups: orx.Adafactor(groups, beta1=0.9, weight_decay=0.01),
    "adan": lambda groups: orx.Adan(groups, lr=0.01, weight_decay=0.02, max_grad_norm=1.0),
    "radam": lambda groups: orx.RAdam(groups, lr=0.01, betas=(0.9, 0.9)),
}


def run(name, device, dtype):
    gen = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter((torch.randn(s, generator=gen) * 0.5).to(device, dtype)) for s in SHAPES]
    groups = [{"params": params[:2]}, {"params": params[2:]}]
    optimizer = FACTORIES[name](groups)
    for _ in range(8):
        for p in params:
            p.grad = (torch.randn(p.shape, generator=gen) * 0.1).to(device, dtype)
        optimizer.step()
    return [p.detach().float().cpu() for p in params]


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_cuda_matches_cpu(name):
    for a, b in zip(run(name, "cpu", torch.float32), run(name, "cuda", torch.float32), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["adafactor", "radam"])
def test_cuda_bf16_close_to_fp32(name):
    for a, b in zip(run(name, "cuda", torch.float32), run(name, "cuda", torch.bfloat16), strict=True):
        torch.testing.assert_close(a, b, rtol=5e-2, atol=5e-3)


def test_mixed_devices_in_one_group():
    cpu = torch.nn.Parameter(torch.ones(4))
    gpu = torch.nn.Parameter(torch.ones(4, device="cuda"))
    optimizer = orx.Novograd([cpu, gpu], lr=0.1)
    for p in (cpu, gpu):
        p.grad = torch.full_like(p, 0.5)
    optimizer.step()
    torch.testing.assert_close(cpu.detach(), gpu.detach().cpu())
