"""Random number generator states in checkpoints, restored where the saving run stood.

Lightning does not checkpoint RNG states, so a resumed run draws different dropout masks (and anything
else random) than an uninterrupted one. This callback stores each rank's Python, NumPy, torch CPU and CUDA
generator states with every checkpoint and restores them at the matching point of the resumed run:

- checkpoint written in the middle of an epoch (after a training batch): restored just before the next
  training batch, i.e. after the resumed run has rebuilt its data loader iterator, as the saving run had;
- checkpoint written at an epoch boundary: restored while the checkpoint is loaded, before the next epoch's
  data loader iterator is created, as in the saving run.

States are per rank; a run resumed with a different number of processes keeps its fresh generators.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

__all__ = ["RNGStateCallback"]

log = logging.getLogger("expmanager")

_KEY = "expmanager_rng_states"


def _capture() -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    try:
        import numpy  # noqa: PLC0415 - optional: torch runs without numpy

        kind, keys, pos, has_gauss, cached = numpy.random.get_state()
        # plain Python values, so checkpoints stay loadable with torch.load(weights_only=True)
        state["numpy"] = (str(kind), [int(k) for k in keys], int(pos), int(has_gauss), float(cached))
    except ImportError:  # numpy is optional for torch
        pass
    if torch.cuda.is_available() and torch.cuda.is_initialized():  # type: ignore[no-untyped-call]
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _apply(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "numpy" in state:
        import numpy  # noqa: PLC0415 - optional: torch runs without numpy

        kind, keys, pos, has_gauss, cached = state["numpy"]
        numpy.random.set_state((kind, numpy.asarray(keys, dtype=numpy.uint32), pos, has_gauss, cached))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _gather(trainer: pl.Trainer, state: dict[str, Any]) -> list[dict[str, Any]]:
    if trainer.world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized():
        states: list[Any] = [None] * trainer.world_size
        torch.distributed.all_gather_object(states, state)
        return states
    return [state]


class RNGStateCallback(Callback):
    """Save every rank's RNG states in checkpoints and restore them on resume (see module docstring)."""

    def __init__(self) -> None:
        self._pending: dict[str, Any] | None = None

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        """Record all ranks' states (every rank calls this; rank 0 writes the file)."""
        progress = trainer.fit_loop.epoch_loop.batch_progress.current
        num_batches = trainer.num_training_batches
        processed = int(getattr(progress, "processed", progress.completed))
        mid_epoch = processed > progress.completed and (
            num_batches == float("inf") or processed < num_batches
        )
        checkpoint[_KEY] = {"mid_epoch": bool(mid_epoch), "ranks": _gather(trainer, _capture())}

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        """Restore now (epoch-boundary checkpoint) or before the next training batch (mid-epoch)."""
        saved = checkpoint.get(_KEY)
        if not saved:
            return
        ranks = saved["ranks"]
        if len(ranks) != trainer.world_size:
            log.warning(
                "The checkpoint holds RNG states of %d processes but this run has %d: not restoring them.",
                len(ranks),
                trainer.world_size,
            )
            return
        state = ranks[trainer.global_rank]
        if saved["mid_epoch"]:
            self._pending = state
        else:
            _apply(state)

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Apply states held back for a mid-epoch resume."""
        if self._pending is not None:
            _apply(self._pending)
            self._pending = None
