"""``nemo.utils.distributed``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["gather_objects", "initialize_distributed", "temporary_directory", "webdataset_split_by_workers"]


def gather_objects(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``gather_objects``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.distributed.gather_objects")


def initialize_distributed(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``initialize_distributed``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.distributed.initialize_distributed")


def temporary_directory(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``temporary_directory``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.distributed.temporary_directory")


def webdataset_split_by_workers(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``webdataset_split_by_workers``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.distributed.webdataset_split_by_workers")
