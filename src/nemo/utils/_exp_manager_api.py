"""NeMo's module-level helpers of ``nemo.utils.exp_manager``, each a thin call into expmanager.

NeMo's ``exp_manager`` is built from these steps and some users call them on their own (to compute a log
directory before building loggers, to wipe checkpoints between runs, ...). They keep NeMo's names and
argument order; the work is done by expmanager, so the result is the same as ``exp_manager``'s own.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import expmanager as _expmanager
from expmanager.dirs import get_log_dir as _get_log_dir
from expmanager.manager import _check_trainer, _checkpoint_callback, get_global_rank

__all__ = [
    "check_explicit_log_dir",
    "check_slurm",
    "clean_exp_ckpt",
    "configure_checkpointing",
    "configure_loggers",
    "error_checks",
    "get_git_diff",
    "get_git_hash",
    "get_log_dir",
]


def get_log_dir(
    trainer: Any,
    exp_dir: str | None = None,
    name: str | None = None,
    version: str | None = None,
    explicit_log_dir: str | None = None,
    use_datetime_version: bool = True,
    resume_if_exists: bool = False,
) -> tuple[Path, str, str, str]:
    """Decide the log directory exactly as ``exp_manager`` does.

    Returns:
        ``(log_dir, exp_dir, name, version)``; with ``explicit_log_dir`` the name and version are empty.

    Raises:
        LoggerMisconfigurationError: the trainer's own logger conflicts with ``exp_dir`` or ``name``.
    """
    global_rank, _ = get_global_rank(trainer)
    return _get_log_dir(
        trainer,
        global_rank,
        exp_dir=exp_dir,
        name=name,
        version=version,
        explicit_log_dir=explicit_log_dir,
        use_datetime_version=use_datetime_version,
        resume_if_exists=resume_if_exists,
    )


def check_explicit_log_dir(
    trainer: Any, explicit_log_dir: Path | str, exp_dir: str | None, name: str | None, version: str | None
) -> tuple[Path, str, str, str]:
    """Use ``explicit_log_dir`` as the log directory (``exp_dir`` and ``version`` are ignored, with a warning).

    Returns:
        ``(Path(explicit_log_dir), str(explicit_log_dir), "", "")``.

    Raises:
        LoggerMisconfigurationError: the trainer already has a logger.
    """
    return get_log_dir(
        trainer, exp_dir=exp_dir, name=name, version=version, explicit_log_dir=str(explicit_log_dir)
    )


def error_checks(trainer: Any, cfg: Any = None) -> None:
    """Refuse a trainer that already has what ``cfg`` asks ``exp_manager`` to create.

    Raises:
        LoggerMisconfigurationError: the trainer has a logger and ``cfg`` asks for one too.
        CheckpointMisconfigurationError: the trainer has a ``ModelCheckpoint`` and ``cfg`` asks for one too.
    """
    _check_trainer(trainer, _expmanager.resolve_config(cfg if cfg is not None else {}))


def check_slurm(trainer: Any) -> bool:
    """Whether SLURM manages this job's tasks (Lightning's detection, as the trainer sees it)."""
    connector = getattr(trainer, "_accelerator_connector", None) or getattr(
        trainer, "accelerator_connector", None
    )
    managed = getattr(connector, "is_slurm_managing_tasks", None)
    if isinstance(managed, bool):
        return managed
    from lightning.fabric.plugins.environments.slurm import SLURMEnvironment  # noqa: PLC0415 - needs Lightning

    return bool(SLURMEnvironment.detect())


def _git(*args: str) -> tuple[bool, str]:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, f"{err}\n"
    if done.returncode != 0:
        return False, f"{done.stdout}{done.stderr}\n"
    return True, done.stdout


def get_git_hash() -> tuple[bool, str]:
    """``(True, commit hash)`` of the working directory's git checkout, or ``(False, git's error output)``."""
    return _git("rev-parse", "HEAD")


def get_git_diff() -> str:
    """``git diff`` of the working directory, or git's error output when that fails."""
    return _git("diff")[1]


