"""A Hub that lies: bad commit ids, traversal file names, wrong bytes, bodies cut short. Nothing escapes the cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hf_io import (
    CorruptDownloadError,
    DownloadError,
    UnsafeHubResponseError,
    resolve_pretrained,
)
from hf_io._download import check_commit, check_filename
from nemo_testing.hub_server import LoopbackHub


def _home() -> Path:
    return Path(os.environ["HF_HOME"])


def _gets(hub: LoopbackHub) -> int:
    return sum(1 for method, path in hub.requests if method == "GET" and "/resolve/" in path)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    (folder / "model_config.yaml").write_text("not: a model from the Hub\n")
    return folder


def _push(model: Any, hub: LoopbackHub, repo_id: str, *, packed: bool) -> None:
    model.push_to_hf_hub(repo_id, pack_nemo_file=packed)
    hub.requests.clear()


@pytest.mark.parametrize("packed", [True, False])
def test_a_traversal_commit_id_is_refused_and_nothing_outside_is_touched(
    empty_hf_hub: LoopbackHub, connector_model: Any, victim: Path, packed: bool
) -> None:
    repo_id = f"nemo-tester/sha-{'packed' if packed else 'unpacked'}"
    _push(connector_model, empty_hf_hub, repo_id, packed=packed)
    unpacked_parent = _home() / "nemo" / "unpacked" / ("models--" + repo_id.replace("/", "--"))
    empty_hf_hub.lies.commit_sha = os.path.relpath(victim, unpacked_parent)  # ../../../../victim
    for refresh in (True, False):
        with pytest.raises(UnsafeHubResponseError, match="commit id"):
            resolve_pretrained(repo_id, refresh_cache=refresh)
    assert sorted(p.name for p in victim.iterdir()) == ["model_config.yaml", "precious.txt"]
    assert _gets(empty_hf_hub) == 0


def test_traversal_file_names_in_a_listing_are_refused(
    empty_hf_hub: LoopbackHub, connector_model: Any, tmp_path: Path
) -> None:
    _push(connector_model, empty_hf_hub, "nemo-tester/names", packed=False)
    for name in ("../../../../escape.txt", "/etc/passwd", "a/../../b", "a\\..\\b", "ok/\x00"):
        empty_hf_hub.lies.extra_files = [name]
        with pytest.raises(UnsafeHubResponseError, match="plain relative paths"):
            resolve_pretrained("nemo-tester/names", refresh_cache=True)
    assert _gets(empty_hf_hub) == 0
    assert not list(_home().parent.glob("**/escape.txt"))


def test_wrong_bytes_are_refused_not_cached_and_the_next_honest_download_is_kept(
    empty_hf_hub: LoopbackHub, tiny_model: Any
) -> None:
    _push(tiny_model, empty_hf_hub, "nemo-tester/wrong-bytes", packed=True)
    empty_hf_hub.lies.wrong_bytes = True
    with pytest.raises(CorruptDownloadError, match="does not match"):
        resolve_pretrained("nemo-tester/wrong-bytes")
    storage = _home() / "hub" / "models--nemo-tester--wrong-bytes"
    assert not list((storage / "blobs").iterdir())  # neither the bytes nor a partial file
    assert not list((storage / "snapshots").rglob("*.nemo"))
    empty_hf_hub.lies.wrong_bytes = False
    assert resolve_pretrained("nemo-tester/wrong-bytes").read_bytes() == tiny_model.saved[-1][1]


def test_a_body_cut_once_is_resumed_and_one_always_cut_fails_cleanly(
    empty_hf_hub: LoopbackHub, tiny_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("huggingface_hub.file_download.time.sleep", lambda s: None)
    _push(tiny_model, empty_hf_hub, "nemo-tester/cut", packed=True)
    data = tiny_model.saved[-1][1]
    empty_hf_hub.lies.cut_after = len(data) // 2
    with pytest.raises(DownloadError, match="failed midway"):
        resolve_pretrained("nemo-tester/cut")
    assert _gets(empty_hf_hub) <= 10  # the client's retries are bounded
    storage = _home() / "hub" / "models--nemo-tester--cut"
    assert not list((storage / "blobs").iterdir())
    assert not list((storage / "snapshots").rglob("*.nemo"))
    empty_hf_hub.lies.cut_times = 1  # cut once, then honest: the client resumes within the call
    assert resolve_pretrained("nemo-tester/cut").read_bytes() == data


def test_name_checks() -> None:
    assert check_commit("a" * 40, "x") == "a" * 40
    for bad in ("A" * 40, "a" * 39, "../../victim", "", None, "main"):
        with pytest.raises(UnsafeHubResponseError):
            check_commit(bad, "x")
    assert check_filename("weights/model.ckpt", "x") == "weights/model.ckpt"
    for bad in ("", ".", "..", "a//b", "./a", "C:/x", "a\x7f", 3):
        with pytest.raises(UnsafeHubResponseError):
            check_filename(bad, "x")
