"""``nemo.utils.callbacks.nemo_model_checkpoint``: ``NeMoModelCheckpoint``."""

from expmanager.checkpoint import NeMoModelCheckpoint

__all__ = ["NeMoModelCheckpoint"]
