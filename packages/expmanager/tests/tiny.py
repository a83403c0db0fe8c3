"""A tiny deterministic Lightning model and data for expmanager's tests (CPU, well under a second an epoch).

``TinyModel.save_to`` writes a small tar (weights + the provenance it was given), standing in for a NeMo
model; ``PlainModel`` has no ``save_to``; ``NoProvenanceModel.save_to`` takes only a path.
"""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, Sampler, TensorDataset

N_TRAIN = 64
N_VAL = 16
BATCH = 8


def make_data(n: int, seed: int) -> TensorDataset:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=gen)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(n, 1, generator=gen)
    return TensorDataset(x, y)


class EpochShuffleSampler(Sampler[int]):
    """A permutation drawn from ``seed + epoch`` (not the global RNG), able to skip already-seen samples."""

    def __init__(self, n: int, seed: int = 0) -> None:
        self.n = n
        self.seed = seed
        self.epoch = 0
        self.skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self):  # type: ignore[no-untyped-def]
        order = torch.randperm(
            self.n, generator=torch.Generator().manual_seed(self.seed + self.epoch)
        ).tolist()
        skip, self.skip = self.skip, 0
        return iter(order[skip:])


class ResumableLoader(DataLoader):  # type: ignore[type-arg]
    """A loader Lightning can checkpoint: it records how many samples training consumed in this epoch.

    The count comes from the model (``batches_this_epoch``) rather than from the loader, because Lightning
    prefetches one batch ahead of training.
    """

    def __init__(self, dataset: TensorDataset, model: TinyModel) -> None:
        self.sampler_ = EpochShuffleSampler(len(dataset))
        super().__init__(dataset, batch_size=BATCH, sampler=self.sampler_)
        self.model = model

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.sampler_.epoch, "consumed": self.model.batches_this_epoch * BATCH}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sampler_.epoch = state["epoch"]
        self.sampler_.skip = state["consumed"]
        self.model.batches_this_epoch = state["consumed"] // BATCH


class TinyModel(pl.LightningModule):
    """4 -> 16 -> 1 MLP with dropout (RNG state matters) and SGD with momentum (optimizer state matters)."""

    def __init__(self, lr: float = 0.01, dropout: float = 0.2, resumable_data: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 1))
        self.lr = lr
        self.resumable_data = resumable_data
        self.batches_this_epoch = 0
        self.step_hook: Any = None  # called as step_hook(model, batch_idx) from training_step
        self.saved_to: list[str] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def on_train_epoch_start(self) -> None:
        if not self.trainer.fit_loop.epoch_loop.restarting:
            self.batches_this_epoch = 0

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.step_hook is not None:
            self.step_hook(self, batch_idx)
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, batch_size=len(x))
        self.batches_this_epoch += 1
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self(x), y), batch_size=len(x))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)

    def train_dataloader(self) -> DataLoader:  # type: ignore[type-arg]
        data = make_data(N_TRAIN, seed=1)
        if self.resumable_data:
            return ResumableLoader(data, self)
        return DataLoader(data, batch_size=BATCH)

    def val_dataloader(self) -> DataLoader:  # type: ignore[type-arg]
        return DataLoader(make_data(N_VAL, seed=2), batch_size=BATCH)

    def save_to(self, save_path: str, provenance: dict[str, Any] | None = None) -> str:
        """Write weights and provenance into a tar, as a stand-in for a ``.nemo``."""
        buffer = io.BytesIO()
        torch.save(self.state_dict(), buffer)
        with tarfile.open(save_path, "w") as tar:
            for name, payload in (
                ("model_weights.ckpt", buffer.getvalue()),
                ("provenance.json", json.dumps(provenance).encode()),
            ):
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
        self.saved_to.append(save_path)
        return save_path


class NoProvenanceModel(TinyModel):
    def save_to(self, save_path: str) -> str:  # type: ignore[override]
        return super().save_to(save_path)


class PlainModel(TinyModel):
    save_to = None  # type: ignore[assignment]


def read_nemo(path: str) -> tuple[dict[str, torch.Tensor], Any]:
    with tarfile.open(path) as tar:
        weights = torch.load(io.BytesIO(tar.extractfile("model_weights.ckpt").read()), weights_only=True)  # type: ignore[union-attr]
        provenance = json.loads(tar.extractfile("provenance.json").read())  # type: ignore[union-attr]
    return weights, provenance


def make_trainer(root: Any, **kwargs: Any) -> pl.Trainer:
    """A quiet CPU trainer without its own logger/checkpointing (exp_manager adds them)."""
    options: dict[str, Any] = {
        "accelerator": "cpu",
        "devices": 1,
        "max_epochs": 2,
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
        "default_root_dir": str(root),
        "deterministic": True,
        "log_every_n_steps": 1,
    }
    options.update(kwargs)
    return pl.Trainer(**options)
