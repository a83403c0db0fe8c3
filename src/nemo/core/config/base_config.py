"""``nemo.core.config.base_config``: ``Config``, the base of NeMo's named config dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Config"]


@dataclass
class Config:
    """Base of NeMo's config dataclasses that carry an optional ``name``.

    Args:
        name: The name of the configured object (``None`` when unnamed).
    """

    name: str | None = None
