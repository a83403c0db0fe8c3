"""Find a NeMo model on the Hub and bring it into the local cache: the Hub half of ``from_pretrained``.

A repository holds a model in one of two ways: a ``.nemo`` file (NeMo's default, ``<name>.nemo``), or the
unpacked members of one (``model_config.yaml``, the weights, artifacts) for models over the Hub's per-file
limit. :func:`resolve_pretrained` looks at the repository's file list, downloads what is needed through the
standard Hugging Face cache (with progress bars), and returns a local ``.nemo`` file or folder that
``restore_from`` reads. Both forms are cached per commit: asking again costs one metadata request and no
download, and works offline.

Unpacked models are exposed as a folder of hard links to the cached blobs under
``$HF_HOME/nemo/unpacked/<repo folder>/<commit>`` (the Hub cache itself holds symlinks, which archive readers
refuse).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

from . import _download, _hub
from ._fs import link_tree_atomic
from .errors import (
    AmbiguousNemoFileError,
    DownloadError,
    FileNotInRepoError,
    HubUnreachableError,
    NoNemoFileError,
    NotCachedError,
    RepoNotFoundError,
    RevisionNotFoundError,
)

CONFIG = "model_config.yaml"
# Files the Hub adds to every repository; they are not members of an unpacked model.
HUB_FILES = frozenset({".gitattributes", "README.md"})
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def is_hf_model_name(model_name: str) -> bool:
    """Whether ``from_pretrained`` should look ``model_name`` up on the Hugging Face Hub (it has a ``/``)."""
    return "/" in model_name


class _Request(NamedTuple):
    repo_id: str
    revision: str
    filename: str | None

    @property
    def preferred(self) -> str:
        """NeMo's file name for a repository: ``<name>.nemo``."""
        return self.repo_id.split("/", 1)[1] + ".nemo"

    @property
    def label(self) -> str:
        return f"{self.repo_id}@{self.revision}"


def resolve_pretrained(
    model_name: str,
    *,
    revision: str | None = None,
    filename: str | None = None,
    refresh_cache: bool = False,
    local_files_only: bool = False,
    api_endpoint: str | None = None,
    token: str | bool | None = None,
) -> Path:
    """Return a local ``.nemo`` file or unpacked model folder for a Hub repository, downloading it if needed.

    The file is chosen from the repository's files: ``filename`` if given; else ``<name>.nemo``; else the only
    ``.nemo`` file; else, with ``model_config.yaml`` and no ``.nemo``, the whole repository as an unpacked model.

    Args:
        model_name: ``owner/name`` or ``owner/name@revision``.
        revision: Branch or commit (overrides ``@revision``; default ``main``).
        filename: The ``.nemo`` file to use when the repository holds several.
        refresh_cache: Download again even if cached.
        local_files_only: Use the cache only, never the network (also when ``HF_HUB_OFFLINE=1``).
        api_endpoint: The Hub to use (default ``HF_ENDPOINT``, else huggingface.co).
        token: Token for private repositories (default ``HF_TOKEN`` / the saved login).

    Returns:
        Path of the ``.nemo`` file, or of the folder holding the unpacked model.

    Raises:
        InvalidRepoIdError: ``model_name`` is not ``owner/name[@revision]``.
        RepoNotFoundError: No such repository (or it is private and ``token`` cannot see it).
        RevisionNotFoundError: No such branch or commit.
        NoNemoFileError: The repository holds no ``.nemo`` file and no unpacked model.
        AmbiguousNemoFileError: Several ``.nemo`` files, none named ``<name>.nemo``; pass ``filename``.
        FileNotInRepoError: ``filename`` is not in the repository.
        NotCachedError: Offline and not in the cache.
        HubUnreachableError: The Hub cannot be reached and the model is not cached.
    """
    repo_id, at_revision = _hub.split_model_name(model_name)
    request = _Request(repo_id, revision or at_revision or _hub.DEFAULT_REVISION, filename)
    url = _hub.endpoint(api_endpoint)
    if _hub.offline(local_files_only):
        cached = _from_cache(request)
        if cached is None:
            raise NotCachedError(
                f"{request.label} is not in the local Hugging Face cache ({_hub_cache()}) and offline mode is on "
                "(HF_HUB_OFFLINE=1 or local_files_only=True). Run once with network access to download it, or "
                "point HF_HOME / HF_HUB_CACHE at the cache that holds it."
            )
        return cached
    client = _hub.api(url, token)
    try:
        info = client.model_info(request.repo_id, revision=request.revision)
    except _hub.connection_errors() as exc:
        cached = _from_cache(request)
        if cached is not None:
            return cached
        raise HubUnreachableError(
            f"cannot reach the Hugging Face Hub at {url} to fetch {request.label} ({type(exc).__name__}: {exc}), "
            "and it is not in the local cache. Check the network, HF_ENDPOINT or api_endpoint; to work without "
            "the Hub, set HF_HUB_OFFLINE=1 (or local_files_only=True) once the model is cached."
        ) from exc
    except _hub.hf_errors().RevisionNotFoundError as exc:
        raise RevisionNotFoundError(
            f"{request.repo_id} on {url} has no revision {request.revision!r}; "
            f"{_known_branches(client, request.repo_id)} Use one of them or a full commit id."
        ) from exc
    except _hub.hf_errors().RepositoryNotFoundError as exc:
        raise RepoNotFoundError(
            f"repository {request.repo_id} was not found on {url}. Check the id ('owner/name'); if it is "
            "private, pass token= or set HF_TOKEN (or log in with `hf auth login`)."
        ) from exc
    commit = _download.check_commit(info.sha, f"the listing of {request.label}")
    files = [_download.check_filename(s.rfilename, request.label) for s in info.siblings or []]
    target = _choose(request, files)
    if target is not None:
        return _download_file(request, target, commit, url, token, refresh_cache)
    return _download_unpacked(request, files, commit, url, token, refresh_cache)


