"""The optimizer registry, parameter dataclasses, parse_optimizer_args and their errors."""

from __future__ import annotations

import dataclasses
import functools

import pytest
import torch
from omegaconf import OmegaConf

import optim_registry as orx
from optim_registry import params as P


def test_available_optimizers_match_nemo_names_and_classes():
    expected = {
        "sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
        "adadelta": torch.optim.Adadelta, "adamax": torch.optim.Adamax, "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop, "rprop": torch.optim.Rprop, "novograd": orx.Novograd,
        "adafactor": orx.Adafactor, "adan": orx.Adan, "radam": orx.RAdam,
    }  # fmt: skip
    assert {k: v for k, v in orx.AVAILABLE_OPTIMIZERS.items() if k in expected} == expected


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "adadelta", "adamax", "adagrad", "rmsprop", "rprop",
                                  "novograd", "adafactor", "adan", "radam"])  # fmt: skip
def test_every_optimizer_builds_and_steps(name):
    p = torch.nn.Parameter(torch.ones(3))
    kwargs = {} if name == "adafactor" else {"lr": 0.1}
    optimizer = orx.get_optimizer(name, **kwargs)([p])
    p.grad = torch.tensor([1.0, -2.0, 0.5])
    optimizer.step()
    assert not torch.equal(p.detach(), torch.ones(3))


def test_get_optimizer_returns_partial_and_checks_keys():
    partial = orx.get_optimizer("novograd", lr=0.1, betas=(0.9, 0.99))
    assert isinstance(partial, functools.partial)
    assert partial.func is orx.Novograd
    assert partial.keywords == {"lr": 0.1, "betas": (0.9, 0.99)}
    with pytest.raises(orx.UnknownKeysError) as info:
        orx.get_optimizer("adamw", lr=0.1, weigth_decay=0.1, beta=(0.9, 0.9))
    assert info.value.bad_keys == ["beta", "weigth_decay"]
    assert "'weigth_decay' (did you mean 'weight_decay'?)" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_optimizer_lists_available_and_closest():
    with pytest.raises(orx.UnknownNameError) as info:
        orx.get_optimizer("adamm")
    message = str(info.value)
    assert "Cannot resolve optimizer 'adamm'" in message
    assert "Did you mean 'adam'?" in message
    assert "novograd" in message
    assert "sgd" in message
    with pytest.raises(ValueError, match="Did you mean 'novograd'"):
        orx.get_optimizer("NovoGrad")


def test_optional_backends_are_lazy_and_named_in_errors():
    info = orx.get_optimizer_info("lamb")
    assert info.opt_class == "apex.optimizers.FusedLAMB"
    assert "lamb" not in orx.AVAILABLE_OPTIMIZERS
    assert "lamb" not in orx.list_optimizers()
    assert "lamb" in orx.list_optimizers(include_unavailable=True)
    with pytest.raises(orx.BackendUnavailableError, match="apex"):
        orx.get_optimizer("lamb", lr=0.1)


def test_optim_info_records():
    info = orx.get_optimizer_info("adamw")
    assert info.opt_class is torch.optim.AdamW
    assert (info.has_betas, info.has_eps, info.has_momentum) == (True, True, False)
    assert info.defaults["betas"] == (0.9, 0.999)
    assert info.params_cls is P.AdamWParams
    sgd = orx.get_optimizer_info("sgd")
    assert (sgd.has_betas, sgd.has_momentum) == (False, True)
    nov = orx.get_optimizer_info("novograd")
    assert nov.defaults["betas"] == (0.95, 0.98)
    assert "Novograd" in nov.description
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        info.defaults["lr"] = 1.0  # type: ignore[index]


def test_list_optimizers_filters():
    assert orx.list_optimizers("adam*") == ["adam", "adamax", "adamw"]
    assert orx.list_optimizers(["sgd", "ada?"]) == ["adam", "adan", "sgd"]
    assert "adamw" not in orx.list_optimizers("adam*", exclude_filters=["*w"])
    pairs = orx.list_optimizers("novograd", with_description=True)
    assert pairs == [("novograd", orx.get_optimizer_info("novograd").description)]
    assert set(orx.list_optimizers()) >= set(orx.AVAILABLE_OPTIMIZERS)


