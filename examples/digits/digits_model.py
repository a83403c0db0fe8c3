"""A small convolutional ``ModelPT`` that classifies scikit-learn's bundled 8x8 handwritten digits.

Written only against NeMo's public API (``nemo.core``), as user code would be. The data needs no download:
``sklearn.datasets.load_digits`` ships with scikit-learn. The train/validation/test split is drawn once from
``model.split`` (a fixed seed, stratified by label), so every process that builds the model sees the same
split, which is what lets a restored ``.nemo`` be evaluated on exactly the test images of the training run.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nemo.core import Exportable, ModelPT, typecheck
from nemo.core.neural_types import LogitsType, NeuralType, NormalizedImageValue

SPLITS = ("train", "validation", "test")


@functools.lru_cache(maxsize=4)
def digits_split(seed: int, validation: float, test: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Split the 1797 digits into ``{split: (images (N, 1, 8, 8) float32 in [0, 1], labels (N,) int64)}``.

    Args:
        seed: Seed of the (stratified) shuffle; the same seed always gives the same split.
        validation: Fraction of all images held out for validation.
        test: Fraction of all images held out for the final test.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]  # pixel values are 0..16
    labels = digits.target.astype(np.int64)
    rest_x, test_x, rest_y, test_y = train_test_split(
        images, labels, test_size=test, random_state=seed, stratify=labels
    )
    train_x, val_x, train_y, val_y = train_test_split(
        rest_x, rest_y, test_size=validation / (1.0 - test), random_state=seed, stratify=rest_y
    )
    return {"train": (train_x, train_y), "validation": (val_x, val_y), "test": (test_x, test_y)}


class DigitsClassifier(ModelPT, Exportable):
    """Conv(1→c) → Conv(c→2c) → max-pool → Linear(32c→hidden) → Linear(hidden→classes).

    Config keys (see ``conf/digits.yaml``): ``channels``, ``hidden``, ``dropout``, ``num_classes``, ``split``
    (``seed``, ``validation``, ``test`` fractions), ``train_ds``/``validation_ds``/``test_ds`` (``split``,
    ``batch_size``, ``shuffle``, ``num_workers``) and ``optim``. ``Exportable`` adds ``export()`` (ONNX and
    TorchScript), with input and output names taken from the neural types.
    """

    def __init__(self, cfg: DictConfig, trainer: Any = None) -> None:
        # The base constructor sets up the data loaders from cfg.train_ds / validation_ds / test_ds.
        super().__init__(cfg=cfg, trainer=trainer)
        channels = int(cfg.channels)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 → 4x4
            nn.Flatten(),
        )
        self.decoder = nn.Sequential(
            nn.Linear(2 * channels * 16, int(cfg.hidden)),
            nn.ReLU(),
            nn.Dropout(float(cfg.dropout)),
            nn.Linear(int(cfg.hidden), int(cfg.num_classes)),
        )
        self.loss = nn.CrossEntropyLoss()

    @property
    def input_types(self) -> dict[str, NeuralType]:
        """Gray-scale images scaled to [0, 1]."""
        return {"images": NeuralType(("B", "C", "H", "W"), NormalizedImageValue())}

    @property
    def output_types(self) -> dict[str, NeuralType]:
        """One logit per class."""
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits of a batch of images."""
        return self.decoder(self.encoder(images))

    def input_example(self, max_batch: int = 4, max_dim: int = 8) -> tuple[torch.Tensor]:
        """A batch of real-sized images (8x8), used by ``export()`` to trace the graph."""
        return (torch.rand(max_batch, 1, 8, 8, device=self.device),)

    # ---------------------------------------------------------------- data
    def _loader(self, ds_cfg: DictConfig) -> DataLoader:
        if ds_cfg.split not in SPLITS:
            raise ValueError(f"dataset split must be one of {SPLITS}; got {ds_cfg.split!r}")
        split = self.cfg.split
        images, labels = digits_split(int(split.seed), float(split.validation), float(split.test))[
            ds_cfg.split
        ]
        dataset = TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
        generator = torch.Generator().manual_seed(int(split.seed))  # the same shuffle order on every run
        return DataLoader(
            dataset,
            batch_size=int(ds_cfg.batch_size),
            shuffle=bool(ds_cfg.get("shuffle", False)),
            num_workers=int(ds_cfg.get("num_workers", 0)),
            generator=generator,
        )

    def setup_training_data(self, train_data_config: DictConfig) -> None:
        """Training loader from ``cfg.train_ds``."""
        self._train_dl = self._loader(train_data_config)

    def setup_validation_data(self, val_data_config: DictConfig) -> None:
        """Validation loader from ``cfg.validation_ds``."""
        self._validation_dl = self._loader(val_data_config)

    def setup_test_data(self, test_data_config: DictConfig) -> None:
        """Test loader from ``cfg.test_ds``."""
        self._test_dl = self._loader(test_data_config)

    # ---------------------------------------------------------------- steps
    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        """Cross-entropy on one batch; logs the loss and the learning rate."""
        images, labels = batch
        loss = self.loss(self(images=images), labels)
        self.log("train_loss", loss, prog_bar=True)
        self.log("lr", self._optimizer.param_groups[0]["lr"], prog_bar=True)
        return loss

    def _eval_step(self, batch: Any) -> dict[str, torch.Tensor]:
        images, labels = batch
        logits = self(images=images)
        return {
            "loss_sum": self.loss(logits, labels) * labels.numel(),
            "correct": (logits.argmax(dim=-1) == labels).sum(),
            "count": torch.tensor(labels.numel(), device=labels.device),
        }

    @staticmethod
    def _reduce(outputs: list[dict[str, torch.Tensor]], prefix: str) -> dict[str, Any]:
        count = torch.stack([o["count"] for o in outputs]).sum()
        loss = torch.stack([o["loss_sum"] for o in outputs]).sum() / count
        acc = torch.stack([o["correct"] for o in outputs]).sum().float() / count
        return {f"{prefix}_loss": loss, "log": {f"{prefix}_loss": loss, f"{prefix}_acc": acc}}

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Collect loss and correct predictions; reduced per epoch by ``multi_validation_epoch_end``."""
        self.validation_step_outputs.append(self._eval_step(batch))

    def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Collect loss and correct predictions; reduced by ``multi_test_epoch_end``."""
        self.test_step_outputs.append(self._eval_step(batch))

    def multi_validation_epoch_end(self, outputs: list[dict[str, Any]], dataloader_idx: int = 0) -> Any:
        """``val_loss`` (the checkpoint monitor) and ``val_acc`` over the whole validation split."""
        return self._reduce(outputs, "val")

    def multi_test_epoch_end(self, outputs: list[dict[str, Any]], dataloader_idx: int = 0) -> Any:
        """``test_loss`` and ``test_acc`` over the whole test split."""
        return self._reduce(outputs, "test")

    @classmethod
    def list_available_models(cls) -> None:
        """No pretrained digits models are published."""
        return None
