"""Containers a .nemo can come in (plain tar, gzip tar, directory) behind one small interface.

Opening validates every member header once (SPEC.md §2), so later reads can trust the index. Plain tars are
memory-mapped copy-on-write: reading a member is a slice of the map, and weights can be built over the map
without copying.
"""

# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import nemo_archive` and
# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import contextlib
import io
import mmap
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import (
    CorruptArchiveError,
    MissingMemberError,
    NotAnArchiveError,
    SizeLimitError,
    UnsafeMemberError,
)

TYPE_CHECKING = False  # `typing` is slow to import; mypy treats this name as True
if TYPE_CHECKING:
    import tarfile
    from typing import IO, Any

GZIP_MAGIC = b"\x1f\x8b"
MIN_GZIP_LIMIT = 64 * 1024 * 1024
GZIP_RATIO_LIMIT = 100
MAX_MEMBERS = 10_000
WELL_KNOWN = frozenset(
    {"model_config.yaml", "manifest.json", "model_weights.ckpt", "model_weights.safetensors"}
)


class MemberInfo:
    """One regular-file member of an archive.

    Attributes:
        name: Name without the ``./`` prefix (``model_config.yaml``).
        size: Size in bytes.
        offset: Byte offset of the data in the archive file (plain tar only, else -1).
    """

    __slots__ = ("name", "offset", "size")

    def __init__(self, name: str, size: int, offset: int = -1) -> None:
        self.name = name
        self.size = size
        self.offset = offset

    def __repr__(self) -> str:
        return f"MemberInfo(name={self.name!r}, size={self.size}, offset={self.offset})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MemberInfo):
            return NotImplemented
        return (self.name, self.size, self.offset) == (other.name, other.size, other.offset)

    def __hash__(self) -> int:
        return hash((self.name, self.size, self.offset))


def normalize_name(raw: str, path: object) -> str | None:
    """Return the member name without ``./``, or None for the archive root; refuse unsafe names.

    Raises:
        UnsafeMemberError: Absolute path, ``..`` component, backslash or NUL in the name.
    """
    name = raw
    while name.startswith("./"):
        name = name[2:]
    name = name.rstrip("/")
    if name in ("", "."):
        return None
    if name.startswith("/") or "\\" in name or "\x00" in name or (len(name) > 1 and name[1] == ":"):
        raise UnsafeMemberError(
            "absolute or non-POSIX member path; refusing the archive (it may try to write outside the "
            "destination). Only use archives from sources you trust.",
            path=path,
            member=raw,
        )
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeMemberError(
            "member name is not valid UTF-8; refusing the archive. Rename the file.", path=path, member=raw
        ) from None
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafeMemberError(
            "member path has an empty, '.' or '..' component; refusing the archive (it may try to write "
            "outside the destination).",
            path=path,
            member=raw,
        )
    return name


class Container:
    """Common interface of the three containers."""

    kind: str = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.members: dict[str, MemberInfo] = {}
        self.end_offset = -1  # where the tar's end-of-archive marker starts (tars only)
        self.tail: str | None = None  # non-zero bytes after that end, described (reported by verify)

    def member(self, name: str) -> MemberInfo:
        """Return the member called ``name``.

        Raises:
            MissingMemberError: No such member.
        """
        try:
            return self.members[name]
        except KeyError:
            raise MissingMemberError(
                f"no such member; the archive holds {sorted(self.members)}. Check the name (without './').",
                path=self.path,
                member=name,
            ) from None

    def read(self, name: str) -> bytes:
        """Return the whole content of a member."""
        with self.open(name) as stream:
            return stream.read()

    def open(self, name: str) -> IO[bytes]:  # pragma: no cover - overridden
        """Return a binary stream of the member's content."""
        raise NotImplementedError

    def buffer(self, name: str) -> tuple[Any, int, int]:
        """Return ``(buffer, offset, size)``: the member's bytes in a buffer, without copying if possible."""
        data = bytearray(self.read(name))
        return data, 0, len(data)

    def zero_copy(self) -> bool:
        """Whether :meth:`buffer` maps the file instead of reading it into memory."""
        return False

    def private_buffer(self, name: str) -> tuple[Any, int, int]:
        """Like :meth:`buffer`, but writable and private to the caller (for building tensors)."""
        return self.buffer(name)

    def close(self) -> None:
        """Release file handles and maps."""


