"""``nemo.utils.nvtx``: NVTX ranges for profilers, a no-op without CUDA."""

from __future__ import annotations

import sys

__all__ = ["nvtx_range_pop", "nvtx_range_push"]

_stack: list[str] = []


def _nvtx() -> object | None:
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    nvtx: object = torch.cuda.nvtx
    return nvtx


def nvtx_range_push(msg: str) -> None:
    """Open the NVTX range ``msg`` (recorded even without CUDA, so pops can be checked)."""
    _stack.append(msg)
    nvtx = _nvtx()
    if nvtx is not None:
        nvtx.range_push(msg)  # type: ignore[attr-defined]


def nvtx_range_pop(msg: str | None = None) -> None:
    """Close the innermost NVTX range.

    Raises:
        ValueError: No range is open, or ``msg`` is given and is not the innermost range's name.
    """
    if not _stack:
        raise ValueError("nvtx_range_pop() called with no open range; call nvtx_range_push(msg) first.")
    if msg is not None and _stack[-1] != msg:
        raise ValueError(f"nvtx_range_pop({msg!r}) does not match the innermost open range {_stack[-1]!r}.")
    _stack.pop()
    nvtx = _nvtx()
    if nvtx is not None:
        nvtx.range_pop()  # type: ignore[attr-defined]
