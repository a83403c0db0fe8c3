"""NeMo-style checkpoints: names, top-k, -last/-end, ledger, .nemo provenance, resume rules, EMA, stops."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import torch

import tiny
from expmanager import NotFoundError, ResumeError, exp_manager
from expmanager.ledger import LEDGER_NAME

BASE: dict[str, Any] = {"create_tensorboard_logger": False, "seconds_to_sleep": 0}


def _run(tmp_path: Path, model: Any = None, cfg: dict[str, Any] | None = None, **trainer_kwargs: Any) -> Any:
    trainer = tiny.make_trainer(tmp_path, **trainer_kwargs)
    options = {**BASE, "explicit_log_dir": str(tmp_path / "exp"), **(cfg or {})}
    log_dir = exp_manager(trainer, options)
    model = model if model is not None else tiny.TinyModel()
    trainer.fit(model)
    return trainer, model, log_dir


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _ledger(directory: Path) -> dict[str, Any]:
    return json.loads((directory / LEDGER_NAME).read_text())["entries"]


def test_default_names_top_k_last_end_nemo_and_ledger(tmp_path: Path) -> None:
    trainer, model, log_dir = _run(
        tmp_path,
        cfg={"checkpoint_callback_params": {"save_top_k": 2, "save_end_checkpoint": True}},
        max_epochs=4,
    )
    ckpt_dir = log_dir / "checkpoints"
    names = _names(ckpt_dir)
    topk = [n for n in names if n.endswith(".ckpt") and not n.endswith(("-last.ckpt", "-end.ckpt"))]
    assert len(topk) == 2
    assert all(n.startswith("default--val_loss=") for n in topk)
    (last,) = [n for n in names if n.endswith("-last.ckpt")]
    (end,) = [n for n in names if n.endswith("-end.ckpt")]
    assert last.endswith("-epoch=4-last.ckpt")  # refreshed when fit ended (epoch 4 would be next), as NeMo
    assert "default.nemo" in names
    assert LEDGER_NAME in names
    assert not [n for n in names if n.startswith(".")]  # no temp files left behind

    ledger = _ledger(ckpt_dir)
    assert {n for n, e in ledger.items() if e["kind"] == "topk"} == set(topk)
    assert ledger[last]["kind"] == "last"
    assert ledger[last]["step"] == 32
    assert ledger[last]["epoch"] == 4
    assert ledger[end]["kind"] == "end"
    assert ledger[end]["step"] == 32
    best_value = min(ledger[n]["metric"] for n in topk)
    callback = trainer.checkpoint_callback
    assert Path(callback.best_model_path).name in topk
    assert callback.best_model_score.item() == pytest.approx(best_value)
    for name in topk:  # the metric in the file name is the one recorded
        assert f"val_loss={ledger[name]['metric']:.4f}" in name

    # the .nemo: written at train end by save_to, its provenance names the -end checkpoint
    weights, provenance = tiny.read_nemo(str(ckpt_dir / "default.nemo"))
    assert provenance == {
        "checkpoint": end,
        "step": 32,
        "epoch": ledger[end]["epoch"],
        "monitor": "val_loss",
        "metric": ledger[end]["metric"],
        "ema": False,
    }
    assert ledger["default.nemo"]["provenance"] == provenance
    for key, value in model.state_dict().items():
        assert torch.equal(weights[key], value)
    end_state = torch.load(ckpt_dir / end, weights_only=True)["state_dict"]
    for key, value in model.state_dict().items():
        assert torch.equal(end_state[key], value)


def test_save_best_model_restores_best_weights_into_the_nemo(tmp_path: Path) -> None:
    cfg = {"checkpoint_callback_params": {"save_top_k": 1, "save_best_model": True, "prefix": "best"}}
    trainer, model, log_dir = _run(tmp_path, model=tiny.TinyModel(), cfg=cfg, max_epochs=4)
    best = trainer.checkpoint_callback.best_model_path
    weights, provenance = tiny.read_nemo(str(log_dir / "checkpoints" / "best.nemo"))
    assert provenance["checkpoint"] == Path(best).name
    best_state = torch.load(best, weights_only=True)["state_dict"]
    for key in best_state:
        assert torch.equal(weights[key], best_state[key])
        assert torch.equal(model.state_dict()[key], best_state[key])  # the module holds them too


def test_save_to_without_provenance_keyword_and_module_without_save_to(tmp_path: Path) -> None:
    _, _model, log_dir = _run(tmp_path / "a", model=tiny.NoProvenanceModel(), max_epochs=1)
    _weights, provenance = tiny.read_nemo(str(log_dir / "checkpoints" / "default.nemo"))
    assert provenance is None  # save_to(path) was called without provenance=
    assert _ledger(log_dir / "checkpoints")["default.nemo"]["provenance"]["step"] == 8
    _, _, log_dir = _run(tmp_path / "b", model=tiny.PlainModel(), max_epochs=1)
    assert not list((log_dir / "checkpoints").glob("*.nemo"))
    assert list((log_dir / "checkpoints").glob("*-last.ckpt"))
    assert not list((log_dir / "checkpoints").glob("*-end.ckpt"))  # only with save_end_checkpoint, as NeMo


def test_always_save_nemo_and_every_n_train_steps(tmp_path: Path) -> None:
    model = tiny.TinyModel()
    cfg = {
        "checkpoint_callback_params": {
            "always_save_nemo": True,
            "every_n_train_steps": 3,
            "save_top_k": -1,
            "monitor": "train_loss",
            "save_nemo_on_train_end": False,
        }
    }
    _, model, log_dir = _run(tmp_path, model=model, cfg=cfg, max_epochs=1, limit_val_batches=0)
    ckpt_dir = log_dir / "checkpoints"
    steps = sorted(e["step"] for e in _ledger(ckpt_dir).values() if e["kind"] == "topk")
    assert steps == [3, 6]
    assert len(model.saved_to) >= 2  # a .nemo with every save
    assert all(Path(p).name.startswith(".default.partial-") for p in model.saved_to)  # written atomically
    assert _names(ckpt_dir).count("default.nemo") == 1


def test_train_time_interval_saves_by_wall_clock(tmp_path: Path) -> None:
    def slow(model: Any, batch_idx: int) -> None:
        import time

        time.sleep(0.15)

    model = tiny.TinyModel()
    model.step_hook = slow
    cfg = {
        "checkpoint_callback_params": {
            "train_time_interval": 0.5,
            "save_top_k": -1,
            "monitor": None,
            "every_n_epochs": None,
        }
    }
    import time

    started = time.monotonic()
    _, _, log_dir = _run(tmp_path, model=model, cfg=cfg, max_epochs=1, limit_val_batches=0)
    elapsed = time.monotonic() - started
    steps = sorted(e["step"] for e in _ledger(log_dir / "checkpoints").values() if e["kind"] == "topk")
    # 8 steps of >= 0.15 s: at least one save, and never more than one per 0.5 s of training
    assert len(steps) >= 1
    assert len(steps) <= elapsed / 0.5 + 1
    assert steps[0] >= 3  # the first save waits for 0.5 s, i.e. at least 3 steps of 0.15 s


def test_resume_if_exists_continues_from_last_and_keeps_top_k(tmp_path: Path) -> None:
    cfg = {
        "resume_if_exists": True,
        "resume_ignore_no_checkpoint": True,
        "checkpoint_callback_params": {"save_top_k": 2},
    }
    _run(tmp_path, cfg=cfg, max_epochs=3)
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    first = _ledger(ckpt_dir)
    for end in ckpt_dir.glob("*-end.ckpt"):  # pretend the first run was stopped before it finished
        end.unlink()
    trainer, _, _ = _run(tmp_path, cfg=cfg, max_epochs=5)
    (last_before,) = [n for n, e in first.items() if e["kind"] == "last"]
    assert trainer.ckpt_path == str(ckpt_dir / last_before)
    ledger = _ledger(ckpt_dir)
    topk = {n: e for n, e in ledger.items() if e["kind"] == "topk"}
    assert len(topk) == 2
    assert len(list(ckpt_dir.glob("default--*[0-9].ckpt"))) == 2
    # the two best across both runs, not the two of the second run
    all_scores = {n: e["metric"] for n, e in {**first, **ledger}.items() if e["kind"] == "topk"}
    assert set(topk) == set(sorted(all_scores, key=all_scores.__getitem__)[:2])
    assert len(list(ckpt_dir.glob("*last.ckpt"))) == 1  # the resumed-from -last was replaced, not kept
    assert (tmp_path / "exp" / "run_0" / "cmd-args.log").exists()


def test_top_k_rebuilt_from_files_when_ledger_is_lost(tmp_path: Path) -> None:
    cfg = {
        "resume_if_exists": True,
        "resume_ignore_no_checkpoint": True,
        "checkpoint_callback_params": {"save_top_k": 3},
    }
    _run(tmp_path, cfg=cfg, max_epochs=3)
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    for end in ckpt_dir.glob("*-end.ckpt"):
        end.unlink()
    (ckpt_dir / LEDGER_NAME).unlink()  # a directory written by NeMo has no ledger: names carry the metric
    cfg["checkpoint_callback_params"] = {"save_top_k": 1}
    trainer, _, _ = _run(tmp_path, cfg=cfg, max_epochs=4)
    topk = [p for p in ckpt_dir.glob("default--*.ckpt") if not p.stem.endswith(("-last", "-end"))]
    assert len(topk) == 1
    assert str(topk[0]) == trainer.checkpoint_callback.best_model_path


def test_resume_from_checkpoint_wins_over_found_last(tmp_path: Path) -> None:
    cfg = {"checkpoint_callback_params": {"save_top_k": -1}}
    _run(tmp_path, cfg=cfg, max_epochs=2)
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    for end in ckpt_dir.glob("*-end.ckpt"):
        end.unlink()
    (epoch0,) = ckpt_dir.glob("default--val_loss=*-epoch=0.ckpt")
    cfg = {**cfg, "resume_if_exists": True, "resume_from_checkpoint": str(epoch0)}
    trainer = tiny.make_trainer(tmp_path, max_epochs=3)
    exp_manager(trainer, {**BASE, "explicit_log_dir": str(tmp_path / "exp"), **cfg})
    assert trainer.ckpt_path == str(epoch0)


def test_resume_errors_list_what_was_searched(tmp_path: Path) -> None:
    trainer = tiny.make_trainer(tmp_path)
    cfg = {**BASE, "explicit_log_dir": str(tmp_path / "exp"), "resume_if_exists": True}
    with pytest.raises(NotFoundError, match=r"checkpoints \(does not exist\).*Cannot resume"):
        exp_manager(trainer, cfg)
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    ckpt_dir.mkdir(parents=True)
    (ckpt_dir / "notes.txt").write_text("x")
    with pytest.raises(NotFoundError, match=r"containing \[notes.txt\]"):
        exp_manager(tiny.make_trainer(tmp_path), cfg)
    assert exp_manager(tiny.make_trainer(tmp_path), {**cfg, "resume_ignore_no_checkpoint": True})
    with pytest.raises(NotFoundError, match="does not exist"):
        exp_manager(tiny.make_trainer(tmp_path), {**cfg, "resume_from_checkpoint": str(tmp_path / "no.ckpt")})


def test_ambiguous_last_and_finished_runs(tmp_path: Path) -> None:
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    ckpt_dir.mkdir(parents=True)
    cfg = {**BASE, "explicit_log_dir": str(tmp_path / "exp"), "resume_if_exists": True}
    (ckpt_dir / "a-last.ckpt").write_bytes(b"1")
    (ckpt_dir / "b-last.ckpt").write_bytes(b"2")
    with pytest.raises(ResumeError, match=r"Multiple checkpoints .*a-last.ckpt.*b-last.ckpt"):
        exp_manager(tiny.make_trainer(tmp_path), cfg)
    (ckpt_dir / "b-last.ckpt").unlink()
    (ckpt_dir / "x-end.ckpt").write_bytes(b"3")
    with pytest.raises(ResumeError, match=r"already completed.*resume_past_end=True"):
        exp_manager(tiny.make_trainer(tmp_path), cfg)
    trainer = tiny.make_trainer(tmp_path)
    exp_manager(trainer, {**cfg, "resume_past_end": True})
    assert trainer.ckpt_path == str(ckpt_dir / "x-end.ckpt")  # the documented behaviour: it is loaded


def test_leftovers_of_interrupted_saves_are_never_chosen(tmp_path: Path) -> None:
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    ckpt_dir.mkdir(parents=True)
    cfg = {**BASE, "explicit_log_dir": str(tmp_path / "exp"), "resume_if_exists": True}
    (ckpt_dir / "good-last.ckpt").write_bytes(b"ok")
    (ckpt_dir / ".newer-last.ckpt.partial-123").write_bytes(b"trunc")  # ours, killed mid-write
    (ckpt_dir / "nemo-epoch=3-last.ckpt").write_bytes(b"trunc")  # NeMo's, with its marker
    (ckpt_dir / "nemo-epoch=3-last-unfinished").write_bytes(b"")
    trainer = tiny.make_trainer(tmp_path)
    exp_manager(trainer, cfg)
    assert trainer.ckpt_path == str(ckpt_dir / "good-last.ckpt")
    (ckpt_dir / "good-last.ckpt").unlink()
    with pytest.raises(ResumeError, match="unfinished"):
        exp_manager(tiny.make_trainer(tmp_path), cfg)


def test_ema_weights_for_validation_twin_and_nemo(tmp_path: Path) -> None:
    from expmanager.ema import EMA

    cfg = {"ema": {"enable": True, "decay": 0.9}, "checkpoint_callback_params": {"save_top_k": 1}}
    trainer, model, log_dir = _run(tmp_path, cfg=cfg, max_epochs=2)
    (ema,) = [cb for cb in trainer.callbacks if isinstance(cb, EMA)]
    ckpt_dir = log_dir / "checkpoints"
    (last,) = ckpt_dir.glob("*-last.ckpt")
    twin = last.with_name(last.stem + "-EMA.ckpt")
    main_state = torch.load(last, weights_only=True)
    twin_state = torch.load(twin, weights_only=True)["state_dict"]
    keys = [k for k, v in main_state["state_dict"].items() if v.is_floating_point()]
    # main checkpoint: training weights; twin: the averages; they differ, and the averages are in the state
    assert any(not torch.equal(main_state["state_dict"][k], twin_state[k]) for k in keys)
    (ema_state,) = [v for k, v in main_state["callbacks"].items() if k.startswith("EMA")]
    for k, averaged in zip(keys, ema_state["ema"], strict=False):
        assert torch.equal(twin_state[k], averaged)
    # after fit, the module holds the training weights again; the .nemo holds the averages
    weights, provenance = tiny.read_nemo(str(ckpt_dir / "default.nemo"))
    assert provenance["ema"] is True
    assert any(not torch.equal(weights[k], model.state_dict()[k]) for k in keys)
    for k, averaged in zip(keys, ema._ema or [], strict=False):
        assert torch.equal(weights[k], averaged)


def test_ema_average_follows_the_formula(tmp_path: Path) -> None:
    from expmanager.ema import EMA

    seen: list[dict[str, torch.Tensor]] = []

    class Recorder(tiny.TinyModel):
        def on_train_batch_end(self, *args: Any) -> None:
            seen.append({k: v.detach().clone() for k, v in self.state_dict().items()})

    model = Recorder()
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
    cfg = {"ema": {"enable": True, "decay": 0.5, "every_n_steps": 2}, "create_checkpoint_callback": False}
    trainer, _, _ = _run(tmp_path, model=model, cfg=cfg, max_epochs=1, limit_val_batches=0)
    (ema,) = [cb for cb in trainer.callbacks if isinstance(cb, EMA)]
    keys = [k for k, v in initial.items() if v.is_floating_point()]
    expected = [initial[k].clone() for k in keys]
    for step, weights in enumerate(seen, start=1):
        if step % 2 == 0:
            expected = [0.5 * e + 0.5 * weights[k] for e, k in zip(expected, keys, strict=False)]
    for e, got in zip(expected, ema._ema or [], strict=False):
        assert torch.allclose(e, got, atol=1e-6)


def test_early_stopping(tmp_path: Path) -> None:
    cfg = {
        "create_early_stopping_callback": True,
        "early_stopping_callback_params": {
            "monitor": "val_loss",
            "patience": 1,
            "min_delta": 1e9,
            "verbose": False,
        },
    }
    trainer, _, _ = _run(tmp_path, cfg=cfg, max_epochs=10)
    assert trainer.current_epoch == 2  # no improvement by 1e9 after epoch 0: stops after patience 1


def test_preemption_signal_saves_last_and_stops(tmp_path: Path) -> None:
    def signal_at_step_3(model: Any, batch_idx: int) -> None:
        if model.trainer.global_step == 3:
            os.kill(os.getpid(), signal.SIGUSR1)

    before = signal.getsignal(signal.SIGUSR1)
    model = tiny.TinyModel()
    model.step_hook = signal_at_step_3
    trainer, _, log_dir = _run(tmp_path, model=model, max_epochs=3)
    assert trainer.global_step == 4  # the signalled step finished, no further one ran
    ckpt_dir = log_dir / "checkpoints"
    (last,) = ckpt_dir.glob("*-last.ckpt")
    assert torch.load(last, weights_only=True)["global_step"] == 4
    assert not list(ckpt_dir.glob("*-end.ckpt"))
    assert not list(ckpt_dir.glob("*.nemo"))
    assert signal.getsignal(signal.SIGUSR1) == before  # handler restored


def test_max_time_per_run_stops_with_a_checkpoint_before_the_limit(tmp_path: Path) -> None:
    import time

    def slow(model: Any, batch_idx: int) -> None:
        time.sleep(0.2)

    model = tiny.TinyModel()
    model.step_hook = slow
    started = time.monotonic()
    trainer, _, log_dir = _run(
        tmp_path, model=model, cfg={"max_time_per_run": "00:00:00:02"}, max_epochs=50, limit_val_batches=0
    )
    assert 0 < trainer.global_step < 12
    (last,) = (log_dir / "checkpoints").glob("*-last.ckpt")
    assert torch.load(last, weights_only=True)["global_step"] == trainer.global_step
    assert not list((log_dir / "checkpoints").glob("*-end.ckpt"))
    assert time.monotonic() - started < 30


def test_resume_does_not_repeat_validation(tmp_path: Path) -> None:
    """disable_validation_on_resume: the resumed run validates only after it trained on."""
    validations: list[int] = []

    class Counting(tiny.TinyModel):
        def on_validation_start(self) -> None:
            validations.append(self.global_step)

    cfg = {"resume_if_exists": True, "resume_ignore_no_checkpoint": True}
    _run(tmp_path, model=Counting(), cfg=cfg, max_epochs=1)
    for end in (tmp_path / "exp" / "checkpoints").glob("*-end.ckpt"):
        end.unlink()
    trainer, _, _ = _run(tmp_path, model=Counting(), cfg=cfg, max_epochs=2)
    assert trainer.global_step == 16
    assert validations == [8, 16]  # not 8 again right after resuming at step 8


def test_two_complete_last_files_of_ours_resume_from_the_newer_and_drop_the_older(tmp_path: Path) -> None:
    """A kill between publishing a new -last and removing the old one (without a marker on either)."""
    import shutil

    from expmanager.ledger import Ledger

    cfg = {"resume_if_exists": True, "resume_ignore_no_checkpoint": True}
    _run(tmp_path, cfg=cfg, max_epochs=1)
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    (newer,) = ckpt_dir.glob("*-last.ckpt")
    older = ckpt_dir / "default--val_loss=9.9999-epoch=0-step=4-last.ckpt"
    shutil.copy(newer, older)
    Ledger(ckpt_dir).record(older, "last", step=4, epoch=0, written=1)
    trainer, _, _ = _run(tmp_path, cfg=cfg, max_epochs=2)
    assert trainer.ckpt_path == str(newer)
    assert not older.exists()
    assert len(list(ckpt_dir.glob("*last.ckpt"))) == 1
    # files the ledger does not know stay ambiguous (NeMo's rule)
    (ckpt_dir / "stranger-last.ckpt").write_bytes(b"x")
    with pytest.raises(ResumeError, match="Multiple checkpoints"):
        exp_manager(tiny.make_trainer(tmp_path), {**BASE, "explicit_log_dir": str(tmp_path / "exp"), **cfg})


def test_unfinished_marker_protocol(tmp_path: Path) -> None:
    from expmanager import NeMoModelCheckpoint as C

    ckpt = tmp_path / "mp_rank_00" / "x-EMA.ckpt"
    assert C.format_checkpoint_unfinished_marker_path(ckpt) == tmp_path / "x-unfinished"
    assert not C.is_checkpoint_unfinished(ckpt)
    C.set_checkpoint_unfinished_marker(ckpt)
    assert C.is_checkpoint_unfinished(ckpt)
    C.remove_checkpoint_unfinished_marker(ckpt)
    assert not (tmp_path / "x-unfinished").exists()
    # no marker is left after a run; markers and what they mark are removed when training starts
    _run(tmp_path, max_epochs=1)
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    assert not list(ckpt_dir.glob("*-unfinished"))
    (ckpt_dir / "y.ckpt").write_bytes(b"partial")
    (ckpt_dir / "y-unfinished").touch()
    _run(tmp_path, max_epochs=1)
    assert not (ckpt_dir / "y.ckpt").exists()
    assert not (ckpt_dir / "y-unfinished").exists()
