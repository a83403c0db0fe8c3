"""``nemo.utils.trainer_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = ["FlashPrecision", "HalfPrecisionForAudio", "resolve_trainer_cfg"]


class FlashPrecision(Unported):
    """NeMo's ``FlashPrecision``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.trainer_utils.FlashPrecision"


class HalfPrecisionForAudio(Unported):
    """NeMo's ``HalfPrecisionForAudio``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.trainer_utils.HalfPrecisionForAudio"


def resolve_trainer_cfg(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``resolve_trainer_cfg``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.trainer_utils.resolve_trainer_cfg")
