"""``nemo.utils.decorators.deprecated``: mark a function or class deprecated (warns once per name)."""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["deprecated"]

_WARNED: set[str] = set()


def deprecated(
    wrapped: Callable[..., Any] | None = None,
    version: str | None = None,
    explanation: str | None = None,
    wait_seconds: float = 0,
) -> Any:
    """Decorate ``wrapped`` so that its first use warns (``DeprecationWarning``) that it is deprecated.

    Usable bare (``@deprecated``) or with arguments (``@deprecated(version="2.0", explanation="use g")``).

    Args:
        wrapped: The function or class.
        version: The version in which it will be removed.
        explanation: What to use instead.
        wait_seconds: Seconds to pause after the warning, so it is noticed in logs.
    """
    if wrapped is None:
        return functools.partial(
            deprecated, version=version, explanation=explanation, wait_seconds=wait_seconds
        )

    name = getattr(wrapped, "__qualname__", repr(wrapped))
    message = f"{'Class' if isinstance(wrapped, type) else 'Function'} ``{name}`` is deprecated."
    if version is not None:
        message += f" It is going to be removed in the {version} version."
    if explanation is not None:
        message += f" {explanation}"

    def warn_once() -> None:
        if name not in _WARNED:
            _WARNED.add(name)
            warnings.warn(message, DeprecationWarning, stacklevel=3)
            if wait_seconds > 0:
                time.sleep(wait_seconds)

    if isinstance(wrapped, type):
        original_init = wrapped.__init__  # type: ignore[misc]

        @functools.wraps(original_init)
        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            warn_once()
            original_init(self, *args, **kwargs)

        wrapped.__init__ = init  # type: ignore[misc]
        return wrapped

    @functools.wraps(wrapped)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warn_once()
        return wrapped(*args, **kwargs)

    return wrapper
