"""Atomic file writes (through ``_atomic``), early writeback and destination checks for the writer and extractor."""

# ruff: noqa: PLC0415 - ctypes is imported only by the first durable save big enough to ask for early
# writeback, so `import nemo_archive` stays light.

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ._atomic import atomic_write
from .errors import DestinationError, UnsafeMemberError


@contextlib.contextmanager
def atomic_file(dest: Path, *, durable: bool = True, expected_size: int | None = None) -> Iterator[BinaryIO]:
    """Yield a temp file next to ``dest``; on success fsync it and rename it over ``dest`` (see ``_atomic``).

    A crash or an exception leaves ``dest`` as it was (the temp file is removed on exceptions).

    Raises:
        DestinationError: ``dest`` is an existing directory.
        DiskFullError: The disk or a file-size limit is full; ``dest`` is as it was.
    """
    with atomic_write(dest, "wb", durable=durable, expected_size=expected_size) as f:
        yield f  # type: ignore[misc]  # "wb" gives the binary file


SYNC_FILE_RANGE_WRITE = 2  # linux/fs.h: start writeback of the range's dirty pages, wait for nothing
WRITEBACK_STEP = 64 * 2**20


class Writeback:
    """Start writing a durable file's bytes to disk while the rest of the file is still being produced.

    A durable save ends in fsync, which waits for every page still dirty. Asking the kernel every
    ``step`` bytes to start on what is written so far (Linux ``sync_file_range(SYNC_FILE_RANGE_WRITE)``, which
    does not wait for the disk to finish nor flush its cache) lets the disk work while serialization and
    hashing go on, so the final fsync has only the tail left, as RocksDB's ``bytes_per_sync`` does. The
    requests go out from a thread of their own: the call submits the pages itself and can block while the
    device's queue is full, and the writer must not wait for that. Durability comes from the final fsync
    alone; where the call is missing (not Linux) or fails, this does nothing. Use as a context manager
    around the writes, inside the one that fsyncs.

    Args:
        fd: The file being written.
        step: Bytes written between two requests.
    """

    def __init__(self, fd: int, step: int = WRITEBACK_STEP) -> None:
        self.fd = fd
        self.step = step
        self.pending = 0
        self.requests = 0  # requests the kernel accepted, for tests and curious callers
        self._off = False
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Writeback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wrote(self, n: int) -> None:
        """Count ``n`` more bytes written; past ``step``, have the file's dirty pages sent to the disk."""
        self.pending += n
        if self.pending < self.step or self._off:
            return
        self.pending = 0
        if self._thread is None:
            call = _sync_file_range()
            if call is None:
                self._off = True
                return
            self._thread = threading.Thread(
                target=self._run, args=(call,), name="nemo-archive-writeback", daemon=True
            )
            self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Stop the request thread; call it before the file is fsynced and closed."""
        if self._thread is not None:
            self._stop = True
            self._wake.set()
            self._thread.join()
            self._thread = None

    def _run(self, call: Callable[[int, int, int, int], int]) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stop:
                return
            if call(self.fd, 0, 0, SYNC_FILE_RANGE_WRITE) != 0:
                self._off = True  # e.g. not a regular file: the final fsync does all the work
                return
            self.requests += 1


@functools.cache
def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        call = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (AttributeError, OSError):
        return None
    call.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    call.restype = ctypes.c_int
    return call


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
