"""``nemo.core.classes.common``: typing, serialization and file IO base classes."""

from modelpt import FileIO, Model, PretrainedModelInfo, Serialization
from neural_types import Typing, is_semantic_typecheck_enabled, is_typecheck_enabled, typecheck

__all__ = [
    "FileIO",
    "Model",
    "PretrainedModelInfo",
    "Serialization",
    "Typing",
    "is_semantic_typecheck_enabled",
    "is_typecheck_enabled",
    "typecheck",
]
