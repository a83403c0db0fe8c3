"""``nemo.core.classes.mixins``: the access and Hugging Face mixins, loaded on first use."""

from nemo._lazy import attach

_EXPORTS = {
    "AccessMixin": "modelpt",
    "set_access_cfg": "modelpt",
    "HuggingFaceFileIO": "hf_io",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
