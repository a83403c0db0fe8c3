"""``nemo.utils.file_utils``: ``robust_copy``."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

__all__ = ["robust_copy"]


def robust_copy(src: str | Path, dst: str | Path) -> str:
    """Copy the file ``src`` to ``dst`` (a file or folder) and return the destination path.

    The data is copied first; permission bits and times are copied when the file system allows it (network and
    FUSE mounts often refuse ``chmod``), so a copy onto such a mount does not fail where ``shutil.copy2``
    would.

    Raises:
        FileNotFoundError: ``src`` does not exist.
    """
    target = Path(dst)
    if target.is_dir():
        target = target / Path(src).name
    shutil.copyfile(src, target)
    with contextlib.suppress(OSError):
        shutil.copystat(src, target)
    return os.fspath(target)
