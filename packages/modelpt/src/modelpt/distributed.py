"""Rank helpers that work with and without an initialised process group (torch imported lazily)."""

from __future__ import annotations

import os
import sys

__all__ = ["global_rank", "is_global_rank_zero"]


def global_rank() -> int:
    """This process's global rank: the process group's if initialised, else ``RANK`` / SLURM / 0."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.distributed.is_available() and torch.distributed.is_initialized():
        return int(torch.distributed.get_rank())
    for var in ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK"):
        if os.environ.get(var):
            return int(os.environ[var])
    return 0


def is_global_rank_zero() -> bool:
    """True on the process that writes shared files (global rank 0)."""
    return global_rank() == 0
