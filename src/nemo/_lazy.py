"""Lazy module attributes for the re-export packages of ``nemo``.

``import nemo.core`` must not import torch or Lightning: a package's names are looked up in their home module
on first access (PEP 562) and cached in the package afterwards.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def attach(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build ``__getattr__`` and ``__dir__`` for ``package``, whose names live in other modules.

    Args:
        package: The ``__name__`` of the re-exporting module.
        exports: Each public name mapped to the module that defines it.

    Returns:
        The module's ``__getattr__`` and ``__dir__`` functions.
    """

    def __getattr__(name: str) -> Any:
        source = exports.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
