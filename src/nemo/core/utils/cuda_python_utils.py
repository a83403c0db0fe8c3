"""``nemo.core.utils.cuda_python_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "NeMoCUDAPythonException",
    "assert_drv",
    "check_cuda_python_cuda_graphs_conditional_nodes_supported",
    "cu_call",
    "run_nvrtc",
    "skip_cuda_python_test_if_cuda_graphs_conditional_nodes_not_supported",
    "with_conditional_node",
]


class NeMoCUDAPythonException(Unported):
    """NeMo's ``NeMoCUDAPythonException``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.utils.cuda_python_utils.NeMoCUDAPythonException"


def assert_drv(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``assert_drv``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.cuda_python_utils.assert_drv")


def check_cuda_python_cuda_graphs_conditional_nodes_supported(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``check_cuda_python_cuda_graphs_conditional_nodes_supported``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported(
        "nemo.core.utils.cuda_python_utils.check_cuda_python_cuda_graphs_conditional_nodes_supported"
    )


def cu_call(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``cu_call``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.cuda_python_utils.cu_call")


def run_nvrtc(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``run_nvrtc``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.cuda_python_utils.run_nvrtc")


def skip_cuda_python_test_if_cuda_graphs_conditional_nodes_not_supported(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``skip_cuda_python_test_if_cuda_graphs_conditional_nodes_not_supported``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported(
        "nemo.core.utils.cuda_python_utils.skip_cuda_python_test_if_cuda_graphs_conditional_nodes_not_supported"
    )


def with_conditional_node(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``with_conditional_node``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.cuda_python_utils.with_conditional_node")
