"""SaveRestoreConnector's protected NeMo hooks: each works on its own, subclasses overriding them are used by
save and restore, hostile archives are refused, and bad arguments get clear errors."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
import torch

from conftest import REF_X
from modelpt import ModelPT, SaveRestoreConnector
from modelpt.errors import ArgumentTypeError, ArgumentValueError, ArtifactError, DeviceError
from modelpt_test_models import RefSmallModel
from nemo_archive import UnsafeMemberError
from nemo_archive.errors import CorruptArchiveError

VOCAB_HEAD = "<pad>"


def restored(ref_nemo, connector=None):
    return RefSmallModel.restore_from(str(ref_nemo), map_location="cpu", save_restore_connector=connector)


def outputs(model):
    model.eval()
    with torch.no_grad():
        return model(x=torch.tensor(REF_X))


# ---------------------------------------------------------------------------------------------- plain hooks
def test_unpack_all_and_selected_members(tmp_path, ref_nemo):
    out = tmp_path / "all"
    assert SaveRestoreConnector._unpack_nemo_file(str(ref_nemo), str(out)) == str(out)
    names = sorted(os.listdir(out))
    assert "model_config.yaml" in names
    assert "model_weights.ckpt" in names
    yaml_only = SaveRestoreConnector._filtered_tar_info(
        str(ref_nemo), filter_fn=lambda n: n.endswith(".yaml")
    )
    assert [m.name.lstrip("./") for m in yaml_only] == ["model_config.yaml"]
    some = tmp_path / "some"
    SaveRestoreConnector._unpack_nemo_file(str(ref_nemo), str(some), members=yaml_only)
    assert os.listdir(some) == ["model_config.yaml"]
    by_name = tmp_path / "by_name"
    SaveRestoreConnector._unpack_nemo_file(str(ref_nemo), str(by_name), members=["./model_weights.ckpt"])
    assert os.listdir(by_name) == ["model_weights.ckpt"]
    nothing = tmp_path / "nothing"
    SaveRestoreConnector._unpack_nemo_file(str(ref_nemo), str(nothing), members=[])
    assert os.listdir(nothing) == []


def test_pack_any_folder_and_walk_it(tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    for rel in ("a/x1", "a/x2", "a/b/y1", "top"):
        (src / rel).write_text(rel)
    nemo = tmp_path / "out" / "plain.nemo"
    SaveRestoreConnector._make_nemo_file_from_folder(filename=str(nemo), source_dir=str(src))
    odd = {
        m.name for m in SaveRestoreConnector._filtered_tar_info(str(nemo), filter_fn=lambda n: n[-1] == "1")
    }
    assert odd == {"./a/x1", "./a/b/y1"}
    every = {m.name for m in SaveRestoreConnector._filtered_tar_info(str(nemo))}
    assert {".", "./a", "./a/b", "./top"} <= every
    walked = SaveRestoreConnector._filtered_recursive_walk(str(src), filter_fn=lambda p: p.endswith("2"))
    assert walked == [str(src / "a" / "x2")]
    with pytest.raises(NotADirectoryError):
        SaveRestoreConnector._filtered_recursive_walk(str(src / "top"))
    with SaveRestoreConnector._tar_open(str(nemo)) as tar:
        assert tar.extractfile("./top").read() == b"top"


def test_pack_refuses_links_in_the_folder(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "secret").symlink_to("/etc/passwd")
    with pytest.raises(UnsafeMemberError):
        SaveRestoreConnector._make_nemo_file_from_folder(str(tmp_path / "x.nemo"), str(src))
    assert not (tmp_path / "x.nemo").exists()


def test_model_folder_packs_into_a_restorable_nemo(tmp_path, ref_nemo):
    folder = tmp_path / "unpacked"
    SaveRestoreConnector._unpack_nemo_file(str(ref_nemo), str(folder))
    nemo = tmp_path / "repacked.nemo"
    SaveRestoreConnector._make_nemo_file_from_folder(str(nemo), str(folder))
    assert torch.equal(outputs(restored(nemo)), outputs(restored(ref_nemo)))


def test_state_dict_to_and_from_disk(tmp_path):
    sd = {"w": torch.arange(4.0)}
    path = tmp_path / "w.ckpt"
    SaveRestoreConnector._save_state_dict_to_disk(sd, str(path))
    assert torch.equal(
        SaveRestoreConnector._load_state_dict_from_disk(str(path), map_location="cpu")["w"], sd["w"]
    )
    assert os.listdir(tmp_path) == ["w.ckpt"]


def test_model_parallel_weights_path():
    from modelpt.app_state import AppState

    connector = SaveRestoreConnector()
    assert connector._inject_model_parallel_rank_for_ckpt("d", "w.ckpt") == os.path.join("d", "w.ckpt")
    state = AppState()
    state.model_parallel_size, state.tensor_model_parallel_rank = 2, 1
    try:
        assert connector._inject_model_parallel_rank_for_ckpt("d", "w.ckpt") == os.path.join(
            "d", "mp_rank_01", "w.ckpt"
        )
    finally:
        state.model_parallel_size = None
        state.tensor_model_parallel_rank = 0


# ---------------------------------------------------------------------------------------------- hostile archives
def _hostile(path: Path, kind: str) -> Path:
    with tarfile.open(path, "w:") as tar:
        ok = tarfile.TarInfo("./model_config.yaml")
        ok.size = 4
        tar.addfile(ok, io.BytesIO(b"a: 1"))
        bad = tarfile.TarInfo({"traversal": "../escaped", "absolute": "/tmp/escaped-abs"}.get(kind, "./link"))
        if kind == "symlink":
            bad.type, bad.linkname = tarfile.SYMTYPE, "/etc/passwd"
        elif kind == "hardlink":
            bad.type, bad.linkname = tarfile.LNKTYPE, "/etc/passwd"
        elif kind == "device":
            bad.type = tarfile.CHRTYPE
        else:
            bad.size = 4
        tar.addfile(bad, io.BytesIO(b"evil") if bad.isreg() else None)
    return path


@pytest.mark.parametrize("kind", ["traversal", "absolute", "symlink", "hardlink", "device"])
def test_hostile_members_refuse_the_whole_archive(tmp_path, kind):
    nemo = _hostile(tmp_path / f"{kind}.nemo", kind)
    out = tmp_path / "work" / "out"
    with pytest.raises(UnsafeMemberError):
        SaveRestoreConnector._unpack_nemo_file(str(nemo), str(out))
    assert not out.exists()  # nothing written, not even the harmless member
    assert not (tmp_path / "work" / "escaped").exists()
    for call in (
        lambda: SaveRestoreConnector._filtered_tar_info(str(nemo)),
        lambda: SaveRestoreConnector._tar_open(str(nemo)).__enter__(),
        lambda: RefSmallModel.restore_from(str(nemo), map_location="cpu", save_restore_connector=Unpacking()),
    ):
        with pytest.raises(UnsafeMemberError):
            call()


@pytest.mark.parametrize("kind", ["traversal", "absolute", "symlink"])
def test_safe_extract_of_an_open_stream_refuses_hostile_members(tmp_path, kind):
    data = _hostile(tmp_path / "h.nemo", kind).read_bytes()
    out = tmp_path / "out"
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        assert not all(SaveRestoreConnector._is_safe_path(m, str(out)) for m in tar.getmembers())
        with pytest.raises(UnsafeMemberError):
            SaveRestoreConnector._safe_extract(tar, str(out))
    assert not (tmp_path / "escaped").exists()


def test_is_safe_path_sees_through_links_already_in_the_destination(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "up").symlink_to(tmp_path)
    assert SaveRestoreConnector._is_safe_path("./model_config.yaml", str(dest))
    assert not SaveRestoreConnector._is_safe_path("up/x", str(dest))
    assert not SaveRestoreConnector._is_safe_path("a/../../x", str(dest))


# ---------------------------------------------------------------------------------------------- subclasses
class Unpacking(SaveRestoreConnector):
    """Like NeMo's NLP connector: customises unpacking and calls the base implementation."""

    def __init__(self):
        super().__init__()
        self.unpacked: list[list[str] | None] = []

    def _unpack_nemo_file(self, path2file, out_folder, members=None):
        self.unpacked.append(None if members is None else [getattr(m, "name", m) for m in members])
        return super()._unpack_nemo_file(path2file, out_folder, members)