# ---------------------------------------------------------------------- choosing
def _choose(request: _Request, files: list[str]) -> str | None:
    """The ``.nemo`` file to download, or None for an unpacked model.

    Raises:
        FileNotInRepoError, AmbiguousNemoFileError, NoNemoFileError: See :func:`resolve_pretrained`.
    """
    nemo_files = sorted(f for f in files if f.endswith(".nemo"))
    if request.filename is not None:
        if request.filename not in files:
            raise FileNotInRepoError(
                f"{request.filename!r} is not in {request.label}; its .nemo files are "
                f"{nemo_files or 'none'}. Pass one of them as filename=, or check the revision."
            )
        return request.filename
    if request.preferred in files:
        return request.preferred
    if len(nemo_files) == 1:
        return nemo_files[0]
    if len(nemo_files) > 1:
        raise AmbiguousNemoFileError(
            f"{request.label} holds several .nemo files and none is named {request.preferred!r}: "
            f"{', '.join(nemo_files)}. Pass filename= to pick one."
        )
    if CONFIG in files:
        return None
    raise NoNemoFileError(
        f"{request.label} holds no .nemo file and no unpacked model ({CONFIG}); it has "
        f"{', '.join(sorted(files)) or 'no files'}. Push the model with push_to_hf_hub, or check the repository id."
    )


def _known_branches(client: Any, repo_id: str) -> str:
    try:
        branches = sorted(b.name for b in client.list_repo_refs(repo_id).branches)
    except _hub.hf_errors().HfHubHTTPError:
        return ""
    return f"its branches are {', '.join(branches)}."


# ---------------------------------------------------------------------- downloading
def _download_file(
    request: _Request, filename: str, commit: str, url: str, token: str | bool | None, refresh: bool
) -> Path:
    try:
        path = _fetch(request, filename, commit, url, token, refresh)
    finally:
        _hub.close_progress_bars()
    _record_ref(request, commit)
    return path


