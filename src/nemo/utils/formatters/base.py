"""``nemo.utils.formatters.base``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from nemo._unported import Unported

__all__ = ["BaseNeMoFormatter"]


class BaseNeMoFormatter(Unported):
    """NeMo's ``BaseNeMoFormatter``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.formatters.base.BaseNeMoFormatter"
