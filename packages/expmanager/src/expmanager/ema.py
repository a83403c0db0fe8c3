"""Exponential moving average of the weights (NeMo's ``EMA`` callback).

After every ``every_n_steps``-th optimizer step: ``ema = decay * ema + (1 - decay) * param``. The averaged
weights are swapped into the model for validation (unless ``validate_original_weights``) and for the
``-EMA.ckpt`` twin and ``.nemo`` files, and swapped back afterwards; training always continues on the
original weights. The averages are part of the checkpoint, so a resumed run continues the same average.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

__all__ = ["EMA"]


class EMA(Callback):
    """Keep an exponential moving average of the model's floating-point parameters and buffers.

    Args:
        decay: weight of the running average, in [0, 1].
        validate_original_weights: validate with the training weights instead of the averages.
        every_n_steps: update the average every this many optimizer steps.
        cpu_offload: keep the averages in CPU memory.

    Raises:
        ValueError: ``decay`` outside [0, 1] or ``every_n_steps`` below 1.
    """

    def __init__(
        self,
        decay: float,
        validate_original_weights: bool = False,
        every_n_steps: int = 1,
        cpu_offload: bool = False,
    ) -> None:
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"EMA decay must be in [0, 1], got {decay}.")
        if every_n_steps < 1:
            raise ValueError(f"EMA every_n_steps must be 1 or more, got {every_n_steps}.")
        self.decay = decay
        self.validate_original_weights = validate_original_weights
        self.every_n_steps = every_n_steps
        self.cpu_offload = cpu_offload
        self._ema: list[torch.Tensor] | None = None
        self._last_step = -1
        self._swapped = False

    @property
    def initialized(self) -> bool:
        """Whether the averages exist (after ``fit`` started or a checkpoint was restored)."""
        return self._ema is not None

    @staticmethod
    def _tensors(pl_module: pl.LightningModule) -> list[torch.Tensor]:
        state = pl_module.state_dict(keep_vars=True)
        return [t for t in state.values() if isinstance(t, torch.Tensor) and t.is_floating_point()]

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Start the averages from the current weights unless a checkpoint provided them."""
        tensors = self._tensors(pl_module)
        if self._ema is None:
            device = torch.device("cpu") if self.cpu_offload else None
            self._ema = [t.detach().clone().to(device or t.device) for t in tensors]
        elif len(self._ema) != len(tensors):
            raise ValueError(
                f"The EMA state restored from the checkpoint has {len(self._ema)} tensors but the model has "
                f"{len(tensors)}: the checkpoint belongs to another model."
            )
        else:
            self._ema = [
                e.to("cpu" if self.cpu_offload else t.device) for e, t in zip(self._ema, tensors, strict=True)
            ]

    @torch.no_grad()
    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        """Update the averages after every ``every_n_steps``-th optimizer step."""
        step = trainer.global_step
        if self._ema is None or step == self._last_step or step % self.every_n_steps != 0:
            return
        self._last_step = step
        for ema, param in zip(self._ema, self._tensors(pl_module), strict=True):
            ema.mul_(self.decay).add_(param.detach().to(ema.device), alpha=1.0 - self.decay)

    @torch.no_grad()
    def swap(self, pl_module: pl.LightningModule) -> None:
        """Exchange the model's weights and the averages in place."""
        if self._ema is None:
            return
        for ema, param in zip(self._ema, self._tensors(pl_module), strict=True):
            tmp = param.detach().clone()
            param.copy_(ema.to(param.device))
            ema.copy_(tmp.to(ema.device))
        self._swapped = not self._swapped

    @contextlib.contextmanager
    def swapped(self, pl_module: pl.LightningModule) -> Iterator[None]:
        """Run the body with the averaged weights in the model (no-op if they already are)."""
        if self._swapped or self._ema is None:
            yield
            return
        self.swap(pl_module)
        try:
            yield
        finally:
            self.swap(pl_module)

    def _start_eval(self, pl_module: pl.LightningModule) -> None:
        if not self.validate_original_weights and not self._swapped:
            self.swap(pl_module)

    def _end_eval(self, pl_module: pl.LightningModule) -> None:
        if self._swapped:
            self.swap(pl_module)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Validate the averaged weights."""
        self._start_eval(pl_module)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Put the training weights back."""
        self._end_eval(pl_module)

    def on_test_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Test the averaged weights."""
        self._start_eval(pl_module)

    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Put the training weights back."""
        self._end_eval(pl_module)

    def state_dict(self) -> dict[str, Any]:
        """The averages (on CPU) and the last step they were updated at."""
        ema = None if self._ema is None else [e.detach().cpu().clone() for e in self._ema]
        return {"ema": ema, "decay": self.decay, "last_step": self._last_step}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue the average a checkpoint recorded."""
        self._ema = state_dict.get("ema")
        self._last_step = int(state_dict.get("last_step", -1))
