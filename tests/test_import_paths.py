"""The meta-package exposes NeMo's documented import paths as thin re-exports of the packages' objects."""

import importlib
import subprocess
import sys

import pytest

import neural_types

# (NeMo import path, attribute, home module of the object it must be)
DOCUMENTED = [
    ("nemo.core", "ModelPT", "modelpt"),
    ("nemo.core", "NeuralModule", "modelpt"),
    ("nemo.core", "Typing", "neural_types"),
    ("nemo.core", "Serialization", "modelpt"),
    ("nemo.core", "FileIO", "modelpt"),
    ("nemo.core", "typecheck", "neural_types"),
    ("nemo.core", "NeuralType", "neural_types"),
    ("nemo.core", "ChannelType", "neural_types"),
    ("nemo.core.classes", "ModelPT", "modelpt"),
    ("nemo.core.classes.common", "typecheck", "neural_types"),
    ("nemo.core.classes.common", "Serialization", "modelpt"),
    ("nemo.core.classes.module", "NeuralModule", "modelpt"),
    ("nemo.core.classes.modelPT", "ModelPT", "modelpt"),
    ("nemo.core.classes.exportable", "Exportable", "modelpt"),
    ("nemo.core.classes.mixins", "AccessMixin", "modelpt"),
    ("nemo.core.classes.mixins.access_mixins", "AccessMixin", "modelpt"),
    ("nemo.core.classes.mixins.hf_io_mixin", "HuggingFaceFileIO", "hf_io"),
    ("nemo.core.connectors.save_restore_connector", "SaveRestoreConnector", "modelpt"),
    ("nemo.core.optim.optimizers", "AVAILABLE_OPTIMIZERS", "optim_registry"),
    ("nemo.core.optim.optimizers", "register_optimizer", "optim_registry"),
    ("nemo.core.optim.optimizers", "get_optimizer", "optim_registry"),
    ("nemo.core.optim.lr_scheduler", "AVAILABLE_SCHEDULERS", "optim_registry"),
    ("nemo.core.optim.lr_scheduler", "register_scheduler", "optim_registry"),
    ("nemo.core.optim.lr_scheduler", "get_scheduler", "optim_registry"),
    ("nemo.core.optim.lr_scheduler", "prepare_lr_scheduler", "optim_registry"),
    ("nemo.core.config.optimizers", "NovogradParams", "optim_registry.params"),
    ("nemo.core.config.optimizers", "AdafactorParams", "optim_registry.params"),
    ("nemo.core.config.schedulers", "CosineAnnealingParams", "optim_registry.scheduler_params"),
    ("nemo.core.config.hydra_runner", "hydra_runner", "modelpt"),
    ("nemo.utils.exp_manager", "exp_manager", "expmanager"),
    ("nemo.utils.exp_manager", "ExpManagerConfig", "expmanager"),
    ("nemo.utils.app_state", "AppState", "modelpt"),
]


@pytest.mark.parametrize(("path", "name", "home"), DOCUMENTED)
def test_documented_path_is_the_package_object(path, name, home):
    assert getattr(importlib.import_module(path), name) is getattr(importlib.import_module(home), name)


def test_neural_types_paths_are_the_package_objects():
    import nemo.core.neural_types as nt
    from nemo.core.neural_types import axes, comparison, elements, neural_type

    assert nt.NeuralType is neural_types.NeuralType
    assert nt.ChannelType is neural_types.ChannelType
    assert axes.AxisKind is neural_types.AxisKind
    assert comparison.NeuralTypeComparisonResult is neural_types.NeuralTypeComparisonResult
    assert elements.LogitsType is neural_types.LogitsType
    assert neural_type.NeuralType is neural_types.NeuralType


def test_all_lists_only_resolvable_names():
    import nemo.core
    import nemo.core.classes

    for module in (nemo.core, nemo.core.classes):
        for name in module.__all__:
            assert getattr(module, name) is not None
        assert set(module.__all__) <= set(dir(module))


def test_unknown_attribute_is_an_attribute_error():
    import nemo.core

    with pytest.raises(AttributeError, match=r"nemo\.core' has no attribute 'Nope'"):
        _ = nemo.core.Nope


def test_importing_nemo_packages_does_not_import_torch_or_lightning():
    code = (
        "import sys\n"
        "import nemo, nemo.core, nemo.core.neural_types, nemo.core.classes, nemo.core.classes.mixins\n"
        "import nemo.core.optim, nemo.core.config, nemo.utils\n"
        "from nemo.core import NeuralType, ChannelType, typecheck, Typing\n"
        "heavy = {'torch', 'lightning', 'hydra', 'huggingface_hub'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not heavy, heavy\n"
        "import nemo.core as core\n"
        "core.ModelPT\n"
        "assert 'lightning' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
