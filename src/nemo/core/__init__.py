"""``nemo.core``: NeMo's core API (``ModelPT``, ``NeuralModule``, neural types, ``typecheck``), loaded on first use.

The neural types are re-exported as in NeMo (``from nemo.core import NeuralType, ChannelType``); they are
torch-free. Classes that need torch or Lightning are imported when first touched.
"""

from nemo._lazy import attach
from neural_types import axes as _axes
from neural_types import comparison as _comparison
from neural_types import elements as _elements
from neural_types import neural_type as _neural_type
from neural_types.axes import *  # noqa: F403
from neural_types.comparison import *  # noqa: F403
from neural_types.elements import *  # noqa: F403
from neural_types.neural_type import *  # noqa: F403

_EXPORTS = {
    "ModelPT": "modelpt",
    "NeuralModule": "modelpt",
    "Serialization": "modelpt",
    "FileIO": "modelpt",
    "Model": "modelpt",
    "PretrainedModelInfo": "modelpt",
    "Exportable": "modelpt",
    "ExportFormat": "modelpt",
    "AccessMixin": "modelpt",
    "SaveRestoreConnector": "modelpt",
    "Typing": "neural_types",
    "typecheck": "neural_types",
    "is_typecheck_enabled": "neural_types",
}
__all__ = [*_EXPORTS, *_axes.__all__, *_comparison.__all__, *_elements.__all__, *_neural_type.__all__]  # noqa: PLE0604
__getattr__, __dir__ = attach(__name__, _EXPORTS)
