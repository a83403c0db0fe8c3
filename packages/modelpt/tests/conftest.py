"""Shared fixtures: the tests folder is importable (``modelpt_test_models``) and Trainers are CPU-only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Starts a loopback Hugging Face Hub and points huggingface_hub at it before anything imports it.
pytest_plugins = ["nemo_testing.plugin"]

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

REF_NEMO = TESTS / "data" / "ref_small.nemo"
REF_X = [[i / 10 for i in range(8)], [i / 10 for i in range(8, 16)]]
REF_OUT = [
    [-0.013206571, -0.090746664, 0.146819875, -0.226371914],
    [0.017878465, -0.341110498, 0.386741906, -0.363440394],
]


@pytest.fixture
def ref_nemo() -> Path:
    return REF_NEMO


def make_trainer(tmp_path: Path, **kwargs):
    """A CPU Trainer logging to CSV under ``tmp_path`` (no checkpoints, bars or summaries unless asked)."""
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import CSVLogger

    options = {
        "accelerator": "cpu",
        "devices": 1,
        "max_epochs": 1,
        "logger": CSVLogger(str(tmp_path), name="logs"),
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
        "default_root_dir": str(tmp_path),
    }
    options.update(kwargs)
    return pl.Trainer(**options)


def tiny_cfg(**extra):
    cfg = {
        "hidden": 8,
        "train_ds": {"seed": 1, "n": 32, "batch_size": 8},
        "validation_ds": {"seed": 2, "n": 16, "batch_size": 8},
        "optim": {"name": "adam", "lr": 0.01},
    }
    cfg.update(extra)
    return cfg


# Warnings Lightning itself raises on tiny CPU runs; each is ignored only in the modules that run a Trainer.
LIGHTNING_NOISE = [
    # Lightning 2.6 builds torch.utils._pytree.LeafSpec, deprecated by torch 2.15 (a Lightning-side fix).
    pytest.mark.filterwarnings("ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"),
    # Advice for real datasets (more workers, log intervals) is noise for 4-batch datasets.
    pytest.mark.filterwarnings("ignore:The '.*_dataloader' does not have many workers:UserWarning"),
    pytest.mark.filterwarnings(
        "ignore:The number of training batches .* is smaller than the logging interval"
    ),
    pytest.mark.filterwarnings("ignore:GPU available but not used:UserWarning"),
]
