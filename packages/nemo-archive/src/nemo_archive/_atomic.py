"""The one atomic file write of nemo-core: temp file beside the target, fsync, rename, directory fsync.

Every package that writes a file that must never be seen half-written (``.nemo`` archives, configs, ledgers,
model cards) goes through :func:`atomic_write`. The contract:

- the bytes go to a hidden temp file in the target's directory (SPEC.md "Temporary files" gives its name), which
  is fsynced and renamed over the target only once complete, and the directory is fsynced after the rename
  (``durable=False`` skips both fsyncs, not the rename);
- a file that replaces another keeps the other's permission bits; a new file gets the mode ``open()`` gives
  under the process umask (the kernel applies it: the umask is never read by changing it);
- on any error, and on ``KeyboardInterrupt``, the temp file is removed and the target is left as it was;
- text is strict UTF-8 (an unencodable character raises, it is never dropped), newlines written as given;
- a full disk (``ENOSPC``, ``EDQUOT``) or a file-size limit (``EFBIG``) raises :class:`DiskFullError`.

A process killed while writing leaves its temp file behind; the next write into that directory (and
:func:`remove_stale_temp_files`) removes it once no live process holds it. A writer holds an exclusive
``flock`` on its temp file and puts its pid in the name, so "stale" means: unlocked, and the pid is gone (or
now belongs to a process started after the file was last written).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import DestinationError, DiskFullError

__all__ = [
    "TEMP_SUFFIX",
    "atomic_write",
    "fsync_dir",
    "is_temp_name",
    "remove_stale_temp_files",
    "temp_name",
    "write_bytes_atomic",
    "write_text_atomic",
]

TEMP_SUFFIX = ".nemo-tmp"
# ".<target name>.<pid>-<8 hex>.nemo-tmp"
_TEMP = re.compile(r"^\.(?P<target>.+)\.(?P<pid>[0-9]{1,10})-[0-9a-f]{8}\.nemo-tmp$")
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def temp_name(target: str, pid: int | None = None) -> str:
    """The hidden name a write of ``target`` (a file name, no folder) uses before it is renamed."""
    return f".{target}.{os.getpid() if pid is None else pid}-{secrets.token_hex(4)}{TEMP_SUFFIX}"


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is a temp file name made by :func:`temp_name`."""
    return _TEMP.match(name) is not None


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "wb",
    *,
    durable: bool = True,
    expected_size: int | None = None,
) -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it is replaced only once the ``with`` block completes.

    Args:
        path: The file to write; its folder is created if needed.
        mode: ``"wb"`` (a binary file, also readable and seekable) or ``"w"`` (strict UTF-8 text).
        durable: fsync the file before the rename and the folder after it (default True).
        expected_size: Bytes the caller means to write, only to say how far a full disk let it get.

    Yields:
        The open temp file. Writing through its ``fileno()`` (``os.write``, ``os.pwrite``) is fine.

    Raises:
        ValueError: ``mode`` is neither ``"wb"`` nor ``"w"``.
        DestinationError: ``path`` is a directory.
        DiskFullError: The disk filled up or a file-size limit was hit; ``path`` is as it was.
        UnicodeEncodeError: Text that is not valid UTF-8 (lone surrogates); ``path`` is as it was.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    dest = Path(path)
    if dest.is_dir():
        raise DestinationError("is a directory; give a file path to write to.", path=dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(dest.parent)
    fd, tmp = _create_temp(dest)
    raw = os.fdopen(fd, "w+b", buffering=0)
    f: IO[Any] = raw if mode == "wb" else io.TextIOWrapper(raw, encoding="utf-8", newline="")
    renamed = False
    try:
        with contextlib.suppress(OSError):
            os.fchmod(fd, os.stat(dest).st_mode & 0o7777)  # replacing: keep the old file's mode
        yield f
        f.flush()
        if durable:
            os.fsync(fd)
        os.replace(tmp, dest)  # still locked: no cleaner can take it for stale meanwhile
        renamed = True
    except BaseException as exc:
        written = _size_of(tmp)
        if not renamed:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS and not renamed:
            raise disk_full(dest, written, expected_size, exc) from exc
        raise
    finally:
        if f is not raw:
            with contextlib.suppress(OSError, ValueError):
                f.detach()  # type: ignore[attr-defined]  # flushes what it can; raw is closed below
        raw.close()
    if durable:
        fsync_dir(dest.parent)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` with :func:`atomic_write`; return the path.

    Raises:
        DestinationError, DiskFullError: See :func:`atomic_write`.
    """
    view = memoryview(data).cast("B")
    with atomic_write(path, "wb", durable=durable, expected_size=len(view)) as f:
        while view:
            view = view[f.write(view) :]
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, durable: bool = True) -> Path:
    """Write ``text`` as strict UTF-8 to ``path`` with :func:`atomic_write`; return the path.

    Raises:
        UnicodeEncodeError: ``text`` holds characters UTF-8 cannot encode (nothing is written).
        DestinationError, DiskFullError: See :func:`atomic_write`.
    """
    return write_bytes_atomic(path, text.encode("utf-8"), durable=durable)


def disk_full(dest: Path, written: int, expected: int | None, exc: OSError) -> DiskFullError:
    """The error for a write of ``dest`` that stopped at ``written`` bytes because the disk or a limit is full."""
    of = f"{written} of {expected} bytes" if expected is not None else f"{written} bytes written"
    reason = "file-size limit reached" if exc.errno == errno.EFBIG else "no space left"
    kept = "the previous file is intact" if os.path.lexists(dest) else "no file was left there"
    error = DiskFullError(
        f"disk full while writing {dest} ({of}; {reason}: {exc.strerror}); {kept}. "
        "Free space (or raise the limit) and save again.",
        path=None,
    )
    error.errno = exc.errno
    error.written, error.expected = written, expected
    return error


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Flush a rename or create in ``directory`` to disk, where the platform allows it (not on Windows)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temp_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove the temp files of writes killed in ``directory`` (not recursive); return what was removed.

    Only names made by :func:`temp_name` are considered, and only those no live process holds: unlocked, and
    whose pid is gone (or now runs a process started after the file was last written). Does nothing where
    ``flock`` is missing (Windows). Errors (a file vanishing meanwhile, no permission) are skipped.
    """
    if not _HAVE_FLOCK:
        return []
    removed: list[Path] = []
    try:
        names = [n for n in os.listdir(directory) if n.endswith(TEMP_SUFFIX)]
    except OSError:
        return removed
    for name in names:
        match = _TEMP.match(name)
        if match is None:
            continue
        path = Path(directory, name)
        with contextlib.suppress(OSError):
            if _remove_if_stale(path, int(match["pid"])):
                removed.append(path)
    return removed


# ---------------------------------------------------------------------- internals
try:
    import fcntl

    _HAVE_FLOCK = True
except ImportError:  # pragma: no cover - Windows
    _HAVE_FLOCK = False


def _create_temp(dest: Path) -> tuple[int, Path]:
    while True:
        tmp = dest.with_name(temp_name(dest.name))
        try:
            fd = os.open(tmp, _FLAGS, 0o666)  # the kernel applies the umask (and default ACLs)
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
        if _HAVE_FLOCK:
            with contextlib.suppress(OSError):  # a file system without locks: liveness by pid only
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, tmp


def _remove_if_stale(path: Path, pid: int) -> bool:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live writer holds it
        except OSError:
            pass  # no locks on this file system: decide by pid alone
        if _pid_alive(pid, os.fstat(fd).st_mtime):
            return False
        os.unlink(path)
        return True
    finally:
        os.close(fd)


def _pid_alive(pid: int, since: float) -> bool:
    """Whether ``pid`` runs a process that may have written a file last modified at ``since``."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    started = _start_time(pid)
    if started is None:
        return True
    state, start = started
    return state != "Z" and start <= since + 2.0  # a zombie, or a pid reused since: gone


def _start_time(pid: int) -> tuple[str, float] | None:
    """``(state, start time as a Unix time)`` of ``pid`` from /proc (Linux), or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open("/proc/stat", "rb") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith(b"btime "))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return fields[0].decode(), boot + int(fields[19]) / ticks


def _size_of(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
