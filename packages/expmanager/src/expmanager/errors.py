"""The exceptions exp_manager raises.

NeMo's class names are kept (``NeMoBaseException``, ``NotFoundError``, ``LoggerMisconfigurationError``,
``CheckpointMisconfigurationError``) so that ``except`` clauses written against NeMo keep working. Every
exception carries its text both in ``str(exc)`` and in ``exc.message`` (NeMo only set the latter).
"""

from __future__ import annotations

from neural_types.errors import NeMoBaseException

__all__ = [
    "NeMoBaseException",
    "ExpManagerError",
    "ConfigError",
    "NotFoundError",
    "LoggerMisconfigurationError",
    "CheckpointMisconfigurationError",
    "ResumeError",
    "MissingPackageError",
    "config_error",
]


class ExpManagerError(NeMoBaseException):
    """Root of every exception raised by expmanager.

    A subclass of neural-types' ``NeMoBaseException``, the root shared with modelpt's errors, so
    ``except NeMoBaseException`` catches the errors of either package.
    """


class ConfigError(ExpManagerError, ValueError):
    """The exp_manager configuration has unknown keys, wrong types or settings that contradict each other.

    Subclasses ``ValueError`` because NeMo raised ``ValueError`` (or an omegaconf error) for these cases.
    """


class NotFoundError(ExpManagerError):
    """``resume_if_exists`` found no checkpoint and ``resume_ignore_no_checkpoint`` is False."""


class LoggerMisconfigurationError(ExpManagerError):
    """The trainer's logger setup clashes with what exp_manager was asked to create."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message
            + " You can disable lightning's trainer from creating a logger by passing logger=False to its "
            "constructor."
        )


class CheckpointMisconfigurationError(ExpManagerError):
    """The trainer's checkpointing clashes with the checkpoint callback exp_manager was asked to create."""


class ResumeError(ExpManagerError, ValueError):
    """The checkpoints found for ``resume_if_exists`` are ambiguous, or the run already finished.

    Subclasses ``ValueError`` because NeMo raised ``ValueError`` in these cases.
    """


class MissingPackageError(ExpManagerError, ImportError):
    """An optional feature was switched on but the package it needs is not installed."""

    def __init__(self, feature: str, package: str, extra: str | None = None) -> None:
        hint = f"pip install 'expmanager[{extra}]'" if extra else f"pip install {package}"
        super().__init__(
            f"{feature} was requested but the package {package!r} is not installed. Install it ({hint}) or "
            f"switch {feature} off."
        )
        self.package = package


_OMEGACONF_FLAVOURED: type[ConfigError] | None = None


def config_error(message: str) -> ConfigError:
    """A ``ConfigError`` that is also omegaconf's ``ValidationError`` when omegaconf is installed.

    NeMo validated ``exp_manager``'s cfg by merging it into a structured config, so its callers catch
    ``omegaconf.errors.OmegaConfBaseException``; this error satisfies both kinds of ``except`` clause.
    """
    global _OMEGACONF_FLAVOURED  # noqa: PLW0603 - one class, built on first use (omegaconf loads lazily)
    if _OMEGACONF_FLAVOURED is None:
        try:
            from omegaconf.errors import ValidationError  # noqa: PLC0415 - not imported with the package
        except ImportError:  # pragma: no cover - omegaconf is a dependency
            return ConfigError(message)
        _OMEGACONF_FLAVOURED = type(
            "ConfigValidationError",
            (ConfigError, ValidationError),
            {"__module__": __name__, "__doc__": "A ConfigError that is also omegaconf's ValidationError."},
        )
    error = _OMEGACONF_FLAVOURED(message)
    error.msg = message  # type: ignore[attr-defined]
    return error
