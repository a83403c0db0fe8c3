"""``nemo.utils.formatters.colors``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "AnsiBack",
    "AnsiCodes",
    "AnsiCursor",
    "AnsiFore",
    "AnsiStyle",
    "clear_line",
    "clear_screen",
    "code_to_chars",
    "set_title",
]


class AnsiBack(Unported):
    """NeMo's ``AnsiBack``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.formatters.colors.AnsiBack"


class AnsiCodes(Unported):
    """NeMo's ``AnsiCodes``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.formatters.colors.AnsiCodes"


class AnsiCursor(Unported):
    """NeMo's ``AnsiCursor``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.formatters.colors.AnsiCursor"


class AnsiFore(Unported):
    """NeMo's ``AnsiFore``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.formatters.colors.AnsiFore"


class AnsiStyle(Unported):
    """NeMo's ``AnsiStyle``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.formatters.colors.AnsiStyle"


def clear_line(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``clear_line``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.formatters.colors.clear_line")


def clear_screen(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``clear_screen``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.formatters.colors.clear_screen")


def code_to_chars(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``code_to_chars``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.formatters.colors.code_to_chars")


def set_title(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``set_title``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.formatters.colors.set_title")
