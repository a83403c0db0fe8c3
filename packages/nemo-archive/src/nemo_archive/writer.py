"""Writing a .nemo: config, manifest, artifacts, weights, in that order, in one pass, atomically.

The archive goes to a temp file in the destination's directory, which is fsynced and renamed over the
destination only when complete. Weights are streamed from ``torch.save`` straight into the tar (no second
copy on disk); their tar header and the manifest's hashes are filled in afterwards (both have a fixed size,
see SPEC.md §2 and §4). Every member is hashed while it is written.
"""

# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import nemo_archive` and
# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import copy
import functools
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ._fs import Writeback, atomic_file
from ._yaml import dump_config
from .archive import (
    CONFIG,
    MANIFEST,
    NEMO_PREFIX,
    WEIGHTS_CKPT,
    WEIGHTS_SAFETENSORS,
    Archive,
    is_artifact_name,
)
from .errors import ArchiveError, DestinationError, MissingMemberError
from .manifest import FORMAT_VERSION, Manifest, ManifestEntry

__all__ = ["ArchiveWriter", "save", "pack", "unpack"]

BLOCK = 512
RECORD = 10240
CHUNK = 16 * 1024 * 1024
PARALLEL_HASH_MIN = 1 << 20
MANIFEST_SLACK = 256

Progress = Callable[[int], None]


@dataclass
class _Member:
    name: str
    role: str
    size: int  # -1: known only after writing (streamed weights)
    opener: Callable[[], IO[bytes]] | None = None
    data: bytes | None = None
    state_dict: Any = None
    weights_format: str = ""


