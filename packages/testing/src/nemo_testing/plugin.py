"""Pytest plugin: a loopback Hugging Face Hub for the whole test session.

Enable it from a test suite's top ``conftest.py``::

    pytest_plugins = ["nemo_testing.plugin"]

At configure time (before any test module is imported) it starts a :class:`~nemo_testing.hub_server.LoopbackHub`
and points the client at it: ``HF_ENDPOINT`` (the server), ``HF_HOME`` (a fresh directory under pytest's base
temp dir, so the Hub cache and token files stay inside the test run), ``HF_TOKEN`` (the server's dummy token),
``HF_HUB_DISABLE_XET=1`` and ``HF_HUB_DISABLE_TELEMETRY=1``; ``HF_HUB_OFFLINE`` and cache overrides are removed.
``huggingface_hub`` reads these variables once, when it is first imported, which is why this happens at
configure time rather than in a fixture. Everything is restored when the session ends.

Fixtures:
    hf_hub: the session's :class:`LoopbackHub` (``hf_hub.stopped()`` makes it unreachable for a while).
    empty_hf_hub: the same hub, emptied before the test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .hub_server import LoopbackHub

_HUB = pytest.StashKey[LoopbackHub]()
_PATCH = pytest.StashKey[pytest.MonkeyPatch]()

# Variables that would send the client elsewhere than the loopback Hub and its temporary cache.
_CLEARED = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_ASSETS_CACHE",
    "HF_TOKEN_PATH",
    "HF_STORED_TOKENS_PATH",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_HUB_DISABLE_PROGRESS_BARS",
)


def _base_temp(config: pytest.Config) -> Path:
    # pytest's own tmp_path_factory is created by its tmpdir plugin's configure hook, which runs before ours.
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        factory = pytest.TempPathFactory.from_config(config, _ispytest=True)
    return factory.mktemp("hf-home", numbered=True)


def pytest_configure(config: pytest.Config) -> None:
    """Start the loopback Hub and point ``huggingface_hub`` at it."""
    hub = LoopbackHub().start()
    patch = pytest.MonkeyPatch()
    for name in _CLEARED:
        patch.delenv(name, raising=False)
    patch.setenv("HF_ENDPOINT", hub.url)
    patch.setenv("HF_HOME", str(_base_temp(config)))
    patch.setenv("HF_TOKEN", hub.token)
    patch.setenv("HF_HUB_DISABLE_XET", "1")
    patch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    config.stash[_HUB] = hub
    config.stash[_PATCH] = patch
    # huggingface_hub uploads LFS objects with `data=<file>`, which its HTTP library (httpx / httpx2) deprecates
    # in favour of `content=`. Only LFS uploads to this hub reach that call (the real Hub uses Xet), and the
    # client, not the code under test, makes it; ignored for suites that use this plugin only. No module
    # field: pytest.warns() re-emits the warnings it did not expect, attributed to the test module.
    config.addinivalue_line(
        "filterwarnings",
        r"ignore:Use 'content=<\.\.\.>' to upload raw bytes/text content\.:DeprecationWarning",
    )
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and getattr(constants, "ENDPOINT", None) != hub.url:
        raise pytest.UsageError(
            "huggingface_hub was imported before nemo_testing.plugin configured the loopback Hub, so it keeps "
            f"talking to {constants.ENDPOINT}. Load the plugin from the top conftest.py "
            "(pytest_plugins = ['nemo_testing.plugin']) and do not import huggingface_hub in conftest modules."
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the Hub and restore the environment."""
    hub = config.stash.get(_HUB, None)
    if hub is not None and hub.running:
        hub.stop()
    patch = config.stash.get(_PATCH, None)
    if patch is not None:
        patch.undo()


@pytest.fixture(scope="session")
def hf_hub(pytestconfig: pytest.Config) -> Iterator[LoopbackHub]:
    """The session's loopback Hub; always running again after each test that stopped it."""
    hub = pytestconfig.stash[_HUB]
    yield hub
    if not hub.running:
        hub.start()


@pytest.fixture
def empty_hf_hub(hf_hub: LoopbackHub) -> Iterator[LoopbackHub]:
    """The loopback Hub with no repositories and an empty request log."""
    hf_hub.reset()
    yield hf_hub
    if not hf_hub.running:
        hf_hub.start()
