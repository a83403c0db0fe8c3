"""Placeholders for the parts of NeMo's module tree that nemo-core does not implement.

NeMo 3.0.0 ships some utilities that belong to its collections, Megatron/Apex integration, cloud storage or
notebooks. Their modules exist here with NeMo's names, so ``import`` statements in NeMo code keep working;
using one of these names raises :class:`NotPortedError`, which says so and names the name. The list is in
``docs/migrating-from-nemo.md``.
"""

from __future__ import annotations

from typing import Any

from nemo.errors import NeMoCoreError

__all__ = ["NotPortedError", "Unported", "unported"]


class NotPortedError(NeMoCoreError, NotImplementedError):
    """A NeMo name that nemo-core keeps importable but does not implement.

    Args:
        qualname: The full dotted name that was used.
    """

    def __init__(self, qualname: str) -> None:
        super().__init__(
            f"{qualname} is part of NeMo 3.0.0's API, but nemo-core does not implement it (it belongs to NeMo's "
            "collections, Megatron/Apex integration or cloud tooling). Use nemo_toolkit for it, or open an issue "
            "describing what you need."
        )
        self.qualname = qualname


def unported(qualname: str) -> NotPortedError:
    """The error to raise for ``qualname``."""
    return NotPortedError(qualname)


class Unported:
    """Base of placeholder classes: instantiating one raises :class:`NotPortedError`."""

    _nemo_qualname = "nemo"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotPortedError(type(self)._nemo_qualname)
