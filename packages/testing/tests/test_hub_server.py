"""The loopback Hub driven through the real huggingface_hub client over HTTP."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from nemo_testing.errors import ServerStateError
from nemo_testing.hub_server import LoopbackHub
from nemo_testing.hub_state import git_blob_oid

CARD = "---\nlibrary_name: nemo\ntags:\n- NeMo\n- asr\nlicense: cc-by-4.0\n---\n# model\n"


@pytest.fixture
def api(empty_hf_hub: LoopbackHub) -> HfApi:
    return HfApi()


def _upload(api: HfApi, repo_id: str, files: dict[str, bytes], **kwargs: object) -> str:
    ops = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=d) for p, d in files.items()]
    return api.create_commit(repo_id, operations=ops, commit_message="add", **kwargs).oid  # type: ignore[arg-type]


def test_environment_points_at_the_loopback_hub(hf_hub: LoopbackHub, tmp_path: Path) -> None:
    from huggingface_hub import constants

    assert os.environ["HF_ENDPOINT"] == hf_hub.url == constants.ENDPOINT
    assert hf_hub.url.startswith("http://127.0.0.1:")
    assert os.environ["HF_TOKEN"] == hf_hub.token
    assert os.environ["HF_HUB_DISABLE_XET"] == "1"
    # the cache lives in pytest's temporary directory, next to this test's tmp_path
    assert Path(constants.HF_HUB_CACHE).is_relative_to(tmp_path.parents[1])


def test_whoami_needs_the_token(api: HfApi, hf_hub: LoopbackHub) -> None:
    assert api.whoami()["name"] == hf_hub.user
    with pytest.raises(HfHubHTTPError) as info:
        api.whoami(token="not-a-known-token")
    assert info.value.response.status_code == 401


def test_create_repo_and_round_trip_bytes(api: HfApi, hf_hub: LoopbackHub) -> None:
    url = api.create_repo("nemo-tester/round-trip")
    assert url == f"{hf_hub.url}/nemo-tester/round-trip"
    payload = bytes(range(256)) * 41
    oid = _upload(api, "nemo-tester/round-trip", {"weights/model.nemo": payload, "README.md": CARD.encode()})
    path = hf_hub_download("nemo-tester/round-trip", "weights/model.nemo")
    assert Path(path).read_bytes() == payload
    assert f"/snapshots/{oid}/weights/model.nemo" in path
    # again: served from the cache after a HEAD, no second GET of the file
    hf_hub.requests.clear()
    assert hf_hub_download("nemo-tester/round-trip", "weights/model.nemo") == path
    assert ("GET", "/nemo-tester/round-trip/resolve/main/weights/model.nemo") not in hf_hub.requests
    assert ("HEAD", "/nemo-tester/round-trip/resolve/main/weights/model.nemo") in hf_hub.requests


def test_resolve_headers_are_the_hubs(api: HfApi, hf_hub: LoopbackHub) -> None:
    api.create_repo("nemo-tester/headers")
    oid = _upload(api, "nemo-tester/headers", {"a.txt": b"abc", "w.nemo": b"weights"})
    url = f"{hf_hub.url}/nemo-tester/headers/resolve/main/a.txt"
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD")) as response:
        assert response.status == 200
        assert response.headers["X-Repo-Commit"] == oid
        assert response.headers["ETag"] == f'"{git_blob_oid(b"abc")}"'
        assert response.headers["Content-Length"] == "3"
        assert response.headers["X-Linked-Etag"] is None
        assert response.read() == b""
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=1-"})) as partial:
        assert partial.status == 206
        assert partial.read() == b"bc"
        assert partial.headers["Content-Range"] == "bytes 1-2/3"
    # an LFS file: identified by its sha256
    url = f"{hf_hub.url}/nemo-tester/headers/resolve/main/w.nemo"
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD")) as response:
        sha = hashlib.sha256(b"weights").hexdigest()
        assert response.headers["ETag"] == response.headers["X-Linked-Etag"] == f'"{sha}"'
        assert response.headers["X-Linked-Size"] == "7"


def test_lfs_uploads(api: HfApi, hf_hub: LoopbackHub) -> None:
    small_threshold = LoopbackHub(token="t", user="u", lfs_threshold=100).start()
    try:
        client = HfApi(endpoint=small_threshold.url, token="t")
        client.create_repo("u/lfs")
        files = {"model.nemo": b"n" * 10, "big.txt": b"b" * 100, "small.txt": b"s" * 99}
        ops = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=d) for p, d in files.items()]
        client.create_commit("u/lfs", operations=ops, commit_message="lfs")
        uploads = [path for method, path in small_threshold.requests if method == "PUT"]
        assert sorted(p.rsplit("/", 1)[-1] for p in uploads) == sorted(
            hashlib.sha256(files[n]).hexdigest() for n in ("model.nemo", "big.txt")
        )
        tree = {e.path: e for e in client.list_repo_tree("u/lfs") if e.path != ".gitattributes"}
        assert {p: e.lfs is not None for p, e in tree.items()} == {
            "model.nemo": True,
            "big.txt": True,
            "small.txt": False,
        }
        assert tree["model.nemo"].size == 10
        info = client.model_info("u/lfs", files_metadata=True)
        assert info.siblings is not None
        lfs = {s.rfilename: s.lfs for s in info.siblings}
        assert lfs["big.txt"] is not None
        assert lfs["big.txt"].sha256 == hashlib.sha256(b"b" * 100).hexdigest()
        for name, data in files.items():
            path = hf_hub_download("u/lfs", name, endpoint=small_threshold.url, token="t")
            assert Path(path).read_bytes() == data
        # the same object again: the batch answer has no upload action, nothing is sent
        small_threshold.requests.clear()
        client.upload_file(path_or_fileobj=b"n" * 10, path_in_repo="copy.nemo", repo_id="u/lfs")
        assert not any(method == "PUT" for method, _ in small_threshold.requests)
        assert hf_hub_download("u/lfs", "copy.nemo", endpoint=small_threshold.url, token="t")
        # an unchanged LFS file at the same path is left out of the commit
        small_threshold.requests.clear()
        client.upload_file(path_or_fileobj=b"n" * 10, path_in_repo="model.nemo", repo_id="u/lfs")
        assert not any(path.endswith("/commit/main") for _, path in small_threshold.requests)
    finally:
        small_threshold.stop()


def test_existing_repo_conflicts_unless_exist_ok(api: HfApi) -> None:
    api.create_repo("nemo-tester/twice")
    with pytest.raises(HfHubHTTPError) as info:
        api.create_repo("nemo-tester/twice")
    assert info.value.response.status_code == 409
    assert api.create_repo("nemo-tester/twice", exist_ok=True).repo_id == "nemo-tester/twice"


def test_writing_elsewhere_is_forbidden(api: HfApi) -> None:
    with pytest.raises(HfHubHTTPError) as info:
        api.create_repo("somebody-else/model")
    assert info.value.response.status_code == 403
    assert api.create_repo("nemo-org/model").repo_id == "nemo-org/model"
    with pytest.raises(HfHubHTTPError) as info:
        HfApi(token=False).create_repo("nemo-tester/anonymous")
    assert info.value.response.status_code == 401


def test_missing_repo_revision_and_file_raise_the_clients_errors(api: HfApi) -> None:
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nemo-tester/missing")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nemo-tester/missing", "x.nemo")
    api.create_repo("nemo-tester/present")
    with pytest.raises(RevisionNotFoundError):
        api.model_info("nemo-tester/present", revision="nope")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("nemo-tester/present", ".gitattributes", revision="nope")
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download("nemo-tester/present", "absent.nemo")
    assert api.file_exists("nemo-tester/present", ".gitattributes")
    assert not api.file_exists("nemo-tester/present", "absent.nemo")
    assert not api.repo_exists("nemo-tester/missing")


def test_private_repos_are_hidden_from_others(api: HfApi) -> None:
    api.create_repo("nemo-tester/secret", private=True)
    _upload(api, "nemo-tester/secret", {"README.md": CARD.encode()})
    assert api.model_info("nemo-tester/secret").private is True
    anonymous = HfApi(token=False)
    with pytest.raises(RepositoryNotFoundError):
        anonymous.model_info("nemo-tester/secret")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nemo-tester/secret", "README.md", token=False)
    assert [m.id for m in api.list_models(filter="nemo")] == ["nemo-tester/secret"]
    assert list(anonymous.list_models(filter="nemo")) == []


def test_list_models_search_filter_author_limit(api: HfApi, hf_hub: LoopbackHub) -> None:
    hf_hub.seed("alice/asr-small", {"README.md": CARD.encode()})
    hf_hub.seed("alice/tts", {"README.md": CARD.replace("asr", "tts").encode()})
    hf_hub.seed("bob/asr-large", {"README.md": CARD.encode()})
    hf_hub.seed("bob/not-nemo", {"README.md": b"---\nlibrary_name: transformers\n---\n"})
    assert sorted(m.id for m in api.list_models(filter="nemo")) == [
        "alice/asr-small",
        "alice/tts",
        "bob/asr-large",
    ]
    assert sorted(m.id for m in api.list_models(filter=["nemo", "asr"])) == [
        "alice/asr-small",
        "bob/asr-large",
    ]
    assert sorted(m.id for m in api.list_models(author="alice")) == ["alice/asr-small", "alice/tts"]
    assert [m.id for m in api.list_models(search="LARGE")] == ["bob/asr-large"]
    assert [m.id for m in api.list_models(filter="license:cc-by-4.0", author="bob")] == ["bob/asr-large"]
    newest_first = [m.id for m in api.list_models(sort="last_modified")]
    assert newest_first == ["bob/not-nemo", "bob/asr-large", "alice/tts", "alice/asr-small"]
    assert len(list(api.list_models(filter="nemo", limit=2))) == 2
    without, with_card = (
        next(iter(api.list_models(search="tts"))),
        next(iter(api.list_models(search="tts", cardData=True))),
    )
    assert without.card_data is None
    assert with_card.card_data is not None
    assert with_card.card_data.tags == ["NeMo", "tts"]
    full = next(iter(api.list_models(search="tts", full=True)))
    assert full.siblings is not None
    assert sorted(s.rfilename for s in full.siblings) == [".gitattributes", "README.md"]


def test_model_info_siblings_with_blobs_and_by_revision(api: HfApi) -> None:
    api.create_repo("nemo-tester/info")
    first = _upload(api, "nemo-tester/info", {"a.txt": b"1"})
    _upload(api, "nemo-tester/info", {"b.txt": b"22"})
    info = api.model_info("nemo-tester/info", files_metadata=True)
    assert info.siblings is not None
    sizes = {s.rfilename: (s.size, s.blob_id) for s in info.siblings}
    assert sizes["b.txt"] == (2, git_blob_oid(b"22"))
    old = api.model_info("nemo-tester/info", revision=first)
    assert old.sha == first
    assert old.siblings is not None
    assert "b.txt" not in {s.rfilename for s in old.siblings}


def test_tree_listing(api: HfApi) -> None:
    api.create_repo("nemo-tester/tree")
    _upload(api, "nemo-tester/tree", {"top.txt": b"t", "dir/a.txt": b"a", "dir/sub/b.txt": b"b"})
    top = {e.path: type(e).__name__ for e in api.list_repo_tree("nemo-tester/tree")}
    assert top == {".gitattributes": "RepoFile", "top.txt": "RepoFile", "dir": "RepoFolder"}
    deep = {e.path for e in api.list_repo_tree("nemo-tester/tree", recursive=True)}
    assert deep == {".gitattributes", "top.txt", "dir", "dir/sub", "dir/a.txt", "dir/sub/b.txt"}
    assert {e.path for e in api.list_repo_tree("nemo-tester/tree", path_in_repo="dir")} == {
        "dir/a.txt",
        "dir/sub",
    }
    assert sorted(api.list_repo_files("nemo-tester/tree")) == [
        ".gitattributes",
        "dir/a.txt",
        "dir/sub/b.txt",
        "top.txt",
    ]
    with pytest.raises(RemoteEntryNotFoundError):
        list(api.list_repo_tree("nemo-tester/tree", path_in_repo="nope"))


def test_branches_deletions_and_unchanged_files(api: HfApi, hf_hub: LoopbackHub) -> None:
    api.create_repo("nemo-tester/branches")
    _upload(api, "nemo-tester/branches", {"keep.txt": b"k", "drop.txt": b"d", "old/x.txt": b"x"})
    api.create_branch("nemo-tester/branches", branch="dev")
    with pytest.raises(HfHubHTTPError) as info:
        api.create_branch("nemo-tester/branches", branch="dev")
    assert info.value.response.status_code == 409
    api.create_branch("nemo-tester/branches", branch="dev", exist_ok=True)
    api.create_commit(
        "nemo-tester/branches",
        operations=[
            CommitOperationDelete("drop.txt"),
            CommitOperationDelete("old/"),
            CommitOperationAdd("new.txt", b"n"),
        ],
        commit_message="on dev",
        revision="dev",
    )
    assert sorted(api.list_repo_files("nemo-tester/branches", revision="dev")) == [
        ".gitattributes",
        "keep.txt",
        "new.txt",
    ]
    assert "drop.txt" in api.list_repo_files("nemo-tester/branches")
    assert {b.name for b in api.list_repo_refs("nemo-tester/branches").branches} == {"main", "dev"}
    with pytest.raises(RemoteEntryNotFoundError):
        api.delete_file("absent.txt", "nemo-tester/branches")
    # a file whose content did not change is left out of the commit (the preupload answer carries its oid)
    hf_hub.requests.clear()
    api.upload_file(path_or_fileobj=b"k", path_in_repo="keep.txt", repo_id="nemo-tester/branches")
    assert not any(path.endswith("/commit/main") for _, path in hf_hub.requests)


def test_snapshot_download_of_a_folder(api: HfApi) -> None:
    api.create_repo("nemo-tester/folder")
    files = {"model_config.yaml": b"a: 1\n", "model_weights.ckpt": b"\0" * 300}
    _upload(api, "nemo-tester/folder", files)
    snapshot = Path(snapshot_download("nemo-tester/folder"))
    assert {p: (snapshot / p).read_bytes() for p in files} == files


def test_model_card_metadata_is_validated(api: HfApi) -> None:
    api.create_repo("nemo-tester/cards")
    with pytest.raises(ValueError, match=r"Invalid metadata in README\.md"):
        _upload(api, "nemo-tester/cards", {"README.md": b"---\nkey: [unclosed\n---\n"})
    with pytest.warns(UserWarning, match="empty or missing yaml metadata"):
        _upload(api, "nemo-tester/cards", {"README.md": b"# no metadata\n"})


def test_stopped_hub_is_unreachable_and_comes_back(api: HfApi, hf_hub: LoopbackHub) -> None:
    api.create_repo("nemo-tester/outage")
    url = hf_hub.url
    with hf_hub.stopped():
        assert not hf_hub.running
        # the client's HTTP library (httpx or its fork httpx2) reports a refused connection
        with pytest.raises(Exception) as info:  # noqa: PT011
            api.model_info("nemo-tester/outage")
        assert type(info.value).__name__ == "ConnectError"
    assert hf_hub.url == url
    assert api.model_info("nemo-tester/outage").id == "nemo-tester/outage"
    with pytest.raises(ServerStateError, match="already running"):
        hf_hub.start()


def test_a_second_hub_is_independent() -> None:
    other = LoopbackHub(token="t", user="u")
    with pytest.raises(ServerStateError, match="never started"):
        _ = other.url
    with pytest.raises(ServerStateError, match="not running"):
        other.stop()
    other.start()
    try:
        HfApi(endpoint=other.url, token="t").create_repo("u/m")
        assert other.state.repos("u")[0].repo_id == "u/m"
        assert HfApi(endpoint=other.url, token="t").model_info("u/m").author == "u"
    finally:
        other.stop()


def test_malformed_requests_are_answered_400(api: HfApi, hf_hub: LoopbackHub) -> None:
    api.create_repo("nemo-tester/malformed")
    request = urllib.request.Request(
        f"{hf_hub.url}/api/models/nemo-tester/malformed/commit/main",
        data=b"{not json\n",
        headers={"Authorization": f"Bearer {hf_hub.token}", "Content-Type": "application/x-ndjson"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 400
    assert "malformed request" in info.value.headers["X-Error-Message"]
    info.value.close()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{hf_hub.url}/api/nothing-here")
    assert missing.value.code == 404
    missing.value.close()
