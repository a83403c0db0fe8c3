"""Writing: layout, manifest, atomicity, nemo_toolkit's reader conventions, safetensors, pack/unpack."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
from pathlib import Path

import pytest

import nemo_archive
from archive_builders import REF_ARTIFACT
from nemo_archive import Archive, ArchiveWriter, errors

torch = pytest.importorskip("torch")


def _state_dict() -> dict[str, object]:
    gen = torch.Generator().manual_seed(0)
    return {
        "encoder.weight": torch.randn(16, 8, generator=gen),
        "encoder.bias": torch.randn(16, generator=gen),
        "decoder.weight": torch.randn(4, 16, generator=gen).to(torch.bfloat16),
        "step": torch.tensor(7),
    }


def _same(a: dict[str, object], b: dict[str, object]) -> bool:
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)  # type: ignore[arg-type]


def test_written_layout_and_manifest(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\n")
    sd = _state_dict()
    cfg = {"target": "pkg.Model", "tokenizer": {"vocab": str(vocab)}, "hidden": 16}
    path = nemo_archive.save(
        tmp_path / "out" / "m.nemo",
        cfg,
        sd,
        artifacts={"tokenizer.vocab": vocab},
        provenance={"source_checkpoint": "last.ckpt", "step": 1000, "epoch": 3, "metric": {"val_loss": 0.5}},
    )
    assert cfg["tokenizer"]["vocab"] == str(vocab)  # the caller's config is not modified
    with tarfile.open(path, "r:") as tar:
        infos = tar.getmembers()
        names = [i.name for i in infos]
        assert names[0] == "./model_config.yaml"  # found in the first header
        assert names[1] == "./manifest.json"
        assert names[-1] == "./model_weights.ckpt"
        assert len(names) == 4
        assert names[2].endswith("_vocab.txt")
        assert all(i.isreg() and i.mode == 0o644 for i in infos)
        assert all(i.offset_data % 512 == 0 for i in infos)
        members = {i.name[2:]: tar.extractfile(i).read() for i in infos}  # type: ignore[union-attr]
    assert os.path.getsize(path) % 10240 == 0
    manifest = json.loads(members["manifest.json"])
    assert manifest["format"] == "nemo-archive"
    assert manifest["format_version"] == 1
    assert manifest["writer"] == {"name": "nemo-archive", "version": nemo_archive.__version__}
    assert manifest["weights_format"] == "ckpt"
    assert manifest["provenance"]["metric"] == {"val_loss": 0.5}
    listed = {m["name"]: m for m in manifest["members"]}
    assert set(listed) == set(members) - {"manifest.json"}
    for name, data in members.items():
        if name != "manifest.json":
            assert listed[name]["size"] == len(data)
            assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest()
    with Archive(path) as archive:
        ref = archive.config["tokenizer"]["vocab"]
        assert ref.startswith("nemo:")
        assert len(ref.split(":")[1].split("_")[0]) == 32
        assert archive.open_artifact(ref).read() == b"a\nb\n"
        assert archive.provenance["step"] == 1000
        assert archive.verify().ok
        assert _same(archive.load_state_dict(), sd)
        assert archive.tensor_info()["decoder.weight"].dtype == "bfloat16"


def test_nemo_toolkit_reader_conventions(tmp_path: Path) -> None:
    """What nemo_toolkit's restore does: tarfile 'r:', extract, read the YAML, torch.load the weights."""
    sd = _state_dict()
    path = nemo_archive.save(tmp_path / "m.nemo", {"target": "pkg.Model"}, sd)
    out = tmp_path / "extracted"
    with tarfile.open(path, "r:") as tar:
        tar.extractall(out, filter="data")
        # NeMo's detect_prefix: exactly one member ending in model_config.yaml
        assert [n for n in tar.getnames() if n.endswith("model_config.yaml")] == ["./model_config.yaml"]
    assert (out / "model_config.yaml").read_text() == "target: pkg.Model\n"
    loaded = torch.load(out / "model_weights.ckpt", map_location="cpu", weights_only=True)
    assert _same(loaded, sd)


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "m.nemo"
    nemo_archive.save(path, {"v": 1}, _state_dict())
    before = path.read_bytes()

    class Boom:
        def __reduce__(self) -> object:
            raise RuntimeError("crash while serializing")

    with pytest.raises(RuntimeError, match="crash while serializing"):
        nemo_archive.save(path, {"v": 2}, {"w": torch.ones(1000), "bad": Boom()})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nemo"]


def test_writer_refuses_a_directory_destination_and_missing_config(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path / "x.nemo")
    with pytest.raises(errors.MissingMemberError, match="set_config"):
        writer.commit()
    writer = ArchiveWriter(tmp_path)
    writer.set_config({"a": 1})
    with pytest.raises(errors.DestinationError, match="is a directory"):
        writer.commit()
    with pytest.raises(ValueError, match="weights_format"):
        ArchiveWriter(tmp_path / "y.nemo", weights_format="npz")
    with pytest.raises(TypeError, match="JSON-serialisable"):
        ArchiveWriter(tmp_path / "z.nemo", provenance={"metric": object()})
    assert not (tmp_path / "z.nemo").exists()


