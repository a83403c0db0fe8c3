"""Replace a whole directory so that a crash at any instant leaves the complete old or the complete new one.

``replace_dir(staging, dest)`` puts the finished folder ``staging`` at ``dest``:

- ``dest`` absent: one ``rename`` (atomic).
- ``dest`` present, Linux: ``renameat2(RENAME_EXCHANGE)`` swaps the two names in one atomic step, then the
  old folder (now under the staging name) is removed. A crash before the swap leaves the old folder at
  ``dest``; after it, the new one. The old copy left under the staging name is a leftover, removed later.
- Elsewhere (no ``renameat2``, or a file system that refuses the exchange): ``dest`` is renamed to the fixed
  backup name ``.<name>.swap-old``, then ``staging`` to ``dest``, then the backup is removed. A crash between
  the two renames leaves no ``dest`` but the complete old folder under the backup name; :func:`recover`
  (called by every later ``replace_dir`` and by readers before they open ``dest``) renames it back. A backup
  beside an existing ``dest`` means the swap finished and only the clean-up was lost: it is removed.

Staging folders are named ``.<name>.swap-new-<pid>-<random>`` (see :func:`staging_dir`); :func:`recover`
removes those whose process is gone (on this machine), so killed saves do not pile up. One writer per
``dest`` at a time; this module does not lock.
"""

# ruff: noqa: PLC0415 - ctypes and platform are imported only when a swap is needed.

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["backup_path", "exchange", "recover", "replace_dir", "staging_dir"]

RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100
# renameat2's syscall number where glibc lacks the wrapper (glibc < 2.28).
_SYSCALL_NUMBERS = {"x86_64": 316, "aarch64": 276, "riscv64": 276, "ppc64le": 357, "s390x": 347}
_UNSUPPORTED = (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM)

_exchange_call: Callable[[bytes, bytes], int] | bool | None = False  # False: not looked up yet


def _step(name: str) -> None:
    """A named point of the protocol; a no-op that fault-injection tests replace to kill the process there."""


def backup_path(dest: str | os.PathLike[str]) -> Path:
    """Where the fallback protocol parks the old folder of ``dest`` between its two renames."""
    d = Path(dest)
    return d.parent / f".{d.name}.swap-old"


def staging_dir(dest: str | os.PathLike[str]) -> Path:
    """Create and return an empty staging folder beside ``dest``, named so :func:`recover` can clean it up.

    The folder gets the permission bits of the folder it will replace, or, for a new one, the mode ``mkdir``
    would give under the process umask (``mkdtemp`` alone makes it 0700).
    """
    d = Path(dest)
    d.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{d.name}.swap-new-{os.getpid()}-", dir=d.parent))
    try:
        mode = os.stat(d).st_mode & 0o7777 if d.is_dir() else 0o777 & ~_current_umask()
        os.chmod(folder, mode)
    except BaseException:
        folder.rmdir()
        raise
    return folder


def _current_umask() -> int:
    """The process umask, read from /proc on Linux (``os.umask`` would have to change it, even briefly)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _lookup() -> Callable[[bytes, bytes], int] | None:
    """Return a function calling renameat2(RENAME_EXCHANGE), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        import platform

        libc = ctypes.CDLL(None, use_errno=True)
    except (OSError, ImportError):  # pragma: no cover - a Linux without a loadable libc
        return None
    func = getattr(libc, "renameat2", None)
    if func is not None:
        func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        func.restype = ctypes.c_int
        return lambda a, b: func(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    number = _SYSCALL_NUMBERS.get(platform.machine())  # pragma: no cover - glibc < 2.28 only
    if number is None:  # pragma: no cover
        return None
    syscall = libc.syscall  # pragma: no cover
    syscall.restype = ctypes.c_long  # pragma: no cover
    return lambda a, b: int(  # pragma: no cover
        syscall(
            ctypes.c_long(number),
            ctypes.c_int(AT_FDCWD),
            ctypes.c_char_p(a),
            ctypes.c_int(AT_FDCWD),
            ctypes.c_char_p(b),
            ctypes.c_uint(RENAME_EXCHANGE),
        )
    )


def exchange(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Atomically swap the names ``a`` and ``b`` (both must exist); False where the system cannot.

    Raises:
        OSError: The exchange is supported but failed (missing path, permissions, different file systems).
    """
    global _exchange_call  # noqa: PLW0603 - looked up once, on first use
    if _exchange_call is False:
        _exchange_call = _lookup()
    call = _exchange_call
    if not callable(call):
        return False
    if call(os.fsencode(a), os.fsencode(b)) == 0:
        return True
    import ctypes

    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, f"renameat2(RENAME_EXCHANGE) failed: {os.strerror(code)}", str(a), None, str(b))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: a process of another user holds the pid
        return True
    return True


def recover(dest: str | os.PathLike[str]) -> bool:
    """Finish or undo an interrupted :func:`replace_dir` of ``dest`` and remove stale staging folders.

    Returns:
        True when a missing ``dest`` was brought back from its backup.

    Raises:
        OSError: The backup exists but cannot be renamed back (e.g. a read-only folder).
    """
    d = Path(dest)
    parent = d.parent
    backup = backup_path(d)
    restored = False
    if os.path.lexists(backup):
        if os.path.lexists(d):
            _remove(backup)  # the swap finished; only the clean-up was lost
        else:
            os.rename(backup, d)  # the old folder goes back; the unfinished new one is a leftover
            _fsync_dir(parent)
            restored = True
    prefix = f".{d.name}.swap-new-"
    try:
        entries = os.listdir(parent)
    except OSError:
        return restored
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        pid_text = entry[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            _remove(parent / entry)
    return restored


def replace_dir(
    staging: str | os.PathLike[str], dest: str | os.PathLike[str], *, durable: bool = True
) -> None:
    """Put the complete folder ``staging`` at ``dest`` (see the module docstring for the crash guarantees).

    ``staging`` must be beside ``dest`` (same file system), ideally from :func:`staging_dir`. On success it
    no longer exists; on an exception it is left for the caller to remove.

    Raises:
        NotADirectoryError: ``dest`` exists and is not a directory.
        OSError: A rename failed; ``dest`` is then the old folder (recovered if needed).
    """
    s, d = Path(staging), Path(dest)
    recover(d)
    if durable:
        _fsync_dir(s)
    if os.path.lexists(d) and (d.is_symlink() or not d.is_dir()):
        raise NotADirectoryError(
            f"{d} exists and is not a directory; the unpacked model needs a folder there. Remove it or "
            "choose another path."
        )
    _step("staged")
    if not os.path.lexists(d):
        os.rename(s, d)
        _step("renamed")
        if durable:
            _fsync_dir(d.parent)
        return
    if exchange(s, d):
        _step("exchanged")
        if durable:
            _fsync_dir(d.parent)
        _remove(s)  # now the old folder
        _step("cleaned")
        return
    backup = backup_path(d)
    os.rename(d, backup)
    _step("backed-up")
    try:
        os.rename(s, d)
    except BaseException:
        os.rename(backup, d)
        raise
    _step("renamed")
    if durable:
        _fsync_dir(d.parent)
    _remove(backup)
    _step("cleaned")
