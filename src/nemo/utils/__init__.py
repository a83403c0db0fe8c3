"""``nemo.utils``: NeMo's logger (``from nemo.utils import logging``) and ``AppState``, loaded on first use."""

from nemo._lazy import attach

_EXPORTS = {
    "logging": "expmanager.nemo_logging",
    "AppState": "modelpt",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
