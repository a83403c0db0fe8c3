"""``nemo.utils.decorators.experimental``: mark a function or class experimental (logs a warning on use)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["experimental"]

logger = logging.getLogger("nemo")


def experimental(wrapper: Callable[..., Any] | None = None, /, **_: Any) -> Any:
    """Decorate a function or class so that each use logs that it is experimental.

    Usable bare (``@experimental``) or called (``@experimental()``).
    """
    if wrapper is None:
        return experimental
    name = getattr(wrapper, "__qualname__", repr(wrapper))
    text = f"`{name}` is experimental and not ready for production yet. Use at your own risk."
    if isinstance(wrapper, type):
        original_init = wrapper.__init__  # type: ignore[misc]

        @functools.wraps(original_init)
        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            logger.warning(text)
            original_init(self, *args, **kwargs)

        wrapper.__init__ = init  # type: ignore[misc]
        return wrapper

    @functools.wraps(wrapper)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        logger.warning(text)
        return wrapper(*args, **kwargs)

    return wrapped
