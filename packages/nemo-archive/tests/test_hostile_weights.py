"""Hostile weights: pickles that are not trees, torch zips with doubled or aliased records, safetensors whose
byte ranges do not tile the data, and files changed under a loaded model.

Each case must end quickly with nemo-archive's own error (or, for the changed files, with tensors that did not
change). The archives are built here with the standard library; only the loading tests need torch.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import pytest

from archive_builders import CONFIG_YAML, make_tar, torch_zip
from nemo_archive import Archive, errors
from nemo_archive.cli import main as cli_main

# ------------------------------------------------------------------ pickles that are not trees


def _shared_dag(levels: int) -> bytes:
    """A few hundred bytes: level n is a list holding level n-1 twice, so a naive walk sees 2**levels paths."""
    node: list[object] = []
    for _ in range(levels):
        node = [node, node]
    return pickle.dumps({"model.weight": node}, protocol=2)


def _self_list() -> bytes:
    loop: list[object] = []
    loop.append(loop)
    return pickle.dumps({"layer": loop}, protocol=2)


def _self_dict() -> bytes:
    loop: dict[str, object] = {}
    loop["again"] = loop
    return pickle.dumps(loop, protocol=2)


def _deep_key() -> bytes:
    # {((((...)))): 1}: the key is a tuple nested 300k deep. Hashing it recurses in C without a guard, so
    # the interpreter dies (SIGSEGV) unless the pickle is refused before it is loaded.
    return b"\x80\x02}" + b")" + b"\x85" * 300_000 + b"K\x01s."


NOT_TREES = {"dag_2_pow_40": _shared_dag(40), "self_list": _self_list(), "self_dict": _self_dict()}


def _ckpt_archive(tmp_path: Path, pickle_bytes: bytes, name: str = "m.nemo") -> Path:
    weights = torch_zip(pickle_bytes)
    return make_tar(tmp_path / name, [("model_config.yaml", CONFIG_YAML), ("model_weights.ckpt", weights)])


@pytest.mark.parametrize("kind", sorted(NOT_TREES))
def test_pickle_that_is_not_a_tree_is_refused_by_tensor_info(tmp_path: Path, kind: str) -> None:
    path = _ckpt_archive(tmp_path, NOT_TREES[kind])
    assert len(NOT_TREES[kind]) < 1000
    with Archive(path) as archive, pytest.raises(errors.UnsafeContentError, match="two places") as info:
        archive.tensor_info()
    assert info.value.member == "model_weights.ckpt"


@pytest.mark.parametrize("kind", sorted(NOT_TREES))
def test_pickle_that_is_not_a_tree_fails_verify_and_info_cleanly(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _ckpt_archive(tmp_path, NOT_TREES[kind])
    with Archive(path) as archive:
        report = archive.verify()
    assert not report.ok
    weights = next(c for c in report.checks if c.name == "weights")
    assert "two places" in weights.detail
    assert cli_main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "unreadable" in out
    assert "two places" in out
    assert "RecursionError" not in out


def test_deep_tuple_key_does_not_crash_the_interpreter(tmp_path: Path) -> None:
    path = _ckpt_archive(tmp_path, _deep_key())
    code = textwrap.dedent(
        f"""
        from nemo_archive import Archive, errors
        with Archive({str(path)!r}) as archive:
            try:
                archive.tensor_info()
            except errors.UnsafeContentError as exc:
                assert "deeper than" in str(exc), exc
                print("refused")
            report = archive.verify()
            assert not report.ok
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "refused" in result.stdout


def test_duplicate_torch_zip_record_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        zf.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
        zf.writestr("archive/data/0", b"\0" * 16)
        zf.writestr("archive/data/0", b"\1" * 16)
    path = make_tar(
        tmp_path / "dup.nemo", [("model_config.yaml", CONFIG_YAML), ("model_weights.ckpt", buf.getvalue())]
    )
    with Archive(path) as archive, pytest.raises(errors.CorruptArchiveError, match="more than once"):
        archive.tensor_info()