class ArchiveWriter:
    """Builds a ``.nemo`` and writes it atomically on :meth:`commit` (or on leaving its ``with`` block).

    Artifacts can be added before the config is set, so their ``nemo:`` references can be put into the
    config: ``ref = w.add_artifact("tokenizer.model")`` then ``cfg["tokenizer"]["model"] = ref``.

    Args:
        path: Destination ``.nemo`` file. Its directory is created if needed.
        weights_format: ``ckpt`` (``torch.save`` zip, NeMo-compatible; default) or ``safetensors``.
        provenance: Free JSON-serialisable mapping stored in the manifest (step, epoch, metric, source, ...).
        durable: fsync the file and its directory before returning (default True).
        zip_crc32: Let ``torch.save`` compute the CRC-32 of every zip record (default True). False skips that
            pass over the weights (torch >= 2.5; torch.load ignores the field, the manifest's SHA-256 still
            covers every byte), but generic zip tools then report CRC errors inside ``model_weights.ckpt``.

    Raises:
        ValueError: Unknown ``weights_format``.
        TypeError: ``provenance`` is not JSON-serialisable.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        weights_format: str = "ckpt",
        provenance: Mapping[str, Any] | None = None,
        durable: bool = True,
        zip_crc32: bool = True,
    ) -> None:
        if weights_format not in ("ckpt", "safetensors"):
            raise ValueError(f"weights_format must be 'ckpt' or 'safetensors', got {weights_format!r}")
        self.path = Path(path).expanduser()
        self.weights_format = weights_format
        self.provenance = dict(provenance or {})
        try:
            _json_dumps(self.provenance)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"provenance must be JSON-serialisable (str, numbers, bools, None, lists, dicts): {exc}"
            ) from exc
        self.durable = durable
        self.zip_crc32 = zip_crc32
        self._config: bytes | None = None
        self._artifacts: list[_Member] = []
        self._others: list[_Member] = []
        self._weights: _Member | None = None
        self._by_source: dict[Any, str] = {}
        self._committed = False

    # ------------------------------------------------------------------ building
    def set_config(self, config: Any) -> None:
        """Set the config: a mapping (plain or OmegaConf), or YAML text kept byte for byte."""
        text = config if isinstance(config, str) else dump_config(config)
        self._config = text.encode("utf-8")

    def add_artifact(
        self,
        source: str | os.PathLike[str] | bytes | tuple[Archive, str],
        name: str | None = None,
    ) -> str:
        """Add an artifact and return its config reference ``nemo:<32 hex>_<basename>``.

        Args:
            source: A file path, the bytes themselves, or ``(archive, member)`` to copy from an open archive
                (re-saving a restored model whose artifacts live in its source archive).
            name: The member name to use (``<32 hex>_<basename>``); by default a fresh uuid4 hex plus the
                source's basename. The same source added twice is stored once.

        Raises:
            FileNotFoundError: A path that does not exist or is not a regular file.
            MissingMemberError: ``(archive, member)`` naming a member that does not exist.
            ValueError: ``name`` is not of the artifact form.
        """
        key: Any
        if isinstance(source, tuple):
            archive, member = source
            member = member[len(NEMO_PREFIX) :] if member.startswith(NEMO_PREFIX) else member
            info = archive.member(member)
            key = ("archive", id(archive), info.name)
            basename = (
                info.name.split("_", 1)[-1] if is_artifact_name(info.name) else info.name.rsplit("/")[-1]
            )
            name = name or (info.name if is_artifact_name(info.name) else None)
            entry = _Member(
                "", "artifact", info.size, opener=functools.partial(archive.open_member, info.name)
            )
        elif isinstance(source, (bytes, bytearray)):
            if name is None:
                raise ValueError("artifacts given as bytes need a name (<basename> or <32 hex>_<basename>)")
            key = ("bytes", hashlib.sha256(source).hexdigest(), name)
            basename = name.split("_", 1)[-1] if is_artifact_name(name) else name
            entry = _Member("", "artifact", len(source), data=bytes(source))
        else:
            file = Path(source).expanduser().resolve()
            if not file.is_file():
                raise FileNotFoundError(f"artifact {file} does not exist or is not a regular file")
            key = ("file", str(file))
            basename = file.name
            entry = _Member("", "artifact", file.stat().st_size, opener=functools.partial(_open_rb, file))
        if key in self._by_source:
            return NEMO_PREFIX + self._by_source[key]
        if name is None or not is_artifact_name(name):
            name = f"{uuid.uuid4().hex}_{basename}"
        if (
            "/" in name
            or "\\" in name
            or "\x00" in name
            or not _utf8(name)
            or name in (CONFIG, MANIFEST)
            or any(a.name == name for a in self._artifacts)
        ):  # the names the reader refuses (_container.normalize_name) are never written
            raise ValueError(f"artifact name {name!r} is invalid or already used")
        entry.name = name
        self._artifacts.append(entry)
        self._by_source[key] = name
        return NEMO_PREFIX + name

    def add_member(self, name: str, source: str | os.PathLike[str] | bytes) -> None:
        """Add another member verbatim (kept after the artifacts, before the weights).

        Raises:
            UnsafeMemberError: ``name`` is absolute, has ``..`` components or is not a POSIX path.
            ValueError: ``name`` is one of the members the writer manages itself.
        """
        from ._container import normalize_name

        if normalize_name(name, self.path) != name or name in (
            CONFIG,
            MANIFEST,
            WEIGHTS_CKPT,
            WEIGHTS_SAFETENSORS,
        ):
            raise ValueError(f"member name {name!r} is reserved or not a plain relative path")
        if isinstance(source, (bytes, bytearray)):
            self._others.append(_Member(name, "other", len(source), data=bytes(source)))
        else:
            file = Path(source)
            self._others.append(
                _Member(name, "other", file.stat().st_size, opener=functools.partial(_open_rb, file))
            )

    def set_weights(self, state_dict: Any) -> None:
        """Set the weights: a state dict (or any object ``torch.save`` takes; safetensors: str → tensor)."""
        name = WEIGHTS_SAFETENSORS if self.weights_format == "safetensors" else WEIGHTS_CKPT
        self._weights = _Member(
            name, "weights", -1, state_dict=state_dict, weights_format=self.weights_format
        )

    def set_weights_file(self, source: str | os.PathLike[str] | tuple[Archive, str]) -> None:
        """Use serialized weights: a ``.ckpt``/``.safetensors`` file, or a member of an open archive."""
        if isinstance(source, tuple):
            archive, member = source
            info = archive.member(member)
            fmt = "safetensors" if info.name.endswith(".safetensors") else "ckpt"
            opener: Callable[[], IO[bytes]] = lambda: archive.open_member(info.name)  # noqa: E731
            size = info.size
        else:
            file = Path(source)
            fmt = "safetensors" if file.suffix == ".safetensors" else "ckpt"
            opener = functools.partial(_open_rb, file)
            size = file.stat().st_size
        self.weights_format = fmt
        name = WEIGHTS_SAFETENSORS if fmt == "safetensors" else WEIGHTS_CKPT
        self._weights = _Member(name, "weights", size, opener=opener)

    # ------------------------------------------------------------------ writing
    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None and not self._committed:
            self.commit()

    def commit(self, progress: Progress | None = None) -> Path:
        """Write the archive and atomically move it to :attr:`path`; return the path.

        Raises:
            MissingMemberError: No config was set.
            DestinationError: The destination is a directory.
            DiskFullError: The disk or a file-size limit filled up; the previous file at :attr:`path` is intact.
            MissingDependencyError: Weights given as a state dict and torch is not installed.
        """
        if self._config is None:
            raise MissingMemberError(
                "no config set; call set_config() before commit()", path=self.path, member=CONFIG
            )
        if self._committed:
            raise ArchiveError("already committed; create a new ArchiveWriter", path=self.path)
        if self.path.is_dir():
            raise DestinationError("is a directory; give the .nemo file path to write.", path=self.path)
        expected = self._estimated_size()
        with (
            atomic_file(self.path, durable=self.durable, expected_size=expected) as f,
            Writeback(f.fileno()) as writeback,
        ):
            tar = _TarWriter(f, progress, writeback if self.durable else None)
            tar.zip_crc32 = self.zip_crc32
            tar.write(self)
        self._committed = True
        return self.path

    def _estimated_size(self) -> int:
        """About how many bytes the archive takes: members plus the tensors' bytes (for a full-disk message)."""
        total = 4 * RECORD
        for m in self._members():
            total += BLOCK + max(m.size, 0) + (_tensor_bytes(m.state_dict) if m.state_dict is not None else 0)
        return total

    def _members(self) -> list[_Member]:
        members = [_Member(CONFIG, "config", len(self._config or b""), data=self._config)]
        members += self._artifacts + self._others
        if self._weights is not None:
            members.append(self._weights)
        return members


