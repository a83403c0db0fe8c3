"""``nemo.core.utils.optional_libs``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = [
    "CUDA_PYTHON_AVAILABLE",
    "K2_AVAILABLE",
    "KENLM_AVAILABLE",
    "NUMBA_AVAILABLE",
    "NUMBA_CUDA_AVAILABLE",
    "TRITON_AVAILABLE",
    "cuda_python_required",
    "k2_required",
    "kenlm_required",
    "numba_cuda_required",
    "numba_required",
    "triton_required",
]

CUDA_PYTHON_AVAILABLE: Any = None

K2_AVAILABLE: Any = None

KENLM_AVAILABLE: Any = None

NUMBA_AVAILABLE: Any = None

NUMBA_CUDA_AVAILABLE: Any = None

TRITON_AVAILABLE: Any = None


def cuda_python_required(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``cuda_python_required``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.optional_libs.cuda_python_required")


def k2_required(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``k2_required``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.optional_libs.k2_required")


def kenlm_required(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``kenlm_required``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.optional_libs.kenlm_required")


def numba_cuda_required(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``numba_cuda_required``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.optional_libs.numba_cuda_required")


def numba_required(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``numba_required``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.optional_libs.numba_required")


def triton_required(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``triton_required``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.optional_libs.triton_required")
