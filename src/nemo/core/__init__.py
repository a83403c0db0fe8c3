"""``nemo.core``: NeMo's core API, re-exported from the nemo-core packages.

Attributes are resolved lazily so that ``import nemo.core`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

# attribute -> module that defines it
_LAZY: dict[str, str] = {
    "NeuralType": "neural_types",
    "NeuralTypeComparisonResult": "neural_types",
    "Typing": "neural_types",
    "typecheck": "neural_types",
    "is_typecheck_enabled": "neural_types",
}

__all__ = ["NeuralType", "NeuralTypeComparisonResult", "Typing", "is_typecheck_enabled", "typecheck"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nemo.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
