"""``nemo.utils.loggers.dllogger``: ``DLLogger`` and ``DLLoggerParams`` (``dllogger_logger_kwargs``).

``DLLogger`` needs Lightning and loads on first use; using it needs NVIDIA's ``dllogger`` package.
"""

from nemo._lazy import attach

_EXPORTS = {"DLLogger": "expmanager.extra_loggers", "DLLoggerParams": "expmanager.config"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
