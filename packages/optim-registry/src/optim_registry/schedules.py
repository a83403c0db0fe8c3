"""NeMo's learning-rate schedules, step for step (``nemo.core.optim.lr_scheduler``).

Notation of the docstrings: ``s`` is the scheduler's step (``last_epoch``), ``B`` a param group's base LR,
``W`` the warmup steps, ``H`` warmup + hold steps, ``M`` ``max_steps`` and ``m`` ``min_lr``. Every formula,
including NeMo's warmup offsets (``B·(s+1)/(W+1)``) and its group-0 conventions, is reproduced exactly; the
only changes are errors that name the problem where NeMo asserts or crashes (see the package README).

All classes take keyword arguments only after the optimizer, like NeMo's, and subclass torch's
``_LRScheduler`` so ``state_dict()``/``load_state_dict()`` and ``last_epoch`` resume work unchanged.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, cast

from torch.optim import Optimizer
from torch.optim.lr_scheduler import _LRScheduler

from optim_registry.errors import MissingMaxStepsError, OptimRegistryError

__all__ = [
    "CosineAnnealing",
    "InverseSquareRootAnnealing",
    "NoamAnnealing",
    "NoamHoldAnnealing",
    "PolynomialDecayAnnealing",
    "PolynomialHoldDecayAnnealing",
    "SquareAnnealing",
    "SquareRootAnnealing",
    "SquareRootConstantPolicy",
    "T5InverseSquareRootAnnealing",
    "WarmupAnnealHoldPolicy",
    "WarmupAnnealing",
    "WarmupHoldAnnealLinear",
    "WarmupHoldAnnealOneMinusSquareRoot",
    "WarmupHoldPolicy",
    "WarmupPolicy",
]

_OUTSIDE_STEP = "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."


def _steps_from(
    owner: str, what: str, steps: float | None, ratio: float | None, max_steps: int | None
) -> int | float:
    """Resolve ``<what>_steps`` / ``<what>_ratio`` to a step count, as NeMo does (``int(ratio · max_steps)``).

    Raises:
        OptimRegistryError: Both the count and the ratio are given.
        MissingMaxStepsError: A ratio is given without ``max_steps``.
    """
    if steps is not None and ratio is not None:
        raise OptimRegistryError(
            f"{owner} got both {what}_steps={steps} and {what}_ratio={ratio}; give only one of them."
        )
    if steps is not None:
        return steps
    if ratio is not None:
        if max_steps is None:
            raise MissingMaxStepsError(
                f"{owner} got {what}_ratio={ratio} but no max_steps to take the ratio of. Pass max_steps, "
                f"or {what}_steps instead of the ratio."
            )
        return int(ratio * max_steps)
    return 0


def _require_max_steps(owner: str, max_steps: int | None) -> int:
    """Return ``max_steps``, or explain that this schedule cannot run without it.

    Raises:
        MissingMaxStepsError: ``max_steps`` is None.
    """
    if max_steps is None:
        raise MissingMaxStepsError(
            f"{owner} needs max_steps (the total number of optimizer steps) and got None. Pass "
            f"max_steps=..., "
            "or, through prepare_lr_scheduler, set `max_steps` in the scheduler config, or `t_max_epochs` "
            "(with `t_accumulate_grad_batches`, `t_limit_train_batches`, `t_num_workers`) and pass the "
            "train_dataloader so max_steps can be inferred."
        )
    return max_steps


class _NemoSchedule(_LRScheduler):
    """Common plumbing: NeMo's warning when ``get_lr()`` is called outside ``step()``."""

    def _bases(self) -> list[float]:
        """The param groups' base LRs (floats; torch types them as ``float | Tensor``)."""
        return cast("list[float]", list(self.base_lrs))

    def _warn_if_outside_step(self) -> None:
        if not getattr(self, "_get_lr_called_within_step", True):
            warnings.warn(_OUTSIDE_STEP, UserWarning, stacklevel=3)