def _aliased_records() -> bytes:
    """A torch zip whose central directory points records data/0 and data/1 at the same bytes."""
    raw = bytearray(torch_zip(pickle.dumps({}, protocol=2), {"0": b"A" * 64, "1": b"B" * 64}))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        first = zf.getinfo("archive/data/0").header_offset
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + name_len] == b"archive/data/1":
            struct.pack_into("<L", raw, at + 42, first)
        at = raw.find(b"PK\x01\x02", at + 4)
    return bytes(raw)


def test_aliased_torch_zip_records_are_refused(tmp_path: Path) -> None:
    path = make_tar(
        tmp_path / "alias.nemo",
        [("model_config.yaml", CONFIG_YAML), ("model_weights.ckpt", _aliased_records())],
    )
    with Archive(path) as archive, pytest.raises(errors.CorruptArchiveError, match="overlaps"):
        archive.tensor_info()


# ------------------------------------------------------------------ safetensors ranges


def _safetensors(
    entries: dict[str, tuple[list[int], int, int]], data_len: int, raw_header: bytes = b""
) -> bytes:
    header = (
        raw_header
        or json.dumps(
            {
                name: {"dtype": "F32", "shape": shape, "data_offsets": [b, e]}
                for name, (shape, b, e) in entries.items()
            }
        ).encode()
    )
    return struct.pack("<Q", len(header)) + header + b"\0" * data_len


SAFETENSORS_BAD = {
    # two parameters aliasing one buffer
    "overlap": _safetensors({"a": ([4], 0, 16), "b": ([4], 0, 16)}, 16),
    "partial_overlap": _safetensors({"a": ([4], 0, 16), "b": ([4], 8, 24)}, 24),
    "gap": _safetensors({"a": ([4], 0, 16), "b": ([4], 32, 48)}, 48),
    "not_from_zero": _safetensors({"a": ([4], 16, 32)}, 32),
    "trailing_bytes": _safetensors({"a": ([4], 0, 16)}, 64),
    "out_of_bounds": _safetensors({"a": ([4], 0, 16), "b": ([4], 16, 32)}, 20),
    "duplicate_key": _safetensors(
        {},
        16,
        b'{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},'
        b' "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}',
    ),
    "deep_json": _safetensors({}, 0, b"[" * 200_000 + b"]" * 200_000),
}


@pytest.mark.parametrize("kind", sorted(SAFETENSORS_BAD))
def test_safetensors_whose_ranges_do_not_tile_the_data_are_refused(tmp_path: Path, kind: str) -> None:
    path = make_tar(
        tmp_path / f"{kind}.nemo",
        [("model_config.yaml", CONFIG_YAML), ("model_weights.safetensors", SAFETENSORS_BAD[kind])],
    )
    with Archive(path) as archive:
        with pytest.raises(errors.CorruptArchiveError) as info:
            archive.tensor_info()
        assert not archive.verify().ok
    assert info.value.member == "model_weights.safetensors"


def test_safetensors_listed_out_of_offset_order_but_tiling_is_read(tmp_path: Path) -> None:
    data = _safetensors({"z_first": ([4], 0, 16), "a_second": ([2, 2], 16, 32), "empty": ([0], 32, 32)}, 32)
    path = make_tar(
        tmp_path / "ok.nemo", [("model_config.yaml", CONFIG_YAML), ("model_weights.safetensors", data)]
    )
    with Archive(path) as archive:
        assert sorted(archive.tensor_info()) == ["a_second", "empty", "z_first"]


# ------------------------------------------------------------------ loading (torch)


def test_not_a_tree_is_refused_by_load_state_dict(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    for kind, data in NOT_TREES.items():
        path = _ckpt_archive(tmp_path, data, f"{kind}.nemo")
        for mmap in (False, True):
            with Archive(path) as archive, pytest.raises(errors.UnsafeContentError, match="two places"):
                archive.load_state_dict(mmap=mmap)


def _nemo_style(tmp_path: Path, state: dict[str, object], name: str = "n.nemo") -> Path:
    """An archive as nemo_toolkit writes it: a plain tar, torch.save's zip (with CRCs), no manifest."""
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)
    return make_tar(
        tmp_path / name, [("model_config.yaml", CONFIG_YAML), ("model_weights.ckpt", buf.getvalue())]
    )


