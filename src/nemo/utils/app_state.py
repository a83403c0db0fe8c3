"""``nemo.utils.app_state``: ``AppState``."""

from modelpt.app_state import AppState, ModelMetadataRegistry

__all__ = ["AppState", "ModelMetadataRegistry"]
