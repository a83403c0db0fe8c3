"""NeMo's Lightning loop and connector classes of ``nemo.utils.exp_manager`` (loaded on first use: Lightning).

``exp_manager`` itself installs neither: Lightning >= 2.5 already skips the repeated validation on resume
that ``SkipResumeTrainingValidationLoop`` was written for. They are here for code that installs them itself.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from lightning.pytorch.loops.training_epoch_loop import _TrainingEpochLoop
from lightning.pytorch.trainer.connectors.checkpoint_connector import _CheckpointConnector

from expmanager.nemo_logging import logging

__all__ = [
    "NeMoCheckpointConnector",
    "SkipResumeTrainingValidationLoop",
    "configure_no_restart_validation_training_loop",
]


class SkipResumeTrainingValidationLoop(_TrainingEpochLoop):
    """Lightning's training epoch loop that never runs a validation while it is restarting from a checkpoint.

    A run resumed from a checkpoint saved right after a validation would otherwise validate again first.
    """

    def _should_check_val_fx(self, data_fetcher: Any) -> bool:
        if self.restarting:
            return False
        return bool(super()._should_check_val_fx(data_fetcher))


def configure_no_restart_validation_training_loop(trainer: Any) -> None:
    """Replace ``trainer``'s training epoch loop by :class:`SkipResumeTrainingValidationLoop`.

    A custom (non-default) epoch loop is left in place, with a ``UserWarning``.
    """
    loop = trainer.fit_loop.epoch_loop
    if type(loop) is not _TrainingEpochLoop:
        warnings.warn(
            f"Detected custom epoch loop {type(loop).__name__}; it is left in place, so validation is not "
            "skipped on resume.",
            UserWarning,
            stacklevel=2,
        )
        return
    replacement = SkipResumeTrainingValidationLoop(trainer, trainer.min_steps, trainer.max_steps)
    replacement.trainer = trainer
    trainer.fit_loop.epoch_loop = replacement


class NeMoCheckpointConnector(_CheckpointConnector):
    """Lightning's checkpoint connector that logs how long restoring a checkpoint took."""

    def __init__(self, trainer: Any) -> None:
        """Wrap ``trainer`` like Lightning's own connector."""
        super().__init__(trainer)

    def resume_start(self, checkpoint_path: Any = None, *args: Any, **kwargs: Any) -> None:
        """Load the checkpoint as Lightning does, and log the time it took."""
        start = time.perf_counter()
        super().resume_start(checkpoint_path, *args, **kwargs)
        if checkpoint_path is not None:
            logging.info(f"Time taken to restore {checkpoint_path}: {time.perf_counter() - start:.2f} s")