class _TarWriter:
    """Writes the members into an open file; see SPEC.md §2 for the layout."""

    def __init__(self, f: IO[bytes], progress: Progress | None, writeback: Writeback | None = None) -> None:
        self.f = f
        self.fd = f.fileno()
        self.progress = progress
        self.writeback = writeback
        self.mtime = int(time.time())

    def write(self, w: ArchiveWriter) -> None:
        import tarfile

        self.tarfile = tarfile
        members = w._members()
        entries: dict[str, ManifestEntry] = {}
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            writer={"name": "nemo-archive", "version": _version()},
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.mtime)),
            weights_format=w.weights_format,
            members=tuple(ManifestEntry(m.name, m.role, max(m.size, 0), "0" * 64) for m in members),
            provenance=w.provenance,
        )
        placeholder = _manifest_bytes(manifest)
        reserved = len(placeholder) + MANIFEST_SLACK
        config = members[0]
        entries[config.name] = self._member(config)
        manifest_at = self._header(MANIFEST, reserved) + BLOCK
        self._write_padded(placeholder.ljust(reserved, b" "))
        for member in members[1:]:
            entries[member.name] = self._member(member)
        self._write_all(b"\0" * (2 * BLOCK))
        end = os.lseek(self.fd, 0, os.SEEK_CUR)
        if end % RECORD:
            self._write_all(b"\0" * (RECORD - end % RECORD))
        final = Manifest(
            format_version=manifest.format_version,
            writer=manifest.writer,
            created=manifest.created,
            weights_format=manifest.weights_format,
            members=tuple(entries[m.name] for m in members),
            provenance=manifest.provenance,
        )
        data = _manifest_bytes(final)
        if len(data) > reserved:  # pragma: no cover - the slack covers every size field
            raise ArchiveError("manifest outgrew its reserved space", path=w.path, member=MANIFEST)
        os.pwrite(self.fd, data.ljust(reserved, b" "), manifest_at)

    # -- tar pieces
    def _header(self, name: str, size: int, gnu: bool = False) -> int:
        """Write a header for ``./name``; return the offset where it starts."""
        info = self.tarfile.TarInfo("./" + name)
        info.size = size
        info.mode = 0o644
        info.mtime = self.mtime
        info.uname = info.gname = ""
        at = os.lseek(self.fd, 0, os.SEEK_CUR)
        fmt = self.tarfile.GNU_FORMAT if gnu else self.tarfile.PAX_FORMAT
        header = info.tobuf(fmt, "utf-8", "surrogateescape")  # type: ignore[arg-type]
        self._write_all(header)
        return at + len(header) - BLOCK

    def _write_all(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        _write_all(self.fd, view)
        if self.writeback:
            self.writeback.wrote(len(view))

    def _write_padded(self, data: bytes) -> None:
        self._write_all(data)
        if len(data) % BLOCK:
            self._write_all(b"\0" * (BLOCK - len(data) % BLOCK))

    def _member(self, m: _Member) -> ManifestEntry:
        if m.state_dict is not None:
            return self._streamed(m)
        digest = hashlib.sha256()
        self._header(m.name, m.size)
        if m.data is not None:
            digest.update(m.data)
            self._write_padded(m.data)
            return ManifestEntry(m.name, m.role, len(m.data), digest.hexdigest())
        assert m.opener is not None
        sink = _Sink(self.fd, digest, self.progress, writeback=self.writeback)
        try:
            with m.opener() as src:
                while chunk := src.read(CHUNK):
                    sink.write(chunk)
        finally:
            sink.close()
        if sink.size != m.size:
            raise ArchiveError(
                f"source changed while it was copied ({sink.size} bytes, expected {m.size}); retry the save.",
                member=m.name,
            )
        if m.size % BLOCK:
            self._write_all(b"\0" * (BLOCK - m.size % BLOCK))
        return ManifestEntry(m.name, m.role, m.size, digest.hexdigest())

    zip_crc32 = True

    def _streamed(self, m: _Member) -> ManifestEntry:
        """Stream serialized weights, then fill in their (fixed-size, GNU) tar header."""
        from ._weights import import_torch

        torch = import_torch(None, m.name)
        header_at = self._header(m.name, 0, gnu=True)
        digest = hashlib.sha256()
        stable = _stable_ranges(torch, m.state_dict)
        sink = _Sink(self.fd, digest, self.progress, stable, torch, self.writeback)
        try:
            if m.weights_format == "safetensors":
                _write_safetensors(torch, m.state_dict, sink)
            elif self.zip_crc32 or not hasattr(torch.serialization, "set_crc32_options"):
                torch.save(m.state_dict, sink)
            else:
                _save_without_crc(torch, m.state_dict, sink)
        except Exception:
            if sink.error is not None:
                raise sink.error from None  # the OSError itself (full disk, ...), not torch's rewording
            raise
        finally:
            sink.close()
        info = self.tarfile.TarInfo("./" + m.name)
        info.size = sink.size
        info.mode = 0o644
        info.mtime = self.mtime
        info.uname = info.gname = ""
        header = info.tobuf(self.tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
        assert len(header) == BLOCK
        os.pwrite(self.fd, header, header_at)
        if sink.size % BLOCK:
            self._write_all(b"\0" * (BLOCK - sink.size % BLOCK))
        return ManifestEntry(m.name, m.role, sink.size, digest.hexdigest())


class _Sink:
    """A write-only file for ``torch.save``: writes to ``fd`` and hashes on a second thread, in order.

    Chunks that lie inside ``stable`` memory (the storages of the CPU tensors being saved, alive until
    ``torch.save`` returns) are hashed asynchronously while torch prepares the next record. Any other large
    chunk is hashed while it is written, and ``write`` waits for its hash (the memory may be freed after the
    call returns). Small chunks are copied into the queue.

    Args:
        fd: Destination file descriptor.
        digest: A hashlib object, updated in write order.
        progress: Called with each written byte count.
        stable: Sorted ``(start, end)`` address ranges that outlive the save.
        torch: The torch module, to find the address of a chunk (None: every chunk waits).
        writeback: Told of every write, to start durable bytes on their way to disk early.
    """

    def __init__(
        self,
        fd: int,
        digest: Any,
        progress: Progress | None,
        stable: list[tuple[int, int]] | None = None,
        torch: Any = None,
        writeback: Writeback | None = None,
    ) -> None:
        import queue

        self.fd = fd
        self.writeback = writeback
        self.digest = digest
        self.progress = progress
        self.size = 0
        self._stable = stable or []
        self._starts = [a for a, _ in self._stable]
        self._torch = torch
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._hasher, daemon=True)
        self._thread.start()
        self._failed: BaseException | None = None
        self.error: OSError | None = None

    def _hasher(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self.digest.update(job)
            except BaseException as exc:  # pragma: no cover - hashlib does not fail on bytes
                self._failed = exc
            finally:
                self._queue.task_done()

    def _is_stable(self, view: memoryview) -> bool:
        if self._torch is None or not self._stable:
            return False
        import bisect
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # frombuffer warns about read-only buffers; nothing is written
            address = self._torch.frombuffer(view, dtype=self._torch.uint8).data_ptr()
        i = bisect.bisect_right(self._starts, address) - 1
        return i >= 0 and address + len(view) <= self._stable[i][1]

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        n = len(view)
        try:
            if n < PARALLEL_HASH_MIN:
                self._queue.put(bytes(view))
                _write_all(self.fd, view)
            elif self._is_stable(view):
                self._queue.put(view)
                _write_all(self.fd, view)
            else:
                self._queue.put(view)
                _write_all(self.fd, view)
                self._queue.join()
        except OSError as exc:
            self.error = exc  # torch.save reports it as "unexpected pos ..."; the writer raises this instead
            raise
        self.size += n
        if self.writeback:
            self.writeback.wrote(n)
        if self.progress:
            self.progress(n)
        return n

    def flush(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        """Wait until every byte written is hashed, then stop the hashing thread."""
        self._queue.put(None)
        self._thread.join()
        if self._failed is not None:  # pragma: no cover
            raise self._failed


_CRC_LOCK = threading.Lock()


def _save_without_crc(torch: Any, obj: Any, sink: _Sink) -> None:
    """``torch.save`` with its CRC-32 pass switched off (a process-wide torch setting, restored after)."""
    serialization = torch.serialization
    with _CRC_LOCK:
        previous = serialization.get_crc32_options()
        serialization.set_crc32_options(False)
        try:
            torch.save(obj, sink)
        finally:
            serialization.set_crc32_options(previous)


def _stable_ranges(torch: Any, obj: Any) -> list[tuple[int, int]]:
    """Address ranges of the CPU storages reachable from ``obj`` (dicts, lists, tuples of tensors)."""
    ranges: list[tuple[int, int]] = []
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, torch.Tensor):
            if item.device.type == "cpu" and not item.is_sparse and item.layout == torch.strided:
                storage = item.untyped_storage()
                if storage.nbytes():
                    ranges.append((storage.data_ptr(), storage.data_ptr() + storage.nbytes()))
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return sorted(set(ranges))


def _tensor_bytes(obj: Any) -> int:
    """Bytes of the tensors (anything with ``nbytes``) in nested dicts, lists and tuples; no torch import."""
    total, stack = 0, [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(getattr(item, "nbytes", None), int):
            total += item.nbytes
    return total


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _write_safetensors(torch: Any, state_dict: Mapping[str, Any], sink: _Sink) -> None:
    """Write ``state_dict`` in the safetensors format, streaming each tensor's bytes without copying."""
    import ctypes
    import json

    from ._dtypes import DTYPES

    tensors = []
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name in sorted(state_dict):
        t = state_dict[name]
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"safetensors holds only tensors; {name!r} is a {type(t).__name__}")
        t = t.detach().to("cpu").contiguous()
        dtype = str(t.dtype).rsplit(".", 1)[-1]
        if dtype not in DTYPES:
            raise TypeError(f"tensor {name!r} has dtype {t.dtype}, which safetensors cannot store")
        nbytes = t.numel() * t.element_size()
        header[name] = {
            "dtype": DTYPES[dtype][1],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + nbytes],
        }
        tensors.append((t, nbytes))
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    sink.write(len(text).to_bytes(8, "little") + text)
    for t, nbytes in tensors:
        if nbytes:
            sink.write((ctypes.c_ubyte * nbytes).from_address(t.data_ptr()))


def _open_rb(path: Path) -> IO[bytes]:
    return path.open("rb")


def _json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, allow_nan=False)


