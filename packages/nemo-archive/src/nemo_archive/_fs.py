"""Atomic file writes and destination checks shared by the writer and the extractor."""


# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import DestinationError, UnsafeMemberError


@contextlib.contextmanager
def atomic_file(dest: Path, *, durable: bool = True) -> Iterator[BinaryIO]:
    """Yield a temp file next to ``dest``; on success fsync it and rename it over ``dest``.

    A crash or an exception leaves ``dest`` as it was (the temp file is removed on exceptions).

    Raises:
        DestinationError: ``dest`` is an existing directory.
    """
    if dest.is_dir():
        raise DestinationError("is a directory; give a file path to write to.", path=dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(dest.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def member_target(root: Path, name: str, archive: object) -> Path:
    """Return where member ``name`` goes under ``root``, creating parents; refuse anything escaping ``root``.

    Raises:
        UnsafeMemberError: The target (through existing symlinks in ``root``) resolves outside ``root``.
        DestinationError: A directory stands where the file must go.
    """
    real_root = os.path.realpath(root)
    target = root.joinpath(*name.split("/"))
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    real_parent = os.path.realpath(parent)
    if real_parent != real_root and not real_parent.startswith(real_root + os.sep):
        raise UnsafeMemberError(
            f"would be written to {real_parent}, outside the destination {real_root} (a symlink in the "
            "destination?); extract into an empty directory.",
            path=archive,
            member=name,
        )
    if target.is_dir() and not target.is_symlink():
        raise DestinationError(
            f"{target} is a directory where the member's file must go; remove it or pick another "
            "destination.",
            path=archive,
            member=name,
        )
    return target
