"""ModelPT's optional profiling switches (``nsys_profile``, ``memory_profile``, ``chakra_profile``).

Configured in the model config as in NeMo and validated when the model is built (a bad value fails before
training starts, not at the step it would have mattered):

- ``nsys_profile: {enabled, start_step=0, end_step=0, ranks=[0], gen_shape=False}`` opens and closes the CUDA
  profiler range that ``nsys profile --capture-range=cudaProfilerApi`` records; ``gen_shape`` adds NVTX ranges
  with tensor shapes.
- ``memory_profile: {enabled, start_step=0, end_step=0, rank=0, output_path}`` records CUDA allocator history
  and writes ``<output_path>/memory_profile_rank<rank>.pickle`` (open it at pytorch.org/memory_viz).
- ``chakra_profile: {enabled, start_step=0, end_step=0, warmup_steps=0, active_steps=1, trace_dir}`` records a
  PyTorch execution trace (``<trace_dir>/et/rank-<rank>.json``) and a Kineto trace
  (``<trace_dir>/kineto/rank-<rank>.json``) for Chakra; it also works on CPU.

Steps are the training ``batch_idx`` as in NeMo: a range starts at the first batch with index ``>= start_step``
and ends after the first batch with index ``>= end_step``. Unlike NeMo, a range still open when training ends
is closed then (its files are written), and CUDA-only switches on a CPU run log once that they do nothing.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.profiler import ExecutionTraceObserver, ProfilerActivity, profile, schedule

__all__ = ["ProfileWindow", "TrainingProfiler", "parse_profile_window"]

logger = logging.getLogger(__name__)


@dataclass
class ProfileWindow:
    """One validated profiling switch: its step range, its ranks and its settings."""

    kind: str
    start_step: int
    end_step: int
    ranks: list[int]
    options: dict[str, Any] = field(default_factory=dict)
    started: bool = False
    complete: bool = False

    def should_start(self, batch_idx: int, rank: int) -> bool:
        """True at the first batch of the window on one of its ranks."""
        return not self.started and batch_idx >= self.start_step and rank in self.ranks

    def should_stop(self, batch_idx: int, rank: int) -> bool:
        """True at the window's last batch (an open window on one of its ranks)."""
        return self.started and not self.complete and batch_idx >= self.end_step and rank in self.ranks


def _as_int(kind: str, key: str, value: Any) -> int:
    if type(value) is not int:
        raise ValueError(
            f"{kind}.{key} must be an int; received {value!r} ({type(value).__name__}). Set it to a training "
            "batch index, e.g. 10."
        )
    return value


def _existing_dir(kind: str, key: str, value: Any) -> str:
    if value is None or not os.path.isdir(str(value)):
        raise ValueError(
            f"{kind}.{key} must be an existing directory; received {value!r}. Create it first or point "
            f"{kind}.{key} at one."
        )
    return str(value)


def parse_profile_window(kind: str, section: Any) -> ProfileWindow | None:
    """Validate one profiling section of a model config.

    Args:
        kind: ``nsys_profile``, ``memory_profile`` or ``chakra_profile``.
        section: The config section (a mapping) or None.

    Returns:
        The window, or None when the section is absent or not enabled.

    Raises:
        ValueError: A step is not an int, ``end_step < start_step``, a rank setting has the wrong type, or the
            output directory does not exist.
    """
    if section is None or not section.get("enabled", False):
        return None
    start = _as_int(kind, "start_step", section.get("start_step", 0))
    end = _as_int(kind, "end_step", section.get("end_step", 0))
    if end < start:
        raise ValueError(
            f"{kind}.end_step ({end}) must be greater than or equal to {kind}.start_step ({start}); swap them or "
            "widen the range."
        )
    options: dict[str, Any] = {}
    if kind == "nsys_profile":
        ranks = [_as_int(kind, "ranks[]", r) for r in list(section.get("ranks", [0]))]
        options["gen_shape"] = bool(section.get("gen_shape", False))
    elif kind == "memory_profile":
        ranks = [_as_int(kind, "rank", section.get("rank", 0))]
        options["output_path"] = _existing_dir(kind, "output_path", section.get("output_path"))
    else:
        ranks = [_as_int(kind, "rank", section.get("rank", 0))]
        options["warmup_steps"] = _as_int(kind, "warmup_steps", section.get("warmup_steps", 0))
        options["active_steps"] = _as_int(kind, "active_steps", section.get("active_steps", 1))
        options["trace_dir"] = _existing_dir(kind, "trace_dir", section.get("trace_dir"))
    return ProfileWindow(kind, start, end, ranks, options)


