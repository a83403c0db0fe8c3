"""``nemo.utils.timers``: ``NamedTimer`` (expmanager's) and ``SimpleTimer``."""

from __future__ import annotations

import sys
import time

from expmanager.timing import NamedTimer

__all__ = ["NamedTimer", "SimpleTimer"]


class SimpleTimer:
    """A stopwatch accumulating the time between ``start()`` and ``stop()`` calls.

    Args:
        sync_cuda: Synchronise CUDA before reading the clock (when torch and CUDA are there).
    """

    def __init__(self, sync_cuda: bool = True) -> None:
        self.sync_cuda = sync_cuda
        self.reset()

    def _sync(self) -> None:
        torch = sys.modules.get("torch")
        if self.sync_cuda and torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()

    def reset(self) -> None:
        """Forget the accumulated time and stop."""
        self._start: float | None = None
        self._total = 0.0

    def start(self) -> None:
        """Start (or restart) timing."""
        self._sync()
        self._start = time.perf_counter()

    def stop(self) -> None:
        """Add the time since ``start()`` to the total.

        Raises:
            RuntimeError: The timer was not started.
        """
        if self._start is None:
            raise RuntimeError("SimpleTimer.stop() called before start().")
        self._sync()
        self._total += time.perf_counter() - self._start
        self._start = None

    def get(self) -> float:
        """The accumulated seconds (including a running interval)."""
        running = time.perf_counter() - self._start if self._start is not None else 0.0
        return self._total + running
