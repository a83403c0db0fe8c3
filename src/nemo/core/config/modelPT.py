"""``nemo.core.config.modelPT``: the structured configs of a NeMo model script (model, optim, sched, hydra)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from nemo.core.classes.dataset import DatasetConfig
from nemo.core.config.pytorch_lightning import TrainerConfig

__all__ = ["HydraConfig", "ModelConfig", "ModelConfigBuilder", "NemoConfig", "OptimConfig", "SchedConfig"]


@dataclass
class SchedConfig:
    """A scheduler section: its registry ``name`` (mandatory), ``min_lr`` and ``last_epoch``."""

    name: str = "???"
    min_lr: float = 0.0
    last_epoch: int = -1


@dataclass
class OptimConfig:
    """An optimizer section: its registry ``name`` (mandatory) and an optional ``sched``."""

    name: str = "???"
    sched: SchedConfig | None = None


@dataclass
class ModelConfig:
    """The ``model`` section of a ModelPT: its data sets and its optimization."""

    train_ds: DatasetConfig | None = None
    validation_ds: DatasetConfig | None = None
    test_ds: DatasetConfig | None = None
    optim: OptimConfig | None = None


def _hydra_run() -> dict[str, Any]:
    return {"dir": "."}


def _hydra_job_logging() -> dict[str, Any]:
    return {"root": {"handlers": None}}


@dataclass
class HydraConfig:
    """The ``hydra`` section NeMo scripts use: run in the current directory, no extra log handlers."""

    run: dict[str, Any] = field(default_factory=_hydra_run)
    job_logging: dict[str, Any] = field(default_factory=_hydra_job_logging)


def _trainer() -> TrainerConfig:
    return TrainerConfig(strategy="ddp", enable_checkpointing=False, logger=False, log_every_n_steps=1)


def _exp_manager() -> Any:
    from expmanager import ExpManagerConfig  # noqa: PLC0415

    return ExpManagerConfig()


@dataclass
class NemoConfig:
    """A whole NeMo script config: ``name``, ``model``, ``trainer``, ``exp_manager`` and ``hydra``."""

    name: str = "???"
    model: ModelConfig = "???"  # type: ignore[assignment]
    trainer: TrainerConfig = field(default_factory=_trainer)
    exp_manager: Any | None = field(default_factory=_exp_manager)
    hydra: HydraConfig = field(default_factory=HydraConfig)


class ModelConfigBuilder:
    """Base of builders that fill a :class:`ModelConfig` step by step; subclasses implement ``_finalize_cfg``.

    Args:
        model_cfg: The model config to update in place.
    """

    def __init__(self, model_cfg: ModelConfig) -> None:
        self.model_cfg = model_cfg
        self.train_ds_cfg: Any = None
        self.validation_ds_cfg: Any = None
        self.test_ds_cfg: Any = None
        self.optim_cfg: Any = None

    def set_train_ds(self, cfg: DatasetConfig | None = None) -> None:
        """Set the training data set config."""
        self.model_cfg.train_ds = cfg

    def set_validation_ds(self, cfg: DatasetConfig | None = None) -> None:
        """Set the validation data set config."""
        self.model_cfg.validation_ds = cfg

    def set_test_ds(self, cfg: DatasetConfig | None = None) -> None:
        """Set the test data set config."""
        self.model_cfg.test_ds = cfg

    def set_optim(self, cfg: Any, sched_cfg: Any | None = None) -> None:
        """Set ``model.optim`` from an ``*OptimizerParams`` instance and, optionally, a ``*SchedulerParams``.

        The optimizer name is the class name without ``Params``, lower-cased (``AdamParams`` -> ``adam``); the
        scheduler name is the class name without ``Params`` (``CosineAnnealingParams`` -> ``CosineAnnealing``).
        """
        optim_cls: Any = dataclass(type("WrappedOptimConfig", (OptimConfig, type(cfg)), {}))
        name = type(cfg).__name__.replace("Params", "").lower()
        wrapped = optim_cls(name=name, sched=None, **_fields(cfg))
        if sched_cfg is not None:
            sched_cls: Any = dataclass(type("WrappedSchedConfig", (SchedConfig, type(sched_cfg)), {}))
            wrapped.sched = sched_cls(
                name=type(sched_cfg).__name__.replace("Params", ""), **_fields(sched_cfg)
            )
        self.model_cfg.optim = wrapped

    def _finalize_cfg(self) -> None:
        raise NotImplementedError("Subclasses of ModelConfigBuilder must implement _finalize_cfg().")

    def build(self) -> ModelConfig:
        """Finalize (``_finalize_cfg``) and return the model config."""
        self._finalize_cfg()
        return self.model_cfg


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
