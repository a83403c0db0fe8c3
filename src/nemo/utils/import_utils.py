"""``nemo.utils.import_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "UnavailableError",
    "UnavailableMeta",
    "UnavailableNullContext",
    "gpu_only_import",
    "gpu_only_import_from",
    "is_unavailable",
    "null_decorator",
    "safe_import",
    "safe_import_from",
]


class UnavailableError(Unported):
    """NeMo's ``UnavailableError``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.import_utils.UnavailableError"


class UnavailableMeta(Unported):
    """NeMo's ``UnavailableMeta``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.import_utils.UnavailableMeta"


class UnavailableNullContext(Unported):
    """NeMo's ``UnavailableNullContext``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.import_utils.UnavailableNullContext"


def gpu_only_import(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``gpu_only_import``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.import_utils.gpu_only_import")


def gpu_only_import_from(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``gpu_only_import_from``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.import_utils.gpu_only_import_from")


def is_unavailable(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``is_unavailable``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.import_utils.is_unavailable")


def null_decorator(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``null_decorator``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.import_utils.null_decorator")


def safe_import(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``safe_import``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.import_utils.safe_import")


def safe_import_from(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``safe_import_from``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.import_utils.safe_import_from")
