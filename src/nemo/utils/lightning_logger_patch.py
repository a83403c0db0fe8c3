"""``nemo.utils.lightning_logger_patch``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["add_filehandlers_to_pl_logger", "add_memory_handlers_to_pl_logger"]


def add_filehandlers_to_pl_logger(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``add_filehandlers_to_pl_logger``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.lightning_logger_patch.add_filehandlers_to_pl_logger")


def add_memory_handlers_to_pl_logger(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``add_memory_handlers_to_pl_logger``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.lightning_logger_patch.add_memory_handlers_to_pl_logger")
