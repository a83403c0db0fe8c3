"""Read a weights member once, in file order, straight into memory the caller owns, checking it on the way.

The default way to load weights (``mmap=False``): every tensor storage is allocated fresh and filled with
``preadv`` from the archive's open file descriptor (no memory map, so a later change to the file can neither
alter the tensors nor kill the process with SIGBUS), in chunks that are checked while they are hot in cache:
the SHA-256 of the whole member when the manifest lists one, else the CRC-32 the torch zip records for each
record (SPEC.md §3.1).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import zlib
from dataclasses import dataclass
from typing import Any

from .errors import CorruptArchiveError, IntegrityError

CHUNK = 8 * 1024 * 1024


class Source:
    """A member's bytes by absolute position: ``preadv`` on an open file, or copies out of a memory buffer.

    Args:
        fd: An open file descriptor holding the bytes (None: read ``buf``).
        buf: The in-memory bytes (gzip archives), when ``fd`` is None.
        path: The archive, for error messages.
        member: The member, for error messages.
    """

    def __init__(self, fd: int | None, buf: Any, path: object, member: str) -> None:
        self.fd = fd
        self.view = None if buf is None else memoryview(buf)
        self.path = path
        self.member = member

    def readinto(self, pos: int, out: memoryview) -> None:
        """Fill ``out`` with the bytes at ``pos``.

        Raises:
            CorruptArchiveError: The file ended early (it was truncated after the archive was opened).
        """
        if self.fd is None:
            assert self.view is not None
            if pos + len(out) > len(self.view):
                raise self._short(pos + len(out))
            out[:] = self.view[pos : pos + len(out)]
            return
        done = 0
        while done < len(out):
            n = os.preadv(self.fd, [out[done:]], pos + done)
            if n <= 0:
                raise self._short(pos + len(out))
            done += n

    def read(self, pos: int, size: int) -> bytes:
        """Return ``size`` bytes at ``pos``."""
        out = bytearray(size)
        self.readinto(pos, memoryview(out))
        return bytes(out)

    def _short(self, end: int) -> CorruptArchiveError:
        return CorruptArchiveError(
            f"the file ends before byte {end}: it was truncated or replaced while being read. Re-open it.",
            path=self.path,
            member=self.member,
        )


@dataclass
class Target:
    """One byte range to read: ``pos`` (absolute), the memory it goes into, and its expected CRC-32."""

    pos: int
    out: memoryview
    name: str
    crc: int | None = None


def fill(
    source: Source, targets: list[Target], *, start: int, size: int, sha256: str | None, crc: bool
) -> None:
    """Read every target in file order; check SHA-256 of ``[start, start+size)`` or each target's CRC-32.

    Args:
        source: Where the bytes are.
        targets: The ranges to fill, inside the member; they must not overlap.
        start: Absolute offset of the member.
        size: The member's size.
        sha256: Expected hex digest of the whole member (bytes between targets are read and hashed too).
        crc: Check each target's ``crc`` (ignored when ``sha256`` is given).

    Raises:
        IntegrityError: A digest or CRC differs: the bytes are corrupt.
        CorruptArchiveError: Overlapping ranges, or the file ended early.
    """
    ordered = sorted(targets, key=lambda t: t.pos)
    digest = hashlib.sha256() if sha256 else None
    at = start
    for target in ordered:
        if target.pos < at or target.pos + len(target.out) > start + size:
            raise CorruptArchiveError(
                f"record {target.name!r} overlaps another record or leaves the member; re-save the weights.",
                path=source.path,
                member=source.member,
            )
        if digest is not None and target.pos > at:
            digest.update(source.read(at, target.pos - at))
        value = _read_checked(source, target, digest)
        if digest is None and crc and target.crc is not None and value != target.crc:
            raise _corrupt(
                source, f"record {target.name!r} has CRC-32 {value:08x}, the zip says {target.crc:08x}"
            )
        at = target.pos + len(target.out)
    if digest is not None:
        for pos in range(at, start + size, CHUNK):
            digest.update(source.read(pos, min(CHUNK, start + size - pos)))
        if digest.hexdigest() != sha256:
            raise _corrupt(source, f"SHA-256 {digest.hexdigest()} differs from the manifest's {sha256}")


def _read_checked(source: Source, target: Target, digest: Any) -> int:
    value = 0
    out = target.out
    for pos in range(0, len(out), CHUNK):
        piece = out[pos : pos + CHUNK]
        source.readinto(target.pos + pos, piece)
        if digest is not None:
            digest.update(piece)
        elif target.crc is not None:
            value = zlib.crc32(piece, value)
    return value


def _corrupt(source: Source, why: str) -> IntegrityError:
    return IntegrityError(
        f"the weights are corrupt: {why}. Re-download or re-save the file; pass check_integrity=False to load "
        "them anyway.",
        path=source.path,
        member=source.member,
    )


def storage_view(torch: Any, nbytes: int) -> tuple[Any, memoryview]:
    """A fresh, uninitialised CPU ``UntypedStorage`` of ``nbytes`` and a writable byte view of its memory."""
    storage = torch.UntypedStorage(nbytes)
    if nbytes == 0:
        return storage, memoryview(bytearray())
    array = (ctypes.c_ubyte * nbytes).from_address(storage.data_ptr())
    return storage, memoryview(array).cast("B")
