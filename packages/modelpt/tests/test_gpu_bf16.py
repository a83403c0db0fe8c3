"""ModelPT on a CUDA device in bf16 mixed precision: fit, two-loader validate/test, save/restore, export."""

from __future__ import annotations

import math

import lightning.pytorch as pl
import pytest
import torch

from conftest import LIGHTNING_NOISE, make_trainer, tiny_cfg
from modelpt import Exportable, NeuralModule
from modelpt_test_models import TinyClassifier
from neural_types import ChannelType, LogitsType, NeuralType, typecheck

pytestmark = [
    *LIGHTNING_NOISE,
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def _two_loader_cfg():
    return tiny_cfg(
        validation_ds={"ds_item": [2, 5], "name": ["clean", "noisy"], "n": 16, "batch_size": 8},
        test_ds={"ds_item": [3, 6], "name": ["a", "b"], "n": 16, "batch_size": 8},
    )


def test_bf16_fit_validate_test_then_save_and_restore_on_cuda(tmp_path):
    torch.manual_seed(0)
    model = TinyClassifier(_two_loader_cfg())
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    trainer = make_trainer(tmp_path, accelerator="gpu", devices=1, precision="bf16-mixed", max_epochs=2)
    model.set_trainer(trainer)
    devices = []

    class Device(pl.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            devices.append((next(pl_module.parameters()).device.type, batch[0].device.type))

    trainer.callbacks.append(Device())
    trainer.fit(model)
    assert set(devices) == {("cuda", "cuda")}
    # bf16-mixed keeps fp32 master weights, and the optimizer moved them
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert any(not torch.equal(before[k], v.cpu()) for k, v in model.state_dict().items())

    validated = trainer.validate(model, verbose=False)
    tested = trainer.test(model, verbose=False)
    flat_val = {k.split("/")[0]: v for r in validated for k, v in r.items()}
    flat_test = {k.split("/")[0]: v for r in tested for k, v in r.items()}
    assert {"clean_val_loss", "noisy_val_loss", "val_loss"} <= set(flat_val)
    assert {"a_test_loss", "b_test_loss", "test_loss"} <= set(flat_test)
    assert all(math.isfinite(v) for v in [*flat_val.values(), *flat_test.values()])  # bf16 kept finite

    path = model.save_to(str(tmp_path / "bf16.nemo"))
    # map_location defaults to CUDA when it is available
    restored = TinyClassifier.restore_from(path)
    assert next(restored.parameters()).device.type == "cuda"
    model.cuda().eval()  # Lightning's teardown moved it back to the CPU
    restored.eval()
    x = torch.randn(5, 4, device="cuda")
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        expected, got = model(x=x), restored(x=x)
    assert got.dtype == torch.bfloat16
    assert torch.equal(got, expected)
    on_cpu = TinyClassifier.restore_from(path, map_location="cpu")
    assert next(on_cpu.parameters()).device.type == "cpu"


class CudaExportable(NeuralModule, Exportable):
    """Relies on NeuralModule's default input_example, which must be made on the module's device."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(8, 3)

    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self):
        return {"y": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, x):
        return torch.tanh(self.lin(x))


def test_cuda_module_exports_to_onnx_with_runtime_parity(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    module = CudaExportable().cuda()
    out = tmp_path / "cuda.onnx"
    # the default example is made on the module's device; check_trace runs the file in onnxruntime
    module.export(str(out), check_trace=True)
    assert next(module.parameters()).device.type == "cuda"  # export leaves the module where it was
    x = torch.randn(5, 8)  # another batch size: the batch axis is dynamic
    with torch.no_grad():
        expected = module(x=x.cuda()).cpu().numpy()
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"x": x.numpy()})
    assert got.shape == (5, 3)
    assert abs(got - expected).max() < 1e-4
