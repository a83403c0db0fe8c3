"""``nemo.core.config.pytorch_lightning``: ``TrainerConfig``, the arguments of Lightning's ``Trainer``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["TrainerConfig"]


@dataclass
class TrainerConfig:
    """The keyword arguments of ``lightning.pytorch.Trainer`` (2.x) as a structured config, Lightning's defaults.

    ``Trainer(**OmegaConf.structured(TrainerConfig()))`` builds a default trainer; hydra scripts use it as the
    ``trainer`` section's schema.
    """

    logger: Any = True
    callbacks: Any | None = None
    default_root_dir: str | None = None
    gradient_clip_val: float = 0
    num_nodes: int = 1
    enable_progress_bar: bool = True
    overfit_batches: Any = 0.0
    check_val_every_n_epoch: int = 1
    fast_dev_run: bool = False
    accumulate_grad_batches: Any = 1
    max_epochs: int | None = None
    min_epochs: int | None = None
    max_steps: int = -1
    min_steps: int | None = None
    max_time: Any | None = None
    limit_train_batches: Any = 1.0
    limit_val_batches: Any = 1.0
    limit_test_batches: Any = 1.0
    limit_predict_batches: Any = 1.0
    val_check_interval: Any = 1.0
    log_every_n_steps: int = 50
    accelerator: Any = "auto"
    strategy: Any = "auto"
    devices: Any = "auto"
    sync_batchnorm: bool = False
    precision: Any = None
    enable_model_summary: bool = True
    num_sanity_val_steps: int = 2
    profiler: Any | None = None
    benchmark: bool | None = None
    deterministic: Any = None
    reload_dataloaders_every_n_epochs: int = 0
    use_distributed_sampler: bool = True
    detect_anomaly: bool = False
    plugins: Any | None = None
    inference_mode: bool = True
    enable_checkpointing: bool = True
    barebones: bool = False
    gradient_clip_algorithm: str | None = None
    model_registry: str | None = None