class TrainingProfiler:
    """Drives the enabled profiling windows from ModelPT's batch hooks.

    Args:
        cfg: The model config; its ``nsys_profile``, ``memory_profile`` and ``chakra_profile`` sections are read.

    Raises:
        ValueError: A section is invalid (see :func:`parse_profile_window`).
    """

    KINDS = ("nsys_profile", "memory_profile", "chakra_profile")

    def __init__(self, cfg: Any) -> None:
        self.windows = [
            w for kind in self.KINDS if (w := parse_profile_window(kind, cfg.get(kind))) is not None
        ]
        self._nvtx: Any = None
        self._chakra: Any = None
        self._observer: Any = None
        self._warned: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.windows)

    def _cuda_only(self, window: ProfileWindow, device: Any) -> bool:
        """True when ``window`` needs CUDA and the model is not on a CUDA device (logged once)."""
        if window.kind == "chakra_profile" or getattr(device, "type", "cpu") == "cuda":
            return False
        if window.kind not in self._warned:
            self._warned.add(window.kind)
            logger.warning(
                "%s needs the model on a CUDA device (it is on %s); nothing is recorded", window.kind, device
            )
        return True

    def on_batch_start(self, batch_idx: int, rank: int, device: Any) -> None:
        """Open each window whose start step has come on this rank."""
        for window in self.windows:
            if self._cuda_only(window, device) or not window.should_start(batch_idx, rank):
                continue
            logger.info("Starting %s at batch %d on rank %d", window.kind, batch_idx, rank)
            getattr(self, f"_start_{window.kind}")(window, rank)
            window.started = True

    def on_batch_end(self, batch_idx: int, rank: int) -> None:
        """Step the Chakra profiler and close each window whose end step has come."""
        for window in self.windows:
            if window.kind == "chakra_profile" and window.started and not window.complete:
                self._chakra.step()
            if window.should_stop(batch_idx, rank):
                self._stop(window, rank)

    def close(self, rank: int) -> None:
        """Close the windows still open (training ended before their end step)."""
        for window in self.windows:
            if window.started and not window.complete:
                self._stop(window, rank)

    def _stop(self, window: ProfileWindow, rank: int) -> None:
        logger.info("Stopping %s on rank %d", window.kind, rank)
        getattr(self, f"_stop_{window.kind}")(window, rank)
        window.complete = True

    # ------------------------------------------------------------------ nsys
    def _start_nsys_profile(self, window: ProfileWindow, rank: int) -> None:
        torch.cuda.cudart().cudaProfilerStart()  # type: ignore[no-untyped-call]
        if window.options["gen_shape"]:
            self._nvtx = torch.autograd.profiler.emit_nvtx(record_shapes=True)  # type: ignore[no-untyped-call]
            self._nvtx.__enter__()

    def _stop_nsys_profile(self, window: ProfileWindow, rank: int) -> None:
        if self._nvtx is not None:
            self._nvtx.__exit__(None, None, None)
            self._nvtx = None
        torch.cuda.cudart().cudaProfilerStop()  # type: ignore[no-untyped-call]

    # ------------------------------------------------------------------ CUDA memory
    def _start_memory_profile(self, window: ProfileWindow, rank: int) -> None:
        torch.cuda.memory._record_memory_history(max_entries=100_000)

    def _stop_memory_profile(self, window: ProfileWindow, rank: int) -> None:
        path = Path(window.options["output_path"]) / f"memory_profile_rank{rank}.pickle"
        torch.cuda.memory._dump_snapshot(str(path))  # type: ignore[no-untyped-call]
        torch.cuda.memory._record_memory_history(enabled=None)
        logger.info("CUDA memory snapshot written to %s", path)

    # ------------------------------------------------------------------ Chakra (execution + Kineto traces)
    def _start_chakra_profile(self, window: ProfileWindow, rank: int) -> None:
        trace_dir = Path(window.options["trace_dir"])
        (trace_dir / "et").mkdir(exist_ok=True)
        (trace_dir / "kineto").mkdir(exist_ok=True)
        self._observer = ExecutionTraceObserver().register_callback(
            str(trace_dir / "et" / f"rank-{rank}.json")
        )
        kineto_file = trace_dir / "kineto" / f"rank-{rank}.json"

        def export(prof: Any) -> None:
            prof.export_chrome_trace(str(kineto_file))

        activities = [ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(ProfilerActivity.CUDA)
        with warnings.catch_warnings():
            # warmup_steps=0 is NeMo's documented default; torch's advice against it is not the user's doing.
            warnings.filterwarnings("ignore", message="Profiler won't be using warmup", category=UserWarning)
            steps = schedule(
                wait=0, warmup=window.options["warmup_steps"], active=window.options["active_steps"], repeat=1
            )
        self._chakra = profile(
            activities=activities,
            schedule=steps,
            # One cycle only (repeat=1): keeping its events is what we want, and says so to torch versions
            # that warn about events being cleared between cycles.
            acc_events=True,
            on_trace_ready=export,
            execution_trace_observer=self._observer,
        )
        self._chakra.start()

    def _stop_chakra_profile(self, window: ProfileWindow, rank: int) -> None:
        self._chakra.stop()
        self._observer.unregister_callback()
        self._chakra = None
        self._observer = None
