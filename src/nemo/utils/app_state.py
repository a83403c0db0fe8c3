"""``nemo.utils.app_state``: ``AppState``."""

from modelpt import AppState

__all__ = ["AppState"]
