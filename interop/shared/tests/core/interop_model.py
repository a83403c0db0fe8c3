"""One model class, written once against NeMo's import paths, that nemo-core and nemo_toolkit both save and restore.

``from nemo.core import ModelPT`` is nemo-core's ModelPT in the nemo-core venv and nemo_toolkit's in its own.
The dotted path starts with ``tests.core.`` because nemo_toolkit 3.0.0 restores only classes under allowed
prefixes. The model has what a real NeMo model carries in its ``.nemo`` file: a nested NeMo model registered
with ``register_nemo_submodule`` (with its own artifact) and an artifact registered with ``register_artifact``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from nemo.core import ModelPT


class _NoData(ModelPT):
    """No data loaders: the interop check only saves, restores and runs forward."""

    def setup_training_data(self, train_data_config: Any) -> None:
        pass

    def setup_validation_data(self, val_data_config: Any) -> None:
        pass

    @classmethod
    def list_available_models(cls) -> None:
        return None


class InteropEncoder(_NoData):
    """The nested model: a projection and a vocabulary file registered as an artifact."""

    def __init__(self, cfg: Any, trainer: Any = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.proj = torch.nn.Linear(self.cfg.hidden, self.cfg.hidden)
        # the artifact is read here, while the restoring implementation still guarantees the path exists
        self.vocab = Path(self.register_artifact("vocab_file", self.cfg.vocab_file)).read_text(
            encoding="utf-8"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.proj(x))


class InteropModel(_NoData):
    """The parent: the encoder as a NeMo submodule, a head, and a label file registered as an artifact."""

    def __init__(self, cfg: Any, trainer: Any = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.register_nemo_submodule(
            name="encoder", config_field="encoder", model=InteropEncoder(self.cfg.encoder, trainer=trainer)
        )
        self.head = torch.nn.Sequential(
            torch.nn.Linear(self.cfg.hidden, self.cfg.hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(self.cfg.hidden, 3),
        )
        self.labels = Path(self.register_artifact("labels_file", self.cfg.labels_file)).read_text(
            encoding="utf-8"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))
