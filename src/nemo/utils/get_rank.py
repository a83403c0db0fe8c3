"""``nemo.utils.get_rank``: this process's rank, from torch.distributed or the launcher's environment."""

from __future__ import annotations

import os
import sys

__all__ = ["get_last_rank", "get_rank", "is_global_rank_zero"]

_RANK_VARIABLES = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK")


def _distributed() -> object | None:
    torch = sys.modules.get("torch")
    dist = getattr(torch, "distributed", None) if torch is not None else None
    if dist is not None and dist.is_available() and dist.is_initialized():
        found: object = dist
        return found
    return None


def get_rank() -> int:
    """The global rank: torch.distributed's when initialised, else the launcher's variables, else 0."""
    dist = _distributed()
    if dist is not None:
        return int(dist.get_rank())  # type: ignore[attr-defined]
    for name in _RANK_VARIABLES:
        if name in os.environ:
            return int(os.environ[name])
    node, local = os.environ.get("NODE_RANK") or os.environ.get("GROUP_RANK"), os.environ.get("LOCAL_RANK")
    if node is not None and local is not None and "LOCAL_WORLD_SIZE" in os.environ:
        return int(node) * int(os.environ["LOCAL_WORLD_SIZE"]) + int(local)
    return 0


def is_global_rank_zero() -> bool:
    """True on the process of global rank 0 (and in a single-process run)."""
    return get_rank() == 0


def get_last_rank() -> int:
    """The highest global rank (world size - 1), or 0 when not distributed."""
    dist = _distributed()
    if dist is not None:
        return int(dist.get_world_size()) - 1  # type: ignore[attr-defined]
    return int(os.environ.get("WORLD_SIZE", "1")) - 1
