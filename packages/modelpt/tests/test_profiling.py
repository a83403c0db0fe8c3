"""ModelPT's profiling switches and dump_debug_info, in real CPU (and, marked gpu, CUDA) training runs."""

from __future__ import annotations

import csv
import json

import pytest
import torch

from conftest import LIGHTNING_NOISE, make_trainer, tiny_cfg
from modelpt_test_models import TinyClassifier

pytestmark = LIGHTNING_NOISE


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"enabled": True, "start_step": "1"}, r"nsys_profile.start_step must be an int; received '1'"),
        ({"enabled": True, "start_step": 4, "end_step": 2}, r"end_step \(2\) must be greater than or equal"),
        ({"enabled": True, "ranks": [0, 1.5]}, r"nsys_profile.ranks\[\] must be an int"),
    ],
)
def test_bad_nsys_section_fails_when_the_model_is_built(section, message):
    with pytest.raises(ValueError, match=message):
        TinyClassifier(tiny_cfg(nsys_profile=section))


def test_output_directories_must_exist(tmp_path):
    with pytest.raises(ValueError, match=r"memory_profile.output_path must be an existing directory"):
        TinyClassifier(tiny_cfg(memory_profile={"enabled": True, "output_path": str(tmp_path / "nope")}))
    with pytest.raises(ValueError, match=r"chakra_profile.trace_dir must be an existing directory"):
        TinyClassifier(tiny_cfg(chakra_profile={"enabled": True, "trace_dir": None}))


def test_disabled_or_absent_sections_build_nothing(tmp_path):
    model = TinyClassifier(tiny_cfg(nsys_profile={"enabled": False, "start_step": "ignored"}))
    assert not model._nemo_profiler


def test_cuda_only_switches_record_nothing_on_cpu(tmp_path, caplog):
    cfg = tiny_cfg(
        nsys_profile={"enabled": True, "start_step": 0, "end_step": 1},
        memory_profile={"enabled": True, "start_step": 0, "end_step": 1, "output_path": str(tmp_path)},
    )
    model = TinyClassifier(cfg)
    trainer = make_trainer(tmp_path, max_steps=3, limit_val_batches=0)
    with caplog.at_level("WARNING", logger="modelpt.profiling"):
        trainer.fit(model)
    warnings = [r.getMessage() for r in caplog.records if r.name == "modelpt.profiling"]
    assert len(warnings) == 2  # once per switch, not once per batch
    assert all("needs the model on a CUDA device" in w for w in warnings)
    assert not list(tmp_path.glob("memory_profile_rank*.pickle"))


def test_chakra_profile_writes_execution_and_kineto_traces_on_cpu(tmp_path):
    trace_dir = tmp_path / "traces"
    trace_dir.mkdir()
    cfg = tiny_cfg(
        chakra_profile={
            "enabled": True,
            "start_step": 1,
            "end_step": 3,
            "warmup_steps": 1,
            "active_steps": 1,
            "trace_dir": str(trace_dir),
        }
    )
    model = TinyClassifier(cfg)
    make_trainer(tmp_path, max_steps=4, limit_val_batches=0).fit(model)
    [window] = model._nemo_profiler.windows
    assert window.started
    assert window.complete
    kineto = json.loads((trace_dir / "kineto" / "rank-0.json").read_text())
    names = {event.get("name", "") for event in kineto["traceEvents"]}
    assert any("aten::" in name for name in names)  # real operator events of the recorded step
    execution = json.loads((trace_dir / "et" / "rank-0.json").read_text())
    assert execution["nodes"]


def test_a_window_still_open_at_train_end_is_closed_then(tmp_path):
    trace_dir = tmp_path / "traces"
    trace_dir.mkdir()
    cfg = tiny_cfg(
        chakra_profile={"enabled": True, "start_step": 0, "end_step": 100, "trace_dir": str(trace_dir)}
    )
    model = TinyClassifier(cfg)
    make_trainer(tmp_path, max_steps=2, limit_val_batches=0).fit(model)
    assert model._nemo_profiler.windows[0].complete
    assert (trace_dir / "kineto" / "rank-0.json").is_file()


def test_dump_debug_info_logs_norms_and_writes_csv_into_the_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tiny_cfg(dump_debug_info=True, dump_debug_info_to_file=True)
    model = TinyClassifier(cfg)
    trainer = make_trainer(tmp_path / "run", max_steps=3, limit_val_batches=0, log_every_n_steps=1)
    trainer.fit(model)
    trainer.logger.save()
    with open(f"{trainer.logger.log_dir}/metrics.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns = set(rows[0])
    assert "debug_info_forward/encoder_rank0_output0" in columns
    assert "debug_info_backward/encoder_rank0_output0" in columns
    grad_column = next(c for c in columns if c.startswith("debug_info_tensors/") and c.endswith("_grad_norm"))
    assert len([r for r in rows if r[grad_column]]) == 3  # one value per training batch

    debug_dir = __import__("pathlib").Path(trainer.log_dir) / "debug_info"
    assert not (tmp_path / "debug_info").exists()  # not into the working directory, as NeMo did
    forward = (debug_dir / "forward_encoder_rank0.txt").read_text().splitlines()
    assert forward[0] == "input0,output0,step"
    assert [line.rsplit(",", 1)[1] for line in forward[1:]] == ["0", "1", "2"]
    tensor_csv = next(debug_dir.glob("tensor_*_rank0.csv")).read_text().splitlines()
    assert tensor_csv[0] == "weight,grad,step"
    assert len(tensor_csv) == 4
    # Hooks are gone after fit: a forward pass outside training records nothing.
    assert model._debug_hooks is None
    model.train()
    model(x=torch.randn(2, 4))
    assert len((debug_dir / "forward_encoder_rank0.txt").read_text().splitlines()) == 4


def test_dump_debug_info_without_files_only_logs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = TinyClassifier(tiny_cfg(dump_debug_info=True))
    trainer = make_trainer(tmp_path, max_steps=2, limit_val_batches=0, log_every_n_steps=1)
    trainer.fit(model)
    assert not list(tmp_path.rglob("debug_info"))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_memory_and_nsys_profiles_on_gpu(tmp_path):
    cfg = tiny_cfg(
        nsys_profile={"enabled": True, "start_step": 1, "end_step": 2, "gen_shape": True},
        memory_profile={"enabled": True, "start_step": 1, "end_step": 2, "output_path": str(tmp_path)},
    )
    model = TinyClassifier(cfg)
    make_trainer(tmp_path, accelerator="gpu", max_steps=4, limit_val_batches=0).fit(model)
    assert all(w.complete for w in model._nemo_profiler.windows)
    snapshot = tmp_path / "memory_profile_rank0.pickle"
    assert snapshot.stat().st_size > 0
    import pickle

    with snapshot.open("rb") as f:
        data = pickle.load(f)  # written by torch itself in this test
    assert data["segments"]
