"""RAdam: Adam with a rectified adaptive learning rate (Liu et al., arXiv:1908.03265).

The update rule of NeMo's ``nemo.core.optim.radam.RAdam`` (the original authors' version): until the
approximated SMA length reaches 5 the step is un-adapted momentum SGD (``p -= lr/(1-β1^t)·m``), afterwards the
rectified Adam step. NeMo caches step sizes in a table shared by all param groups, so a second group with
another ``lr`` silently reuses the first group's step size; here every group uses its own ``lr``.
Registered as ``radam`` (NeMo ships the file but forgets to register it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, cast

import torch
from torch import Tensor
from torch.optim import Optimizer

from optim_registry._foreach import blocks, evaluate_closure, group_by_device_dtype, params_with_grads

__all__ = ["RAdam"]

_HALF = (torch.float16, torch.bfloat16)


def _step_size(lr: float, beta1: float, beta2: float, step: int) -> tuple[float, bool]:
    """The step size at ``step`` and whether the adaptive (rectified) branch applies."""
    beta2_t = beta2**step
    n_sma_max = 2 / (1 - beta2) - 1
    n_sma = n_sma_max - 2 * step * beta2_t / (1 - beta2_t)
    if n_sma >= 5:
        rect = math.sqrt(
            (1 - beta2_t) * (n_sma - 4) / (n_sma_max - 4) * (n_sma - 2) / n_sma * n_sma_max / (n_sma_max - 2)
        )
        return lr * rect / (1 - beta1**step), True
    return lr / (1 - beta1**step), False


class RAdam(Optimizer):
    """RAdam with decoupled weight decay ``p -= wd·lr·p``; fp16/bf16 parameters are updated in fp32.

    Args:
        params: Parameters or param-group dicts.
        lr: Learning rate.
        betas: ``(β1, β2)``.
        eps: Added to ``sqrt(v)``.
        weight_decay: Decoupled weight decay.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
    ) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Perform one optimization step.

        Args:
            closure: Re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.

        Raises:
            RuntimeError: A gradient is sparse.
        """
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            params = params_with_grads(group, "RAdam")
            if not params:
                continue
            masters, grads = [], []
            for p in params:
                grad = cast(Tensor, p.grad)
                master = p.float() if p.dtype in _HALF else p
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(master)
                    state["exp_avg_sq"] = torch.zeros_like(master)
                else:
                    state["exp_avg"] = state["exp_avg"].type_as(master)
                    state["exp_avg_sq"] = state["exp_avg_sq"].type_as(master)
                state["step"] += 1
                masters.append(master)
                grads.append(grad.float() if grad.dtype in _HALF else grad)
            for indices in group_by_device_dtype(masters).values():
                self._update(
                    [masters[i] for i in indices],
                    [grads[i] for i in indices],
                    [self.state[params[i]] for i in indices],
                    group,
                )
            for p, master in zip(params, masters, strict=False):
                if master is not p:
                    p.copy_(master)
        return loss

    def _update(
        self, masters: list[Tensor], grads: list[Tensor], states: list[dict[str, Any]], group: dict[str, Any]
    ) -> None:
        beta1, beta2 = group["betas"]
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        sizes = [_step_size(lr, beta1, beta2, s["step"]) for s in states]
        lists = [masters, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states]]
        for owners, (ps, gs, ms, vs) in blocks(lists, list(range(len(masters)))):
            torch._foreach_mul_(vs, beta2)
            torch._foreach_addcmul_(vs, gs, gs, value=1 - beta2)
            torch._foreach_mul_(ms, beta1)
            torch._foreach_add_(ms, gs, alpha=1 - beta1)
            if wd != 0:
                torch._foreach_mul_(ps, 1 - wd * lr)
            adaptive = [j for j, owner in enumerate(owners) if sizes[owner][1]]
            plain = [j for j, owner in enumerate(owners) if not sizes[owner][1]]
            if adaptive:
                denom = torch._foreach_sqrt([vs[j] for j in adaptive])
                torch._foreach_add_(denom, eps)
                torch._foreach_addcdiv_(
                    [ps[j] for j in adaptive],
                    [ms[j] for j in adaptive],
                    denom,
                    [-sizes[owners[j]][0] for j in adaptive],
                )
            if plain:
                torch._foreach_add_(
                    [ps[j] for j in plain],
                    torch._foreach_mul([ms[j] for j in plain], [-sizes[owners[j]][0] for j in plain]),
                )
