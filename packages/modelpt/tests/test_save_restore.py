"""Save / restore through nemo-archive: the nemo_toolkit fixture, round trips, artifacts, safety."""

from __future__ import annotations

import os
import pickle
import shutil
import tarfile
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from conftest import REF_OUT, REF_X, tiny_cfg
from modelpt import (
    ArtifactPathType,
    ModelPT,
    ModelPTError,
    PretrainedModelInfo,
    SaveRestoreConnector,
    TargetClassError,
)
from modelpt_test_models import ChildModel, ParentModel, RefSmallModel, TinyClassifier, TinySubclass

VOCAB = ["<pad>", "<unk>", "a", "b", "c", "hello", "world", "nemo"]


@pytest.fixture
def isolated_tmp(tmp_path, monkeypatch):
    """Point the system temp folder at an empty directory so tests can see what restore writes there."""
    tmp = tmp_path / "systmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_ref_small_restores_with_exact_outputs(ref_nemo, isolated_tmp):
    model = RefSmallModel.restore_from(str(ref_nemo), map_location="cpu")
    model.eval()
    out = model(x=torch.tensor(REF_X, dtype=torch.float32))
    assert torch.allclose(out, torch.tensor(REF_OUT), atol=1e-7)
    assert model.vocab == VOCAB
    assert model.num_weights == 212
    # the artifact (and only it) was extracted, into the model's own cache folder
    (cache,) = list(isolated_tmp.iterdir())
    assert files_under(cache) == [os.path.basename(model.cfg.vocab_file)]
    item = model.artifacts["vocab_file"]
    assert item.path_type is ArtifactPathType.TAR_PATH
    assert item.hashed_path.startswith("nemo:")
    del model
    import gc

    gc.collect()
    assert not cache.exists()  # removed with the model


def test_restore_without_artifacts_writes_nothing_to_temp(tmp_path, isolated_tmp):
    model = TinyClassifier(tiny_cfg())
    path = model.save_to(str(tmp_path / "tiny.nemo"))
    restored = TinyClassifier.restore_from(path, map_location="cpu")
    assert files_under(isolated_tmp) == []
    assert restored._train_dl is None  # data is not set up while restoring
    for (k, a), (k2, b) in zip(model.state_dict().items(), restored.state_dict().items(), strict=False):
        assert k == k2
        assert torch.equal(a, b)


def test_save_to_returns_path_and_writes_nemo_layout(tmp_path, ref_nemo):
    model = RefSmallModel.restore_from(str(ref_nemo), map_location="cpu")
    path = model.save_to(str(tmp_path / "sub" / "again.nemo"))
    assert path == str(tmp_path / "sub" / "again.nemo")
    with tarfile.open(path, "r:") as tar:  # uncompressed tar, NeMo's member names
        names = tar.getnames()
        cfg = OmegaConf.create(tar.extractfile("./model_config.yaml").read().decode())
    assert "./model_config.yaml" in names
    assert "./model_weights.ckpt" in names
    assert cfg.vocab_file.startswith("nemo:")
    assert f"./{cfg.vocab_file[5:]}" in names
    # the artifact keeps its member name from the source archive
    assert cfg.vocab_file == model.artifacts["vocab_file"].hashed_path
    assert cfg.target == "tests.core.nemo_ref_models.RefSmallModel"


def test_resave_after_source_deleted(tmp_path, ref_nemo):
    src = tmp_path / "copy.nemo"
    shutil.copy(ref_nemo, src)
    model = RefSmallModel.restore_from(str(src), map_location="cpu")
    src.unlink()
    out = model.save_to(str(tmp_path / "resaved.nemo"))
    again = RefSmallModel.restore_from(out, map_location="cpu")
    assert again.vocab == VOCAB
    x = torch.tensor(REF_X)
    assert torch.equal(again.eval()(x=x), model.eval()(x=x))


