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
    # nemo.utils.exp_manager.exp_manager is not expmanager's object: it also keeps NeMo's AppState in step
    ("nemo.utils.exp_manager", "ExpManagerConfig", "expmanager"),
    ("nemo.utils.app_state", "AppState", "modelpt"),
    ("nemo.utils", "AppState", "modelpt"),
    ("nemo.utils", "logging", "expmanager.nemo_logging"),
    ("nemo.utils.nemo_logging", "Logger", "expmanager.nemo_logging"),
    ("nemo.utils.nemo_logging", "LogMode", "expmanager.nemo_logging"),
    ("nemo.utils.exceptions", "NeMoBaseException", "neural_types"),
    ("nemo.utils.exceptions", "LightningNotInstalledException", "neural_types"),
    ("nemo.utils.exp_manager", "NeMoModelCheckpoint", "expmanager"),
    ("nemo.utils.callbacks", "NeMoModelCheckpoint", "expmanager"),
    ("nemo.utils.callbacks", "PreemptionCallback", "expmanager"),
    ("nemo.utils.callbacks", "EMA", "expmanager"),
    ("nemo.utils.callbacks.nemo_model_checkpoint", "NeMoModelCheckpoint", "expmanager"),
    ("nemo.utils.callbacks.preemption", "PreemptionCallback", "expmanager"),
    ("nemo.constants", "NEMO_ENV_VARNAME_VERSION", "expmanager.constants"),
    ("nemo.constants", "NEMO_ENV_CACHE_DIR", "expmanager.constants"),
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
    import nemo.utils
    import nemo.utils.callbacks
    import nemo.utils.exp_manager

    for module in (nemo.core, nemo.core.classes, nemo.utils, nemo.utils.callbacks, nemo.utils.exp_manager):
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
        "import nemo.core.optim, nemo.core.config, nemo.utils, nemo.utils.exp_manager, nemo.utils.callbacks\n"
        "import nemo.constants, nemo.utils.exceptions\n"
        "from nemo.utils import logging\n"
        "from nemo.core import NeuralType, ChannelType, typecheck, Typing\n"
        "heavy = {'torch', 'lightning', 'hydra', 'huggingface_hub'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not heavy, heavy\n"
        "import nemo.core as core\n"
        "core.ModelPT\n"
        "assert 'lightning' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nemo_constants_are_nemo_values():
    import nemo.constants as c

    assert c.NEMO_ENV_VARNAME_ENABLE_COLORING == "NEMO_ENABLE_COLORING"
    assert c.NEMO_ENV_VARNAME_REDIRECT_LOGS_TO_STDERR == "NEMO_REDIRECT_LOGS_TO_STDERR"
    assert c.NEMO_ENV_VARNAME_TESTING == "NEMO_TESTING"
    assert c.NEMO_ENV_VARNAME_VERSION == "NEMO_EXPM_VERSION"
    assert c.NEMO_ENV_CACHE_DIR == "NEMO_CACHE_DIR"
    assert c.NEMO_ENV_DATA_STORE_CACHE_DIR == "NEMO_DATA_STORE_CACHE_DIR"
    assert c.NEMO_ENV_DATA_STORE_CACHE_SHARED == "NEMO_DATA_STORE_CACHE_SHARED"


def test_cache_dir_variable_is_the_one_modelpt_reads(tmp_path, monkeypatch):
    from modelpt.pretrained import resolve_cache_dir
    from nemo.constants import NEMO_ENV_CACHE_DIR

    monkeypatch.setenv(NEMO_ENV_CACHE_DIR, str(tmp_path / "cache"))
    assert resolve_cache_dir() == (tmp_path / "cache").resolve()


def test_one_except_clause_catches_every_package_error():
    import expmanager.errors
    import modelpt.errors
    from nemo.utils.exceptions import LightningNotInstalledException, NeMoBaseException

    raised = [
        expmanager.errors.NotFoundError("no checkpoint"),
        expmanager.errors.ConfigError("bad key"),
        modelpt.errors.RestoreError("no weights"),
        modelpt.errors.ArtifactError("no file"),
        LightningNotInstalledException("exp_manager"),
    ]
    for error in raised:
        with pytest.raises(NeMoBaseException) as info:
            raise error
        assert str(info.value) == info.value.message != ""


def test_nemo_utils_logging_prints_nemo_lines_and_feeds_exp_manager_files(tmp_path):
    # A fresh process: the logger object is process-wide and installs its handlers when first imported.
    code = (
        "import sys\n"
        "from nemo.utils import logging\n"
        "from expmanager import logfiles\n"
        "logging.info('hello from user code')\n"
        "logging.warning('once only', mode=1)\n"
        "logging.warning('once only', mode=1)\n"
        f"logfiles.install_file_handlers(__import__('pathlib').Path({str(tmp_path)!r}), 0, 0)\n"
        "logging.info('into the experiment log')\n"
        "import logging as std\n"
        "std.getLogger('modelpt.modelpt').info('a package message')\n"
        "assert 'torch' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("[NeMo I ")
    assert "<string>:4] hello from user code" in done.stdout
    assert done.stderr.count("once only") == 1
    assert "a package message" in done.stdout
    log = (tmp_path / "nemo_log_globalrank-0_localrank-0.txt").read_text()
    assert "into the experiment log" in log
    assert "a package message" in log


def test_names_nemo_keeps_out_of_all_are_still_importable_by_name():
    from nemo.core.classes.common import is_semantic_typecheck_enabled, typecheck
    from nemo.core.neural_types import NeuralType, NeuralTypeComparisonResult
    from nemo.core.neural_types.elements import (
        NormalDistributionSamplesType,
        ProbabilityDistributionSamplesType,
    )

    with typecheck.disable_semantic_checks():
        assert is_semantic_typecheck_enabled() is False
    assert is_semantic_typecheck_enabled() is True
    normal = NeuralType(("B", "T"), NormalDistributionSamplesType())
    general = NeuralType(("B", "T"), ProbabilityDistributionSamplesType())
    assert normal.compare(general) == NeuralTypeComparisonResult.LESS
    assert general.compare(normal) == NeuralTypeComparisonResult.GREATER