def _manifest_bytes(manifest: Manifest) -> bytes:
    import json

    return json.dumps(manifest.to_json(), indent=1, sort_keys=False).encode("utf-8") + b"\n"


def _version() -> str:
    from . import __version__

    return __version__


# ---------------------------------------------------------------------- conveniences
def save(
    path: str | os.PathLike[str],
    config: Any,
    state_dict: Any,
    *,
    artifacts: Mapping[str, str | os.PathLike[str] | tuple[Archive, str]] | None = None,
    provenance: Mapping[str, Any] | None = None,
    weights_format: str = "ckpt",
    durable: bool = True,
    zip_crc32: bool = True,
) -> Path:
    """Write a ``.nemo`` in one call.

    Args:
        path: Destination file.
        config: Mapping (plain or OmegaConf) or YAML text.
        state_dict: What ``torch.save`` should store (``model.state_dict()``).
        artifacts: Dotted config path → artifact source (file path, or ``(archive, member)``). Each is stored
            once and the config (a mapping) is updated at that path with its ``nemo:`` reference.
        provenance: Stored in the manifest.
        weights_format: ``ckpt`` (default) or ``safetensors``.
        durable: fsync before returning.
        zip_crc32: See :class:`ArchiveWriter`.

    Returns:
        ``path``.

    Raises:
        KeyError: An artifact's config path does not exist in ``config``.
    """
    writer = ArchiveWriter(
        path, weights_format=weights_format, provenance=provenance, durable=durable, zip_crc32=zip_crc32
    )
    if artifacts:
        if isinstance(config, str):
            raise TypeError("artifacts need a mapping config (YAML text cannot be updated in place)")
        config = _plain(config)
        for dotted, source in artifacts.items():
            _set_dotted(config, dotted, writer.add_artifact(source))
    writer.set_config(config)
    writer.set_weights(state_dict)
    return writer.commit()


