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
    """Return True while dynamo traces the calling code (``torch.compile``, and ``torch.export`` in strict mode).

    The probe is ``torch.compiler.is_dynamo_compiling``, which dynamo folds to True while tracing and which
    in eager mode is a bare ``return False``: the cheapest call dynamo recognises, and it runs on every call
    of every typed method. Non-strict ``torch.export`` runs the Python code eagerly on fake tensors, so the
    checks run there as they do in eager mode. Older torch without that function gets
    ``torch.compiler.is_compiling``.
    """
    global _probe  # noqa: PLW0603 - resolved once, on first use after torch is imported
    probe = _probe
    if probe is None:
        torch = sys.modules.get("torch")
        if torch is None:
            return False
        compiler = getattr(torch, "compiler", None)
        probe = _probe = (
            getattr(compiler, "is_dynamo_compiling", None)
            or getattr(compiler, "is_compiling", None)
            or _never
        )
    return probe()


def under_compiler() -> bool:
    """Return True inside TorchScript-compiled code or while dynamo traces the calling code."""
    return is_scripting() or is_compiling()
