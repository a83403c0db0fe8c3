"""``NeMoModelCheckpoint``: Lightning's ``ModelCheckpoint`` made NeMo's.

NeMo's file names and ``.nemo`` files, atomic writes, and a ledger that survives resumes:

- Every ``.ckpt`` and ``.nemo`` is written to a hidden temp sibling and moved into place atomically, so a
  process killed mid-save leaves the previous files intact; :meth:`setup` deletes the leftovers.
- NeMo's ``<stem>-unfinished`` marker exists while a checkpoint is written or removed; a marked checkpoint
  is never resumed from, and :meth:`setup` deletes it.
- The ledger entry of a checkpoint is written before the file is published, so when a kill leaves two
  ``-last`` files, resume knows which one is newer.
- ``-last.ckpt`` is written as Lightning's "last" checkpoint, and again when ``fit`` finishes;
  ``-end.ckpt`` when ``fit`` finishes only with ``save_end_checkpoint=True``.
- A JSON ledger (:mod:`expmanager.ledger`) records every saved file with step, epoch and metric; a resumed
  run rebuilds its top-k from it.
- ``.nemo`` files are written through the model's ``save_to(path)`` (duck typing: any LightningModule with
  that method), on global rank 0 only.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_only

from expmanager._ckpt_files import (
    locked_temp,
    marker_path,
    publish_checkpoint,
    remove_stale_leftovers,
    remove_unfinished,
)
from expmanager._io import PARTIAL_MARK, UNFINISHED_SUFFIX, publish
from expmanager.errors import ConfigError
from expmanager.ledger import Ledger
from expmanager.safe_load import load_checkpoint

__all__ = ["NeMoModelCheckpoint", "UNFINISHED_SUFFIX", "ema_twin"]

log = logging.getLogger("expmanager")


def _ema_callback(trainer: pl.Trainer) -> Any:
    from expmanager.ema import EMA  # noqa: PLC0415 - ema imports this module's siblings; keep the cycle lazy

    return next((cb for cb in trainer.callbacks if isinstance(cb, EMA)), None)  # type: ignore[attr-defined]


def ema_twin(filepath: str | os.PathLike[str]) -> Path:
    """The sibling that holds the averaged weights: ``x.ckpt`` -> ``x-EMA.ckpt``."""
    path = Path(filepath)
    return path.with_name(f"{path.stem}-EMA{path.suffix}")


class NeMoModelCheckpoint(ModelCheckpoint):
    """NeMo's checkpoint callback.

    Args:
        always_save_nemo: also write the ``.nemo`` whenever a checkpoint is saved (with ``save_best_model``:
            only when the best checkpoint changed).
        save_nemo_on_train_end: write the ``.nemo`` when ``fit`` finishes.
        save_best_model: at train end, load the best checkpoint's weights into the model before the ``.nemo``.
        postfix: extension of the ``.nemo`` file (``dirpath/prefix + postfix``).
        n_resume: the run resumes; rebuild top-k from the ledger and the files on disk in :meth:`setup`.
        model_parallel_size: recorded for NeMo compatibility (tensor/pipeline parallel size).
        async_save: Megatron's asynchronous checkpoint IO; not provided (must be False).
        save_last_n_optim_states: Megatron distributed checkpoints only; must be -1.
        prefix: the experiment name, used for the ``.nemo`` file name.
        save_end_checkpoint: also write ``<name>-end.ckpt`` when ``fit`` finishes (a later
            ``resume_if_exists`` then refuses unless ``resume_past_end``); NeMo 3.0.0 does not write it.
        **kwargs: Lightning ``ModelCheckpoint`` arguments.

    Raises:
        ConfigError: ``async_save`` or ``save_last_n_optim_states`` asks for what is not provided.
    """

    #: NeMo's marker suffix: ``<checkpoint stem>-unfinished`` exists while a checkpoint is written or removed.
    UNFINISHED_CHECKPOINT_SUFFIX = UNFINISHED_SUFFIX

    def __init__(
        self,
        always_save_nemo: bool = False,
        save_nemo_on_train_end: bool = True,
        save_best_model: bool = False,
        postfix: str = ".nemo",
        n_resume: bool = False,
        model_parallel_size: int | None = None,
        async_save: bool = False,
        save_last_n_optim_states: int = -1,
        *,
        prefix: str | None = None,
        save_end_checkpoint: bool = False,
        **kwargs: Any,
    ) -> None:
        if async_save or save_last_n_optim_states not in (None, -1):
            raise ConfigError(
                f"NeMoModelCheckpoint: got async_save={async_save!r}, "
                f"save_last_n_optim_states={save_last_n_optim_states!r}; these need Megatron's distributed "
                "checkpoint IO, which expmanager does not provide. Use async_save=False and "
                "save_last_n_optim_states=-1."
            )
        super().__init__(**kwargs)
        self.always_save_nemo = always_save_nemo
        self.save_nemo_on_train_end = save_nemo_on_train_end
        self.save_best_model = save_best_model
        self.postfix = postfix
        self.n_resume = n_resume
        self.model_parallel_size = model_parallel_size
        self.async_save = async_save
        self.save_last_n_optim_states = save_last_n_optim_states
        self.prefix = prefix or ""
        self.save_end_checkpoint = save_end_checkpoint
        # Per instance, not class-wide as in NeMo: two callbacks in one process keep their own names.
        base = self.filename or "{epoch}-{step}"
        self.CHECKPOINT_NAME_LAST = base + "-last"
        self.CHECKPOINT_NAME_END = base + "-end"
        self.end_model_path = ""
        self.nemo_path = ""
        self._trainer: pl.Trainer | None = None
        self._last_best_for_nemo = ""
        self._warned_no_save_to = False
        # the StatelessTimer keeps this much time in reserve for the final save
        self.longest_save_seconds = 0.0
        self._last_step_of_last = -1

    # ------------------------------------------------------------------------------------------ NeMo's markers

    @staticmethod
    def format_checkpoint_unfinished_marker_path(checkpoint_path: str | os.PathLike[str]) -> Path:
        """The marker of a checkpoint: ``<stem>-unfinished`` beside it (above a ``mp_rank_XX`` folder).

        ``.ckpt``/``.nemo`` and ``-EMA`` are dropped from the stem, so a checkpoint and its EMA twin share
        one marker.
        """
        return marker_path(checkpoint_path)

    @staticmethod
    def is_checkpoint_unfinished(checkpoint_path: str | os.PathLike[str]) -> bool:
        """Whether ``checkpoint_path`` has an unfinished marker (its save or removal was interrupted)."""
        return marker_path(checkpoint_path).exists()

    @staticmethod
    def set_checkpoint_unfinished_marker(
        checkpoint_path: str | os.PathLike[str], barrier_after: bool = False
    ) -> None:
        """Create the marker of ``checkpoint_path`` (global rank 0), then optionally wait for all ranks."""
        if getattr(rank_zero_only, "rank", 0) == 0:
            marker = marker_path(checkpoint_path)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        if barrier_after:
            _barrier()

    @staticmethod
    def remove_checkpoint_unfinished_marker(
        checkpoint_path: str | os.PathLike[str], barrier_before: bool = False
    ) -> None:
        """Optionally wait for all ranks, then remove the marker of ``checkpoint_path`` (global rank 0)."""
        if barrier_before:
            _barrier()
        if getattr(rank_zero_only, "rank", 0) == 0:
            marker_path(checkpoint_path).unlink(missing_ok=True)

    # ------------------------------------------------------------------------------------------ setup/resume

    @property
    def ledger(self) -> Ledger:
        """The ledger of this callback's checkpoint directory."""
        assert self.dirpath is not None
        return Ledger(self.dirpath)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Resolve the directory, remove leftovers of interrupted saves and, on resume, rebuild top-k."""
        super().setup(trainer, pl_module, stage)
        self._trainer = trainer
        if trainer.is_global_zero and self.dirpath and Path(self.dirpath).is_dir():
            self._remove_leftovers(Path(self.dirpath))
            self._prune_ledger(Path(self.dirpath))
            if self.n_resume and trainer.ckpt_path:
                self._remove_superseded_last(Path(self.dirpath), Path(str(trainer.ckpt_path)))
        trainer.strategy.barrier("NeMoModelCheckpoint.setup")
        if self.n_resume:
            self._rebuild_top_k(trainer)

    def _ModelCheckpoint__warn_if_dir_not_empty(self, dirpath: Any) -> None:
        """Lightning warns about a non-empty directory; a resumed run expects one, so only log otherwise."""
        if (
            not self.n_resume
            and self.save_top_k != 0
            and Path(str(dirpath)).is_dir()
            and any(p for p in Path(str(dirpath)).iterdir() if not p.name.startswith("."))
        ):
            log.warning("Checkpoint directory %s exists and is not empty.", dirpath)

    @staticmethod
    def _remove_leftovers(directory: Path) -> None:
        """Delete temp files of killed saves, and checkpoints with NeMo's ``-unfinished`` marker."""
        remove_stale_leftovers(directory)
        remove_unfinished(directory)

    def _prune_ledger(self, directory: Path) -> None:
        """Forget entries of files that never got published (entries are written before the file)."""
        for name in self.ledger.entries():
            if not (directory / name).exists():
                self.ledger.drop(directory / name)

    def _remove_superseded_last(self, directory: Path, resumed: Path) -> None:
        """Delete the older ``-last`` files a killed run left beside the newer one it resumes from."""
        entries = self.ledger.entries()
        mine = entries.get(resumed.name)
        if resumed.parent.absolute() != directory.absolute() or mine is None:
            return
        key = (mine.get("step", 0), mine.get("epoch", 0), mine.get("written", 0))
        for name, entry in entries.items():
            older = (entry.get("step", 0), entry.get("epoch", 0), entry.get("written", 0)) < key
            path = directory / name
            if entry.get("kind") == "last" and name != resumed.name and older and path.is_file():
                log.warning("Removing %s: a newer -last (%s) replaced it.", path, resumed.name)
                path.unlink(missing_ok=True)
                ema_twin(path).unlink(missing_ok=True)
                self.ledger.drop(path)

    def _parse_metric(self, name: str) -> float | None:
        if not self.monitor:
            return None
        match = re.search(re.escape(self.monitor) + r"=(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)", name)
        return float(match.group(1)) if match else None

    def _rebuild_top_k(self, trainer: pl.Trainer) -> None:
        """Rebuild ``best_k_models`` from the ledger and the files on disk, and trim it to ``save_top_k``.

        Rank 0 decides and broadcasts, so every rank keeps identical bookkeeping.
        """
        decided: dict[str, float] | None = None
        if trainer.is_global_zero and self.dirpath:
            decided = {}
            directory = Path(self.dirpath)
            entries = self.ledger.entries()
            for name, entry in entries.items():
                path = directory / name
                if entry.get("kind") == "topk" and entry.get("metric") is not None and path.is_file():
                    decided[str(path)] = float(entry["metric"])
            # files of a NeMo run, or saved just before a crash that kept the ledger from being updated
            for path in directory.glob(f"*{self.FILE_EXTENSION}"):
                stem = path.stem
                if stem.endswith(("-last", "-end", "-EMA")) or path.name in entries or str(path) in decided:
                    continue
                metric = self._parse_metric(path.name)
                if metric is not None:
                    decided[str(path)] = metric
        decided = trainer.strategy.broadcast(decided, src=0)
        if not decided:
            return
        reverse = self.mode == "max"
        ranked = sorted(decided.items(), key=lambda kv: kv[1], reverse=reverse)
        if self.save_top_k != -1 and len(ranked) > self.save_top_k:
            for stale, _ in ranked[self.save_top_k :]:
                log.info("Removing %s: it is no longer in the top %d.", stale, self.save_top_k)
                self._remove_checkpoint(trainer, stale)
            ranked = ranked[: self.save_top_k]
        self.best_k_models = {path: torch.tensor(value) for path, value in ranked}
        self.best_model_path, best = ranked[0]
        self.best_model_score = torch.tensor(best)
        if self.save_top_k != -1 and len(ranked) == self.save_top_k:
            self.kth_best_model_path, kth = ranked[-1]
            self.kth_value = torch.tensor(kth)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Lightning's restore, then the ledger (the files on disk are the truth) wins for top-k."""
        super().load_state_dict(state_dict)
        if self._trainer is not None:
            self._rebuild_top_k(self._trainer)

    # ------------------------------------------------------------------------------------------ saving

    def _metric_now(self, trainer: pl.Trainer) -> Any:
        return trainer.callback_metrics.get(self.monitor) if self.monitor else None

    def _kind(self, filepath: str) -> str:
        stem = Path(filepath).stem
        if stem.endswith("-end"):
            return "end"
        if filepath == self.last_model_path or stem.endswith("-last"):
            return "last"
        return "topk"

    def _write_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        """``trainer.save_checkpoint`` into a locked temp sibling, then publish it atomically (rank 0)."""
        started = time.monotonic()
        if trainer.is_global_zero:
            with locked_temp(filepath) as tmp:
                trainer.save_checkpoint(str(tmp), self.save_weights_only)
                publish_checkpoint(tmp, filepath)
        else:  # only global rank 0 writes (Lightning's strategies); the others take part in the collectives
            trainer.save_checkpoint(filepath, self.save_weights_only)
        trainer.strategy.barrier("NeMoModelCheckpoint.publish")
        self.longest_save_seconds = max(self.longest_save_seconds, time.monotonic() - started)

    def _record(self, trainer: pl.Trainer, filepath: str, kind: str, metric: Any) -> None:
        """The ledger entry of ``filepath``, written before the file is published (global rank 0)."""
        if trainer.is_global_zero:
            self.ledger.record(
                filepath,
                kind,
                step=trainer.global_step,
                epoch=trainer.current_epoch,
                metric=metric,
                monitor=self.monitor,
                written=time.time_ns(),
            )

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        """Save atomically inside NeMo's marker protocol, with its ledger entry, EMA twin and ``.nemo``."""
        kind = self._kind(filepath)
        metric = self.best_k_models.get(filepath) if kind == "topk" else self._metric_now(trainer)
        self._record(trainer, filepath, kind, metric)
        self.set_checkpoint_unfinished_marker(filepath, barrier_after=True)
        self._write_checkpoint(trainer, filepath)
        ema = _ema_callback(trainer)
        if ema is not None and ema.initialized:
            with ema.swapped(trainer.lightning_module):
                self._write_checkpoint(trainer, str(ema_twin(filepath)))
        self.remove_checkpoint_unfinished_marker(filepath, barrier_before=True)
        self._last_global_step_saved = trainer.global_step
        self._last_checkpoint_saved = filepath
        if trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.after_save_checkpoint(self)
        if self.always_save_nemo and kind != "end":
            if self.save_best_model:
                if self.best_model_path and self.best_model_path != self._last_best_for_nemo:
                    self._last_best_for_nemo = self.best_model_path
                    self.save_nemo(trainer, trainer.lightning_module, self.best_model_path)
            else:
                self.save_nemo(trainer, trainer.lightning_module, filepath)

    def _save_topk_checkpoint(self, trainer: pl.Trainer, monitor_candidates: dict[str, Any]) -> None:
        """Lightning's top-k save, then ``-last`` even when this step did not make the top k.

        Lightning 2.x refreshes ``last`` only when a top-k file was written at the same step, so after a few
        epochs without improvement ``-last`` would lag behind and a resume would lose that progress.
        """
        super()._save_topk_checkpoint(trainer, monitor_candidates)
        if self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, monitor_candidates)

    def _save_last_checkpoint(self, trainer: pl.Trainer, monitor_candidates: dict[str, Any]) -> None:
        """Write ``-last`` at most once per global step."""
        if not self.save_last:
            return
        if (
            self._last_step_of_last == trainer.global_step
            and self.last_model_path
            and self.format_checkpoint_name(monitor_candidates, self.CHECKPOINT_NAME_LAST)
            == self.last_model_path
        ):
            return
        super()._save_last_checkpoint(trainer, monitor_candidates)
        self._last_step_of_last = trainer.global_step

    def _should_remove_checkpoint(self, trainer: pl.Trainer, previous: str, current: str) -> bool:
        """Any superseded file inside our directory may go, including the one this run resumed from.

        Lightning keeps the resumed-from file; for ``-last`` that would leave two ``*last.ckpt`` files and
        make the next resume ambiguous.
        """
        if previous == current or not self.dirpath:
            return False
        return Path(self.dirpath).absolute() in Path(previous).absolute().parents

    def _remove_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        """Remove a checkpoint, its EMA twin and its ledger entry (rank 0), marked unfinished meanwhile."""
        self.set_checkpoint_unfinished_marker(filepath, barrier_after=True)
        super()._remove_checkpoint(trainer, filepath)
        if trainer.is_global_zero:
            ema_twin(filepath).unlink(missing_ok=True)
            self.ledger.drop(filepath)
        self.remove_checkpoint_unfinished_marker(filepath, barrier_before=True)

    def save_last_now(self, trainer: pl.Trainer) -> str:
        """Save a ``-last`` checkpoint at the current step unless one was just saved (preemption, timer).

        Returns:
            The path of the current ``-last`` checkpoint.
        """
        if self._last_step_of_last != trainer.global_step or not self.last_model_path:
            saved_last = self.save_last
            self.save_last = True
            try:
                self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
            finally:
                self.save_last = saved_last
        return self.last_model_path

    # ------------------------------------------------------------------------------------------ train end

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Refresh ``-last``, write ``-end`` (if asked), restore the best weights if asked, write the ``.nemo``."""
        if getattr(trainer, "fast_dev_run", False):
            return
        candidates = self._monitor_candidates(trainer)
        if self.save_last and self.format_checkpoint_name(candidates, self.CHECKPOINT_NAME_LAST) != (
            self.last_model_path
        ):
            # as NeMo: the epoch (or step) moved on since the last save; the final state gets its -last
            self._save_last_checkpoint(trainer, candidates)
        super().on_train_end(trainer, pl_module)
        source = self.last_model_path or ""
        if self.save_end_checkpoint:
            source = self._save_end_checkpoint(trainer, candidates)
        if self.save_best_model:
            if self.best_model_path and Path(self.best_model_path).is_file():
                state = load_checkpoint(self.best_model_path, map_location="cpu")
                pl_module.load_state_dict(state["state_dict"])
                source = self.best_model_path
            else:
                log.warning(
                    "save_best_model is set but no best checkpoint exists; keeping the final weights."
                )
        if self.save_nemo_on_train_end:
            self.save_nemo(trainer, pl_module, source)

    def _save_end_checkpoint(self, trainer: pl.Trainer, candidates: dict[str, Any]) -> str:
        """Write ``-end.ckpt`` (replacing an earlier run's) and return its path."""
        end_path = self.format_checkpoint_name(candidates, self.CHECKPOINT_NAME_END)
        previous_end, self.end_model_path = self.end_model_path, end_path
        self._record(trainer, end_path, "end", self._metric_now(trainer))
        self.set_checkpoint_unfinished_marker(end_path, barrier_after=True)
        self._write_checkpoint(trainer, end_path)
        self.remove_checkpoint_unfinished_marker(end_path, barrier_before=True)
        if previous_end and previous_end != end_path and trainer.is_global_zero:
            Path(previous_end).unlink(missing_ok=True)
            self.ledger.drop(previous_end)
        return end_path

    def save_nemo(self, trainer: pl.Trainer, pl_module: pl.LightningModule, source: str) -> str | None:
        """Write ``dirpath/prefix + postfix`` through ``pl_module.save_to`` (global rank 0, atomically).

        The provenance (checkpoint file, step, epoch, metric) goes to the ledger, and to ``save_to`` as
        ``provenance=`` when its signature has that keyword (nemo-archive records it in the manifest).
        With EMA enabled the averaged weights are saved.

        Returns:
            The ``.nemo`` path, or None when the module has no ``save_to``.
        """
        save_to = getattr(pl_module, "save_to", None)
        if not callable(save_to):
            if not self._warned_no_save_to:
                log.info("%s has no save_to(); no .nemo file is written.", type(pl_module).__name__)
                self._warned_no_save_to = True
            return None
        assert self.dirpath is not None
        final = Path(self.dirpath) / f"{self.prefix}{self.postfix}"
        if trainer.is_global_zero:
            final.parent.mkdir(parents=True, exist_ok=True)
        ema = _ema_callback(trainer)
        if trainer.is_global_zero:
            entry = self.ledger.get(source) or {}
            provenance = {
                "checkpoint": Path(source).name,
                "step": int(entry.get("step", trainer.global_step)),
                "epoch": int(entry.get("epoch", trainer.current_epoch)),
                "monitor": self.monitor,
                "metric": entry.get("metric"),
                "ema": bool(ema is not None and ema.initialized),
            }
            kwargs: dict[str, Any] = {}
            if _accepts_keyword(save_to, "provenance"):
                kwargs["provenance"] = provenance
            tmp = final.with_name(f".{final.stem}{PARTIAL_MARK}{os.getpid()}{self.postfix}")
            ctx = ema.swapped(pl_module) if ema is not None and ema.initialized else contextlib.nullcontext()
            with ctx:
                save_to(str(tmp), **kwargs)
            publish(tmp, final)
            self.ledger.record(
                final,
                "nemo",
                step=int(entry.get("step", trainer.global_step)),
                epoch=int(entry.get("epoch", trainer.current_epoch)),
                metric=entry.get("metric"),
                monitor=self.monitor,
                provenance=provenance,
            )
        trainer.strategy.barrier("NeMoModelCheckpoint.save_nemo")
        self.nemo_path = str(final)
        return self.nemo_path

    def state_dict(self) -> dict[str, Any]:
        """Lightning's state plus the ``-end`` path."""
        state = super().state_dict()
        state["end_model_path"] = self.end_model_path
        return state


def _barrier() -> None:
    """Wait for every rank when a process group is running (NeMo's marker protocol)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()


def _accepts_keyword(func: Any, name: str) -> bool:
    """Whether ``func`` has a parameter called ``name`` (``**kwargs`` alone does not count)."""
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    param = parameters.get(name)
    return param is not None and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