def test_register_optimizer():
    class MyOpt(torch.optim.SGD):
        """My test optimizer."""

    @dataclasses.dataclass
    class MyOptParams(P.OptimizerParams):
        momentum: float = 0.5

    orx.register_optimizer("my_opt", MyOpt, MyOptParams)
    try:
        assert orx.AVAILABLE_OPTIMIZERS["my_opt"] is MyOpt
        assert orx.AVAILABLE_OPTIMIZER_PARAMS["MyOpt_params"] is MyOptParams
        assert orx.get_optimizer_info("my_opt").description == "My test optimizer."
        assert orx.parse_optimizer_args("my_opt", {"name": "auto", "lr": 0.3}) == {"lr": 0.3, "momentum": 0.5}
        with pytest.raises(orx.DuplicateNameError, match="my_opt"):
            orx.register_optimizer("my_opt", MyOpt, MyOptParams)
        with pytest.raises(orx.DuplicateNameError):
            orx.register_optimizer("sgd", MyOpt, MyOptParams)
    finally:
        del orx.AVAILABLE_OPTIMIZERS["my_opt"]
        del orx.AVAILABLE_OPTIMIZER_PARAMS["MyOpt_params"]
        del orx.AVAILABLE_OPTIMIZER_PARAMS["my_opt_params"]
        from optim_registry import optimizers

        del optimizers._INFOS["my_opt"]


def test_params_dataclasses_match_nemo():
    assert str(P.NovogradParams()) == (
        "NovogradParams(lr='???', betas=(0.95, 0.98), eps=1e-08, weight_decay=0, grad_averaging=False, "
        "amsgrad=False, luc=False, luc_trust=0.001, luc_eps=1e-08)"
    )
    assert dataclasses.asdict(P.SGDParams(lr=0.1)) == {
        "lr": 0.1, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
    }  # fmt: skip
    assert [f.name for f in dataclasses.fields(P.AdamParams)] == ["lr", "eps", "weight_decay", "amsgrad"]
    assert P.AdamWParams().betas == (0.9, 0.999)
    assert (P.AdadeltaParams().rho, P.AdadeltaParams().eps) == (0.9, 1e-6)
    assert P.AdagradParams().eps == 1e-10
    assert P.RMSpropParams().alpha == 0.99
    assert P.RpropParams() == P.RpropParams(etas=(0.5, 1.2), step_sizes=(1e-6, 50))
    fields = {f.name: f.default for f in dataclasses.fields(P.AdafactorParams)}
    assert fields == {
        "lr": "???", "beta1": None, "eps": (1e-30, 1e-3), "clip_threshold": 1.0,
        "decay_rate": -0.8,  # NeMo's dataclass says 0.8; the optimizer's default is -0.8 (decisions.md)
        "weight_decay": 0, "scale_parameter": True, "relative_step": False, "warmup_init": False,
    }  # fmt: skip
    nemo_keys = ["optim_params", "sgd_params", "adam_params", "adamw_params", "adadelta_params"]
    nemo_keys += ["adamax_params", "adagrad_params", "rmsprop_params", "rprop_params", "novograd_params"]
    for key in [*nemo_keys, "adafactor_params"]:
        assert key in orx.AVAILABLE_OPTIMIZER_PARAMS


def test_get_optimizer_config():
    assert orx.get_optimizer_config(None, lr=1) == {"lr": 1}
    partial = orx.get_optimizer_config("novograd_params", lr=0.1, betas=[0.8, 0.5])
    assert partial().betas == (0.8, 0.5)
    with pytest.raises(orx.UnknownKeysError, match="'luc_trsut' \\(did you mean 'luc_trust'\\?\\)"):
        orx.get_optimizer_config("novograd_params", luc_trsut=1)
    with pytest.raises(orx.UnknownNameError, match="novograd_params"):
        orx.get_optimizer_config("novograd_param")
    with pytest.raises(orx.DuplicateNameError):
        orx.register_optimizer_params("sgd_params", P.SGDParams)


