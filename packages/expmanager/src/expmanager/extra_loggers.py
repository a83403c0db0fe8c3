"""Lightning loggers for ClearML and NVIDIA's DLLogger, which Lightning does not ship.

Imported only when ``create_clearml_logger`` / ``create_dllogger_logger`` is set and the package is present.
"""

from __future__ import annotations

import importlib
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers.logger import Logger
from lightning.pytorch.utilities import rank_zero_only

from expmanager.config import ClearMLParams

__all__ = ["ClearMLLogger", "DLLogger"]


class DLLogger(Logger):
    """Writes metrics through NVIDIA's ``dllogger`` (a JSON lines file, optionally stdout)."""

    def __init__(
        self, verbose: bool | None = False, stdout: bool | None = False, json_file: str | None = None
    ):
        super().__init__()
        self._dll = importlib.import_module("dllogger")
        backends = []
        verbosity = self._dll.Verbosity.VERBOSE if verbose else self._dll.Verbosity.DEFAULT
        if json_file:
            backends.append(self._dll.JSONStreamBackend(verbosity, json_file))
        if stdout:
            backends.append(self._dll.StdOutBackend(verbosity))
        self._dll.init(backends=backends)

    @property
    def name(self) -> str:
        """Logger name."""
        return "dllogger"

    @property
    def version(self) -> str:
        """DLLogger has no run versions."""
        return ""

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        """Record hyperparameters as DLLogger metadata-free parameters."""
        values = vars(params) if isinstance(params, Namespace) else dict(params)
        self._dll.log(step="PARAMETER", data={k: str(v) for k, v in values.items()})

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Record metrics at ``step``."""
        self._dll.log(step=() if step is None else (step,), data=dict(metrics))

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """Flush DLLogger's backends."""
        self._dll.flush()


class ClearMLLogger(Logger):
    """Reports hyperparameters and metrics to a ClearML task; optionally uploads the best/last checkpoint."""

    def __init__(
        self,
        clearml_cfg: ClearMLParams,
        log_dir: str,
        prefix: str,
        save_best_model: bool,
        postfix: str = ".nemo",
    ):
        super().__init__()
        self._postfix = postfix
        clearml = importlib.import_module("clearml")
        self._cfg = clearml_cfg
        self._log_dir = log_dir
        self._prefix = prefix
        self._save_best_model = save_best_model
        self._task = clearml.Task.init(
            project_name=clearml_cfg.project or "nemo_experiments",
            task_name=clearml_cfg.task or prefix,
            auto_connect_frameworks={"pytorch": bool(clearml_cfg.connect_pytorch)},
            output_uri=bool(clearml_cfg.log_model),
        )
        if clearml_cfg.tags:
            self._task.add_tags(list(clearml_cfg.tags))

    @property
    def name(self) -> str:
        """The ClearML task name."""
        return str(self._task.name)

    @property
    def version(self) -> str:
        """The ClearML task id."""
        return str(self._task.id)

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        """Connect the hyperparameters to the task when ``log_cfg`` is set."""
        if self._cfg.log_cfg:
            self._task.connect(vars(params) if isinstance(params, Namespace) else dict(params))

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Report scalars when ``log_metrics`` is set."""
        if not self._cfg.log_metrics:
            return
        reporter = self._task.get_logger()
        for key, value in metrics.items():
            reporter.report_scalar(title=key, series=key, value=float(value), iteration=step or 0)

    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """Upload the best (``save_best_model``) or last checkpoint when ``log_model`` is set."""
        if not self._cfg.log_model:
            return
        path = (
            checkpoint_callback.best_model_path
            if self._save_best_model
            else checkpoint_callback.last_model_path
        )
        if path:
            self._task.update_output_model(model_path=path, name=self._cfg.model_name or self._prefix)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """Flush the task's reports."""
        self._task.flush(wait_for_uploads=True)
