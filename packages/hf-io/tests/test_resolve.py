"""resolve_pretrained: choosing the file, caching, offline use and every error, against the loopback Hub."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from hf_io import (
    AmbiguousNemoFileError,
    FileNotInRepoError,
    HubUnreachableError,
    InvalidRepoIdError,
    NoNemoFileError,
    NotCachedError,
    RepoNotFoundError,
    RevisionNotFoundError,
    is_hf_model_name,
    resolve_pretrained,
)
from nemo_testing.hub_server import LoopbackHub


def _downloads(hub: LoopbackHub) -> list[str]:
    return [path for method, path in hub.requests if method == "GET" and "/resolve/" in path]


@pytest.fixture
def packed_repo(empty_hf_hub: LoopbackHub, tiny_model: Any) -> tuple[str, bytes]:
    tiny_model.push_to_hf_hub("nemo-tester/packed")
    empty_hf_hub.requests.clear()
    return "nemo-tester/packed", tiny_model.saved[-1][1]


@pytest.fixture
def unpacked_repo(empty_hf_hub: LoopbackHub, tiny_model: Any) -> str:
    tiny_model.push_to_hf_hub("nemo-tester/unpacked", pack_nemo_file=False)
    empty_hf_hub.requests.clear()
    return "nemo-tester/unpacked"


def test_hub_names_have_a_slash() -> None:
    assert is_hf_model_name("nvidia/parakeet")
    assert not is_hf_model_name("QuartzNet15x5Base-En")


def test_packed_model_is_cached(packed_repo: tuple[str, bytes], empty_hf_hub: LoopbackHub) -> None:
    repo_id, data = packed_repo
    first = resolve_pretrained(repo_id)
    assert first.read_bytes() == data
    commit = empty_hf_hub.state.resolve(empty_hf_hub.state.repo(repo_id, "nemo-tester"), "main").oid
    # files are fetched at the commit the listing named, so every file of one call comes from one commit
    assert _downloads(empty_hf_hub) == [f"/{repo_id}/resolve/{commit}/packed.nemo"]
    empty_hf_hub.requests.clear()
    assert resolve_pretrained(repo_id) == first
    assert _downloads(empty_hf_hub) == []
    assert resolve_pretrained(repo_id, refresh_cache=True) == first
    assert _downloads(empty_hf_hub) == [f"/{repo_id}/resolve/{commit}/packed.nemo"]


def test_unpacked_model_is_cached_too(unpacked_repo: str, empty_hf_hub: LoopbackHub) -> None:
    first = resolve_pretrained(unpacked_repo)
    assert (first / "model_config.yaml").is_file()
    assert not (first / "README.md").exists()
    assert not (first / ".gitattributes").exists()
    assert len(_downloads(empty_hf_hub)) >= 3
    empty_hf_hub.requests.clear()
    assert resolve_pretrained(unpacked_repo) == first
    assert _downloads(empty_hf_hub) == []
    assert len(empty_hf_hub.requests) == 1  # one metadata request to learn the commit
    config = (first / "model_config.yaml").read_bytes()
    assert resolve_pretrained(unpacked_repo, refresh_cache=True) == first
    assert len(_downloads(empty_hf_hub)) >= 3
    assert (first / "model_config.yaml").read_bytes() == config


def test_new_commits_are_picked_up(packed_repo: tuple[str, bytes], model_classes: Any) -> None:
    repo_id, data = packed_repo
    assert resolve_pretrained(repo_id).read_bytes() == data
    newer = model_classes[0](weights={"w": [9.0]})
    newer.push_to_hf_hub(repo_id)
    assert resolve_pretrained(repo_id).read_bytes() == newer.saved[-1][1] != data


def test_download_progress_is_shown(
    packed_repo: tuple[str, bytes],
    unpacked_repo: str,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolve_pretrained(packed_repo[0])
    err = capfd.readouterr().err  # stderr is not a terminal here, and progress is shown all the same
    assert "packed.nemo" in err
    assert "100%" in err
    resolve_pretrained(unpacked_repo)
    assert "100%" in capfd.readouterr().err  # one bar per file of the unpacked model
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    resolve_pretrained(packed_repo[0], refresh_cache=True)
    assert capfd.readouterr().err == ""


def test_offline_after_the_hub_goes_away(
    packed_repo: tuple[str, bytes],
    unpacked_repo: str,
    empty_hf_hub: LoopbackHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    packed = resolve_pretrained(packed_repo[0])
    unpacked = resolve_pretrained(unpacked_repo)
    with empty_hf_hub.stopped():
        # unreachable Hub: the cached copies are used
        assert resolve_pretrained(packed_repo[0]) == packed
        assert resolve_pretrained(unpacked_repo) == unpacked
        assert resolve_pretrained(packed_repo[0], local_files_only=True) == packed
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        assert resolve_pretrained(packed_repo[0]).read_bytes() == packed_repo[1]
        assert resolve_pretrained(unpacked_repo) == unpacked
        # the unpacked folder is rebuilt from the Hub cache if it was removed
        shutil.rmtree(unpacked)
        assert resolve_pretrained(unpacked_repo) == unpacked
        assert (unpacked / "model_config.yaml").is_file()
        with pytest.raises(
            NotCachedError, match=r"nemo-tester/never@main is not in the local Hugging Face cache"
        ):
            resolve_pretrained("nemo-tester/never")
        with pytest.raises(NotCachedError, match="Run once with network access"):
            resolve_pretrained(f"{unpacked_repo}@other-branch")
        monkeypatch.delenv("HF_HUB_OFFLINE")
        with pytest.raises(HubUnreachableError, match="set HF_HUB_OFFLINE=1") as info:
            resolve_pretrained("nemo-tester/never")
        assert isinstance(info.value, ConnectionError)
        assert f"cannot reach the Hugging Face Hub at {empty_hf_hub.url}" in str(info.value)


def test_offline_mode_never_touches_the_network(
    packed_repo: tuple[str, bytes], empty_hf_hub: LoopbackHub
) -> None:
    resolve_pretrained(packed_repo[0])
    empty_hf_hub.requests.clear()
    assert resolve_pretrained(packed_repo[0], local_files_only=True).read_bytes() == packed_repo[1]
    assert empty_hf_hub.requests == []


def test_repo_not_found(empty_hf_hub: LoopbackHub) -> None:
    with pytest.raises(
        RepoNotFoundError, match=r"repository nemo-tester/absent was not found on http://127"
    ) as info:
        resolve_pretrained("nemo-tester/absent")
    assert "pass token= or set HF_TOKEN" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    empty_hf_hub.seed("someone/private", {"a.nemo": b"x"}, private=True)
    with pytest.raises(RepoNotFoundError, match="if it is private"):
        resolve_pretrained("someone/private", token=False)


def test_revision_not_found(packed_repo: tuple[str, bytes]) -> None:
    with pytest.raises(
        RevisionNotFoundError, match=r"has no revision 'nope'; its branches are main\."
    ) as info:
        resolve_pretrained(f"{packed_repo[0]}@nope")
    assert "full commit id" in str(info.value)
    with pytest.raises(RevisionNotFoundError):
        resolve_pretrained(packed_repo[0], revision="0" * 40)


def test_revision_by_commit_id(empty_hf_hub: LoopbackHub) -> None:
    first = empty_hf_hub.seed("nemo-tester/history", {"history.nemo": b"first"})
    empty_hf_hub.seed("nemo-tester/history", {"history.nemo": b"second"})
    assert resolve_pretrained(f"nemo-tester/history@{first}").read_bytes() == b"first"
    assert resolve_pretrained("nemo-tester/history").read_bytes() == b"second"
    assert resolve_pretrained("nemo-tester/history@main", revision=first).read_bytes() == b"first"


def test_repo_without_a_model(empty_hf_hub: LoopbackHub) -> None:
    empty_hf_hub.seed("nemo-tester/not-nemo", {"pytorch_model.bin": b"x", "README.md": b"---\na: 1\n---\n"})
    with pytest.raises(NoNemoFileError, match=r"holds no \.nemo file and no unpacked model") as info:
        resolve_pretrained("nemo-tester/not-nemo")
    assert ".gitattributes, README.md, pytorch_model.bin" in str(info.value)
    assert "push_to_hf_hub" in str(info.value)


def test_several_nemo_files(empty_hf_hub: LoopbackHub) -> None:
    empty_hf_hub.seed("nemo-tester/many", {"a.nemo": b"A", "sub/b.nemo": b"B"})
    with pytest.raises(
        AmbiguousNemoFileError, match=r"several \.nemo files .* a\.nemo, sub/b\.nemo\. Pass filename="
    ):
        resolve_pretrained("nemo-tester/many")
    assert resolve_pretrained("nemo-tester/many", filename="sub/b.nemo").read_bytes() == b"B"
    # the file named after the repository wins, as in NeMo
    empty_hf_hub.seed("nemo-tester/many", {"many.nemo": b"M"})
    assert resolve_pretrained("nemo-tester/many").read_bytes() == b"M"


def test_missing_file(empty_hf_hub: LoopbackHub) -> None:
    empty_hf_hub.seed("nemo-tester/one", {"one.nemo": b"1"})
    with pytest.raises(
        FileNotInRepoError, match=r"'two\.nemo' is not in nemo-tester/one@main; its \.nemo files are"
    ):
        resolve_pretrained("nemo-tester/one", filename="two.nemo")


def test_invalid_names(empty_hf_hub: LoopbackHub) -> None:
    for bad in ("no-owner", "a/b/c", "a/b@", "-a/b", "a/b c"):
        with pytest.raises(InvalidRepoIdError, match=r"expected exactly 'owner/name'|names no revision"):
            resolve_pretrained(bad)
    assert empty_hf_hub.requests == []


def test_endpoint_from_argument_and_environment(tiny_model: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    other = LoopbackHub(token="tok", user="far").start()
    try:
        other.seed("far/by-argument", {"by-argument.nemo": b"arg"})
        other.seed("far/by-env", {"by-env.nemo": b"env"})
        assert resolve_pretrained("far/by-argument", api_endpoint=other.url).read_bytes() == b"arg"
        monkeypatch.setenv("HF_ENDPOINT", other.url)
        assert resolve_pretrained("far/by-env").read_bytes() == b"env"
        url = tiny_model.push_to_hf_hub("far/pushed", token="tok")
        assert url.startswith(other.url)
    finally:
        other.stop()


def test_restores_from_what_it_resolves(
    packed_repo: tuple[str, bytes], model_classes: Any, tmp_path: Path
) -> None:
    model = model_classes[0].restore_from(str(resolve_pretrained(packed_repo[0])))
    assert model.weights["decoder.bias"] == [0.5, -0.5]


def test_clear_unpacked_cache(unpacked_repo: str, empty_hf_hub: LoopbackHub) -> None:
    from hf_io import clear_unpacked_cache

    folder = resolve_pretrained(unpacked_repo)
    clear_unpacked_cache(unpacked_repo)
    assert not folder.exists()
    empty_hf_hub.requests.clear()
    # rebuilt from the Hub cache's blobs: the client checks the files but downloads none again
    assert resolve_pretrained(unpacked_repo) == folder
    assert (folder / "model_config.yaml").is_file()
    assert _downloads(empty_hf_hub) == []
