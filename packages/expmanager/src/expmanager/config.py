"""``ExpManagerConfig`` and its parameter classes, with every field and default of NeMo's.

The classes are plain dataclasses (usable with ``OmegaConf.structured`` like NeMo's). :func:`resolve_config`
turns whatever the caller passed (``None``, a dict, a ``DictConfig`` or a dataclass) into a validated
``ExpManagerConfig`` and reports *every* unknown key and mistyped value in one error, instead of the first
one only as omegaconf's merge does.
"""

from __future__ import annotations

import dataclasses
import difflib
import signal
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from expmanager.errors import ConfigError, config_error

__all__ = [
    "CallbackParams",
    "EarlyStoppingParams",
    "StepTimingParams",
    "EMAParams",
    "IPLEpochStopperParams",
    "StragglerDetectionParams",
    "FaultToleranceParams",
    "MLFlowParams",
    "DLLoggerParams",
    "ClearMLParams",
    "ExpManagerConfig",
    "resolve_config",
]

# ``Optional[...]`` (not ``X | None``) keeps the annotations evaluable on Python 3.10 by get_type_hints and
# by OmegaConf.structured, which users may call on these classes.
# ruff: noqa: UP007, UP045


@dataclass
class CallbackParams:
    """Parameters of the NeMo-style checkpoint callback (NeMo's ``CallbackParams``)."""

    filepath: Optional[str] = None  # deprecated: split into dirpath and filename
    dirpath: Optional[str] = None
    filename: Optional[str] = None
    monitor: Optional[str] = "val_loss"
    verbose: Optional[bool] = True
    save_last: Optional[bool] = True
    save_top_k: Optional[int] = 3
    save_weights_only: Optional[bool] = False
    mode: Optional[str] = "min"
    auto_insert_metric_name: bool = True
    every_n_epochs: Optional[int] = 1
    every_n_train_steps: Optional[int] = None
    train_time_interval: Optional[Any] = None  # timedelta, seconds, or a dict of timedelta arguments
    prefix: Optional[str] = None
    postfix: str = ".nemo"
    save_best_model: bool = False
    always_save_nemo: bool = False
    save_nemo_on_train_end: Optional[bool] = True
    model_parallel_size: Optional[int] = None
    save_on_train_epoch_end: Optional[bool] = False
    async_save: Optional[bool] = False
    save_last_n_optim_states: Optional[int] = -1
    # expmanager's: also write ``<name>-end.ckpt`` when fit finishes (NeMo 3.0.0 does not)
    save_end_checkpoint: bool = False


@dataclass
class EarlyStoppingParams:
    """Parameters passed to Lightning's ``EarlyStopping``."""

    monitor: str = "val_loss"
    mode: str = "min"
    min_delta: float = 0.001
    patience: int = 10
    verbose: bool = True
    strict: bool = True
    check_finite: bool = True
    stopping_threshold: Optional[float] = None
    divergence_threshold: Optional[float] = None
    check_on_train_epoch_end: Optional[bool] = None
    log_rank_zero_only: bool = False


@dataclass
class StepTimingParams:
    """Parameters of the step timer (``reduction`` is one of mean, sum, min, max, none)."""

    reduction: Optional[str] = "mean"
    sync_cuda: Optional[bool] = False
    buffer_size: Optional[int] = 1


@dataclass
class EMAParams:
    """Exponential moving average of the weights: ``ema = decay * ema + (1 - decay) * param``."""

    enable: Optional[bool] = False
    decay: Optional[float] = 0.999
    cpu_offload: Optional[bool] = False
    validate_original_weights: Optional[bool] = False
    every_n_steps: int = 1


@dataclass
class IPLEpochStopperParams:
    """Stops ``fit`` every ``stop_every_n_epochs`` epochs (iterative pseudo-labelling)."""

    enable_stop: bool = True
    stop_every_n_epochs: int = 1


@dataclass
class StragglerDetectionParams:
    """Settings of nvidia-resiliency-ext's straggler detection (needs that package)."""

    report_time_interval: float = 300
    calc_relative_gpu_perf: bool = True
    calc_individual_gpu_perf: bool = True
    num_gpu_perf_scores_to_log: int = 5
    gpu_relative_perf_threshold: float = 0.7
    gpu_individual_perf_threshold: float = 0.7
    stop_if_detected: bool = False


