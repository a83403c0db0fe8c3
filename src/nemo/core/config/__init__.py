"""``nemo.core.config``: NeMo's config dataclasses and ``hydra_runner``, loaded on first use.

Optimizer and scheduler params, trainer, data loader and model configs are all here at package level.

The submodules (``nemo.core.config.optimizers``, ``.schedulers``, ...) are attributes of the package, as in
NeMo, so ``from nemo.core import config; config.optimizers.SGDParams`` works.
"""

from nemo._lazy import attach

_OPTIM = "optim_registry.params"
_SCHED = "optim_registry.scheduler_params"
_EXPORTS = {
    "Config": "nemo.core.config.base_config",
    "hydra_runner": "modelpt.hydra_runner",
    "DataLoaderConfig": "nemo.core.config.pytorch",
    "TrainerConfig": "nemo.core.config.pytorch_lightning",
    **dict.fromkeys(
        (
            "AdadeltaParams",
            "AdagradParams",
            "AdamaxParams",
            "AdamParams",
            "AdamWParams",
            "NovogradParams",
            "OptimizerParams",
            "RMSpropParams",
            "RpropParams",
            "SGDParams",
            "get_optimizer_config",
            "register_optimizer_params",
        ),
        _OPTIM,
    ),
    **dict.fromkeys(
        (
            "CosineAnnealingParams",
            "InverseSquareRootAnnealingParams",
            "NoamAnnealingParams",
            "PolynomialDecayAnnealingParams",
            "PolynomialHoldDecayAnnealingParams",
            "SchedulerParams",
            "SquareAnnealingParams",
            "SquareRootAnnealingParams",
            "SquareRootConstantSchedulerParams",
            "WarmupAnnealingParams",
            "WarmupHoldSchedulerParams",
            "WarmupSchedulerParams",
            "get_scheduler_config",
            "register_scheduler_params",
        ),
        _SCHED,
    ),
}
_SUBMODULES = (
    "base_config",
    "hydra_runner",
    "modelPT",
    "optimizers",
    "pytorch",
    "pytorch_lightning",
    "schedulers",
    "templates",
)
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS, _SUBMODULES)