def test_restore_goes_through_an_overridden_unpack(ref_nemo):
    connector = Unpacking()
    model = restored(ref_nemo, connector)
    assert len(connector.unpacked) == 1
    assert torch.equal(outputs(model), outputs(restored(ref_nemo)))
    assert model.vocab[0] == VOCAB_HEAD  # the artifact came out of the unpacked folder
    conf = RefSmallModel.restore_from(str(ref_nemo), return_config=True, save_restore_connector=connector)
    assert conf.hidden == model.cfg.hidden
    assert all(".yaml" in name for name in connector.unpacked[-1])  # the config alone was extracted


class Renaming(SaveRestoreConnector):
    def save_to(self, model, save_path):
        return super().save_to(model, save_path.replace(".nemo", "_v2.nemo"))


def test_overridden_save_to_is_used_by_the_model(tmp_path, ref_nemo):
    model = restored(ref_nemo)
    model._save_restore_connector = Renaming()
    assert model.save_to(str(tmp_path / "m.nemo")) == str(tmp_path / "m_v2.nemo")
    assert os.listdir(tmp_path) == ["m_v2.nemo"]
    again = RefSmallModel.restore_from(str(tmp_path / "m_v2.nemo"), save_restore_connector=Renaming())
    assert isinstance(again._save_restore_connector, Renaming)
    assert again.vocab == model.vocab


