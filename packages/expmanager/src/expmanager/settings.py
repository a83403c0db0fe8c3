"""Checks that settings of an ``ExpManagerConfig`` do not contradict each other, and parsers for its values.

All clashes are collected and reported in one ``ConfigError`` that names the settings involved.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from expmanager.config import CallbackParams, ExpManagerConfig
from expmanager.errors import ConfigError

__all__ = ["check_conflicts", "parse_max_time", "parse_time_interval"]

_DURATION = re.compile(r"^(\d+):(\d{1,2}):(\d{1,2}):(\d{1,2})$")
_REDUCTIONS = ("mean", "sum", "min", "max", "none")


def parse_max_time(value: str) -> timedelta:
    """Parse ``max_time_per_run`` written as ``"DD:HH:MM:SS"`` (Lightning's ``max_time`` string format).

    Raises:
        ConfigError: the string is not of that form.
    """
    match = _DURATION.match(value.strip())
    if not match:
        raise ConfigError(f"max_time_per_run: got {value!r}, expected 'DD:HH:MM:SS' such as '00:03:55:00'.")
    days, hours, minutes, seconds = (int(g) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_time_interval(value: Any) -> timedelta | None:
    """Parse ``train_time_interval``: a ``timedelta``, a number of seconds, or a dict of timedelta arguments.

    The dict form accepts the Hydra spelling ``{_target_: datetime.timedelta, minutes: 30}``.

    Raises:
        ConfigError: the value is none of these.
    """
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    if isinstance(value, Mapping):
        kwargs = {k: v for k, v in value.items() if k != "_target_"}
        target = value.get("_target_", "datetime.timedelta")
        if target in ("datetime.timedelta", "timedelta"):
            try:
                return timedelta(**kwargs)
            except TypeError as exc:
                raise ConfigError(f"checkpoint_callback_params.train_time_interval: {exc}") from exc
    raise ConfigError(
        f"checkpoint_callback_params.train_time_interval: got {value!r}, expected a datetime.timedelta, a "
        "positive number of seconds or a dict such as {'_target_': 'datetime.timedelta', 'minutes': 30}."
    )


def _checkpoint_problems(ckpt: CallbackParams) -> list[str]:
    """Clashes inside ``checkpoint_callback_params``."""
    problems: list[str] = []
    prefix = "checkpoint_callback_params."
    if ckpt.mode not in ("min", "max"):
        problems.append(f"{prefix}mode={ckpt.mode!r}: expected 'min' or 'max'")
    if ckpt.save_top_k is not None and ckpt.save_top_k < -1:
        problems.append(f"{prefix}save_top_k={ckpt.save_top_k}: expected -1 or more")
    if ckpt.save_best_model and ckpt.save_top_k == 0:
        problems.append(f"{prefix}save_best_model=True clashes with save_top_k=0: no best checkpoint is kept")
    if ckpt.save_best_model and ckpt.monitor is None:
        problems.append(f"{prefix}save_best_model=True clashes with monitor=None: 'best' needs a metric")
    if ckpt.monitor is None and ckpt.save_top_k not in (-1, 0, 1):
        problems.append(
            f"{prefix}monitor=None clashes with save_top_k={ckpt.save_top_k}: without a metric only "
            "save_top_k -1 (keep all), 0 or 1 (keep the newest) make sense"
        )
    if ckpt.every_n_train_steps and ckpt.train_time_interval:
        problems.append(
            f"{prefix}every_n_train_steps and train_time_interval are both set: choose one trigger"
        )
    if ckpt.async_save:
        problems.append(
            f"{prefix}async_save=True needs Megatron's asynchronous checkpoint IO, which expmanager does not "
            "provide; set async_save=False"
        )
    if ckpt.save_last_n_optim_states is not None and ckpt.save_last_n_optim_states != -1:
        problems.append(
            f"{prefix}save_last_n_optim_states={ckpt.save_last_n_optim_states} applies to Megatron "
            "distributed "
            "checkpoints, which expmanager does not write; set it to -1"
        )
    if ckpt.filepath and (ckpt.dirpath or ckpt.filename):
        problems.append(
            f"{prefix}filepath (deprecated) clashes with dirpath/filename: give either filepath or "
            "dirpath and "
            "filename"
        )
    try:
        parse_time_interval(ckpt.train_time_interval)
    except ConfigError as exc:
        problems.append(exc.message)
    return problems


def _logger_problems(cfg: ExpManagerConfig) -> list[str]:
    """Clashes in the logger settings."""
    problems: list[str] = []
    if cfg.summary_writer_kwargs and "log_dir" in cfg.summary_writer_kwargs:
        problems.append(
            "summary_writer_kwargs.log_dir clashes with exp_manager's log directory, which exp_manager "
            "passes "
            "itself; remove log_dir"
        )
    for flag, kwargs_name in (
        ("create_wandb_logger", "wandb_logger_kwargs"),
        ("create_neptune_logger", "neptune_logger_kwargs"),
    ):
        kwargs = getattr(cfg, kwargs_name) or {}
        if getattr(cfg, flag) and not (kwargs.get("name") or kwargs.get("project")):
            problems.append(f"{flag}=True needs {kwargs_name}.name or {kwargs_name}.project")
    neptune = cfg.neptune_logger_kwargs or {}
    if cfg.create_neptune_logger and not neptune.get("api_key") and not os.environ.get("NEPTUNE_API_TOKEN"):
        problems.append(
            "create_neptune_logger=True needs neptune_logger_kwargs.api_key or the NEPTUNE_API_TOKEN "
            "environment variable"
        )
    return problems


def check_conflicts(cfg: ExpManagerConfig) -> None:
    """Raise one error naming every pair of settings in ``cfg`` that contradict each other.

    Raises:
        ConfigError: at least one clash or out-of-range value was found.
    """
    problems: list[str] = []
    if cfg.create_checkpoint_callback and cfg.checkpoint_callback_params is not None:
        problems += _checkpoint_problems(cfg.checkpoint_callback_params)
    problems += _logger_problems(cfg)
    ema = cfg.ema
    if ema is not None and ema.enable:
        if ema.decay is None or not 0.0 <= ema.decay <= 1.0:
            problems.append(f"ema.decay={ema.decay}: expected a value in [0, 1]")
        if ema.every_n_steps < 1:
            problems.append(f"ema.every_n_steps={ema.every_n_steps}: expected 1 or more")
    timing = cfg.step_timing_kwargs
    if timing is not None and timing.reduction not in _REDUCTIONS:
        problems.append(f"step_timing_kwargs.reduction={timing.reduction!r}: expected one of {_REDUCTIONS}")
    if cfg.create_early_stopping_callback and cfg.early_stopping_callback_params is not None:
        mode = cfg.early_stopping_callback_params.mode
        if mode not in ("min", "max"):
            problems.append(f"early_stopping_callback_params.mode={mode!r}: expected 'min' or 'max'")
    if cfg.max_time_per_run:
        try:
            parse_max_time(cfg.max_time_per_run)
        except ConfigError as exc:
            problems.append(exc.message)
    if cfg.seconds_to_sleep < 0:
        problems.append(f"seconds_to_sleep={cfg.seconds_to_sleep}: expected 0 or more")
    if problems:
        raise ConfigError(
            f"exp_manager's cfg has {len(problems)} contradictory or invalid setting(s):\n  - "
            + "\n  - ".join(problems)
        )