def _state(seed: float) -> dict[str, object]:
    import torch

    return {f"layer{i}.weight": torch.full((256, 256), seed + i) for i in range(4)}


def test_loaded_tensors_do_not_change_when_the_file_is_overwritten(tmp_path: Path) -> None:
    import torch

    path = _nemo_style(tmp_path, _state(1.0))
    other = _nemo_style(tmp_path, _state(7.0), "other.nemo")
    with Archive(path) as archive:
        loaded = archive.load_state_dict()
    # `cp other.nemo model.nemo`: same inode, new bytes.
    with open(path, "r+b") as f:
        f.write(other.read_bytes())
    for key, value in _state(1.0).items():
        assert torch.equal(loaded[key], value), key


@pytest.mark.slow
def test_loaded_tensors_survive_truncation_of_the_file(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    path = _nemo_style(tmp_path, _state(1.0))
    code = textwrap.dedent(
        f"""
        import os
        from nemo_archive import Archive
        with Archive({str(path)!r}) as archive:
            loaded = archive.load_state_dict()
        os.truncate({str(path)!r}, 0)
        print(sum(float(t.sum()) for t in loaded.values()))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert float(result.stdout) == sum((1.0 + i) * 256 * 256 for i in range(4))


def _flip_inside_tensor(path: Path, needle: bytes) -> None:
    raw = bytearray(path.read_bytes())
    at = raw.find(needle)
    assert at > 0
    raw[at + 5] ^= 0x10
    path.write_bytes(bytes(raw))


def test_corrupt_weight_byte_is_detected_by_crc_and_opt_out_loads(tmp_path: Path) -> None:
    import torch

    path = _nemo_style(tmp_path, _state(1.0))
    _flip_inside_tensor(path, torch.full((64,), 3.0).numpy().tobytes())
    with Archive(path) as archive:
        with pytest.raises(errors.IntegrityError, match="CRC-32"):
            archive.load_state_dict()
        loaded = archive.load_state_dict(check_integrity=False)
    assert not torch.equal(loaded["layer2.weight"], torch.full((256, 256), 3.0))


def test_corrupt_weight_byte_is_detected_by_the_manifest_hash(tmp_path: Path) -> None:
    import torch

    import nemo_archive

    path = nemo_archive.save(tmp_path / "m.nemo", {"hidden": 4}, _state(1.0), durable=False)
    _flip_inside_tensor(path, torch.full((64,), 2.0).numpy().tobytes())
    with Archive(path) as archive:
        with pytest.raises(errors.IntegrityError, match="SHA-256"):
            archive.load_state_dict()
        assert archive.load_state_dict(check_integrity=False)["layer0.weight"].shape == (256, 256)


def test_default_load_keeps_ties_and_mmap_stays_available(tmp_path: Path) -> None:
    import torch

    import nemo_archive

    state = _state(1.0)
    state["tied"] = state["layer0.weight"]
    path = nemo_archive.save(tmp_path / "m.nemo", {"hidden": 4}, state, durable=False)
    with Archive(path) as archive:
        owned = archive.load_state_dict()
        mapped = archive.load_state_dict(mmap=True)
    for loaded in (owned, mapped):
        assert loaded["tied"].data_ptr() == loaded["layer0.weight"].data_ptr()
        assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_safetensors_load_is_owned_and_checked(tmp_path: Path) -> None:
    import torch

    import nemo_archive

    path = nemo_archive.save(
        tmp_path / "s.nemo", {"hidden": 4}, _state(1.0), weights_format="safetensors", durable=False
    )
    with Archive(path) as archive:
        loaded = archive.load_state_dict()
    with open(path, "r+b") as f:
        f.write(b"\0" * os.path.getsize(path))
    assert torch.equal(loaded["layer3.weight"], torch.full((256, 256), 4.0))
