"""Loading checkpoints with ``torch.load(weights_only=True)`` when their hyper-parameters are OmegaConf configs.

Lightning stores a module's hyper-parameters in every checkpoint; a NeMo model's are an OmegaConf
``DictConfig``. torch >= 2.6 unpickles with ``weights_only=True`` by default and refuses those classes
(``Unsupported global: GLOBAL omegaconf.dictconfig.DictConfig``), so resuming such a run failed. Instead of
switching ``weights_only`` off (which runs code from the file), exactly the OmegaConf classes a config
pickles into are allowed, and only while a trainer checkpoint is being loaded:

- :class:`SafeGlobalsCheckpointIO` is the trainer's checkpoint IO that ``exp_manager`` installs: Lightning's
  own ``TorchCheckpointIO``, its loads wrapped in ``torch.serialization.safe_globals``. It serves resuming
  (``resume_if_exists``, ``resume_from_checkpoint``, ``trainer.fit(ckpt_path=...)``) and
  ``trainer.validate/test(ckpt_path=...)``.
- :func:`load_checkpoint` is the same rule for expmanager's own reads (``save_best_model``).

The process-wide allow-list (``torch.serialization.add_safe_globals``) is left alone.
"""

from __future__ import annotations

import collections
import logging
import typing
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

__all__ = ["SafeGlobalsCheckpointIO", "checkpoint_safe_globals", "install_safe_loading", "load_checkpoint"]

log = logging.getLogger("expmanager")


def checkpoint_safe_globals() -> list[Any]:
    """The classes an OmegaConf config is pickled into (containers, metadata, value nodes), and nothing else.

    Enum and path values, and configs built from dataclasses, pickle the user's own classes too; those
    still need ``torch.serialization.add_safe_globals`` by the user.
    """
    from omegaconf import DictConfig, ListConfig  # noqa: PLC0415 - loaded when a checkpoint is read
    from omegaconf.base import ContainerMetadata, Metadata  # noqa: PLC0415
    from omegaconf.nodes import (  # noqa: PLC0415
        AnyNode,
        BooleanNode,
        BytesNode,
        FloatNode,
        IntegerNode,
        StringNode,
    )

    return [
        DictConfig,
        ListConfig,
        ContainerMetadata,
        Metadata,
        AnyNode,
        BooleanNode,
        BytesNode,
        FloatNode,
        IntegerNode,
        StringNode,
        # what the metadata holds: key and element types (typing.Any, int, ...) and the flags' defaultdict
        typing.Any,
        dict,
        list,
        int,
        collections.defaultdict,
    ]


class SafeGlobalsCheckpointIO(TorchCheckpointIO):
    """Lightning's ``TorchCheckpointIO`` whose loads also accept OmegaConf configs under ``weights_only``."""

    def load_checkpoint(self, path: Any, map_location: Any = None, weights_only: bool | None = None) -> Any:
        """Load ``path`` with the OmegaConf classes allowed (see :func:`checkpoint_safe_globals`)."""
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return super().load_checkpoint(path, map_location=map_location, weights_only=weights_only)


def install_safe_loading(trainer: Any) -> bool:
    """Give ``trainer`` a :class:`SafeGlobalsCheckpointIO` when it uses Lightning's default checkpoint IO.

    A checkpoint IO the user configured (another class, a wrapper) is left as it is.

    Returns:
        Whether it was installed.
    """
    strategy = trainer.strategy
    current = getattr(strategy, "checkpoint_io", None)
    if type(current) is SafeGlobalsCheckpointIO:
        return True
    if type(current) is not TorchCheckpointIO:
        log.debug("Keeping the trainer's checkpoint IO %s.", type(current).__name__)
        return False
    strategy.checkpoint_io = SafeGlobalsCheckpointIO()
    return True


def load_checkpoint(path: str | Path, map_location: Any = "cpu") -> Any:
    """``torch.load(path, weights_only=True)`` with OmegaConf's config classes allowed."""
    with torch.serialization.safe_globals(checkpoint_safe_globals()):
        return torch.load(path, map_location=map_location, weights_only=True)
