"""``nemo.core.optim``: NeMo's optimizers and LR schedules (optim-registry), loaded on first use."""

from nemo._lazy import attach

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
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
