"""Tiny models shared by the tests (importable by path from subprocess scripts too)."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, TensorDataset

from modelpt import ModelPT, NeuralModule
from neural_types import ChannelType, LogitsType, NeuralType, typecheck


class RefSmallModel(ModelPT):
    """The class that wrote tests/data/ref_small.nemo (see its README)."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.encoder = torch.nn.Linear(self.cfg.in_features, self.cfg.hidden)
        self.decoder = torch.nn.Linear(self.cfg.hidden, self.cfg.out_features)
        self.vocab = None
        if self.cfg.get("vocab_file"):
            path = self.register_artifact("vocab_file", self.cfg.vocab_file)
            with open(path, encoding="utf-8") as f:
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


class Block(NeuralModule):
    """A typed two-layer block used as encoder / decoder."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.inner = torch.nn.Linear(n_in, n_out)
        self.outer = torch.nn.Linear(n_out, n_out)

    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self):
        return {"y": NeuralType(("B", "D"), ChannelType())}

    @typecheck()
    def forward(self, x):
        return self.outer(torch.relu(self.inner(x)))


def make_loader(cfg, seed: int) -> DataLoader:
    """A deterministic classification set: ``n`` samples of ``features`` floats, labels from a fixed rule."""
    g = torch.Generator().manual_seed(seed)
    n = int(cfg.get("n", 32))
    x = torch.randn(n, 4, generator=g)
    y = (x.sum(dim=1) > 0).long()
    return DataLoader(TensorDataset(x, y), batch_size=int(cfg.get("batch_size", 8)), shuffle=False)


class TinyClassifier(ModelPT):
    """Encoder + decoder classifier whose data configs name a seed (or a list of seeds via ``ds_item``)."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.encoder = Block(4, self.cfg.get("hidden", 8))
        self.encoder2 = Block(self.cfg.get("hidden", 8), self.cfg.get("hidden", 8))
        self.decoder = torch.nn.Linear(self.cfg.get("hidden", 8), 2)
        self.loss = torch.nn.CrossEntropyLoss()

    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self):
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, x):
        return self.decoder(self.encoder2(x=self.encoder(x=x)))

    def _loader(self, cfg):
        return make_loader(cfg, int(cfg.ds_item) if "ds_item" in cfg else int(cfg.get("seed", 0)))

    def setup_training_data(self, train_data_config):
        self._train_dl = self._loader(train_data_config)

    def setup_validation_data(self, val_data_config):
        self._validation_dl = self._loader(val_data_config)

    def setup_test_data(self, test_data_config):
        self._test_dl = self._loader(test_data_config)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss(self(x=x), y)
        return {"loss": loss, "log": {"train_loss": loss.detach()}}

    def _eval_step(self, batch, prefix, dataloader_idx):
        x, y = batch
        logits = self(x=x)
        loss = self.loss(logits, y)
        acc = (logits.argmax(-1) == y).float().mean()
        out = {f"{prefix}_loss": loss.detach(), "acc": acc}
        outputs = self.validation_step_outputs if prefix == "val" else self.test_step_outputs
        target = (
            outputs[dataloader_idx]
            if isinstance(self._loaders(prefix), list) and len(self._loaders(prefix)) > 1
            else outputs
        )
        target.append(out)
        return out

    def _loaders(self, prefix):
        return self._validation_dl if prefix == "val" else self._test_dl

    def validation_step(self, batch, batch_idx, dataloader_idx=0):
        return self._eval_step(batch, "val", dataloader_idx)

    def test_step(self, batch, batch_idx, dataloader_idx=0):
        return self._eval_step(batch, "test", dataloader_idx)

    def _reduce(self, outputs, prefix):
        loss = torch.stack([o[f"{prefix}_loss"] for o in outputs]).mean()
        acc = torch.stack([o["acc"] for o in outputs]).mean()
        return {f"{prefix}_loss": loss, "log": {f"{prefix}_loss": loss, f"{prefix}_acc": acc}}

    def multi_validation_epoch_end(self, outputs, dataloader_idx=0):
        return self._reduce(outputs, "val")

    def multi_test_epoch_end(self, outputs, dataloader_idx=0):
        return self._reduce(outputs, "test")

    @classmethod
    def list_available_models(cls):
        return None


class TinySubclass(TinyClassifier):
    """A subclass: restoring a TinyClassifier file through it must build it."""


class ChildModel(RefSmallModel):
    """A nested model (inherits RefSmallModel's artifact handling)."""


class ParentModel(ModelPT):
    """Holds a ChildModel registered with register_nemo_submodule (NeMo's documented pattern)."""

    def __init__(self, cfg, trainer=None):
        super().__init__(cfg=cfg, trainer=trainer)
        self.head = torch.nn.Linear(4, 2)
        self.child_model = None
        if cfg.get("child_model") is not None:
            self.register_nemo_submodule(
                "child_model", "child_model", ChildModel(self.cfg.child_model, trainer=trainer)
            )
        elif cfg.get("child_model_path") is not None:
            self.register_nemo_submodule(
                "child_model",
                "child_model",
                ChildModel.restore_from(self.cfg.child_model_path, map_location="cpu"),
            )

    def forward(self, x):
        return self.head(self.child_model(x=x))

    def setup_training_data(self, train_data_config):
        pass

    def setup_validation_data(self, val_data_config):
        pass

    @classmethod
    def list_available_models(cls):
        return None
