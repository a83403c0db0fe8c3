"""``nemo.utils.cast_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "CastToFloat",
    "CastToFloatAll",
    "avoid_bfloat16_autocast_context",
    "avoid_float16_autocast_context",
    "cast_all",
    "cast_tensor",
    "maybe_cast_to_type",
    "monkeypatched",
]


class CastToFloat(Unported):
    """NeMo's ``CastToFloat``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.cast_utils.CastToFloat"


class CastToFloatAll(Unported):
    """NeMo's ``CastToFloatAll``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.cast_utils.CastToFloatAll"


def avoid_bfloat16_autocast_context(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``avoid_bfloat16_autocast_context``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.cast_utils.avoid_bfloat16_autocast_context")


def avoid_float16_autocast_context(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``avoid_float16_autocast_context``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.cast_utils.avoid_float16_autocast_context")


def cast_all(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``cast_all``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.cast_utils.cast_all")


def cast_tensor(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``cast_tensor``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.cast_utils.cast_tensor")


def maybe_cast_to_type(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``maybe_cast_to_type``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.cast_utils.maybe_cast_to_type")


def monkeypatched(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``monkeypatched``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.cast_utils.monkeypatched")
