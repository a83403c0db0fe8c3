"""Run by test_ddp.py: a 2-process CPU DDP fit (gloo), then save_to on every rank.

Each rank records what save_to returned and how often it committed an archive, in ``<out>/rank<N>.txt``.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.simplefilter("ignore")

import lightning.pytorch as pl  # noqa: E402
import torch  # noqa: E402

import nemo_archive.writer  # noqa: E402
from modelpt_test_models import TinyClassifier  # noqa: E402

out = Path(sys.argv[1])
commits = []
original_commit = nemo_archive.writer.ArchiveWriter.commit


def counting_commit(self, *args, **kwargs):
    commits.append(str(self.path))
    return original_commit(self, *args, **kwargs)


nemo_archive.writer.ArchiveWriter.commit = counting_commit

torch.manual_seed(0)
cfg = {
    "hidden": 8,
    "train_ds": {"seed": 1, "n": 32, "batch_size": 4},
    "optim": {"name": "sgd", "lr": 0.1},
}
model = TinyClassifier(cfg)
trainer = pl.Trainer(
    accelerator="cpu",
    devices=2,
    strategy="ddp",
    max_steps=2,
    logger=False,
    enable_checkpointing=False,
    enable_progress_bar=False,
    enable_model_summary=False,
    limit_val_batches=0,
    default_root_dir=str(out),
)
model.set_trainer(trainer)
trainer.fit(model)
saved = model.save_to(str(out / "model.nemo"))
rank = trainer.global_rank
weights = {k: v.sum().item() for k, v in model.state_dict().items()}
(out / f"rank{rank}.txt").write_text(
    json.dumps({"saved": saved, "commits": commits, "world_size": model.world_size, "weights": weights}),
    encoding="utf-8",
)
trainer.strategy.barrier()
os._exit(0)
