"""``nemo.core.classes.mixins.hf_io_mixin``: ``HuggingFaceFileIO``."""

from hf_io import HuggingFaceFileIO

__all__ = ["HuggingFaceFileIO"]