class WarmupPolicy(_NemoSchedule):
    """Linear warmup to the base LR, then constant; ``m`` after ``M`` (when ``M`` is set).

    ``s <= W`` (W > 0): ``B·(s+1)/(W+1)``; ``s > M``: ``m``; else ``B``.

    Args:
        optimizer: The wrapped optimizer.
        warmup_steps: Steps of linear warmup.
        warmup_ratio: Warmup as a fraction of ``max_steps`` (``int(ratio · max_steps)``).
        max_steps: Total steps, or None for open-ended training.
        min_lr: LR after ``max_steps``.
        last_epoch: Step to resume from (``-1`` starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
        max_steps: int | None = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        self.max_steps = max_steps
        self.warmup_steps = _steps_from(name, "warmup", warmup_steps, warmup_ratio, max_steps)
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """LRs of every param group at the current step."""
        self._warn_if_outside_step()
        step = self.last_epoch
        if step <= self.warmup_steps and self.warmup_steps > 0:
            return self._get_warmup_lr(step)
        if self.max_steps is not None and step > self.max_steps:
            return [self.min_lr for _ in self.base_lrs]
        return self._get_lr(step)

    def _get_warmup_lr(self, step: int) -> list[float]:
        factor = (step + 1) / (self.warmup_steps + 1)
        return [base * factor for base in self._bases()]

    def _get_lr(self, step: int) -> list[float]:
        return self._bases()


class WarmupHoldPolicy(WarmupPolicy):
    """Warmup, then hold ``B`` until ``H = W + hold_steps`` (or ``W + int(hold_ratio·M)``), then ``_get_lr``.

    With no hold configured ``H = 0``. ``max_steps=None`` means open-ended (NeMo crashes comparing with None).

    Args:
        optimizer: The wrapped optimizer.
        warmup_steps: Steps of linear warmup.
        warmup_ratio: Warmup as a fraction of ``max_steps``.
        hold_steps: Steps to hold the base LR after warmup.
        hold_ratio: Hold as a fraction of ``max_steps``.
        max_steps: Total steps.
        min_lr: LR after ``max_steps``.
        last_epoch: Step to resume from.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
        hold_steps: float | None = None,
        hold_ratio: float | None = None,
        max_steps: int | None = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        warmup = _steps_from(name, "warmup", warmup_steps, warmup_ratio, max_steps)
        hold = _steps_from(name, "hold", hold_steps, hold_ratio, max_steps)
        self.hold_steps = hold + warmup if (hold_steps is not None or hold_ratio is not None) else 0
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """LRs of every param group at the current step."""
        self._warn_if_outside_step()
        step = self.last_epoch
        if step <= self.warmup_steps and self.warmup_steps > 0:
            return self._get_warmup_lr(step)
        if self.warmup_steps <= step < self.hold_steps:
            return self._bases()
        if self.max_steps is not None and step > self.max_steps:
            return [self.min_lr for _ in self.base_lrs]
        return self._get_lr(step)


