# ruff: noqa: PLC0415 - torch is imported when a restore runs, keeping `import modelpt` light.
"""Build a model without filling its weights, when a checkpoint is about to overwrite every one of them.

Constructing a model initialises each parameter (``nn.Linear`` draws Kaiming-uniform values, ``nn.Embedding``
normal ones, ...): for a 1 GB model that is seconds of work whose result ``restore_from`` throws away when it
loads the saved weights. Inside :func:`skip_weight_init`, ``torch.nn.init``'s fill functions return their
tensor untouched, so parameters are allocated but never written (the allocation is virtual memory until
touched, and the weights loaded in place replace it).

Only code that initialises through ``torch.nn.init`` is affected; direct calls such as ``tensor.normal_()`` or
``torch.randn`` still run. The patch is process-wide while active (a lock serialises restores), so a module
built concurrently in another thread would also be left unfilled.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["INIT_FUNCTIONS", "skip_weight_init"]

INIT_FUNCTIONS = (
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
)

_lock = threading.RLock()


def _keep(tensor: Any, *args: Any, **kwargs: Any) -> Any:
    return tensor


@contextlib.contextmanager
def skip_weight_init(enabled: bool = True) -> Iterator[None]:
    """Inside the block, ``torch.nn.init``'s fill functions leave tensors as allocated.

    Args:
        enabled: False makes the block a no-op (so callers need no second code path).
    """
    if not enabled:
        yield
        return
    from torch.nn import init

    with _lock:
        saved = {name: getattr(init, name) for name in INIT_FUNCTIONS if hasattr(init, name)}
        try:
            for name in saved:
                setattr(init, name, _keep)
            yield
        finally:
            for name, function in saved.items():
                setattr(init, name, function)
