"""Find the checkpoint to resume from (``check_resume``).

Rules, following NeMo's documented contract (see the README's "Differences from NeMo"):

- ``resume_from_checkpoint`` wins over anything found in the directory.
- Otherwise ``resume_if_exists`` searches ``dirpath`` (default ``log_dir/checkpoints``) recursively for
  ``*end.ckpt`` and ``*last.ckpt`` (and distributed-checkpoint folders ``*end`` / ``*last``); files of
  interrupted saves (hidden temp files, checkpoints with NeMo's ``-unfinished`` marker) are never
  candidates. Files in ``mp_rank_XX`` folders count as one checkpoint.
- Several complete ``*last.ckpt`` of our own (a run killed between publishing a new one and removing the
  old one): the newest by the ledger wins; otherwise several candidates are an error.
- An ``*end.ckpt`` means the run finished: an error unless ``resume_past_end``, in which case it is loaded.
- Errors list the directories searched and what was found there.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from expmanager._ckpt_files import RANK_DIR, is_our_temp, marker_path
from expmanager.errors import NotFoundError, ResumeError
from expmanager.ledger import Ledger

__all__ = ["check_resume", "find_resume_checkpoint", "newest_recorded"]

log = logging.getLogger("expmanager")


def _unfinished(path: Path) -> bool:
    """A temp file of a save, or a checkpoint with NeMo's ``-unfinished`` marker."""
    return path.name.startswith(".") or is_our_temp(path.name) or marker_path(path).exists()


def _listing(directory: Path, limit: int = 20) -> str:
    if not directory.is_dir():
        return f"{directory} (does not exist)"
    names = sorted(p.name for p in directory.iterdir())
    shown = ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
    return f"{directory} containing [{shown}]"


def _merged(path: Path) -> Path:
    """A file in a model-parallel rank folder (``mp_rank_00/x.ckpt``) stands for ``x.ckpt`` above it."""
    if RANK_DIR.fullmatch(path.parent.name):
        return path.parent.parent / path.name
    return path


def _candidates(checkpoint_dir: Path, kind: str) -> tuple[list[Path], list[Path]]:
    """``(all, complete)`` checkpoints named ``*<kind>.ckpt`` (files) or ``*<kind>`` (distributed folders)."""
    if not checkpoint_dir.is_dir():
        return [], []
    found = [p for p in checkpoint_dir.rglob(f"*{kind}.ckpt") if p.is_file()]
    found += [p for p in checkpoint_dir.glob(f"*{kind}") if p.is_dir()]
    found = sorted(found)
    return found, [p for p in found if not _unfinished(p)]


def newest_recorded(paths: list[Path]) -> Path | None:
    """The newest of ``paths`` by the ledger (step, epoch, write time), or None if one is not recorded.

    Two complete ``-last`` files exist when a run was killed after publishing the new one and before
    removing the old one; both are in the ledger (entries are written before the file), the newer wins.
    """
    keys: dict[Path, tuple[int, int, int]] = {}
    for path in paths:
        entry = Ledger(path.parent).get(path)
        if entry is None or "step" not in entry:
            return None
        keys[path] = (int(entry["step"]), int(entry.get("epoch", 0)), int(entry.get("written", 0)))
    ranked = sorted(paths, key=lambda p: keys[p], reverse=True)
    if len(ranked) > 1 and keys[ranked[0]] == keys[ranked[1]]:
        return None
    return ranked[0]


def _choose(paths: list[Path], pattern: str, checkpoint_dir: Path) -> Path:
    """One checkpoint out of the complete candidates, or ResumeError when they are ambiguous."""
    distinct = sorted({_merged(p) for p in paths})
    if len(distinct) == 1:
        return distinct[0]
    newest = newest_recorded(distinct)
    if newest is None:
        raise ResumeError(
            f"Multiple checkpoints {[str(p) for p in distinct]} match {pattern} in {checkpoint_dir}: cannot "
            "tell which to load. Remove all but one, or pass resume_from_checkpoint."
        )
    for other in distinct:
        if other != newest:
            log.warning("Ignoring %s: %s is newer (left by a run killed while replacing it).", other, newest)
    return newest


