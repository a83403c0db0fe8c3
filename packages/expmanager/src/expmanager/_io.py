"""Atomic file writes: a temp file in the destination directory, fsync, then ``os.replace``.

A reader (or a resumed run) therefore sees either the previous complete file or the new complete file,
never a truncated one, even when the writer is killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["PARTIAL_MARK", "UNFINISHED_SUFFIX", "atomic_write_text", "fsync_dir", "partial_path", "publish"]

# NeMo touches ``<checkpoint stem>-unfinished`` before a save and removes it after; a directory written by
# NeMo may hold such markers next to truncated checkpoints, which must never be chosen.
UNFINISHED_SUFFIX = "-unfinished"

# Temp files carry this mark in their name; they never match ``*.ckpt``/``*.nemo`` glob patterns.
PARTIAL_MARK = ".partial-"


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Flush a directory entry change (rename, create) to disk where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def partial_path(final: str | os.PathLike[str]) -> Path:
    """Where to write ``final`` before publishing it: a hidden sibling that resume never picks up."""
    final = Path(final)
    return final.with_name(f".{final.name}{PARTIAL_MARK}{os.getpid()}")


def publish(tmp: str | os.PathLike[str], final: str | os.PathLike[str]) -> None:
    """Fsync ``tmp`` (file or directory tree) and atomically move it to ``final``."""
    tmp, final = Path(tmp), Path(final)
    if tmp.is_file():
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
    os.replace(tmp, final)
    fsync_dir(final.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{PARTIAL_MARK}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
