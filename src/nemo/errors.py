"""Errors raised by the ``nemo`` meta-package's own modules (those no nemo-core package owns)."""

from __future__ import annotations

from neural_types.errors import NeMoBaseException

__all__ = ["NeMoCoreError", "OptionalDependencyError"]


class NeMoCoreError(NeMoBaseException):
    """Root of the meta-package's errors; a ``NeMoBaseException`` like every nemo-core error."""


class OptionalDependencyError(NeMoCoreError, ImportError):
    """A NeMo feature needs a library that is not installed here (Apex, Megatron Core, TensorRT, numba, ...).

    Args:
        library: The missing library's import name.
        feature: What was used (class or function name).
        install: How to install it.
    """

    def __init__(self, library: str, feature: str, install: str | None = None) -> None:
        hint = install or f"pip install {library}"
        super().__init__(
            f"{feature} needs the optional library {library!r}, which cannot be imported here. "
            f"Install it ({hint}) or do not use {feature}."
        )
        self.library = library
        self.feature = feature
        self.name = library


def require(library: str, feature: str, install: str | None = None) -> object:
    """Import ``library`` and return it.

    Raises:
        OptionalDependencyError: ``library`` cannot be imported.
    """
    import importlib  # noqa: PLC0415

    try:
        return importlib.import_module(library)
    except ImportError as exc:
        raise OptionalDependencyError(library, feature, install) from exc
