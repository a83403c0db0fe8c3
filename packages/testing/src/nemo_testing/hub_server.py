"""A loopback Hugging Face Hub: the HTTP endpoints ``huggingface_hub``'s client calls, served on 127.0.0.1.

Implemented (model repositories only): ``POST /api/repos/create``, ``DELETE /api/repos/delete``,
``GET /api/whoami-v2``, ``POST /api/validate-yaml``, ``GET /api/models`` (``search``, ``author``, ``filter``,
``sort``, ``direction``, ``limit``, ``full``, ``cardData``), ``GET /api/models/{id}[/revision/{rev}]`` (with
``blobs``), ``GET /api/models/{id}/tree/{rev}[/{path}]`` (``recursive``), ``GET /api/models/{id}/refs``, ``GET /api/models/{id}/commits/{rev}``,
``POST /api/models/{id}/branch/{branch}``, ``POST /api/models/{id}/preupload/{rev}``,
``POST /api/models/{id}/commit/{rev}`` (ndjson), ``GET /api/agent-harnesses`` (empty) and ``HEAD``/``GET /{id}/resolve/{rev}/{path}``.

Uploads follow the Hub's rules: the preupload answer puts a file in ``lfs`` mode when it matches a ``filter=lfs``
pattern of the repository's ``.gitattributes`` (``*.nemo``, ``*.ckpt``, ... in a new repository) or is larger
than ``lfs_threshold``; the client then uses the basic LFS protocol (``POST /{id}.git/info/lfs/objects/batch``,
``PUT`` of the object, ``verify``) and commits a pointer (``lfsFile``). Other files go inline (base64) in the
commit. Xet is not offered. Downloads carry ``X-Repo-Commit`` and ``ETag`` (git blob id, or the sha256 of an LFS
file, also sent as ``X-Linked-Etag`` with ``X-Linked-Size``).
Failures carry the Hub's ``X-Error-Code`` headers, so the client raises ``RepositoryNotFoundError``,
``RevisionNotFoundError`` and ``RemoteEntryNotFoundError`` as against the real Hub.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import HubError, ServerStateError
from .hub_state import SUPERUSER, Commit, HubState, Repo, parse_front_matter

DEFAULT_TOKEN = "hf_nemo_testing_dummy_token"
DEFAULT_USER = "nemo-tester"
DEFAULT_ORGS = ("nemo-org",)
LFS_THRESHOLD = 10 * 1000 * 1000
_TRUE = {"1", "true", "True"}
LFS_BATCH = ["info", "lfs", "objects", "batch"]


@dataclass
class Lies:
    """What a hostile Hub says; every field off (None / empty) by default. Set ``hub.lies.<field>`` in a test.

    Attributes:
        commit_sha: Reported as the commit of every repository (model info ``sha`` and ``X-Repo-Commit``).
        extra_files: Added to every listing (``siblings``), e.g. ``"../../escape.nemo"``.
        wrong_bytes: Downloads carry other bytes of the same size (every byte XOR 0xFF).
        cut_after: Downloads announce the full size, send this many bytes, then drop the connection.
        cut_times: How many downloads are cut (then the Hub answers honestly); None: all of them.
    """

    commit_sha: str | None = None
    extra_files: list[str] = field(default_factory=list)
    wrong_bytes: bool = False
    cut_after: int | None = None
    cut_times: int | None = None


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that can cut its open keep-alive connections (to simulate an unreachable Hub)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], hub: LoopbackHub) -> None:
        self.hub = hub
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class LoopbackHub:
    """A Hugging Face Hub on ``http://127.0.0.1:<port>`` with in-memory state.

    Args:
        token: The bearer token that authenticates as ``user`` (tests put it in ``HF_TOKEN``).
        user: The user name the token belongs to.
        orgs: Organizations the user may write to.
        lfs_threshold: Files of at least this many bytes are uploaded with LFS (the Hub's limit is 10 MB).

    Attributes:
        state: The repositories (:class:`~nemo_testing.hub_state.HubState`); tests may seed it directly.
        requests: ``(method, path)`` of every request served, in order (tests assert on traffic, e.g. that a
            cached model was not downloaded again).
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        user: str = DEFAULT_USER,
        orgs: tuple[str, ...] = DEFAULT_ORGS,
        lfs_threshold: int = LFS_THRESHOLD,
    ) -> None:
        self.token = token
        self.lfs_threshold = lfs_threshold
        self.user = user
        self.state = HubState({token: user}, orgs)
        self.requests: list[tuple[str, str]] = []
        self.announced_lfs: set[tuple[str, str]] = set()  # (repo id, sha256) the LFS batch API let upload
        self.lies = Lies()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._server is not None

    @property
    def url(self) -> str:
        """The endpoint (``HF_ENDPOINT``) of the server; stable across :meth:`stop` / :meth:`start`.

        Raises:
            ServerStateError: The server was never started.
        """
        if not self._port:
            raise ServerStateError("the loopback Hub was never started; call start() first")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> LoopbackHub:
        """Listen on 127.0.0.1 (a free port the first time, the same port after :meth:`stop`).

        Raises:
            ServerStateError: Already running.
        """
        if self._server is not None:
            raise ServerStateError("the loopback Hub is already running")
        self._server = _Server(("127.0.0.1", self._port), self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="loopback-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open connections: clients now see the Hub as unreachable.

        Raises:
            ServerStateError: Not running.
        """
        if self._server is None or self._thread is None:
            raise ServerStateError("the loopback Hub is not running")
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join()
        self._server = None
        self._thread = None

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Context in which the Hub is unreachable; it listens again (same port, same state) afterwards."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def reset(self) -> None:
        """Forget every repository, the request log and any lies."""
        self.state.reset()
        self.requests.clear()
        self.lies = Lies()

    # ------------------------------------------------------------------ seeding
    def seed(
        self,
        repo_id: str,
        files: dict[str, bytes],
        *,
        private: bool = False,
        branch: str = "main",
        message: str = "seed",
    ) -> str:
        """Create ``repo_id`` (if needed) under any namespace and commit ``files`` to ``branch``; return the oid.

        Bypasses permissions, so tests can lay out repositories of other authors.
        """
        state = self.state
        try:
            repo = state.repo(repo_id, SUPERUSER)
        except HubError:
            repo = state.create_repo(repo_id, private=private, user=SUPERUSER)
        if branch not in repo.branches:
            state.create_branch(repo_id, branch, None, SUPERUSER)
        commit = state.commit(
            repo_id,
            branch,
            title=message,
            add=files,
            delete_files=set(),
            delete_folders=set(),
            parent=None,
            user=SUPERUSER,
        )
        return commit.oid


class _Handler(BaseHTTPRequestHandler):
    """Routes one request to the Hub endpoint it names."""

    protocol_version = "HTTP/1.1"
    server: _Server

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (the hub keeps ``requests`` instead)."""

    @property
    def hub(self) -> LoopbackHub:
        return self.server.hub

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        self.hub.requests.append((method, split.path))
        self.query = parse_qs(split.query)
        auth = self.headers.get("Authorization", "")
        self.user = self.hub.state.user_for(auth[7:] if auth.startswith("Bearer ") else None)
        segments = split.path.split("/")[1:]
        try:
            body = self._read_body()
            self._route(method, segments, body)
        except HubError as exc:
            self._send_error(exc, head=method == "HEAD")
        except (ValueError, KeyError, TypeError) as exc:
            # A request the Hub would refuse as malformed; answering keeps the client from seeing a dropped link.
            self._send_error(
                HubError(400, f"malformed request: {type(exc).__name__}: {exc}"), head=method == "HEAD"
            )

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, headers: dict[str, str], *, head: bool = False) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self._send(status, body, {"Content-Type": "application/json", **(headers or {})})

    def _send_error(self, exc: HubError, *, head: bool) -> None:
        headers = {"Content-Type": "application/json", "X-Error-Message": exc.message, **exc.headers}
        if exc.code:
            headers["X-Error-Code"] = exc.code
        self._send(exc.status, json.dumps({"error": exc.message}).encode(), headers, head=head)

    def _param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    # ------------------------------------------------------------------ routing
    def _route(self, method: str, seg: list[str], body: bytes) -> None:
        if seg[:1] == ["api"]:
            self._route_api(method, seg[1:], body)
            return
        # /{namespace}/{name}.git/info/lfs/objects/batch
        if method == "POST" and len(seg) == 6 and seg[1].endswith(".git") and seg[2:] == LFS_BATCH:
            self._lfs_batch(f"{seg[0]}/{seg[1][:-4]}", _json_body(body))
            return
        # /__lfs__/{namespace}/{name}/{sha256}[/verify]: where the batch answer sends uploads
        if seg[:1] == ["__lfs__"] and len(seg) in (4, 5):
            self._lfs_transfer(method, f"{seg[1]}/{seg[2]}", seg[3], seg[4:], body)
            return
        # /{namespace}/{name}/resolve/{revision}/{path...}
        if len(seg) >= 5 and seg[2] == "resolve" and method in ("GET", "HEAD"):
            self._resolve(
                f"{seg[0]}/{seg[1]}", unquote(seg[3]), unquote("/".join(seg[4:])), head=method == "HEAD"
            )
            return
        raise HubError(404, f"Not found: {method} {'/'.join(seg)}")

    def _route_api(self, method: str, seg: list[str], body: bytes) -> None:
        state = self.hub.state
        route = (method, *seg[:2])
        if route == ("GET", "whoami-v2"):
            self._whoami()
        elif route == ("GET", "agent-harnesses"):
            # The client fetches this registry once a day to label its user agent; none is known here.
            self._json({"standardEnvVars": [], "harnesses": {}})
        elif route == ("POST", "repos", "create"):
            self._create_repo(_json_body(body))
        elif route == ("DELETE", "repos", "delete"):
            data = _json_body(body)
            state.delete_repo(_repo_id(data, self.user), user=self.user)
            self._json({})
        elif route == ("POST", "validate-yaml"):
            self._validate_yaml(_json_body(body))
        elif seg[:1] in (["datasets"], ["spaces"], ["kernels"]):
            raise HubError(400, f"the loopback Hub serves model repositories only, not {seg[0]}")
        elif seg == ["models"] and method == "GET":
            self._list_models()
        elif seg[:1] == ["models"] and len(seg) >= 3:
            self._route_repo(method, f"{seg[1]}/{seg[2]}", seg[3:], body)
        else:
            raise HubError(404, f"Not found: {method} /api/{'/'.join(seg)}")

    def _route_repo(self, method: str, repo_id: str, rest: list[str], body: bytes) -> None:
        state = self.hub.state
        action = rest[0] if rest else ""
        if method == "GET" and not rest:
            self._model_info(repo_id, "main")
        elif method == "GET" and action == "revision" and len(rest) == 2:
            self._model_info(repo_id, unquote(rest[1]))
        elif method == "GET" and action == "tree" and len(rest) >= 2:
            self._tree(repo_id, unquote(rest[1]), unquote("/".join(rest[2:])))
        elif method == "GET" and action == "commits" and len(rest) == 2:
            self._commits(repo_id, unquote(rest[1]))
        elif method == "GET" and action == "refs":
            repo = state.repo(repo_id, self.user)
            branches = [
                {"name": b, "ref": f"refs/heads/{b}", "targetCommit": o} for b, o in repo.branches.items()
            ]
            self._json({"branches": branches, "converts": [], "tags": []})
        elif method == "POST" and action == "branch" and len(rest) >= 2:
            starting_point = _json_body(body).get("startingPoint") if body else None
            state.create_branch(repo_id, unquote("/".join(rest[1:])), starting_point, self.user)
            self._json({})
        elif method == "POST" and action == "preupload" and len(rest) == 2:
            self._preupload(repo_id, unquote(rest[1]), _json_body(body))
        elif method == "POST" and action == "commit" and len(rest) == 2:
            self._commit(repo_id, unquote(rest[1]), body)
        else:
            raise HubError(404, f"Not found: {method} /api/models/{repo_id}/{'/'.join(rest)}")

    # ------------------------------------------------------------------ endpoints
    def _whoami(self) -> None:
        if self.user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        orgs = [{"type": "org", "name": o, "fullname": o} for o in self.hub.state.orgs]
        token = {"displayName": "loopback", "role": "write"}
        self._json(
            {
                "type": "user",
                "name": self.user,
                "fullname": self.user,
                "orgs": orgs,
                "auth": {"accessToken": token},
            }
        )

    def _create_repo(self, data: dict[str, Any]) -> None:
        if data.get("type", "model") != "model":
            raise HubError(400, f"the loopback Hub serves model repositories only, not {data.get('type')!r}")
        repo_id = _repo_id(data, self.user)
        private = data.get("visibility") == "private" or bool(data.get("private"))
        try:
            self.hub.state.create_repo(repo_id, private=private, user=self.user)
        except HubError as exc:
            if exc.status == 409:
                self._json({"error": exc.message, "url": f"{self.hub.url}/{repo_id}"}, 409)
                return
            raise
        self._json({"url": f"{self.hub.url}/{repo_id}", "name": repo_id, "id": repo_id})

    def _validate_yaml(self, data: dict[str, Any]) -> None:
        content = data.get("content", "")
        try:
            meta = parse_front_matter(content if isinstance(content, str) else "")
        except HubError as exc:
            self._json({"errors": [{"message": exc.message}], "warnings": []}, 400)
            return
        warnings = [] if meta else [{"message": "empty or missing yaml metadata in repo card"}]
        self._json({"errors": [], "warnings": warnings})

    def _model_json(
        self, repo: Repo, commit: Commit, *, siblings: bool, blobs: bool, card: bool
    ) -> dict[str, Any]:
        state = self.hub.state
        card_data = state.card_data(commit)
        out: dict[str, Any] = {
            "_id": repo.repo_id,
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "author": repo.author,
            "sha": self.hub.lies.commit_sha or commit.oid,
            "lastModified": repo.last_modified,
            "createdAt": repo.created_at,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": state.tags(commit),
        }
        if card_data and isinstance(card_data.get("library_name"), str):
            out["library_name"] = card_data["library_name"]
        if card and card_data is not None:
            out["cardData"] = card_data
        if siblings:
            entries = []
            for path in sorted(commit.files):
                entry: dict[str, Any] = {"rfilename": path}
                if blobs:
                    oid = commit.files[path]
                    entry["blobId"] = oid
                    entry["size"] = state.size(oid)
                    lfs = state.lfs_info(oid)
                    if lfs is not None:
                        entry["lfs"] = {"sha256": lfs[0], "size": lfs[1], "pointerSize": lfs[2]}
                entries.append(entry)
            entries += [{"rfilename": name} for name in self.hub.lies.extra_files]
            out["siblings"] = entries
            out["usedStorage"] = sum(state.size(o) for o in set(commit.files.values()))
        return out

    def _model_info(self, repo_id: str, revision: str) -> None:
        state = self.hub.state
        repo = state.repo(repo_id, self.user)
        commit = state.resolve(repo, revision)
        blobs = self._param("blobs") in _TRUE
        self._json(self._model_json(repo, commit, siblings=True, blobs=blobs, card=True))

    def _list_models(self) -> None:
        state = self.hub.state
        search = (self._param("search") or "").lower()
        author = self._param("author")
        filters = self.query.get("filter", [])
        full = self._param("full") in _TRUE
        card = self._param("cardData") in _TRUE
        rows = []
        for repo in state.repos(self.user):
            commit = state.resolve(repo, "main")
            tags = state.tags(commit)
            if search and search not in repo.repo_id.lower():
                continue
            if author and repo.author != author:
                continue
            if any(f not in tags for f in filters):
                continue
            rows.append((repo, commit))
        sort = self._param("sort")
        if sort in ("lastModified", "createdAt"):
            key = "last_modified" if sort == "lastModified" else "created_at"
            rows.sort(key=lambda rc: str(getattr(rc[0], key)), reverse=self._param("direction", "-1") == "-1")
        else:
            rows.sort(key=lambda rc: rc[0].repo_id)
        limit = self._param("limit")
        if limit is not None:
            rows = rows[: int(limit)]
        self._json([self._model_json(r, c, siblings=full, blobs=False, card=card) for r, c in rows])

    def _tree(self, repo_id: str, revision: str, path: str) -> None:
        state = self.hub.state
        repo = state.repo(repo_id, self.user)
        commit = state.resolve(repo, revision)
        recursive = self._param("recursive") in _TRUE
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        files = {p: o for p, o in commit.files.items() if p.startswith(prefix)}
        if prefix and not files:
            raise HubError(404, f"{path} does not exist on {revision}", code="EntryNotFound")
        entries: list[dict[str, Any]] = []
        folders: set[str] = set()
        for p in sorted(files):
            rel = p[len(prefix) :]
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                if recursive or depth == 1:
                    folders.add(prefix + "/".join(parts[:depth]))
            if recursive or len(parts) == 1:
                entry: dict[str, Any] = {
                    "type": "file",
                    "oid": files[p],
                    "size": state.size(files[p]),
                    "path": p,
                }
                lfs = state.lfs_info(files[p])
                if lfs is not None:
                    entry["lfs"] = {"oid": lfs[0], "size": lfs[1], "pointerSize": lfs[2]}
                entries.append(entry)
        for folder in sorted(folders):
            tree_oid = git_tree_oid(folder, files)
            entries.append({"type": "directory", "oid": tree_oid, "size": 0, "path": folder})
        self._json(entries)

    def _commits(self, repo_id: str, revision: str) -> None:
        state = self.hub.state
        repo = state.repo(repo_id, self.user)
        commit: Commit | None = state.resolve(repo, revision)
        history = []
        while commit is not None:
            history.append(
                {
                    "id": commit.oid,
                    "title": commit.title,
                    "message": "",
                    "authors": [{"user": commit.author}],
                    "date": commit.date,
                }
            )
            commit = repo.commits[commit.parent] if commit.parent else None
        self._json(history)

    def _preupload(self, repo_id: str, revision: str, data: dict[str, Any]) -> None:
        state = self.hub.state
        repo = state.repo(repo_id, self.user)
        commit = state.resolve(repo, revision)
        patterns = state.lfs_patterns(commit)
        answers = []
        for item in data.get("files", []):
            path, size = item["path"], int(item.get("size", 0))
            name = path.rsplit("/", 1)[-1]
            lfs = size >= self.hub.lfs_threshold or any(
                fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(path, p) for p in patterns
            )
            answer = {"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False}
            existing = commit.files.get(path)
            if existing is not None:
                # what the client compares with its own oid to skip unchanged files: sha256 for LFS, git id else
                info = state.lfs_info(existing)
                answer["oid"] = info[0] if lfs and info else existing
            answers.append(answer)
        self._json({"files": answers, "commitOid": commit.oid})

    def _commit(self, repo_id: str, revision: str, body: bytes) -> None:
        if self._param("create_pr") in _TRUE:
            raise HubError(400, "the loopback Hub does not implement pull requests (create_pr)")
        title, parent = "", None
        add: dict[str, bytes] = {}
        add_lfs: dict[str, tuple[str, int]] = {}
        delete_files: set[str] = set()
        delete_folders: set[str] = set()
        for line in body.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item.get("key"), item.get("value", {})
            if key == "header":
                title, parent = value.get("summary", ""), value.get("parentCommit")
            elif key == "file":
                if value.get("encoding") != "base64":
                    raise HubError(
                        400, f"unsupported encoding {value.get('encoding')!r} for {value.get('path')}"
                    )
                add[value["path"]] = base64.b64decode(value["content"])
            elif key == "lfsFile":
                if value.get("algo", "sha256") != "sha256":
                    raise HubError(400, f"unsupported LFS hash algorithm {value.get('algo')!r}")
                add_lfs[value["path"]] = (value["oid"], int(value["size"]))
            elif key == "deletedFile":
                delete_files.add(value["path"])
            elif key == "deletedFolder":
                delete_folders.add(value["path"])
            else:
                raise HubError(400, f"the loopback Hub accepts inline files only; got a {key!r} operation")
        commit = self.hub.state.commit(
            repo_id,
            revision,
            title=title,
            add=add,
            delete_files=delete_files,
            delete_folders=delete_folders,
            parent=parent,
            user=self.user,
            add_lfs=add_lfs,
        )
        self._json(
            {
                "success": True,
                "commitOid": commit.oid,
                "commitUrl": f"{self.hub.url}/{repo_id}/commit/{commit.oid}",
                "pullRequestUrl": None,
            }
        )

    def _lfs_batch(self, repo_id: str, data: dict[str, Any]) -> None:
        state = self.hub.state
        if data.get("operation") != "upload":
            raise HubError(
                400, "the loopback Hub's LFS endpoint accepts uploads only (downloads use /resolve)"
            )
        if self.user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        state.repo(repo_id, self.user)
        objects = []
        for obj in data.get("objects", []):
            oid, size = str(obj["oid"]), int(obj["size"])
            entry: dict[str, Any] = {"oid": oid, "size": size}
            if not state.has_lfs(oid, size):
                self.hub.announced_lfs.add((repo_id, oid))
                base = f"{self.hub.url}/__lfs__/{repo_id}/{oid}"
                entry["actions"] = {"upload": {"href": base}, "verify": {"href": f"{base}/verify"}}
            objects.append(entry)
        self._json(
            {"transfer": "basic", "objects": objects},
            headers={"Content-Type": "application/vnd.git-lfs+json"},
        )

    def _lfs_transfer(self, method: str, repo_id: str, oid: str, rest: list[str], body: bytes) -> None:
        state = self.hub.state
        if method == "PUT" and not rest:
            # Like the Hub's presigned storage URLs: no credentials, valid only for objects the batch announced.
            if (repo_id, oid) not in self.hub.announced_lfs:
                raise HubError(
                    403, f"no upload of LFS object {oid} to {repo_id} was announced by the batch API"
                )
            state.store_lfs(oid, body)
            self._json({})
        elif method == "POST" and rest == ["verify"]:
            state.repo(repo_id, self.user)
            data = _json_body(body)
            if not state.has_lfs(str(data.get("oid")), int(data.get("size", -1))):
                raise HubError(404, f"LFS object {data.get('oid')} was not uploaded (or has another size)")
            self._json({})
        else:
            raise HubError(404, f"Not found: {method} LFS {'/'.join([oid, *rest])}")

    def _resolve(self, repo_id: str, revision: str, path: str, *, head: bool) -> None:
        state = self.hub.state
        repo = state.repo(repo_id, self.user)
        commit = state.resolve(repo, revision)
        oid = commit.files.get(path)
        if oid is None:
            raise HubError(
                404, "Entry not found", code="EntryNotFound", headers={"X-Repo-Commit": commit.oid}
            )
        data = state.content(oid)
        lies = self.hub.lies
        if lies.wrong_bytes:
            data = bytes(b ^ 0xFF for b in data)
        headers = {
            "Content-Type": "application/octet-stream",
            "ETag": f'"{oid}"',
            "X-Repo-Commit": lies.commit_sha or commit.oid,
            "Accept-Ranges": "bytes",
        }
        lfs = state.lfs_info(oid)
        if lfs is not None:
            # The Hub redirects LFS files to its CDN; the linked headers carry the object's id and size.
            headers["ETag"] = headers["X-Linked-Etag"] = f'"{lfs[0]}"'
            headers["X-Linked-Size"] = str(lfs[1])
        status = 200
        byte_range = self.headers.get("Range", "")
        if byte_range.startswith("bytes=") and not head:
            start_s, _, end_s = byte_range[6:].partition("-")
            start = int(start_s or 0)
            end = int(end_s) if end_s else len(data) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data = data[start : end + 1]
            status = 206
        headers["Content-Length"] = str(len(data))
        cut = lies.cut_after is not None and not head and lies.cut_times != 0 and len(data) > lies.cut_after
        if cut:
            if lies.cut_times is not None:
                lies.cut_times -= 1
            data = data[: lies.cut_after]
            self.close_connection = True
        self._send(status, data, headers, head=head)


def git_tree_oid(folder: str, files: dict[str, str]) -> str:
    """A stable id for a folder (derived from the blobs under it; not git's exact tree hash)."""
    prefix = folder + "/"
    listing = "".join(f"{p}\0{o}\n" for p, o in sorted(files.items()) if p.startswith(prefix))
    return hashlib.sha1(listing.encode()).hexdigest()


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except json.JSONDecodeError as exc:
        raise HubError(400, f"request body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise HubError(400, "request body must be a JSON object")
    return data


def _repo_id(data: dict[str, Any], user: str | None) -> str:
    """``organization/name`` from a create/delete payload; no organization means the caller's namespace."""
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise HubError(400, "missing repository name")
    namespace = data.get("organization") or user
    if namespace is None:
        raise HubError(401, "Invalid credentials in Authorization header")
    return f"{namespace}/{name}"
