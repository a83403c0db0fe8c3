"""End-to-end tests: the main job as a subprocess, NeMo-style user code, a file written by nemo_toolkit."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DIGITS = ROOT / "examples" / "digits"
FIXTURES = HERE / "fixtures"

# nemo_user_code.py sits next to the tests (pytest runs with --import-mode=importlib).
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture(autouse=True)
def _own_cwd_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Each test runs in its own cwd; exp_manager's exported run version does not leak into the next test."""
    monkeypatch.chdir(tmp_path)
    had_version = os.environ.pop("NEMO_EXPM_VERSION", None)
    yield
    os.environ.pop("NEMO_EXPM_VERSION", None)
    if had_version is not None:
        os.environ["NEMO_EXPM_VERSION"] = had_version


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in Path(str(item.fspath)).parents:
            continue
        # Lightning 2.6 calls a torch pytree API that newer torch deprecates; raised inside Lightning.
        item.add_marker(
            pytest.mark.filterwarnings(
                "ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"
            )
        )
        # The datasets are a few tensors in memory: loader worker processes would only slow them down.
        item.add_marker(
            pytest.mark.filterwarnings(
                "ignore:The '(train|val|test)_dataloader' does not have many workers"
                ":lightning.fabric.utilities.warnings.PossibleUserWarning"
            )
        )
