"""``exp_manager(trainer, cfg)``: make a Lightning ``Trainer`` a managed experiment.

Order of operations follows NeMo (behaviour spec §7.2): validate the config, check it against the trainer,
decide the log directory, find the checkpoint to resume from, install loggers and callbacks, then write the
run's files on global rank 0.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any

from expmanager.config import ExpManagerConfig, resolve_config
from expmanager.dirs import archive_previous_run, copy_files, get_log_dir, write_cmd_args, write_git_info
from expmanager.errors import (
    CheckpointMisconfigurationError,
    LoggerMisconfigurationError,
    MissingPackageError,
)
from expmanager.logfiles import install_file_handlers
from expmanager.loggers import configure_loggers, required_packages
from expmanager.resume import check_resume
from expmanager.settings import check_conflicts, parse_max_time, parse_time_interval

__all__ = ["exp_manager", "get_global_rank"]

log = logging.getLogger("expmanager")


def get_global_rank(trainer: Any) -> tuple[int, int]:
    """``(global_rank, local_rank)`` of this process, known before the process group exists (NeMo's rule)."""
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    return int(trainer.node_rank) * int(trainer.num_devices) + local_rank, local_rank


def _check_trainer(trainer: Any, cfg: ExpManagerConfig) -> None:
    """Raise when the trainer already has what exp_manager was asked to create."""
    from lightning.pytorch.callbacks import ModelCheckpoint  # noqa: PLC0415 - Lightning loads on first use

    if trainer.logger is not None:
        asked = [
            flag
            for flag in ("create_tensorboard_logger", "create_wandb_logger", "create_mlflow_logger")
            if getattr(cfg, flag)
        ]
        if asked:
            raise LoggerMisconfigurationError(
                f"The pytorch lightning trainer already has a logger ({type(trainer.logger).__name__}) and "
                f"exp_manager was asked to create one too ({', '.join(f'{a}=True' for a in asked)}). Either "
                "remove the trainer's logger or set these to False."
            )
    if cfg.create_checkpoint_callback and any(isinstance(cb, ModelCheckpoint) for cb in trainer.callbacks):
        raise CheckpointMisconfigurationError(
            "The pytorch lightning trainer already has a ModelCheckpoint callback "
            "(enable_checkpointing=True or "
            "a ModelCheckpoint in callbacks) and exp_manager has create_checkpoint_callback=True. Pass "
            "enable_checkpointing=False to the Trainer, or set create_checkpoint_callback=False."
        )
    ckpt = cfg.checkpoint_callback_params
    if (
        cfg.create_checkpoint_callback
        and ckpt
        and ckpt.always_save_nemo
        and (ckpt.model_parallel_size or 1) > 1
    ):
        raise LoggerMisconfigurationError(
            f"always_save_nemo=True clashes with model_parallel_size={ckpt.model_parallel_size}: a model "
            "split across ranks cannot be written as one .nemo at every save. Set always_save_nemo=False."
        )
    if trainer.num_nodes > 1 and not os.environ.get("SLURM_JOB_ID"):
        log.error("Multi-node training without SLURM: make sure every node gets the same NEMO_EXPM_VERSION.")
    if cfg.create_straggler_detection_callback:
        raise MissingPackageError("create_straggler_detection_callback", "nvidia-resiliency-ext")
    if cfg.create_fault_tolerance_callback:
        raise MissingPackageError("create_fault_tolerance_callback", "nvidia-resiliency-ext")


def _checkpoint_callback(
    trainer: Any, cfg: ExpManagerConfig, log_dir: Path, name: str, resuming: bool
) -> Any:
    """Create the ``NeMoModelCheckpoint`` from ``checkpoint_callback_params`` (NeMo's defaults)."""
    from expmanager.checkpoint import NeMoModelCheckpoint  # noqa: PLC0415 - needs Lightning

    params = cfg.checkpoint_callback_params
    assert params is not None
    dirpath, filename = params.dirpath, params.filename
    if params.filepath:  # deprecated NeMo spelling: a path whose last part is the filename pattern
        dirpath, filename = str(Path(params.filepath).parent), Path(params.filepath).name
    dirpath = dirpath or str(log_dir / "checkpoints")
    monitor = params.monitor
    if filename is None:
        filename = f"{name}--{{{monitor}:.4f}}-{{epoch}}" if monitor else f"{name}--{{epoch}}-{{step}}"
    max_epochs = trainer.max_epochs
    if (
        monitor
        and "val" in monitor
        and max_epochs not in (None, -1)
        and max_epochs < trainer.check_val_every_n_epoch
    ):
        log.error(
            "The checkpoint callback monitors %r but validation runs every %d epochs and max_epochs=%d: "
            "it will never be computed.",
            monitor,
            trainer.check_val_every_n_epoch,
            trainer.max_epochs,
        )
    every_n_epochs = params.every_n_epochs
    if every_n_epochs and (params.every_n_train_steps or params.train_time_interval):
        # Lightning accepts one trigger only; a step or time trigger replaces the per-epoch default
        log.info(
            "every_n_train_steps/train_time_interval is set: checkpoints are not also saved every epoch."
        )
        every_n_epochs = None
    callback = NeMoModelCheckpoint(
        always_save_nemo=params.always_save_nemo,
        save_nemo_on_train_end=bool(params.save_nemo_on_train_end),
        save_best_model=params.save_best_model,
        save_end_checkpoint=params.save_end_checkpoint,
        postfix=params.postfix,
        n_resume=resuming,
        model_parallel_size=params.model_parallel_size,
        prefix=params.prefix or name,
        dirpath=dirpath,
        filename=filename,
        monitor=monitor,
        verbose=bool(params.verbose),
        save_last=params.save_last,
        save_top_k=params.save_top_k if params.save_top_k is not None else 3,
        save_weights_only=bool(params.save_weights_only),
        mode=params.mode or "min",
        auto_insert_metric_name=params.auto_insert_metric_name,
        every_n_epochs=every_n_epochs,
        every_n_train_steps=params.every_n_train_steps,
        train_time_interval=parse_time_interval(params.train_time_interval),
        save_on_train_epoch_end=params.save_on_train_epoch_end,
    )
    if trainer.ckpt_path:
        callback.last_model_path = str(trainer.ckpt_path)
    return callback


def exp_manager(trainer: Any, cfg: Any = None) -> Path | None:
    """Set up directories, loggers, checkpointing and resume for ``trainer`` (NeMo's ``exp_manager``).

    Args:
        trainer: a ``lightning.pytorch.Trainer`` (create it with ``logger=False`` and
            ``enable_checkpointing=False`` when exp_manager creates loggers and checkpoints).
        cfg: a dict, omegaconf ``DictConfig`` or :class:`ExpManagerConfig`; see the README for the keys.

    Returns:
        The log directory (``exp_dir/name/version`` or ``explicit_log_dir``), or None when ``cfg`` is None or
        the trainer runs ``fast_dev_run``.

    Raises:
        ConfigError: unknown keys, wrong types, contradictory settings (all reported at once).
        LoggerMisconfigurationError: the trainer's logger clashes with the requested loggers or directories.
        CheckpointMisconfigurationError: the trainer already has a ``ModelCheckpoint``.
        MissingPackageError: a requested logger or feature needs a package that is not installed.
        NotFoundError: ``resume_if_exists`` found nothing and ``resume_ignore_no_checkpoint`` is False.
        ResumeError: the previous run already finished, or the checkpoints found are ambiguous.
    """
    global_rank, local_rank = get_global_rank(trainer)
    if cfg is None:
        log.error("exp_manager did not receive a cfg argument. It will be disabled.")
        return None
    if trainer.fast_dev_run:
        log.info("Trainer was called with fast_dev_run. exp_manager will return without any functionality.")
        return None
    config = resolve_config(cfg)
    check_conflicts(config)
    _check_trainer(trainer, config)
    required_packages(config)

    log_dir, exp_dir, name, version = get_log_dir(
        trainer,
        global_rank,
        exp_dir=config.exp_dir,
        name=config.name,
        version=config.version,
        explicit_log_dir=config.explicit_log_dir,
        use_datetime_version=bool(config.use_datetime_version),
        resume_if_exists=bool(config.resume_if_exists),
    )
    ckpt_params = config.checkpoint_callback_params
    if global_rank == 0:
        _remove_stale_temp_files(log_dir, ckpt_params.dirpath if ckpt_params is not None else None)
    checkpoint = check_resume(
        trainer,
        log_dir,
        resume_if_exists=bool(config.resume_if_exists),
        resume_past_end=bool(config.resume_past_end),
        resume_ignore_no_checkpoint=bool(config.resume_ignore_no_checkpoint),
        dirpath=ckpt_params.dirpath if ckpt_params is not None else None,
        resume_from_checkpoint=config.resume_from_checkpoint,
    )
    if global_rank == 0 and config.resume_if_exists:
        archived = archive_previous_run(log_dir)
        if archived is not None:
            log.info("Moved the previous run's files to %s.", archived)
    checkpoint_name = name or config.name or "default"

    log_dir.mkdir(parents=True, exist_ok=True)
    trainer._default_root_dir = str(log_dir)

    if (
        config.create_tensorboard_logger
        or config.create_wandb_logger
        or config.create_mlflow_logger
        or (config.create_dllogger_logger or config.create_clearml_logger or config.create_neptune_logger)
    ):
        configure_loggers(trainer, exp_dir=exp_dir, log_dir=log_dir, name=name, version=version, cfg=config)

    _install_callbacks(trainer, config, log_dir, checkpoint_name, resuming=checkpoint is not None)
    from expmanager.safe_load import install_safe_loading  # noqa: PLC0415 - needs torch and Lightning

    install_safe_loading(trainer)

    if global_rank == 0:
        if config.files_to_copy:
            copy_files(list(config.files_to_copy), log_dir)
        write_cmd_args(log_dir)
        write_git_info(log_dir)
    install_file_handlers(
        log_dir,
        global_rank,
        local_rank,
        log_local_rank_0_only=bool(config.log_local_rank_0_only),
        log_global_rank_0_only=bool(config.log_global_rank_0_only),
    )
    if global_rank != 0 and trainer.num_nodes * trainer.num_devices > 1 and config.seconds_to_sleep > 0:
        # let rank 0 finish creating the directory and its files before this rank writes into it
        time.sleep(config.seconds_to_sleep)
    if config.log_tflops_per_sec_per_gpu:
        log.info("TFLOPs per second per GPU are reported by models that implement it; expmanager does not.")
    log.info("Experiments will be logged at %s", log_dir)
    return log_dir


def _install_callbacks(trainer: Any, cfg: ExpManagerConfig, log_dir: Path, name: str, resuming: bool) -> None:
    """Timing, EMA, early stopping, IPL stopper, checkpointing, preemption and the per-run timer."""
    # the callbacks need Lightning: imported when exp_manager runs, not with the package
    from lightning.pytorch.callbacks import EarlyStopping, Timer  # noqa: PLC0415

    from expmanager.ema import EMA  # noqa: PLC0415
    from expmanager.rng import RNGStateCallback  # noqa: PLC0415
    from expmanager.stopping import IPLEpochStopper, PreemptionCallback, StatelessTimer  # noqa: PLC0415
    from expmanager.timing import DeltaTimingCallback, TimingCallback  # noqa: PLC0415

    timer_kwargs = vars(cfg.step_timing_kwargs) if cfg.step_timing_kwargs is not None else {}
    if cfg.log_delta_step_timing:
        trainer.callbacks.insert(0, DeltaTimingCallback(timer_kwargs))
    elif cfg.log_step_timing:
        trainer.callbacks.insert(0, TimingCallback(timer_kwargs))
    if cfg.ema is not None and cfg.ema.enable:
        trainer.callbacks.append(
            EMA(
                decay=float(cfg.ema.decay if cfg.ema.decay is not None else 0.999),
                validate_original_weights=bool(cfg.ema.validate_original_weights),
                every_n_steps=cfg.ema.every_n_steps,
                cpu_offload=bool(cfg.ema.cpu_offload),
            )
        )
    if cfg.create_early_stopping_callback and cfg.early_stopping_callback_params is not None:
        trainer.callbacks.append(EarlyStopping(**vars(cfg.early_stopping_callback_params)))
    if cfg.create_ipl_epoch_stopper_callback and cfg.ipl_epoch_stopper_callback_params is not None:
        trainer.callbacks.append(IPLEpochStopper(**vars(cfg.ipl_epoch_stopper_callback_params)))
    checkpoint_callback = None
    if cfg.create_checkpoint_callback:
        checkpoint_callback = _checkpoint_callback(trainer, cfg, log_dir, name, resuming)
        trainer.callbacks.append(checkpoint_callback)
        trainer.callbacks.append(RNGStateCallback())
    if cfg.create_preemption_callback:
        trainer.callbacks.append(PreemptionCallback(checkpoint_callback))
    if cfg.disable_validation_on_resume:
        _warn_if_custom_epoch_loop(trainer)
    # disable_validation_on_resume: Lightning >= 2.5 never repeats a validation on resume (its epoch loop
    # skips the check when restarting from a checkpoint saved at or after validation), which is what NeMo's
    # SkipResumeTrainingValidationLoop added; replacing the loop would break Lightning's restart bookkeeping.
    if cfg.max_time_per_run:
        duration = parse_max_time(cfg.max_time_per_run)
        existing = [cb for cb in trainer.callbacks if isinstance(cb, Timer)]
        for cb in existing:
            trainer.callbacks.remove(cb)
        trainer.callbacks.append(StatelessTimer(duration, checkpoint_callback))


def _warn_if_custom_epoch_loop(trainer: Any) -> None:
    """Warn that validation skipping on resume is left to a custom training epoch loop (NeMo's warning)."""
    from lightning.pytorch.loops.training_epoch_loop import _TrainingEpochLoop  # noqa: PLC0415

    loop = getattr(getattr(trainer, "fit_loop", None), "epoch_loop", None)
    if loop is not None and type(loop) is not _TrainingEpochLoop:
        warnings.warn(
            f"Detected custom epoch loop {type(loop).__name__}: exp_manager leaves it in place, so whether a "
            "resumed run repeats a validation (disable_validation_on_resume) is up to that loop.",
            UserWarning,
            stacklevel=3,
        )


def _remove_stale_temp_files(log_dir: Path, dirpath: str | None) -> None:
    """Remove temp files of killed saves (ours and nemo-archive's naming) that no live process holds."""
    from expmanager._ckpt_files import remove_stale_leftovers  # noqa: PLC0415

    for directory in {log_dir, log_dir / "checkpoints", *([Path(dirpath)] if dirpath else [])}:
        remove_stale_leftovers(directory)
