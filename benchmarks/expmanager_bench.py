"""expmanager benchmarks: import cost, and the cost of an atomic, ledgered checkpoint save.

Figures (each printed with its ratio to a baseline measured in the same run):
- ``import expmanager`` vs ``import lightning.pytorch`` (fresh interpreters, best of --repeats);
- one NeMoModelCheckpoint save (temp file + fsync + os.replace + ledger) vs Lightning's plain
  ``trainer.save_checkpoint`` of the same model (best of --repeats), for a model of --params parameters.

Usage: uv run python benchmarks/expmanager_bench.py [--params 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _import_time(module: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=1_000_000, help="model size in parameters")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions; the best time is reported")
    args = parser.parse_args()

    base = _import_time("lightning.pytorch", args.repeats)
    ours = _import_time("expmanager", args.repeats)
    print(f"import lightning.pytorch: {base * 1000:8.1f} ms (baseline)")
    print(f"import expmanager:        {ours * 1000:8.1f} ms ({ours / base:.3f}x of baseline)")

    import lightning.pytorch as pl
    import torch

    from expmanager import exp_manager

    class Model(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.randn(args.params))

        def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
            return (self.weight.sum() * batch.sum()) ** 2

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=1e-6)

        def train_dataloader(self) -> torch.utils.data.DataLoader:  # type: ignore[type-arg]
            return torch.utils.data.DataLoader(torch.ones(1, 1), batch_size=1)

    with tempfile.TemporaryDirectory() as tmp:
        trainer = pl.Trainer(
            max_steps=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            accelerator="cpu",
            default_root_dir=tmp,
        )
        exp_manager(
            trainer,
            {
                "explicit_log_dir": tmp,
                "create_tensorboard_logger": False,
                "log_step_timing": False,
                "checkpoint_callback_params": {"monitor": None, "save_top_k": -1},
                "seconds_to_sleep": 0,
            },
        )
        trainer.fit(Model())
        callback = trainer.checkpoint_callback
        plain_best = atomic_best = float("inf")
        for i in range(args.repeats):
            started = time.perf_counter()
            trainer.save_checkpoint(str(Path(tmp) / f"plain-{i}.ckpt"))
            plain_best = min(plain_best, time.perf_counter() - started)
            started = time.perf_counter()
            callback._save_checkpoint(trainer, str(Path(tmp) / "checkpoints" / f"atomic-{i}.ckpt"))  # type: ignore[union-attr]
            atomic_best = min(atomic_best, time.perf_counter() - started)
        size_mb = (Path(tmp) / "checkpoints" / "atomic-0.ckpt").stat().st_size / 1e6
    print(
        f"plain trainer.save_checkpoint ({args.params} params, ~{size_mb:.0f} MB): "
        f"{plain_best * 1000:8.1f} ms "
        "(baseline)"
    )
    print(
        f"NeMoModelCheckpoint atomic save + ledger:              {atomic_best * 1000:8.1f} ms "
        f"({atomic_best / plain_best:.3f}x of baseline)"
    )


if __name__ == "__main__":
    main()
