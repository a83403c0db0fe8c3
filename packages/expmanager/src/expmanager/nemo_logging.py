"""NeMo's process-wide logger: ``from nemo.utils import logging`` (``expmanager.nemo_logging.logging``).

NeMo code logs through one object with the stdlib's level methods plus a few helpers: ``mode=LogMode.ONCE``
to say something once per process, ``set_verbosity`` / ``temp_verbosity``, file handlers for the experiment
directory, and redirection of Python warnings into the log. This module provides that object on top of the
standard ``logging`` module:

- Messages go to the stdlib logger ``nemo_logger`` (NeMo's name) and, because every nemo-core package logs to
  its own stdlib logger (``modelpt``, ``expmanager``, ``optim_registry``, ...), the handlers this logger
  installs are attached to those too, so a NeMo user sees the packages' messages as NeMo printed them.
- ``INFO`` and below go to stdout, ``WARNING`` and up to stderr (all to stderr when
  ``NEMO_REDIRECT_LOGS_TO_STDERR`` is true), formatted ``[NeMo I 2026-11-23 10:00:00 module:12] message``,
  coloured when ``NEMO_ENABLE_COLORING`` is true and the stream is a terminal.
- Only global rank 0 prints (rank from ``RANK``, ``SLURM_PROCID`` or ``OMPI_COMM_WORLD_RANK``), unless
  ``NEMO_TESTING`` is true, which also lowers the level to ``DEBUG`` and prints the rank on every line.

Nothing happens at ``import expmanager``: the logger is built when this module is first imported.
"""

from __future__ import annotations

import contextlib
import enum
import logging as _stdlib_logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from expmanager.constants import (
    NEMO_ENV_VARNAME_ENABLE_COLORING,
    NEMO_ENV_VARNAME_REDIRECT_LOGS_TO_STDERR,
    NEMO_ENV_VARNAME_TESTING,
)
from expmanager.logfiles import LIBRARY_LOGGERS, LOGGER_NAME

__all__ = [
    "LIBRARY_LOGGERS",
    "LOGGER_NAME",
    "LogMode",
    "Logger",
    "logging",
]

_RANK_VARIABLES = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK")
_COLOURS = {"D": "\033[36m", "I": "\033[32m", "W": "\033[33m", "E": "\033[31m", "C": "\033[35m"}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "y", "on"}


def _global_rank() -> int:
    for name in _RANK_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return 0


class LogMode(enum.IntEnum):
    """How often a message is emitted: ``EACH`` call, or only the first time its text is seen (``ONCE``)."""

    EACH = 0
    ONCE = 1


class _NeMoFormatter(_stdlib_logging.Formatter):
    """``[NeMo I 2026-11-23 10:00:00 module:12] message``; ``rank`` is shown when ``show_rank`` is set."""

    def __init__(self, colour: bool, show_rank: bool) -> None:
        super().__init__(datefmt="%Y-%m-%d %H:%M:%S")
        self._colour = colour
        self._show_rank = show_rank

    def format(self, record: _stdlib_logging.LogRecord) -> str:
        letter = record.levelname[:1]
        tag = f"{_COLOURS.get(letter, '')}{letter}\033[0m" if self._colour else letter
        rank = f" rank:{_global_rank()}" if self._show_rank else ""
        head = f"[NeMo {tag} {self.formatTime(record, self.datefmt)} {record.module}:{record.lineno}{rank}]"
        text = f"{head} {record.getMessage()}"
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        if record.stack_info:
            text = f"{text}\n{self.formatStack(record.stack_info)}"
        return text


