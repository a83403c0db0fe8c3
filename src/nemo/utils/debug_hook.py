"""``nemo.utils.debug_hook``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["get_backward_hook", "get_forward_hook", "get_tensor_hook", "register_debug_hooks"]


def get_backward_hook(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_backward_hook``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.debug_hook.get_backward_hook")


def get_forward_hook(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_forward_hook``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.debug_hook.get_forward_hook")


def get_tensor_hook(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_tensor_hook``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.debug_hook.get_tensor_hook")


def register_debug_hooks(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``register_debug_hooks``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.debug_hook.register_debug_hooks")
