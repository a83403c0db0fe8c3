"""``nemo.utils.msc_utils``: the optional Multi-Storage Client (``msc://`` URLs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nemo.errors import require

__all__ = ["import_multistorageclient", "is_multistorageclient_url"]

MULTISTORAGECLIENT_PROTOCOL = "msc://"


def import_multistorageclient() -> Any:
    """Import and return ``multistorageclient``.

    Raises:
        OptionalDependencyError: It is not installed.
    """
    return require("multistorageclient", "msc:// paths", "pip install multi-storage-client")


def is_multistorageclient_url(path: str | Path) -> bool:
    """True when ``path`` is an ``msc://`` URL (a ``Path`` never is)."""
    return isinstance(path, str) and path.startswith(MULTISTORAGECLIENT_PROTOCOL)
