"""Step timing: ``NamedTimer`` and the callbacks that log ``train_step_timing in s`` and friends."""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

__all__ = ["DeltaTimingCallback", "NamedTimer", "TimingCallback"]

log = logging.getLogger("expmanager")


class NamedTimer:
    """Named stopwatches that keep the last ``buffer_size`` durations and reduce them on request.

    Args:
        reduction: ``mean``, ``sum``, ``min``, ``max`` or ``none`` (the last duration).
        sync_cuda: synchronise CUDA before reading the clock, so GPU work is counted.
        buffer_size: how many durations to keep per name.

    Raises:
        ValueError: unknown reduction or a buffer size below 1.
    """

    _REDUCTIONS = ("mean", "sum", "min", "max", "none")

    def __init__(self, reduction: str = "mean", sync_cuda: bool = False, buffer_size: int = 1) -> None:
        if reduction not in self._REDUCTIONS:
            raise ValueError(f"reduction must be one of {self._REDUCTIONS}, got {reduction!r}.")
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be 1 or more, got {buffer_size}.")
        self.reduction = reduction
        self.sync_cuda = sync_cuda
        self.buffer_size = buffer_size
        self._start: dict[str, float] = {}
        self._durations: dict[str, deque[float]] = {}

    def _now(self) -> float:
        if self.sync_cuda and torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter()

    def start(self, name: str) -> None:
        """Start (or restart) the stopwatch ``name``."""
        self._start[name] = self._now()

    def stop(self, name: str) -> float:
        """Stop ``name`` and return the measured duration in seconds.

        Raises:
            KeyError: ``name`` was not started.
        """
        duration = self._now() - self._start.pop(name)
        self._durations.setdefault(name, deque(maxlen=self.buffer_size)).append(duration)
        return duration

    def active(self, name: str) -> bool:
        """Whether ``name`` is running."""
        return name in self._start

    def get(self, name: str) -> float:
        """The reduced duration of ``name`` over its buffer.

        Raises:
            KeyError: ``name`` was never stopped.
        """
        values = list(self._durations[name])
        if self.reduction == "mean":
            return sum(values) / len(values)
        if self.reduction == "sum":
            return sum(values)
        if self.reduction == "min":
            return min(values)
        if self.reduction == "max":
            return max(values)
        return values[-1]

    def reset(self, name: str | None = None) -> None:
        """Forget one timer or all of them."""
        if name is None:
            self._start.clear()
            self._durations.clear()
        else:
            self._start.pop(name, None)
            self._durations.pop(name, None)


class TimingCallback(Callback):
    """Log step durations: ``train_step_timing in s`` (progress bar) and its validation/test/backward twins.

    The names are NeMo's: ``validation_step_timing in s``, ``test_step_timing in s`` and
    ``train_backward_timing in s``, logged every step (``on_step=True, on_epoch=False``).

    Args:
        timer_kwargs: arguments of :class:`NamedTimer`.
    """

    def __init__(self, timer_kwargs: dict[str, Any] | None = None) -> None:
        self.timer = NamedTimer(**(timer_kwargs or {}))

    def _on_start(self, name: str) -> None:
        self.timer.start(name)

    def _on_end(self, name: str, pl_module: pl.LightningModule) -> None:
        if not self.timer.active(name):
            return
        self.timer.stop(name)
        pl_module.log(
            f"{name} in s",
            torch.tensor(self.timer.get(name), dtype=torch.float32),
            on_step=True,
            on_epoch=False,
            batch_size=1,
            prog_bar=name == "train_step_timing",
        )

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Start timing the training step."""
        self._on_start("train_step_timing")

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Log the training step and backward durations."""
        self._on_end("train_step_timing", pl_module)
        if "train_backward_timing" in self.timer._durations and not self.timer.active(
            "train_backward_timing"
        ):
            pl_module.log(
                "train_backward_timing in s",
                torch.tensor(self.timer.get("train_backward_timing"), dtype=torch.float32),
                on_step=True,
                on_epoch=False,
                batch_size=1,
            )

    def on_validation_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any
    ) -> None:
        """Start timing the validation step."""
        self._on_start("validation_step_timing")

    def on_validation_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Log the validation step duration."""
        self._on_end("validation_step_timing", pl_module)

    def on_test_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Start timing the test step."""
        self._on_start("test_step_timing")

    def on_test_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Log the test step duration."""
        self._on_end("test_step_timing", pl_module)

    def on_before_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: Any) -> None:
        """Start timing the backward pass."""
        self.timer.start("train_backward_timing")

    def on_after_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Stop timing the backward pass (logged at batch end)."""
        if self.timer.active("train_backward_timing"):
            self.timer.stop("train_backward_timing")


class DeltaTimingCallback(Callback):
    """Log ``Step <n>: train_step_timing in s=<dt>`` measured from one batch end to the next (no metrics)."""

    def __init__(self, timer_kwargs: dict[str, Any] | None = None) -> None:
        self._sync_cuda = bool((timer_kwargs or {}).get("sync_cuda", False))
        self._last: float | None = None

    def _now(self) -> float:
        if self._sync_cuda and torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Start the clock."""
        self._last = self._now()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Log the time since the previous batch end."""
        now = self._now()
        if self._last is not None:
            log.info("Step %d: train_step_timing in s=%.6f", trainer.global_step, now - self._last)
        self._last = now
