"""Real Lightning runs on CPU: fit / validate / test with one and two loaders, optimizers from config."""

from __future__ import annotations

import csv

import pytest
import torch

from conftest import LIGHTNING_NOISE, make_trainer, tiny_cfg
from modelpt import NotSupportedError
from modelpt_test_models import TinyClassifier

pytestmark = LIGHTNING_NOISE


def read_metrics(trainer) -> list[dict[str, str]]:
    trainer.logger.save()
    with open(f"{trainer.logger.log_dir}/metrics.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def logged(rows, key):
    return [float(r[key]) for r in rows if r.get(key) not in (None, "")]


def test_fit_validate_test_single_loader(tmp_path):
    torch.manual_seed(0)
    cfg = tiny_cfg(test_ds={"seed": 3, "n": 16, "batch_size": 8})
    model = TinyClassifier(cfg)
    trainer = make_trainer(tmp_path, max_epochs=2, log_every_n_steps=1)
    before = [p.detach().clone() for p in model.parameters()]
    trainer.fit(model)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=False))
    rows = read_metrics(trainer)
    assert len(logged(rows, "train_loss")) == 8  # 4 batches x 2 epochs, the "log" dict of training_step
    assert len(logged(rows, "val_loss")) == 2
    assert "val_acc" in rows[-1] or any(r.get("val_acc") for r in rows)
    assert model.validation_step_outputs == []  # cleared at each epoch end
    result = trainer.validate(model, verbose=False)
    assert set(result[0]) == {"val_loss", "val_acc"}
    test = trainer.test(model, verbose=False)
    assert set(test[0]) == {"test_loss", "test_acc"}
    assert isinstance(model._optimizer, torch.optim.Adam)


def test_two_validation_loaders_prefix_and_main_index(tmp_path):
    torch.manual_seed(0)
    cfg = tiny_cfg()
    cfg["validation_ds"] = {
        "ds_item": [2, 5],
        "name": ["clean", "noisy"],
        "n": 16,
        "batch_size": 8,
        "val_dl_idx": 1,
    }
    # ds_item values are seeds, not paths: resolve_dataset_name_from_cfg picks ds_item whatever its values.
    model = TinyClassifier(cfg)
    assert isinstance(model._validation_dl, list)
    assert len(model._validation_dl) == 2
    assert model._validation_names == ["clean_", "noisy_"]
    assert model._val_dl_idx == 1
    assert model.validation_step_outputs == [[], []]
    trainer = make_trainer(tmp_path, max_epochs=1)
    result = trainer.validate(model, verbose=False)
    # Lightning reports per-loader dicts; every key carries the loader prefix, the main loader's also bare.
    keys = set(result[0]) | set(result[1])
    assert {"clean_val_loss", "noisy_val_loss", "clean_val_acc", "noisy_val_acc", "val_loss", "val_acc"} <= {
        k.split("/")[0] for k in keys
    }
    flat = {k.split("/")[0]: v for r in result for k, v in r.items()}
    assert flat["val_loss"] == pytest.approx(flat["noisy_val_loss"])
    assert flat["val_loss"] != pytest.approx(flat["clean_val_loss"])


def test_optimizer_and_scheduler_from_config(tmp_path):
    cfg = tiny_cfg(
        optim={
            "name": "sgd",
            "lr": 0.1,
            "momentum": 0.9,
            "sched": {"name": "CosineAnnealing", "warmup_steps": 2, "min_lr": 0.0},
        }
    )
    model = TinyClassifier(cfg)
    trainer = make_trainer(tmp_path, max_steps=8, max_epochs=10, limit_val_batches=0)
    trainer.fit(model)
    assert isinstance(model._optimizer, torch.optim.SGD)
    assert model._optimizer.param_groups[0]["momentum"] == 0.9
    sched = model._scheduler
    assert sched["interval"] == "step"
    assert sched["scheduler"].max_steps == 8  # injected from trainer.max_steps
    assert model.cfg.optim.sched.name == "CosineAnnealing"
    # after 8 of 8 steps cosine annealing reaches min_lr
    assert model._optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-9)


def test_optim_precedence_kwargs_args_target_and_none():
    model = TinyClassifier(tiny_cfg())
    opt, sched = model.setup_optimization(
        {"name": "adamw", "lr": 0.5, "weight_decay": 0.1}, {"weight_decay": 0.3}
    )
    assert isinstance(opt, torch.optim.AdamW)
    assert sched is None
    assert opt.param_groups[0]["lr"] == 0.5
    assert opt.param_groups[0]["weight_decay"] == 0.3
    assert model.cfg.optim.name == "adamw"  # the used config is stored back
    opt, _ = model.setup_optimization({"_target_": "torch.optim.RMSprop", "lr": 0.2, "alpha": 0.5})
    assert isinstance(opt, torch.optim.RMSprop)
    assert opt.param_groups[0]["alpha"] == 0.5
    opt, _ = model.setup_optimization({"name": "sgd", "lr": 0.3, "args": ["momentum=0.5", "nesterov=true"]})
    assert opt.param_groups[0]["momentum"] == 0.5
    assert opt.param_groups[0]["nesterov"] is True
    opt, _ = model.setup_optimization({"name": None, "lr": 0.01})
    assert isinstance(opt, torch.optim.Adam)
    with pytest.raises(ValueError, match=r"not a torch\.optim\.Optimizer"):
        model.setup_optimization({"_target_": "collections.OrderedDict", "lr": 0.1})
    bare = TinyClassifier({"hidden": 8})
    assert bare.setup_optimization() is None


