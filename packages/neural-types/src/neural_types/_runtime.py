"""Detect TorchScript scripting and ``torch.compile``/dynamo tracing without importing torch.

Type checks are Python-level bookkeeping that compilers cannot (and need not) follow. torch is only consulted
once something else has imported it, so ``import neural_types`` stays torch-free. The dynamo probe is
looked up once, since it runs on every call of every typed method.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_probe: Callable[[], bool] | None = None


def _never() -> bool:
    return False


def is_scripting() -> bool:
    """Return True inside TorchScript-compiled code (False in eager Python, and when torch is not loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.jit.is_scripting())


def is_compiling() -> bool:
    """Return True while ``torch.compile``/dynamo traces the calling code."""
    global _probe  # noqa: PLW0603 - resolved once, on first use after torch is imported
    probe = _probe
    if probe is None:
        torch = sys.modules.get("torch")
        if torch is None:
            return False
        probe = _probe = getattr(getattr(torch, "compiler", None), "is_compiling", None) or _never
    return probe()


def under_compiler() -> bool:
    """Return True inside TorchScript-compiled code or while dynamo traces the calling code."""
    return is_scripting() or is_compiling()
