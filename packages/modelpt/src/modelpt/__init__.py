"""NeMo's ``NeuralModule`` and ``ModelPT`` on Lightning, with ``.nemo`` save/restore on nemo-archive.

Exports load on first use, so ``from modelpt import NeuralModule`` imports torch but not Lightning, and
``import modelpt`` alone imports neither::

    from modelpt import ModelPT, NeuralModule, SaveRestoreConnector
"""

from __future__ import annotations

import importlib
from typing import Any

# `typing.TYPE_CHECKING` without importing more than needed; mypy treats this name as True.
TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "AppState": "app_state",
    "ModelPT": "modelpt",
    "Model": "model",
    "NeuralModule": "module",
    "freeze": "module",
    "unfreeze": "module",
    "Serialization": "serialization",
    "FileIO": "serialization",
    "PretrainedModelInfo": "pretrained",
    "resolve_cache_dir": "pretrained",
    "Exportable": "exportable",
    "ExportFormat": "exportable",
    "AccessMixin": "access_mixin",
    "set_access_cfg": "access_mixin",
    "SaveRestoreConnector": "save_restore_connector",
    "ArtifactItem": "save_restore_connector",
    "ArtifactPathType": "save_restore_connector",
    "hydra_runner": "hydra_runner",
    "NeMoBaseException": "errors",
    "ModelPTError": "errors",
    "ConfigError": "errors",
    "TargetClassError": "errors",
    "ArtifactError": "errors",
    "RestoreError": "errors",
    "NotSupportedError": "errors",
    "ExportError": "errors",
    "MissingDependencyError": "errors",
}

__all__ = [
    "__version__",
    "AppState",
    "ModelPT",
    "Model",
    "NeuralModule",
    "freeze",
    "unfreeze",
    "Serialization",
    "FileIO",
    "PretrainedModelInfo",
    "resolve_cache_dir",
    "Exportable",
    "ExportFormat",
    "AccessMixin",
    "set_access_cfg",
    "SaveRestoreConnector",
    "ArtifactItem",
    "ArtifactPathType",
    "hydra_runner",
    "NeMoBaseException",
    "ModelPTError",
    "ConfigError",
    "TargetClassError",
    "ArtifactError",
    "RestoreError",
    "NotSupportedError",
    "ExportError",
    "MissingDependencyError",
]

if TYPE_CHECKING:
    from .access_mixin import AccessMixin, set_access_cfg
    from .app_state import AppState
    from .errors import (
        ArtifactError,
        ConfigError,
        ExportError,
        MissingDependencyError,
        ModelPTError,
        NeMoBaseException,
        NotSupportedError,
        RestoreError,
        TargetClassError,
    )
    from .exportable import Exportable, ExportFormat
    from .hydra_runner import hydra_runner
    from .model import Model
    from .modelpt import ModelPT
    from .module import NeuralModule, freeze, unfreeze
    from .pretrained import PretrainedModelInfo, resolve_cache_dir
    from .save_restore_connector import ArtifactItem, ArtifactPathType, SaveRestoreConnector
    from .serialization import FileIO, Serialization


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modelpt' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
