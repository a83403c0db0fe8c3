"""``nemo.utils.mcore_logger``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["add_handlers_to_mcore_logger"]


def add_handlers_to_mcore_logger(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``add_handlers_to_mcore_logger``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.mcore_logger.add_handlers_to_mcore_logger")
