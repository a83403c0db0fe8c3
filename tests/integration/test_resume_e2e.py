"""A real ModelPT subclass trained under exp_manager, checkpointed and resumed (issue: resuming was broken).

Lightning stores a ModelPT's OmegaConf config in every checkpoint, and torch >= 2.6 unpickles with
``weights_only=True``: resuming died with ``Unsupported global: GLOBAL omegaconf.dictconfig.DictConfig``.
These runs use the versions the workspace resolves (the newest our ranges allow).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from omegaconf import OmegaConf
from torch.utils.data import DataLoader, TensorDataset

from modelpt import ModelPT
from nemo.utils.exp_manager import exp_manager


class Regressor(ModelPT):
    """4 -> 8 -> 1 with SGD + momentum from ``cfg.optim`` (optimizer state matters on resume)."""

    def __init__(self, cfg: Any, trainer: pl.Trainer | None = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))

    def _loader(self, cfg: Any) -> DataLoader:  # type: ignore[type-arg]
        gen = torch.Generator().manual_seed(int(cfg.seed))
        x = torch.randn(32, 4, generator=gen)
        y = x.sum(dim=1, keepdim=True)
        return DataLoader(TensorDataset(x, y), batch_size=8)

    def setup_training_data(self, train_data_config: Any) -> None:
        self._train_dl = self._loader(train_data_config)

    def setup_validation_data(self, val_data_config: Any) -> None:
        self._validation_dl = self._loader(val_data_config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self(x), y)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    @classmethod
    def list_available_models(cls) -> None:
        return None


def _cfg() -> Any:
    return OmegaConf.create(
        {
            "train_ds": {"seed": 1},
            "validation_ds": {"seed": 2},
            "optim": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
        }
    )


def _fit(log_dir: Path, max_epochs: int, **em: Any) -> tuple[pl.Trainer, Regressor]:
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=max_epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        deterministic=True,
    )
    options = {"explicit_log_dir": str(log_dir), "create_tensorboard_logger": False, "seconds_to_sleep": 0}
    exp_manager(trainer, {**options, **em})
    pl.seed_everything(3, verbose=False)
    model = Regressor(_cfg(), trainer=trainer)
    trainer.fit(model)
    return trainer, model


def _state(trainer: pl.Trainer, model: Regressor) -> tuple[dict[str, torch.Tensor], Any]:
    return model.state_dict(), trainer.optimizers[0].state_dict()


def _assert_same(a: tuple[dict[str, torch.Tensor], Any], b: tuple[dict[str, torch.Tensor], Any]) -> None:
    assert a[0].keys() == b[0].keys()
    assert all(torch.equal(a[0][k], b[0][k]) for k in a[0])
    buffers_a = [s["momentum_buffer"] for s in a[1]["state"].values()]
    buffers_b = [s["momentum_buffer"] for s in b[1]["state"].values()]
    assert len(buffers_a) == len(buffers_b) > 0
    assert all(torch.equal(x, y) for x, y in zip(buffers_a, buffers_b, strict=True))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, torch.Tensor], Any]:
    """An uninterrupted 4-epoch run."""
    return _state(*_fit(tmp_path_factory.mktemp("ref") / "exp", 4))


def test_checkpoint_holds_the_dictconfig_that_weights_only_refused(tmp_path: Path) -> None:
    _fit(tmp_path / "exp", 1)
    (last,) = (tmp_path / "exp" / "checkpoints").glob("*-last.ckpt")
    with pytest.raises(Exception, match="DictConfig"):  # what the resume used to die of
        torch.load(last, weights_only=True)


def test_resume_if_exists_continues_a_modelpt_run_exactly(tmp_path: Path, reference: Any) -> None:
    resume = {"resume_if_exists": True, "resume_ignore_no_checkpoint": True}
    _fit(tmp_path / "exp", 2, **resume)
    trainer, model = _fit(tmp_path / "exp", 4, **resume)
    assert trainer.ckpt_path is not None
    assert trainer.ckpt_path.endswith("-last.ckpt")
    assert trainer.global_step == 16
    _assert_same(_state(trainer, model), reference)
    # the .nemo written at the end restores into the trained weights
    restored = Regressor.restore_from(str(tmp_path / "exp" / "checkpoints" / "default.nemo"))
    assert all(torch.equal(restored.state_dict()[k], v) for k, v in model.state_dict().items())


def test_resume_past_end_continues_from_the_end_checkpoint(tmp_path: Path, reference: Any) -> None:
    em = {"resume_if_exists": True, "checkpoint_callback_params": {"save_end_checkpoint": True}}
    _fit(tmp_path / "exp", 2, resume_ignore_no_checkpoint=True, **em)
    assert list((tmp_path / "exp" / "checkpoints").glob("*-end.ckpt"))
    with pytest.raises(
        ValueError, match=r"already completed\. Set resume_past_end=True to continue training"
    ):
        _fit(tmp_path / "exp", 4, **em)
    trainer, model = _fit(tmp_path / "exp", 4, resume_past_end=True, **em)
    assert trainer.ckpt_path is not None
    assert trainer.ckpt_path.endswith("-end.ckpt")
    assert trainer.global_step == 16
    _assert_same(_state(trainer, model), reference)


@pytest.mark.filterwarnings(
    "ignore:The dirpath has changed:UserWarning"
)  # another run's checkpoint, on purpose
def test_fit_with_ckpt_path_of_a_modelpt_checkpoint(tmp_path: Path, reference: Any) -> None:
    """trainer.fit(ckpt_path=...) under exp_manager loads the same way (weights_only, OmegaConf allowed)."""
    _fit(tmp_path / "a", 2)
    (last,) = (tmp_path / "a" / "checkpoints").glob("*-last.ckpt")
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=4,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        deterministic=True,
    )
    exp_manager(trainer, {"explicit_log_dir": str(tmp_path / "b"), "create_tensorboard_logger": False})
    model = Regressor(_cfg(), trainer=trainer)
    trainer.fit(model, ckpt_path=str(last))
    _assert_same(_state(trainer, model), reference)
