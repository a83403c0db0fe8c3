"""``nemo.core.optim.lr_scheduler``: the scheduler registry and NeMo's schedules."""

from optim_registry import *  # noqa: F403
from optim_registry import (
    AVAILABLE_SCHEDULERS,
    compute_max_steps,
    get_scheduler,
    prepare_lr_scheduler,
    register_scheduler,
)

__all__ = [
    "AVAILABLE_SCHEDULERS",
    "compute_max_steps",
    "get_scheduler",
    "prepare_lr_scheduler",
    "register_scheduler",
]
