"""``nemo.utils.callbacks.dist_ckpt_io``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from nemo._unported import Unported

__all__ = [
    "AsyncCompatibleCheckpointIO",
    "AsyncFinalizableCheckpointIO",
    "AsyncFinalizerCallback",
    "DistributedCheckpointIO",
]


class AsyncCompatibleCheckpointIO(Unported):
    """NeMo's ``AsyncCompatibleCheckpointIO``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.callbacks.dist_ckpt_io.AsyncCompatibleCheckpointIO"


class AsyncFinalizableCheckpointIO(Unported):
    """NeMo's ``AsyncFinalizableCheckpointIO``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.callbacks.dist_ckpt_io.AsyncFinalizableCheckpointIO"


class AsyncFinalizerCallback(Unported):
    """NeMo's ``AsyncFinalizerCallback``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.callbacks.dist_ckpt_io.AsyncFinalizerCallback"


class DistributedCheckpointIO(Unported):
    """NeMo's ``DistributedCheckpointIO``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.callbacks.dist_ckpt_io.DistributedCheckpointIO"
