"""prepare_lr_scheduler (NeMo §6.5), compute_max_steps and the scheduler registry."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import pytest
import torch
from omegaconf import OmegaConf
from torch.utils.data import DataLoader, TensorDataset

import optim_registry as orx
from optim_registry import schedules as S
from optim_registry.scheduler_params import CosineAnnealingParams, SchedulerParams


def sgd(lr=0.1):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(3))], lr=lr)


def loader(n=100, batch_size=8, drop_last=False):
    return DataLoader(TensorDataset(torch.zeros(n, 1)), batch_size=batch_size, drop_last=drop_last)


def test_none_config_returns_none(caplog):
    with caplog.at_level(logging.INFO, logger="optim_registry"):
        assert orx.prepare_lr_scheduler(sgd(), None) is None
    assert "no `sched` config" in caplog.text


def test_inline_args_and_lightning_dict():
    cfg = {
        "name": "CosineAnnealing",
        "max_steps": 50,
        "warmup_steps": 5,
        "min_lr": 1e-4,
        "monitor": "val_loss",
    }
    out = orx.prepare_lr_scheduler(sgd(), cfg)
    sched = out["scheduler"]
    assert isinstance(sched, S.CosineAnnealing)
    assert (sched.max_steps, sched.warmup_steps, sched.min_lr) == (50, 5, 1e-4)
    assert out == {
        "scheduler": sched,
        "interval": "step",
        "frequency": 1,
        "monitor": "val_loss",
        "reduce_on_plateau": False,
    }


def test_dictconfig_and_dataclass_configs():
    cfg = OmegaConf.create({"name": "WarmupAnnealing", "max_steps": 20, "warmup_ratio": 0.1})
    out = orx.prepare_lr_scheduler(sgd(), cfg)
    assert out["scheduler"].warmup_steps == 2
    assert out["monitor"] == "loss"

    @dataclass
    class Sched:
        name: str = "PolynomialDecayAnnealing"
        max_steps: int = 30
        power: float = 2.0

    out = orx.prepare_lr_scheduler(sgd(), Sched())
    assert (out["scheduler"].power, out["scheduler"].max_steps) == (2.0, 30)


def test_args_name_auto_uses_the_params_dataclass():
    cfg = {
        "name": "CosineAnnealing",
        "max_steps": 40,
        "args": {"name": "auto", "params": {"warmup_steps": 4}},
    }
    sched = orx.prepare_lr_scheduler(sgd(), cfg)["scheduler"]
    assert (sched.warmup_steps, sched.max_steps, sched.min_lr) == (4, 40, 0.0)
    # an explicit params key, overrides given inline
    cfg = {
        "name": "CosineAnnealing",
        "max_steps": 40,
        "args": {"name": "CosineAnnealingParams", "min_lr": 0.01},
    }
    assert orx.prepare_lr_scheduler(sgd(), cfg)["scheduler"].min_lr == 0.01


def test_args_target_form_including_nemo_paths_and_legacy_cls():
    for key, path in [
        ("_target_", "nemo.core.config.schedulers.CosineAnnealingParams"),
        ("cls", "optim_registry.scheduler_params.CosineAnnealingParams"),
    ]:
        cfg = {"name": "ignored", "max_steps": 10, "args": {key: path, "warmup_steps": 3}}
        sched = orx.prepare_lr_scheduler(sgd(), cfg)["scheduler"]
        assert type(sched) is S.CosineAnnealing
        assert sched.warmup_steps == 3
    with pytest.raises(orx.OptimRegistryError, match="parameter dataclass"):
        orx.prepare_lr_scheduler(sgd(), {"max_steps": 10, "args": {"_target_": "collections.OrderedDict"}})


def test_epoch_schedulers_and_plateau():
    out = orx.prepare_lr_scheduler(sgd(), {"name": "ExponentialLR", "gamma": 0.5, "max_steps": 10})
    assert out["interval"] == "epoch"
    assert isinstance(out["scheduler"], torch.optim.lr_scheduler.ExponentialLR)
    out = orx.prepare_lr_scheduler(
        sgd(), {"name": "ReduceLROnPlateau", "args": {"name": "auto"}, "max_steps": 10, "monitor": "val_wer"}
    )
    assert out["reduce_on_plateau"] is True
    assert out["interval"] == "epoch"
    assert out["monitor"] == "val_wer"
    assert out["scheduler"].patience == 10
    out = orx.prepare_lr_scheduler(sgd(), {"name": "StepLR", "step_size": 3, "max_steps": 100})
    assert out["interval"] == "step"
    assert out["scheduler"].step_size == 3


def test_max_steps_inferred_from_epochs_and_dataloader():
    cfg = {
        "name": "CosineAnnealing",
        "t_max_epochs": 3,
        "t_accumulate_grad_batches": 2,
        "t_limit_train_batches": 1.0,
        "t_num_workers": 1,
        "max_steps": -1,  # "computed at runtime" in NeMo's docs
    }
    sched = orx.prepare_lr_scheduler(sgd(), cfg, train_dataloader=loader(100, 8))["scheduler"]
    # ceil(100/8) = 13 batches, ceil(13/2) = 7 steps per epoch, 3 epochs
    assert sched.max_steps == 21
    cfg.update(t_num_workers=2, t_limit_train_batches=4)
    sched = orx.prepare_lr_scheduler(sgd(), cfg, train_dataloader=loader(100, 8, drop_last=True))["scheduler"]
    # 50 samples per worker, floor(50/8) = 6 batches, capped at 4, ceil(4/2) = 2, times 3
    assert sched.max_steps == 6


def test_batch_size_from_a_megatron_style_batch_sampler():
    class Sampler:
        micro_batch_size = 10

        def __iter__(self):
            return iter([list(range(10))])

        def __len__(self):
            return 1

    dl = DataLoader(TensorDataset(torch.zeros(95, 1)), batch_sampler=Sampler())
    cfg = {"name": "CosineAnnealing", "t_max_epochs": 2, "t_accumulate_grad_batches": 1, "t_num_workers": 1}
    assert orx.prepare_lr_scheduler(sgd(), cfg, train_dataloader=dl)["scheduler"].max_steps == 20


@pytest.mark.parametrize(
    ("cfg", "dl", "why"),
    [
        ({"name": "CosineAnnealing"}, None, "neither `max_steps`"),
        ({"name": "CosineAnnealing", "max_steps": -1}, None, "neither `max_steps`"),
        ({"name": "CosineAnnealing", "t_max_epochs": 3}, None, "no train_dataloader"),
        ({"name": "CosineAnnealing", "t_max_epochs": None}, loader(), "`t_max_epochs` is None"),
        ({"name": "WarmupPolicy", "warmup_ratio": 0.1}, None, "neither"),
    ],
)
def test_missing_max_steps_is_an_error_naming_the_fix(cfg, dl, why):
    with pytest.raises(orx.MissingMaxStepsError) as info:
        orx.prepare_lr_scheduler(sgd(), cfg, train_dataloader=dl)
    message = str(info.value)
    assert why in message
    assert "`max_steps`" in message
    assert "t_max_epochs" in message
    assert "train_dataloader" in message


def test_schedules_without_max_steps_are_built_without_it():
    sched = orx.prepare_lr_scheduler(sgd(), {"name": "WarmupPolicy", "warmup_steps": 3})["scheduler"]
    assert sched.max_steps is None
    sched = orx.prepare_lr_scheduler(sgd(), {"name": "NoamAnnealing", "d_model": 64})["scheduler"]
    assert isinstance(sched, S.NoamAnnealing)


def test_negative_max_steps_rejected():
    with pytest.raises(orx.OptimRegistryError, match="non-negative"):
        orx.prepare_lr_scheduler(sgd(), {"name": "CosineAnnealing", "max_steps": -5})


def test_unknown_keys_listed_together_with_suggestions():
    cfg = {"name": "CosineAnnealing", "max_steps": 10, "warmup_step": 2, "minlr": 0.1}
    with pytest.raises(orx.UnknownKeysError) as info:
        orx.prepare_lr_scheduler(sgd(), cfg)
    message = str(info.value)
    assert "'minlr' (did you mean 'min_lr'?)" in message
    assert "'warmup_step' (did you mean 'warmup_steps'?)" in message
    assert info.value.bad_keys == ["minlr", "warmup_step"]
    with pytest.raises(orx.UnknownKeysError, match="warmpu_steps"):
        orx.prepare_lr_scheduler(
            sgd(), {"name": "CosineAnnealing", "args": {"name": "auto", "warmpu_steps": 1}}
        )


def test_unknown_scheduler_name_lists_names_and_closest_match():
    with pytest.raises(orx.UnknownNameError) as info:
        orx.prepare_lr_scheduler(sgd(), {"name": "CosineAnnaeling", "max_steps": 10})
    assert "Did you mean 'CosineAnnealing'?" in str(info.value)
    assert "WarmupHoldPolicy" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_config_without_name_returns_none_with_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="optim_registry"):
        assert orx.prepare_lr_scheduler(sgd(), {"max_steps": 10}) is None
    assert "neither `name`" in caplog.text


def test_prepared_cosine_follows_the_formula():
    out = orx.prepare_lr_scheduler(sgd(0.2), {"name": "CosineAnnealing", "max_steps": 10, "warmup_steps": 2})
    sched = out["scheduler"]
    lrs = [sched.get_last_lr()[0]]
    for _ in range(12):
        sched.optimizer.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    expected = [
        0.2 * (s + 1) / 3 if s <= 2 else 0.2 * 0.5 * (1 + math.cos(math.pi * (s - 2) / 8)) for s in range(11)
    ]
    assert lrs[:11] == pytest.approx(expected)
    assert lrs[11:] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((3, 1, 1.0, 1, 100, 8, False), 39),  # ceil(100/8)=13 per epoch
        ((3, 1, 1.0, 1, 100, 8, True), 36),  # floor: 12
        ((2, 4, 1.0, 1, 100, 8, False), 8),  # ceil(13/4)=4
        ((1, 1, 5, 1, 100, 8, False), 5),  # int limit caps
        ((1, 1, 0.5, 1, 100, 8, False), 6),  # fraction: int(13*0.5)
        ((1, 1, 0.0, 1, 100, 8, False), 0),  # 0.0 means no batches
        ((1, 1, 1.0, 4, 100, 8, False), 4),  # 25 per worker -> 4
        ((2, None, None, None, 10, 3, False), 8),  # None -> 1, 1.0, 1
    ],
)
def test_compute_max_steps(args, expected):
    assert orx.compute_max_steps(*args) == expected


def test_scheduler_registry():
    assert set(orx.AVAILABLE_SCHEDULERS) >= {
        "WarmupPolicy", "WarmupHoldPolicy", "SquareAnnealing", "SquareRootAnnealing", "CosineAnnealing",
        "NoamAnnealing", "NoamHoldAnnealing", "WarmupHoldAnnealOneMinusSquareRoot", "WarmupHoldAnnealLinear",
        "WarmupAnnealing", "InverseSquareRootAnnealing", "T5InverseSquareRootAnnealing",
        "PolynomialDecayAnnealing", "PolynomialHoldDecayAnnealing", "StepLR", "ExponentialLR",
        "ReduceLROnPlateau", "CyclicLR",
    }  # fmt: skip
    assert set(orx.EPOCH_SCHEDULERS) == {"ExponentialLR", "ReduceLROnPlateau"}
    partial = orx.get_scheduler("StepLR", step_size=2, max_steps=100)  # max_steps dropped: StepLR lacks it
    assert partial.keywords == {"step_size": 2}
    with pytest.raises(orx.UnknownKeysError, match="'gama' \\(did you mean 'gamma'\\?\\)"):
        orx.get_scheduler("StepLR", step_size=2, gama=0.5)
    with pytest.raises(orx.UnknownNameError, match="Did you mean 'StepLR'"):
        orx.get_scheduler("steplr")


def test_register_scheduler():
    @dataclass
    class HalfParams(SchedulerParams):
        pass

    class Half(torch.optim.lr_scheduler.LambdaLR):
        def __init__(self, optimizer, last_epoch=-1):
            super().__init__(optimizer, lambda _: 0.5, last_epoch=last_epoch)

    orx.register_scheduler("TestHalf", Half, HalfParams)
    try:
        assert orx.AVAILABLE_SCHEDULER_PARAMS["Half_params"] is HalfParams
        sched = orx.prepare_lr_scheduler(sgd(0.2), {"name": "TestHalf", "max_steps": 5})["scheduler"]
        assert sched.get_last_lr() == [0.1]
        with pytest.raises(orx.DuplicateNameError, match="TestHalf"):
            orx.register_scheduler("TestHalf", Half, HalfParams)
    finally:
        del orx.AVAILABLE_SCHEDULERS["TestHalf"]
        del orx.AVAILABLE_SCHEDULER_PARAMS["Half_params"]


def test_scheduler_params_defaults_match_nemo():
    assert CosineAnnealingParams() == CosineAnnealingParams(
        last_epoch=-1, max_steps=0, warmup_steps=None, warmup_ratio=None, constant_steps=None,
        constant_ratio=None, min_lr=0.0,
    )  # fmt: skip
    from optim_registry import scheduler_params as P

    assert P.SquareAnnealingParams().min_lr == 1e-5
    assert P.NoamHoldAnnealingParams().decay_rate == 0.5
    assert P.WarmupHoldSchedulerParams().hold_ratio is None
    assert P.PolynomialHoldDecayAnnealingParams().power == 1.0
    assert P.ReduceLROnPlateauParams() == P.ReduceLROnPlateauParams(
        mode="min", factor=0.1, patience=10, verbose=False, threshold=1e-4, threshold_mode="rel", cooldown=0,
        min_lr=0, eps=1e-8,
    )  # fmt: skip
    assert not hasattr(P.ReduceLROnPlateauParams(), "last_epoch")
    assert P.CyclicLRParams().step_size_up == 2000
    assert (P.StepLRParams().step_size, P.ExponentialLRParams().gamma) == (0.1, 0.9)
    assert orx.AVAILABLE_SCHEDULER_PARAMS["WarmupPolicyParams"] is P.WarmupSchedulerParams
    assert orx.AVAILABLE_SCHEDULER_PARAMS["WarmupHoldPolicyParams"] is P.WarmupHoldSchedulerParams
    with pytest.raises(orx.UnknownNameError, match="CosineAnnealingParams"):
        orx.get_scheduler_config("CosineAnealingParams")


def test_cyclic_lr_by_name_follows_torch():
    cfg = {"name": "CyclicLR", "base_lr": 0.01, "max_lr": 0.05, "step_size_up": 2, "cycle_momentum": False}
    out = orx.prepare_lr_scheduler(sgd(), {**cfg, "max_steps": 10})
    sched = out["scheduler"]
    assert isinstance(sched, torch.optim.lr_scheduler.CyclicLR)
    assert out["interval"] == "step"
    lrs = [sched.get_last_lr()[0]]
    for _ in range(4):
        sched.optimizer.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == pytest.approx([0.01, 0.03, 0.05, 0.03, 0.01])
