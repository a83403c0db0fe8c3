"""Novograd: Adam-like steps with a per-layer *scalar* second moment (Ginsburg et al., arXiv:1905.11286).

Same update rule, defaults, state layout (``step``, ``exp_avg``, 0-d ``exp_avg_sq``, ``max_exp_avg_sq``) and
errors as NeMo's ``nemo.core.optim.Novograd``, computed with cache-blocked ``torch._foreach_*`` ops. Unlike
NeMo, ``p.grad`` is left untouched by a step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

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

__all__ = ["Novograd"]


#: Elements of gradient whose norms are taken together before they are used (fits a large L2/L3 cache).
_NORM_RUN_NUMEL = 1 << 21


def _runs(params: list[Tensor], limit: int) -> list[list[Tensor]]:
    """Consecutive runs of parameters holding about ``limit`` elements each (a large one stands alone)."""
    runs: list[list[Tensor]] = [[]]
    filled = 0
    for p in params:
        if runs[-1] and filled + p.numel() > limit:
            runs.append([])
            filled = 0
        runs[-1].append(p)
        filled += p.numel()
    return runs


def _check_valid_opt_params(lr: float, eps: float, betas: tuple[float, float]) -> None:
    if lr < 0:
        raise ValueError(f"Invalid learning rate: {lr}; it must be >= 0.")
    if eps < 0:
        raise ValueError(f"Invalid epsilon value: {eps}; it must be >= 0.")
    if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
        raise ValueError(f"Betas have to be between 0 and 1 (1 excluded): {betas}")


class Novograd(Optimizer):
    """Novograd with optional AMSGrad, gradient averaging and layer-wise update clipping (LUC).

    Per parameter tensor: ``v = ||g||²`` on the first step (while ``v == 0``), then
    ``v = β2·v + (1-β2)·||g||²`` (AMSGrad normalises by the running max of ``v``);
    ``g' = g/(sqrt(v)+eps) [+ wd·p] [* (1-β1) if grad_averaging]``; ``m = β1·m + g'``; ``p -= lr·m``, or
    with LUC ``p -= min(luc_trust·||p||/(||m||+luc_eps), lr)·m``.

    Args:
        params: Parameters or param-group dicts.
        lr: Learning rate.
        betas: ``(β1, β2)`` for the first moment and the scalar second moment.
        eps: Added to ``sqrt(v)``.
        weight_decay: L2 penalty added to the normalised gradient.
        grad_averaging: Scale the normalised gradient by ``1 - β1``.
        amsgrad: Use the running maximum of ``v``.
        luc: Layer-wise update clipping (optimizer-wide, as in NeMo).
        luc_trust: Trust ratio of LUC.
        luc_eps: Added to ``||m||`` in LUC.

    Raises:
        ValueError: ``lr`` or ``eps`` negative, or a beta outside ``[0, 1)``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.95, 0.98),
        eps: float = 1e-8,
        weight_decay: float = 0,
        grad_averaging: bool = False,
        amsgrad: bool = False,
        luc: bool = False,
        luc_trust: float = 1e-3,
        luc_eps: float = 1e-8,
    ) -> None:
        _check_valid_opt_params(lr, eps, betas)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "grad_averaging": grad_averaging,
            "amsgrad": amsgrad,
        }
        self.luc = luc
        self.luc_trust = luc_trust
        self.luc_eps = luc_eps
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)

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
            params = params_with_grads(group, "Novograd")
            if not params:
                continue
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros([], device=p.device)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros([], device=p.device)
                state["step"] += 1
            for indices in group_by_device_dtype(params).values():
                # Parameters are taken a few MiB at a time, so that the gradients read for their norms are still
                # in cache when they are read again for the update.
                for run in _runs([params[i] for i in indices], _NORM_RUN_NUMEL):
                    self._update(run, group)
        return loss

    def _update(self, params: list[Tensor], group: dict[str, Any]) -> None:
        """Update one device/dtype group of parameters."""
        beta1, beta2 = group["betas"]
        grads = grads_of(params)
        states = [self.state[p] for p in params]
        exp_avgs = [s["exp_avg"] for s in states]

        # Scalar second moments, all parameters at once.
        norms_sq = torch.stack(torch._foreach_norm(grads)).float().square_()
        v_old = torch.stack([s["exp_avg_sq"] for s in states])
        v_new = torch.where(v_old == 0, norms_sq, v_old * beta2 + norms_sq * (1.0 - beta2))
        torch._foreach_copy_([s["exp_avg_sq"] for s in states], list(v_new.unbind()))
        if group["amsgrad"]:
            v_max = torch.maximum(torch.stack([s["max_exp_avg_sq"] for s in states]), v_new)
            torch._foreach_copy_([s["max_exp_avg_sq"] for s in states], list(v_max.unbind()))
            v_new = v_max
        coef = (1.0 - beta1) if group["grad_averaging"] else 1.0
        scales_t = (coef / (v_new.sqrt() + group["eps"])).to(params[0].dtype)
        scales = list(scales_t.unbind())
        floats = scales_t.tolist() if params[0].device.type == "cpu" else None
        wd, lr = group["weight_decay"], group["lr"]
        luc_p_norms = torch._foreach_norm(params) if self.luc else None

        indices = list(range(len(params)))
        for owners, (p_views, g_views, m_views) in blocks([params, grads, exp_avgs], indices):
            if floats is not None and len(owners) == 1:
                # One large tensor (or a slice of one): plain in-place ops with a Python scalar are cheapest.
                m, g, p = m_views[0], g_views[0], p_views[0]
                m.mul_(beta1).add_(g, alpha=floats[owners[0]])
                if wd != 0:
                    m.add_(p, alpha=coef * wd)
                if not self.luc:
                    p.add_(m, alpha=-lr)
                continue
            torch._foreach_mul_(m_views, beta1)
            torch._foreach_addcmul_(m_views, g_views, [scales[i] for i in owners])  # type: ignore[arg-type,unused-ignore]
            if wd != 0:
                torch._foreach_add_(m_views, p_views, alpha=coef * wd)
            if not self.luc:
                torch._foreach_add_(p_views, m_views, alpha=-lr)
        if luc_p_norms is not None:
            m_norms = torch._foreach_norm(exp_avgs)
            for p, m, p_norm, m_norm in zip(params, exp_avgs, luc_p_norms, m_norms, strict=False):
                factor = min(float(self.luc_trust * p_norm / (m_norm + self.luc_eps)), group["lr"])
                p.add_(m, alpha=-factor)