class WarmupAnnealHoldPolicy(_NemoSchedule):
    """Warmup, anneal over ``D = M - (C + W)`` steps, then ``m`` for the last ``C`` (constant) steps.

    Honours NeMo's ``reset_lr`` protocol: if ``param_groups[0]['reset_lr']`` exists, the step is shifted
    back by its ``num_steps`` (and, once, ``D`` and ``M`` shrink by it when ``reset_lr_steps`` is set).

    Args:
        optimizer: The wrapped optimizer.
        warmup_steps: Steps of linear warmup.
        warmup_ratio: Warmup as a fraction of ``max_steps``.
        constant_steps: Steps at ``min_lr`` at the end of the schedule.
        constant_ratio: Constant tail as a fraction of ``max_steps``.
        max_steps: Total steps (required).
        min_lr: Floor of the schedule.
        last_epoch: Step to resume from.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
        constant_steps: float | None = None,
        constant_ratio: float | None = None,
        max_steps: int | None = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        self.max_steps = _require_max_steps(name, max_steps)
        self.warmup_steps = _steps_from(name, "warmup", warmup_steps, warmup_ratio, max_steps)
        self.constant_steps = _steps_from(name, "constant", constant_steps, constant_ratio, max_steps)
        self.decay_steps = self.max_steps - (self.constant_steps + self.warmup_steps)
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """LRs of every param group at the current step."""
        self._warn_if_outside_step()
        step = self.last_epoch
        groups = self.optimizer.param_groups
        if groups and "reset_lr" in groups[0]:
            reset = groups[0]["reset_lr"]
            step -= reset["num_steps"]
            if reset["if_init_step"] and reset["reset_lr_steps"]:
                self.decay_steps -= reset["num_steps"]
                self.max_steps -= reset["num_steps"]
                reset["if_init_step"] = False
        if self.warmup_steps > 0 and step <= self.warmup_steps:
            return self._get_warmup_lr(step)
        if self.constant_steps > 0 and (self.warmup_steps + self.decay_steps) < step <= self.max_steps:
            return self._get_constant_lr(step)
        if step > self.max_steps:
            return [self.min_lr for _ in self.base_lrs]
        return self._get_lr(step)

    def _get_warmup_lr(self, step: int) -> list[float]:
        factor = (step + 1) / (self.warmup_steps + 1)
        return [base * factor for base in self._bases()]

    def _get_constant_lr(self, step: int) -> list[float]:
        return [self.min_lr for _ in self.base_lrs]

    def _get_lr(self, step: int) -> list[float]:
        return self._bases()


class SquareRootConstantPolicy(_NemoSchedule):
    """``1/sqrt(C)`` for ``s <= C``, ``m`` after ``M``, else ``_get_lr`` (independent of the base LR).

    Unlike NeMo, the constant LR uses the resolved constant steps, so ``constant_ratio`` alone works.

    Args:
        optimizer: The wrapped optimizer.
        constant_steps: Steps at the constant LR.
        constant_ratio: Constant phase as a fraction of ``max_steps``.
        max_steps: Total steps (required).
        min_lr: LR after ``max_steps``.
        last_epoch: Step to resume from.

    Raises:
        OptimRegistryError: Neither constant_steps nor constant_ratio gives a positive count.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        constant_steps: float | None = None,
        constant_ratio: float | None = None,
        max_steps: int | None = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = type(self).__name__
        self.max_steps = _require_max_steps(name, max_steps)
        self.constant_steps = _steps_from(name, "constant", constant_steps, constant_ratio, max_steps)
        if self.constant_steps <= 0:
            raise OptimRegistryError(
                f"{name} needs a positive constant_steps (or constant_ratio), got constant_steps="
                f"{self.constant_steps}; its LR during that phase is 1/sqrt(constant_steps)."
            )
        self.constant_lr = 1 / (self.constant_steps**0.5)
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """LRs of every param group at the current step."""
        self._warn_if_outside_step()
        step = self.last_epoch
        if step <= self.constant_steps:
            return [self.constant_lr for _ in self.base_lrs]
        if step > self.max_steps:
            return [self.min_lr for _ in self.base_lrs]
        return self._get_lr(step)

    def _get_lr(self, step: int) -> list[float]:
        return self._bases()


class SquareAnnealing(WarmupPolicy):
    """After warmup: ``max(m, B·((M' - s')/M')²)``, ``s' = s - W``, ``M' = M - W``; ``m`` = 1e-5."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        min_lr: float = 1e-5,
        last_epoch: int = -1,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
    ) -> None:
        _require_max_steps(type(self).__name__, max_steps)
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def _get_lr(self, step: int) -> list[float]:
        total = self.max_steps - self.warmup_steps  # type: ignore[operator]
        mult = ((total - (step - self.warmup_steps)) / total) ** 2
        return [max(base * mult, self.min_lr) for base in self._bases()]


class SquareRootAnnealing(WarmupPolicy):
    """After warmup: ``max(m, B·sqrt((M - s)/M))`` (NeMo does not subtract the warmup here)."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        min_lr: float = 0,
        last_epoch: int = -1,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
    ) -> None:
        _require_max_steps(type(self).__name__, max_steps)
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def _get_lr(self, step: int) -> list[float]:
        total: int = self.max_steps  # type: ignore[assignment]
        mult = ((total - step) / total) ** 0.5
        return [max(base * mult, self.min_lr) for base in self._bases()]


