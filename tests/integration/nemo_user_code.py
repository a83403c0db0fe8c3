"""User code as a NeMo user writes it: only ``nemo.core`` and ``nemo.utils`` (``logging``, ``exp_manager``).

Nothing here knows about nemo-core's packages. ``ToyTagger`` is a ModelPT with typed ``forward``, data from
config, optimization from config, an artifact (a vocabulary file) on a nested NeMo model registered with
``register_nemo_submodule``, a typed ``NeuralModule`` head, and ONNX export. ``RefSmallModel`` is the class
that wrote ``fixtures/ref_small.nemo`` with nemo_toolkit 3.0.0 (``fixtures/ref_small.README.md``).
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, TensorDataset

from nemo.core import Exportable, ModelPT, NeuralModule, typecheck
from nemo.core.neural_types import (
    ChannelType,
    EncodedRepresentation,
    LogitsType,
    NeuralType,
)
from nemo.utils import logging


def toy_data(seed: int, n: int, features: int, classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A linearly separable problem: the label is the arg-max of a fixed random projection."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator)
    projection = torch.randn(features, classes, generator=torch.Generator().manual_seed(0))
    return x, (x @ projection).argmax(dim=-1)


class ToyEncoder(ModelPT):
    """A NeMo model used as a submodule of another; it owns the vocabulary artifact."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        with open(self.register_artifact("vocab_file", self.cfg.vocab_file), encoding="utf-8") as f:
            self.vocab = f.read().split()
        self.proj = torch.nn.Linear(self.cfg.in_features, self.cfg.hidden)

    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self):
        return {"encoded": NeuralType(("B", "D"), EncodedRepresentation())}

    @typecheck()
    def forward(self, x):
        return torch.tanh(self.proj(x))

    def setup_training_data(self, train_data_config):
        pass

    def setup_validation_data(self, val_data_config):
        pass

    @classmethod
    def list_available_models(cls):
        return None


class ToyHead(NeuralModule):
    """A typed head: encoded features to class logits."""

    def __init__(self, hidden: int, classes: int):
        super().__init__()
        self.out = torch.nn.Linear(hidden, classes)

    @property
    def input_types(self):
        return {"encoded": NeuralType(("B", "D"), EncodedRepresentation())}

    @property
    def output_types(self):
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, encoded):
        return self.out(encoded)


class ToyTagger(ModelPT, Exportable):
    """Encoder (a nested ModelPT with an artifact) + typed head; trains on ``toy_data``."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.register_nemo_submodule("encoder", "encoder", ToyEncoder(self.cfg.encoder, trainer=trainer))
        self.head = ToyHead(self.cfg.encoder.hidden, self.cfg.num_classes)
        self.loss = torch.nn.CrossEntropyLoss()

    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self):
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, x):
        return self.head(encoded=self.encoder(x=x))

    def _loader(self, cfg):
        x, y = toy_data(cfg.seed, cfg.n, self.cfg.encoder.in_features, self.cfg.num_classes)
        return DataLoader(TensorDataset(x, y), batch_size=cfg.batch_size, shuffle=cfg.get("shuffle", False))

    def setup_training_data(self, train_data_config):
        self._train_dl = self._loader(train_data_config)
        logging.info("ToyTagger: %d training examples", len(self._train_dl.dataset))

    def setup_validation_data(self, val_data_config):
        self._validation_dl = self._loader(val_data_config)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss(self(x=x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x=x)
        self.validation_step_outputs.append(
            {"val_loss": self.loss(logits, y), "val_acc": (logits.argmax(-1) == y).float().mean()}
        )

    def multi_validation_epoch_end(self, outputs, dataloader_idx=0):
        loss = torch.stack([o["val_loss"] for o in outputs]).mean()
        acc = torch.stack([o["val_acc"] for o in outputs]).mean()
        return {"val_loss": loss, "log": {"val_loss": loss, "val_acc": acc}}

    @classmethod
    def list_available_models(cls):
        return None


class RefSmallModel(ModelPT):
    """The class that wrote ``fixtures/ref_small.nemo`` (as its README describes it)."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.encoder = torch.nn.Linear(self.cfg.in_features, self.cfg.hidden)
        self.decoder = torch.nn.Linear(self.cfg.hidden, self.cfg.out_features)
        self.vocab = None
        if self.cfg.get("vocab_file"):
            with open(self.register_artifact("vocab_file", self.cfg.vocab_file), encoding="utf-8") as f:
                self.vocab = [line.rstrip("\n") for line in f]

    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self):
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, x):
        return self.decoder(torch.relu(self.encoder(x)))

    def setup_training_data(self, train_data_config):
        pass

    def setup_validation_data(self, val_data_config):
        pass

    @classmethod
    def list_available_models(cls):
        return None
