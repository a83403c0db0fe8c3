"""ExpManagerConfig: every field and default of NeMo's, cfg forms, all problems reported at once."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
from datetime import timedelta

import pytest

from expmanager import (
    CallbackParams,
    ConfigError,
    EMAParams,
    ExpManagerConfig,
    MLFlowParams,
    NeMoBaseException,
    resolve_config,
)
from expmanager.settings import check_conflicts, parse_max_time, parse_time_interval

EXPECTED_TOP = {
    "explicit_log_dir": None,
    "exp_dir": None,
    "name": None,
    "version": None,
    "use_datetime_version": True,
    "resume_if_exists": False,
    "resume_past_end": False,
    "resume_ignore_no_checkpoint": False,
    "resume_from_checkpoint": None,
    "create_tensorboard_logger": True,
    "summary_writer_kwargs": None,
    "create_wandb_logger": False,
    "wandb_logger_kwargs": None,
    "create_mlflow_logger": False,
    "create_dllogger_logger": False,
    "create_clearml_logger": False,
    "create_neptune_logger": False,
    "neptune_logger_kwargs": None,
    "create_checkpoint_callback": True,
    "create_early_stopping_callback": False,
    "create_ipl_epoch_stopper_callback": False,
    "create_preemption_callback": True,
    "files_to_copy": None,
    "log_step_timing": True,
    "log_delta_step_timing": False,
    "log_local_rank_0_only": False,
    "log_global_rank_0_only": False,
    "disable_validation_on_resume": True,
    "max_time_per_run": None,
    "seconds_to_sleep": 5,
    "create_straggler_detection_callback": False,
    "create_fault_tolerance_callback": False,
    "log_tflops_per_sec_per_gpu": True,
}
EXPECTED_SUB = {
    "mlflow_logger_kwargs": {
        "experiment_name": None,
        "run_name": None,
        "tracking_uri": None,
        "tags": None,
        "save_dir": "./mlruns",
        "prefix": "",
        "artifact_location": None,
        "run_id": None,
        "log_model": False,
    },
    "dllogger_logger_kwargs": {"verbose": False, "stdout": False, "json_file": "./dllogger.json"},
    "clearml_logger_kwargs": {
        "project": None,
        "task": None,
        "connect_pytorch": False,
        "model_name": None,
        "tags": None,
        "log_model": False,
        "log_cfg": False,
        "log_metrics": False,
    },
    "checkpoint_callback_params": {
        "filepath": None,
        "dirpath": None,
        "filename": None,
        "monitor": "val_loss",
        "verbose": True,
        "save_last": True,
        "save_top_k": 3,
        "save_weights_only": False,
        "mode": "min",
        "auto_insert_metric_name": True,
        "every_n_epochs": 1,
        "every_n_train_steps": None,
        "train_time_interval": None,
        "prefix": None,
        "postfix": ".nemo",
        "save_best_model": False,
        "always_save_nemo": False,
        "save_nemo_on_train_end": True,
        "model_parallel_size": None,
        "save_on_train_epoch_end": False,
        "async_save": False,
        "save_last_n_optim_states": -1,
        # expmanager's one addition (default off, so NeMo YAML configs load as before)
        "save_end_checkpoint": False,
    },
    "early_stopping_callback_params": {
        "monitor": "val_loss",
        "mode": "min",
        "min_delta": 0.001,
        "patience": 10,
        "verbose": True,
        "strict": True,
        "check_finite": True,
        "stopping_threshold": None,
        "divergence_threshold": None,
        "check_on_train_epoch_end": None,
        "log_rank_zero_only": False,
    },
    "ipl_epoch_stopper_callback_params": {"enable_stop": True, "stop_every_n_epochs": 1},
    "step_timing_kwargs": {"reduction": "mean", "sync_cuda": False, "buffer_size": 1},
    "ema": {
        "enable": False,
        "decay": 0.999,
        "cpu_offload": False,
        "validate_original_weights": False,
        "every_n_steps": 1,
    },
    "straggler_detection_params": {
        "report_time_interval": 300,
        "calc_relative_gpu_perf": True,
        "calc_individual_gpu_perf": True,
        "num_gpu_perf_scores_to_log": 5,
        "gpu_relative_perf_threshold": 0.7,
        "gpu_individual_perf_threshold": 0.7,
        "stop_if_detected": False,
    },
    "fault_tolerance": {
        "workload_check_interval": 5.0,
        "initial_rank_heartbeat_timeout": 3600.0,
        "rank_heartbeat_timeout": 2700.0,
        "calculate_timeouts": True,
        "safety_factor": 5.0,
        "rank_termination_signal": signal.SIGKILL,
        "log_level": "INFO",
        "max_rank_restarts": 0,
        "max_subsequent_job_failures": 0,
        "additional_ft_launcher_args": "",
        "simulated_fault": None,
    },
}


def test_every_field_and_default_matches_nemo() -> None:
    cfg = ExpManagerConfig()
    fields = {f.name for f in dataclasses.fields(cfg)}
    assert fields == set(EXPECTED_TOP) | set(EXPECTED_SUB)
    for name, value in EXPECTED_TOP.items():
        assert getattr(cfg, name) == value, name
    for name, values in EXPECTED_SUB.items():
        assert dataclasses.asdict(getattr(cfg, name)) == values, name


def test_dict_dictconfig_and_dataclass_give_the_same_config() -> None:
    from omegaconf import OmegaConf

    raw = {
        "name": "run",
        "exp_dir": "/tmp/x",
        "checkpoint_callback_params": {"save_top_k": 1, "monitor": "loss"},
        "ema": {"enable": True, "decay": 0.5},
    }
    from_dict = resolve_config(raw)
    from_omegaconf = resolve_config(OmegaConf.create(raw))
    from_dataclass = resolve_config(
        ExpManagerConfig(
            name="run",
            exp_dir="/tmp/x",
            checkpoint_callback_params=CallbackParams(save_top_k=1, monitor="loss"),
            ema=EMAParams(enable=True, decay=0.5),
        )
    )
    assert from_dict == from_omegaconf == from_dataclass
    assert from_dict.checkpoint_callback_params is not None
    assert from_dict.checkpoint_callback_params.save_top_k == 1
    assert from_dict.checkpoint_callback_params.mode == "min"  # untouched defaults stay
    # a structured OmegaConf of NeMo's kind works too, interpolations resolved
    structured = OmegaConf.merge(OmegaConf.structured(ExpManagerConfig), {"name": "${oc.env:HOME,home}"})
    assert resolve_config(structured).name not in (None, "${oc.env:HOME,home}")


def test_unknown_and_mistyped_keys_are_reported_all_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_config(
            {
                "nmae": "x",
                "resume_if_exist": True,
                "checkpoint_callback_params": {"save_top_k": "three", "monitr": "val_loss"},
                "ema": {"enable": "yes"},
                "files_to_copy": "a.txt",
                "seconds_to_sleep": "long",
            }
        )
    message = str(info.value)
    assert "7 problem(s)" in message
    for fragment in (
        "nmae: unknown key (did you mean 'name'?)",
        "resume_if_exist: unknown key (did you mean 'resume_if_exists'?)",
        "checkpoint_callback_params.save_top_k: got str 'three', expected int",
        "checkpoint_callback_params.monitr: unknown key (did you mean 'monitor'?)",
        "ema.enable: got str 'yes', expected bool",
        "files_to_copy: got str 'a.txt', expected a list",
        "seconds_to_sleep: got str 'long', expected float",
    ):
        assert fragment in message
    assert info.value.message == message
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, NeMoBaseException)


def test_cfg_of_another_type_is_refused() -> None:
    with pytest.raises(ConfigError, match="got list"):
        resolve_config(["name"])


def test_contradictory_settings_name_both_sides() -> None:
    cfg = resolve_config(
        {
            "explicit_log_dir": "/tmp/a",
            "exp_dir": "/tmp/b",
            "version": "v1",
            "checkpoint_callback_params": {
                "save_best_model": True,
                "save_top_k": 0,
                "every_n_train_steps": 5,
                "train_time_interval": 60,
                "mode": "minimum",
            },
            "summary_writer_kwargs": {"log_dir": "x"},
            "create_wandb_logger": True,
            "ema": {"enable": True, "decay": 1.5},
            "max_time_per_run": "3 hours",
            "early_stopping_callback_params": {"mode": "up"},
            "create_early_stopping_callback": True,
        }
    )
    with pytest.raises(ConfigError) as info:
        check_conflicts(cfg)
    message = str(info.value)
    for fragment in (
        "save_best_model=True clashes with save_top_k=0",
        "every_n_train_steps and train_time_interval are both set",
        "mode='minimum'",
        "summary_writer_kwargs.log_dir clashes",
        "create_wandb_logger=True needs wandb_logger_kwargs.name",
        "ema.decay=1.5",
        "max_time_per_run: got '3 hours'",
        "early_stopping_callback_params.mode='up'",
    ):
        assert fragment in message, fragment
    assert (
        "explicit_log_dir" not in message
    )  # NeMo: explicit_log_dir overrides exp_dir and version (a warning)


def test_neptune_needs_a_project_and_an_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEPTUNE_API_TOKEN", raising=False)
    with pytest.raises(ConfigError) as info:
        check_conflicts(resolve_config({"create_neptune_logger": True}))
    assert "neptune_logger_kwargs.name or neptune_logger_kwargs.project" in str(info.value)
    assert "neptune_logger_kwargs.api_key or the NEPTUNE_API_TOKEN" in str(info.value)
    monkeypatch.setenv("NEPTUNE_API_TOKEN", "token")
    check_conflicts(
        resolve_config({"create_neptune_logger": True, "neptune_logger_kwargs": {"project": "p"}})
    )


def test_top_k_without_monitor_is_refused() -> None:
    with pytest.raises(ConfigError, match="monitor=None clashes with save_top_k=3"):
        check_conflicts(resolve_config({"checkpoint_callback_params": {"monitor": None}}))
    check_conflicts(resolve_config({"checkpoint_callback_params": {"monitor": None, "save_top_k": -1}}))


def test_defaults_have_no_conflicts() -> None:
    check_conflicts(ExpManagerConfig())


def test_time_parsers() -> None:
    assert parse_max_time("01:02:03:04") == timedelta(days=1, hours=2, minutes=3, seconds=4)
    assert parse_time_interval(90) == timedelta(seconds=90)
    assert parse_time_interval({"_target_": "datetime.timedelta", "minutes": 2}) == timedelta(minutes=2)
    assert parse_time_interval(timedelta(hours=1)) == timedelta(hours=1)
    with pytest.raises(ConfigError, match="train_time_interval"):
        parse_time_interval("soon")


def test_mlflow_params_are_a_dataclass_with_nemo_defaults() -> None:
    assert MLFlowParams().save_dir == "./mlruns"


def test_import_is_light() -> None:
    """``import expmanager`` pulls in neither torch, Lightning, omegaconf nor any optional logger."""
    heavy = [
        "torch",
        "lightning",
        "pytorch_lightning",
        "omegaconf",
        "mlflow",
        "wandb",
        "tensorboard",
        "hydra",
    ]
    code = f"import sys, expmanager\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
