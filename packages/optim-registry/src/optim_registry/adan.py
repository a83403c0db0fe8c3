"""Adan: adaptive Nesterov momentum (Xie et al., arXiv:2208.06677), as NeMo's ``nemo.core.optim.adan.Adan``.

Same update rule, defaults, validation and state (``exp_avg``, ``exp_avg_sq``, ``exp_avg_diff``,
``neg_pre_grad``; the step count lives in the param group), computed with cache-blocked ``torch._foreach_*``
ops. ``fused=True`` needs NeMo's CUDA extension and is refused with a clear error. Unlike NeMo, global
gradient-norm clipping does not rescale ``p.grad`` in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, cast

import torch
from torch import Tensor
from torch.optim import Optimizer

from optim_registry._foreach import (
    blocks,
    evaluate_closure,
    grads_of,
    group_by_device_dtype,
    params_with_grads,
)
from optim_registry.errors import BackendUnavailableError

__all__ = ["Adan"]


class Adan(Optimizer):
    """Adan with decoupled (proximal or plain) weight decay and optional global gradient-norm clipping.

    With ``g`` the (clipped) gradient and ``d = g - g_prev`` (0 on the first step):
    ``m = β1·m + (1-β1)·g``; ``δ = β2·δ + (1-β2)·d``; ``n = β3·n + (1-β3)·(g + β2·d)²``;
    ``denom = sqrt(n)/sqrt(1-β3^t) + eps``; ``p -= lr/(1-β1^t)·m/denom + lr·β2/(1-β2^t)·δ/denom``; then
    ``p /= 1 + lr·wd`` (or, with ``no_prox``, ``p *= 1 - lr·wd`` before the update).

    Args:
        params: Parameters or param-group dicts.
        lr: Learning rate.
        betas: ``(β1, β2, β3)``.
        eps: Added to the denominator.
        weight_decay: Decoupled weight decay.
        max_grad_norm: Clip the global gradient norm to this value (0 disables).
        no_prox: Apply weight decay multiplicatively before the update instead of proximally after.
        foreach: Accepted for NeMo compatibility; the multi-tensor path is always used.
        fused: NeMo's CUDA kernel; not available here.

    Raises:
        ValueError: A hyper-parameter is out of range.
        BackendUnavailableError: ``fused=True``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float, float] = (0.98, 0.92, 0.99),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        max_grad_norm: float = 0.0,
        no_prox: bool = False,
        foreach: bool = True,
        fused: bool = False,
    ) -> None:
        if not max_grad_norm >= 0.0:
            raise ValueError(f"Invalid max_grad_norm: {max_grad_norm}; it must be >= 0.")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}; it must be >= 0.")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}; it must be >= 0.")
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {index}: {beta}; it must be in [0, 1).")
        if fused:
            raise BackendUnavailableError(
                "Adan(fused=True) needs NeMo's `fused_adan` CUDA extension, which this package does "
                "not ship; "
                "use fused=False (the default multi-tensor path)."
            )
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "max_grad_norm": max_grad_norm,
            "no_prox": no_prox,
            "foreach": foreach,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("no_prox", False)

    @torch.no_grad()
    def restart_opt(self) -> None:
        """Zero the moments and the step count (NeMo's warm restart)."""
        for group in self.param_groups:
            group["step"] = 0
            for p in group["params"]:
                if p.requires_grad:
                    state = self.state[p]
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    state["exp_avg_diff"] = torch.zeros_like(p)

    def _clip_coefficient(self) -> float:
        """``min(1, max_grad_norm/(||g||+eps))`` over every gradient, or 1.0 when clipping is off."""
        max_norm = self.defaults["max_grad_norm"]
        if max_norm <= 0:
            return 1.0
        grads = grads_of([p for group in self.param_groups for p in group["params"] if p.grad is not None])
        if not grads:
            return 1.0
        total = torch.zeros((), dtype=torch.float32)
        for indices in group_by_device_dtype(grads).values():
            norms = torch._foreach_norm([grads[i] for i in indices])
            total += torch.stack(norms).float().square().sum().cpu()
        eps = self.param_groups[-1]["eps"]  # NeMo uses the last group's eps here
        return float(torch.clamp(max_norm / (total.sqrt() + eps), max=1.0))

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Perform one optimization step.

        Args:
            closure: Re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        loss = evaluate_closure(closure)
        clip = self._clip_coefficient()
        for group in self.param_groups:
            group["step"] = group.get("step", 0) + 1
            params = params_with_grads(group, "Adan")
            if not params:
                continue
            for p in params:
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    state["exp_avg_diff"] = torch.zeros_like(p)
                if "neg_pre_grad" not in state or group["step"] == 1:
                    state["neg_pre_grad"] = cast(Tensor, p.grad).mul(-clip)
            for indices in group_by_device_dtype(params).values():
                self._update([params[i] for i in indices], group, clip)
        return loss

    def _update(self, params: list[Tensor], group: dict[str, Any], clip: float) -> None:
        """Update one device/dtype group of parameters, block by block."""
        beta1, beta2, beta3 = group["betas"]
        step = group["step"]
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        bias3_sqrt = math.sqrt(1.0 - beta3**step)
        step_size = lr / (1.0 - beta1**step)
        step_size_diff = lr * beta2 / (1.0 - beta2**step)
        states = [self.state[p] for p in params]
        lists: list[list[Tensor]] = [
            params,
            grads_of(params),
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [s["exp_avg_diff"] for s in states],
            [s["neg_pre_grad"] for s in states],
        ]
        for _, (ps, gs, ms, ns, ds, prev) in blocks(lists, list(range(len(params)))):
            if clip != 1.0:
                gs = list(torch._foreach_mul(gs, clip))  # noqa: PLW2901 - the clipped gradient, not p.grad
            torch._foreach_add_(prev, gs)  # prev = g - g_prev (it held -g_prev)
            torch._foreach_lerp_(ms, gs, 1.0 - beta1)
            torch._foreach_lerp_(ds, prev, 1.0 - beta2)
            zs = torch._foreach_add(gs, prev, alpha=beta2)  # g + β2·(g - g_prev)
            torch._foreach_mul_(ns, beta3)
            torch._foreach_addcmul_(ns, zs, zs, value=1.0 - beta3)
            # sqrt(n)/sqrt(1-β3^t) + eps, scaled by sqrt(1-β3^t): the scale moves into the step sizes.
            denom = torch._foreach_sqrt(ns)
            torch._foreach_add_(denom, eps * bias3_sqrt)
            if group["no_prox"] and wd != 0:
                torch._foreach_mul_(ps, 1.0 - lr * wd)
            torch._foreach_addcdiv_(ps, ms, denom, value=-step_size * bias3_sqrt)
            torch._foreach_addcdiv_(ps, ds, denom, value=-step_size_diff * bias3_sqrt)
            if not group["no_prox"] and wd != 0:
                torch._foreach_div_(ps, 1.0 + lr * wd)
            torch._foreach_copy_(prev, gs)
            torch._foreach_neg_(prev)
