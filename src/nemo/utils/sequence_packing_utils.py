"""``nemo.utils.sequence_packing_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = [
    "create_hist",
    "create_packing_strategy",
    "fill_packing_strategy",
    "find_first_bin_that_fits",
    "first_fit",
    "first_fit_decreasing",
    "first_fit_shuffle",
]


def create_hist(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``create_hist``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.sequence_packing_utils.create_hist")


def create_packing_strategy(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``create_packing_strategy``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.sequence_packing_utils.create_packing_strategy")


def fill_packing_strategy(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``fill_packing_strategy``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.sequence_packing_utils.fill_packing_strategy")


def find_first_bin_that_fits(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``find_first_bin_that_fits``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.sequence_packing_utils.find_first_bin_that_fits")


def first_fit(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``first_fit``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.sequence_packing_utils.first_fit")


def first_fit_decreasing(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``first_fit_decreasing``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.sequence_packing_utils.first_fit_decreasing")


def first_fit_shuffle(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``first_fit_shuffle``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.sequence_packing_utils.first_fit_shuffle")
