"""ModelPT under Lightning's FSDP strategy on a GPU: save_to gathers a full state dict before rank 0 writes."""

from __future__ import annotations

import pytest
import torch

from conftest import LIGHTNING_NOISE, make_trainer, tiny_cfg
from modelpt_test_models import TinyClassifier

pytestmark = [
    *LIGHTNING_NOISE,
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
    # FSDP's own deprecation notes (FSDP1 in favour of fully_shard) are not ours to fix.
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


@pytest.fixture
def process_group_cleanup():
    """FSDP leaves a process group behind; later tests must not run in a 'distributed setting'."""
    yield
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


@pytest.mark.usefixtures("process_group_cleanup")
def test_fsdp_bf16_fit_then_save_gathers_full_state(tmp_path):
    from lightning.pytorch.strategies import FSDPStrategy

    torch.manual_seed(0)
    model = TinyClassifier(tiny_cfg())
    trainer = make_trainer(
        tmp_path,
        accelerator="gpu",
        devices=1,
        strategy=FSDPStrategy(),
        precision="bf16-mixed",
        max_steps=4,
        max_epochs=4,
        limit_val_batches=0,
    )
    model.set_trainer(trainer)
    trainer.fit(model)
    assert "FSDP" in type(trainer.strategy).__name__
    path = model.save_to(str(tmp_path / "fsdp.nemo"))
    assert path is not None
    restored = TinyClassifier.restore_from(path, map_location="cpu")
    full = {k: v.detach().float().cpu() for k, v in model.state_dict().items()}
    for key, value in restored.state_dict().items():
        assert key in full, key
        assert torch.equal(value.float(), full[key]), key
    x = torch.randn(3, 4)
    with torch.no_grad():
        assert restored.eval()(x=x).shape == (3, 2)
