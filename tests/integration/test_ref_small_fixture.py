"""A .nemo written by nemo_toolkit 3.0.0 restores through ``nemo.core.ModelPT`` with the class that wrote it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# fixtures/ref_small.README.md, "A value to check against"
REF_X = torch.arange(16, dtype=torch.float32).reshape(2, 8) / 10
REF_OUT = torch.tensor(
    [
        [-0.013206571, -0.090746664, 0.146819875, -0.226371914],
        [0.017878465, -0.341110498, 0.386741906, -0.363440394],
    ]
)


def test_ref_small_restores_with_its_readme_class(tmp_path):
    from nemo.core import ModelPT
    from nemo_user_code import RefSmallModel

    model = RefSmallModel.restore_from(str(FIXTURES / "ref_small.nemo"), map_location="cpu")
    assert isinstance(model, ModelPT)
    assert type(model) is RefSmallModel  # the config's target (tests.core...) is not importable here

    cfg = model.cfg
    assert (cfg.in_features, cfg.hidden, cfg.out_features) == (8, 16, 4)
    assert cfg.target == "tests.core.nemo_ref_models.RefSmallModel"
    assert cfg.nemo_version == "3.0.0"
    # As in NeMo, the artifact's config entry now names the file extracted from the archive.
    assert re.fullmatch(r"[0-9a-f]{32}_vocab\.txt", Path(cfg.vocab_file).name)
    words = ["<pad>", "<unk>", "a", "b", "c", "hello", "world", "nemo"]
    assert Path(cfg.vocab_file).read_text(encoding="utf-8").split("\n")[:8] == words
    assert model.vocab == words
    assert sum(p.numel() for p in model.parameters()) == 212

    model.eval()
    with torch.no_grad():
        out = model(x=REF_X)
    assert out.dtype == torch.float32
    assert torch.allclose(out, REF_OUT, atol=1e-7)

    # Saved again by nemo-core, it restores to the same model (artifact included).
    again = RefSmallModel.restore_from(model.save_to(str(tmp_path / "again.nemo")), map_location="cpu")
    assert again.vocab == model.vocab
    with torch.no_grad():
        assert torch.equal(again.eval()(x=REF_X), out)
