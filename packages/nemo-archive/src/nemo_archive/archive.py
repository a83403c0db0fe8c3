"""Reading a .nemo: :class:`Archive`, opened once, read many ways, never unpacked to a temp dir."""

# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import nemo_archive` and
# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from ._container import Container, MemberInfo, open_container
from .errors import ArchiveError, DestinationError, MissingMemberError

# Modules needed only by some methods are imported inside them: `nemo-archive config` stays fast.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from ._yaml import ConfigLimits
    from .manifest import Manifest
    from .tensors import TensorInfo

__all__ = [
    "Archive",
    "VerifyReport",
    "CONFIG",
    "MANIFEST",
    "WEIGHTS_CKPT",
    "WEIGHTS_SAFETENSORS",
    "NEMO_PREFIX",
    "is_artifact_name",
]

CONFIG = "model_config.yaml"
MANIFEST = "manifest.json"
WEIGHTS_CKPT = "model_weights.ckpt"
WEIGHTS_SAFETENSORS = "model_weights.safetensors"
NEMO_PREFIX = "nemo:"
_HEX = frozenset("0123456789abcdef")
CHUNK = 16 * 1024 * 1024

Progress = Callable[[int], None]


class Archive:
    """An opened ``.nemo`` (uncompressed tar, gzip tar, or unpacked directory).

    Opening reads and validates every member header once; nothing is extracted. The file stays open (and, for
    an uncompressed tar, memory-mapped) until :meth:`close`, so artifacts stay readable even if the path is
    deleted meanwhile (on POSIX). Use it as a context manager.

    Args:
        path: The ``.nemo`` file or unpacked directory.
        max_uncompressed_size: For gzip tars, the most bytes to decompress (default: the larger of 64 MiB and
            100x the compressed size) — a guard against gzip bombs.
        max_members: The most member headers to accept (default 10,000) — a guard against header floods.
        config_limits: Bounds on the config's size, nesting depth and node count once aliases are expanded
            (default ``ConfigLimits()``, SPEC.md §5.1) — a guard against YAML bombs.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        NotAnArchiveError: ``path`` is empty or not a tar, gzip tar or directory with a config.
        CorruptArchiveError: Broken tar or gzip structure.
        UnsafeMemberError: Absolute paths, ``..``, links, devices or duplicate names among the members.
        SizeLimitError: A gzip tar decompressing past ``max_uncompressed_size``, or too many members.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_uncompressed_size: int | None = None,
        max_members: int | None = None,
        config_limits: ConfigLimits | None = None,
    ) -> None:
        self.path = Path(path)
        self.config_limits = config_limits
        self._container: Container = open_container(self.path, max_uncompressed_size, max_members)
        self._config_text: str | None = None
        self._manifest: Manifest | bool | None = False
        if self._container.kind == "directory" and CONFIG not in self._container.members:
            from .errors import NotAnArchiveError

            raise NotAnArchiveError(
                f"directory holds no {CONFIG}; it is not an unpacked .nemo (point at the folder that "
                "has it).",
                path=self.path,
            )

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Release the file and its memory map (tensors loaded with ``mmap=True`` keep the map alive)."""
        self._container.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Archive({str(self.path)!r}, kind={self.kind!r}, members={len(self.names)})"

    # ------------------------------------------------------------------ members
    @property
    def kind(self) -> str:
        """``tar`` (uncompressed, memory-mapped), ``tar.gz`` or ``directory``."""
        return self._container.kind

    @property
    def members(self) -> list[MemberInfo]:
        """Every regular-file member, in archive order (directory: sorted by path)."""
        return list(self._container.members.values())

    @property
    def names(self) -> list[str]:
        """Member names without ``./``, in archive order."""
        return list(self._container.members)

    def member(self, name: str) -> MemberInfo:
        """Return one member's info.

        Raises:
            MissingMemberError: No such member.
        """
        return self._container.member(_strip(name))

    def open_member(self, name: str) -> IO[bytes]:
        """Return a binary stream of a member's bytes (a view of the map for uncompressed tars).

        Raises:
            MissingMemberError: No such member.
        """
        return self._container.open(_strip(name))

    def read_member(self, name: str) -> bytes:
        """Return a member's bytes.

        Raises:
            MissingMemberError: No such member.
        """
        return self._container.read(_strip(name))

    # ------------------------------------------------------------------ config
    @property
    def config_text(self) -> str:
        """The raw YAML text of ``model_config.yaml``.

        Raises:
            MissingMemberError: The archive has no config.
            CorruptArchiveError: The config is not UTF-8.
        """
        if self._config_text is None:
            from ._yaml import DEFAULT_LIMITS

            limit = (self.config_limits or DEFAULT_LIMITS).max_bytes
            if self._container.member(CONFIG).size > limit:
                from .errors import SizeLimitError

                raise SizeLimitError(
                    f"config is {self._container.member(CONFIG).size} bytes, more than {limit}; a genuine "
                    "config is far smaller. If you trust the file, pass a larger ConfigLimits.max_bytes.",
                    path=self.path,
                    member=CONFIG,
                )
            data = self._container.read(CONFIG)
            try:
                self._config_text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                from .errors import CorruptArchiveError

                raise CorruptArchiveError(
                    f"config is not UTF-8 text ({exc}); re-save the model.", path=self.path, member=CONFIG
                ) from exc
        return self._config_text

    @property
    def config(self) -> dict[str, Any]:
        """The config as plain dicts, lists and scalars (a fresh copy on every access).

        Raises:
            MissingMemberError: The archive has no config.
            UnsafeContentError: The YAML uses Python-object tags.
            CorruptArchiveError: The YAML does not parse or is not a mapping.
        """
        from ._yaml import load_config

        return load_config(self.config_text, self.path, CONFIG, self.config_limits)

    def omegaconf(self) -> Any:
        """The config as an OmegaConf ``DictConfig`` (needs ``omegaconf``, imported only here).

        Raises:
            MissingDependencyError: omegaconf is not installed.
        """
        try:
            from omegaconf import OmegaConf  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            from .errors import MissingDependencyError

            raise MissingDependencyError(
                "omegaconf is not installed; use Archive.config for plain containers or "
                "`pip install omegaconf`.",
                path=self.path,
            ) from exc
        return OmegaConf.create(self.config)

    @property
    def target(self) -> str | None:
        """The config's ``target`` (class path), if any."""
        value = self.config.get("target")
        return value if isinstance(value, str) else None

    # ------------------------------------------------------------------ manifest
    @property
    def manifest(self) -> Manifest | None:
        """The parsed ``manifest.json``, or None for archives written without one (e.g. by nemo_toolkit).

        Raises:
            CorruptArchiveError: The manifest exists but does not parse.
        """
        from .manifest import Manifest

        if self._manifest is False:
            if MANIFEST in self._container.members:
                self._manifest = Manifest.from_bytes(self._container.read(MANIFEST), self.path)
            else:
                self._manifest = None
        assert self._manifest is not True
        return self._manifest

    @property
    def provenance(self) -> dict[str, Any]:
        """The manifest's provenance mapping (empty without a manifest)."""
        manifest = self.manifest
        return dict(manifest.provenance) if manifest else {}

    # ------------------------------------------------------------------ artifacts
    @property
    def artifacts(self) -> list[str]:
        """Members named like artifacts (``<32 hex>_<basename>``)."""
        return [n for n in self._container.members if is_artifact_name(n)]

    def artifact_refs(self) -> dict[str, str]:
        """Every ``nemo:`` reference in the config: dotted config path → member name (nested configs too).

        Raises:
            UnsafeContentError: A reference is not the plain name of a member (``nemo:../x``, ``nemo:/etc/x``,
                ``nemo:a/b``): references name members of this archive, never other files.
        """
        refs: dict[str, str] = {}

        def walk(node: Any, prefix: str) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(value, f"{prefix}.{key}" if prefix else str(key))
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, f"{prefix}.{i}")
            elif isinstance(node, str) and node.startswith(NEMO_PREFIX):
                refs[prefix] = _artifact_name(node, self.path, prefix)

        walk(self.config, "")
        return refs

    def open_artifact(self, ref: str) -> IO[bytes]:
        """Return a stream of the artifact ``ref`` (``nemo:<name>`` or ``<name>``).

        Raises:
            MissingMemberError: The artifact is not in the archive.
            UnsafeContentError: ``ref`` is not a plain member name (a path, ``..``, a separator).
        """
        return self._container.open(_artifact_name(ref, self.path))

    def extract_artifact(self, ref: str, dest: str | os.PathLike[str]) -> Path:
        """Write one artifact to ``dest`` atomically and return the written path.

        Args:
            ref: ``nemo:<name>`` or ``<name>``.
            dest: A file path, or an existing directory (the file is then ``dest/<name>``).

        Raises:
            MissingMemberError: The artifact is not in the archive.
            UnsafeContentError: ``ref`` is not a plain member name (a path, ``..``, a separator).
            DestinationError: ``dest`` cannot be written.
        """
        name = _artifact_name(ref, self.path)
        self._container.member(name)
        from ._fs import member_target

        target = Path(dest)
        if target.is_dir():
            target = member_target(target, name, self.path)
        self._copy_member(name, target)
        return target

    def _copy_member(self, name: str, target: Path, progress: Progress | None = None) -> None:
        from ._fs import atomic_file

        with self._container.open(name) as src, atomic_file(target, durable=False) as out:
            while True:
                chunk = src.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                if progress:
                    progress(len(chunk))

    def extract(
        self,
        dest: str | os.PathLike[str],
        members: list[str] | None = None,
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Extract members (all by default) under ``dest``, safely, one file at a time.

        Every name was validated when the archive was opened; here each target is also checked to resolve
        inside ``dest`` (symlinks already in ``dest`` cannot redirect writes). Files are written atomically.

        Raises:
            MissingMemberError: A requested member does not exist.
            DestinationError: A target exists (and ``overwrite`` is False) or is a directory.
            UnsafeMemberError: A target would resolve outside ``dest``.
        """
        from ._fs import member_target

        root = Path(dest)
        if root.exists() and not root.is_dir():
            raise DestinationError("exists and is not a directory; extract into a directory.", path=root)
        names = [_strip(n) for n in members] if members else self.names
        for name in names:
            self._container.member(name)
        root.mkdir(parents=True, exist_ok=True)
        written = []
        for name in names:
            target = member_target(root, name, self.path)
            if target.exists() and not overwrite:
                raise DestinationError(
                    f"{target} already exists; pass overwrite=True (CLI: --overwrite) or use an empty "
                    "directory.",
                    path=self.path,
                    member=name,
                )
            self._copy_member(name, target, progress)
            written.append(target)
        return written

    # ------------------------------------------------------------------ weights
    @property
    def weights_member(self) -> str:
        """The weights member: ``model_weights.ckpt``, else ``model_weights.safetensors``.

        Raises:
            MissingMemberError: Neither is present.
        """
        for name in (WEIGHTS_CKPT, WEIGHTS_SAFETENSORS):
            if name in self._container.members:
                return name
        raise MissingMemberError(
            f"no weights; expected {WEIGHTS_CKPT} or {WEIGHTS_SAFETENSORS} (a config-only archive?).",
            path=self.path,
            member=WEIGHTS_CKPT,
        )

    @property
    def weights_format(self) -> str:
        """``ckpt`` or ``safetensors``."""
        return "safetensors" if self.weights_member.endswith(".safetensors") else "ckpt"

    def tensor_info(self, member: str | None = None) -> dict[str, TensorInfo]:
        """Names, dtypes and shapes of every tensor, read without torch and without reading tensor data.

        Args:
            member: The weights member (default :attr:`weights_member`).

        Raises:
            MissingMemberError: No weights member.
            CorruptArchiveError: The weights do not parse.
            UnsafeContentError: The checkpoint's pickle names globals outside the allow-list.
        """
        from .tensors import ckpt_tensor_info, safetensors_tensor_info

        name = _strip(member) if member else self.weights_member
        buf, start, size = self._container.buffer(name)
        if name.endswith(".safetensors"):
            return safetensors_tensor_info(buf, start, size, self.path, name)
        return ckpt_tensor_info(buf, start, size, self.path, name)[0]

    def parameter_count(self, member: str | None = None) -> int:
        """Total elements over the tensors (tied entries counted once)."""
        from .tensors import parameter_count

        return parameter_count(self.tensor_info(member))

    def load_state_dict(
        self,
        map_location: Any = None,
        *,
        mmap: bool = False,
        check_integrity: bool = True,
        weights_only: bool = True,
        member: str | None = None,
    ) -> Any:
        """Load the weights (needs torch).

        By default the tensors are the caller's own memory, filled by one sequential read of the member and
        checked on the way (the manifest's SHA-256, else each zip record's CRC-32): nothing done to the file
        afterwards can change or break them.

        Args:
            map_location: ``None`` (each storage where it was saved), a device string or
                ``torch.device``, or a dict mapping saved locations to new ones; anything else is
                passed to ``torch.load``.
            mmap: Build tensors over a copy-on-write memory map of the archive instead (no copy, pages read on
                first touch, integrity not checked). HAZARD: the tensors then stay backed by the file, so
                overwriting it in place (``cp other.nemo this.nemo``) silently changes them, and truncating
                it kills the process with SIGBUS on the next access. Only for files nothing will modify while
                the tensors live. Gzip archives are always read into memory.
            check_integrity: Verify the bytes while reading them (default path only); False skips the check.
            weights_only: Refuse every pickle global but plain tensors and containers (the safe default).
                ``False`` runs arbitrary code from the file: only for files you trust.
            member: The weights member (default :attr:`weights_member`).

        Returns:
            The object that was saved (an ``OrderedDict`` state dict for NeMo files).

        Raises:
            MissingDependencyError: torch is not installed.
            MissingMemberError: No weights member.
            UnsafeContentError: ``weights_only`` and the pickle names globals torch does not allow.
            CorruptArchiveError: The weights do not parse.
            IntegrityError: ``check_integrity`` and the bytes differ from their CRC-32 or SHA-256.
            ValueError: ``map_location`` names no device.
        """
        from . import _weights
        from ._pickle import UnsupportedGlobal
        from .tensors import safetensors_header

        name = _strip(member) if member else self.weights_member
        torch = _weights.import_torch(self.path, name)
        for spec in map_location.values() if isinstance(map_location, dict) else [map_location]:
            if isinstance(spec, str):
                try:
                    torch.device(spec)
                except RuntimeError as exc:
                    raise ValueError(f"map_location {spec!r} is not a device: {exc}") from exc
        if not mmap:
            return self._load_owned(name, map_location, check_integrity, weights_only)
        buf, start, size = self._container.private_buffer(name)
        copy = not mmap or not self._container.zero_copy()
        simple_location = (
            map_location is None
            or isinstance(map_location, (str, dict))
            or (type(map_location).__name__ == "device")
        )
        if name.endswith(".safetensors"):
            if not simple_location:
                raise TypeError(
                    "safetensors weights take map_location as None, a device or a dict of devices"
                )
            header, data_start = safetensors_header(buf, start, size, self.path, name)
            return _weights.load_safetensors(
                buf,
                header,
                data_start,
                copy=copy and self._container.zero_copy(),
                map_location=map_location,
                path=self.path,
                member=name,
            )
        if weights_only and simple_location:
            from ._torchzip import read_torch_zip

            zipinfo = read_torch_zip(buf, start, size, self.path, name)
            try:
                return _weights.load_ckpt(
                    buf,
                    zipinfo,
                    copy=copy and self._container.zero_copy(),
                    map_location=map_location,
                    path=self.path,
                    member=name,
                )
            except UnsupportedGlobal:
                pass  # torch's own weights_only unpickler decides below
        with self._container.open(name) as stream:
            return _weights.torch_load_fallback(
                stream, weights_only=weights_only, map_location=map_location, path=self.path, member=name
            )

    def _load_owned(self, name: str, map_location: Any, check_integrity: bool, weights_only: bool) -> Any:
        """``load_state_dict(mmap=False)``: fresh tensors, one sequential read, checked on the way."""
        from . import _weights
        from ._fill import Source
        from ._pickle import UnsupportedGlobal
        from ._torchzip import read_torch_zip
        from .tensors import safetensors_header

        sha256 = None
        if check_integrity and self.manifest is not None:
            entry = next((m for m in self.manifest.members if m.name == name), None)
            sha256 = entry.sha256 if entry is not None else None
        buf, start, size = self._container.buffer(name)
        fd = None
        if self.kind == "tar":
            fd = self._container._file.fileno()  # type: ignore[attr-defined]
        elif self.kind == "directory":
            fd = os.open(self.path / name, os.O_RDONLY)
        try:
            source = Source(fd, buf if fd is None else None, self.path, name)
            common = {"start": start, "size": size, "map_location": map_location, "sha256": sha256}
            if name.endswith(".safetensors"):
                header, data_start = safetensors_header(buf, start, size, self.path, name)
                return _weights.load_safetensors_owned(
                    source, header, data_start, check_integrity=check_integrity, **common
                )
            zipinfo = read_torch_zip(buf, start, size, self.path, name)
            simple = map_location is None or isinstance(map_location, (str, dict))
            if weights_only and (simple or type(map_location).__name__ == "device"):
                try:
                    return _weights.load_ckpt_owned(
                        source, zipinfo, check_integrity=check_integrity, **common
                    )
                except UnsupportedGlobal:
                    pass  # torch's own weights_only unpickler decides below
            at, length = zipinfo.records["data.pkl"]
            with self._container.open(name) as stream:
                return _weights.torch_load_fallback(
                    stream,
                    weights_only=weights_only,
                    map_location=map_location,
                    path=self.path,
                    member=name,
                    pickle_bytes=source.read(at, length),
                )
        finally:
            if self.kind == "directory" and fd is not None:
                os.close(fd)

    # ------------------------------------------------------------------ verification
    def hash_member(self, name: str, progress: Progress | None = None) -> str:
        """SHA-256 (hex) of a member's bytes, read in chunks (mapped for uncompressed tars)."""
        import hashlib

        digest = hashlib.sha256()
        for chunk in self._chunks(_strip(name)):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
        return digest.hexdigest()

    def _chunks(self, name: str) -> Iterator[Any]:
        if self._container.zero_copy() and self.kind == "tar":
            buf, start, size = self._container.buffer(name)
            with memoryview(buf) as view:
                for at in range(start, start + size, CHUNK):
                    piece = view[at : min(at + CHUNK, start + size)]
                    yield piece
                    piece.release()
            return
        with self._container.open(name) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk

    def verify(self, progress: Progress | None = None) -> VerifyReport:
        """Check structure, hashes, config, artifacts and weights; never raises for a bad archive.

        With a manifest, every member's SHA-256 is checked. Without one (NeMo-written archives), the CRC-32
        of every record of ``model_weights.ckpt`` is checked against the zip's directory; a gzip tar's own
        trailer (CRC-32 and length of all its data) was already checked when the archive was opened. Bytes
        after the tar's end-of-archive marker other than zeros fail the check ``end of archive``.

        Returns:
            A :class:`VerifyReport`; ``report.ok`` is False if any check failed.
        """
        from .tensors import parameter_count

        report = VerifyReport(str(self.path))
        report.add("tar structure", True, f"{self.kind}, {len(self.names)} members")
        if self.kind == "tar.gz":
            report.add("gzip trailer", True, "CRC-32 and length of the decompressed data match")
        if self._container.tail is not None:
            report.add("end of archive", False, self._container.tail)
        try:
            config = self.config
            report.add("config", True, f"target {config.get('target')!r}")
        except ArchiveError as exc:
            report.add("config", False, str(exc))
            config = None
        try:
            manifest = self.manifest
        except ArchiveError as exc:
            report.add("manifest", False, str(exc))
            manifest = None
        if manifest is not None:
            listed = {m.name for m in manifest.members}
            for entry in manifest.members:
                if entry.name not in self._container.members:
                    report.add(f"hash {entry.name}", False, "listed in the manifest but missing")
                    continue
                info = self._container.members[entry.name]
                if info.size != entry.size:
                    report.add(f"hash {entry.name}", False, f"size {info.size}, manifest says {entry.size}")
                    continue
                actual = self.hash_member(entry.name, progress)
                ok = actual == entry.sha256
                report.add(
                    f"hash {entry.name}", ok, "sha256 ok" if ok else f"sha256 {actual} != {entry.sha256}"
                )
            extra = [n for n in self.names if n not in listed and n != MANIFEST]
            report.add("manifest lists every member", not extra, f"unlisted: {extra}" if extra else "yes")
        elif not any(c.name == "manifest" for c in report.checks):
            report.add("manifest", True, "none (archive written without a manifest, e.g. by nemo_toolkit)")
        if manifest is None and WEIGHTS_CKPT in self._container.members:
            from ._integrity import weights_crc_check

            report.add(f"crc32 {WEIGHTS_CKPT}", *weights_crc_check(self._container, WEIGHTS_CKPT, progress))
        if config is not None:
            try:
                missing = [ref for ref in self.artifact_refs().values() if ref not in self._container.members]
                report.add(
                    "artifacts", not missing, f"missing: {missing}" if missing else "all referenced present"
                )
            except ArchiveError as exc:
                report.add("artifacts", False, str(exc))
        try:
            tensors = self.tensor_info()
            report.add("weights", True, f"{len(tensors)} tensors, {parameter_count(tensors)} parameters")
        except ArchiveError as exc:
            report.add("weights", False, str(exc))
        return report


class VerifyReport:
    """The result of :meth:`Archive.verify`: one line per check."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.checks: list[Check] = []

    def add(self, name: str, ok: bool, detail: str) -> None:
        """Record one check."""
        self.checks.append(Check(name, ok, detail))

    @property
    def ok(self) -> bool:
        """True iff every check passed."""
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"path": self.path, "ok": self.ok, "checks": [c.__dict__ for c in self.checks]}

    def raise_for_errors(self) -> None:
        """Raise :class:`IntegrityError` naming the first failed check.

        Raises:
            IntegrityError: Some check failed.
        """
        from .errors import IntegrityError

        for check in self.checks:
            if not check.ok:
                raise IntegrityError(f"{check.name}: {check.detail}", path=self.path)


class Check:
    """One verification check."""

    def __init__(self, name: str, ok: bool, detail: str) -> None:
        self.name = name
        self.ok = ok
        self.detail = detail


def is_artifact_name(name: str) -> bool:
    """Whether ``name`` has the artifact form ``<32 lowercase hex>_<basename>`` (SPEC.md §2)."""
    return len(name) > 33 and name[32] == "_" and "/" not in name and set(name[:32]) <= _HEX


def _strip(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _artifact_name(ref: str, path: object = None, where: str | None = None) -> str:
    """The member an artifact reference names; refuse references that are paths rather than member names."""
    name = _strip(ref[len(NEMO_PREFIX) :] if ref.startswith(NEMO_PREFIX) else ref)
    bad = (
        not name
        or name in (".", "..")
        or any(c in name for c in "/\\\x00")
        or (len(name) > 1 and name[1] == ":")
    )
    if bad:
        from .errors import UnsafeContentError

        at = f" at config key {where!r}" if where is not None else ""
        raise UnsafeContentError(
            f"artifact reference {ref!r}{at} is not the plain name of a member of this archive (it holds a "
            "path, '..' or a separator); references may only name members, never other files. Re-save the "
            "model with its artifacts registered.",
            path=path,
            member=CONFIG,
        )
    return name
