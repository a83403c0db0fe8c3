"""neural_types' @typecheck on real torch modules: tagging, TorchScript, torch.compile, tracing."""

import pytest

torch = pytest.importorskip("torch")

from neural_types import ChannelType, LogitsType, NeuralType, Typing, typecheck  # noqa: E402


class Classifier(torch.nn.Module, Typing):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(8, 4)

    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self):
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, x):
        return self.proj(x)


def test_outputs_are_tagged_and_ranks_checked():
    model = Classifier()
    out = model(x=torch.randn(2, 8))
    assert out.neural_type.compare(NeuralType(("B", "D"), LogitsType())).name == "SAME"
    with pytest.raises(TypeError, match="Input shape mismatch"):
        model(x=torch.randn(2, 3, 8))
    with pytest.raises(TypeError, match="kwargs only"):
        model(torch.randn(2, 8))


def test_semantic_check_between_modules():
    model = Classifier()
    logits = model(x=torch.randn(2, 8))
    with pytest.raises(TypeError, match="INCOMPATIBLE"):
        model(x=logits)


# the category is DeprecationWarning on torch 2.11 and FutureWarning on 2.15
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
def test_torchscript_compiles_the_undecorated_forward():
    model = Classifier().eval()
    scripted = torch.jit.script(model)
    x = torch.randn(2, 8)
    assert torch.equal(scripted(x), model.proj(x))


def test_torch_compile_skips_checks_while_tracing():
    model = Classifier().eval()
    compiled = torch.compile(model, backend="eager", fullgraph=False)
    x = torch.randn(2, 3, 8)  # a rank the declaration refuses in eager mode
    assert compiled(x=x).shape == (2, 3, 4)


# strict export on torch 2.11 passes through the deprecated torch.jit.script_method on its own
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated")
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "non-strict"])
def test_torch_export_of_a_typed_forward(strict):
    # strict export traces with dynamo, which skips the checks; non-strict export runs them on fake tensors
    model = Classifier().eval()
    x = torch.randn(2, 8)
    program = torch.export.export(model, (), {"x": x}, strict=strict)
    assert torch.equal(program.module()(x=x), model.proj(x))
    if not strict:
        with pytest.raises(TypeError, match="Input shape mismatch"):
            torch.export.export(model, (), {"x": torch.randn(2, 3, 8)}, strict=False)