def _download_unpacked(
    request: _Request, files: list[str], commit: str, url: str, token: str | bool | None, refresh: bool
) -> Path:
    dest = _unpacked_dir(request.repo_id, commit)
    if dest.is_dir() and not refresh:
        # Cached: the client would only re-check every file; one metadata request was enough.
        _record_ref(request, commit)
        return dest
    try:
        fetched = {
            name: _fetch(request, name, commit, url, token, refresh)
            for name in files
            if name not in HUB_FILES
        }
    finally:
        _hub.close_progress_bars()
    _record_ref(request, commit)
    return link_tree_atomic(fetched, dest)


def _fetch(
    request: _Request, filename: str, commit: str, url: str, token: str | bool | None, refresh: bool
) -> Path:
    try:
        return _download.fetch(
            request.repo_id, filename, commit, url, token, refresh, _storage(request.repo_id)
        )
    except Exception as exc:
        if not _hub.failed_midway(exc):
            raise
        raise DownloadError(
            f"downloading {filename!r} of {request.label} from {url} failed midway ({type(exc).__name__}: {exc}); "
            "nothing partial was kept. Run again: the download starts over."
        ) from exc


def _materialize(snapshot: Path, dest: Path) -> Path:
    files = {
        p.relative_to(snapshot).as_posix(): p
        for p in sorted(snapshot.rglob("*"))
        if p.is_file() and p.relative_to(snapshot).as_posix() not in HUB_FILES
    }
    return link_tree_atomic(files, dest)


# ---------------------------------------------------------------------- the cache
def _hub_cache() -> Path:
    return Path(_hub.hf().constants.HF_HUB_CACHE)


def _storage(repo_id: str) -> Path:
    return _hub_cache() / ("models--" + repo_id.replace("/", "--"))


def _unpacked_dir(repo_id: str, commit: str) -> Path:
    home = Path(_hub.hf().constants.HF_HOME)
    return home / "nemo" / "unpacked" / ("models--" + repo_id.replace("/", "--")) / commit


def _record_ref(request: _Request, commit: str) -> None:
    """Remember which commit ``revision`` pointed to, like the Hub cache does, for offline lookups."""
    if _COMMIT.match(request.revision):
        return
    ref = _storage(request.repo_id) / "refs" / request.revision
    if not _download.inside(ref.parent, _storage(request.repo_id) / "refs"):
        return  # a revision like "../x": never written outside the cache (the Hub refused it anyway)
    if not ref.is_file() or ref.read_text().strip() != commit:
        from nemo_archive import write_text_atomic  # noqa: PLC0415 - keeps `import hf_io` light

        write_text_atomic(ref, commit)


def _from_cache(request: _Request) -> Path | None:
    """The cached model for ``request`` without any network access, or None.

    Raises:
        AmbiguousNemoFileError: The cached snapshot holds several candidate ``.nemo`` files.
        FileNotInRepoError: ``filename`` is not in the cached snapshot (while other files are).
    """
    if _COMMIT.match(request.revision):
        commit: str | None = request.revision
    else:
        ref = _storage(request.repo_id) / "refs" / request.revision
        commit = ref.read_text().strip() if ref.is_file() else None
    if commit is None or not _COMMIT.match(commit):
        return None  # never a path from a ref file that holds anything but a commit id
    snapshot = _storage(request.repo_id) / "snapshots" / commit
    files = (
        [p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()]
        if snapshot.is_dir()
        else []
    )
    unpacked = _unpacked_dir(request.repo_id, commit)
    if request.filename is None and unpacked.is_dir() and not any(f.endswith(".nemo") for f in files):
        return unpacked
    if not files or (request.filename is not None and request.filename not in files):
        return None
    try:
        target = _choose(request, files)
    except NoNemoFileError:
        return None
    if target is not None:
        return snapshot / target
    if set(files) - HUB_FILES >= {CONFIG}:
        return _materialize(snapshot, unpacked)
    return None


def clear_unpacked_cache(repo_id: str) -> None:
    """Delete the unpacked-model folders cached for ``repo_id`` (the Hub cache itself is left alone)."""
    import shutil  # noqa: PLC0415 - keeps `import hf_io` light

    folder = _unpacked_dir(_hub.check_repo_id(repo_id), "x").parent
    shutil.rmtree(folder, ignore_errors=True)
