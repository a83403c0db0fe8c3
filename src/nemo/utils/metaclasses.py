"""``nemo.utils.metaclasses``: ``Singleton``, a metaclass giving one instance per class."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

__all__ = ["Singleton"]


class Singleton(type):
    """Metaclass: the first call of ``Cls(...)`` builds the instance, every later call returns it (thread-safe)."""

    _instances: ClassVar[dict[type, Any]] = {}
    _lock = threading.Lock()

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        """Return the class's one instance, building it on the first call."""
        if cls not in Singleton._instances:
            with Singleton._lock:
                if cls not in Singleton._instances:
                    Singleton._instances[cls] = super().__call__(*args, **kwargs)
        return Singleton._instances[cls]