def _megatron_cosine(max_lr: float, warmup: float, step: int, decay: float, min_lr: float) -> float:
    """Megatron-LM's linear warmup (``B·s/W``) + cosine decay over ``decay`` steps, ``min_lr`` after."""
    if not max_lr > min_lr:
        raise OptimRegistryError(
            f"CosineAnnealing with constant_steps needs the base LR of param group 0 ({max_lr}) to exceed "
            f"min_lr ({min_lr})."
        )
    if warmup > 0 and step <= warmup:
        return max_lr * float(step) / float(warmup)
    if step > warmup + decay:
        return min_lr
    ratio = float(step - warmup) / float(decay)
    return min_lr + 0.5 * (math.cos(math.pi * ratio) + 1.0) * (max_lr - min_lr)


class CosineAnnealing(WarmupAnnealHoldPolicy):
    """Warmup then half-cosine from ``B`` to ``m`` over ``M - W`` steps; ``m`` after ``M``.

    After warmup: ``(B - m)·0.5·(1 + cos(π·(s - W)/(M - W))) + m``. With ``constant_steps`` (or ratio) > 0 it
    switches to the Megatron variant: warmup ``B0·s/W``, cosine over ``D = M - C - W`` steps, then ``m``,
    where ``B0`` is param group 0's base LR, used for *every* group (as in NeMo).

    Raises:
        OptimRegistryError: A base LR is below ``min_lr`` (NeMo raises ``ValueError`` too).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        min_lr: float = 0,
        last_epoch: int = -1,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
        constant_steps: float | None = None,
        constant_ratio: float | None = None,
    ) -> None:
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            constant_steps=constant_steps,
            constant_ratio=constant_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def _megatron(self) -> bool:
        return bool(self.constant_steps)

    def _get_lr(self, step: int) -> list[float]:
        for base in self._bases():
            if base < self.min_lr:
                raise OptimRegistryError(
                    f"{type(self).__name__} received an initial learning rate ({base}) lower than min_lr "
                    f"({self.min_lr}); lower min_lr or raise the optimizer's lr."
                )
        if not self._megatron():
            total = self.max_steps - self.warmup_steps
            mult = 0.5 * (1 + math.cos(math.pi * (step - self.warmup_steps) / total))
            return [(base - self.min_lr) * mult + self.min_lr for base in self._bases()]
        return self._megatron_lrs(step)

    def _get_warmup_lr(self, step: int) -> list[float]:
        if not self._megatron():
            return super()._get_warmup_lr(step)
        return self._megatron_lrs(step)

    def _get_constant_lr(self, step: int) -> list[float]:
        return self._megatron_lrs(step)

    def _megatron_lrs(self, step: int) -> list[float]:
        value = _megatron_cosine(self._bases()[0], self.warmup_steps, step, self.decay_steps, self.min_lr)
        return [value for _ in self.base_lrs]


class NoamAnnealing(_NemoSchedule):
    """Noam (Transformer) schedule: ``B·d_model^-0.5·min(s^-0.5, s·W^-1.5)`` with ``s = max(1, last_epoch)``.

    Without warmup: ``B·d_model^-0.5·s^-0.5``. Clamped to ``>= m`` only after warmup; no ``max_steps`` cutoff.

    Args:
        optimizer: The wrapped optimizer.
        d_model: Model width (required).
        warmup_steps: Warmup steps.
        warmup_ratio: Warmup as a fraction of ``max_steps``.
        max_steps: Total steps (only needed for ``warmup_ratio``).
        min_lr: Floor after warmup.
        last_epoch: Step to resume from.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        d_model: int,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
        max_steps: int | None = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self._normalize = d_model ** (-0.5)
        self.max_steps = max_steps
        self.warmup_steps = _steps_from(type(self).__name__, "warmup", warmup_steps, warmup_ratio, max_steps)
        self.min_lr = min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """LRs of every param group at the current step."""
        self._warn_if_outside_step()
        step = max(1, self.last_epoch)
        for base in self._bases():
            if base < self.min_lr:
                raise OptimRegistryError(
                    f"{type(self).__name__} received an initial learning rate ({base}) lower than min_lr "
                    f"({self.min_lr})."
                )
        return [self._noam_annealing(base, step) for base in self._bases()]

    def _noam_annealing(self, initial_lr: float, step: int) -> float:
        if self.warmup_steps > 0:
            mult = self._normalize * min(step ** (-0.5), step * (self.warmup_steps ** (-1.5)))
        else:
            mult = self._normalize * step ** (-0.5)
        out = float(initial_lr * mult)
        if step > self.warmup_steps:
            out = max(out, self.min_lr)
        return out


