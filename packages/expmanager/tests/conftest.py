import sys
from pathlib import Path

import pytest

# tiny.py and the scenario script live next to this file; make them importable in the workspace and in the
# isolated session, where the tests are copied outside the repository.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts without a version chosen by an earlier one and runs in its own cwd."""
    monkeypatch.delenv("NEMO_EXPM_VERSION", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    from expmanager.logfiles import remove_file_handlers

    remove_file_handlers()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # Lightning 2.6 calls a torch pytree API that newer torch deprecates; the warning is raised inside
        # Lightning and is not ours to fix.
        item.add_marker(
            pytest.mark.filterwarnings(
                "ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"
            )
        )
        # The tests' datasets are a few tensors in memory: loader worker processes would only slow them down.
        item.add_marker(
            pytest.mark.filterwarnings(
                "ignore:The '(train|val|test)_dataloader' does not have many workers"
                ":lightning.fabric.utilities.warnings.PossibleUserWarning"
            )
        )
