"""Optimizer parameter dataclasses, with NeMo's names, fields and defaults (``nemo.core.config.optimizers``).

They are registered in ``AVAILABLE_OPTIMIZER_PARAMS`` under ``"<name>_params"`` (``"novograd_params"``)
so that ``parse_optimizer_args(name, {"name": "auto", ...})`` can find them. Scheduler parameter dataclasses
live in :mod:`optim_registry.scheduler_params`.

One deliberate difference: ``AdafactorParams.decay_rate`` defaults to ``-0.8`` like the optimizer itself;
NeMo's dataclass says ``0.8``, which makes ``beta2t = 1 - t**0.8`` negative from step 2 on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optim_registry._config import MISSING
from optim_registry._params_registry import ParamsRegistry

__all__ = [
    "AVAILABLE_OPTIMIZER_PARAMS",
    "AdadeltaParams",
    "AdafactorParams",
    "AdagradParams",
    "AdamParams",
    "AdamWParams",
    "AdamaxParams",
    "AdanParams",
    "NovogradParams",
    "OptimizerParams",
    "RAdamParams",
    "RMSpropParams",
    "RpropParams",
    "SGDParams",
    "get_optimizer_config",
    "register_optimizer_params",
]


@dataclass
class OptimizerParams:
    """Base of every optimizer's parameters: ``lr`` is mandatory (``'???'``, OmegaConf's MISSING)."""

    lr: float | None = MISSING


@dataclass
class SGDParams(OptimizerParams):
    """Parameters of ``torch.optim.SGD``."""

    momentum: float = 0
    dampening: float = 0
    weight_decay: float = 0
    nesterov: bool = False


@dataclass
class AdamParams(OptimizerParams):
    """Parameters of ``torch.optim.Adam`` (as in NeMo, no ``betas`` field)."""

    eps: float = 1e-08
    weight_decay: float = 0
    amsgrad: bool = False


@dataclass
class AdamWParams(OptimizerParams):
    """Parameters of ``torch.optim.AdamW``."""

    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-08
    weight_decay: float = 0
    amsgrad: bool = False


@dataclass
class AdadeltaParams(OptimizerParams):
    """Parameters of ``torch.optim.Adadelta``."""

    rho: float = 0.9
    eps: float = 1e-6
    weight_decay: float = 0


@dataclass
class AdamaxParams(OptimizerParams):
    """Parameters of ``torch.optim.Adamax``."""

    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0


@dataclass
class AdagradParams(OptimizerParams):
    """Parameters of ``torch.optim.Adagrad``."""

    lr_decay: float = 0
    weight_decay: float = 0
    initial_accumulator_value: float = 0
    eps: float = 1e-10


@dataclass
class RMSpropParams(OptimizerParams):
    """Parameters of ``torch.optim.RMSprop``."""

    alpha: float = 0.99
    eps: float = 1e-8
    weight_decay: float = 0
    momentum: float = 0
    centered: bool = False


@dataclass
class RpropParams(OptimizerParams):
    """Parameters of ``torch.optim.Rprop``."""

    etas: tuple[float, float] = (0.5, 1.2)
    step_sizes: tuple[float, float] = (1e-6, 50)


@dataclass
class NovogradParams(OptimizerParams):
    """Parameters of :class:`optim_registry.Novograd`."""

    betas: tuple[float, float] = (0.95, 0.98)
    eps: float = 1e-8
    weight_decay: float = 0
    grad_averaging: bool = False
    amsgrad: bool = False
    luc: bool = False
    luc_trust: float = 1e-3
    luc_eps: float = 1e-8


@dataclass
class AdafactorParams(OptimizerParams):
    """Parameters of :class:`optim_registry.Adafactor` (``decay_rate=-0.8``, as on the optimizer)."""

    beta1: float | None = None
    eps: tuple[float, float] = (1e-30, 1e-3)
    clip_threshold: float = 1.0
    decay_rate: float = -0.8
    weight_decay: float = 0
    scale_parameter: bool = True
    relative_step: bool = False
    warmup_init: bool = False


@dataclass
class AdanParams(OptimizerParams):
    """Parameters of :class:`optim_registry.Adan` (NeMo has no dataclass for it; fields follow the class)."""

    betas: tuple[float, float, float] = (0.98, 0.92, 0.99)
    eps: float = 1e-8
    weight_decay: float = 0.0
    max_grad_norm: float = 0.0
    no_prox: bool = False


@dataclass
class RAdamParams(OptimizerParams):
    """Parameters of :class:`optim_registry.RAdam` (NeMo has no dataclass for it; fields follow the class)."""

    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0


AVAILABLE_OPTIMIZER_PARAMS: dict[str, type] = {
    "optim_params": OptimizerParams,
    "sgd_params": SGDParams,
    "adam_params": AdamParams,
    "adamw_params": AdamWParams,
    "adadelta_params": AdadeltaParams,
    "adamax_params": AdamaxParams,
    "adagrad_params": AdagradParams,
    "rmsprop_params": RMSpropParams,
    "rprop_params": RpropParams,
    "novograd_params": NovogradParams,
    "adafactor_params": AdafactorParams,
    "adan_params": AdanParams,
    "radam_params": RAdamParams,
}

_REGISTRY = ParamsRegistry("optimizer params", AVAILABLE_OPTIMIZER_PARAMS)


def register_optimizer_params(name: str, optimizer_params: type) -> None:
    """Register a parameter dataclass under ``name`` (NeMo uses ``"<OptimizerClass>_params"``).

    Raises:
        DuplicateNameError: ``name`` is already registered.
    """
    _REGISTRY.register(name, optimizer_params)


def get_optimizer_config(name: str | None, **kwargs: Any) -> Any:
    """Return ``functools.partial(ParamsCls, **kwargs)`` after checking every key.

    With ``name=None`` the ``kwargs`` are returned unchanged.

    Raises:
        UnknownNameError: ``name`` is not registered (the message lists the names and the closest match).
        UnknownKeysError: Some keys are not fields of the dataclass (all are listed).
    """
    return _REGISTRY.partial(name, **kwargs)
