"""Errors of hf-io.

Every error says what was asked for, what was found, and what to do about it. Each also derives from the built-in
exception a caller of NeMo's API would catch for the same failure (``ValueError`` for bad arguments,
``FileNotFoundError`` for something missing on the Hub or in the cache, ``ConnectionError`` for an unreachable
Hub), so code written against NeMo keeps working.
"""

from __future__ import annotations


class HfIoError(Exception):
    """Base class of every hf-io error."""


class InvalidRepoIdError(HfIoError, ValueError):
    """A repository id that is not ``owner/name`` (optionally ``owner/name@revision`` where allowed)."""


class ModelCardError(HfIoError, ValueError):
    """A model card that cannot be generated (unknown ``type``)."""


class InvalidModelFilterError(HfIoError, ValueError):
    """A search filter with keys ``list_models`` does not accept."""


class ModelSaveError(HfIoError, TypeError):
    """The model cannot be saved for upload (no ``save_to``, or ``save_to`` did not write what it should)."""


class RepoNotFoundError(HfIoError, FileNotFoundError):
    """The repository does not exist on the Hub, or is private and the token cannot see it."""


class RevisionNotFoundError(HfIoError, FileNotFoundError):
    """The repository exists but has no such branch or commit."""


class NoNemoFileError(HfIoError, FileNotFoundError):
    """The repository holds neither a ``.nemo`` file nor an unpacked model (``model_config.yaml``)."""


class AmbiguousNemoFileError(HfIoError, ValueError):
    """The repository holds several ``.nemo`` files and none is named after it; the caller must pick one."""


class FileNotInRepoError(HfIoError, FileNotFoundError):
    """A file asked for by name is not in the repository at that revision."""


class NotCachedError(HfIoError, FileNotFoundError):
    """Offline (``HF_HUB_OFFLINE`` / ``local_files_only``) and the model is not in the local Hub cache."""


class HubUnreachableError(HfIoError, ConnectionError):
    """The Hub could not be reached and the model is not in the local cache."""


class UnsafeHubResponseError(HfIoError, ValueError):
    """The Hub answered with a name no cache path may be built from, or contradicted itself; nothing was written.

    A commit id that is not 40 hex digits, a file name with ``..`` or a leading ``/``, an ETag that is no token.
    """


class CorruptDownloadError(HfIoError, OSError):
    """A downloaded file does not match the size and hash the Hub announced for it; it was not cached."""


class DownloadError(HfIoError, ConnectionError):
    """A download failed midway (connection cut, body cut short) after its retries; no partial file is kept."""
