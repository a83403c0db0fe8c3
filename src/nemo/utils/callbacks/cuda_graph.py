"""``nemo.utils.callbacks.cuda_graph``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from nemo._unported import Unported

__all__ = ["CUDAGraphCallback"]


class CUDAGraphCallback(Unported):
    """NeMo's ``CUDAGraphCallback``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.callbacks.cuda_graph.CUDAGraphCallback"