class _MaxLevel(_stdlib_logging.Filter):
    """Pass records at or below ``level`` (keeps warnings off stdout when stderr gets them)."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self._level = level

    def filter(self, record: _stdlib_logging.LogRecord) -> bool:
        return record.levelno <= self._level


class Logger:
    """NeMo's logger object: stdlib level methods plus ``LogMode.ONCE``, verbosity and file helpers.

    Use the module's ``logging`` instance rather than creating another: every instance drives the same
    stdlib loggers.

    Args:
        capture_warnings: Send Python warnings through this logger (as NeMo does) instead of printing them.
    """

    NOTSET = _stdlib_logging.NOTSET
    DEBUG = _stdlib_logging.DEBUG
    INFO = _stdlib_logging.INFO
    WARNING = _stdlib_logging.WARNING
    ERROR = _stdlib_logging.ERROR
    CRITICAL = _stdlib_logging.CRITICAL

    def __init__(self, capture_warnings: bool = True) -> None:
        self._lock = threading.RLock()
        self._logger = _stdlib_logging.getLogger(LOGGER_NAME)
        # NeMo's messages are printed by this object's handlers, not again by the root logger's.
        self._logger.propagate = False
        self._handlers: dict[str, _stdlib_logging.Handler] = {}
        self._logged_once: set[str] = set()
        self._original_showwarning: Any = None
        self.rank: int = _global_rank()
        testing = _env_flag(NEMO_ENV_VARNAME_TESTING)
        if testing or self.rank == 0:
            self.add_stream_handlers()
        self.set_verbosity(self.DEBUG if testing else self.INFO)
        self.captureWarnings(capture_warnings)

    # ------------------------------------------------------------------ handlers
    def _targets(self) -> list[_stdlib_logging.Logger]:
        return [self._logger, *(_stdlib_logging.getLogger(name) for name in LIBRARY_LOGGERS)]

    def _attach(self, key: str, handler: _stdlib_logging.Handler) -> None:
        self._detach(key)
        self._handlers[key] = handler
        for logger in self._targets():
            logger.addHandler(handler)

    def _detach(self, key: str) -> None:
        handler = self._handlers.pop(key, None)
        if handler is None:
            return
        for logger in self._targets():
            logger.removeHandler(handler)
        if isinstance(handler, _stdlib_logging.FileHandler):
            handler.close()

    def _stream_handler(self, stream: TextIO, max_level: int | None) -> _stdlib_logging.Handler:
        colour = _env_flag(NEMO_ENV_VARNAME_ENABLE_COLORING) and bool(
            getattr(stream, "isatty", lambda: False)()
        )
        handler = _stdlib_logging.StreamHandler(stream)
        handler.setFormatter(_NeMoFormatter(colour, show_rank=_env_flag(NEMO_ENV_VARNAME_TESTING)))
        if max_level is not None:
            handler.addFilter(_MaxLevel(max_level))
        return handler

    def remove_stream_handlers(self) -> None:
        """Stop printing: detach the stdout/stderr handlers (file handlers stay)."""
        with self._lock:
            self._detach("stream_stdout")
            self._detach("stream_stderr")

    def add_stream_handlers(self) -> None:
        """Print ``INFO`` and below to stdout and ``WARNING`` and up to stderr (or all to stderr).

        Replaces any stream handlers added before. ``NEMO_REDIRECT_LOGS_TO_STDERR=1`` sends everything to
        stderr, for programs whose stdout carries data.
        """
        with self._lock:
            self.remove_stream_handlers()
            if _env_flag(NEMO_ENV_VARNAME_REDIRECT_LOGS_TO_STDERR):
                self._attach("stream_stderr", self._stream_handler(sys.stderr, None))
                return
            self._attach("stream_stdout", self._stream_handler(sys.stdout, self.INFO))
            stderr = self._stream_handler(sys.stderr, None)
            stderr.setLevel(self.WARNING)
            self._attach("stream_stderr", stderr)

    def reset_stream_handler(self) -> None:
        """Re-create the stream handlers (after ``sys.stdout`` / ``sys.stderr`` were replaced)."""
        self.add_stream_handlers()

    def patch_stdout_handler(self, stream: TextIO) -> None:
        """Send what would go to stdout to ``stream`` instead (e.g. a ``StringIO`` or a progress bar's writer)."""
        with self._lock:
            handler = self._stream_handler(stream, self.INFO)
            if "stream_stdout" not in self._handlers and "stream_stderr" in self._handlers:
                # Everything went to stderr: the new stdout stream takes the lower levels from now on.
                self._handlers["stream_stderr"].setLevel(self.WARNING)
            self._attach("stream_stdout", handler)

    def patch_stderr_handler(self, stream: TextIO) -> None:
        """Send warnings and errors to ``stream`` instead of stderr."""
        with self._lock:
            handler = self._stream_handler(stream, None)
            if "stream_stdout" in self._handlers:
                handler.setLevel(self.WARNING)
            self._attach("stream_stderr", handler)

    def add_file_handler(self, log_file: str | os.PathLike[str]) -> Path:
        """Append every message at the current verbosity to ``log_file`` (its directory must exist).

        Returns:
            The file's path.
        """
        return self._add_file("file", log_file, self.NOTSET)

    def add_err_file_handler(self, log_file: str | os.PathLike[str]) -> Path:
        """Append warnings and errors to ``log_file`` (its directory must exist).

        Returns:
            The file's path.
        """
        return self._add_file("file_err", log_file, self.WARNING)

    def _add_file(self, key: str, log_file: str | os.PathLike[str], level: int) -> Path:
        path = Path(log_file)
        if not path.parent.is_dir():
            raise FileNotFoundError(
                f"Cannot log to {str(path)!r}: its directory does not exist. Create the directory first "
                "(exp_manager creates the experiment directory before adding its log files)."
            )
        handler = _stdlib_logging.FileHandler(path, mode="a", encoding="utf-8")
        handler.setLevel(level)
        handler.setFormatter(_NeMoFormatter(colour=False, show_rank=True))
        with self._lock:
            self._attach(key, handler)
        return path

    # ------------------------------------------------------------------ verbosity
    def getEffectiveLevel(self) -> int:
        """The level below which messages are dropped."""
        return self._logger.getEffectiveLevel()

    def get_verbosity(self) -> int:
        """Same as :meth:`getEffectiveLevel`."""
        return self.getEffectiveLevel()

    def setLevel(self, verbosity_level: int) -> None:
        """Set the level of ``nemo_logger`` and of every nemo-core package's logger."""
        for logger in self._targets():
            logger.setLevel(verbosity_level)

    def set_verbosity(self, verbosity_level: int) -> None:
        """Same as :meth:`setLevel`."""
        self.setLevel(verbosity_level)

    @contextlib.contextmanager
    def temp_verbosity(self, verbosity_level: int) -> Iterator[None]:
        """Use ``verbosity_level`` inside the ``with`` block and restore each logger's level afterwards."""
        saved = [(logger, logger.level) for logger in self._targets()]
        self.setLevel(verbosity_level)
        try:
            yield
        finally:
            for logger, level in saved:
                logger.setLevel(level)

    # ------------------------------------------------------------------ warnings
    def captureWarnings(self, capture: bool) -> None:
        """Route Python warnings to this logger (``True``) or back to ``warnings``' own printing (``False``)."""
        with self._lock:
            if capture and self._original_showwarning is None:
                self._original_showwarning = warnings.showwarning
                warnings.showwarning = self._showwarning
            elif not capture and self._original_showwarning is not None:
                if warnings.showwarning == self._showwarning:
                    warnings.showwarning = self._original_showwarning
                self._original_showwarning = None

    def _showwarning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if file is not None:
            # An explicit destination (warnings.showwarning called directly) keeps the stdlib behaviour.
            original = self._original_showwarning or warnings.showwarning
            original(message, category, filename, lineno, file, line)
            return
        self.warning("%s:%s: %s: %s", filename, lineno, category.__name__, message)

    # ------------------------------------------------------------------ messages
    def _log(
        self, level: int, msg: object, args: tuple[Any, ...], mode: LogMode, kwargs: dict[str, Any]
    ) -> None:
        if not self._logger.isEnabledFor(level):
            return
        if mode == LogMode.ONCE:
            key = f"{level}:{msg}"
            with self._lock:
                if key in self._logged_once:
                    return
                self._logged_once.add(key)
        # stacklevel 3: report the caller of debug()/info()/..., not this helper or the level method.
        kwargs.setdefault("stacklevel", 3)
        self._logger.log(level, msg, *args, **kwargs)

    def debug(self, msg: object, *args: Any, mode: LogMode = LogMode.EACH, **kwargs: Any) -> None:
        """Log at ``DEBUG``; ``mode=LogMode.ONCE`` emits a given message only the first time."""
        self._log(self.DEBUG, msg, args, mode, kwargs)

    def info(self, msg: object, *args: Any, mode: LogMode = LogMode.EACH, **kwargs: Any) -> None:
        """Log at ``INFO``; ``mode=LogMode.ONCE`` emits a given message only the first time."""
        self._log(self.INFO, msg, args, mode, kwargs)

    def warning(self, msg: object, *args: Any, mode: LogMode = LogMode.EACH, **kwargs: Any) -> None:
        """Log at ``WARNING``; ``mode=LogMode.ONCE`` emits a given message only the first time."""
        self._log(self.WARNING, msg, args, mode, kwargs)

    def error(self, msg: object, *args: Any, mode: LogMode = LogMode.EACH, **kwargs: Any) -> None:
        """Log at ``ERROR``; ``mode=LogMode.ONCE`` emits a given message only the first time."""
        self._log(self.ERROR, msg, args, mode, kwargs)

    def critical(self, msg: object, *args: Any, mode: LogMode = LogMode.EACH, **kwargs: Any) -> None:
        """Log at ``CRITICAL``; ``mode=LogMode.ONCE`` emits a given message only the first time."""
        self._log(self.CRITICAL, msg, args, mode, kwargs)

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at ``ERROR`` with the traceback of the exception being handled."""
        kwargs.setdefault("exc_info", True)
        self._log(self.ERROR, msg, args, LogMode.EACH, kwargs)


logging = Logger()
