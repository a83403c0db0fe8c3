"""Directory layout, versions, run_N archiving, the files exp_manager writes, conflicts with the trainer."""

from __future__ import annotations

import logging
import os
import re
import subprocess
from pathlib import Path

import pytest
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

import tiny
from expmanager import (
    CheckpointMisconfigurationError,
    ConfigError,
    LoggerMisconfigurationError,
    MissingPackageError,
    exp_manager,
)

QUIET = {"create_tensorboard_logger": False, "create_checkpoint_callback": False, "seconds_to_sleep": 0}


def test_default_layout_is_cwd_nemo_experiments_default_datetime(tmp_path: Path) -> None:
    log_dir = exp_manager(tiny.make_trainer(tmp_path), dict(QUIET))
    assert log_dir is not None
    assert log_dir.parent == tmp_path / "nemo_experiments" / "default"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d", log_dir.name)
    assert os.environ["NEMO_EXPM_VERSION"] == log_dir.name  # what spawned ranks will read
    assert (log_dir / "cmd-args.log").read_text() != ""


def test_integer_versions_count_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = {**QUIET, "exp_dir": str(tmp_path / "exps"), "name": "mine", "use_datetime_version": False}
    first = exp_manager(tiny.make_trainer(tmp_path), cfg)
    monkeypatch.delenv("NEMO_EXPM_VERSION")
    second = exp_manager(tiny.make_trainer(tmp_path), cfg)
    assert first == tmp_path / "exps" / "mine" / "version_0"
    assert second == tmp_path / "exps" / "mine" / "version_1"


def test_version_from_environment_is_shared_by_all_ranks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEMO_EXPM_VERSION", "chosen_by_rank0")
    monkeypatch.setenv("LOCAL_RANK", "1")
    cfg = {**QUIET, "exp_dir": str(tmp_path), "name": "n"}
    assert exp_manager(tiny.make_trainer(tmp_path), cfg) == tmp_path / "n" / "chosen_by_rank0"


def test_explicit_log_dir_and_explicit_version(tmp_path: Path) -> None:
    assert exp_manager(
        tiny.make_trainer(tmp_path), {**QUIET, "explicit_log_dir": str(tmp_path / "here")}
    ) == (tmp_path / "here")
    cfg = {**QUIET, "exp_dir": str(tmp_path), "name": "n", "version": "v7"}
    assert exp_manager(tiny.make_trainer(tmp_path), cfg) == tmp_path / "n" / "v7"


def test_resume_if_exists_makes_no_version_folder(tmp_path: Path) -> None:
    cfg = {
        **QUIET,
        "exp_dir": str(tmp_path),
        "name": "n",
        "resume_if_exists": True,
        "resume_ignore_no_checkpoint": True,
    }
    assert exp_manager(tiny.make_trainer(tmp_path), cfg) == tmp_path / "n"


def test_run_n_archiving_happens_only_when_resuming(tmp_path: Path) -> None:
    explicit = tmp_path / "exp"
    plain = {**QUIET, "explicit_log_dir": str(explicit)}
    exp_manager(tiny.make_trainer(tmp_path), plain)
    (explicit / "notes.txt").write_text("first run")
    exp_manager(tiny.make_trainer(tmp_path), plain)  # not resuming: nothing moves
    assert not list(explicit.glob("run_*"))
    resuming = {**plain, "resume_if_exists": True, "resume_ignore_no_checkpoint": True}
    exp_manager(tiny.make_trainer(tmp_path), resuming)
    exp_manager(tiny.make_trainer(tmp_path), resuming)
    assert (explicit / "run_0" / "notes.txt").read_text() == "first run"
    assert (explicit / "run_0" / "cmd-args.log").exists()
    assert (explicit / "run_1" / "cmd-args.log").exists()
    assert (explicit / "cmd-args.log").exists()


