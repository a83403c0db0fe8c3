"""Atomic file writes: a temp file in the destination directory, fsync, then ``os.replace``.

Text files go through ``nemo_archive``'s one atomic write; checkpoints written by Lightning itself go to
:func:`partial_path` and are moved into place by :func:`publish`.

A reader (or a resumed run) therefore sees either the previous complete file or the new complete file,
never a truncated one, even when the writer is killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["PARTIAL_MARK", "UNFINISHED_SUFFIX", "atomic_write_text", "fsync_dir", "partial_path", "publish"]

# NeMo touches ``<checkpoint stem>-unfinished`` before a save and removes it after; a directory written by
# NeMo may hold such markers next to truncated checkpoints, which must never be chosen.
UNFINISHED_SUFFIX = "-unfinished"

# Temp files carry this mark in their name; they never match ``*.ckpt``/``*.nemo`` glob patterns.
PARTIAL_MARK = ".partial-"


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Flush a directory entry change (rename, create) to disk where the platform allows it."""
    from nemo_archive import fsync_dir as _fsync_dir  # noqa: PLC0415 - keeps `import expmanager` light

    _fsync_dir(directory)


def partial_path(final: str | os.PathLike[str]) -> Path:
    """Where to write ``final`` before publishing it: a hidden sibling that resume never picks up."""
    final = Path(final)
    return final.with_name(f".{final.name}{PARTIAL_MARK}{os.getpid()}")


def publish(tmp: str | os.PathLike[str], final: str | os.PathLike[str]) -> None:
    """Fsync ``tmp`` (file or directory tree) and atomically move it to ``final``.

    A file replacing another gets the other's permission bits (a 0600 checkpoint stays 0600).
    """
    tmp, final = Path(tmp), Path(final)
    if tmp.is_file():
        with open(tmp, "rb") as fh:
            with contextlib.suppress(OSError):  # a replaced checkpoint keeps its permission bits
                os.fchmod(fh.fileno(), os.stat(final).st_mode & 0o7777)
            os.fsync(fh.fileno())
    os.replace(tmp, final)
    fsync_dir(final.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically as strict UTF-8, through the project's one atomic write.

    See ``nemo_archive.atomic_write``: temp file beside ``path``, fsync, rename, directory fsync; a replaced file
    keeps its mode, a new one gets the umask's; nothing is left behind on errors.

    Raises:
        UnicodeEncodeError: ``text`` holds characters UTF-8 cannot encode (nothing is written).
        OSError: The write failed (``nemo_archive.DiskFullError`` for a full disk); ``path`` is as it was.
    """
    from nemo_archive import write_text_atomic  # noqa: PLC0415 - keeps `import expmanager` light

    write_text_atomic(path, text)
