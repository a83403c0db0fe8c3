"""``nemo.utils.dependency``: check for and import optional dependencies with a clear error."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from nemo.errors import OptionalDependencyError

__all__ = ["assert_optional_dependency_available", "import_optional_dependency", "is_module_available"]


def is_module_available(*modules: str) -> bool:
    """True when every one of ``modules`` can be found (without importing it)."""
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


def assert_optional_dependency_available(module_name: str, *, pip_name: str | None = None) -> None:
    """Raise unless ``module_name`` can be found.

    Raises:
        OptionalDependencyError: It is not installed (the message says what to ``pip install``).
    """
    if not is_module_available(module_name):
        raise OptionalDependencyError(module_name, module_name, f"pip install {pip_name or module_name}")


def import_optional_dependency(module_name: str, *, pip_name: str | None = None) -> ModuleType:
    """Import and return ``module_name``.

    Raises:
        OptionalDependencyError: It is not installed.
    """
    assert_optional_dependency_available(module_name, pip_name=pip_name)
    return importlib.import_module(module_name)
