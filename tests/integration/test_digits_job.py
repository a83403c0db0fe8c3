"""The main job, ``examples/digits/train.py``, run as a real subprocess with reduced overrides.

The job's own checks (restored == trained, onnxruntime ≈ PyTorch) are repeated here independently: the test
restores the ``.nemo`` itself and runs the ONNX file itself, against the trained model's logits the job wrote.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DIGITS = Path(__file__).resolve().parents[2] / "examples" / "digits"
TRAIN = DIGITS / "train.py"


def run_job(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    """Run the job in ``tmp_path`` (its cwd and temp dir), with its experiments under ``tmp_path/exp``."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("HYDRA_FULL_ERROR", None)
    env.pop("NEMO_EXPM_VERSION", None)
    return subprocess.run(
        [sys.executable, str(TRAIN), f"exp_manager.exp_dir={tmp_path / 'exp'}", *overrides],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def summary_of(result: subprocess.CompletedProcess[str]) -> tuple[Path, dict]:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    match = re.search(r"^summary +(\S+)$", result.stdout, re.MULTILINE)
    assert match, result.stdout[-3000:]
    path = Path(match.group(1))
    return path, json.loads(path.read_text(encoding="utf-8"))


def tensorboard_scalars(log_dir: Path) -> dict[str, list[float]]:
    """Every scalar the run logged to TensorBoard, read back from its event files."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars: dict[str, list[float]] = {}
    for events in sorted(log_dir.glob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(events))
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            scalars.setdefault(tag, []).extend(e.value for e in accumulator.Scalars(tag))
    return scalars


def check_restored_and_onnx_independently(summary: dict, nemo: Path, monkeypatch) -> None:
    """Restore the .nemo in this process and run the ONNX file; compare with the trained model's logits."""
    import numpy as np
    import onnxruntime as ort
    import torch

    # Independently of the job: restore the .nemo here and compare with the trained model's logits.
    reference = np.load(summary["predictions"])
    monkeypatch.syspath_prepend(str(DIGITS))
    from digits_model import DigitsClassifier

    restored = DigitsClassifier.restore_from(str(nemo), map_location="cpu").eval()
    # Weights: exactly those of the checkpoint written when fit ended.
    end_ckpt = next(p for p in summary["checkpoints"] if p.endswith("-end.ckpt"))
    trained_state = torch.load(end_ckpt, map_location="cpu", weights_only=False)["state_dict"]
    restored_state = restored.state_dict()
    assert trained_state.keys() == restored_state.keys()
    assert all(torch.equal(trained_state[k], restored_state[k]) for k in trained_state)
    # Outputs: the trained model's logits (the job checks bit equality in its own process; another process
    # may pick other CPU kernels, hence the float32 tolerance), and the same predicted classes.
    with torch.no_grad():
        logits = restored(images=torch.from_numpy(reference["images"]))
    trained = torch.from_numpy(reference["logits"])
    assert torch.allclose(logits, trained, rtol=1e-5, atol=1e-6)
    assert torch.equal(logits.argmax(-1), trained.argmax(-1))
    accuracy = float((logits.argmax(-1).numpy() == reference["labels"]).mean())
    assert accuracy == pytest.approx(summary["test_accuracy"], abs=1e-6)  # trainer.test on the test split

    session = ort.InferenceSession(summary["onnx"], providers=["CPUExecutionProvider"])
    (onnx_logits,) = session.run(None, {"images": reference["images"]})
    np.testing.assert_allclose(
        onnx_logits, reference["logits"], atol=1e-4 * max(1.0, np.abs(onnx_logits).max())
    )


def test_digits_job_trains_saves_restores_tests_and_exports(tmp_path, monkeypatch):
    # 2 epochs of 4 batches: a validation (hence a checkpoint) after each.
    result = run_job(
        tmp_path,
        "trainer.max_steps=8",
        "trainer.limit_train_batches=4",
        "trainer.max_epochs=5",
        "trainer.log_every_n_steps=2",
    )
    summary_path, summary = summary_of(result)

    log_dir = Path(summary["experiment_dir"])
    assert tmp_path / "exp" / "digits" in log_dir.parents
    assert summary_path == log_dir / "summary.json"
    assert summary["global_step"] == 8
    assert summary["optimizer"] == "Novograd"  # conf/digits.yaml, through ModelPT.setup_optimization
    assert summary["scheduler"] == "CosineAnnealing"
    assert summary["eval_split"] == "test"
    assert 0.0 <= summary["test_accuracy"] <= 1.0
    assert summary["onnx_max_abs_diff"] <= 1e-3

    nemo = Path(summary["nemo"])
    assert nemo == log_dir / "checkpoints" / "digits.nemo"
    assert nemo.is_file()
    assert Path(summary["onnx"]).is_file()
    assert summary["tensorboard_events"]
    assert all(Path(p).is_file() for p in summary["tensorboard_events"])
    scalars = tensorboard_scalars(log_dir)
    assert len(scalars["train_loss"]) == 4  # every other step
    assert len(scalars["val_loss"]) == len(scalars["val_acc"]) == 2  # one validation per epoch
    assert scalars["test_acc"] == [pytest.approx(summary["test_accuracy"])]
    assert max(scalars["lr"]) <= 0.01  # warmup and cosine decay below conf/digits.yaml's peak lr
    names = sorted(Path(p).name for p in summary["checkpoints"])
    assert any(n.endswith("-last.ckpt") for n in names), names
    assert any(n.endswith("-end.ckpt") for n in names), names
    assert all((log_dir / "checkpoints" / n).is_file() for n in names)

    # The printed summary: accuracy, wall time, directories, nemo-archive info and how to open TensorBoard.
    out = result.stdout
    assert f"test accuracy      {summary['test_accuracy']:.4f}" in out
    assert re.search(r"^wall time +[\d.]+ s \(8 training steps\)$", out, re.MULTILINE)
    assert f"tensorboard --logdir {log_dir}" in out
    assert f"$ nemo-archive info {nemo}" in out
    assert "target: digits_model.DigitsClassifier" in out
    assert re.search(r"parameters: [\d,]+", out)

    check_restored_and_onnx_independently(summary, nemo, monkeypatch)


def test_digits_job_without_test_split_under_fast_dev_run(tmp_path):
    result = run_job(tmp_path, "~model.test_ds", "+trainer.fast_dev_run=true", "model.optim.name=adamw")
    _, summary = summary_of(result)
    assert "model.test_ds is not set: skipping evaluation on the test split" in result.stdout
    assert "test accuracy      skipped" in result.stdout
    assert summary["test_accuracy"] is None
    assert summary["eval_split"] == "validation"
    assert summary["global_step"] == 1
    assert summary["optimizer"] == "AdamW"  # model.optim.name=adamw
    assert summary["experiment_dir"] is None  # exp_manager is off under fast_dev_run
    nemo = Path(summary["nemo"])
    assert tmp_path in nemo.parents  # saved by the job itself, under TMPDIR
    assert nemo.is_file()
    assert not (tmp_path / "exp").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("trainer.max_epoch=3", "Could not override 'trainer.max_epoch'"),
        ("trainer.max_epochs=three", "Value 'three' of type 'str' could not be converted to Integer"),
    ],
)
def test_bad_override_fails_with_hydras_message(tmp_path, override, message):
    result = run_job(tmp_path, override)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "exp").exists()