@dataclass
class FaultToleranceParams:
    """Settings of nvidia-resiliency-ext's fault tolerance (needs that package)."""

    workload_check_interval: float = 5.0
    initial_rank_heartbeat_timeout: Optional[float] = 60.0 * 60.0
    rank_heartbeat_timeout: Optional[float] = 45.0 * 60.0
    calculate_timeouts: bool = True
    safety_factor: float = 5.0
    rank_termination_signal: Any = signal.SIGTERM if sys.platform == "win32" else signal.SIGKILL
    log_level: str = "INFO"
    max_rank_restarts: int = 0
    max_subsequent_job_failures: int = 0
    additional_ft_launcher_args: str = ""
    simulated_fault: Optional[Any] = None


@dataclass
class MLFlowParams:
    """Arguments of Lightning's ``MLFlowLogger``; ``run_name`` defaults to the experiment version."""

    experiment_name: Optional[str] = None
    run_name: Optional[str] = None
    tracking_uri: Optional[str] = None
    tags: Optional[dict[Any, Any]] = None
    save_dir: Optional[str] = "./mlruns"
    prefix: str = ""
    artifact_location: Optional[str] = None
    run_id: Optional[str] = None
    log_model: Any = False


@dataclass
class DLLoggerParams:
    """Arguments of the DLLogger logger (needs NVIDIA's ``dllogger`` package)."""

    verbose: Optional[bool] = False
    stdout: Optional[bool] = False
    json_file: Optional[str] = "./dllogger.json"


@dataclass
class ClearMLParams:
    """Arguments of the ClearML logger (needs the ``clearml`` package)."""

    project: Optional[str] = None
    task: Optional[str] = None
    connect_pytorch: Optional[bool] = False
    model_name: Optional[str] = None
    tags: Optional[list[str]] = None
    log_model: Optional[bool] = False
    log_cfg: Optional[bool] = False
    log_metrics: Optional[bool] = False


@dataclass
class ExpManagerConfig:
    """Everything ``exp_manager`` can be told; see the package README for what each field does."""

    # directories
    explicit_log_dir: Optional[str] = None
    exp_dir: Optional[str] = None
    name: Optional[str] = None
    version: Optional[str] = None
    use_datetime_version: Optional[bool] = True
    # resume
    resume_if_exists: Optional[bool] = False
    resume_past_end: Optional[bool] = False
    resume_ignore_no_checkpoint: Optional[bool] = False
    resume_from_checkpoint: Optional[str] = None
    # loggers
    create_tensorboard_logger: Optional[bool] = True
    summary_writer_kwargs: Optional[dict[Any, Any]] = None
    create_wandb_logger: Optional[bool] = False
    wandb_logger_kwargs: Optional[dict[Any, Any]] = None
    create_mlflow_logger: Optional[bool] = False
    mlflow_logger_kwargs: Optional[MLFlowParams] = field(default_factory=MLFlowParams)
    create_dllogger_logger: Optional[bool] = False
    dllogger_logger_kwargs: Optional[DLLoggerParams] = field(default_factory=DLLoggerParams)
    create_clearml_logger: Optional[bool] = False
    clearml_logger_kwargs: Optional[ClearMLParams] = field(default_factory=ClearMLParams)
    create_neptune_logger: Optional[bool] = False
    neptune_logger_kwargs: Optional[dict[Any, Any]] = None
    # checkpointing
    create_checkpoint_callback: Optional[bool] = True
    checkpoint_callback_params: Optional[CallbackParams] = field(default_factory=CallbackParams)
    create_early_stopping_callback: Optional[bool] = False
    create_ipl_epoch_stopper_callback: Optional[bool] = False
    early_stopping_callback_params: Optional[EarlyStoppingParams] = field(default_factory=EarlyStoppingParams)
    ipl_epoch_stopper_callback_params: Optional[IPLEpochStopperParams] = field(
        default_factory=IPLEpochStopperParams
    )
    create_preemption_callback: Optional[bool] = True
    # additional files
    files_to_copy: Optional[list[str]] = None
    # step timing
    log_step_timing: Optional[bool] = True
    log_delta_step_timing: Optional[bool] = False
    step_timing_kwargs: Optional[StepTimingParams] = field(default_factory=StepTimingParams)
    # per-rank log files
    log_local_rank_0_only: Optional[bool] = False
    log_global_rank_0_only: Optional[bool] = False
    # validation on resume
    disable_validation_on_resume: Optional[bool] = True
    ema: Optional[EMAParams] = field(default_factory=EMAParams)
    # wall time per run, "DD:HH:MM:SS"
    max_time_per_run: Optional[str] = None
    # seconds the ranks other than 0 wait for rank 0 to set up the directory
    seconds_to_sleep: float = 5
    # nvidia-resiliency-ext
    create_straggler_detection_callback: Optional[bool] = False
    straggler_detection_params: Optional[StragglerDetectionParams] = field(
        default_factory=StragglerDetectionParams
    )
    create_fault_tolerance_callback: Optional[bool] = False
    fault_tolerance: Optional[FaultToleranceParams] = field(default_factory=FaultToleranceParams)
    log_tflops_per_sec_per_gpu: Optional[bool] = True


