"""``nemo.core.optim``: NeMo's optimizers and LR schedules (optim-registry), loaded on first use.

The per-optimizer modules NeMo has (``nemo.core.optim.novograd``, ``.adafactor``, ``.adan``, ``.radam``,
``.lr_scheduler``, ``.optimizers``, ...) exist too, and are attributes of this package.
"""

from nemo._lazy import attach

_SCHEDULES = (
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
)
_EXPORTS = {
    "AVAILABLE_OPTIMIZERS": "optim_registry",
    "get_optimizer": "optim_registry",
    "register_optimizer": "optim_registry",
    "parse_optimizer_args": "optim_registry",
    "AVAILABLE_SCHEDULERS": "optim_registry",
    "get_scheduler": "optim_registry",
    "register_scheduler": "optim_registry",
    "prepare_lr_scheduler": "optim_registry",
    "compute_max_steps": "optim_registry",
    "Novograd": "optim_registry",
    "Adafactor": "optim_registry",
    "Adan": "optim_registry",
    "RAdam": "optim_registry",
    "MainParamsOptimizerWrapper": "nemo.core.optim.optimizer_with_main_params",
    **dict.fromkeys(_SCHEDULES, "optim_registry"),
}
_SUBMODULES = (
    "adafactor",
    "adan",
    "flash_optim",
    "lr_scheduler",
    "novograd",
    "optimizer_with_main_params",
    "optimizers",
    "radam",
)
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS, _SUBMODULES)
