"""Neural types: declare what a module's inputs and outputs mean, and check it at call time.

A torch-free re-implementation of NeMo's neural types (``nemo.core.neural_types``) and ``@typecheck``:

>>> from neural_types import NeuralType, AxisKind, ChannelType
>>> NeuralType(("B", "D"), ChannelType()).axes[0].kind is AxisKind.Batch
True
"""

from __future__ import annotations

from neural_types import axes, comparison, elements, neural_type
from neural_types.axes import AxisKind, AxisKindAbstract, AxisType
from neural_types.comparison import NeuralTypeComparisonResult
from neural_types.elements import *  # noqa: F403 - the element classes are the public API
from neural_types.errors import (
    LightningNotInstalledException,
    NeMoBaseException,
    NeuralPortNameMismatchError,
    NeuralPortNmTensorMismatchError,
    NeuralTypeError,
)
from neural_types.neural_type import NeuralType
from neural_types.typecheck import (
    TypecheckMetadata,
    Typing,
    is_semantic_typecheck_enabled,
    is_typecheck_enabled,
    typecheck,
)

__version__ = "0.1.0"

__all__ = [
    "axes",
    "comparison",
    "elements",
    "neural_type",
    "AxisKind",
    "AxisKindAbstract",
    "AxisType",
    "NeuralTypeComparisonResult",
    "NeuralType",
    "NeuralTypeError",
    "NeMoBaseException",
    "LightningNotInstalledException",
    "NeuralPortNameMismatchError",
    "NeuralPortNmTensorMismatchError",
    "Typing",
    "TypecheckMetadata",
    "typecheck",
    "is_typecheck_enabled",
    "is_semantic_typecheck_enabled",
]
__all__ += elements.__all__
