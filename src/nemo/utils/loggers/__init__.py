"""``nemo.utils.loggers``: the extra loggers of ``exp_manager`` and the types of their ``*_logger_kwargs``.

The parameter dataclasses are plain Python; the logger classes (which need Lightning) load on first use.
"""

from nemo._lazy import attach

_EXPORTS = {
    "ClearMLLogger": "expmanager.extra_loggers",
    "ClearMLParams": "expmanager.config",
    "DLLogger": "expmanager.extra_loggers",
    "DLLoggerParams": "expmanager.config",
    "MLFlowParams": "expmanager.config",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
