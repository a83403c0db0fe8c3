"""Hugging Face Hub IO for NeMo models: push, search and pull ``.nemo`` checkpoints without torch at import.

Quick use::

    from hf_io import HuggingFaceFileIO, resolve_pretrained


    class MyModel(HuggingFaceFileIO):  # anything with save_to(path) and restore_from(path)
        ...


    url = MyModel().push_to_hf_hub("me/my-model")  # one me/my-model/my-model.nemo + README.md
    path = resolve_pretrained("me/my-model")  # the cached .nemo (or unpacked folder)
    model = MyModel.restore_from(path)

``huggingface_hub`` is imported on first use, so ``import hf_io`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    AmbiguousNemoFileError,
    CorruptDownloadError,
    DownloadError,
    FileNotInRepoError,
    HfIoError,
    HubUnreachableError,
    InvalidModelFilterError,
    InvalidRepoIdError,
    ModelCardError,
    ModelSaveError,
    NoNemoFileError,
    NotCachedError,
    RepoNotFoundError,
    RevisionNotFoundError,
    UnsafeHubResponseError,
)
from .mixin import HuggingFaceFileIO
from .model_card import NEMO_DEFAULT_MODEL_CARD_TEMPLATE
from .protocols import Restorable, Savable
from .resolver import clear_unpacked_cache, is_hf_model_name, resolve_pretrained

__all__ = [
    "__version__",
    "HuggingFaceFileIO",
    "resolve_pretrained",
    "is_hf_model_name",
    "clear_unpacked_cache",
    "NEMO_DEFAULT_MODEL_CARD_TEMPLATE",
    "Savable",
    "Restorable",
    "HfIoError",
    "InvalidRepoIdError",
    "InvalidModelFilterError",
    "ModelCardError",
    "ModelSaveError",
    "RepoNotFoundError",
    "RevisionNotFoundError",
    "NoNemoFileError",
    "AmbiguousNemoFileError",
    "FileNotInRepoError",
    "NotCachedError",
    "HubUnreachableError",
    "UnsafeHubResponseError",
    "CorruptDownloadError",
    "DownloadError",
]
