"""``nemo.core.config.pytorch``: ``DataLoaderConfig``, the arguments of ``torch.utils.data.DataLoader``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DataLoaderConfig"]


@dataclass
class DataLoaderConfig:
    """The keyword arguments of ``torch.utils.data.DataLoader`` as a structured config.

    ``batch_size`` is mandatory (OmegaConf's ``"???"``); the rest are the data loader's own defaults.
    """

    batch_size: int = "???"  # type: ignore[assignment]
    shuffle: bool = False
    sampler: Any | None = None
    batch_sampler: Any | None = None
    num_workers: int = 0
    collate_fn: Any | None = None
    pin_memory: bool = False
    drop_last: bool = False
    timeout: int = 0
    worker_init_fn: Any | None = None
    multiprocessing_context: Any | None = None
