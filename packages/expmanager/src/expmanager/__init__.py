"""expmanager: NeMo's ``exp_manager`` for Lightning.

``exp_manager(trainer, cfg)`` gives a Lightning ``Trainer`` one log directory per run
(``exp_dir/name/version``), real loggers, NeMo-style checkpoints and ``.nemo`` files, and resume that works
after a crash or a preemption.

Importing this package is light: the configuration classes and errors are plain Python; Lightning, torch
and the optional loggers are imported only when ``exp_manager`` runs or a callback class is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from expmanager.config import (
    CallbackParams,
    ClearMLParams,
    DLLoggerParams,
    EarlyStoppingParams,
    EMAParams,
    ExpManagerConfig,
    FaultToleranceParams,
    IPLEpochStopperParams,
    MLFlowParams,
    StepTimingParams,
    StragglerDetectionParams,
    resolve_config,
)
from expmanager.errors import (
    CheckpointMisconfigurationError,
    ConfigError,
    ExpManagerError,
    LoggerMisconfigurationError,
    MissingPackageError,
    NeMoBaseException,
    NotFoundError,
    ResumeError,
)
from expmanager.manager import exp_manager

if TYPE_CHECKING:
    from expmanager.checkpoint import NeMoModelCheckpoint
    from expmanager.ema import EMA
    from expmanager.resume import check_resume
    from expmanager.rng import RNGStateCallback
    from expmanager.stopping import IPLEpochStopper, PreemptionCallback, StatelessTimer
    from expmanager.timing import DeltaTimingCallback, NamedTimer, TimingCallback

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "exp_manager",
    "resolve_config",
    "check_resume",
    # configuration
    "ExpManagerConfig",
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
    # errors
    "NeMoBaseException",
    "ExpManagerError",
    "ConfigError",
    "NotFoundError",
    "LoggerMisconfigurationError",
    "CheckpointMisconfigurationError",
    "ResumeError",
    "MissingPackageError",
    # callbacks (imported on first use: they need Lightning)
    "NeMoModelCheckpoint",
    "EMA",
    "TimingCallback",
    "DeltaTimingCallback",
    "NamedTimer",
    "PreemptionCallback",
    "StatelessTimer",
    "IPLEpochStopper",
    "RNGStateCallback",
]

_LAZY = {
    "NeMoModelCheckpoint": "expmanager.checkpoint",
    "EMA": "expmanager.ema",
    "TimingCallback": "expmanager.timing",
    "DeltaTimingCallback": "expmanager.timing",
    "NamedTimer": "expmanager.timing",
    "PreemptionCallback": "expmanager.stopping",
    "StatelessTimer": "expmanager.stopping",
    "IPLEpochStopper": "expmanager.stopping",
    "RNGStateCallback": "expmanager.rng",
    "check_resume": "expmanager.resume",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'expmanager' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