class _SliceReader(io.RawIOBase):
    """A read-only seekable view of ``size`` bytes of a buffer, starting at ``start``."""

    def __init__(self, buf: Any, start: int, size: int) -> None:
        super().__init__()
        self._view = memoryview(buf)[start : start + size]
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        end = min(self._pos + len(b), len(self._view))
        n = end - self._pos
        b[:n] = self._view[self._pos : end]
        self._pos = end
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view.release()
        super().close()


def _check_tarinfo(info: tarfile.TarInfo, path: object, seen: set[str]) -> str | None:
    """Validate one header and return the normalized name of a regular file (None for directories)."""
    name = normalize_name(info.name, path)
    if info.isdir():
        if name in WELL_KNOWN:
            raise CorruptArchiveError(
                "is a directory, but this member must be a file; the archive is malformed. "
                "Re-save the model.",
                path=path,
                member=info.name,
            )
        if name is not None:
            if name in seen:
                raise UnsafeMemberError(
                    "duplicate member name (a directory and a file); refusing the ambiguous archive.",
                    path=path,
                    member=info.name,
                )
            seen.add(name)
        return None
    if info.issym() or info.islnk():
        raise UnsafeMemberError(
            f"member is a {'symbolic' if info.issym() else 'hard'} link to {info.linkname!r}; links are "
            "refused "
            "because they can point outside the destination. Re-create the archive without links.",
            path=path,
            member=info.name,
        )
    if not info.isreg() or info.issparse():
        raise UnsafeMemberError(
            "member is not a regular file (device, FIFO, sparse or unknown type); refusing the archive.",
            path=path,
            member=info.name,
        )
    if name is None:
        raise UnsafeMemberError("a regular file cannot be named '.'", path=path, member=info.name)
    if name in seen:
        raise UnsafeMemberError(
            "duplicate member name; which copy is meant is ambiguous, so the archive is refused.",
            path=path,
            member=info.name,
        )
    seen.add(name)
    return name


def _count_member(count: int, max_members: int, path: object) -> int:
    """Count one more header; refuse archives with more than ``max_members`` (empty-header floods)."""
    count += 1
    if count > max_members:
        raise SizeLimitError(
            f"archive has more than {max_members} members; a .nemo has a handful (a flood of empty headers "
            "takes time and memory to list). If the archive is genuine, open it with a larger max_members.",
            path=path,
        )
    return count


def _check_prefixes(names: set[str], files: set[str] | dict[str, MemberInfo], path: object) -> None:
    """Refuse a file that is also a parent folder of another member (``x`` and ``x/y``)."""
    for name in names:
        cut = name.find("/")
        while cut != -1:
            if name[:cut] in files:
                raise UnsafeMemberError(
                    f"member {name[:cut]!r} is a file, but {name!r} needs it to be a folder; extracting "
                    "would fail or depend on the order. Re-create the archive without the clash.",
                    path=path,
                    member=name,
                )
            cut = name.find("/", cut + 1)


def _check_tail(kind_text: tuple[str, str] | None, path: object) -> str | None:
    """Refuse hidden or damaged-over members after the tar's end; return a description of other junk."""
    if kind_text is None:
        return None
    kind, text = kind_text
    if kind == "hidden":
        raise UnsafeMemberError(
            f"{text}; refusing the ambiguous archive. Re-create it with one tool.", path=path
        )
    if kind == "damaged":
        raise CorruptArchiveError(f"{text}; re-download or re-save the archive.", path=path)
    return text


