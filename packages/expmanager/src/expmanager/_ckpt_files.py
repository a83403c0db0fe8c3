"""Files of a checkpoint directory: temp files of saves, NeMo's ``-unfinished`` markers, and their cleanup.

A checkpoint is written by Lightning (``trainer.save_checkpoint``) into a hidden temp file named as
nemo-archive names its temp files (``.<name>.<pid>-<hex>.nemo-tmp``), locked with ``flock`` while it is
written, then fsynced and renamed into place. :func:`remove_stale_temp_files` (nemo-archive's) therefore
removes the leftovers of killed checkpoint saves as well as those of killed ``.nemo`` saves, and never the
temp file of a live writer.

NeMo's protocol is kept on top: ``<stem>-unfinished`` exists beside a checkpoint while it is being written
or removed. A checkpoint with a marker is never resumed from; :func:`remove_unfinished` deletes it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from expmanager._io import PARTIAL_MARK, UNFINISHED_SUFFIX
from nemo_archive import fsync_dir, is_temp_name, remove_stale_temp_files, temp_name

__all__ = [
    "RANK_DIR",
    "UNFINISHED_SUFFIX",
    "is_our_temp",
    "locked_temp",
    "marker_path",
    "publish_checkpoint",
    "remove_stale_leftovers",
    "remove_unfinished",
]

log = logging.getLogger("expmanager")

# model-parallel checkpoints keep one file per rank in such a folder; they count as one checkpoint
RANK_DIR = re.compile(r"(mp_rank_\d+|tp_rank_\d+(_pp_rank_\d+)?|fsdp_shard_\d+)")
_LEGACY_TEMP = re.compile(r"^\..+" + re.escape(PARTIAL_MARK) + r"(?P<pid>\d+)")

try:
    import fcntl

    _HAVE_FLOCK = True
except ImportError:  # pragma: no cover - Windows
    _HAVE_FLOCK = False


def marker_path(checkpoint: str | os.PathLike[str]) -> Path:
    """NeMo's marker of ``checkpoint``: ``<stem>-unfinished`` in the folder above any rank folder.

    ``.ckpt``/``.nemo`` and ``-EMA`` are dropped from the name (a checkpoint and its EMA twin share one
    marker); any other dots are part of the name.
    """
    path = Path(checkpoint)
    if RANK_DIR.fullmatch(path.parent.name):
        path = path.parent.parent / path.name
    name = path.name
    for suffix in (".ckpt", ".nemo"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = name.removesuffix("-EMA")
    return path.with_name(name + UNFINISHED_SUFFIX)


def is_our_temp(name: str) -> bool:
    """A temp file name of a save (nemo-archive's naming, or the older ``.x.partial-<pid>`` one)."""
    return is_temp_name(name) or bool(_LEGACY_TEMP.match(name))


@contextlib.contextmanager
def locked_temp(final: str | os.PathLike[str]) -> Iterator[Path]:
    """A new, locked temp file beside ``final`` for the duration of the block; removed if still there.

    Raises:
        OSError: the temp file cannot be created.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = final.with_name(temp_name(final.name))
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:
        if _HAVE_FLOCK:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
        os.close(fd)


def publish_checkpoint(tmp: Path, final: str | os.PathLike[str]) -> None:
    """Fsync ``tmp``, give it the mode of the file it replaces (if any), rename it to ``final``, fsync the dir."""
    final = Path(final)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp, stat.S_IMODE(os.stat(final).st_mode))
    os.replace(tmp, final)
    fsync_dir(final.parent)


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_stale_leftovers(directory: Path) -> list[Path]:
    """Remove temp files of killed saves in ``directory`` and its sub-folders that no live process holds.

    nemo-archive's temp files are judged by nemo-archive (lock and pid); the older ``.x.partial-<pid>``
    names by their pid alone.
    """
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    folders = [directory, *(p for p in directory.iterdir() if p.is_dir() and RANK_DIR.fullmatch(p.name))]
    for folder in folders:
        removed += remove_stale_temp_files(folder)
        for path in folder.iterdir():
            match = _LEGACY_TEMP.match(path.name)
            if match is None or not _pid_gone(int(match["pid"])):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    for path in removed:
        log.warning("Removed %s, left behind by an interrupted save.", path)
    return removed


def _marked_targets(marker: Path) -> list[Path]:
    """What a marker marks: the file(s), EMA twins and distributed-checkpoint folders of its stem."""
    stem = marker.name[: -len(UNFINISHED_SUFFIX)]
    folders = [marker.parent]
    folders += [p for p in marker.parent.iterdir() if p.is_dir() and RANK_DIR.fullmatch(p.name)]
    targets: list[Path] = []
    for folder in folders:
        for name in (stem, f"{stem}-EMA"):
            for candidate in (folder / name, folder / f"{name}.ckpt", folder / f"{name}.nemo"):
                if candidate.exists() or candidate.is_symlink():
                    targets.append(candidate)
    return targets


def remove_unfinished(directory: Path) -> list[Path]:
    """Delete every checkpoint that has an ``-unfinished`` marker, then the markers (orphans too).

    Returns:
        The checkpoints removed (markers not included).
    """
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for marker in sorted(directory.glob(f"*{UNFINISHED_SUFFIX}")):
        for target in _marked_targets(marker):
            log.warning("Removing %s: its save never finished (marker %s).", target, marker.name)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
            removed.append(target)
        marker.unlink(missing_ok=True)
    return removed
