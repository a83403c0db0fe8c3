"""``nemo.core.optim.adan``: ``Adan`` (optim-registry) and ``MultiTensorApply``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optim_registry.adan import Adan

__all__ = ["Adan", "MultiTensorApply"]


class MultiTensorApply:
    """Call a fused multi-tensor kernel (Apex's ``amp_C`` style) with a fixed chunk size.

    ``op(chunk_size, noop_flag, tensor_lists, *args)`` is what such kernels take; this object supplies the
    chunk size. nemo-core's ``Adan`` does not need it (it uses torch's ``_foreach`` operations).

    Args:
        chunk_size: Number of elements each kernel launch processes.
    """

    available = True
    warned = False

    def __init__(self, chunk_size: int) -> None:
        self.chunk_size = chunk_size

    def __call__(self, op: Callable[..., Any], noop_flag_buffer: Any, tensor_lists: Any, *args: Any) -> Any:
        """Run ``op`` over ``tensor_lists`` with this object's chunk size."""
        return op(self.chunk_size, noop_flag_buffer, tensor_lists, *args)