# ---------------------------------------------------------------------------------------------- validation


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    """Return ``(inner type, accepts None)`` for ``Optional[X]`` / ``X | None``; other types unchanged."""
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (args[0] if len(args) == 1 else Union[tuple(args)]), len(args) != len(typing.get_args(tp))
    return tp, tp is Any


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _to_plain(value: Any) -> Any:
    """Turn a ``DictConfig``/``ListConfig`` (resolved) or a dataclass into plain containers."""
    omegaconf = sys.modules.get("omegaconf")
    if omegaconf is not None and isinstance(value, (omegaconf.DictConfig, omegaconf.ListConfig)):
        return omegaconf.OmegaConf.to_container(value, resolve=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # not dataclasses.asdict: it deep-copies, and values such as timedelta must survive as they are
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _check_value(path: str, value: Any, tp: Any, problems: list[str]) -> Any:
    """Check ``value`` against annotation ``tp``, record problems under ``path``, return it converted."""
    inner, nullable = _strip_optional(tp)
    if value is None:
        if not nullable:
            problems.append(f"{path}: got None, expected {_type_name(inner)}")
        return None
    if inner is Any:
        return value
    if _is_dataclass_type(inner):
        value = _to_plain(value)
        if not isinstance(value, Mapping):
            problems.append(
                f"{path}: got {type(value).__name__} {value!r}, expected a mapping of {inner.__name__}"
            )
            return inner()
        return _build(inner, value, path, problems)
    origin = typing.get_origin(inner)
    if origin is dict:
        value = _to_plain(value)
        if not isinstance(value, Mapping):
            problems.append(f"{path}: got {type(value).__name__} {value!r}, expected a dict")
        return dict(value) if isinstance(value, Mapping) else None
    if origin is list:
        value = _to_plain(value)
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            problems.append(f"{path}: got {type(value).__name__} {value!r}, expected a list")
            return None
        (item_type,) = typing.get_args(inner) or (Any,)
        return [_check_value(f"{path}[{i}]", v, item_type, problems) for i, v in enumerate(value)]
    if inner is bool:
        if not isinstance(value, bool):
            problems.append(f"{path}: got {type(value).__name__} {value!r}, expected bool (true/false)")
        return value
    if inner is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: got {type(value).__name__} {value!r}, expected int")
        return value
    if inner is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: got {type(value).__name__} {value!r}, expected float")
            return value
        return float(value)
    if inner is str:
        # paths are accepted where NeMo documents ``str, Path``
        if hasattr(value, "__fspath__"):
            return str(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # as omegaconf does for a str field (``version: 957``)
        if not isinstance(value, str):
            problems.append(f"{path}: got {type(value).__name__} {value!r}, expected str")
        return value
    return value


def _build(cls: Any, data: Mapping[Any, Any], prefix: str, problems: list[str]) -> Any:
    """Build dataclass ``cls`` from ``data``, recording unknown keys and mistyped values."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in hints:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{path}: unknown key{hint}")
            continue
        kwargs[key] = _check_value(path, value, hints[key], problems)
    return cls(**kwargs)


def resolve_config(cfg: Any) -> ExpManagerConfig:
    """Validate ``cfg`` and return it as an ``ExpManagerConfig``.

    Args:
        cfg: a dict, an omegaconf ``DictConfig`` (interpolations are resolved) or an ``ExpManagerConfig``.

    Returns:
        The validated configuration, sub-configs as their dataclasses.

    Raises:
        ConfigError: listing every unknown key (with a close match when there is one) and every value of the
            wrong type, all at once; or when ``cfg`` is of another type.
    """
    if isinstance(cfg, ExpManagerConfig):
        data = _to_plain(cfg)
    else:
        data = _to_plain(cfg)
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"exp_manager's cfg must be a dict, an omegaconf DictConfig or an ExpManagerConfig, "
                f"got {type(cfg).__name__}."
            )
    problems: list[str] = []
    config = _build(ExpManagerConfig, data, "", problems)
    if problems:
        raise config_error(
            f"exp_manager's cfg has {len(problems)} problem(s):\n  - "
            + "\n  - ".join(problems)
            + "\nSee ExpManagerConfig for the accepted keys and their types."
        )
    return typing.cast(ExpManagerConfig, config)
