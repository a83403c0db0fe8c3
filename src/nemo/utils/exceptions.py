"""``nemo.utils.exceptions``: the root exception every nemo-core package's errors derive from, and ``CheckInstall``."""

from __future__ import annotations

from typing import Any

from neural_types.errors import LightningNotInstalledException, NeMoBaseException

__all__ = ["CheckInstall", "LightningNotInstalledException", "NeMoBaseException"]


class CheckInstall:
    """Stand-in for a class whose optional dependencies are missing: building or calling it raises.

    NeMo substitutes it for classes that need Lightning, Hydra and OmegaConf when they are not installed.

    Raises:
        LightningNotInstalledException: On construction, on any call, and on any attribute access.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise LightningNotInstalledException(self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Raise: calling a stand-in is using Lightning."""
        raise LightningNotInstalledException(self)

    def __getattr__(self, name: str) -> Any:
        raise LightningNotInstalledException(self)