def _plain(config: Any) -> Any:
    if type(config).__module__.startswith("omegaconf"):
        from omegaconf import OmegaConf  # type: ignore[import-not-found, unused-ignore]

        return OmegaConf.to_container(config, resolve=True)
    return copy.deepcopy(config)


def _set_dotted(config: Any, dotted: str, value: str) -> None:
    node = config
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def pack(
    source_dir: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    provenance: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Pack an unpacked ``.nemo`` directory into a ``.nemo`` file (config first, weights last, new manifest).

    The config text is kept byte for byte. A ``manifest.json`` in the directory is replaced, keeping its
    provenance (merged with ``provenance``).

    Raises:
        NotAnArchiveError: The directory has no ``model_config.yaml``.
        UnsafeMemberError: The directory holds links, devices or FIFOs.
    """
    src = Archive(source_dir)
    try:
        merged = dict(src.provenance)
        merged.update(provenance or {})
        writer = ArchiveWriter(dest, provenance=merged)
        writer.set_config(src.config_text)
        names = src.names
        for name in names:
            if is_artifact_name(name):
                writer.add_artifact((src, name), name=name)
        for name in names:
            if name not in (CONFIG, MANIFEST, WEIGHTS_CKPT, WEIGHTS_SAFETENSORS) and not is_artifact_name(
                name
            ):
                writer.add_member(name, Path(source_dir) / name)
        for weights in (WEIGHTS_CKPT, WEIGHTS_SAFETENSORS):
            if weights in names:
                writer.set_weights_file((src, weights))
                break
        return writer.commit(progress)
    finally:
        src.close()


def unpack(
    source: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Unpack a ``.nemo`` into ``dest_dir`` safely (see :meth:`Archive.extract`); return the written files."""
    with Archive(source) as archive:
        return archive.extract(dest_dir, overwrite=overwrite, progress=progress)