class TarContainer(Container):
    """An uncompressed tar, memory-mapped copy-on-write."""

    kind = "tar"

    def __init__(self, path: Path, file: IO[bytes], file_size: int, max_members: int = MAX_MEMBERS) -> None:
        super().__init__(path)
        import tarfile

        from ._integrity import map_chunks, scan_tail

        self._file = file
        self._size = file_size
        self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        seen: set[str] = set()
        count = 0
        try:
            with tarfile.open(fileobj=_SliceReader(self._map, 0, file_size), mode="r:") as tar:
                for info in tar:
                    count = _count_member(count, max_members, path)
                    name = _check_tarinfo(info, path, seen)
                    if name is None:
                        continue
                    if info.offset_data + info.size > file_size:
                        raise CorruptArchiveError(
                            f"member declares {info.size} bytes at offset {info.offset_data} but the file "
                            "has "
                            f"only {file_size} bytes; the archive is truncated or its header is corrupt. "
                            "Re-download or re-save it.",
                            path=path,
                            member=info.name,
                        )
                    self.members[name] = MemberInfo(name, info.size, info.offset_data)
                self.end_offset = tar.offset
            _check_prefixes(seen, self.members, path)
            self.tail = _check_tail(scan_tail(map_chunks(self._map, tar.offset, file_size), tar.offset), path)
        except (UnsafeMemberError, CorruptArchiveError, SizeLimitError):
            self.close()
            raise
        except Exception as exc:  # tarfile raises many types on malformed headers
            self.close()
            raise CorruptArchiveError(
                f"tar structure is broken ({type(exc).__name__}: {exc}); re-download or re-save the archive.",
                path=path,
            ) from exc

    def open(self, name: str) -> IO[bytes]:
        """Return a seekable stream over the member (a view of the map, no copy)."""
        info = self.member(name)
        return io.BufferedReader(_SliceReader(self._map, info.offset, info.size))

    def read(self, name: str) -> bytes:
        """Return the member's bytes."""
        info = self.member(name)
        return self._map[info.offset : info.offset + info.size]

    def buffer(self, name: str) -> tuple[Any, int, int]:
        """Return the read-only map and the member's position in it."""
        info = self.member(name)
        return self._map, info.offset, info.size

    def private_buffer(self, name: str) -> tuple[Any, int, int]:
        """Return a fresh copy-on-write map of the file: tensors built on it may be written to."""
        info = self.member(name)
        return mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_COPY), info.offset, info.size

    def zero_copy(self) -> bool:
        """Plain tars are mapped, so weights are built without copying."""
        return True

    def close(self) -> None:
        """Close the map and the file (tensors built over the map keep their own reference)."""
        # Tensors or streams may still reference the map; it is then released when they are.
        with contextlib.suppress(BufferError):
            self._map.close()
        self._file.close()


