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
