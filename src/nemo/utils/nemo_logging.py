"""``nemo.utils.nemo_logging``: NeMo's ``Logger`` class, ``LogMode`` and the process-wide ``logging`` object."""

from expmanager.nemo_logging import Logger, LogMode, logging

__all__ = ["LogMode", "Logger", "logging"]