def test_round_trip_with_local_artifact_override_and_return_config(tmp_path):
    vocab = tmp_path / "tokens.txt"
    vocab.write_text("x\ny\n", encoding="utf-8")
    cfg = {"in_features": 4, "hidden": 6, "out_features": 2, "vocab_file": str(vocab)}
    model = RefSmallModel(cfg)
    assert model.artifacts["vocab_file"].path_type is ArtifactPathType.LOCAL_PATH
    path = model.save_to(str(tmp_path / "m.nemo"))
    vocab.unlink()  # the archive holds its own copy
    conf = RefSmallModel.restore_from(path, return_config=True)
    assert conf.hidden == 6
    assert conf.vocab_file.startswith("nemo:")
    assert conf.vocab_file.endswith("_tokens.txt")
    restored = RefSmallModel.restore_from(path, map_location="cpu")
    assert restored.vocab == ["x", "y"]
    # override config (DictConfig and YAML path): same weights shape, different extra key
    conf.extra = 7
    over = RefSmallModel.restore_from(path, override_config_path=conf, map_location="cpu")
    assert over.cfg.extra == 7
    yaml_path = tmp_path / "override.yaml"
    yaml_path.write_text(OmegaConf.to_yaml(OmegaConf.create({"model": OmegaConf.to_container(conf)})))
    over2 = RefSmallModel.restore_from(
        str(yaml_path and path), override_config_path=str(yaml_path), map_location="cpu"
    )
    assert over2.cfg.extra == 7
    # strict=False restore into a bigger config fails strict, passes non-strict
    conf.hidden = 6
    conf.out_features = 3
    with pytest.raises(RuntimeError, match="size mismatch"):
        RefSmallModel.restore_from(path, override_config_path=conf, map_location="cpu")


def test_pack_nemo_file_false_saves_into_folder_and_restores(tmp_path, ref_nemo):
    model = RefSmallModel.restore_from(str(ref_nemo), map_location="cpu")
    model._save_restore_connector.pack_nemo_file = False
    folder = tmp_path / "unpacked"
    assert model.save_to(str(folder)) == str(folder)
    names = sorted(os.listdir(folder))
    assert "model_config.yaml" in names
    assert "model_weights.ckpt" in names
    assert len(names) == 3
    restored = RefSmallModel.restore_from(str(folder), map_location="cpu")
    assert restored.vocab == VOCAB
    info = [PretrainedModelInfo("ref", "d", str(folder))]
    assert RefSmallModel.from_pretrained(str(folder), map_location="cpu").vocab == VOCAB
    assert info[0] == PretrainedModelInfo("ref", "other", "elsewhere")


def test_save_is_atomic(tmp_path):
    model = TinyClassifier(tiny_cfg())
    path = model.save_to(str(tmp_path / "m.nemo"))
    before = Path(path).read_bytes()

    class Unpicklable:
        def __reduce__(self):
            raise pickle.PicklingError("boom")

    model.register_buffer("bad", torch.zeros(1))
    original = model.state_dict

    def broken_state_dict(*args, **kwargs):
        sd = original(*args, **kwargs)
        sd["bad"] = Unpicklable()
        return sd

    model.state_dict = broken_state_dict
    with pytest.raises(pickle.PicklingError):
        model.save_to(path)
    assert Path(path).read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.nemo"]  # no temp file left behind


def test_target_subclass_rule(tmp_path):
    model = TinyClassifier(tiny_cfg())
    path = model.save_to(str(tmp_path / "m.nemo"))
    # calling the subclass wins; calling the base builds the class named by target
    assert type(TinySubclass.restore_from(path, map_location="cpu")) is TinySubclass
    assert type(ModelPT.restore_from(path, map_location="cpu")) is TinyClassifier
    # a target outside the hierarchy of the called class is refused
    conf = TinyClassifier.restore_from(path, return_config=True)
    conf.target = "collections.OrderedDict"
    with pytest.raises(TargetClassError, match="not a subclass"):
        TinyClassifier.restore_from(path, override_config_path=conf, map_location="cpu")
    conf.target = "modelpt_test_models.RefSmallModel"
    with pytest.raises(TargetClassError):
        TinyClassifier.restore_from(path, override_config_path=conf, map_location="cpu")


