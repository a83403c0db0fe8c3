"""``nemo.utils.loggers.clearml_logger``: ``ClearMLLogger`` and ``ClearMLParams`` (``clearml_logger_kwargs``).

``ClearMLLogger`` needs Lightning and loads on first use; using it needs the ``clearml`` package.
"""

from nemo._lazy import attach

_EXPORTS = {"ClearMLLogger": "expmanager.extra_loggers", "ClearMLParams": "expmanager.config"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
