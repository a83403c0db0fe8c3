"""Find the checkpoint to resume from (``check_resume``).

Rules, following NeMo's documented contract (see the README's "Differences from NeMo"):

- ``resume_from_checkpoint`` wins over anything found in the directory.
- Otherwise ``resume_if_exists`` searches ``dirpath`` (default ``log_dir/checkpoints``) recursively for
  ``*end.ckpt`` and ``*last.ckpt``; files of interrupted saves (our hidden temp files, NeMo's
  ``-unfinished`` markers) are never candidates.
- An ``*end.ckpt`` means the run finished: an error unless ``resume_past_end``, in which case it is loaded.
- Errors list the directories searched and what was found there.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from expmanager._io import PARTIAL_MARK, UNFINISHED_SUFFIX
from expmanager.errors import NotFoundError, ResumeError

__all__ = ["check_resume", "find_resume_checkpoint"]

log = logging.getLogger("expmanager")
_RANK_DIRS = re.compile(r"(mp_rank|tp_rank|fsdp_shard)_\d+")


def _unfinished(path: Path) -> bool:
    """A NeMo marker ``<stem>-unfinished`` next to the checkpoint, or a temp file of ours."""
    if PARTIAL_MARK in path.name or path.name.startswith("."):
        return True
    stem = path.name
    for suffix in (".ckpt", ".nemo"):
        stem = stem.removesuffix(suffix)
    stem = stem.removesuffix("-EMA")
    return (path.parent / f"{stem}{UNFINISHED_SUFFIX}").exists()


def _listing(directory: Path, limit: int = 20) -> str:
    if not directory.is_dir():
        return f"{directory} (does not exist)"
    names = sorted(p.name for p in directory.iterdir())
    shown = ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
    return f"{directory} containing [{shown}]"


def _dedupe_rank_paths(paths: list[Path]) -> Path | None:
    """Model-parallel checkpoints live in ``mp_rank_XX`` folders: they count as one checkpoint."""
    if paths and _RANK_DIRS.search(str(paths[0])):
        first = paths[0]
        parts = [p for p in first.parts if not _RANK_DIRS.fullmatch(p)]
        return Path(*parts)
    return None


def find_resume_checkpoint(
    checkpoint_dir: Path,
    resume_past_end: bool = False,
    resume_ignore_no_checkpoint: bool = False,
) -> Path | None:
    """The checkpoint ``resume_if_exists`` should resume from, or None (nothing to resume, allowed).

    Raises:
        NotFoundError: nothing found and ``resume_ignore_no_checkpoint`` is False.
        ResumeError: the run already ended (``*end.ckpt``) and ``resume_past_end`` is False; several
            candidates are ambiguous; or every candidate is the leftover of an interrupted save.
    """
    searched = _listing(checkpoint_dir)
    end_all = sorted(checkpoint_dir.rglob("*end.ckpt")) if checkpoint_dir.is_dir() else []
    last_all = sorted(checkpoint_dir.rglob("*last.ckpt")) if checkpoint_dir.is_dir() else []
    end = [p for p in end_all if not _unfinished(p)]
    last = [p for p in last_all if not _unfinished(p)]
    for dropped in sorted(set(end_all + last_all) - set(end + last)):
        log.warning("Ignoring %s: it is the leftover of an interrupted save.", dropped)
    if not end and not last and (end_all or last_all):
        raise ResumeError(
            f"Every checkpoint found for resume_if_exists is unfinished (interrupted saves): searched "
            f"{searched}. "
            "Refusing to restart from scratch silently; delete them or set resume_if_exists=False."
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
        if not resume_past_end:
            raise ResumeError(
                f"Found {[str(p) for p in end]} in {checkpoint_dir}, indicating that the last training "
                "run has "
                "already completed. Set resume_past_end=True to load it anyway."
            )
        if len(end) > 1:
            merged = _dedupe_rank_paths(end)
            if merged is None:
                raise ResumeError(
                    f"Multiple checkpoints {[str(p) for p in end]} match *end.ckpt in {checkpoint_dir}: "
                    "cannot tell which to load. Remove all but one, or pass resume_from_checkpoint."
                )
            return merged
        log.info("Resuming past the end from %s.", end[0])
        return end[0]
    if len(last) > 1:
        merged = _dedupe_rank_paths(last)
        if merged is None:
            raise ResumeError(
                f"Multiple checkpoints {[str(p) for p in last]} match *last.ckpt in {checkpoint_dir}: "
                "cannot tell which to load. Remove all but one, or pass resume_from_checkpoint."
            )
        return merged
    return last[0]


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