def test_optim_param_groups_match_at_dot_boundaries():
    cfg = tiny_cfg(optim_param_groups={"encoder": {"lr": 0.001}})
    model = TinyClassifier(cfg)
    opt, _ = model.setup_optimization()
    assert len(opt.param_groups) == 2
    default, enc = opt.param_groups
    enc_ids = {id(p) for p in model.encoder.parameters()}
    assert {id(p) for p in enc["params"]} == enc_ids
    assert enc["lr"] == 0.001
    # encoder2.* must NOT be swallowed by the "encoder" prefix (NeMo's startswith bug)
    assert {id(p) for p in model.encoder2.parameters()} <= {id(p) for p in default["params"]}
    assert default["lr"] == 0.01
    model.cfg.optim_param_groups = {"missing": {"lr": 1.0}}
    with pytest.raises(ValueError, match="missing not found in model"):
        model.setup_optimizer_param_groups()


def test_megatron_optimization_is_refused():
    model = TinyClassifier(tiny_cfg())
    with pytest.raises(NotSupportedError, match="not supported"):
        model.setup_megatron_optimization({})


def test_freeze_updates_schedule(tmp_path):
    cfg = tiny_cfg(freeze_updates={"enabled": True, "modules": {"encoder": 2, "encoder2": [3, 4]}})
    model = TinyClassifier(cfg)
    seen = []

    class Spy(__import__("lightning.pytorch").pytorch.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            seen.append(
                (
                    trainer.global_step,
                    all(not p.requires_grad for p in pl_module.encoder.parameters()),
                    all(not p.requires_grad for p in pl_module.encoder2.parameters()),
                    pl_module.encoder.training,
                )
            )

    enc_before = [p.detach().clone() for p in model.encoder.parameters()]
    trainer = make_trainer(tmp_path, max_steps=5, max_epochs=10, limit_val_batches=0, callbacks=[Spy()])
    trainer.fit(model)
    # step n = global_step + 1 before the batch: encoder frozen for n <= 2, encoder2 for 3 <= n <= 4
    assert [s[1] for s in seen] == [True, True, False, False, False]
    assert [s[2] for s in seen] == [False, False, True, True, False]
    assert all(s[3] for s in seen)  # frozen modules stay in train mode
    assert all(p.requires_grad for p in model.parameters())  # state cleaned at train end
    assert model._freeze_cfg is None
    assert any(not torch.equal(a, b) for a, b in zip(enc_before, model.encoder.parameters(), strict=False))


def test_load_from_checkpoint_uses_hparams_and_skips_data(tmp_path):
    model = TinyClassifier(tiny_cfg())
    trainer = make_trainer(tmp_path, max_steps=2, limit_val_batches=0)
    trainer.fit(model)
    path = tmp_path / "m.ckpt"
    trainer.save_checkpoint(path)
    loaded = TinyClassifier.load_from_checkpoint(str(path), map_location="cpu")
    assert loaded.cfg.hidden == 8
    assert loaded._train_dl is None
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values(), strict=False):
        assert torch.equal(a, b)
    assert loaded.hparams.cfg.hidden == 8
    partial = TinyClassifier.load_from_checkpoint(str(path), map_location="cpu", strict=True)
    assert partial.cfg.optim.lr == 0.01


def test_constructor_contract(tmp_path):
    from dataclasses import dataclass, field

    @dataclass
    class Cfg:
        hidden: int = 4
        extra: list = field(default_factory=lambda: [1, 2])

    model = TinyClassifier(Cfg())
    assert model.cfg.hidden == 4
    assert model.cfg.target.endswith("TinyClassifier")
    assert "nemo_version" in model.cfg
    assert model.num_weights == sum(p.numel() for p in model.parameters())
    with pytest.raises(ValueError, match="forbidden"):
        TinyClassifier({"model": {"hidden": 4}})
    with pytest.raises(ValueError, match="Trainer"):
        TinyClassifier({"hidden": 4}, trainer="not a trainer")
    trainer = make_trainer(tmp_path, devices=1)
    model.set_trainer(trainer)
    assert model.trainer is trainer
    assert model.world_size == 1
    assert model.prepare_test(trainer) is False  # no test_ds
    model.cfg = model.cfg
    assert model.hparams.cfg.hidden == 4
    summary = model.summarize(max_depth=1)
    assert summary.total_parameters == sum(p.numel() for p in model.parameters())
    guid = model.model_guid
    model.propagate_model_guid()
    assert model.encoder.inner.model_guid == guid
