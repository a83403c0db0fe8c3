"""Adafactor: factored second moments, relative step sizes and update clipping (Shazeer & Stern, 2018).

Same update rule, defaults, validation and state layout (``step``, ``exp_avg``, ``exp_avg_sq_row``,
``exp_avg_sq_col`` / ``exp_avg_sq``, ``RMS``) as NeMo's ``nemo.core.optim.Adafactor``, including its habit of
writing the step size it computed back into ``group["lr"]`` (so, with ``relative_step=False`` and
``scale_parameter=True``, each parameter's step size is the previous one times its RMS scale, exactly as NeMo
does). The squared-gradient statistics are taken with reductions that never materialise ``g²``, the updates
with fused in-place ops; non-factored (1-D) parameters are handled together with ``torch._foreach_*`` ops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer

from optim_registry._foreach import evaluate_closure, grads_of, group_by_device_dtype, params_with_grads

__all__ = ["Adafactor"]

_HALF = (torch.float16, torch.bfloat16)


class Adafactor(Optimizer):
    """Adafactor.

    Step size: ``min(1e-6·t if warmup_init else min_step, 1/sqrt(t))`` with ``relative_step``, else the
    group's ``lr``; times ``max(eps[1], RMS(p))`` with ``scale_parameter``. ``β2t = 1 - t^decay_rate``.
    Matrices keep row and column means of ``g² + eps[0]``; vectors keep the full mean. The update
    ``g/sqrt(v̂)`` is divided by ``max(1, RMS(update)/clip_threshold)``, scaled by the step size, optionally
    averaged with ``beta1``, and subtracted after the decoupled weight decay ``p -= wd·lr·p``. fp16/bf16
    parameters are updated in fp32.

    Args:
        params: Parameters or param-group dicts.
        lr: External learning rate (must be None with ``relative_step``).
        eps: ``(eps for g², eps for the parameter scale)``.
        clip_threshold: Threshold of the update's RMS.
        decay_rate: Exponent of ``β2t = 1 - t^decay_rate``.
        beta1: First-moment coefficient, or None for no first moment.
        weight_decay: Decoupled weight decay (scaled by the step size).
        scale_parameter: Scale the step size by the parameter's RMS.
        relative_step: Use the time-dependent step size instead of ``lr``.
        warmup_init: Warm the relative step size up linearly (needs ``relative_step``).
        min_step: Cap of the relative step size when not warming up.

    Raises:
        ValueError: ``lr`` given with ``relative_step``, or ``warmup_init`` without ``relative_step``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | None = None,
        eps: tuple[float, float] = (1e-30, 1e-3),
        clip_threshold: float = 1.0,
        decay_rate: float = -0.8,
        beta1: float | None = None,
        weight_decay: float = 0.0,
        scale_parameter: bool = True,
        relative_step: bool = True,
        warmup_init: bool = False,
        min_step: float = 1e-2,
    ) -> None:
        if lr is not None and relative_step:
            raise ValueError(
                "Cannot combine manual lr and relative_step options: pass lr=None or relative_step=False."
            )
        if warmup_init and not relative_step:
            raise ValueError("warmup_init requires relative_step=True.")
        self.min_step = min_step
        defaults = {
            "lr": lr,
            "eps": eps,
            "clip_threshold": clip_threshold,
            "decay_rate": decay_rate,
            "beta1": beta1,
            "weight_decay": weight_decay,
            "scale_parameter": scale_parameter,
            "relative_step": relative_step,
            "warmup_init": warmup_init,
        }
        super().__init__(params, defaults)

    @property
    def supports_memory_efficient_fp16(self) -> bool:
        """NeMo/fairseq flag: the optimizer keeps fp32 math for fp16 parameters."""
        return True

    @property
    def supports_flat_params(self) -> bool:
        """NeMo/fairseq flag: factored moments need each parameter's own shape."""
        return False

    def _step_size(self, group: dict[str, Any], step: int, rms: float) -> float:
        size = group["lr"]
        if group["relative_step"]:
            cap = 1e-6 * step if group["warmup_init"] else self.min_step
            size = min(cap, 1.0 / math.sqrt(step))
        scale = max(group["eps"][1], rms) if group["scale_parameter"] else 1.0
        if size is None:
            raise ValueError("Adafactor needs lr when relative_step=False; pass lr=... to the optimizer.")
        return float(scale * size)

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
            params = params_with_grads(group, "Adafactor")
            if not params:
                continue
            self._update_group(params, group)
        return loss

    def _init_state(self, p: Tensor, grad: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = self.state[p]
        factored = grad.dim() >= 2
        if not state:
            state["step"] = 0
            if group["beta1"] is not None:
                state["exp_avg"] = torch.zeros_like(grad)
            if factored:
                state["exp_avg_sq_row"] = torch.zeros(grad.shape[:-1]).to(grad)
                state["exp_avg_sq_col"] = torch.zeros(grad.shape[:-2] + grad.shape[-1:]).to(grad)
            else:
                state["exp_avg_sq"] = torch.zeros_like(grad)
            state["RMS"] = 0
        else:
            for key in ("exp_avg", "exp_avg_sq_row", "exp_avg_sq_col", "exp_avg_sq"):
                if key in state:
                    state[key] = state[key].to(grad)
        return state

    def _update_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        grads = [g.float() if g.dtype in _HALF else g for g in grads_of(params)]
        masters = [p.float() if p.dtype in _HALF else p for p in params]
        states = [self._init_state(p, g, group) for p, g in zip(params, grads, strict=False)]
        # Parameter norms with one multi-tensor reduction per device/dtype and one host transfer each.
        norms = [0.0] * len(params)
        for indices in group_by_device_dtype(masters).values():
            found = torch._foreach_norm([masters[i] for i in indices])
            for i, value in zip(indices, torch.stack(found).float().cpu().tolist(), strict=False):
                norms[i] = value
        vectors: list[int] = []
        lrs: list[float] = []
        for index, (p, grad, master, state) in enumerate(zip(params, grads, masters, states, strict=False)):
            state["step"] += 1
            state["RMS"] = norms[index] / math.sqrt(master.numel())
            # NeMo writes each parameter's step size back into the group: the next one starts from it.
            group["lr"] = self._step_size(group, state["step"], state["RMS"])
            lrs.append(group["lr"])
            if grad.dim() >= 2:
                self._factored_update(p=p, grad=grad, master=master, state=state, group=group, lr=group["lr"])
            else:
                vectors.append(index)
        if vectors:
            self._vector_updates(
                params=[params[i] for i in vectors],
                grads=[grads[i] for i in vectors],
                masters=[masters[i] for i in vectors],
                states=[states[i] for i in vectors],
                lrs=[lrs[i] for i in vectors],
                group=group,
            )

    def _finish(
        self,
        *,
        p: Tensor,
        master: Tensor,
        update: Tensor,
        state: dict[str, Any],
        group: dict[str, Any],
        lr: float,
        scale: Tensor,
    ) -> None:
        """Momentum, weight decay and the parameter write; ``update·scale`` is the step to subtract.

        ``scale`` is a 0-d tensor, or (for factored parameters without momentum) the broadcastable factors.
        """
        if group["weight_decay"] != 0:
            master.mul_(1.0 - group["weight_decay"] * lr)
        if group["beta1"] is not None:
            exp_avg = state["exp_avg"]
            exp_avg.mul_(group["beta1"]).addcmul_(update, scale, value=1.0 - group["beta1"])
            master.sub_(exp_avg)
        else:
            master.addcmul_(update, scale, value=-1.0)
        if master is not p:
            p.copy_(master)

    def _factored_update(
        self,
        *,
        p: Tensor,
        grad: Tensor,
        master: Tensor,
        state: dict[str, Any],
        group: dict[str, Any],
        lr: float,
    ) -> None:
        eps0 = group["eps"][0]
        beta2t = 1.0 - math.pow(state["step"], group["decay_rate"])
        numel = grad.numel()
        # mean(g² + eps0) over each of the last two axes (g² is computed once and reused below).
        grad_sq = grad.square()
        row, col = state["exp_avg_sq_row"], state["exp_avg_sq_col"]
        row.mul_(beta2t).add_(grad_sq.mean(dim=-1).add_(eps0), alpha=1.0 - beta2t)
        col.mul_(beta2t).add_(grad_sq.mean(dim=-2).add_(eps0), alpha=1.0 - beta2t)
        r_factor = (row / row.mean(dim=-1, keepdim=True)).rsqrt_()
        c_factor = col.rsqrt()
        # RMS of the update g·r⊗c without forming it: mean(g²·r²·c²) = Σ_i r_i²·(g² @ c²)_i / n.
        weighted = torch.matmul(grad_sq, c_factor.square().unsqueeze(-1)).squeeze(-1)
        rms = (weighted.mul_(r_factor.square()).sum() / numel).sqrt_()
        scale = (rms / group["clip_threshold"]).clamp_(min=1.0).reciprocal_().mul_(lr)
        if group["beta1"] is not None:
            update = torch.mul(grad, r_factor.unsqueeze(-1)).mul_(c_factor.unsqueeze(-2))
            self._finish(p=p, master=master, update=update, state=state, group=group, lr=lr, scale=scale)
            return
        # Without momentum the scaled factors are applied straight to the parameter: p -= g·(s·r)⊗c.
        factors = (r_factor * scale).unsqueeze(-1) * c_factor.unsqueeze(-2)
        self._finish(p=p, master=master, update=grad, state=state, group=group, lr=lr, scale=factors)

    def _clip_scale(self, update: Tensor, group: dict[str, Any], lr: float) -> Tensor:
        """``lr / max(1, RMS(update)/clip_threshold)`` as a 0-d tensor (no host sync)."""
        rms = torch.linalg.vector_norm(update) / math.sqrt(update.numel())
        scale: Tensor = (rms / group["clip_threshold"]).clamp_(min=1.0).reciprocal_().mul_(lr)
        return scale

    def _vector_updates(
        self,
        *,
        params: list[Tensor],
        grads: list[Tensor],
        masters: list[Tensor],
        states: list[dict[str, Any]],
        lrs: list[float],
        group: dict[str, Any],
    ) -> None:
        """Non-factored parameters (vectors, scalars): the second moment is elementwise, via ``_foreach``."""
        eps0 = group["eps"][0]
        exp_avg_sqs = [s["exp_avg_sq"] for s in states]
        beta2ts = [1.0 - math.pow(s["step"], group["decay_rate"]) for s in states]
        torch._foreach_mul_(exp_avg_sqs, beta2ts)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, [1.0 - b for b in beta2ts])
        torch._foreach_add_(exp_avg_sqs, [(1.0 - b) * eps0 for b in beta2ts])
        updates = torch._foreach_rsqrt(exp_avg_sqs)
        torch._foreach_mul_(updates, grads)
        for p, master, update, state, lr in zip(params, masters, updates, states, lrs, strict=False):
            scale = self._clip_scale(update, group, lr)
            self._finish(p=p, master=master, update=update, state=state, group=group, lr=lr, scale=scale)
