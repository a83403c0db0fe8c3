"""Two CPU processes under Lightning DDP (gloo): only global rank 0 writes the .nemo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from modelpt_test_models import TinyClassifier

SCRIPT = Path(__file__).resolve().parent / "ddp_save_script.py"


@pytest.mark.slow
def test_ddp_only_rank_zero_writes(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=540,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    r0 = json.loads((tmp_path / "rank0.txt").read_text(encoding="utf-8"))
    r1 = json.loads((tmp_path / "rank1.txt").read_text(encoding="utf-8"))
    assert r0["world_size"] == r1["world_size"] == 2
    assert r0["saved"] == str(tmp_path / "model.nemo")
    assert r0["commits"] == [r0["saved"]]
    assert r1["saved"] is None
    assert r1["commits"] == []
    assert r0["weights"] == r1["weights"]  # DDP kept the replicas in sync
    restored = TinyClassifier.restore_from(str(tmp_path / "model.nemo"), map_location="cpu")
    assert {k: v.sum().item() for k, v in restored.state_dict().items()} == pytest.approx(r0["weights"])
    assert not torch.equal(restored.decoder.weight, TinyClassifier({"hidden": 8}).decoder.weight)
