"""The benchmark's models, written once against NeMo's import paths so either implementation runs them.

``from nemo.core import ModelPT`` resolves to nemo-core's ModelPT in the workspace and to nemo_toolkit's in its
own venv. nemo_toolkit 3.0.0 only restores classes whose dotted path starts with an allowed prefix such as
``tests.core.``, which is why this module lives at ``tests/core/`` under a folder the benchmark puts on
``sys.path``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from nemo.core import ModelPT, Typing, typecheck
from nemo.core.neural_types import ChannelType, LogitsType, NeuralType


class WeightsModel(ModelPT):
    """``cfg.layers`` bias-free ``Linear(cfg.width, cfg.width)`` layers: a model that is mostly weights."""

    def __init__(self, cfg: Any, trainer: Any = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(self.cfg.width, self.cfg.width, bias=False) for _ in range(self.cfg.layers)
        )

    @property
    def input_types(self) -> Any:
        return {"x": NeuralType(("B", "D"), ChannelType())}

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def setup_training_data(self, train_data_config: Any) -> None:
        pass

    def setup_validation_data(self, val_data_config: Any) -> None:
        pass

    @classmethod
    def list_available_models(cls) -> None:
        return None


def mlp(hidden: int) -> torch.nn.Sequential:
    """The layers both training models share."""
    return torch.nn.Sequential(
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10),
    )


def train_data(hidden: int, batch: int) -> TensorDataset:
    """A fixed synthetic classification set of eight batches."""
    generator = torch.Generator().manual_seed(0)
    return TensorDataset(
        torch.randn(batch * 8, hidden, generator=generator),
        torch.randint(0, 10, (batch * 8,), generator=generator),
    )


class TrainModel(ModelPT):
    """An MLP classifier with a ``@typecheck()`` forward, configured the way NeMo models are."""

    def __init__(self, cfg: Any, trainer: Any = None) -> None:
        super().__init__(cfg=cfg, trainer=trainer)
        self.net = mlp(self.cfg.hidden)
        self.loss = torch.nn.CrossEntropyLoss()

    @property
    def input_types(self) -> Any:
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self) -> Any:
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, x: Any) -> Any:
        return self.net(x)

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return self.loss(self(x=x), y)

    def setup_training_data(self, train_data_config: Any) -> None:
        data = train_data(self.cfg.hidden, train_data_config.batch_size)
        self._train_dl = DataLoader(data, batch_size=train_data_config.batch_size, shuffle=False)

    def setup_validation_data(self, val_data_config: Any) -> None:
        pass

    @classmethod
    def list_available_models(cls) -> None:
        return None


class _TypedBase(Typing):
    """One typed input and one typed output, the types built on every call as NeMo modules do."""

    @property
    def input_types(self) -> Any:
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self) -> Any:
        return {"logits": NeuralType(("B", "D"), LogitsType())}


class Undecorated(_TypedBase):
    """The same method without ``@typecheck()``: the per-call baseline."""

    def forward(self, x: Any) -> Any:
        return x.detach()


class Checked(_TypedBase):
    """The method under ``@typecheck()``."""

    @typecheck()
    def forward(self, x: Any) -> Any:
        return x.detach()
