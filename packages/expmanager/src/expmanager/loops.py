"""``SkipResumeTrainingValidationLoop``: no validation right after resuming from a checkpoint.

A checkpoint written after validation would otherwise make the resumed run validate the same weights
again before training on.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.loops.training_epoch_loop import _TrainingEpochLoop

__all__ = ["SkipResumeTrainingValidationLoop"]


class SkipResumeTrainingValidationLoop(_TrainingEpochLoop):
    """Lightning's training epoch loop, minus the validation check while the loop is restarting."""

    def _should_check_val_fx(self, data_fetcher: Any) -> bool:
        if self.restarting:
            return False
        return bool(super()._should_check_val_fx(data_fetcher))
