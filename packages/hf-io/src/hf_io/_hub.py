"""The one place hf-io reaches ``huggingface_hub``: lazy import, endpoint, offline switch, repo ids.

``huggingface_hub`` costs a few hundred milliseconds to import, so it is imported on first use only. Its module
constants are read from the environment once, when it is imported; the endpoint and the offline switch are read
here at call time as well, so ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` set after the first import still apply.
"""

from __future__ import annotations

import importlib
import os
import re
from types import ModuleType
from typing import Any, ClassVar

from . import __version__
from .errors import InvalidRepoIdError

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_REVISION = "main"
LIBRARY_NAME = "nemo"
_TRUE = {"1", "ON", "YES", "TRUE"}
# The Hub's rule for user, organization and repository names.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
REPO_ID = re.compile(rf"^{_NAME}/{_NAME}$")


def hf() -> ModuleType:
    """The ``huggingface_hub`` module, imported on first use."""
    return importlib.import_module("huggingface_hub")


def hf_errors() -> ModuleType:
    """``huggingface_hub.errors`` (``RepositoryNotFoundError``, ``RevisionNotFoundError``, ...)."""
    return importlib.import_module("huggingface_hub.errors")


def endpoint(api_endpoint: str | None = None) -> str:
    """The Hub to talk to: ``api_endpoint``, else ``HF_ENDPOINT`` now, else the one the client was started with."""
    if api_endpoint:
        return api_endpoint.rstrip("/")
    from_env = os.environ.get("HF_ENDPOINT")
    if from_env:
        return from_env.rstrip("/")
    return str(getattr(importlib.import_module("huggingface_hub.constants"), "ENDPOINT", DEFAULT_ENDPOINT))


def offline(local_files_only: bool = False) -> bool:
    """True when only the local cache may be used (argument, ``HF_HUB_OFFLINE`` now or at client import)."""
    if local_files_only:
        return True
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").upper() in _TRUE:
            return True
    return bool(getattr(importlib.import_module("huggingface_hub.constants"), "HF_HUB_OFFLINE", False))


def connection_errors() -> tuple[type[BaseException], ...]:
    """Exception types meaning "the Hub could not be reached" (including the client's own offline switch).

    ``huggingface_hub`` raises its HTTP library's errors for refused connections and timeouts; that library is
    ``httpx`` or its fork ``httpx2`` depending on the client version, so both are looked up.
    """
    found: list[type[BaseException]] = [hf_errors().OfflineModeIsEnabled]
    for module_name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.extend(getattr(module, n) for n in ("ConnectError", "TimeoutException") if hasattr(module, n))
    return tuple(found)


def failed_midway(exc: BaseException) -> bool:
    """Whether ``exc`` is a download that failed midway after the client's own retries.

    The HTTP library's transport errors (connection cut, body cut short, timeouts) and the ``OSError`` the client
    raises when fewer bytes arrived than announced ("Consistency check failed").
    """
    if isinstance(exc, OSError) and str(exc).startswith("Consistency check failed"):
        return True
    for module_name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if isinstance(exc, getattr(module, "TransportError", ())):
            return True
    return False


def split_model_name(model_name: str) -> tuple[str, str | None]:
    """Split ``owner/name[@revision]`` into the repository id and the revision (None when not given).

    Raises:
        InvalidRepoIdError: Not of that form.
    """
    repo_id, at, revision = model_name.partition("@")
    if at and not revision:
        raise InvalidRepoIdError(
            f"{model_name!r} ends with '@' but names no revision; write 'owner/name@branch-or-commit' or drop '@'."
        )
    return check_repo_id(repo_id, original=model_name), (revision or None)


def check_repo_id(repo_id: Any, *, original: str | None = None) -> str:
    """Return ``repo_id`` if it is exactly ``owner/name``.

    Raises:
        InvalidRepoIdError: Anything else (no owner, extra path segments, characters the Hub refuses).
    """
    if not isinstance(repo_id, str) or not REPO_ID.match(repo_id):
        shown = original if original is not None else repo_id
        raise InvalidRepoIdError(
            f"invalid Hugging Face repository id {shown!r}: expected exactly 'owner/name' (for example "
            "'nvidia/parakeet-tdt-0.6b-v2'), with letters, digits, '-', '_' or '.' in each part."
        )
    return repo_id


def api(endpoint_url: str, token: str | bool | None) -> Any:
    """An ``HfApi`` client for ``endpoint_url`` that reports itself as the ``nemo`` library."""
    return hf().HfApi(
        endpoint=endpoint_url, token=token, library_name=LIBRARY_NAME, library_version=__version__
    )


_PROGRESS: type[Any] | None = None


def progress_bar_class() -> type[Any]:
    """A tqdm class for downloads that shows progress even when stderr is not a terminal (logs, CI, jobs).

    ``huggingface_hub``'s own bars switch themselves off without a terminal; downloads of large checkpoints
    then look hung. This one is plain tqdm, still honouring ``HF_HUB_DISABLE_PROGRESS_BARS`` and
    ``huggingface_hub.utils.disable_progress_bars()`` (the variable is read at each download).
    """
    global _PROGRESS  # noqa: PLW0603 - built once, on first use, so tqdm is imported lazily
    if _PROGRESS is None:
        base = importlib.import_module("tqdm").tqdm
        disabled = importlib.import_module("huggingface_hub.utils").are_progress_bars_disabled

        class DownloadProgress(base):  # type: ignore[misc, valid-type]
            """tqdm that is on unless the Hub client's progress bars are disabled."""

            # snapshot_download leaves its byte bars open; close_progress_bars() closes them.
            created: ClassVar[list[Any]] = []

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs.pop("name", None)
                switched_off = os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS", "").upper() in _TRUE
                kwargs["disable"] = bool(kwargs.get("disable")) or switched_off or disabled()
                super().__init__(*args, **kwargs)
                DownloadProgress.created.append(self)

        _PROGRESS = DownloadProgress
    return _PROGRESS


def close_progress_bars() -> None:
    """Close the download bars still open (so their last line is printed now, not at interpreter exit)."""
    if _PROGRESS is not None:
        while _PROGRESS.created:
            _PROGRESS.created.pop().close()
