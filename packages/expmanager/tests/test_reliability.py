"""Reliability in real processes: kill -9 mid-save, SIGTERM mid-epoch and exact resume, 2-process DDP on CPU.

Each interrupted run is a subprocess (``scenario.py``); the resumed or reference runs that need no separate
process run here, in the test process, to keep the suite within a few minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch

import tiny
from expmanager import exp_manager
from expmanager.ledger import LEDGER_NAME

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).parent / "scenario.py"


def _spawn(spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("NEMO_EXPM_VERSION", None)
    with open(Path(spec["out"]).parent / f"{Path(spec['out']).name}.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, str(SCRIPT), json.dumps(spec)], stdout=log, stderr=subprocess.STDOUT, env=env
        )


def _log(spec: dict[str, Any]) -> str:
    return (Path(spec["out"]).parent / f"{Path(spec['out']).name}.log").read_text(errors="replace")[-4000:]


def _results(out: Path) -> dict[int, dict[str, Any]]:
    return {int(p.stem[-1]): json.loads(p.read_text()) for p in out.glob("result-rank*.json")}


def _fit_here(tmp_path: Path, cfg: dict[str, Any], max_epochs: int, seed: int = 7) -> tuple[pl.Trainer, Any]:
    pl.seed_everything(seed, verbose=False)
    model = tiny.TinyModel(resumable_data=True)
    trainer = tiny.make_trainer(tmp_path, max_epochs=max_epochs)
    exp_manager(trainer, cfg)
    trainer.fit(model)
    return trainer, model


def test_kill_9_mid_checkpoint_write_then_resume_from_last_complete(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    cfg = {
        "explicit_log_dir": str(exp),
        "resume_if_exists": True,
        "resume_ignore_no_checkpoint": True,
        "create_tensorboard_logger": False,
        "seconds_to_sleep": 0,
        "checkpoint_callback_params": {"save_top_k": -1},
    }
    # writes: epoch 0 top-k (1), epoch 0 last (2), epoch 1 top-k (3, killed halfway)
    spec = {"mode": "killmid", "out": str(tmp_path / "out"), "max_epochs": 3, "kill_on_write": 3, "cfg": cfg}
    proc = _spawn(spec)
    assert proc.wait(timeout=300) == -signal.SIGKILL, _log(spec)
    ckpt_dir = exp / "checkpoints"
    (partial,) = [p for p in ckpt_dir.iterdir() if p.name.endswith(".nemo-tmp")]  # nemo-archive's temp naming
    with pytest.raises(Exception):  # noqa: B017,PT011 - any unpickling error: the file is really truncated
        torch.load(partial, weights_only=True)
    (last,) = ckpt_dir.glob("*last.ckpt")
    assert torch.load(last, weights_only=True)["global_step"] == 8  # the previous complete checkpoint
    assert "-epoch=1" not in " ".join(p.name for p in ckpt_dir.glob("*.ckpt"))

    # a new run resumes from the last complete checkpoint, ignores and removes the leftover, and finishes
    trainer, _ = _fit_here(tmp_path, cfg, max_epochs=3)
    assert trainer.ckpt_path == str(last)
    assert trainer.global_step == 24
    assert not [p for p in ckpt_dir.iterdir() if p.name.startswith(".")]
    assert list(ckpt_dir.glob("*-epoch=3-last.ckpt"))
    steps = sorted(
        e["step"]
        for e in json.loads((ckpt_dir / LEDGER_NAME).read_text())["entries"].values()
        if e["kind"] == "topk"
    )
    assert steps == [8, 16, 24]


def test_sigterm_mid_epoch_then_resume_equals_uninterrupted_run(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    cfg = {
        "explicit_log_dir": str(exp),
        "resume_if_exists": True,
        "resume_ignore_no_checkpoint": True,
        "create_tensorboard_logger": False,
        "seconds_to_sleep": 0,
    }
    spec = {
        "mode": "preempt",
        "out": str(tmp_path / "out"),
        "max_epochs": 3,
        "signal_step": 11,
        "resumable_data": True,
        "cfg": cfg,
    }
    proc = _spawn(spec)
    deadline = time.monotonic() + 300
    while not (tmp_path / "out" / "ready").exists():
        assert proc.poll() is None, _log(spec)
        assert time.monotonic() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=300) == 0, _log(spec)  # a clean exit, not a kill
    result = _results(tmp_path / "out")[0]
    assert result["preempted"]
    assert result["global_step"] == 12
    ckpt_dir = exp / "checkpoints"
    (last,) = ckpt_dir.glob("*last.ckpt")
    assert torch.load(last, weights_only=True)["global_step"] == 12
    assert not list(ckpt_dir.glob("*-end.ckpt"))

    # resume in a new run (this process) and finish
    resumed, resumed_model = _fit_here(tmp_path, cfg, max_epochs=3)
    assert resumed.ckpt_path == str(last)
    assert resumed.global_step == 24

    # the same training without interruption
    reference_cfg = {**cfg, "explicit_log_dir": str(tmp_path / "reference")}
    reference, reference_model = _fit_here(tmp_path, reference_cfg, max_epochs=3)
    assert reference.global_step == 24
    for key, value in reference_model.state_dict().items():
        assert torch.equal(resumed_model.state_dict()[key], value), key
    ref_opt = reference.optimizers[0].state_dict()["state"]
    res_opt = resumed.optimizers[0].state_dict()["state"]
    for index, state in ref_opt.items():
        assert torch.equal(res_opt[index]["momentum_buffer"], state["momentum_buffer"])


def test_ddp_two_processes_share_a_directory_and_resume_together(tmp_path: Path) -> None:
    cfg = {
        "exp_dir": str(tmp_path / "exps"),
        "name": "ddp",
        "create_tensorboard_logger": False,
        "seconds_to_sleep": 0.5,
        "checkpoint_callback_params": {"save_top_k": 1},
    }
    first = {"mode": "ddp", "out": str(tmp_path / "first"), "max_epochs": 3, "signal_step": 5, "cfg": cfg}
    proc = _spawn(first)
    assert proc.wait(timeout=400) == 0, _log(first)
    results = _results(tmp_path / "first")
    assert set(results) == {0, 1}, _log(first)
    # one log directory and version for both ranks, chosen by rank 0
    assert results[0]["log_dir"] == results[1]["log_dir"]
    version = Path(results[0]["log_dir"]).name
    assert results[1]["version_env"] == version
    assert Path(results[0]["log_dir"]).parent == tmp_path / "exps" / "ddp"
    # rank 1 got SIGUSR1: both ranks stopped after the same step, rank 0 wrote the checkpoint
    assert results[1]["signalled"]
    assert not results[0]["signalled"]
    assert results[0]["preempted"]
    assert results[1]["preempted"]
    assert results[0]["global_step"] == results[1]["global_step"] == 6
    assert not (tmp_path / "first" / "writes-rank1.txt").exists()
    writes = (tmp_path / "first" / "writes-rank0.txt").read_text().splitlines()
    assert "-epoch=1-last.ckpt." in writes[-1]  # the preemption checkpoint, mid-epoch 1 (its temp file)

    resume_cfg = {**cfg, "version": version, "resume_if_exists": True}
    second = {"mode": "ddp", "out": str(tmp_path / "second"), "max_epochs": 3, "cfg": resume_cfg}
    proc = _spawn(second)
    assert proc.wait(timeout=400) == 0, _log(second)
    results = _results(tmp_path / "second")
    assert set(results) == {0, 1}, _log(second)
    ckpt_dir = Path(results[0]["log_dir"]) / "checkpoints"
    (resumed_from,) = {r["ckpt_path"] for r in results.values()}  # the same checkpoint on both ranks
    assert Path(resumed_from).parent == ckpt_dir
    assert resumed_from.endswith("last.ckpt")
    assert results[0]["start_step"] == results[1]["start_step"] == 6
    assert results[0]["global_step"] == results[1]["global_step"] == 12  # 4 steps per rank per epoch x 3
    # only rank 0 wrote checkpoints and the .nemo
    assert not (tmp_path / "second" / "writes-rank1.txt").exists()
    assert not (tmp_path / "second" / "nemo-rank1.txt").exists()
    assert (tmp_path / "second" / "nemo-rank0.txt").read_text().count(".nemo") == 1
    assert (ckpt_dir / "ddp.nemo").exists()
    assert list(ckpt_dir.glob("*-epoch=3-last.ckpt"))
    # the final weights agree across ranks
    weights = [
        torch.load(tmp_path / "second" / f"final-rank{r}.pt", weights_only=True)["model"] for r in (0, 1)
    ]
    for key, value in weights[0].items():
        assert torch.equal(weights[1][key], value)


def test_kill_9_while_replacing_last_then_resume_from_the_newest_complete(tmp_path: Path) -> None:
    """Killed while removing the old -last after publishing the new one: resume neither refuses nor regresses."""
    exp = tmp_path / "exp"
    cfg = {
        "explicit_log_dir": str(exp),
        "resume_if_exists": True,
        "resume_ignore_no_checkpoint": True,
        "create_tensorboard_logger": False,
        "seconds_to_sleep": 0,
        "checkpoint_callback_params": {"save_top_k": -1},
    }
    spec = {
        "mode": "killremove",
        "out": str(tmp_path / "out"),
        "max_epochs": 3,
        "kill_on_remove": "-last",
        "cfg": cfg,
    }
    proc = _spawn(spec)
    assert proc.wait(timeout=300) == -signal.SIGKILL, _log(spec)
    ckpt_dir = exp / "checkpoints"
    lasts = sorted(ckpt_dir.glob("*last.ckpt"))
    assert len(lasts) == 2  # the old one survived the kill next to the new one
    newest = max(lasts, key=lambda p: torch.load(p, weights_only=False)["global_step"])
    trainer, _ = _fit_here(tmp_path, cfg, max_epochs=3)
    assert trainer.ckpt_path == str(newest)
    assert trainer.global_step == 24
    assert len(list(ckpt_dir.glob("*last.ckpt"))) == 1
    assert not list(ckpt_dir.glob("*-unfinished"))
