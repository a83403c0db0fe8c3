"""Reading: the real nemo_toolkit 3.0.0 file, in every container, with and without torch."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import nemo_archive
from archive_builders import REF_ARTIFACT, REF_SMALL
from nemo_archive import Archive

VOCAB = b"<pad>\n<unk>\na\nb\nc\nhello\nworld\nnemo\n"
EXPECTED = [
    [-0.013206571, -0.090746664, 0.146819875, -0.226371914],
    [0.017878465, -0.341110498, 0.386741906, -0.363440394],
]
SHAPES = {"encoder.weight": (16, 8), "encoder.bias": (16,), "decoder.weight": (4, 16), "decoder.bias": (4,)}


def _containers(tmp_path: Path) -> dict[str, Path]:
    gz = tmp_path / "ref_small.nemo.gz"
    gz.write_bytes(gzip.compress(REF_SMALL.read_bytes()))
    unpacked = tmp_path / "unpacked"
    with tarfile.open(REF_SMALL) as tar:
        tar.extractall(unpacked, filter="data")
    return {"tar": REF_SMALL, "tar.gz": gz, "directory": unpacked}


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "directory"])
def test_reference_archive_reads_without_torch(tmp_path: Path, kind: str) -> None:
    path = _containers(tmp_path)[kind]
    with Archive(path) as archive:
        assert archive.kind == kind
        assert sorted(archive.names) == sorted([REF_ARTIFACT, "model_config.yaml", "model_weights.ckpt"])
        cfg = archive.config
        assert cfg == {
            "in_features": 8,
            "hidden": 16,
            "out_features": 4,
            "vocab_file": f"nemo:{REF_ARTIFACT}",
            "target": "tests.core.nemo_ref_models.RefSmallModel",
            "nemo_version": "3.0.0",
        }
        assert archive.config_text.startswith("in_features: 8\nhidden: 16\n")
        assert archive.target == "tests.core.nemo_ref_models.RefSmallModel"
        assert archive.artifacts == [REF_ARTIFACT]
        assert archive.artifact_refs() == {"vocab_file": REF_ARTIFACT}
        with archive.open_artifact(cfg["vocab_file"]) as stream:
            assert stream.read() == VOCAB
        info = archive.tensor_info()
        assert {k: v.shape for k, v in info.items()} == SHAPES
        assert {v.dtype for v in info.values()} == {"float32"}
        assert archive.parameter_count() == 212
        assert archive.manifest is None
        assert archive.provenance == {}
        assert archive.verify().ok


def test_artifact_extracts_to_a_chosen_path(tmp_path: Path, ref_small: Path) -> None:
    with Archive(ref_small) as archive:
        chosen = archive.extract_artifact(f"nemo:{REF_ARTIFACT}", tmp_path / "my_vocab.txt")
        assert chosen.read_bytes() == VOCAB
        into_dir = archive.extract_artifact(REF_ARTIFACT, tmp_path)
        assert into_dir == tmp_path / REF_ARTIFACT
        assert into_dir.read_bytes() == VOCAB
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["my_vocab.txt", REF_ARTIFACT])


def test_artifacts_stay_readable_after_the_file_is_deleted(tmp_path: Path, ref_small: Path) -> None:
    copy = tmp_path / "copy.nemo"
    copy.write_bytes(ref_small.read_bytes())
    with Archive(copy) as archive:
        copy.unlink()
        assert archive.open_artifact(REF_ARTIFACT).read() == VOCAB


def test_import_and_metadata_never_import_torch(ref_small: Path) -> None:
    code = (
        "import sys, nemo_archive\n"
        f"a = nemo_archive.Archive({str(ref_small)!r})\n"
        "a.config; a.tensor_info(); a.verify(); a.manifest; a.close()\n"
        "heavy = {'torch', 'numpy', 'omegaconf', 'safetensors'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_everything_but_weights_works_when_torch_cannot_be_imported(ref_small: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # any `import torch` now raises ImportError, as without torch\n"
        "import nemo_archive\n"
        f"a = nemo_archive.Archive({str(ref_small)!r})\n"
        "assert a.parameter_count() == 212 and a.verify().ok\n"
        f"a.extract({str(tmp_path / 'out')!r})\n"
        f"nemo_archive.pack({str(tmp_path / 'out')!r}, {str(tmp_path / 'p.nemo')!r})\n"
        "try:\n"
        "    a.load_state_dict()\n"
        "except nemo_archive.MissingDependencyError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install nemo-archive[torch]" in out.stdout
    assert (tmp_path / "p.nemo").exists()


def test_public_names_resolve() -> None:
    for name in nemo_archive.__all__:
        assert getattr(nemo_archive, name) is not None
    with pytest.raises(AttributeError):
        nemo_archive.no_such_name  # noqa: B018
    assert "Archive" in dir(nemo_archive)


# ---------------------------------------------------------------------------------------------- with torch
torch = pytest.importorskip("torch")


def _forward(sd: dict[str, object]) -> object:
    x = torch.arange(16, dtype=torch.float32).reshape(2, 8) / 10
    hidden = torch.relu(x @ sd["encoder.weight"].T + sd["encoder.bias"])  # type: ignore[attr-defined]
    return hidden @ sd["decoder.weight"].T + sd["decoder.bias"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "directory"])
@pytest.mark.parametrize("mmap", [True, False])
def test_reference_weights_load_and_compute_the_recorded_output(
    tmp_path: Path, kind: str, mmap: bool
) -> None:
    with Archive(_containers(tmp_path)[kind]) as archive:
        sd = archive.load_state_dict("cpu", mmap=mmap)
        member = archive.read_member("model_weights.ckpt")
    import io

    reference = torch.load(io.BytesIO(member), weights_only=True)
    assert list(sd) == list(reference)
    for key, value in reference.items():
        assert torch.equal(sd[key], value)
        assert sd[key].dtype == value.dtype
    assert sd._metadata == reference._metadata
    out = _forward(sd)
    assert torch.allclose(out, torch.tensor(EXPECTED), atol=1e-7)


def test_mmap_tensors_are_copy_on_write(tmp_path: Path, ref_small: Path) -> None:
    copy = tmp_path / "copy.nemo"
    copy.write_bytes(ref_small.read_bytes())
    with Archive(copy) as archive:
        first = archive.load_state_dict()
        first["encoder.bias"].add_(1.0)
        second = archive.load_state_dict()
        assert not torch.equal(first["encoder.bias"], second["encoder.bias"])
        assert archive.verify().ok
    assert copy.read_bytes() == ref_small.read_bytes()
    # The tensors outlive the closed archive.
    assert torch.allclose(_forward(second), torch.tensor(EXPECTED), atol=1e-7)


def test_map_location_forms(ref_small: Path) -> None:
    with Archive(ref_small) as archive:
        for location in (None, "cpu", torch.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage):
            sd = archive.load_state_dict(location)
            assert sd["decoder.bias"].device.type == "cpu"
            assert torch.allclose(_forward(sd), torch.tensor(EXPECTED), atol=1e-7)


def test_bad_map_location_is_reported_before_reading(ref_small: Path) -> None:
    with Archive(ref_small) as archive, pytest.raises(ValueError, match="not a device"):
        archive.load_state_dict("no-such-device")


def test_unsafe_loading_needs_an_explicit_argument(ref_small: Path) -> None:
    with Archive(ref_small) as archive:
        sd = archive.load_state_dict(weights_only=False)
    assert torch.allclose(_forward(sd), torch.tensor(EXPECTED), atol=1e-7)


def test_checkpoint_with_parameters_dtypes_and_nested_values(tmp_path: Path) -> None:
    payload = {
        "state_dict": {
            "w": torch.nn.Parameter(torch.arange(6, dtype=torch.float32).reshape(2, 3)),
            "half": torch.ones(3, dtype=torch.bfloat16),
            "view": torch.arange(10, dtype=torch.int64)[2:8:2],
            "empty": torch.empty(0, 4),
        },
        "meta": {"dtype": torch.float16, "size": torch.Size([2, 3]), "bytes": b"\x00\xff", "set": {1, 2}},
        "device": torch.device("cpu"),
    }
    ckpt = tmp_path / "model_weights.ckpt"
    torch.save(payload, ckpt)
    from archive_builders import CONFIG_YAML, make_tar

    path = make_tar(
        tmp_path / "p.nemo",
        [("./model_config.yaml", CONFIG_YAML), ("./model_weights.ckpt", ckpt.read_bytes())],
    )
    with Archive(path) as archive:
        info = archive.tensor_info()
        assert info["state_dict.view"].shape == (3,)
        assert info["state_dict.view"].stride == (2,)
        assert info["state_dict.half"].dtype == "bfloat16"
        loaded = archive.load_state_dict()
    assert isinstance(loaded["state_dict"]["w"], torch.nn.Parameter)
    assert torch.equal(loaded["state_dict"]["view"], torch.tensor([2, 4, 6]))
    assert torch.equal(loaded["state_dict"]["half"], payload["state_dict"]["half"])
    assert loaded["state_dict"]["empty"].shape == (0, 4)
    assert loaded["meta"] == payload["meta"]
    assert loaded["device"] == torch.device("cpu")


# torch.load(weights_only=True) announces its O(nnz) invariant scan of sparse tensors; expected here.
@pytest.mark.filterwarnings("ignore:Validating sparse tensor invariants:UserWarning")
def test_sparse_tensors_fall_back_to_torch_weights_only(tmp_path: Path) -> None:
    q = torch.sparse_coo_tensor(torch.tensor([[0, 2]]), torch.tensor([1.5, 2.5]), (4,), check_invariants=True)
    ckpt = tmp_path / "q.ckpt"
    torch.save({"q": q}, ckpt)
    from archive_builders import CONFIG_YAML, make_tar

    path = make_tar(
        tmp_path / "q.nemo",
        [("./model_config.yaml", CONFIG_YAML), ("./model_weights.ckpt", ckpt.read_bytes())],
    )
    with Archive(path) as archive:
        loaded = archive.load_state_dict()
    assert torch.equal(loaded["q"].to_dense(), q.to_dense())
    with Archive(path) as archive, pytest.raises(nemo_archive.UnsafeContentError, match="sparse"):
        archive.tensor_info()  # the torch-free reader knows plain tensors only


def test_cli_info_json_reports_parameters(ref_small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nemo_archive.cli import main

    assert main(["info", "--json", str(ref_small)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["parameters"] == 212
    assert info["tensors"] == 4
    assert info["format"] == "tar"