class TestParseOptimizerArgs:
    def test_none_and_plain_mapping(self):
        assert orx.parse_optimizer_args("adam", None) == {}
        given = {"lr": 0.1, "betas": [0.8, 0.9]}
        out = orx.parse_optimizer_args("adam", given)
        assert out == given
        assert out is not given

    def test_name_auto_with_params(self):
        out = orx.parse_optimizer_args(
            "novograd", {"name": "auto", "params": {"lr": 0.01, "betas": [0.8, 0.25]}}
        )
        assert out == dataclasses.asdict(P.NovogradParams(lr=0.01, betas=(0.8, 0.25)))

    def test_name_auto_with_inline_overrides_and_dictconfig(self):
        cfg = OmegaConf.create({"name": "auto", "lr": 0.5, "weight_decay": 0.001})
        out = orx.parse_optimizer_args("sgd", cfg)
        assert out == {"lr": 0.5, "momentum": 0, "dampening": 0, "weight_decay": 0.001, "nesterov": False}

    def test_named_params_class(self):
        out = orx.parse_optimizer_args("whatever", {"name": "adamw_params", "lr": 0.2})
        assert out["betas"] == (0.9, 0.999)
        assert out["lr"] == 0.2

    def test_target_and_legacy_cls(self):
        out = orx.parse_optimizer_args(
            "adam", {"_target_": "nemo.core.config.optimizers.AdamParams", "lr": 0.3}
        )
        assert out == {"lr": 0.3, "eps": 1e-08, "weight_decay": 0, "amsgrad": False}
        out = orx.parse_optimizer_args(
            "adam", {"cls": "optim_registry.params.AdamParams", "params": {"lr": 0.4}}
        )
        assert out["lr"] == 0.4
        with pytest.raises(orx.OptimRegistryError, match="parameter dataclass"):
            orx.parse_optimizer_args("adam", {"_target_": "os.system", "command": "true"})

    def test_dataclass_input(self):
        out = orx.parse_optimizer_args("adamw", P.AdamWParams(lr=0.1, weight_decay=0.01))
        assert out == {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0.01, "amsgrad": False}

    def test_list_of_key_value_strings(self):
        items = ["lr=1e-3", "betas=[0.9, 0.98]", "weight_decay=0", "amsgrad=true", "luc_trust=.5"]
        out = orx.parse_optimizer_args("novograd", items)
        assert out == {"lr": 1e-3, "betas": (0.9, 0.98), "weight_decay": 0, "amsgrad": True, "luc_trust": 0.5}
        assert isinstance(out["weight_decay"], int)
        out = orx.parse_optimizer_args("adamw", OmegaConf.create(["eps=1e-6", "betas=(0.8,0.9)"]))
        assert out == {"eps": 1e-6, "betas": (0.8, 0.9)}
        # an optimizer without a params dataclass: parsed, not checked
        out = orx.parse_optimizer_args("custom", ["mode=fast", "k=None", "flag=False", "n=3"])
        assert out == {"mode": "fast", "k": None, "flag": False, "n": 3}

    def test_list_errors(self):
        with pytest.raises(orx.UnknownKeysError) as info:
            orx.parse_optimizer_args("novograd", ["lr=0.1", "beta=0.9", "wd=0.1"])
        assert info.value.bad_keys == ["beta", "wd"]
        assert "'beta' (did you mean 'betas'?)" in str(info.value)
        with pytest.raises(orx.OptimRegistryError, match=r"'lr0\.1', 3"):
            orx.parse_optimizer_args("sgd", ["lr0.1", 3])

    def test_unknown_keys_in_named_form_listed_together(self):
        with pytest.raises(orx.UnknownKeysError) as info:
            orx.parse_optimizer_args("adamw", {"name": "auto", "lr": 0.1, "betaz": (0, 0), "weight_dcay": 1})
        assert info.value.bad_keys == ["betaz", "weight_dcay"]

    def test_result_feeds_get_optimizer(self):
        kwargs = orx.parse_optimizer_args("novograd", {"name": "auto", "lr": 0.01})
        optimizer = orx.get_optimizer("novograd", **kwargs)([torch.nn.Parameter(torch.ones(2))])
        assert optimizer.param_groups[0]["betas"] == (0.95, 0.98)


def test_init_optimizer_states():
    p = torch.nn.Parameter(torch.ones(3))
    adam = torch.optim.Adam([p], lr=0.1, amsgrad=True)
    orx.init_optimizer_states(adam)
    assert set(adam.state[p]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    p.grad = torch.ones(3)
    adam.step()  # the pre-created state is usable
    assert adam.state[p]["step"].item() == 1
    sgd = torch.optim.SGD([p], lr=0.1)
    orx.init_optimizer_states(sgd)
    assert not sgd.state


def test_unknown_keys_are_omegaconf_config_key_errors_as_in_nemo():
    # NeMo checks the keys by merging them into the structured params config, which raises ConfigKeyError.
    from omegaconf.errors import ConfigKeyError

    cfg = OmegaConf.create({"name": "auto", "weight_decay": 0.001, "betas": [0.8, 0.5]})
    with pytest.raises(ConfigKeyError) as info:
        orx.parse_optimizer_args("sgd", cfg)
    assert isinstance(info.value, orx.UnknownKeysError)
    assert isinstance(info.value, ValueError)
    assert info.value.bad_keys == ["betas"]
    assert str(info.value).startswith("SGDParams got unknown argument(s): 'betas'")
    with pytest.raises(ConfigKeyError):
        orx.parse_optimizer_args("sgd", {"name": "auto", "betas": [0.8, 0.5]})


def test_unknown_keys_error_without_omegaconf_loaded_is_plain(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "omegaconf.errors", raising=False)
    error = orx.UnknownKeysError("SGDParams", ["betas"], ["lr"])
    assert type(error) is orx.UnknownKeysError
