"""``nemo.core.optim.adafactor``: ``Adafactor`` (optim-registry)."""

from optim_registry.adafactor import Adafactor

__all__ = ["Adafactor"]
