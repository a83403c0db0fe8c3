"""In-memory repositories of the loopback Hub: branches, commits, blobs, model cards, visibility.

Everything the HTTP layer (:mod:`nemo_testing.hub_server`) answers comes from here. Files are stored the way git
stores them: each commit is a full snapshot ``path -> blob id`` and blobs are keyed by their git blob SHA-1, which
is also the ``ETag`` and ``oid`` the Hub reports for regular (non-LFS) files. All methods are thread-safe.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import HubError

# PyYAML ships no type information; importing it as a module object keeps this file strictly typed.
yaml: Any = importlib.import_module("yaml")

DEFAULT_BRANCH = "main"
COMMIT_OID = re.compile(r"^[0-9a-f]{40}$")
REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
# What the Hub puts into a new model repository: LFS rules for the usual binary formats.
GITATTRIBUTES = (
    b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
    b"*.ckpt filter=lfs diff=lfs merge=lfs -text\n"
    b"*.nemo filter=lfs diff=lfs merge=lfs -text\n"
    b"*.pt filter=lfs diff=lfs merge=lfs -text\n"
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
)


# Acting user that may write anywhere: used by :meth:`LoopbackHub.seed` to lay out other authors' repositories.
SUPERUSER = "\0superuser"


def git_blob_oid(data: bytes) -> str:
    """Git's object id of a blob: SHA-1 over ``blob <size>``, a NUL byte and the content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


_clock_lock = threading.Lock()
_last_time = [datetime.min.replace(tzinfo=timezone.utc)]


def _now() -> str:
    """The current UTC time in the Hub's format, strictly increasing (so sorting by date is never a tie)."""
    with _clock_lock:
        now = max(datetime.now(timezone.utc), _last_time[0] + timedelta(milliseconds=1))
        _last_time[0] = now
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_front_matter(text: str) -> dict[str, Any] | None:
    """The YAML mapping between the leading ``---`` lines of a model card, or None when there is none.

    Raises:
        HubError: 400 when the block is not valid YAML or not a mapping (what ``/api/validate-yaml`` reports).
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return None
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise HubError(400, f"Invalid YAML in model card metadata: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HubError(400, f"Model card metadata must be a YAML mapping, got {type(data).__name__}")
    return data


@dataclass
class Commit:
    """One commit: a full snapshot of the repository's files."""

    oid: str
    parent: str | None
    title: str
    date: str
    files: dict[str, str]  # path -> blob oid
    author: str = ""


@dataclass
class Repo:
    """One model repository."""

    repo_id: str
    private: bool
    created_at: str
    last_modified: str
    branches: dict[str, str] = field(default_factory=dict)  # branch -> commit oid
    commits: dict[str, Commit] = field(default_factory=dict)

    @property
    def author(self) -> str:
        """The namespace (user or organization) owning the repository."""
        return self.repo_id.split("/", 1)[0]


