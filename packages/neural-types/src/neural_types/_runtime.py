"""Detect TorchScript scripting and ``torch.compile`` tracing without importing torch.

Type checks are Python-level bookkeeping that compilers cannot (and need not) follow. torch is only consulted
when something else already imported it, so ``import neural_types`` stays torch-free.
"""

from __future__ import annotations

import sys


def is_compiling() -> bool:
    """Return True while TorchScript scripts, or ``torch.compile``/dynamo traces, the calling code."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    jit = getattr(torch, "jit", None)
    if jit is not None and jit.is_scripting():
        return True
    compiler = getattr(torch, "compiler", None)
    if compiler is not None and hasattr(compiler, "is_compiling"):
        return bool(compiler.is_compiling())
    return False