def test_weights_only_refuses_code(tmp_path):
    model = TinyClassifier(tiny_cfg())
    sd = model.state_dict()
    sd["evil"] = shutil.rmtree  # any non-tensor global
    from nemo_archive import ArchiveWriter

    path = tmp_path / "evil.nemo"
    writer = ArchiveWriter(path)
    writer.set_config(OmegaConf.to_container(model.cfg))
    writer.set_weights(sd)
    writer.commit()
    with pytest.raises(Exception, match=r"(?i)unsafe|weights_only|global"):
        TinyClassifier.restore_from(str(path), map_location="cpu")


def test_nested_models_saved_as_one_and_restored_whole(tmp_path, ref_nemo):
    parent = ParentModel({"child_model_path": str(ref_nemo)})
    assert parent.has_nemo_submodules()
    assert parent.has_native_or_submodules_artifacts()
    assert not parent.has_artifacts()
    assert [n for n, _, _ in parent.named_nemo_modules()] == ["", "child_model"]
    path = parent.save_to(str(tmp_path / "parent.nemo"))
    conf = ParentModel.restore_from(path, return_config=True)
    assert conf.child_model.vocab_file.startswith("nemo:")
    assert conf.child_model.hidden == 16
    restored = ParentModel.restore_from(path, map_location="cpu")
    assert isinstance(restored.child_model, ChildModel)
    assert restored.child_model.vocab == VOCAB
    x = torch.tensor(REF_X)
    assert torch.equal(restored.eval()(x), parent.eval()(x))
    with pytest.raises(ModelPTError):
        parent.register_nemo_submodule("x", "x", torch.nn.Linear(1, 1))
    with pytest.raises(ModelPTError, match="register_nemo_submodule"):
        parent.register_artifact("other", str(ref_nemo))


def test_register_artifact_rules(tmp_path):
    model = TinyClassifier(tiny_cfg())
    assert model.register_artifact("a", None) is None
    assert model.register_artifact("a", "") == ""
    with pytest.raises(FileNotFoundError):
        model.register_artifact("a", str(tmp_path / "missing.txt"))
    assert model.register_artifact("a", str(tmp_path / "missing.txt"), verify_src_exists=False) is None
    f = tmp_path / "f.txt"
    f.write_text("1")
    assert model.register_artifact("nested.key", str(f)) == str(f)
    assert model.cfg.nested.key == str(f)
    assert model.has_artifacts()


def test_extract_state_dict_from(tmp_path, ref_nemo):
    sd = RefSmallModel.extract_state_dict_from(str(ref_nemo), str(tmp_path / "whole"))
    assert set(sd) == {"encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"}
    assert torch.equal(
        torch.load(tmp_path / "whole" / "model_weights.ckpt")["encoder.weight"], sd["encoder.weight"]
    )
    RefSmallModel.extract_state_dict_from(str(ref_nemo), str(tmp_path / "split"), split_by_module=True)
    assert sorted(os.listdir(tmp_path / "split")) == ["decoder.ckpt", "encoder.ckpt"]
    enc = torch.load(tmp_path / "split" / "encoder.ckpt")
    assert set(enc) == {"weight", "bias"}
    with pytest.raises(FileNotFoundError):
        RefSmallModel.extract_state_dict_from(str(tmp_path / "nope.nemo"), str(tmp_path / "x"))


