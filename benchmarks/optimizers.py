"""Step time of optim-registry's Novograd, Adafactor and Adan against torch's AdamW(foreach=True), on CPU.

Each optimizer updates its own copy of the same parameters (about --params elements spread over --tensors
tensors, matrices and vectors mixed like a transformer's) with the same gradients. Steps are interleaved
round-robin so that load from other processes hits every optimizer alike. The fastest step of each is compared
(the median is shown too) with AdamW measured in the same run, and with a straightforward per-parameter loop of
the same update rule (written here, in the style of the reference implementations).

    uv run python benchmarks/optimizers.py                 # 50 M parameters, ~200 tensors
    uv run python benchmarks/optimizers.py --params 5e6    # quick run
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import torch

from optim_registry import Adafactor, Adan, Novograd

# ----------------------------------------------------------------------------- naive per-parameter loops


class LoopNovograd(torch.optim.Optimizer):
    """Novograd written as one Python iteration per parameter tensor."""

    def __init__(self, params, lr=1e-3, betas=(0.95, 0.98), eps=1e-8, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        """One Novograd step."""
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                grad = p.grad
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros([])
                norm = grad.norm().pow(2)
                v = state["exp_avg_sq"]
                if v == 0:
                    v.copy_(norm)
                else:
                    v.mul_(beta2).add_(norm, alpha=1 - beta2)
                g = grad / (v.sqrt() + group["eps"])
                if group["weight_decay"]:
                    g.add_(p, alpha=group["weight_decay"])
                state["exp_avg"].mul_(beta1).add_(g)
                p.add_(state["exp_avg"], alpha=-group["lr"])


class LoopAdan(torch.optim.Optimizer):
    """Adan written as one Python iteration per parameter tensor."""

    def __init__(self, params, lr=1e-3, betas=(0.98, 0.92, 0.99), eps=1e-8, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        """One Adan step."""
        for group in self.param_groups:
            b1, b2, b3 = group["betas"]
            group["step"] = group.get("step", 0) + 1
            t = group["step"]
            for p in group["params"]:
                grad = p.grad
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                    state["n"] = torch.zeros_like(p)
                    state["d"] = torch.zeros_like(p)
                    state["prev"] = grad.clone()
                diff = grad - state["prev"]
                state["m"].mul_(b1).add_(grad, alpha=1 - b1)
                state["d"].mul_(b2).add_(diff, alpha=1 - b2)
                z = grad + b2 * diff
                state["n"].mul_(b3).addcmul_(z, z, value=1 - b3)
                denom = (state["n"].sqrt() / math.sqrt(1 - b3**t)).add_(group["eps"])
                p.addcdiv_(state["m"], denom, value=-group["lr"] / (1 - b1**t))
                p.addcdiv_(state["d"], denom, value=-group["lr"] * b2 / (1 - b2**t))
                p.div_(1 + group["lr"] * group["weight_decay"])
                state["prev"].copy_(grad)


class LoopAdafactor(torch.optim.Optimizer):
    """Adafactor (relative step, parameter scaling) written as one Python iteration per parameter tensor."""

    def __init__(self, params, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8):
        super().__init__(params, {"eps": eps, "clip_threshold": clip_threshold, "decay_rate": decay_rate})

    @torch.no_grad()
    def step(self):
        """One Adafactor step."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                state = self.state[p]
                factored = grad.dim() >= 2
                if not state:
                    state["step"] = 0
                    if factored:
                        state["row"] = torch.zeros(grad.shape[:-1])
                        state["col"] = torch.zeros(grad.shape[:-2] + grad.shape[-1:])
                    else:
                        state["v"] = torch.zeros_like(grad)
                state["step"] += 1
                rms_p = p.norm() / p.numel() ** 0.5
                lr = max(group["eps"][1], rms_p) * min(1e-2, 1 / math.sqrt(state["step"]))
                beta2t = 1.0 - state["step"] ** group["decay_rate"]
                update = grad**2 + group["eps"][0]
                if factored:
                    state["row"].mul_(beta2t).add_(update.mean(dim=-1), alpha=1 - beta2t)
                    state["col"].mul_(beta2t).add_(update.mean(dim=-2), alpha=1 - beta2t)
                    r = (state["row"] / state["row"].mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
                    c = state["col"].unsqueeze(-2).rsqrt()
                    update = torch.mul(r, c).mul_(grad)
                else:
                    state["v"].mul_(beta2t).add_(update, alpha=1 - beta2t)
                    update = state["v"].rsqrt().mul_(grad)
                update.div_((update.norm() / update.numel() ** 0.5 / group["clip_threshold"]).clamp_(min=1.0))
                update.mul_(lr)
                p.add_(-update)


# ----------------------------------------------------------------------------- harness


def make_shapes(total: int, count: int) -> list[tuple[int, ...]]:
    """About ``count`` tensors holding about ``total`` elements: 3/4 matrices, 1/4 vectors (biases, norms)."""
    matrices = max(1, (count * 3) // 4)
    vectors = max(1, count - matrices)
    vector_len = max(1, int(math.sqrt(total / matrices)))
    per_matrix = max(1, (total - vectors * vector_len) // matrices)
    shapes: list[tuple[int, ...]] = []
    for index in range(matrices):
        # alternate square-ish and 4:1 (MLP) matrices of about per_matrix elements
        ratio = 4 if index % 2 else 1
        rows = max(1, int(math.sqrt(per_matrix / ratio)))
        shapes.append((rows * ratio, max(1, per_matrix // (rows * ratio))))
    shapes.extend((vector_len,) for _ in range(vectors))
    return shapes


def build(shapes, make: Callable, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    params = [torch.nn.Parameter(torch.randn(shape, generator=generator) * 0.02) for shape in shapes]
    for p in params:
        p.grad = torch.randn(p.shape, generator=generator) * 1e-3
    return params, make(params)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--params", type=float, default=50e6, help="total parameter elements (default 50e6)")
    parser.add_argument("--tensors", type=int, default=200, help="number of parameter tensors (default 200)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per optimizer (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--no-loops", action="store_true", help="skip the per-parameter loop baselines")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's)")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall-clock time, or this process's CPU time (robust on a busy machine; use with --threads 1)",
    )
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    if args.threads:
        torch.set_num_threads(args.threads)

    shapes = make_shapes(int(args.params), args.tensors)
    numel = sum(math.prod(s) for s in shapes)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.clock} clock; "
        f"{len(shapes)} tensors, {numel / 1e6:.1f} M params"
    )

    candidates: dict[str, Callable] = {
        "AdamW(foreach=True)": lambda ps: torch.optim.AdamW(ps, lr=1e-3, foreach=True),
        "Novograd": lambda ps: Novograd(ps, lr=1e-3),
        "Adan": lambda ps: Adan(ps, lr=1e-3),
        "Adafactor": Adafactor,
    }
    if not args.no_loops:
        candidates.update(
            {
                "Novograd (per-param loop)": lambda ps: LoopNovograd(ps, lr=1e-3),
                "Adan (per-param loop)": lambda ps: LoopAdan(ps, lr=1e-3),
                "Adafactor (per-param loop)": LoopAdafactor,
            }
        )
    optimizers = {}
    for name, make in candidates.items():
        _, optimizer = build(shapes, make)
        optimizers[name] = optimizer
    timings: dict[str, list[float]] = {name: [] for name in optimizers}
    for round_index in range(args.warmup + args.steps):
        for name, optimizer in optimizers.items():
            start = clock()
            optimizer.step()
            elapsed = clock() - start
            if round_index >= args.warmup:
                timings[name].append(elapsed)

    # The fastest step is the least disturbed by other processes (the figure that is compared); the median shows
    # how noisy the machine was.
    best = {name: min(values) for name, values in timings.items()}
    median = {name: statistics.median(values) for name, values in timings.items()}
    base = best["AdamW(foreach=True)"]
    print(f"{'optimizer':28s} {'best step':>10s} {'vs AdamW':>9s} {'median':>10s}")
    for name, value in best.items():
        print(f"{name:28s} {value * 1e3:7.1f} ms {value / base:8.2f}x {median[name] * 1e3:7.1f} ms")
    print()
    limits = {"Novograd": 1.5, "Adan": 1.5, "Adafactor": 2.0}
    for name, limit in limits.items():
        ratio = best[name] / base
        verdict = "ok" if ratio <= limit else "OVER"
        line = f"{name}/AdamW = {ratio:.2f} (limit {limit}) {verdict}"
        loop = f"{name} (per-param loop)"
        if loop in best:
            line += f"; {name}/loop = {best[name] / best[loop]:.2f}"
        print(line)


if __name__ == "__main__":
    main()
