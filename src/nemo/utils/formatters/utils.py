"""``nemo.utils.formatters.utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["check_color_support", "to_unicode"]


def check_color_support(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``check_color_support``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.formatters.utils.check_color_support")


def to_unicode(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``to_unicode``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.formatters.utils.to_unicode")
