"""Export to ONNX (checked in onnxruntime) and TorchScript."""

from __future__ import annotations

import onnx
import onnxruntime as ort
import pytest
import torch

from modelpt import Exportable, ExportError, ExportFormat, NeuralModule
from modelpt.exportable import get_export_format
from modelpt_test_models import Block, RefSmallModel


class ExportBlock(Block, Exportable):
    def input_example(self, max_batch=None, max_dim=None):
        return (torch.randn(max_batch or 2, self.inner.in_features),)


class Scaled(NeuralModule, Exportable):
    """forward_for_export replaces forward during export only."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)

    def forward(self, x):
        return self.lin(x)

    def forward_for_export(self, x):
        return self.lin(x) * 2


def test_onnx_export_with_dynamic_batch_and_runtime_parity(tmp_path):
    torch.manual_seed(0)
    block = ExportBlock(4, 3)
    out = str(tmp_path / "block.onnx")
    files, descriptions = block.export(out, check_trace=True)
    assert files == [out]
    assert "ONNX" in descriptions[0]
    graph = onnx.load(out).graph
    assert [i.name for i in graph.input] == ["x"]
    assert [o.name for o in graph.output] == ["y"]
    batch_dim = graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param  # batch axis is dynamic, the D axis is not
    assert graph.input[0].type.tensor_type.shape.dim[1].dim_value == 4
    # a different batch size runs and matches eager
    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    x = torch.randn(5, 4)
    (got,) = session.run(None, {"x": x.numpy()})
    with torch.no_grad():
        want = block(x=x)
    assert torch.allclose(torch.from_numpy(got), want, atol=1e-5)
    assert all(not p.requires_grad for p in block.parameters())  # export freezes permanently, as NeMo


def test_modelpt_exports_to_onnx(tmp_path, ref_nemo):
    class ExportableRef(RefSmallModel, Exportable):
        pass

    model = ExportableRef.restore_from(str(ref_nemo), map_location="cpu")
    out = str(tmp_path / "ref.onnx")
    model.export(
        out, input_example=(torch.ones(3, 8),), check_trace=[(torch.ones(2, 8),)], onnx_opset_version=17
    )
    assert onnx.load(out).opset_import[0].version == 17


def test_onnx_check_trace_detects_mismatch(tmp_path):
    class Drifting(ExportBlock):
        calls = 0

        def forward(self, x):
            Drifting.calls += 1
            return super().forward(x=x) + float(Drifting.calls > 2)  # eager output drifts after export

    with pytest.raises(ExportError, match="onnxruntime"):
        Drifting(4, 2).export(str(tmp_path / "d.onnx"), check_trace=True, check_tolerance=1e-4)


# torch.jit is deprecated in favour of torch.export; NeMo's .ts/.pt export is TorchScript, so tests load it.
@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated")
def test_torchscript_export_and_forward_for_export(tmp_path):
    torch.manual_seed(0)
    block = ExportBlock(4, 3)
    out = str(tmp_path / "block.ts")
    block.export(out, check_trace=True)
    loaded = torch.jit.load(out)
    x = torch.randn(2, 4)
    with torch.no_grad():
        assert torch.allclose(loaded(x), block(x=x), atol=1e-6)
    scaled = Scaled()
    pt = str(tmp_path / "scaled.pt")
    scaled.export(pt, input_example=(torch.ones(1, 3),))
    with torch.no_grad():
        assert torch.allclose(torch.jit.load(pt)(torch.ones(1, 3)), scaled.lin(torch.ones(1, 3)) * 2)
        assert torch.allclose(scaled(torch.ones(1, 3)), scaled.lin(torch.ones(1, 3)))  # forward restored


def test_export_restores_the_previous_typecheck_state(tmp_path):
    from neural_types import is_typecheck_enabled, typecheck

    block = ExportBlock(4, 2)
    typecheck.set_typecheck_enabled(False)
    try:
        block.export(str(tmp_path / "b.onnx"))
        assert not is_typecheck_enabled()  # NeMo switches checks back on unconditionally
    finally:
        typecheck.set_typecheck_enabled(True)
    block.export(str(tmp_path / "c.onnx"))
    assert is_typecheck_enabled()


def test_formats_and_config():
    assert get_export_format("a.ONNX") is ExportFormat.ONNX
    assert get_export_format("a.ts") is ExportFormat.TORCHSCRIPT
    with pytest.raises(ValueError, match=r"\.bin"):
        get_export_format("model.bin")
    block = ExportBlock(2, 2)
    assert block.supported_export_formats == [ExportFormat.ONNX, ExportFormat.TORCHSCRIPT]
    assert block.list_export_subnets() == ["self"]
    assert block.get_export_subnet() is block
    block.set_export_config({"cache_support": "1"})
    assert block.get_export_config() == {"cache_support": "1"}
    assert block.input_names == ["x"]
    assert block.output_names == ["y"]