def test_nested_configs_share_artifacts_stored_once(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("shared")
    with ArchiveWriter(tmp_path / "nested.nemo", provenance={"kind": "nested"}) as writer:
        parent_ref = writer.add_artifact(vocab)
        child_ref = writer.add_artifact(vocab)
        blob_ref = writer.add_artifact(b"raw bytes", name="blob.bin")
        writer.set_config(
            {
                "target": "pkg.Parent",
                "vocab": parent_ref,
                "child": {"target": "pkg.Child", "vocab": child_ref, "extra": [blob_ref]},
            }
        )
        writer.set_weights({"child.w": torch.zeros(2)})
    assert parent_ref == child_ref
    with Archive(tmp_path / "nested.nemo") as archive:
        assert len(archive.artifacts) == 2
        refs = archive.artifact_refs()
        assert refs["vocab"] == refs["child.vocab"] == parent_ref[5:]
        assert archive.open_artifact(refs["child.extra.0"]).read() == b"raw bytes"
        assert archive.verify().ok


def test_resave_copies_artifacts_from_an_open_archive_after_its_file_is_gone(
    tmp_path: Path, ref_small: Path
) -> None:
    source = tmp_path / "source.nemo"
    source.write_bytes(ref_small.read_bytes())
    with Archive(source) as archive:
        cfg = archive.config
        sd = archive.load_state_dict()
        source.unlink()
        out = nemo_archive.save(
            tmp_path / "again.nemo", cfg, sd, artifacts={"vocab_file": (archive, cfg["vocab_file"])}
        )
    with Archive(out) as again:
        # the member name (and so the config reference) is kept, like NeMo's TAR_PATH artifacts
        assert again.config["vocab_file"] == f"nemo:{REF_ARTIFACT}"
        assert again.open_artifact(REF_ARTIFACT).read().startswith(b"<pad>")
        assert _same(again.load_state_dict(), sd)
        assert again.verify().ok


def test_safetensors_weights_round_trip_and_match_the_safetensors_library(tmp_path: Path) -> None:
    safetensors_torch = pytest.importorskip("safetensors.torch")
    sd = _state_dict()
    path = nemo_archive.save(tmp_path / "s.nemo", {"t": 1}, sd, weights_format="safetensors")
    with Archive(path) as archive:
        assert archive.weights_format == "safetensors"
        assert archive.manifest is not None
        assert archive.manifest.weights_format == "safetensors"
        info = archive.tensor_info()
        assert info["decoder.weight"].dtype == "bfloat16"
        assert info["decoder.weight"].shape == (4, 16)
        assert archive.parameter_count() == 16 * 8 + 16 + 4 * 16 + 1
        loaded = archive.load_state_dict()
        theirs = safetensors_torch.load(archive.read_member("model_weights.safetensors"))
        assert archive.verify().ok
    assert all(torch.equal(loaded[k], sd[k]) and torch.equal(theirs[k], sd[k]) for k in sd)
    # and a file written by the safetensors library reads here
    mine = tmp_path / "theirs.safetensors"
    safetensors_torch.save_file(sd, str(mine))
    with ArchiveWriter(tmp_path / "t.nemo") as writer:
        writer.set_config({"t": 2})
        writer.set_weights_file(mine)
    with Archive(tmp_path / "t.nemo") as archive:
        assert all(torch.equal(archive.load_state_dict(mmap=False)[k], sd[k]) for k in sd)


def test_pack_and_unpack_round_trip(tmp_path: Path, ref_small: Path) -> None:
    unpacked = tmp_path / "unpacked"
    written = nemo_archive.unpack(ref_small, unpacked)
    assert sorted(p.name for p in written) == sorted(
        [REF_ARTIFACT, "model_config.yaml", "model_weights.ckpt"]
    )
    packed = nemo_archive.pack(unpacked, tmp_path / "packed.nemo", provenance={"packed_from": "dir"})
    with Archive(packed) as archive:
        assert archive.names[:2] == ["model_config.yaml", "manifest.json"]
        assert archive.names[-1] == "model_weights.ckpt"
        assert archive.read_member("model_config.yaml") == (unpacked / "model_config.yaml").read_bytes()
        assert archive.provenance == {"packed_from": "dir"}
        assert archive.verify().ok
        sd = archive.load_state_dict()
    with Archive(ref_small) as original:
        assert _same(sd, original.load_state_dict())
    # unpack → pack again keeps the provenance of the manifest found in the directory
    again_dir = tmp_path / "again"
    nemo_archive.unpack(packed, again_dir)
    again = nemo_archive.pack(again_dir, tmp_path / "again.nemo")
    with Archive(again) as archive:
        assert archive.provenance == {"packed_from": "dir"}


def test_verify_detects_tampering(tmp_path: Path) -> None:
    path = nemo_archive.save(tmp_path / "m.nemo", {"a": 1}, {"w": torch.ones(100)})
    data = bytearray(path.read_bytes())
    at = data.rindex(b"\x00\x00\x80\x3f")  # a float32 1.0 of the weights
    data[at + 3] = 0x40
    tampered = tmp_path / "tampered.nemo"
    tampered.write_bytes(bytes(data))
    with Archive(tampered) as archive:
        report = archive.verify()
    assert not report.ok
    failed = [c.name for c in report.checks if not c.ok]
    assert failed == ["hash model_weights.ckpt"]
    with pytest.raises(errors.IntegrityError, match=r"model_weights\.ckpt"):
        report.raise_for_errors()


def test_writer_accepts_yaml_text_verbatim(tmp_path: Path) -> None:
    text = "# comment kept\nname: x  # inline\n"
    with ArchiveWriter(tmp_path / "y.nemo", durable=False) as writer:
        writer.set_config(text)
        writer.set_weights({"w": torch.zeros(1)})
    with Archive(tmp_path / "y.nemo") as archive:
        assert archive.config_text == text
        assert archive.config == {"name": "x"}


def test_state_dict_loaded_from_archive_can_be_written_again_to_the_same_path(tmp_path: Path) -> None:
    path = nemo_archive.save(tmp_path / "m.nemo", {"a": 1}, _state_dict())
    with Archive(path) as archive:
        sd = archive.load_state_dict()
    nemo_archive.save(path, {"a": 2}, sd)  # the mapped tensors survive the rename over their file
    with Archive(path) as archive:
        assert archive.config == {"a": 2}
        assert _same(archive.load_state_dict(), _state_dict())


def test_large_tensor_streams_through_the_parallel_hasher(tmp_path: Path) -> None:
    sd = {"big": torch.arange(3 * 1024 * 1024, dtype=torch.float32)}  # 12 MiB: chunks above 1 MiB
    path = nemo_archive.save(tmp_path / "big.nemo", {"a": 1}, sd)
    with Archive(path) as archive:
        assert archive.verify().ok
        entry = archive.manifest.entry("model_weights.ckpt")  # type: ignore[union-attr]
        assert entry is not None
        assert entry.sha256 == hashlib.sha256(archive.read_member("model_weights.ckpt")).hexdigest()
        assert torch.equal(archive.load_state_dict()["big"], sd["big"])
    buf = io.BytesIO()
    torch.save(sd, buf)
    assert entry.size == len(buf.getvalue())


def test_add_member_refuses_unsafe_or_reserved_names(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path / "m.nemo")
    with pytest.raises(errors.UnsafeMemberError):
        writer.add_member("../escape.txt", b"x")
    with pytest.raises(ValueError, match="reserved"):
        writer.add_member("manifest.json", b"{}")
    writer.add_member("mp_rank_00/notes.txt", b"kept")
    writer.set_config({"a": 1})
    writer.set_weights({"w": torch.zeros(1)})
    writer.commit()
    with Archive(tmp_path / "m.nemo") as archive:
        assert archive.read_member("mp_rank_00/notes.txt") == b"kept"
        assert archive.verify().ok


def test_weights_without_zip_crc_still_load_everywhere_and_verify(tmp_path: Path) -> None:
    sd = _state_dict()
    path = nemo_archive.save(tmp_path / "nocrc.nemo", {"a": 1}, sd, zip_crc32=False)
    assert torch.serialization.get_crc32_options()  # the global torch setting is restored
    with Archive(path) as archive:
        assert archive.verify().ok
        assert _same(archive.load_state_dict(), sd)
        member = archive.read_member("model_weights.ckpt")
    assert _same(torch.load(io.BytesIO(member), weights_only=True), sd)


def test_durable_save_requests_early_writeback_and_writes_the_same_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nemo_archive import _fs

    made: list[_fs.Writeback] = []
    started: list[bool] = []

    class Recorded(_fs.Writeback):
        def __init__(self, fd: int, step: int = 1 << 20) -> None:  # small steps: several requests
            super().__init__(fd, step)
            made.append(self)

        def close(self) -> None:
            started.append(self._thread is not None)
            super().close()

    monkeypatch.setattr(nemo_archive.writer, "Writeback", Recorded)
    sd = {"big": torch.arange(3 * 1024 * 1024, dtype=torch.float32)}
    durable = nemo_archive.save(tmp_path / "durable.nemo", {"a": 1}, sd)
    plain = nemo_archive.save(tmp_path / "plain.nemo", {"a": 1}, sd, durable=False)
    assert len(made) == 2
    assert started == [sys.platform.startswith("linux"), False]  # durable=False asks for nothing
    assert made[1].requests == 0
    for path in (durable, plain):
        with Archive(path) as archive:
            assert archive.verify().ok
            assert torch.equal(archive.load_state_dict()["big"], sd["big"])
    with Archive(durable) as a, Archive(plain) as b:
        assert a.read_member("model_weights.ckpt") == b.read_member("model_weights.ckpt")