def clean_exp_ckpt(exp_log_dir: str | Path, remove_ckpt: bool = True, remove_nemo: bool = False) -> None:
    """Delete the ``*.ckpt`` (and optionally ``*.nemo``) files in ``<exp_log_dir>/checkpoints``.

    Raises:
        ValueError: ``<exp_log_dir>/checkpoints`` does not exist.
    """
    checkpoints = Path(exp_log_dir) / "checkpoints"
    if not checkpoints.is_dir():
        raise ValueError(
            f"clean_exp_ckpt: no checkpoint folder at {checkpoints}. Pass the run's log directory (the folder "
            "that exp_manager returned), which holds 'checkpoints/'."
        )
    patterns = (["*.ckpt"] if remove_ckpt else []) + (["*.nemo"] if remove_nemo else [])
    for pattern in patterns:
        for path in checkpoints.glob(pattern):
            if path.is_file():
                path.unlink()


def configure_checkpointing(
    trainer: Any, log_dir: Path, name: str, resume: bool, params: Any, create_preemption_callback: bool
) -> Any:
    """Add the ``NeMoModelCheckpoint`` built from ``params`` (and a preemption callback) to ``trainer``.

    Returns:
        The checkpoint callback.

    Raises:
        CheckpointMisconfigurationError: the trainer already has a ``ModelCheckpoint``.
    """
    from expmanager.stopping import PreemptionCallback  # noqa: PLC0415 - needs Lightning

    cfg = _expmanager.resolve_config(
        {
            "checkpoint_callback_params": params if params is not None else {},
            "create_checkpoint_callback": True,
        }
    )
    _check_trainer(trainer, cfg)
    callback = _checkpoint_callback(trainer, cfg, Path(log_dir), name, resume)
    trainer.callbacks.append(callback)
    if create_preemption_callback:
        trainer.callbacks.append(PreemptionCallback(callback))
    return callback


_LOGGER_FLAGS = (
    ("create_tensorboard_logger", "summary_writer_kwargs"),
    ("create_wandb_logger", "wandb_logger_kwargs"),
    ("create_mlflow_logger", "mlflow_logger_kwargs"),
    ("create_dllogger_logger", "dllogger_logger_kwargs"),
    ("create_clearml_logger", "clearml_logger_kwargs"),
    ("create_neptune_logger", "neptune_logger_kwargs"),
)


def configure_loggers(
    trainer: Any,
    exp_dir: Path | str,
    log_dir: Path | str,
    name: str,
    version: str,
    checkpoint_callback_params: Any,
    *flags_and_kwargs: Any,
    **named: Any,
) -> list[Any]:
    """Create the loggers NeMo's flags ask for and install them on ``trainer``.

    After ``checkpoint_callback_params`` come NeMo's pairs, positionally or by name:
    ``create_tensorboard_logger, summary_writer_kwargs, create_wandb_logger, wandb_kwargs,
    create_mlflow_logger, mlflow_kwargs, create_dllogger_logger, dllogger_kwargs, create_clearml_logger,
    clearml_kwargs, create_neptune_logger, neptune_kwargs``.

    Returns:
        The loggers created.

    Raises:
        ValueError: more positional arguments than NeMo's signature has.
        ConfigError: a logger's keyword arguments are invalid (as ``exp_manager`` reports them).
    """
    names = [n for pair in _LOGGER_FLAGS for n in pair]
    if len(flags_and_kwargs) > len(names):
        raise ValueError(f"configure_loggers takes at most {len(names) + 6} positional arguments")
    given = dict(zip(names, flags_and_kwargs, strict=False))
    for key, value in named.items():  # NeMo's keyword names drop "_logger" for W&B, MLflow, ...
        given[key if key in names else key.replace("_kwargs", "_logger_kwargs")] = value
    cfg_dict: dict[str, Any] = {"create_checkpoint_callback": False}
    for flag, kwargs in _LOGGER_FLAGS:
        cfg_dict[flag] = bool(given.get(flag, False))
        if given.get(kwargs) is not None:
            cfg_dict[kwargs] = given[kwargs]
    del checkpoint_callback_params  # NeMo passes them for W&B's model upload; expmanager reads none
    from expmanager.loggers import configure_loggers as _configure  # noqa: PLC0415 - needs Lightning

    cfg = _expmanager.resolve_config(cfg_dict)
    return _configure(
        trainer, exp_dir=str(exp_dir), log_dir=Path(log_dir), name=name, version=version, cfg=cfg
    )
