"""Downloads that trust nothing the Hub says: names are checked before a path is built, bytes before they are kept.

The Hub supplies commit ids, file names (listings) and, per file, a commit, an ETag and a size (the ``HEAD``
answer, LFS files through ``X-Linked-Etag`` / ``X-Linked-Size``). Every one of them ends up in a cache path, so
each is checked first: commits must be 40 lowercase hex digits, ETags plain tokens (letters, digits, ``-``,
``_``), file names plain relative paths. A file is fetched through ``huggingface_hub`` (its cache layout, its
resume and its partial-file handling) only once its ``HEAD`` answer passed, then its bytes are checked against
the announced size and hash; a mismatch removes it from the cache and raises :class:`CorruptDownloadError`.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from . import __version__, _hub
from .errors import CorruptDownloadError, FileNotInRepoError, UnsafeHubResponseError

COMMIT = re.compile(r"^[0-9a-f]{40}$")
HASH = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")  # git blob id, or the SHA-256 of an LFS file
ETAG = re.compile(r"^[0-9A-Za-z_-]{8,128}$")  # what may become a blob file name at all
MAX_NAME = 4096
_CHUNK = 8 * 1024 * 1024


def check_commit(sha: object, what: str) -> str:
    """Return ``sha`` if it is a full commit id (40 lowercase hex digits).

    Raises:
        UnsafeHubResponseError: Anything else (``../victim``, a branch name, an empty value, not a string).
    """
    if not isinstance(sha, str) or not COMMIT.match(sha):
        raise UnsafeHubResponseError(
            f"the Hub answered {what} with commit id {sha!r}; a commit id is 40 hex digits. Refusing to build "
            "a cache path from it: check HF_ENDPOINT / api_endpoint points at a genuine Hub."
        )
    return sha


def check_filename(name: object, what: str) -> str:
    """Return ``name`` if it is a plain relative POSIX path inside a repository.

    Raises:
        UnsafeHubResponseError: Absolute paths, ``..`` or ``.`` components, empty components, backslashes,
            drive letters, NUL or other control characters, or an over-long name.
    """
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_NAME
        or any(p in ("", ".", "..") for p in name.split("/"))
        or "\\" in name
        or ":" in name.split("/")[0]
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ):
        raise UnsafeHubResponseError(
            f"the Hub listed file {name!r} in {what}; file names must be plain relative paths (no '..', no "
            "leading '/', no backslashes or control characters). Refusing to write it: check HF_ENDPOINT / "
            "api_endpoint points at a genuine Hub."
        )
    return name


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (all symlinks resolved) lies under ``root`` (resolved)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base + os.sep)


def fetch(
    repo_id: str, filename: str, commit: str, url: str, token: Any, refresh: bool, storage: Path
) -> Path:
    """Download ``filename`` of ``repo_id`` at ``commit`` into the Hub cache, checked; return its snapshot path.

    Raises:
        FileNotInRepoError: The file is not at that commit.
        UnsafeHubResponseError: The ``HEAD`` answer names another commit, or an ETag that is not a hash.
        CorruptDownloadError: The bytes do not match the announced size and hash (nothing is kept).
    """
    hf = _hub.hf()
    pointer = storage / "snapshots" / commit / filename
    if not refresh and pointer.is_file() and inside(pointer, storage):
        return pointer  # cached, and checked when it was downloaded
    label = f"{repo_id}@{commit}/{filename}"
    try:
        meta = hf.get_hf_file_metadata(
            hf.hf_hub_url(repo_id, filename, revision=commit, endpoint=url),
            token=token,
            library_name=_hub.LIBRARY_NAME,
            library_version=__version__,
            endpoint=url,
        )
    except _hub.hf_errors().RemoteEntryNotFoundError as exc:
        raise FileNotInRepoError(f"{filename!r} is not in {repo_id}@{commit}; try again.") from exc
    etag = (meta.etag or "").removeprefix("W/").strip('"')
    if meta.commit_hash != commit:
        check_commit(meta.commit_hash, f"the download of {label}")
        raise UnsafeHubResponseError(
            f"the Hub served {label} from commit {meta.commit_hash}, not the one it listed; retry the download."
        )
    if not ETAG.match(etag) or not isinstance(meta.size, int) or meta.size < 0:
        raise UnsafeHubResponseError(
            f"the Hub announced {label} with ETag {meta.etag!r} and size {meta.size!r}; expected a hash (hex "
            "digits) and a byte count. Refusing to cache it."
        )
    blob = storage / "blobs" / etag
    known = blob.is_file() and not refresh
    path = Path(
        hf.hf_hub_download(
            repo_id,
            filename,
            revision=commit,
            endpoint=url,
            token=token,
            force_download=refresh,
            library_name=_hub.LIBRARY_NAME,
            library_version=__version__,
            tqdm_class=_hub.progress_bar_class(),
        )
    )
    if not inside(path, storage):
        raise UnsafeHubResponseError(
            f"the download of {label} ended outside the cache ({path}); refusing it."
        )
    if not known:
        _verify(path, etag, meta.size, label)
    return path


def _verify(path: Path, etag: str, size: int, label: str) -> None:
    """Check the downloaded bytes against the size and hash the Hub announced; drop them from the cache if wrong."""
    real = Path(os.path.realpath(path))
    actual_size = real.stat().st_size
    digest = hashlib.sha256() if len(etag) == 64 else hashlib.sha1(f"blob {actual_size}\0".encode())
    if HASH.match(etag):
        with open(real, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    if actual_size == size and (digest.hexdigest() == etag or not HASH.match(etag)):
        return  # an ETag that is no known hash (another server's scheme) is checked by size only
    for leftover in (path, real):
        leftover.unlink(missing_ok=True)
    kind = "SHA-256" if len(etag) == 64 else "git blob id"
    raise CorruptDownloadError(
        f"the download of {label} does not match what the Hub announced ({actual_size} bytes with {kind} "
        f"{digest.hexdigest()}; expected {size} bytes with {etag}); it was not cached. Retry; if it persists, the "
        "Hub or a proxy between is serving wrong bytes."
    )