class CustomFiles(SaveRestoreConnector):
    """Overrides the folder-level save and load hooks, as model-parallel connectors do."""

    def __init__(self):
        super().__init__()
        self.packed: list[list[str]] = []
        self.loaded: list[str] = []

    @staticmethod
    def _save_state_dict_to_disk(state_dict, filepath):
        torch.save({"wrapped": dict(state_dict)}, filepath)

    def _load_state_dict_from_disk(self, model_weights, map_location=None):
        self.loaded.append(os.path.basename(model_weights))
        return torch.load(model_weights, map_location=map_location, weights_only=True)["wrapped"]

    def _make_nemo_file_from_folder(self, filename, source_dir):
        self.packed.append(sorted(os.listdir(source_dir)))
        super()._make_nemo_file_from_folder(filename, source_dir)


def test_overridden_folder_hooks_write_and_read_the_archive(tmp_path, ref_nemo):
    model = restored(ref_nemo)
    connector = CustomFiles()
    model._save_restore_connector = connector
    path = model.save_to(str(tmp_path / "custom.nemo"))
    (files,) = connector.packed
    assert "model_config.yaml" in files
    assert "model_weights.ckpt" in files
    assert len(files) == 3
    assert os.listdir(tmp_path) == ["custom.nemo"]  # the staging folder is gone
    back = RefSmallModel.restore_from(path, map_location="cpu", save_restore_connector=CustomFiles())
    assert back._save_restore_connector.loaded == ["model_weights.ckpt"]
    assert torch.equal(outputs(back), outputs(model))
    assert back.vocab == model.vocab
    state = RefSmallModel.extract_state_dict_from(
        path, str(tmp_path / "sd"), save_restore_connector=CustomFiles()
    )
    assert set(state) == set(model.state_dict())


def test_extracted_dir_wins_over_the_given_path(tmp_path, ref_nemo):
    folder = tmp_path / "extracted"
    SaveRestoreConnector._unpack_nemo_file(str(ref_nemo), str(folder))
    connector = SaveRestoreConnector()
    connector.model_extracted_dir = str(folder)
    model = RefSmallModel.restore_from(
        str(tmp_path / "gone.nemo"), map_location="cpu", save_restore_connector=connector
    )
    assert torch.equal(outputs(model), outputs(restored(ref_nemo)))


# ---------------------------------------------------------------------------------------------- unpacked saves
def test_unpacked_save_to_a_nemo_name_uses_its_folder_like_nemo(tmp_path, ref_nemo):
    model = restored(ref_nemo)
    model._save_restore_connector.pack_nemo_file = False
    folder = tmp_path / "model"
    folder.mkdir()
    assert model.save_to(str(folder / "x.nemo")) == str(folder)
    first = sorted(os.listdir(folder))
    assert len(first) == 3  # config, weights, one artifact
    model.save_to(str(folder / "x.nemo"))  # again: the folder is replaced, artifacts do not pile up
    assert len(os.listdir(folder)) == 3
    assert sorted(os.listdir(tmp_path)) == ["model"]  # no staging or backup left behind
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ArtifactError, match=r"notes\.txt"):
        model.save_to(str(folder / "x.nemo"))
    assert (folder / "notes.txt").read_text() == "mine"


def test_unpacked_save_keeps_the_folder_mode_of_a_new_directory(tmp_path, ref_nemo):
    model = restored(ref_nemo)
    model._save_restore_connector.pack_nemo_file = False
    folder = Path(model.save_to(str(tmp_path / "plain")))
    probe = tmp_path / "probe"
    probe.mkdir()
    assert folder.stat().st_mode & 0o777 == probe.stat().st_mode & 0o777


def test_unpacked_resave_keeps_the_folder_mode_and_files_get_the_umask_mode(tmp_path, ref_nemo):
    model = restored(ref_nemo)
    model._save_restore_connector.pack_nemo_file = False
    folder = Path(model.save_to(str(tmp_path / "plain")))
    folder.chmod(0o750)
    model.save_to(str(folder))
    assert folder.stat().st_mode & 0o777 == 0o750
    probe = tmp_path / "probe.txt"
    probe.write_text("x")
    for name in os.listdir(folder):
        assert (folder / name).stat().st_mode & 0o777 == probe.stat().st_mode & 0o777, name