def test_init_from_pretrained_sources_and_partial_load(tmp_path, ref_nemo):
    donor = TinyClassifier(tiny_cfg())
    nemo_path = donor.save_to(str(tmp_path / "donor.nemo"))
    ckpt = tmp_path / "donor.ckpt"
    torch.save({"state_dict": donor.state_dict()}, ckpt)

    fresh = TinyClassifier(tiny_cfg())
    fresh.maybe_init_from_pretrained_checkpoint(OmegaConf.create({"init_from_nemo_model": nemo_path}))
    assert torch.equal(fresh.decoder.weight, donor.decoder.weight)

    partial = TinyClassifier(tiny_cfg())
    cfg = OmegaConf.create(
        {"init_from_nemo_model": {"m0": {"path": nemo_path, "include": ["encoder"], "exclude": ["encoder2"]}}}
    )
    partial.maybe_init_from_pretrained_checkpoint(cfg)
    assert torch.equal(partial.encoder.inner.weight, donor.encoder.inner.weight)
    assert not torch.equal(partial.encoder2.inner.weight, donor.encoder2.inner.weight)
    assert not torch.equal(partial.decoder.weight, donor.decoder.weight)

    from_ckpt = TinyClassifier(tiny_cfg())
    cfg = OmegaConf.create({"init_from_ptl_ckpt": str(ckpt)})
    from_ckpt.maybe_init_from_pretrained_checkpoint(cfg)
    assert torch.equal(from_ckpt.decoder.weight, donor.decoder.weight)
    assert "init_from_ptl_ckpt" not in cfg

    with pytest.raises(ValueError, match="Only one"):
        fresh.maybe_init_from_pretrained_checkpoint(
            OmegaConf.create({"init_from_nemo_model": None, "init_from_ptl_ckpt": None})
        )
    with pytest.raises(TypeError):
        fresh.maybe_init_from_pretrained_checkpoint(OmegaConf.create({"init_from_nemo_model": 3}))


def test_from_pretrained_listed_name_downloads_once(tmp_path, ref_nemo, monkeypatch):
    monkeypatch.setenv("NEMO_CACHE_DIR", str(tmp_path / "cache"))
    location = ref_nemo.resolve().as_uri()

    class Listed(RefSmallModel):
        @classmethod
        def list_available_models(cls):
            return [PretrainedModelInfo("ref_small", "the fixture", location, aliases=["small"])]

    assert Listed.get_available_model_names() == ["ref_small"]
    path = Listed.from_pretrained("small", return_model_file=True)
    assert path.startswith(str(tmp_path / "cache" / "ref_small"))
    assert os.path.getsize(path) == os.path.getsize(ref_nemo)
    model = Listed.from_pretrained("ref_small", map_location="cpu")
    assert isinstance(model, Listed)
    assert model.vocab == VOCAB
    with pytest.raises(FileNotFoundError, match="not found"):
        Listed.from_pretrained("unknown")


def test_connector_is_kept_and_class_default_updated(tmp_path, ref_nemo):
    connector = SaveRestoreConnector()
    model = RefSmallModel.restore_from(str(ref_nemo), map_location="cpu", save_restore_connector=connector)
    assert model._save_restore_connector is connector
    assert RefSmallModel._save_restore_connector is connector
    assert TinyClassifier._save_restore_connector is not connector  # each subclass has its own default
    assert connector.model_config_yaml == "model_config.yaml"
    assert connector.model_weights_ckpt == "model_weights.ckpt"
    with pytest.raises(FileNotFoundError, match="Can't find"):
        RefSmallModel.restore_from(str(tmp_path / "missing.nemo"))


def test_push_to_hub_and_from_pretrained_round_trip(tmp_path, ref_nemo, empty_hf_hub):
    model = RefSmallModel.restore_from(str(ref_nemo), map_location="cpu")
    url = model.push_to_hf_hub("nemo-tester/ref_small")
    assert url.endswith("/nemo-tester/ref_small/tree/main")
    model_filter = RefSmallModel.get_hf_model_filter()
    assert model_filter["filter"] == ["nemo"]
    model_filter["author"] = "nemo-tester"
    found = [info.id for info in RefSmallModel.search_huggingface_models(model_filter)]
    assert found == ["nemo-tester/ref_small"]
    pulled = RefSmallModel.from_pretrained("nemo-tester/ref_small", map_location="cpu")
    x = torch.tensor(REF_X)
    assert torch.allclose(pulled.eval()(x=x), torch.tensor(REF_OUT), atol=1e-7)
    assert pulled.vocab == VOCAB
    # an unpacked repository restores through the connector's model_extracted_dir
    model.push_to_hf_hub("nemo-tester/ref_unpacked", pack_nemo_file=False)
    assert model._save_restore_connector.pack_nemo_file is True
    folder = RefSmallModel.from_pretrained("nemo-tester/ref_unpacked", return_model_file=True)
    assert os.path.isdir(folder)
    unpacked = RefSmallModel.from_pretrained("nemo-tester/ref_unpacked", map_location="cpu")
    assert unpacked.vocab == VOCAB
    assert torch.equal(unpacked.eval()(x=x), pulled(x=x))


