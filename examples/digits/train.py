"""Train, save, restore, evaluate and export a digits classifier: nemo-core's main job, end to end.

    uv run examples/digits/train.py                              # defaults: conf/digits.yaml
    uv run examples/digits/train.py trainer.max_epochs=3 model.optim.name=adamw
    uv run examples/digits/train.py +trainer.fast_dev_run=true   # one batch of each, no experiment files
    uv run examples/digits/train.py '~model.test_ds'             # no test split: evaluation is skipped
    uv run examples/digits/train.py trainer.accelerator=gpu trainer.precision=bf16-mixed

What it does: ``exp_manager`` sets up the experiment (TensorBoard, checkpoints, a ``.nemo`` at the end of
training); the model is fit; the ``.nemo`` is restored and must reproduce the trained model's predictions
exactly; the restored model is evaluated on the test split and exported to ONNX, and onnxruntime must give
the same logits as PyTorch. A summary is printed and written to ``<experiment dir>/summary.json``, with the
trained model's logits on the evaluation split in ``predictions.npz`` next to it (tests restore the ``.nemo``
on their own and compare against them).

Heavy modules (torch, Lightning) are imported inside ``main``: Hydra checks the command line first, so a
mistyped override is reported in a second instead of after importing Lightning.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import json  # noqa: E402 - the wall-time clock starts before anything is imported
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Optional  # noqa: E402

from omegaconf import DictConfig, OmegaConf  # noqa: E402

from nemo.core.config import hydra_runner  # noqa: E402

# ruff: noqa: UP045 - OmegaConf reads Optional[...] annotations on Python 3.10


@dataclass
class TrainerConfig:
    """The Lightning ``Trainer`` arguments this job exposes, typed so Hydra rejects mistyped overrides.

    None means "Lightning's default" (the key is not passed). Other ``Trainer`` arguments can be added with
    ``+trainer.<name>=<value>`` (e.g. ``+trainer.fast_dev_run=true``).
    """

    accelerator: str = "auto"
    devices: Any = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: Any = "32-true"
    max_epochs: Optional[int] = None
    max_steps: int = -1
    limit_train_batches: Any = None
    limit_val_batches: Any = None
    limit_test_batches: Any = None
    val_check_interval: Any = None
    check_val_every_n_epoch: Optional[int] = 1
    log_every_n_steps: Optional[int] = None
    num_sanity_val_steps: Optional[int] = None
    accumulate_grad_batches: int = 1
    gradient_clip_val: Optional[float] = None
    deterministic: Any = None
    benchmark: Optional[bool] = None
    enable_progress_bar: Optional[bool] = None
    enable_model_summary: Optional[bool] = None
    logger: bool = False
    enable_checkpointing: bool = False


@dataclass
class ExportConfig:
    """What happens after training: ONNX export and its onnxruntime check."""

    onnx: bool = True
    tolerance: float = 1e-4


@dataclass
class DigitsConfig:
    """The whole job's config; ``conf/digits.yaml`` fills it in. ``model`` and ``exp_manager`` are free-form.

    ``model`` is read by ``DigitsClassifier`` and ``exp_manager`` by ``exp_manager`` (which reports unknown
    keys and wrong types itself, all at once).
    """

    name: str = "digits"
    seed: int = 1234
    model: Any = None
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    exp_manager: Any = None
    export: ExportConfig = field(default_factory=ExportConfig)


def _write_atomically(path: Path, write: Any) -> None:
    """Write through ``write(tmp_path)`` to a temp file next to ``path``, fsync it, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _find_nemo(trainer: Any, log_dir: Path | None, name: str) -> Path | None:
    """The ``.nemo`` exp_manager wrote at the end of ``fit``, or None when it wrote none."""
    path = getattr(trainer.checkpoint_callback, "nemo_path", "") or (
        log_dir / "checkpoints" / f"{name}.nemo" if log_dir else ""
    )
    return Path(path) if path and Path(path).is_file() else None


