"""Training runs for the reliability tests, each in a real process: ``python scenario.py '<json spec>'``.

Modes:
- ``killmid``: the Nth checkpoint write writes half of its bytes, then the process SIGKILLs itself.
- ``killremove``: the process SIGKILLs itself when it is about to remove a checkpoint whose name contains
  ``kill_on_remove`` (after the file that replaces it was published).
- ``preempt``: at ``signal_step`` the process announces itself (``ready`` file) and waits in the training step
  until a preemption signal arrives (the test sends SIGTERM), then training stops with a checkpoint.
- ``ddp``: 2 processes on CPU (gloo); ``signal_step`` makes rank 1 send itself SIGUSR1.

Each rank writes ``result-rank<r>.json`` into ``spec["out"]``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

sys.path.insert(0, str(Path(__file__).parent))
import tiny
from expmanager import exp_manager
from expmanager.stopping import PreemptionCallback


def _rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


class RecordingIO(TorchCheckpointIO):
    """Records which rank writes checkpoints; optionally dies (SIGKILL) halfway through write number N."""

    def __init__(self, out: Path, kill_on_write: int = 0, kill_on_remove: str = "") -> None:
        super().__init__()
        self.out = out
        self.kill_on_write = kill_on_write
        self.kill_on_remove = kill_on_remove
        self.writes = 0

    def remove_checkpoint(self, path: Any) -> None:
        if self.kill_on_remove and self.kill_on_remove in Path(path).name:
            os.kill(os.getpid(), signal.SIGKILL)  # the new file is published, the old one not yet removed
        super().remove_checkpoint(path)

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        self.writes += 1
        with open(self.out / f"writes-rank{_rank()}.txt", "a") as fh:
            fh.write(f"{Path(path).name}\n")
        if self.writes == self.kill_on_write:
            import io

            buffer = io.BytesIO()
            torch.save(checkpoint, buffer)
            data = buffer.getvalue()
            with open(path, "wb") as fh:
                fh.write(data[: len(data) // 2])
                fh.flush()
                os.fsync(fh.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        super().save_checkpoint(checkpoint, path, storage_options)


class RecordingModel(tiny.TinyModel):
    out: Path

    def on_train_start(self) -> None:
        self.start_step = self.global_step

    def save_to(self, save_path: str, provenance: dict[str, Any] | None = None) -> str:
        with open(self.out / f"nemo-rank{self.global_rank}.txt", "a") as fh:
            fh.write(f"{save_path}\n")
        return super().save_to(save_path, provenance)


def main() -> None:
    spec = json.loads(sys.argv[1])
    out = Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    mode = spec["mode"]
    pl.seed_everything(spec.get("seed", 7), verbose=False)
    model = RecordingModel(resumable_data=spec.get("resumable_data", False))
    model.out = out
    io_plugin = RecordingIO(
        out, kill_on_write=spec.get("kill_on_write", 0), kill_on_remove=spec.get("kill_on_remove", "")
    )
    trainer_kwargs: dict[str, Any] = {"max_epochs": spec["max_epochs"], "plugins": [io_plugin]}
    if mode == "ddp":
        trainer_kwargs.update(devices=2, strategy="ddp", use_distributed_sampler=True)
    trainer = tiny.make_trainer(out, **trainer_kwargs)

    signal_step = spec.get("signal_step")

    def hook(module: Any, batch_idx: int) -> None:
        if module.global_step != signal_step:
            return
        if mode == "preempt":
            (out / "ready").write_text(str(os.getpid()))
            callback = next(cb for cb in module.trainer.callbacks if isinstance(cb, PreemptionCallback))
            deadline = time.monotonic() + 120
            while not callback.interrupted and time.monotonic() < deadline:
                time.sleep(0.02)
        elif mode == "ddp" and module.global_rank == 1:
            os.kill(os.getpid(), signal.SIGUSR1)

    model.step_hook = hook
    log_dir = exp_manager(trainer, spec["cfg"])
    trainer.fit(model)
    result = {
        "rank": trainer.global_rank,
        "log_dir": str(log_dir),
        "version_env": os.environ.get("NEMO_EXPM_VERSION"),
        "ckpt_path": trainer.ckpt_path,
        "start_step": getattr(model, "start_step", None),
        "global_step": trainer.global_step,
        "signalled": any(isinstance(cb, PreemptionCallback) and cb.interrupted for cb in trainer.callbacks),
        "preempted": any(isinstance(cb, PreemptionCallback) and cb.triggered for cb in trainer.callbacks),
    }
    torch.save(
        {"model": model.state_dict(), "optimizer": trainer.optimizers[0].state_dict()},
        out / f"final-rank{trainer.global_rank}.pt",
    )
    (out / f"result-rank{trainer.global_rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