class _HoldAnnealBase(WarmupHoldPolicy):
    """A WarmupHold schedule whose ``max_steps`` is mandatory (the anneal phase is measured against it)."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        min_lr: float = 0.0,
        last_epoch: int = -1,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
        hold_steps: float | None = None,
        hold_ratio: float | None = None,
    ) -> None:
        _require_max_steps(type(self).__name__, max_steps)
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            hold_steps=hold_steps,
            hold_ratio=hold_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )


class NoamHoldAnnealing(_HoldAnnealBase):
    """Squeezeformer's schedule: warmup, hold, then ``max(m, B·max(1, W^d)/max(1, (s - h)^d))``.

    ``h`` is the hold length (``H - W``; 0 without hold) and ``d`` the ``decay_rate`` (0.5 = Noam decay).

    Raises:
        OptimRegistryError: At the first decay step when no warmup is configured (as NeMo).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        decay_rate: float = 0.5,
        min_lr: float = 0.0,
        last_epoch: int = -1,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
        hold_steps: float | None = None,
        hold_ratio: float | None = None,
    ) -> None:
        self.decay_rate = decay_rate
        super().__init__(
            optimizer,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            hold_steps=hold_steps,
            hold_ratio=hold_ratio,
        )

    def _get_lr(self, step: int) -> list[float]:
        if not self.warmup_steps:
            raise OptimRegistryError(
                "NoamHoldAnnealing cannot be used without warmup steps; set warmup_steps."
            )
        hold = self.hold_steps - self.warmup_steps if self.hold_steps > 0 else 0
        warm_decay = max(1, self.warmup_steps**self.decay_rate)
        hold_decay = max(1, (step - hold) ** self.decay_rate)
        return [max(base * warm_decay / hold_decay, self.min_lr) for base in self._bases()]


class WarmupHoldAnnealOneMinusSquareRoot(_HoldAnnealBase):
    """Warmup, hold, then ``max(m, B·(1 - sqrt((s - H)/(M - H))))``."""

    def _get_lr(self, step: int) -> list[float]:
        total: int = self.max_steps  # type: ignore[assignment]
        mult = 1 - ((step - self.hold_steps) / (total - self.hold_steps)) ** 0.5
        return [max(self.min_lr, base * mult) for base in self._bases()]


class WarmupHoldAnnealLinear(_HoldAnnealBase):
    """Warmup, hold, then linear ``B - (B - m)·(s - H)/(M - H)``."""

    def _get_lr(self, step: int) -> list[float]:
        total: int = self.max_steps  # type: ignore[assignment]
        ratio = (step - self.hold_steps) / (total - self.hold_steps)
        return [base - (base - self.min_lr) * ratio for base in self._bases()]