@hydra_runner(config_path="conf", config_name="digits", schema=DigitsConfig)
def main(cfg: DictConfig) -> dict[str, Any]:
    """Run the job described by ``cfg``; return the summary (also written to ``summary.json``).

    Raises:
        RuntimeError: The restored model or the ONNX export does not reproduce the trained model.
    """
    import logging

    import lightning.pytorch as pl
    import numpy as np
    import torch

    from digits_model import DigitsClassifier, digits_split
    from nemo.utils.exp_manager import exp_manager

    # `lightning` prints to its own console handler; Hydra's root handler would print every line a second time.
    logging.getLogger("lightning").propagate = False
    pl.seed_everything(cfg.seed, verbose=False)
    trainer_args = {
        k: v for k, v in OmegaConf.to_container(cfg.trainer, resolve=True).items() if v is not None
    }
    trainer = pl.Trainer(**trainer_args)
    log_dir = exp_manager(trainer, cfg.get("exp_manager"))
    model = DigitsClassifier(cfg=cfg.model, trainer=trainer)
    print(
        f"DigitsClassifier: {model.num_weights:,} parameters; training on {trainer.accelerator.__class__.__name__}"
    )
    trainer.fit(model)
    optimizer = type(trainer.optimizers[0]).__name__ if trainer.optimizers else None
    schedulers = [type(c.scheduler).__name__ for c in trainer.lr_scheduler_configs]

    # exp_manager writes the .nemo when fit ends; without it (fast_dev_run, no checkpoint callback) save here.
    out_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix=f"{cfg.name}-"))
    nemo_path = _find_nemo(trainer, Path(log_dir) if log_dir else None, cfg.name)
    if nemo_path is None:
        nemo_path = Path(model.save_to(str(out_dir / f"{cfg.name}.nemo")))
        print(f"exp_manager wrote no .nemo (fast_dev_run or no checkpoint callback): saved {nemo_path}")

    # The trained model's logits on the evaluation split: the reference every later step must reproduce.
    eval_split = "test" if cfg.model.get("test_ds") is not None else "validation"
    split = cfg.model.split
    images, labels = digits_split(int(split.seed), float(split.validation), float(split.test))[eval_split]
    model = model.cpu().eval()
    with torch.no_grad():
        trained_logits = model(images=torch.from_numpy(images))

    def write_predictions(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, images=images, labels=labels, logits=trained_logits.numpy())

    _write_atomically(out_dir / "predictions.npz", write_predictions)

    restored = _restore_and_compare(DigitsClassifier, nemo_path, images, trained_logits)

    test_metrics: dict[str, float] = {}
    if cfg.model.get("test_ds") is not None:
        restored.setup_test_data(cfg.model.test_ds)
        test_metrics = {k: float(v) for k, v in trainer.test(restored, verbose=False)[0].items()}
    else:
        print(
            "model.test_ds is not set: skipping evaluation on the test split (checks use the validation split)"
        )

    onnx_path, onnx_diff = None, None
    if cfg.export.onnx:
        onnx_path = out_dir / f"{cfg.name}.onnx"
        onnx_diff = _export_and_check_onnx(restored.cpu().eval(), onnx_path, images, cfg.export.tolerance)

    summary = {
        "test_accuracy": test_metrics.get("test_acc"),
        "test_loss": test_metrics.get("test_loss"),
        "eval_split": eval_split,
        "eval_accuracy": float((trained_logits.argmax(-1).numpy() == labels).mean()),
        "wall_time_s": round(time.perf_counter() - _START, 2),
        "global_step": trainer.global_step,
        "optimizer": optimizer,
        "scheduler": schedulers[0] if schedulers else None,
        "experiment_dir": str(log_dir) if log_dir else None,
        "nemo": str(nemo_path),
        "onnx": str(onnx_path) if onnx_path else None,
        "onnx_max_abs_diff": onnx_diff,
        "checkpoints": sorted(str(p) for p in out_dir.glob("checkpoints/*.ckpt")),
        "tensorboard_events": sorted(str(p) for p in out_dir.glob("events.out.tfevents.*")),
        "predictions": str(out_dir / "predictions.npz"),
    }
    _write_atomically(
        out_dir / "summary.json", lambda tmp: Path(tmp).write_text(json.dumps(summary, indent=2) + "\n")
    )
    _print_summary(summary, out_dir)
    return summary


def _restore_and_compare(cls: Any, nemo_path: Path, images: Any, trained_logits: Any) -> Any:
    """Restore ``nemo_path`` with ``cls``; its logits on ``images`` must equal the trained model's exactly.

    Raises:
        RuntimeError: The restored model's logits differ.
    """
    import torch

    restored = cls.restore_from(str(nemo_path), map_location="cpu").eval()
    with torch.no_grad():
        restored_logits = restored(images=torch.from_numpy(images))
    if not torch.equal(restored_logits, trained_logits):
        diff = (restored_logits - trained_logits).abs().max().item()
        raise RuntimeError(
            f"the model restored from {nemo_path} differs from the trained model by {diff:.3g}"
        )
    return restored


def _export_and_check_onnx(model: Any, path: Path, images: Any, tolerance: float) -> float:
    """Export ``model`` to ONNX at ``path``, run it in onnxruntime on ``images``; return the largest difference.

    Raises:
        RuntimeError: onnxruntime's logits differ from PyTorch's by more than ``tolerance`` x max(1, |logit|).
    """
    import numpy as np
    import onnxruntime
    import torch

    model.export(str(path))
    with torch.no_grad():
        expected = model(images=torch.from_numpy(images)).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"images": images})
    diff = float(np.abs(got - expected).max())
    # Relative to the logits' scale (at least 1): float32 kernels differ in their last bits, not more.
    scale = max(1.0, float(np.abs(expected).max()))
    if diff > tolerance * scale:
        raise RuntimeError(
            f"onnxruntime's logits from {path} differ from PyTorch's by {diff:.3g} (largest |logit| "
            f"{scale:.3g}); export.tolerance allows {tolerance} x max(1, largest |logit|)"
        )
    return diff


def _print_summary(summary: dict[str, Any], out_dir: Path) -> None:
    """The short report at the end of the job, with the ``.nemo``'s ``nemo-archive info``."""
    from nemo_archive.cli import main as nemo_archive

    accuracy = summary["test_accuracy"]
    lines = [
        "",
        "=" * 72,
        f"test accuracy      {accuracy:.4f}"
        if accuracy is not None
        else "test accuracy      skipped (no model.test_ds)",
        f"wall time          {summary['wall_time_s']:.1f} s ({summary['global_step']} training steps)",
        f"optimization       {summary['optimizer']} with {summary['scheduler'] or 'a constant learning rate'}",
        f"experiment dir     {summary['experiment_dir'] or 'none (exp_manager is off under fast_dev_run)'}",
        f".nemo              {summary['nemo']}  (restored: same predictions as the trained model)",
    ]
    if summary["onnx"]:
        lines.append(
            f"ONNX               {summary['onnx']}  (onnxruntime max |diff| {summary['onnx_max_abs_diff']:.2e})"
        )
    lines.append(f"summary            {out_dir / 'summary.json'}")
    if summary["experiment_dir"]:
        lines.append(f"TensorBoard        tensorboard --logdir {summary['experiment_dir']}")
    lines += ["", f"$ nemo-archive info {summary['nemo']}"]
    print("\n".join(lines), flush=True)
    nemo_archive(["info", summary["nemo"]])
    sys.stdout.flush()


if __name__ == "__main__":
    main()
