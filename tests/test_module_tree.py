"""NeMo 3.0.0's module tree under ``nemo.core``, ``nemo.utils`` and ``nemo.constants`` exists in ``nemo``.

``data/nemo-3.0.0-modules.json`` lists every module nemo_toolkit 3.0.0 ships there, whether it imports without
NeMo's collections, and its public names (its ``__all__``, else the classes and functions it defines).

Exclusion rule: a module is left out only when nemo_toolkit 3.0.0 itself cannot import it without Megatron,
Apex, k2 or boto3 (``importable: false`` in the list: ``nemo.core.optim.distributed_adam``,
``nemo.core.utils.k2_guard``, ``nemo.utils.callbacks.s3_checkpoint_io``, ``nemo.utils.s3_utils``). Every
other module must import and have every public name, with the kind the list gives.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

TREE = json.loads((Path(__file__).parent / "data" / "nemo-3.0.0-modules.json").read_text(encoding="utf-8"))
IN_SCOPE = sorted(name for name, entry in TREE.items() if entry["importable"])
EXCLUDED = sorted(name for name, entry in TREE.items() if not entry["importable"])


def test_exclusions_are_exactly_the_modules_nemo_itself_cannot_import():
    assert EXCLUDED == [
        "nemo.core.optim.distributed_adam",
        "nemo.core.utils.k2_guard",
        "nemo.utils.callbacks.s3_checkpoint_io",
        "nemo.utils.s3_utils",
    ]
    assert len(IN_SCOPE) == 101


@pytest.mark.parametrize("module_name", IN_SCOPE)
def test_module_exists_with_its_public_names(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name in TREE[module_name]["public"] if not hasattr(module, name)]
    assert not missing, f"{module_name} lacks {missing}"
    for name, info in TREE[module_name]["public"].items():
        value = getattr(module, name)
        if info["kind"] == "class":
            assert isinstance(value, type), f"{module_name}.{name} should be a class"
        elif info["kind"] == "function":
            assert callable(value), f"{module_name}.{name} should be callable"


def test_submodules_are_attributes_of_their_packages():
    from nemo.core import config, optim

    assert config.optimizers.SGDParams is config.SGDParams
    assert optim.novograd.Novograd is optim.Novograd


def test_importing_the_packages_stays_light():
    code = (
        "import sys, nemo.core, nemo.core.config, nemo.core.optim, nemo.utils;"
        "heavy = {'torch', 'lightning', 'hydra'} & set(sys.modules); assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
