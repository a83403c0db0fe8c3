"""``torch.jit.script`` of NeuralModule subclasses with typed methods, as NeMo's export and users do."""

from __future__ import annotations

import warnings

import pytest
import torch

from modelpt import NeuralModule
from neural_types import AxisKind, AxisType, ChannelType, LengthsType, NeuralType, typecheck

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:FutureWarning")

BD = NeuralType(("B", "D"), ChannelType())


class Encoder(NeuralModule):
    """Typed inputs and outputs, an optional input, and neural-type objects held as attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(3, 2)
        self.declared = {"x": BD}
        self.element = ChannelType()
        self.batch_axis = AxisType(AxisKind.Batch)

    @property
    def input_types(self):
        return {"x": BD, "lengths": NeuralType(("B",), LengthsType(), optional=True)}

    @property
    def output_types(self):
        return {"y": NeuralType(("B", "D"), ChannelType()), "lengths": NeuralType(("B",), LengthsType())}

    @typecheck()
    def forward(self, x, lengths: torch.Tensor | None = None):
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long)
        return self.proj(x), lengths


class Wrapper(NeuralModule):
    """A typed module calling a typed submodule by keyword, through the generic wrapper (``**kwargs``)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()

    @typecheck(input_types={"x": BD}, output_types={"y": BD})
    def forward(self, x):
        y, _ = self.encoder(x=x)
        return torch.relu(y)


def test_script_typed_neural_module_matches_eager():
    module = Encoder().eval()
    scripted = torch.jit.script(module)
    x = torch.randn(4, 3)
    y, lengths = scripted(x)
    eager_y, eager_lengths = module(x=x)
    assert torch.equal(y, eager_y)
    assert torch.equal(lengths, eager_lengths)
    assert lengths.tolist() == [3, 3, 3, 3]
    assert eager_y.neural_type == module.output_types["y"]  # eager calls stay checked and tagged
    assert module.num_weights == 3 * 2 + 2


def test_script_nested_typed_modules_and_save_load(tmp_path):
    module = Wrapper().eval()
    scripted = torch.jit.script(module)
    x = torch.randn(2, 3)
    assert torch.equal(scripted(x), module(x=x))
    path = tmp_path / "wrapper.ts"
    scripted.save(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = torch.jit.load(str(path))
    assert torch.equal(loaded(x), module(x=x))


def test_scripting_leaves_type_properties_and_num_weights_in_python():
    scripted = torch.jit.script(Encoder())
    # the Python-only properties were not compiled (they would have failed to)
    assert not hasattr(scripted, "input_types")
    assert not hasattr(scripted, "num_weights")
