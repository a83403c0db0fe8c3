"""``nemo.utils.exp_manager``: ``exp_manager``, its configuration classes and callbacks.

``exp_manager`` here is expmanager's, plus what NeMo's did with the process-wide ``AppState`` (modelpt's):
the model-parallel sizes recorded there (tensor x pipeline x context) count as the checkpoint callback's
``model_parallel_size`` (so ``always_save_nemo`` is refused for a model split across ranks), and the
directories and names that were decided are recorded there afterwards.

``import nemo.utils.exp_manager`` stays light: the callbacks (which need Lightning) load when first touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import expmanager as _expmanager
from nemo._lazy import attach
from nemo.utils import _exp_manager_api as _api

_EXPORTS = dict.fromkeys(
    (name for name in _expmanager.__all__ if name not in ("__version__", "exp_manager")), "expmanager"
)
# NeMo's module-level steps of exp_manager, and its Lightning loop/connector classes (these load Lightning).
_EXPORTS.update(dict.fromkeys(_api.__all__, "nemo.utils._exp_manager_api"))
_EXPORTS.update(
    dict.fromkeys(
        (
            "NeMoCheckpointConnector",
            "SkipResumeTrainingValidationLoop",
            "configure_no_restart_validation_training_loop",
        ),
        "nemo.utils._exp_manager_loops",
    )
)
__all__ = list(_EXPORTS)  # and exp_manager, defined below
__all__.append("exp_manager")
__getattr__, __dir__ = attach(__name__, _EXPORTS)


def _model_parallel_size(app_state: Any) -> int:
    size = 1
    for name in ("tensor_model_parallel_size", "pipeline_model_parallel_size", "context_parallel_size"):
        value = getattr(app_state, name, None)
        if isinstance(value, int) and value > 1:
            size *= value
    return size


def exp_manager(trainer: Any, cfg: Any = None) -> Path | None:
    """NeMo's ``exp_manager``: :func:`expmanager.exp_manager` with NeMo's ``AppState`` bookkeeping.

    Args:
        trainer: a ``lightning.pytorch.Trainer``.
        cfg: a dict, omegaconf ``DictConfig`` or ``ExpManagerConfig``.

    Returns:
        The log directory, or None when ``cfg`` is None or the trainer runs ``fast_dev_run``.

    Raises:
        ConfigError: see :func:`expmanager.exp_manager` (it is also an omegaconf ``ValidationError``).
        LoggerMisconfigurationError: also when ``always_save_nemo`` meets a model-parallel ``AppState``.
        CheckpointMisconfigurationError, MissingPackageError, NotFoundError, ResumeError: as expmanager's.
    """
    if cfg is None or getattr(trainer, "fast_dev_run", False):
        return _expmanager.exp_manager(trainer, cfg)
    from modelpt import AppState  # noqa: PLC0415 - modelpt imports torch

    config = _expmanager.resolve_config(cfg)
    app_state = AppState()
    params = config.checkpoint_callback_params
    parallel = _model_parallel_size(app_state)
    if params is not None and parallel > 1 and not params.model_parallel_size:
        params.model_parallel_size = parallel
    log_dir = _expmanager.exp_manager(trainer, config)
    if log_dir is not None:
        app_state.log_dir = str(log_dir)
        app_state.exp_dir = config.exp_dir or str(log_dir.parent.parent)
        app_state.name = config.name or "default"
        app_state.checkpoint_name = config.name or "default"
        app_state.version = config.version or log_dir.name
        app_state.create_checkpoint_callback = bool(config.create_checkpoint_callback)
        app_state.checkpoint_callback_params = params
    return log_dir