class WarmupAnnealing(WarmupPolicy):
    """After warmup: ``m + (1 - (s - W)/(M - W))·(B0 - m)``, group 0's base LR ``B0`` for all."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        last_epoch: int = -1,
        min_lr: float = 0.0,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
    ) -> None:
        _require_max_steps(type(self).__name__, max_steps)
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def _get_lr(self, step: int) -> list[float]:
        delta = self._bases()[0] - self.min_lr
        mult = (step - self.warmup_steps) / (self.max_steps - self.warmup_steps)  # type: ignore[operator]
        return [self.min_lr + (1 - mult) * delta for _ in self.base_lrs]


class InverseSquareRootAnnealing(WarmupPolicy):
    """After warmup: ``B / sqrt((s + 1)/(W + 1))``; ``m`` only after ``M``."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        last_epoch: int = -1,
        min_lr: float = 0.0,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
    ) -> None:
        _require_max_steps(type(self).__name__, max_steps)
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def _get_lr(self, step: int) -> list[float]:
        denom = ((step + 1) / (self.warmup_steps + 1)) ** 0.5
        return [base / denom for base in self._bases()]


class T5InverseSquareRootAnnealing(SquareRootConstantPolicy):
    """T5's schedule: ``1/sqrt(C)`` up to ``C`` constant steps, then ``1/sqrt(s)``; ignores the base LR."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        last_epoch: int = -1,
        min_lr: float = 0.0,
        constant_steps: float | None = None,
        constant_ratio: float | None = None,
    ) -> None:
        super().__init__(
            optimizer,
            constant_steps=constant_steps,
            constant_ratio=constant_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def _get_lr(self, step: int) -> list[float]:
        return [1 / (step**0.5) for _ in self.base_lrs]


def _poly_decay(
    initial_lr: float, step: float, decay_steps: float, *, power: float, min_lr: float, cycle: bool
) -> float:
    """``(B - m)·(1 - p/D)^power + m``; ``cycle`` stretches ``D``, else ``p = min(p, D)``."""
    if cycle:
        decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
    else:
        step = min(step, decay_steps)
    return (initial_lr - min_lr) * math.pow(1.0 - step / decay_steps, power) + min_lr


class PolynomialDecayAnnealing(WarmupPolicy):
    """After warmup: polynomial decay over ``D = M - W`` with ``p = s - W`` (``cycle`` restarts it)."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        min_lr: float = 0.0,
        power: float = 1.0,
        cycle: bool = False,
        last_epoch: int = -1,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
    ) -> None:
        _require_max_steps(type(self).__name__, max_steps)
        self.power = power
        self.cycle = cycle
        super().__init__(
            optimizer,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
        )

    def _get_lr(self, step: int) -> list[float]:
        decay = self.max_steps - self.warmup_steps  # type: ignore[operator]
        return [
            _poly_decay(
                base, step - self.warmup_steps, decay, power=self.power, min_lr=self.min_lr, cycle=self.cycle
            )
            for base in self._bases()
        ]


class PolynomialHoldDecayAnnealing(_HoldAnnealBase):
    """After hold: polynomial decay with ``p = s - H`` over ``D = M - max(W, H)``."""

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        max_steps: int,
        min_lr: float = 0.0,
        power: float = 1.0,
        cycle: bool = False,
        last_epoch: int = -1,
        warmup_steps: float | None = None,
        warmup_ratio: float | None = None,
        hold_steps: float | None = None,
        hold_ratio: float | None = None,
    ) -> None:
        self.power = power
        self.cycle = cycle
        super().__init__(
            optimizer,
            max_steps=max_steps,
            min_lr=min_lr,
            last_epoch=last_epoch,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            hold_steps=hold_steps,
            hold_ratio=hold_ratio,
        )

    def _get_lr(self, step: int) -> list[float]:
        decay = self.max_steps - max(self.warmup_steps, self.hold_steps)  # type: ignore[operator]
        return [
            _poly_decay(
                base, step - self.hold_steps, decay, power=self.power, min_lr=self.min_lr, cycle=self.cycle
            )
            for base in self._bases()
        ]


def needs_max_steps(args: dict[str, Any]) -> bool:
    """True if the scheduler arguments use a ratio, which only ``max_steps`` can turn into a step count."""
    return any(args.get(key) is not None for key in ("warmup_ratio", "hold_ratio", "constant_ratio"))
