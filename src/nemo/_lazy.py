"""Lazy module attributes for the re-export packages of ``nemo``.

``import nemo.core`` must not import torch or Lightning: a package's names are looked up in their home module
on first access (PEP 562) and cached in the package afterwards. Subpackages and submodules of a package are
reachable as attributes too (``nemo.core.config.optimizers`` after ``import nemo.core.config``), as they are
in NeMo, whose packages import their submodules eagerly.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from typing import Any


def attach(
    package: str, exports: dict[str, str], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build ``__getattr__`` and ``__dir__`` for ``package``, whose names live in other modules.

    Args:
        package: The ``__name__`` of the re-exporting module.
        exports: Each public name mapped to the module that defines it.
        submodules: Names of the package's own submodules, imported when first touched as attributes.

    Returns:
        The module's ``__getattr__`` and ``__dir__`` functions.
    """
    children = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        source = exports.get(name)
        if source is not None:
            value = getattr(importlib.import_module(source), name)
        elif name in children:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports) | children)

    return __getattr__, __dir__
