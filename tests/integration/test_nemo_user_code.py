"""NeMo-style user code (nemo_user_code.py, written against ``nemo.core`` only) runs unchanged, end to end.

One real Lightning run on CPU under ``exp_manager``: optimizer and schedule from config through
``setup_optimization``, a ``.nemo`` at train end holding a nested NeMo model and its artifact, restore with
identical outputs, ONNX export checked in onnxruntime.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")
ort = pytest.importorskip("onnxruntime")

WORDS = ["<pad>", "<unk>", "cat", "dog"]


def tagger_cfg(vocab_file: str) -> dict:
    return {
        "num_classes": 3,
        "encoder": {"in_features": 6, "hidden": 16, "vocab_file": vocab_file},
        "train_ds": {"seed": 1, "n": 96, "batch_size": 16, "shuffle": True},
        "validation_ds": {"seed": 2, "n": 64, "batch_size": 32},
        "optim": {
            "name": "novograd",
            "lr": 0.05,
            "weight_decay": 0.0,
            "sched": {"name": "CosineAnnealing", "warmup_steps": 2, "min_lr": 1e-4},
        },
    }


def make_trainer():
    import lightning.pytorch as pl

    return pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=18,  # 3 epochs of 6 batches
        logger=False,  # exp_manager adds TensorBoard
        enable_checkpointing=False,  # exp_manager adds its checkpoint callback
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
    )


def test_user_code_trains_saves_restores_and_exports(tmp_path):
    from omegaconf import OmegaConf

    from nemo.utils.exp_manager import exp_manager
    from nemo_user_code import ToyEncoder, ToyTagger, toy_data

    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(WORDS) + "\n", encoding="utf-8")
    cfg = OmegaConf.create({"model": tagger_cfg(str(vocab))})

    torch.manual_seed(0)
    trainer = make_trainer()
    log_dir = exp_manager(
        trainer,
        {"exp_dir": str(tmp_path / "exp"), "name": "tagger", "checkpoint_callback_params": {"save_top_k": 1}},
    )
    model = ToyTagger(cfg=cfg.model, trainer=trainer)
    x_val, y_val = toy_data(2, 64, 6, 3)
    with torch.no_grad():
        before = model.eval()(x=x_val)
    trainer.fit(model.train())

    # Optimizer and schedule came from cfg.optim through setup_optimization / configure_optimizers.
    assert type(trainer.optimizers[0]).__name__ == "Novograd"
    assert type(trainer.lr_scheduler_configs[0].scheduler).__name__ == "CosineAnnealing"
    assert trainer.global_step == 18
    loss = torch.nn.functional.cross_entropy
    model.eval()
    with torch.no_grad():
        after = model(x=x_val)
    assert loss(after, y_val) < loss(before, y_val) - 0.1  # it learned
    assert float(trainer.callback_metrics["val_acc"]) > 0.6

    # exp_manager's files: TensorBoard events, checkpoints, the .nemo written when fit ended, and the log file
    # that also holds what the user code logged through nemo.utils.logging.
    log_file = log_dir / "nemo_log_globalrank-0_localrank-0.txt"
    assert "ToyTagger: 96 training examples" in log_file.read_text(encoding="utf-8")
    assert list(log_dir.glob("events.out.tfevents.*"))
    assert list((log_dir / "checkpoints").glob("tagger--val_loss=*-last.ckpt"))
    nemo = log_dir / "checkpoints" / "tagger.nemo"
    assert nemo.is_file()

    vocab.unlink()  # the artifact must come from inside the .nemo
    restored = ToyTagger.restore_from(str(nemo), map_location="cpu")
    assert isinstance(restored.encoder, ToyEncoder)
    assert restored.encoder.vocab == WORDS
    assert [name for name, _, _ in restored.named_nemo_modules()] == ["", "encoder"]
    assert restored.cfg.optim.name == "novograd"
    restored.eval()
    with torch.no_grad():
        assert torch.equal(restored(x=x_val), after)
        # typecheck is on: NeMo's typed forward takes keyword arguments only.
        with pytest.raises(TypeError):
            restored(x_val)

    # Saved again from the restored model (source .nemo gone) and restored once more: same model.
    nemo.unlink()
    again = ToyTagger.restore_from(restored.save_to(str(tmp_path / "again.nemo")), map_location="cpu")
    assert again.encoder.vocab == WORDS
    with torch.no_grad():
        assert torch.equal(again.eval()(x=x_val), after)

    check_onnx_export(restored, tmp_path / "tagger.onnx", x_val, after)


def check_onnx_export(model, onnx_path, x, expected):
    """Export with NeMo's ``export()`` and run the file in onnxruntime on a batch of another size."""
    # A ModelPT has no input_example() (as in NeMo, only NeuralModules do): the user passes one.
    files, _ = model.export(str(onnx_path), input_example=(x[:4],), check_trace=True)
    assert files == [str(onnx_path)]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x"]
    assert [o.name for o in session.get_outputs()] == ["logits"]
    (onnx_logits,) = session.run(None, {"x": x.numpy()})  # batch 64: the batch axis is dynamic
    assert torch.allclose(torch.from_numpy(onnx_logits), expected, atol=1e-5)