class _LimitedStream(io.RawIOBase):
    """Reads a decompressing stream and refuses to go past ``limit`` decompressed bytes."""

    def __init__(self, inner: Any, limit: int, path: object) -> None:
        super().__init__()
        self._inner = inner
        self._limit = limit
        self._path = path

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def _guard(self, pos: int) -> None:
        if pos > self._limit:
            raise SizeLimitError(
                f"decompressed data exceeds {self._limit} bytes (a gzip bomb or an absurd declared size); "
                "if the archive is genuine, open it with a larger max_uncompressed_size.",
                path=self._path,
            )

    def readinto(self, b: Any) -> int:
        self._guard(self._inner.tell() + len(b) - 1 if len(b) else 0)
        data = self._inner.read(len(b))
        b[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        target = offset if whence == 0 else self._inner.tell() + offset if whence == 1 else -1
        if target < 0:
            raise OSError("cannot seek from the end of a gzip stream")
        self._guard(target)
        return int(self._inner.seek(target))

    def tell(self) -> int:
        return int(self._inner.tell())


class GzipContainer(Container):
    """A gzip-compressed tar (NeMo before 1.7). Members are decompressed on demand, into memory only."""

    kind = "tar.gz"

    def __init__(
        self,
        path: Path,
        file: IO[bytes],
        file_size: int,
        max_uncompressed_size: int | None,
        max_members: int = MAX_MEMBERS,
    ) -> None:
        super().__init__(path)
        import gzip
        import tarfile
        import zlib

        from ._integrity import scan_tail

        self._file = file
        limit = max_uncompressed_size or max(MIN_GZIP_LIMIT, GZIP_RATIO_LIMIT * file_size)
        self._stream = _LimitedStream(gzip.GzipFile(fileobj=file, mode="rb"), limit, path)
        self._offsets: dict[str, int] = {}
        seen: set[str] = set()
        count = 0
        try:
            self._tar = tarfile.open(fileobj=self._stream, mode="r:")  # noqa: SIM115 - kept open for reads
            for info in self._tar:
                count = _count_member(count, max_members, path)
                name = _check_tarinfo(info, path, seen)
                if name is None:
                    continue
                self._stream._guard(info.offset_data + info.size)
                self.members[name] = MemberInfo(name, info.size)
                self._offsets[name] = info.offset_data
            _check_prefixes(seen, self.members, path)
            # Reading to the end proves the compressed stream is complete and checks the gzip trailer (CRC-32
            # and length of all the data): a truncated or bit-flipped gzip fails here.
            self.end_offset = self._tar.offset
            self._stream.seek(self.end_offset)
            self.tail = _check_tail(scan_tail(self._rest(), self.end_offset), path)
            for _ in self._rest():
                pass  # the gzip trailer is checked when the stream's end is reached
        except (UnsafeMemberError, SizeLimitError, CorruptArchiveError):
            self.close()
            raise
        except (EOFError, zlib.error, OSError, tarfile.TarError, ValueError, UnicodeError) as exc:
            self.close()
            raise CorruptArchiveError(
                f"gzip tar is truncated or corrupt ({type(exc).__name__}: {exc}); re-download the archive.",
                path=path,
            ) from exc

    def _rest(self) -> Iterator[bytes]:
        """The decompressed bytes from the current position to the end, in chunks, within the size limit."""
        stream = self._stream
        while chunk := stream.read(max(1, min(1 << 20, stream._limit - stream.tell()))):
            yield chunk

    def open(self, name: str) -> IO[bytes]:
        """Return the member's bytes as an in-memory stream."""
        return io.BytesIO(self.read(name))

    def read(self, name: str) -> bytes:
        """Decompress and return the member's bytes."""
        import zlib

        info = self.member(name)
        try:
            self._stream.seek(self._offsets[name])
            data = self._stream.read(info.size)
        except (EOFError, zlib.error, OSError) as exc:
            raise CorruptArchiveError(
                f"gzip data is truncated or corrupt ({exc}); re-download the archive.",
                path=self.path,
                member=name,
            ) from exc
        if len(data) != info.size:
            raise CorruptArchiveError(
                f"member is truncated ({len(data)} of {info.size} bytes); re-download the archive.",
                path=self.path,
                member=name,
            )
        return data

    def close(self) -> None:
        """Close the decompressor and the file."""
        self._file.close()


class DirContainer(Container):
    """An unpacked archive: a directory holding ``model_config.yaml`` and the other members as files."""

    kind = "directory"

    def __init__(self, path: Path, max_members: int = MAX_MEMBERS) -> None:
        super().__init__(path)
        root = os.path.realpath(path)
        count = 0
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
            for entry in sorted(dirnames):
                full = os.path.join(dirpath, entry)
                if os.path.islink(full):
                    raise UnsafeMemberError(
                        "directory is a symbolic link; refusing it (it may point outside the archive).",
                        path=path,
                        member=os.path.relpath(full, path),
                    )
            for entry in sorted(filenames):
                full = os.path.join(dirpath, entry)
                rel = os.path.relpath(full, path).replace(os.sep, "/")
                count = _count_member(count, max_members, path)
                # The names a tar reader refuses are refused here too, so `pack` cannot write them.
                normalize_name(rel, path)
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
                    raise UnsafeMemberError(
                        "not a regular file (link, device or FIFO); remove it from the directory.",
                        path=path,
                        member=rel,
                    )
                if not os.path.realpath(full).startswith(root + os.sep):
                    raise UnsafeMemberError("resolves outside the directory", path=path, member=rel)
                self.members[rel] = MemberInfo(rel, st.st_size)

    def _file(self, name: str) -> Path:
        self.member(name)
        return self.path / name

    def open(self, name: str) -> IO[bytes]:
        """Open the member's file."""
        return _open_regular(self._file(name), self.path, name)

    def buffer(self, name: str) -> tuple[Any, int, int]:
        """Map the member's file copy-on-write (a fresh map each call)."""
        info = self.member(name)
        if info.size == 0:
            return bytearray(), 0, 0
        with _open_regular(self._file(name), self.path, name) as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        return mapped, 0, info.size

    def zero_copy(self) -> bool:
        """Directory members are mapped."""
        return True

    def private_buffer(self, name: str) -> tuple[Any, int, int]:
        """Every map of a directory member is already fresh and private."""
        return self.buffer(name)


def _open_regular(file: Path, path: object, member: str | None = None) -> IO[bytes]:
    """Open ``file`` for reading without ever blocking, and only if it is a regular file.

    Opening a FIFO for reading waits for a writer; ``O_NONBLOCK`` makes the open return at once, and the
    ``fstat`` of the opened descriptor (not of the path, which could change in between) decides.

    Raises:
        NotAnArchiveError: The path (``member`` None) is a FIFO, device or socket.
        UnsafeMemberError: A member file of a directory is.
    """
    fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a FIFO" if stat.S_ISFIFO(mode) else "a device, socket or other special file"
            if member is None:
                raise NotAnArchiveError(
                    f"is {what}, not a regular file; a .nemo is a file or an unpacked directory.", path=path
                )
            raise UnsafeMemberError(
                f"is {what}, not a regular file; remove it from the directory.", path=path, member=member
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def iter_regular(path: Path) -> Iterator[Path]:
    """Yield the regular files under ``path`` (used by pack), sorted for reproducible archives."""
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for entry in sorted(filenames):
            yield Path(dirpath) / entry


def open_container(
    path: str | os.PathLike[str],
    max_uncompressed_size: int | None = None,
    max_members: int | None = None,
) -> Container:
    """Detect the container type of ``path`` and open it.

    Args:
        path: The file or directory.
        max_uncompressed_size: Most bytes a gzip tar may decompress to (default: the larger of 64 MiB and
            100x the compressed size).
        max_members: Most member headers (files and directories) to accept (default :data:`MAX_MEMBERS`).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        NotAnArchiveError: Empty file, or neither tar, gzip, nor directory.
        CorruptArchiveError: A broken tar or gzip.
        UnsafeMemberError: A member that could escape the destination.
        SizeLimitError: A gzip tar that decompresses past the limit, or too many members.
    """
    p = Path(path)
    limit = MAX_MEMBERS if max_members is None else max_members
    if p.is_dir():
        return DirContainer(p, limit)
    file = _open_regular(p, p)
    try:
        size = os.fstat(file.fileno()).st_size
        head = file.read(512)
        file.seek(0)
        if size == 0:
            raise NotAnArchiveError(
                "file is empty; it is not a .nemo archive (a failed download or save?).", path=p
            )
        if head[:2] == GZIP_MAGIC:
            return GzipContainer(p, file, size, max_uncompressed_size, limit)
        if len(head) < 512 or not _is_tar_header(head):
            raise NotAnArchiveError(
                "not a tar, gzip tar or directory; expected a .nemo archive (uncompressed tar).", path=p
            )
        return TarContainer(p, file, size, limit)
    except BaseException:
        file.close()
        raise


def _is_tar_header(block: bytes) -> bool:
    """Whether ``block`` is a tar header with a valid checksum (what tarfile itself checks)."""
    try:
        stored = int(block[148:156].replace(b"\x00", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:512])
    high = sum(1 for b in block[:148] if b > 127) + sum(1 for b in block[156:512] if b > 127)
    signed = unsigned - 256 * high
    return stored in (unsigned, signed)
