"""Create the experiment loggers exp_manager was asked for and install them on the trainer.

TensorBoard, W&B, MLflow and Neptune use Lightning's own loggers; ClearML and DLLogger use the small
adapters in :mod:`expmanager.extra_loggers`. A logger whose package is missing raises
:class:`~expmanager.errors.MissingPackageError` naming the package, before anything is created.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

from expmanager.config import ClearMLParams, DLLoggerParams, ExpManagerConfig, MLFlowParams
from expmanager.errors import MissingPackageError

__all__ = ["configure_loggers", "required_packages"]

log = logging.getLogger("expmanager")

# (flag, feature name shown to users, importable module, pip package, extra)
_OPTIONAL = (
    ("create_wandb_logger", "create_wandb_logger", "wandb", "wandb", "wandb"),
    ("create_mlflow_logger", "create_mlflow_logger", "mlflow", "mlflow", "mlflow"),
    ("create_neptune_logger", "create_neptune_logger", "neptune", "neptune", "neptune"),
    ("create_clearml_logger", "create_clearml_logger", "clearml", "clearml", "clearml"),
    ("create_dllogger_logger", "create_dllogger_logger", "dllogger", "dllogger", None),
)


def required_packages(cfg: ExpManagerConfig) -> None:
    """Fail early, before any directory or logger is created, when a requested logger's package is missing.

    Raises:
        MissingPackageError: naming the first missing package and the flag that asked for it.
    """
    for flag, feature, module, package, extra in _OPTIONAL:
        if getattr(cfg, flag) and importlib.util.find_spec(module) is None:
            raise MissingPackageError(feature, package, extra)


def _mlflow_kwargs(params: MLFlowParams | None, name: str, version: str) -> dict[str, Any]:
    kwargs = dict(vars(params)) if params is not None else {}
    kwargs = {k: v for k, v in kwargs.items() if v is not None or k in ("tracking_uri",)}
    # NeMo passed run_name twice (a TypeError); an explicit run_name wins, else the version names the run.
    kwargs["run_name"] = kwargs.get("run_name") or version or None
    if not kwargs.get("experiment_name"):
        log.warning("mlflow_logger_kwargs.experiment_name is not set: using the experiment name %r.", name)
        kwargs["experiment_name"] = name
    if kwargs.get("tracking_uri"):
        # tracking_uri and save_dir are alternatives in Lightning's MLFlowLogger; the explicit URI wins
        kwargs.pop("save_dir", None)
    elif kwargs.get("save_dir"):
        # save_dir (NeMo's default "./mlruns") *is* a file store; MLflow 3 refuses those unless allowed
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return kwargs


def configure_loggers(
    trainer: Any,
    *,
    exp_dir: str,
    log_dir: Path,
    name: str,
    version: str,
    cfg: ExpManagerConfig,
) -> list[Any]:
    """Create the requested loggers and install them on ``trainer`` (replacing its logger list).

    Returns:
        The loggers created, in the order TensorBoard, W&B, MLflow, DLLogger, ClearML, Neptune.

    Raises:
        MissingPackageError: a requested logger's package is not installed.
    """
    required_packages(cfg)
    loggers: list[Any] = []
    if cfg.create_tensorboard_logger:
        from lightning.pytorch.loggers import TensorBoardLogger  # noqa: PLC0415 - loaded when asked for

        loggers.append(
            TensorBoardLogger(
                save_dir=exp_dir, name=name, version=version, **(cfg.summary_writer_kwargs or {})
            )
        )
    if cfg.create_wandb_logger:
        from lightning.pytorch.loggers import WandbLogger  # noqa: PLC0415 - loaded when asked for

        kwargs = dict(cfg.wandb_logger_kwargs or {})
        kwargs.setdefault("save_dir", exp_dir)
        Path(kwargs["save_dir"]).mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("version", version or None)
        loggers.append(WandbLogger(**kwargs))
    if cfg.create_mlflow_logger:
        from lightning.pytorch.loggers import MLFlowLogger  # noqa: PLC0415 - loaded when asked for

        loggers.append(MLFlowLogger(**_mlflow_kwargs(cfg.mlflow_logger_kwargs, name, version)))
    if cfg.create_dllogger_logger:
        from expmanager.extra_loggers import DLLogger  # noqa: PLC0415 - loaded when asked for

        loggers.append(DLLogger(**vars(cfg.dllogger_logger_kwargs or DLLoggerParams())))
    if cfg.create_clearml_logger:
        from expmanager.extra_loggers import ClearMLLogger  # noqa: PLC0415 - loaded when asked for

        ckpt = cfg.checkpoint_callback_params
        loggers.append(
            ClearMLLogger(
                cfg.clearml_logger_kwargs or ClearMLParams(),
                log_dir=str(log_dir),
                prefix=name,
                save_best_model=bool(ckpt and ckpt.save_best_model),
            )
        )
    if cfg.create_neptune_logger:
        from lightning.pytorch.loggers.neptune import NeptuneLogger  # noqa: PLC0415 - loaded when asked for

        loggers.append(NeptuneLogger(**(cfg.neptune_logger_kwargs or {})))
    trainer._logger_connector.configure_logger(loggers)
    return loggers