# ---------------------------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("value", [None, 3])
def test_none_or_non_path_arguments_name_the_argument(tmp_path, monkeypatch, ref_nemo, value):
    monkeypatch.chdir(tmp_path)
    model = restored(ref_nemo)
    with pytest.raises(TypeError, match="save_path"):
        model.save_to(value)
    with pytest.raises(ArgumentTypeError, match="restore_path"):
        RefSmallModel.restore_from(value)
    with pytest.raises(TypeError, match="restore_path"):
        SaveRestoreConnector().restore_from(RefSmallModel, value)
    with pytest.raises(TypeError, match="save_path"):
        SaveRestoreConnector().save_to(model, value)
    assert os.listdir(tmp_path) == []  # no file called "None"


@pytest.mark.parametrize(
    "url", ["https://huggingface.co/nvidia/x/resolve/main/x.nemo", "hf://nvidia/x", "msc://b/x"]
)
def test_urls_are_refused_with_a_pointer_to_from_pretrained(tmp_path, monkeypatch, ref_nemo, url):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="from_pretrained"):
        ModelPT.restore_from(url)
    with pytest.raises(ArgumentValueError, match="URL"):
        restored(ref_nemo).save_to(url)
    with pytest.raises(ValueError, match="empty"):
        ModelPT.restore_from("")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_missing_cuda_is_a_device_error_not_a_corrupt_checkpoint(ref_nemo):
    with pytest.raises(DeviceError, match="CUDA") as info:
        RefSmallModel.restore_from(str(ref_nemo), map_location="cuda:0")
    assert not isinstance(info.value, CorruptArchiveError)
    assert "corrupt" not in str(info.value)


def test_device_index_beyond_the_machine(ref_nemo):
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    with pytest.raises(DeviceError, match="CUDA"):
        RefSmallModel.restore_from(str(ref_nemo), map_location=f"cuda:{count + 3}")
    with pytest.raises(DeviceError, match="not a device"):
        RefSmallModel.restore_from(str(ref_nemo), map_location="warp-drive")


def test_device_failure_while_loading_is_not_reported_as_corruption(ref_nemo, monkeypatch):
    from nemo_archive import Archive

    def failing_load(self, *args, **kwargs):
        try:
            raise RuntimeError("CUDA error: out of memory")
        except RuntimeError as exc:
            raise CorruptArchiveError("the weights cannot be rebuilt; the checkpoint is corrupt") from exc

    monkeypatch.setattr(Archive, "load_state_dict", failing_load)
    with pytest.raises(DeviceError, match="out of memory") as info:
        RefSmallModel.restore_from(str(ref_nemo), map_location="cpu")
    assert isinstance(info.value.__cause__, CorruptArchiveError)


def test_a_genuinely_corrupt_checkpoint_stays_a_corruption_error(tmp_path, ref_nemo, monkeypatch):
    from nemo_archive import Archive

    def failing_load(self, *args, **kwargs):
        raise CorruptArchiveError("the weights cannot be rebuilt (UnpicklingError: bad opcode)")

    monkeypatch.setattr(Archive, "load_state_dict", failing_load)
    with pytest.raises(CorruptArchiveError):
        RefSmallModel.restore_from(str(ref_nemo), map_location="cpu")


def test_staging_save_and_config_save_write_resolver_calls_as_text(tmp_path, ref_nemo, monkeypatch):
    monkeypatch.setenv("HOOKS_SECRET", "s3cr3t-value")
    model = restored(ref_nemo)
    from omegaconf import open_dict

    with open_dict(model._cfg):
        model._cfg.note = "${oc.env:HOOKS_SECRET}"
    model._save_restore_connector = CustomFiles()  # overridden hooks: NeMo's staging-folder save
    path = model.save_to(str(tmp_path / "staged.nemo"))
    with tarfile.open(path) as tar:
        names = [n for n in tar.getnames() if n.endswith("model_config.yaml")]
        text = tar.extractfile(names[0]).read().decode()
    assert "s3cr3t-value" not in text
    assert "${oc.env:HOOKS_SECRET}" in text
    yaml_path = tmp_path / "cfg.yaml"
    model.to_config_file(str(yaml_path))
    assert "s3cr3t-value" not in yaml_path.read_text()
    assert "${oc.env:HOOKS_SECRET}" in yaml_path.read_text()
