"""NeuralModule, Serialization / FileIO, AccessMixin, AppState, hydra_runner and import weight."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from omegaconf import OmegaConf

from modelpt import (
    AccessMixin,
    AppState,
    ConfigError,
    NeMoBaseException,
    NeuralModule,
    Serialization,
    TargetClassError,
    freeze,
    hydra_runner,
    set_access_cfg,
    unfreeze,
)
from modelpt_test_models import Block
from neural_types import ChannelType, LengthsType, NeuralType


class Net(NeuralModule):
    def __init__(self, cfg=None):
        super().__init__()
        self._cfg = cfg
        self.encoder = Block(4, 4)
        self.decoder = Block(4, 2)


def flags(module):
    return {n: p.requires_grad for n, p in module.named_parameters()}


def test_freeze_partial_unfreeze_keeps_explicitly_frozen_submodule():
    net = Net()
    net.encoder.freeze()  # frozen on purpose
    assert not net.encoder.training
    net.freeze()
    assert not any(flags(net).values())
    assert not net.training
    net.unfreeze(partial=True)
    assert all(not v for k, v in flags(net).items() if k.startswith("encoder."))
    assert all(v for k, v in flags(net).items() if k.startswith("decoder."))
    assert net.training
    net.unfreeze()
    assert all(flags(net).values())
    with pytest.raises(ValueError, match="freeze"):
        net.unfreeze(partial=True)


def test_as_frozen_restores_flags_and_mode():
    net = Net()
    net.decoder.outer.weight.requires_grad = False
    net.eval()
    before = flags(net)
    with net.as_frozen():
        assert not any(flags(net).values())
    assert flags(net) == before
    assert not net.training
    net.train()
    with net.as_frozen():
        pass
    assert net.training
    assert flags(net) == before


def test_freeze_functions_work_on_plain_modules_and_new_params_warn(caplog):
    lin = torch.nn.Linear(2, 2)
    freeze(lin)
    lin.extra = torch.nn.Parameter(torch.zeros(1))
    unfreeze(lin, partial=True)
    assert lin.extra.requires_grad
    assert lin.weight.requires_grad
    assert "was not recorded" in caplog.text


def test_num_weights_and_input_example():
    net = Net()
    total = sum(p.numel() for p in net.parameters())
    assert net.num_weights == total
    net.encoder.freeze()
    assert net.num_weights == total - sum(p.numel() for p in net.encoder.parameters())
    block = Block(4, 3)
    (x,) = block.input_example(max_batch=3, max_dim=5)
    assert x.shape == (3, 5)
    assert x.dtype == torch.float32

    class Typed(NeuralModule):
        @property
        def input_types(self):
            return {
                "x": NeuralType(("B", "T", "D"), ChannelType()),
                "lengths": NeuralType(("B",), LengthsType()),
                "opt": NeuralType(("B",), ChannelType(), optional=True),
            }

    x, lengths = Typed().input_example()
    assert x.shape == (2, 8, 8)
    assert lengths.dtype == torch.int64
    assert lengths.shape == (2,)
    assert x.device.type == lengths.device.type == "cpu"  # no weights: the CPU
    assert NeuralModule().input_example() is None
    # the examples follow the module's weights (meta stands in for a GPU here)
    (x,) = Block(4, 3).to("meta").input_example()
    assert x.device.type == "meta"


def test_input_example_follows_buffers_when_there_are_no_parameters():
    class Buffered(NeuralModule):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", torch.ones(1))

        @property
        def input_types(self):
            return {"n": NeuralType(("B",), LengthsType())}

    (n,) = Buffered().to("meta").input_example()
    assert (n.device.type, n.dtype) == ("meta", torch.int64)


def test_from_config_dict_target_forms(tmp_path):
    block = NeuralModule.from_config_dict({"_target_": "modelpt_test_models.Block", "n_in": 3, "n_out": 2})
    assert isinstance(block, Block)
    assert block.inner.in_features == 3
    legacy = Serialization.from_config_dict(
        {"cls": "modelpt_test_models.Block", "params": {"n_in": 5, "n_out": 2}}
    )
    assert legacy.inner.in_features == 5
    assert legacy._cfg._target_ == "modelpt_test_models.Block"
    with pytest.raises(TargetClassError, match=r"os\.system"):
        Serialization.from_config_dict({"_target_": "os.system", "_args_": ["true"]})
    with pytest.raises(TargetClassError, match="at n_in"):
        Serialization.from_config_dict(
            {"_target_": "modelpt_test_models.Block", "n_in": {"_target_": "subprocess.Popen"}, "n_out": 2}
        )
    net = Net.from_config_dict({"a": 1})
    assert isinstance(net, Net)
    assert net.to_config_dict().a == 1
    path = tmp_path / "net.yaml"
    net.to_config_file(str(path))
    assert OmegaConf.load(path).a == 1
    assert Net.from_config_file(str(path))._cfg.a == 1
    with pytest.raises(ConfigError):
        Net.from_config_dict([1, 2])
    with pytest.raises(NotImplementedError):
        Net().to_config_dict()
    with pytest.raises(NotImplementedError):
        Net().save_to("x")


def test_access_mixin_registry():
    class Layer(torch.nn.Module, AccessMixin):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, x):
            y = self.lin(x)
            if self.is_access_enabled(getattr(self, "model_guid", None)):
                self.register_accessible_tensor("y", y)
            return y

    class Outer(torch.nn.Module, AccessMixin):
        def __init__(self):
            super().__init__()
            self.a = Layer()
            self.b = Layer()

        def forward(self, x):
            return self.b(self.a(x))

    model = Outer()
    AccessMixin.set_access_enabled(True)
    AccessMixin.update_access_cfg({"detach": True})
    model(torch.ones(1, 2))
    registry = AccessMixin.get_module_registry(model)
    assert set(registry) == {"a", "b"}
    assert not registry["a"]["y"][0].requires_grad
    model.reset_registry()
    assert AccessMixin.get_module_registry(model) == {}
    assert not AccessMixin.is_access_enabled()
    with pytest.raises(TypeError):
        set_access_cfg({"detach": True})
    set_access_cfg(OmegaConf.create({"detach": False}))
    assert model.access_cfg.detach is False


def test_app_state_singleton_and_errors():
    assert AppState() is AppState()
    AppState().register_model_guid("g-1", restoration_path="/x.nemo")
    AppState().register_model_guid("g-1", restoration_path="/other.nemo")
    assert AppState().get_model_metadata_from_guid("g-1").restoration_path == "/x.nemo"
    exc = NeMoBaseException("what went wrong")
    assert str(exc) == exc.message == "what went wrong"


def test_hydra_runner_runs_main_with_schema_and_overrides(tmp_path, monkeypatch):
    from dataclasses import dataclass

    @dataclass
    class Schema:
        lr: float = 0.1
        name: str = "x"

    (tmp_path / "conf.yaml").write_text("lr: 0.5\n", encoding="utf-8")
    seen = {}

    @hydra_runner(config_path=str(tmp_path), config_name="conf")
    def main(cfg):
        seen["cfg"] = cfg

    monkeypatch.setattr(sys, "argv", ["prog", "lr=0.25", "+extra=3"])
    monkeypatch.chdir(tmp_path)
    main()
    assert seen["cfg"].lr == 0.25
    assert seen["cfg"].extra == 3

    @hydra_runner(config_path=str(tmp_path), schema=Schema)
    def main2(cfg):
        seen["cfg2"] = cfg

    monkeypatch.setattr(sys, "argv", ["prog", "name=y"])
    main2()
    assert seen["cfg2"].name == "y"
    assert seen["cfg2"].lr == 0.1
    main2(OmegaConf.create({"direct": True}))
    assert seen["cfg2"].direct is True


def test_imports_stay_light():
    code = textwrap.dedent(
        """
        import sys
        import modelpt
        assert not {"torch", "lightning", "hydra", "omegaconf", "huggingface_hub"} & set(sys.modules), sorted(sys.modules)
        from modelpt import NeuralModule, Serialization, PretrainedModelInfo, AppState
        assert "lightning" not in sys.modules and "hydra" not in sys.modules
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
