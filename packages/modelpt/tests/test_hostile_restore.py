"""Hostile restored configs: no secrets evaluated into saves, no local files pulled in, no new imports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from modelpt.errors import ArtifactError
from modelpt_test_models import RefSmallModel
from nemo_archive import Archive, save


def _state() -> dict[str, object]:
    model = RefSmallModel({"in_features": 2, "hidden": 3, "out_features": 2})
    return model.state_dict()


def test_env_interpolation_is_saved_back_unresolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H6_SECRET", "hunter2-value")
    cfg = {"in_features": 2, "hidden": 3, "out_features": 2, "note": "${oc.env:H6_SECRET}"}
    src = save(tmp_path / "in.nemo", cfg, _state(), durable=False)
    model = RefSmallModel.restore_from(str(src), map_location="cpu")
    out = model.save_to(str(tmp_path / "out.nemo"))
    with Archive(out) as archive:
        text = archive.config_text
    assert "hunter2-value" not in text
    assert "${oc.env:H6_SECRET}" in text


def test_local_artifact_outside_the_archive_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("not yours\n")
    cfg = {"in_features": 2, "hidden": 3, "out_features": 2, "vocab_file": str(secret)}
    src = save(tmp_path / "in.nemo", cfg, _state(), durable=False)
    with pytest.raises(ArtifactError, match="allow_local_artifacts"):
        RefSmallModel.restore_from(str(src), map_location="cpu")
    model = RefSmallModel.restore_from(str(src), map_location="cpu", allow_local_artifacts=True)
    assert model.vocab == ["not yours"]


def test_local_artifact_named_by_the_callers_override_config_is_allowed(tmp_path: Path) -> None:
    own = tmp_path / "mine.txt"
    own.write_text("my word\n")
    src = save(
        tmp_path / "in.nemo", {"in_features": 2, "hidden": 3, "out_features": 2}, _state(), durable=False
    )
    override = {"in_features": 2, "hidden": 3, "out_features": 2, "vocab_file": str(own)}
    model = RefSmallModel.restore_from(str(src), override_config_path=override, map_location="cpu")
    assert model.vocab == ["my word"]


def test_restored_weights_survive_overwrite_of_the_file(tmp_path: Path) -> None:
    import torch

    state = _state()
    cfg = {"in_features": 2, "hidden": 3, "out_features": 2}
    src = save(tmp_path / "in.nemo", cfg, state, durable=False)
    model = RefSmallModel.restore_from(str(src), map_location="cpu")
    other = {k: torch.zeros_like(v) for k, v in state.items()}
    src.write_bytes(save(tmp_path / "other.nemo", cfg, other, durable=False).read_bytes())
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_target_in_a_module_not_imported_is_not_imported(tmp_path: Path) -> None:
    mod = tmp_path / "h6_side_effect_mod.py"
    marker = tmp_path / "imported.marker"
    mod.write_text(f"open({str(marker)!r}, 'w').close()\n")
    sys.path.insert(0, str(tmp_path))
    try:
        cfg = {"target": "h6_side_effect_mod.Model", "in_features": 2, "hidden": 3, "out_features": 2}
        src = save(tmp_path / "in.nemo", cfg, _state(), durable=False)
        model = RefSmallModel.restore_from(str(src), map_location="cpu")
    finally:
        sys.path.remove(str(tmp_path))
    assert type(model) is RefSmallModel
    assert not marker.exists()
