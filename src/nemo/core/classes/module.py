"""``nemo.core.classes.module``: ``NeuralModule``."""

from modelpt import NeuralModule, freeze, unfreeze

__all__ = ["NeuralModule", "freeze", "unfreeze"]
