"""``nemo.core.classes.modelPT``: ``ModelPT``."""

from modelpt import ModelPT

__all__ = ["ModelPT"]
