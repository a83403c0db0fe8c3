"""Unpacked saves (``pack_nemo_file=False``) killed with SIGKILL at chosen points: afterwards the complete old
or the complete new folder is at the save path (with renameat2(RENAME_EXCHANGE) at once; with the fallback
protocol after the recovery every later save or restore runs), and later saves leave no leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nemo_archive import _dirswap

TESTS = Path(__file__).resolve().parent
PARTS = 3

SWAP_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from nemo_archive import _dirswap

    dest, version, kill_at, mode = sys.argv[1:5]
    if mode == "fallback":
        _dirswap._exchange_call = None

    def step(name):
        if name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    _dirswap._step = step
    staging = _dirswap.staging_dir(dest)
    for i in range(PARTS):
        (staging / f"part{i}").write_text(version)
        if kill_at == f"writing{i}":
            os.kill(os.getpid(), signal.SIGKILL)
    _dirswap.replace_dir(staging, dest)
    """
).replace("PARTS", str(PARTS))


def _exchange_works(tmp_path: Path) -> bool:
    a, b = tmp_path / "probe-a", tmp_path / "probe-b"
    a.mkdir()
    b.mkdir()
    try:
        return _dirswap.exchange(a, b)
    finally:
        a.rmdir()
        b.rmdir()


def _write(dest: Path, version: str) -> None:
    staging = _dirswap.staging_dir(dest)
    for i in range(PARTS):
        (staging / f"part{i}").write_text(version)
    _dirswap.replace_dir(staging, dest)


def _version(dest: Path) -> str | None:
    """The version of the complete folder at ``dest`` (None when absent); fails on a mixed or partial one."""
    if not dest.exists():
        return None
    assert sorted(os.listdir(dest)) == [f"part{i}" for i in range(PARTS)]
    (version,) = {(dest / f"part{i}").read_text() for i in range(PARTS)}
    return version


def _leftovers(dest: Path) -> list[str]:
    return sorted(e for e in os.listdir(dest.parent) if e.startswith(f".{dest.name}.swap"))


def _run_killed(script: Path, *args: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(script), *args], check=False, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


# kill point -> the version the save path holds afterwards (once recovered)
EXCHANGE_POINTS = {"writing1": "v1", "staged": "v1", "exchanged": "v2", "cleaned": "v2"}
FALLBACK_POINTS = {"writing1": "v1", "staged": "v1", "backed-up": "v1", "renamed": "v2", "cleaned": "v2"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "kill_at", "expected"),
    [("exchange", k, v) for k, v in EXCHANGE_POINTS.items()]
    + [("fallback", k, v) for k, v in FALLBACK_POINTS.items()],
)
def test_killed_folder_swap_leaves_old_or_new(tmp_path, mode, kill_at, expected):
    if mode == "exchange" and not _exchange_works(tmp_path):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    script = tmp_path / "child.py"
    script.write_text(SWAP_CHILD)
    dest = tmp_path / "model"
    if mode == "fallback":
        _dirswap._exchange_call, saved = None, _dirswap._exchange_call
    else:
        saved = _dirswap._exchange_call
    try:
        _write(dest, "v1")
        _run_killed(script, str(dest), "v2", kill_at, mode)
        if mode == "exchange":
            assert _version(dest) == expected  # no recovery needed: the folder is always complete
        elif not dest.exists():
            assert kill_at == "backed-up"
            assert _version(_dirswap.backup_path(dest)) == "v1"  # the documented, recoverable state
        _dirswap.recover(dest)
        assert _version(dest) == expected
        assert _leftovers(dest) == []  # the dead child's staging folder was removed too
        _write(dest, "v3")
        assert _version(dest) == "v3"
        assert _leftovers(dest) == []
    finally:
        _dirswap._exchange_call = saved


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["writing1", "staged", "renamed"])
def test_killed_first_save_leaves_nothing_or_the_new_folder(tmp_path, kill_at):
    script = tmp_path / "child.py"
    script.write_text(SWAP_CHILD)
    dest = tmp_path / "model"
    _run_killed(script, str(dest), "v1", kill_at, "exchange")
    _dirswap.recover(dest)
    assert _version(dest) == ("v1" if kill_at == "renamed" else None)
    assert _leftovers(dest) == []


MODEL_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import torch
    from nemo_archive import _dirswap
    from modelpt_test_models import RefSmallModel

    ref, folder, value, kill_at, mode = sys.argv[1:6]
    if mode == "fallback":
        _dirswap._exchange_call = None
    model = RefSmallModel.restore_from(ref, map_location="cpu")
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float(value))
    model._save_restore_connector.pack_nemo_file = False

    def step(name):
        if name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    _dirswap._step = step
    real_save = torch.save

    def dying_save(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        if kill_at == "weights":
            os.kill(os.getpid(), signal.SIGKILL)

    torch.save = dying_save
    model.save_to(folder)
    """
)


def _model_value(folder: Path) -> float:
    from modelpt_test_models import RefSmallModel

    model = RefSmallModel.restore_from(str(folder), map_location="cpu")
    values = {float(v) for p in model.parameters() for v in p.detach().flatten()}
    assert model.vocab is not None  # the artifact came along
    (value,) = values
    return value


@pytest.mark.slow
@pytest.mark.parametrize(("kill_at", "mode"), [("weights", "exchange"), ("backed-up", "fallback")])
def test_killed_unpacked_model_save_restores_the_old_model(tmp_path, ref_nemo, kill_at, mode):
    import torch

    from modelpt_test_models import RefSmallModel

    folder = tmp_path / "model"
    model = RefSmallModel.restore_from(str(ref_nemo), map_location="cpu")
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    model._save_restore_connector.pack_nemo_file = False
    model.save_to(str(folder))
    script = tmp_path / "child.py"
    script.write_text(MODEL_CHILD)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, str(script), str(ref_nemo), str(folder), "2.0", kill_at, mode],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if mode == "fallback":
        assert not folder.exists()  # killed between the two renames
    assert _model_value(folder) == 1.0  # restore_from brought the old folder back first
    model.save_to(str(folder))  # the next save cleans up after the dead one
    assert sorted(e for e in os.listdir(tmp_path) if e.startswith(".")) == []