class Tied(RefSmallModel):
    """Decoder weight tied to a transposed view is not possible with Linear; tie two same-shape layers."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.mirror = torch.nn.Linear(self.cfg.in_features, self.cfg.hidden)
        self.mirror.weight = self.encoder.weight


def test_in_place_weights_keep_ties_and_train_after_restore(tmp_path):
    tied = Tied({"in_features": 4, "hidden": 4, "out_features": 2})
    path = tied.save_to(str(tmp_path / "tied.nemo"))
    restored = Tied.restore_from(path, map_location="cpu")
    assert restored.mirror.weight is restored.encoder.weight  # not split by in-place loading
    plain = RefSmallModel({"in_features": 4, "hidden": 4, "out_features": 2})
    path = plain.save_to(str(tmp_path / "plain.nemo"))
    copied = SaveRestoreConnector()
    copied.load_weights_in_place = False
    a = RefSmallModel.restore_from(path, map_location="cpu")
    b = RefSmallModel.restore_from(path, map_location="cpu", save_restore_connector=copied)
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(x, y), k
    # weights used in place are ordinary trainable parameters: an optimizer step changes them
    opt = torch.optim.SGD(a.parameters(), lr=0.5)
    a(x=torch.ones(2, 4)).sum().backward()
    opt.step()
    assert not torch.equal(a.encoder.weight, b.encoder.weight)
    assert all(p.requires_grad for p in a.parameters())
    # ...and the archive on disk is untouched by that step
    again = RefSmallModel.restore_from(path, map_location="cpu")
    assert torch.equal(again.encoder.weight, b.encoder.weight)


def test_multiply_resolver_is_registered():
    cfg = OmegaConf.create({"a": 3, "b": "${multiply:${a},2}"})
    assert cfg.b == 6


def test_save_switches_durable_and_zip_crc32(tmp_path):
    model = TinyClassifier(tiny_cfg())
    model._save_restore_connector.durable = False
    model._save_restore_connector.zip_crc32 = False
    path = model.save_to(str(tmp_path / "fast.nemo"))
    restored = TinyClassifier.restore_from(path, map_location="cpu")
    for (k, a), (_, b) in zip(model.state_dict().items(), restored.state_dict().items(), strict=True):
        assert torch.equal(a, b), k
    from nemo_archive import Archive

    with Archive(path) as archive:
        assert archive.verify().ok  # the manifest's SHA-256 still covers every member


def test_strict_restore_skips_weight_init_and_keeps_every_saved_weight(tmp_path):
    torch.manual_seed(0)
    model = TinyClassifier(tiny_cfg())
    path = model.save_to(str(tmp_path / "tiny.nemo"))
    x = torch.randn(3, 4)
    model.eval()
    expected = model(x=x)

    # torch.nn.init's fills are skipped (no random draws), yet every weight is the saved one.
    state = torch.get_rng_state()
    restored = TinyClassifier.restore_from(path, map_location="cpu")
    assert torch.equal(torch.get_rng_state(), state)
    restored.eval()
    assert torch.equal(restored(x=x), expected)
    for key, value in model.state_dict().items():
        assert torch.equal(restored.state_dict()[key], value), key
    # The patch is gone afterwards: building a model initialises it again.
    TinyClassifier(tiny_cfg())
    assert not torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("switch", ["strict=False", "skip_weight_init=False"])
def test_non_strict_or_switched_off_restore_initialises_weights(tmp_path, switch):
    path = TinyClassifier(tiny_cfg()).save_to(str(tmp_path / "tiny.nemo"))
    connector = SaveRestoreConnector()
    connector.skip_weight_init = switch != "skip_weight_init=False"
    state = torch.get_rng_state()
    TinyClassifier.restore_from(
        path, map_location="cpu", strict=switch != "strict=False", save_restore_connector=connector
    )
    assert not torch.equal(torch.get_rng_state(), state)
