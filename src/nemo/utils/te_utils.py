"""``nemo.utils.te_utils``: recognise Transformer Engine's FP8 tensors without importing it."""

from __future__ import annotations

from typing import Any

__all__ = ["is_float8tensor", "is_mxfp8tensor"]


def _is_named(tensor: Any, names: tuple[str, ...]) -> bool:
    return any(
        cls.__name__ in names and "transformer_engine" in cls.__module__ for cls in type(tensor).__mro__
    )


def is_float8tensor(tensor: Any) -> bool:
    """True for Transformer Engine's ``Float8Tensor`` (False when Transformer Engine is absent)."""
    return _is_named(tensor, ("Float8Tensor",))


def is_mxfp8tensor(tensor: Any) -> bool:
    """True for Transformer Engine's ``MXFP8Tensor`` (False when Transformer Engine is absent)."""
    return _is_named(tensor, ("MXFP8Tensor",))
