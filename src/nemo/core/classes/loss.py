"""``nemo.core.classes.loss``: ``Loss``, a torch loss module with neural types and config serialization."""

from __future__ import annotations

from typing import Any

import torch

from modelpt import Serialization
from neural_types import Typing

__all__ = ["Loss"]


class Loss(torch.nn.modules.loss._Loss, Typing, Serialization):
    """Base of NeMo losses: ``torch.nn.modules.loss._Loss`` (``reduction`` and friends) plus ``Typing``.

    Args:
        **kwargs: Passed to ``_Loss`` (``size_average``, ``reduce``, ``reduction``).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
