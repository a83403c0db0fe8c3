"""Stopping cleanly with a checkpoint: preemption signals, a per-run time limit, IPL epoch stops.

A stop first saves a ``-last`` checkpoint at the current step, then ends ``fit`` through Lightning's
graceful-exit path (teardown runs, ``fit`` returns). ``on_train_end`` is not called, so no ``-end.ckpt``
and no train-end ``.nemo`` are written: the run is unfinished, and ``resume_if_exists`` continues it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import timedelta
from types import FrameType
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback, Timer
from lightning.pytorch.utilities.exceptions import _TunerExitException

from expmanager.checkpoint import NeMoModelCheckpoint

__all__ = ["IPLEpochStopper", "PreemptionCallback", "StatelessTimer"]

log = logging.getLogger("expmanager")


def _any_rank(flag: bool, trainer: pl.Trainer) -> bool:
    """True on every rank if ``flag`` is true on any rank (one small all-reduce when distributed)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized() and trainer.world_size > 1:
        tensor = torch.tensor([1 if flag else 0], device=trainer.strategy.root_device)
        torch.distributed.all_reduce(tensor, op=torch.distributed.ReduceOp.MAX)
        return bool(tensor.item())
    return flag


def _stop(trainer: pl.Trainer, checkpoint_callback: NeMoModelCheckpoint | None, reason: str) -> None:
    path = checkpoint_callback.save_last_now(trainer) if checkpoint_callback is not None else None
    log.info("%s: saved %s at step %d, stopping.", reason, path or "no checkpoint", trainer.global_step)
    raise _TunerExitException(reason)


class PreemptionCallback(Callback):
    """On SIGTERM or SIGUSR1 (sent by schedulers before preempting a job), save ``-last`` and stop.

    The signal handler only sets a flag; after the current training batch every rank learns whether any
    rank got the signal, all save the checkpoint together and stop. A signal during the last batch of an
    epoch is acted on at the end of that epoch (after its validation and checkpoints), so the checkpoint is
    an epoch-boundary one.

    Args:
        checkpoint_callback: the callback that writes the ``-last`` checkpoint.
        signals: the signals to handle.
    """

    def __init__(
        self,
        checkpoint_callback: NeMoModelCheckpoint | None,
        signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGUSR1),
    ) -> None:
        self.checkpoint_callback = checkpoint_callback
        self.signals = signals
        self.received: int | None = None
        self._previous: dict[signal.Signals, Any] = {}
        self._deferred = False
        # True on every rank once any rank got a signal and training is stopping because of it
        self.triggered = False

    @property
    def interrupted(self) -> bool:
        """Whether a preemption signal arrived."""
        return self.received is not None

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Install the handlers (main thread only; Python allows no other)."""
        if threading.current_thread() is not threading.main_thread():
            log.warning("Preemption handling is off: fit() does not run in the main thread.")
            return
        for sig in self.signals:
            self._previous[sig] = signal.getsignal(sig)
            signal.signal(sig, self._handler)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Stop after this batch if any rank was signalled."""
        if not _any_rank(self.interrupted, trainer):
            return
        self.triggered = True
        if trainer.fit_loop.epoch_loop.batch_progress.is_last_batch:
            self._deferred = True
            return
        _stop(trainer, self.checkpoint_callback, f"Preemption signal {self.received}")

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Act on a signal that arrived during the epoch's last batch."""
        if self._deferred:
            _stop(trainer, self.checkpoint_callback, f"Preemption signal {self.received}")

    def _restore(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Put the previous handlers back."""
        self._restore()

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Put the previous handlers back after a stop too."""
        self._restore()


class StatelessTimer(Timer):
    """A wall-clock limit per run: save ``-last`` and stop *before* ``duration`` is used up.

    Unlike Lightning's ``Timer`` the elapsed time is not saved in checkpoints, so every resumed run gets the
    full ``duration``. The stop comes when the time left is less than the longest training step seen plus
    the longest checkpoint save seen so far, so the checkpoint is complete within the limit.

    Args:
        duration: the limit for this run.
        checkpoint_callback: the callback that writes ``-last``.
        verbose: log when the limit is near.
    """

    def __init__(
        self,
        duration: timedelta,
        checkpoint_callback: NeMoModelCheckpoint | None = None,
        verbose: bool = True,
    ) -> None:
        super().__init__(duration=duration, interval="step", verbose=verbose)
        self.checkpoint_callback = checkpoint_callback
        self._batch_start: float | None = None
        self._longest_step = 0.0

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any, **kwargs: Any) -> None:
        """Remember when the step started."""
        self._batch_start = time.monotonic()

    def _check_time_remaining(self, trainer: pl.Trainer) -> None:
        assert self._duration is not None
        if self._batch_start is not None:
            self._longest_step = max(self._longest_step, time.monotonic() - self._batch_start)
        elapsed = self.time_elapsed()
        saving = (
            self.checkpoint_callback.longest_save_seconds if self.checkpoint_callback is not None else 0.0
        )
        margin = self._longest_step + saving
        stop = bool(trainer.strategy.broadcast(elapsed + margin >= self._duration))
        if not stop:
            return
        if self._verbose:
            log.info(
                "Time limit of this run is near: %.1f s elapsed of %.1f s. Saving and stopping.",
                elapsed,
                self._duration,
            )
        _stop(trainer, self.checkpoint_callback, "max_time_per_run reached")

    def state_dict(self) -> dict[str, Any]:
        """Nothing: the limit applies to each run afresh."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Ignore Lightning ``Timer`` state from older checkpoints."""


class IPLEpochStopper(Callback):
    """Stop ``fit`` every ``stop_every_n_epochs`` epochs (NeMo's iterative pseudo-labelling loop).

    Args:
        enable_stop: whether to stop at all.
        stop_every_n_epochs: the period, in epochs.
    """

    def __init__(self, enable_stop: bool = True, stop_every_n_epochs: int = 1) -> None:
        self.enable_stop = enable_stop
        self.stop_every_n_epochs = stop_every_n_epochs

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Ask the trainer to stop after this epoch when it is due."""
        if self.enable_stop and (trainer.current_epoch + 1) % max(1, self.stop_every_n_epochs) == 0:
            trainer.should_stop = True