def find_resume_checkpoint(
    checkpoint_dir: Path,
    resume_past_end: bool = False,
    resume_ignore_no_checkpoint: bool = False,
) -> Path | None:
    """The checkpoint ``resume_if_exists`` should resume from, or None (nothing to resume, allowed).

    Raises:
        NotFoundError: nothing found and ``resume_ignore_no_checkpoint`` is False.
        ResumeError: the run already ended (``*end.ckpt``) and ``resume_past_end`` is False; several
            candidates are ambiguous; or every candidate is unfinished (an interrupted save).
    """
    searched = _listing(checkpoint_dir)
    end_all, end = _candidates(checkpoint_dir, "end")
    last_all, last = _candidates(checkpoint_dir, "last")
    for dropped in sorted(set(end_all + last_all) - set(end + last)):
        log.warning("Ignoring %s: its save never finished (an -unfinished marker or a temp file).", dropped)
    if not end and not last and (end_all or last_all):
        raise ResumeError(
            f"Every checkpoint found for resume_if_exists is unfinished (interrupted saves): searched "
            f"{searched}. Refusing to restart from scratch silently; delete them, or set "
            "resume_if_exists=False to start a new run."
        )
    if not end and not last:
        message = f"There were no checkpoints found in {searched} (looked for *end.ckpt and *last.ckpt)."
        if resume_ignore_no_checkpoint:
            log.warning("%s Training from scratch.", message)
            return None
        raise NotFoundError(
            f"{message} Cannot resume. Set resume_ignore_no_checkpoint=True to start from scratch instead."
        )
    if end:
        chosen = _choose(end, "*end.ckpt", checkpoint_dir)
        if not resume_past_end:
            raise ResumeError(
                f"Found {chosen} in {checkpoint_dir}, indicating that the last training run has already "
                "completed. Set resume_past_end=True to continue training from it, or "
                "resume_if_exists=False to start a new run."
            )
        log.info("Resuming past the end from %s.", chosen)
        return chosen
    return _choose(last, "*last.ckpt", checkpoint_dir)


def check_resume(
    trainer: Any,
    log_dir: str | Path,
    resume_if_exists: bool = False,
    resume_past_end: bool = False,
    resume_ignore_no_checkpoint: bool = False,
    dirpath: str | None = None,
    resume_from_checkpoint: str | None = None,
) -> Path | None:
    """Set ``trainer.ckpt_path`` to the checkpoint to resume from, and return it.

    Raises:
        ValueError: ``log_dir`` is empty.
        NotFoundError: ``resume_from_checkpoint`` does not exist, or see :func:`find_resume_checkpoint`.
        ResumeError: see :func:`find_resume_checkpoint`.
    """
    if not log_dir:
        raise ValueError(f"Resuming requires the log_dir {log_dir!r} to be passed to exp_manager")
    checkpoint: Path | None = None
    if resume_from_checkpoint:
        checkpoint = Path(resume_from_checkpoint)
        if not checkpoint.exists():
            raise NotFoundError(
                f"resume_from_checkpoint={resume_from_checkpoint!r} does not exist. Fix the path or "
                "remove it."
            )
        if resume_if_exists:
            log.info("resume_from_checkpoint=%s wins over checkpoints in the log directory.", checkpoint)
    elif resume_if_exists:
        checkpoint_dir = Path(dirpath) if dirpath else Path(log_dir) / "checkpoints"
        checkpoint = find_resume_checkpoint(checkpoint_dir, resume_past_end, resume_ignore_no_checkpoint)
    if checkpoint is not None:
        trainer.ckpt_path = str(checkpoint)
        log.info("Resuming training from checkpoint: %s", checkpoint)
    return checkpoint
