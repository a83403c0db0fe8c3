"""``nemo.core.classes``: the core classes, loaded on first use."""

from nemo._lazy import attach

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
    "freeze": "modelpt",
    "unfreeze": "modelpt",
    "set_access_cfg": "modelpt",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
