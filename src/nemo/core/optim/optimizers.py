"""``nemo.core.optim.optimizers``: the optimizer registry."""

from optim_registry import (
    AVAILABLE_OPTIMIZERS,
    get_optimizer,
    init_optimizer_states,
    parse_optimizer_args,
    register_optimizer,
)

__all__ = [
    "AVAILABLE_OPTIMIZERS",
    "get_optimizer",
    "init_optimizer_states",
    "parse_optimizer_args",
    "register_optimizer",
]
