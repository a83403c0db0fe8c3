"""``nemo.utils.trt_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["build_engine"]


def build_engine(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``build_engine``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.trt_utils.build_engine")