def test_cmd_args_git_info_and_files_to_copy(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    os.chdir(repo)
    subprocess.run(["git", "init", "-q"], check=True)
    (repo / "train.yaml").write_text("lr: 1\n")
    subprocess.run(["git", "add", "train.yaml"], check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"], check=True)
    (repo / "train.yaml").write_text("lr: 2\n")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    cfg = {**QUIET, "explicit_log_dir": str(tmp_path / "out"), "files_to_copy": [str(repo / "train.yaml")]}
    log_dir = exp_manager(tiny.make_trainer(tmp_path), cfg)
    assert log_dir is not None
    git_info = (log_dir / "git-info.log").read_text()
    assert git_info.startswith(f"commit hash: {head}\n")
    assert "+lr: 2" in git_info  # the uncommitted diff is recorded
    assert (log_dir / "train.yaml").read_text() == "lr: 2\n"
    import sys

    assert (log_dir / "cmd-args.log").read_text() == " ".join(sys.argv)


def test_no_git_info_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tmp_path may itself lie inside a repository (the isolated session's temp dir does): stop git there
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    log_dir = exp_manager(tiny.make_trainer(tmp_path), {**QUIET, "explicit_log_dir": str(tmp_path / "out")})
    assert log_dir is not None
    assert not (log_dir / "git-info.log").exists()


def test_missing_files_to_copy_are_all_named(tmp_path: Path) -> None:
    cfg = {**QUIET, "explicit_log_dir": str(tmp_path / "o"), "files_to_copy": ["nope1.txt", "nope2.txt"]}
    with pytest.raises(ConfigError, match=r"\['nope1.txt', 'nope2.txt'\]"):
        exp_manager(tiny.make_trainer(tmp_path), cfg)


def test_log_files_and_rank_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log_dir = exp_manager(tiny.make_trainer(tmp_path), {**QUIET, "explicit_log_dir": str(tmp_path / "r0")})
    assert log_dir is not None
    logging.getLogger("expmanager").warning("something odd")
    logging.getLogger("lightning.pytorch").info("from lightning")
    assert "something odd" in (log_dir / "nemo_error_log.txt").read_text()
    assert "something odd" in (log_dir / "nemo_log_globalrank-0_localrank-0.txt").read_text()
    assert "from lightning" in (log_dir / "lightning_logs.txt").read_text()
    assert "Experiments will be logged at" in (log_dir / "nemo_log_globalrank-0_localrank-0.txt").read_text()

    # a local rank 1 process: its own file by default, none with log_local_rank_0_only or _global_rank_0_only
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("NEMO_EXPM_VERSION", "v")
    for flags, expect_file in (
        ({}, True),
        ({"log_local_rank_0_only": True}, False),
        ({"log_global_rank_0_only": True}, False),
    ):
        target = tmp_path / f"r1-{len(flags)}-{sorted(flags)}"
        exp_manager(tiny.make_trainer(tmp_path), {**QUIET, "explicit_log_dir": str(target), **flags})
        assert (target / "nemo_log_globalrank-1_localrank-1.txt").exists() == expect_file, flags
        assert not (target / "lightning_logs.txt").exists()  # global rank 0 only
        assert not (target / "cmd-args.log").exists()


def test_cfg_none_and_fast_dev_run_disable_exp_manager(tmp_path: Path) -> None:
    assert exp_manager(tiny.make_trainer(tmp_path), None) is None
    assert exp_manager(tiny.make_trainer(tmp_path, fast_dev_run=True), dict(QUIET)) is None


def test_trainer_logger_clashes_with_created_loggers(tmp_path: Path) -> None:
    trainer = tiny.make_trainer(tmp_path, logger=CSVLogger(str(tmp_path / "csv")))
    with pytest.raises(LoggerMisconfigurationError, match=r"create_tensorboard_logger=True") as info:
        exp_manager(trainer, {"create_checkpoint_callback": False})
    assert "logger=False" in str(info.value)
    with pytest.raises(LoggerMisconfigurationError, match="explicit_log_dir"):
        exp_manager(trainer, {**QUIET, "explicit_log_dir": str(tmp_path / "x")})
    with pytest.raises(LoggerMisconfigurationError, match="name='other'"):
        exp_manager(trainer, {**QUIET, "name": "other"})
    with pytest.raises(LoggerMisconfigurationError, match="exp_dir="):
        exp_manager(trainer, {**QUIET, "exp_dir": str(tmp_path / "elsewhere")})


def test_trainer_checkpointing_clashes_with_checkpoint_callback(tmp_path: Path) -> None:
    with pytest.raises(CheckpointMisconfigurationError, match="enable_checkpointing=False"):
        exp_manager(
            tiny.make_trainer(tmp_path, enable_checkpointing=True), {"create_tensorboard_logger": False}
        )
    trainer = tiny.make_trainer(
        tmp_path, enable_checkpointing=True, callbacks=[ModelCheckpoint(dirpath=str(tmp_path))]
    )
    with pytest.raises(CheckpointMisconfigurationError):
        exp_manager(trainer, {"create_tensorboard_logger": False})


def test_always_save_nemo_with_model_parallel_is_refused(tmp_path: Path) -> None:
    cfg = {
        "create_tensorboard_logger": False,
        "checkpoint_callback_params": {"always_save_nemo": True, "model_parallel_size": 2},
    }
    with pytest.raises(LoggerMisconfigurationError, match="model_parallel_size=2"):
        exp_manager(tiny.make_trainer(tmp_path), cfg)


@pytest.mark.parametrize("flag", ["create_straggler_detection_callback", "create_fault_tolerance_callback"])
def test_resiliency_features_name_their_package(tmp_path: Path, flag: str) -> None:
    with pytest.raises(MissingPackageError, match="nvidia-resiliency-ext"):
        exp_manager(tiny.make_trainer(tmp_path), {**QUIET, flag: True})


# CSVLogger warns that the directory is not empty: exp_manager has already written cmd-args.log and its log
# files there (they survive; CSVLogger only replaces metrics.csv).
@pytest.mark.filterwarnings("ignore:Experiment logs directory .* exists and is not empty:UserWarning")
def test_csv_logger_of_the_trainer_decides_name_and_version(tmp_path: Path) -> None:
    """A trainer that brings its own (CSV) logger: exp_manager logs into that logger's directory."""
    trainer = tiny.make_trainer(tmp_path, logger=CSVLogger(str(tmp_path / "csv"), name="exp"), max_epochs=1)
    log_dir = exp_manager(trainer, {**QUIET, "create_checkpoint_callback": True})
    assert log_dir == tmp_path / "csv" / "exp" / "version_0"
    trainer.fit(tiny.TinyModel())
    metrics = (log_dir / "metrics.csv").read_text().splitlines()
    header = metrics[0].split(",")
    assert "train_step_timing in s" in header
    assert "val_loss" in header
    assert "train_loss" in header
    assert len(metrics) > 8
    assert list((log_dir / "checkpoints").glob("exp--val_loss=*-epoch=1-last.ckpt"))  # refreshed at train end
