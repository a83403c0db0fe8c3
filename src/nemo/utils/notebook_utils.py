"""``nemo.utils.notebook_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["build_manifest", "download_an4"]


def build_manifest(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``build_manifest``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.notebook_utils.build_manifest")


def download_an4(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``download_an4``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.notebook_utils.download_an4")
