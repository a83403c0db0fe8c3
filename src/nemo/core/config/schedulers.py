"""``nemo.core.config.schedulers``: the scheduler ``*Params`` dataclasses."""

from optim_registry.scheduler_params import *  # noqa: F403