class HubState:
    """The Hub's data: users and their tokens, repositories, blobs.

    Args:
        users: Token -> user name. A request carrying one of these tokens acts as that user; the user may write
            to its own namespace and to those of ``orgs``.
        orgs: Organization names every known user belongs to.
    """

    def __init__(self, users: dict[str, str], orgs: tuple[str, ...] = ()) -> None:
        self.users = dict(users)
        self.orgs = tuple(orgs)
        self._lock = threading.RLock()
        self._repos: dict[str, Repo] = {}
        self._blobs: dict[str, bytes] = {}
        self._lfs: dict[str, bytes] = {}  # sha256 -> content of uploaded LFS objects
        self._pointers: dict[str, tuple[str, int]] = {}  # pointer blob oid -> (sha256, size)
        self._counter = itertools.count()

    # ------------------------------------------------------------------ users
    def user_for(self, token: str | None) -> str | None:
        """The user a bearer token belongs to, or None (anonymous or unknown token)."""
        return self.users.get(token) if token else None

    def _check_write(self, user: str | None, namespace: str) -> None:
        if user == SUPERUSER:
            return
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        if namespace != user and namespace not in self.orgs:
            raise HubError(
                403, f"You don't have the rights to create a model under the namespace {namespace!r}"
            )

    # ------------------------------------------------------------------ repositories
    def reset(self) -> None:
        """Forget every repository and blob."""
        with self._lock:
            self._repos.clear()
            self._blobs.clear()
            self._lfs.clear()
            self._pointers.clear()

    def create_repo(self, repo_id: str, *, private: bool, user: str | None) -> Repo:
        """Create a model repository holding the Hub's initial ``.gitattributes`` commit.

        Raises:
            HubError: 400 for a malformed name, 401/403 without write rights, 409 if it exists.
        """
        namespace, _, name = repo_id.partition("/")
        if not namespace or not REPO_NAME.match(name):
            raise HubError(400, f"Invalid repo name {repo_id!r}: expected '<namespace>/<name>'")
        self._check_write(user, namespace)
        with self._lock:
            if repo_id in self._repos:
                raise HubError(409, "You already created this model repo")
            now = _now()
            repo = Repo(repo_id=repo_id, private=private, created_at=now, last_modified=now)
            self._repos[repo_id] = repo
            self._commit(repo, DEFAULT_BRANCH, "initial commit", {".gitattributes": GITATTRIBUTES}, set())
            return repo

    def delete_repo(self, repo_id: str, *, user: str | None) -> None:
        """Delete a repository.

        Raises:
            HubError: 401/403 without write rights, 404 ``RepoNotFound`` if it does not exist.
        """
        self._check_write(user, repo_id.partition("/")[0])
        with self._lock:
            self.repo(repo_id, user)
            del self._repos[repo_id]

    def repo(self, repo_id: str, user: str | None) -> Repo:
        """The repository, if ``user`` may see it.

        Raises:
            HubError: 404 ``RepoNotFound`` when it does not exist or is private to someone else (the Hub does
                not tell these apart).
        """
        with self._lock:
            repo = self._repos.get(repo_id)
            if repo is None or (repo.private and not self._can_read_private(repo, user)):
                raise HubError(
                    404,
                    "Repository not found",
                    code="RepoNotFound",
                    headers={"X-Error-Message": "Repository not found"},
                )
            return repo

    def _can_read_private(self, repo: Repo, user: str | None) -> bool:
        return user == SUPERUSER or (user is not None and (repo.author == user or repo.author in self.orgs))

    def repos(self, user: str | None) -> list[Repo]:
        """Every repository ``user`` may see."""
        with self._lock:
            return [r for r in self._repos.values() if not r.private or self._can_read_private(r, user)]

    def resolve(self, repo: Repo, revision: str) -> Commit:
        """The commit a branch name or a full commit id points to.

        Raises:
            HubError: 404 ``RevisionNotFound``.
        """
        with self._lock:
            oid = repo.branches.get(revision)
            if oid is None and COMMIT_OID.match(revision) and revision in repo.commits:
                oid = revision
            if oid is None:
                raise HubError(404, f"Invalid rev id: {revision}", code="RevisionNotFound")
            return repo.commits[oid]

    # ------------------------------------------------------------------ LFS
    def store_lfs(self, sha256: str, data: bytes) -> None:
        """Keep an uploaded LFS object.

        Raises:
            HubError: 400 when ``data`` does not hash to ``sha256``.
        """
        if hashlib.sha256(data).hexdigest() != sha256:
            raise HubError(400, f"LFS object content does not match its oid {sha256}")
        with self._lock:
            self._lfs[sha256] = data

    def has_lfs(self, sha256: str, size: int) -> bool:
        """Whether an LFS object of that id and size was uploaded."""
        with self._lock:
            data = self._lfs.get(sha256)
            return data is not None and len(data) == size

    def lfs_info(self, oid: str) -> tuple[str, int, int] | None:
        """``(sha256, size, pointer size)`` when blob ``oid`` is an LFS pointer, else None."""
        with self._lock:
            found = self._pointers.get(oid)
            return None if found is None else (found[0], found[1], len(self._blobs[oid]))

    def content(self, oid: str) -> bytes:
        """A file's content: the blob itself, or the LFS object its pointer names."""
        with self._lock:
            found = self._pointers.get(oid)
            return self._lfs[found[0]] if found else self._blobs[oid]

    def size(self, oid: str) -> int:
        """A file's size (of the LFS object for pointers)."""
        with self._lock:
            found = self._pointers.get(oid)
            return found[1] if found else len(self._blobs[oid])

    def lfs_patterns(self, commit: Commit) -> list[str]:
        """The ``filter=lfs`` patterns of the ``.gitattributes`` at ``commit``."""
        oid = commit.files.get(".gitattributes")
        if oid is None:
            return []
        lines = self.content(oid).decode("utf-8", errors="replace").splitlines()
        return [line.split()[0] for line in lines if "filter=lfs" in line.split()[1:]]

    def blob(self, oid: str) -> bytes:
        """A blob's content."""
        with self._lock:
            return self._blobs[oid]

    def create_branch(self, repo_id: str, branch: str, starting_point: str | None, user: str | None) -> None:
        """Create ``branch`` at ``starting_point`` (default: the head of ``main``).

        Raises:
            HubError: 401/403 without write rights, 404 for a missing repo or starting point, 409 if it exists.
        """
        self._check_write(user, repo_id.partition("/")[0])
        with self._lock:
            repo = self.repo(repo_id, user)
            if branch in repo.branches:
                raise HubError(409, f"Reference already exists: refs/heads/{branch}")
            repo.branches[branch] = self.resolve(repo, starting_point or DEFAULT_BRANCH).oid

    # ------------------------------------------------------------------ commits
    def commit(
        self,
        repo_id: str,
        revision: str,
        *,
        title: str,
        add: dict[str, bytes],
        delete_files: set[str],
        delete_folders: set[str],
        parent: str | None,
        user: str | None,
        add_lfs: dict[str, tuple[str, int]] | None = None,
    ) -> Commit:
        """Apply additions and deletions on top of branch ``revision``.

        Raises:
            HubError: 401/403 without write rights, 404 for a missing repo, branch or deleted file, 412 when
                ``parent`` is not the branch head.
        """
        self._check_write(user, repo_id.partition("/")[0])
        with self._lock:
            repo = self.repo(repo_id, user)
            if revision not in repo.branches:
                raise HubError(404, f"Invalid rev id: {revision}", code="RevisionNotFound")
            head = repo.commits[repo.branches[revision]]
            if parent is not None and not head.oid.startswith(parent):
                raise HubError(
                    412, f"A commit has happened since. Please refresh and try again. (head {head.oid})"
                )
            for path, (sha256, size) in (add_lfs or {}).items():
                if not self.has_lfs(sha256, size):
                    raise HubError(422, f"LFS object {sha256} ({size} bytes) for {path} was not uploaded")
                pointer = (
                    f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()
                )
                self._pointers[git_blob_oid(pointer)] = (sha256, size)
                add = {**add, path: pointer}
            for path in delete_files:
                if path not in head.files:
                    raise HubError(404, f"A file with this name doesn't exist: {path}", code="EntryNotFound")
            removed = set(delete_files)
            for folder in delete_folders:
                prefix = folder.rstrip("/") + "/"
                removed.update(p for p in head.files if p.startswith(prefix))
            return self._commit(repo, revision, title, add, removed, author=user or "")

    def _commit(
        self, repo: Repo, branch: str, title: str, add: dict[str, bytes], removed: set[str], author: str = ""
    ) -> Commit:
        parent = repo.commits[repo.branches[branch]] if branch in repo.branches else None
        files = {p: o for p, o in (parent.files if parent else {}).items() if p not in removed}
        for path, data in add.items():
            oid = git_blob_oid(data)
            self._blobs[oid] = data
            files[path] = oid
        seed = f"{repo.repo_id}\0{branch}\0{title}\0{next(self._counter)}\0{sorted(files.items())}"
        commit = Commit(
            oid=hashlib.sha1(seed.encode()).hexdigest(),
            parent=parent.oid if parent else None,
            title=title,
            date=_now(),
            files=files,
            author=repo.author if author in ("", SUPERUSER) else author,
        )
        repo.commits[commit.oid] = commit
        repo.branches[branch] = commit.oid
        repo.last_modified = commit.date
        return commit

    # ------------------------------------------------------------------ metadata
    def card_data(self, commit: Commit) -> dict[str, Any] | None:
        """The model card's metadata at ``commit`` (None without README or front matter; invalid YAML: None)."""
        oid = commit.files.get("README.md")
        if oid is None:
            return None
        try:
            return parse_front_matter(self.blob(oid).decode("utf-8", errors="replace"))
        except HubError:
            return None

    def tags(self, commit: Commit) -> list[str]:
        """The Hub's tags of a model: the card's library, tags, languages and license."""
        data = self.card_data(commit) or {}
        tags: list[str] = []
        library = data.get("library_name")
        if isinstance(library, str):
            tags.append(library)
        for key, prefix in (("tags", ""), ("language", ""), ("license", "license:")):
            values = data.get(key)
            values = [values] if isinstance(values, str) else values if isinstance(values, list) else []
            tags.extend(f"{prefix}{v}" for v in values if isinstance(v, str))
        return list(dict.fromkeys(tags))
