"""``nemo.core.utils.numba_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = [
    "is_numba_compat_strict",
    "is_numba_cuda_fp16_supported",
    "numba_cpu_is_supported",
    "numba_cuda_is_supported",
    "set_numba_compat_strictness",
    "skip_numba_cuda_test_if_unsupported",
    "with_numba_compat_strictness",
]


def is_numba_compat_strict(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``is_numba_compat_strict``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.numba_utils.is_numba_compat_strict")


def is_numba_cuda_fp16_supported(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``is_numba_cuda_fp16_supported``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.numba_utils.is_numba_cuda_fp16_supported")


def numba_cpu_is_supported(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``numba_cpu_is_supported``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.numba_utils.numba_cpu_is_supported")


def numba_cuda_is_supported(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``numba_cuda_is_supported``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.numba_utils.numba_cuda_is_supported")


def set_numba_compat_strictness(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``set_numba_compat_strictness``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.numba_utils.set_numba_compat_strictness")


def skip_numba_cuda_test_if_unsupported(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``skip_numba_cuda_test_if_unsupported``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.numba_utils.skip_numba_cuda_test_if_unsupported")


def with_numba_compat_strictness(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``with_numba_compat_strictness``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.numba_utils.with_numba_compat_strictness")
