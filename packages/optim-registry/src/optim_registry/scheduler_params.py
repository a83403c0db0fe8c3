"""Scheduler parameter dataclasses, with NeMo's names, fields and defaults (``nemo.core.config.schedulers``).

Registered in ``AVAILABLE_SCHEDULER_PARAMS`` under NeMo's keys (``"CosineAnnealingParams"``,
``"WarmupPolicyParams"``, ...), which ``prepare_lr_scheduler`` uses for ``args: {name: auto}``. Unlike NeMo,
``StepLRParams``, ``ExponentialLRParams`` and ``CyclicLRParams`` are registered too, so ``auto`` works
for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optim_registry._params_registry import ParamsRegistry

__all__ = [
    "AVAILABLE_SCHEDULER_PARAMS",
    "CosineAnnealingParams",
    "CyclicLRParams",
    "ExponentialLRParams",
    "InverseSquareRootAnnealingParams",
    "NoamAnnealingParams",
    "NoamHoldAnnealingParams",
    "PolynomialDecayAnnealingParams",
    "PolynomialHoldDecayAnnealingParams",
    "ReduceLROnPlateauParams",
    "SchedulerParams",
    "SquareAnnealingParams",
    "SquareRootAnnealingParams",
    "SquareRootConstantSchedulerParams",
    "StepLRParams",
    "WarmupAnnealingHoldSchedulerParams",
    "WarmupAnnealingParams",
    "WarmupHoldSchedulerParams",
    "WarmupSchedulerParams",
    "get_scheduler_config",
    "register_scheduler_params",
]


@dataclass
class SchedulerParams:
    """Base of the scheduler parameters: the step to resume from (``-1`` starts fresh)."""

    last_epoch: int = -1


@dataclass
class SquareRootConstantSchedulerParams(SchedulerParams):
    """Constant phase of ``T5InverseSquareRootAnnealing``: ``constant_steps`` or ``constant_ratio``."""

    constant_steps: float | None = None
    constant_ratio: float | None = None


@dataclass
class WarmupSchedulerParams(SchedulerParams):
    """Warmup: ``warmup_steps`` or ``warmup_ratio`` (of ``max_steps``)."""

    max_steps: int = 0
    warmup_steps: float | None = None
    warmup_ratio: float | None = None


@dataclass
class WarmupHoldSchedulerParams(WarmupSchedulerParams):
    """Warmup then hold at the base LR: ``hold_steps`` or ``hold_ratio``."""

    hold_steps: float | None = None
    hold_ratio: float | None = None
    min_lr: float = 0.0


@dataclass
class WarmupAnnealingHoldSchedulerParams(WarmupSchedulerParams):
    """Warmup, anneal, then a constant tail: ``constant_steps`` or ``constant_ratio``."""

    constant_steps: float | None = None
    constant_ratio: float | None = None
    min_lr: float = 0.0


@dataclass
class SquareAnnealingParams(WarmupSchedulerParams):
    """Parameters of ``SquareAnnealing``."""

    min_lr: float = 1e-5


@dataclass
class SquareRootAnnealingParams(WarmupSchedulerParams):
    """Parameters of ``SquareRootAnnealing``."""

    min_lr: float = 0.0


@dataclass
class CosineAnnealingParams(WarmupAnnealingHoldSchedulerParams):
    """Parameters of ``CosineAnnealing`` (``constant_steps`` > 0 selects the Megatron-style variant)."""

    min_lr: float = 0.0


@dataclass
class NoamAnnealingParams(WarmupSchedulerParams):
    """Parameters of ``NoamAnnealing`` (``d_model`` is not a field, as in NeMo: pass it explicitly)."""

    min_lr: float = 0.0


@dataclass
class NoamHoldAnnealingParams(WarmupHoldSchedulerParams):
    """Parameters of ``NoamHoldAnnealing``."""

    decay_rate: float = 0.5


@dataclass
class WarmupAnnealingParams(WarmupSchedulerParams):
    """Parameters of ``WarmupAnnealing``."""

    warmup_ratio: float | None = None


@dataclass
class InverseSquareRootAnnealingParams(WarmupSchedulerParams):
    """Parameters of ``InverseSquareRootAnnealing``."""


@dataclass
class PolynomialDecayAnnealingParams(WarmupSchedulerParams):
    """Parameters of ``PolynomialDecayAnnealing``."""

    power: float = 1.0
    cycle: bool = False


@dataclass
class PolynomialHoldDecayAnnealingParams(WarmupHoldSchedulerParams):
    """Parameters of ``PolynomialHoldDecayAnnealing``."""

    power: float = 1.0
    cycle: bool = False


@dataclass
class StepLRParams(SchedulerParams):
    """Parameters of ``torch.optim.lr_scheduler.StepLR`` (NeMo's defaults, ``step_size=0.1`` included)."""

    step_size: float = 0.1
    gamma: float = 0.1


@dataclass
class ExponentialLRParams(SchedulerParams):
    """Parameters of ``torch.optim.lr_scheduler.ExponentialLR``."""

    gamma: float = 0.9


@dataclass
class ReduceLROnPlateauParams:
    """Parameters of ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (no ``last_epoch``, as in NeMo)."""

    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    verbose: bool = False
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0
    eps: float = 1e-8


@dataclass
class CyclicLRParams(SchedulerParams):
    """Parameters of ``torch.optim.lr_scheduler.CyclicLR``."""

    base_lr: float = 0.001
    max_lr: float = 0.1
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    scale_mode: str = "cycle"
    cycle_momentum: bool = True
    base_momentum: float = 0.8
    max_momentum: float = 0.9


AVAILABLE_SCHEDULER_PARAMS: dict[str, type] = {
    "SchedulerParams": SchedulerParams,
    "WarmupPolicyParams": WarmupSchedulerParams,
    "WarmupHoldPolicyParams": WarmupHoldSchedulerParams,
    "WarmupAnnealingHoldSchedulerParams": WarmupAnnealingHoldSchedulerParams,
    "SquareAnnealingParams": SquareAnnealingParams,
    "SquareRootAnnealingParams": SquareRootAnnealingParams,
    "InverseSquareRootAnnealingParams": InverseSquareRootAnnealingParams,
    "SquareRootConstantSchedulerParams": SquareRootConstantSchedulerParams,
    "CosineAnnealingParams": CosineAnnealingParams,
    "NoamAnnealingParams": NoamAnnealingParams,
    "NoamHoldAnnealingParams": NoamHoldAnnealingParams,
    "WarmupAnnealingParams": WarmupAnnealingParams,
    "PolynomialDecayAnnealingParams": PolynomialDecayAnnealingParams,
    "PolynomialHoldDecayAnnealingParams": PolynomialHoldDecayAnnealingParams,
    "ReduceLROnPlateauParams": ReduceLROnPlateauParams,
    "StepLRParams": StepLRParams,
    "ExponentialLRParams": ExponentialLRParams,
    "CyclicLRParams": CyclicLRParams,
}

_REGISTRY = ParamsRegistry("scheduler params", AVAILABLE_SCHEDULER_PARAMS)


def register_scheduler_params(name: str, scheduler_params: type) -> None:
    """Register a scheduler parameter dataclass under ``name``.

    Raises:
        DuplicateNameError: ``name`` is already registered.
    """
    _REGISTRY.register(name, scheduler_params)


def get_scheduler_config(name: str | None, **kwargs: Any) -> Any:
    """Return ``functools.partial(ParamsCls, **kwargs)`` after checking every key.

    With ``name=None`` the ``kwargs`` are returned unchanged.

    Raises:
        UnknownNameError: ``name`` is not registered (the message lists the names and the closest match).
        UnknownKeysError: Some keys are not fields of the dataclass (all are listed).
    """
    return _REGISTRY.partial(name, **kwargs)
