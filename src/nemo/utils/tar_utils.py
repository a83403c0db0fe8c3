"""``nemo.utils.tar_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = ["TarPathTraversalError", "is_safe_tar_member", "safe_extract"]


class TarPathTraversalError(Unported):
    """NeMo's ``TarPathTraversalError``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.tar_utils.TarPathTraversalError"


def is_safe_tar_member(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``is_safe_tar_member``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.tar_utils.is_safe_tar_member")


def safe_extract(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``safe_extract``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.tar_utils.safe_extract")
