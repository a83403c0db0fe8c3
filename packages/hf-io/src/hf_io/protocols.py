"""What hf-io needs from a model class, as structural types (it never imports a model package)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Savable(Protocol):
    """A model that writes itself to a ``.nemo`` path (``ModelPT.save_to``)."""

    def save_to(self, save_path: str) -> Any:
        """Write the model to ``save_path``."""


@runtime_checkable
class Restorable(Protocol):
    """A model class that reads a ``.nemo`` file or unpacked folder back (``ModelPT.restore_from``)."""

    @classmethod
    def restore_from(cls, restore_path: str, *args: Any, **kwargs: Any) -> Any:
        """Build a model from ``restore_path``."""
