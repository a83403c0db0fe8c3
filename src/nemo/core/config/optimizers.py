"""``nemo.core.config.optimizers``: the optimizer ``*Params`` dataclasses."""

from optim_registry.params import *  # noqa: F403
