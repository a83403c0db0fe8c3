"""``nemo.core.utils.neural_type_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["extract_dynamic_axes", "get_dynamic_axes", "get_io_names"]


def extract_dynamic_axes(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``extract_dynamic_axes``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.neural_type_utils.extract_dynamic_axes")


def get_dynamic_axes(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_dynamic_axes``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.neural_type_utils.get_dynamic_axes")


def get_io_names(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_io_names``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.neural_type_utils.get_io_names")
