"""Errors raised by nemo-archive.

Every error derives from :class:`ArchiveError` and says which file (and member, where one is involved) it is
about, what was found, and what to do. Untrusted input can only ever raise these (plus ``OSError`` for a file
that cannot be opened at all).
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "NotAnArchiveError",
    "CorruptArchiveError",
    "UnsafeMemberError",
    "UnsafeContentError",
    "SizeLimitError",
    "MissingMemberError",
    "IntegrityError",
    "DestinationError",
    "MissingDependencyError",
    "DiskFullError",
]


class ArchiveError(Exception):
    """Base class of every nemo-archive error.

    Args:
        message: What happened and what to do.
        path: The archive (or directory) the error is about.
        member: The member involved, if any.
    """

    def __init__(self, message: str, *, path: object = None, member: str | None = None) -> None:
        parts = []
        if path is not None:
            parts.append(f"{path}")
        if member is not None:
            parts.append(f"member {member!r}")
        prefix = ": ".join(parts)
        full = f"{prefix}: {message}" if prefix else message
        super().__init__(full)
        self.message = full
        self.path = None if path is None else str(path)
        self.member = member


class NotAnArchiveError(ArchiveError):
    """The file is neither a tar, a gzip tar, nor a directory holding ``model_config.yaml``."""


class CorruptArchiveError(ArchiveError):
    """The file looks like an archive but its structure is broken (truncated, bad header, bad zip, ...)."""


class UnsafeMemberError(ArchiveError):
    """A member could escape or confuse the destination: absolute path, ``..``, link, device, duplicate."""


class UnsafeContentError(ArchiveError):
    """A member's content would run code or build arbitrary objects (pickle globals, YAML Python tags)."""


class SizeLimitError(ArchiveError):
    """Decompressing the archive would exceed the allowed size (a gzip bomb or absurd declared sizes)."""


class MissingMemberError(ArchiveError, KeyError):
    """A member (config, weights, or a referenced artifact) is not in the archive."""

    def __str__(self) -> str:
        # KeyError would quote the message; keep it readable.
        return self.message


class IntegrityError(ArchiveError):
    """A member's size or SHA-256 differs from the one recorded in the manifest."""


class DestinationError(ArchiveError):
    """The destination of an extraction or save cannot be used (exists, is a directory, escapes)."""


class MissingDependencyError(ArchiveError, ImportError):
    """An optional dependency (torch) is needed for this operation and is not installed."""


class DiskFullError(ArchiveError, OSError):
    """A save stopped because the disk is full or a file-size limit was hit; the previous file is intact.

    Also an ``OSError`` whose ``errno`` is the one the system reported (``ENOSPC``, ``EDQUOT`` or ``EFBIG``).
    ``written`` is how many bytes made it to the temp file, ``expected`` how many were to be written (None
    when unknown).
    """

    written: int = 0
    expected: int | None = None
