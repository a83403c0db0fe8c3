"""``nemo.core.optim.radam``: ``RAdam`` (optim-registry)."""

from optim_registry.radam import RAdam

__all__ = ["RAdam"]
