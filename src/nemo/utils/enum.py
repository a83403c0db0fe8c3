"""``nemo.utils.enum``: ``PrettyStrEnum``, a string enum whose bad values list the valid ones."""

from __future__ import annotations

from enum import Enum
from typing import Any

__all__ = ["PrettyStrEnum"]


class PrettyStrEnum(Enum):
    """A ``str`` enum: ``str(member)`` is its value, and an invalid value's error lists the valid ones."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: Any) -> Any:
        choices = ", ".join(f"`{member.value}`" for member in cls)
        raise ValueError(f"{value} is not a valid {cls.__name__}. Possible choices: {choices}")
