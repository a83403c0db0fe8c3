"""Loggers, each read back from what it wrote: TensorBoard events, MLflow's local store, W&B offline files."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

import tiny
from expmanager import MissingPackageError, exp_manager

BASE = {"create_checkpoint_callback": False, "seconds_to_sleep": 0}


def _scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_tensorboard_events_hold_losses_and_step_timing(tmp_path: Path) -> None:
    trainer = tiny.make_trainer(tmp_path, max_epochs=2)
    cfg = {**BASE, "exp_dir": str(tmp_path), "name": "tb", "summary_writer_kwargs": {"max_queue": 1}}
    log_dir = exp_manager(trainer, cfg)
    assert log_dir is not None
    trainer.fit(tiny.TinyModel())
    scalars = _scalars(log_dir)
    assert len(scalars["train_step_timing in s"]) == 16  # one per step, 8 steps x 2 epochs
    assert all(v > 0 for _, v in scalars["train_step_timing in s"])
    assert len(scalars["train_backward_timing in s"]) == 16
    assert len(scalars["val_loss"]) == 2
    assert len(scalars["validation_step_timing in s"]) == 4  # 2 batches x 2 validations
    assert [s for s, _ in scalars["train_loss"]] == list(range(16))
    assert list(log_dir.glob("events.out.tfevents.*"))
    assert trainer.loggers[0].log_dir == str(log_dir)


def test_step_timing_reduction_and_delta_timing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    trainer = tiny.make_trainer(tmp_path, max_epochs=1, limit_val_batches=0)
    cfg = {**BASE, "explicit_log_dir": str(tmp_path / "d"), "log_delta_step_timing": True}
    exp_manager(trainer, cfg)
    with caplog.at_level("INFO", logger="expmanager"):
        trainer.fit(tiny.TinyModel())
    lines = [r.getMessage() for r in caplog.records if "train_step_timing in s=" in r.getMessage()]
    assert len(lines) == 8
    assert lines[0].startswith("Step 1: train_step_timing in s=")
    assert "train_step_timing in s" not in _scalars(tmp_path / "d")  # delta timing only prints


def test_mlflow_local_store_holds_run_params_and_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # exp_manager allows NeMo's file store

    store = tmp_path / "mlruns"
    trainer = tiny.make_trainer(tmp_path, max_epochs=2)
    cfg = {
        **BASE,
        "exp_dir": str(tmp_path),
        "name": "mlf",
        "version": "v3",
        "create_tensorboard_logger": False,
        "create_mlflow_logger": True,
        "mlflow_logger_kwargs": {"save_dir": str(store), "tags": {"team": "a"}},
    }
    exp_manager(trainer, cfg)
    trainer.fit(tiny.TinyModel(lr=0.02))
    client = mlflow.MlflowClient(tracking_uri=store.as_uri())
    experiment = client.get_experiment_by_name("mlf")  # experiment_name defaults to cfg.name
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "v3"  # run_name defaults to the version (NeMo passed it twice: TypeError)
    assert run.data.tags["team"] == "a"
    assert run.data.params["lr"] == "0.02"
    history = client.get_metric_history(run.info.run_id, "train_loss")
    assert sorted(m.step for m in history) == list(range(16))
    assert len(client.get_metric_history(run.info.run_id, "val_loss")) == 2


# MLflow's SQLAlchemy store uses a loader option SQLAlchemy 2.1 deprecates: MLflow's code, not ours.
@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy is deprecated")
def test_mlflow_sqlite_tracking_uri_and_explicit_run_name(tmp_path: Path) -> None:
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    trainer = tiny.make_trainer(tmp_path, max_epochs=1, limit_val_batches=0)
    cfg = {
        **BASE,
        "explicit_log_dir": str(tmp_path / "e"),
        "create_tensorboard_logger": False,
        "create_mlflow_logger": True,
        "mlflow_logger_kwargs": {"tracking_uri": uri, "run_name": "mine", "experiment_name": "x"},
    }
    exp_manager(trainer, cfg)
    trainer.fit(tiny.TinyModel())
    client = mlflow.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("x").experiment_id])  # type: ignore[union-attr]
    assert run.info.run_name == "mine"


def test_wandb_offline_run_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wandb-config"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache"))
    trainer = tiny.make_trainer(tmp_path, max_epochs=1)
    cfg = {
        **BASE,
        "exp_dir": str(tmp_path / "exps"),
        "name": "wb",
        "version": "v1",
        "create_tensorboard_logger": False,
        "create_wandb_logger": True,
        "wandb_logger_kwargs": {"project": "proj", "name": "wb-run"},
    }
    exp_manager(trainer, cfg)
    trainer.fit(tiny.TinyModel())
    import wandb

    wandb.finish()
    (run_dir,) = (tmp_path / "exps" / "wandb").glob("offline-run-*-v1")  # save_dir defaults to exp_dir
    (record,) = run_dir.glob("run-v1.wandb")
    # The run file is wandb's record log (protobuf records, uncompressed): the logged keys and the
    # hyperparameters appear in it verbatim. wandb's service process may still be flushing it after
    # finish() returns on a loaded machine, so read it until complete, for at most 60 s.
    keys = (b"train_loss", b"val_loss", b"train_step_timing in s", b"wb-run", b"proj")
    deadline = time.monotonic() + 60
    data = record.read_bytes()
    while not all(key in data for key in keys) and time.monotonic() < deadline:
        time.sleep(0.5)
        data = record.read_bytes()
    for key in keys:
        assert key in data, key


@pytest.mark.parametrize(
    ("flag", "package", "kwargs"),
    [
        ("create_clearml_logger", "clearml", {}),
        ("create_neptune_logger", "neptune", {"neptune_logger_kwargs": {"project": "p", "api_key": "k"}}),
        ("create_dllogger_logger", "dllogger", {}),
    ],
)
def test_missing_optional_logger_names_its_package(
    tmp_path: Path, flag: str, package: str, kwargs: dict
) -> None:
    if importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed here; this test covers its absence")
    with pytest.raises(MissingPackageError, match=f"'{package}' is not installed") as info:
        exp_manager(
            tiny.make_trainer(tmp_path),
            {**BASE, "explicit_log_dir": str(tmp_path / "x"), flag: True, **kwargs},
        )
    assert flag in str(info.value)
    assert not (tmp_path / "x").exists()  # refused before creating anything
