"""Build a state dict's tensors from the archive's bytes (needs torch, imported here only).

Each storage of a ``torch.save`` zip (or each tensor of a safetensors member) is a contiguous byte range of
the archive. By default (``mmap=False``) every storage is allocated fresh and filled by one sequential read
with its integrity checked on the way (``_fill``): the tensors are the caller's own. With ``mmap=True`` the
tensors are ``torch.frombuffer`` views of a copy-on-write memory map of the archive: no copy, pages read on
first touch, writes to a tensor never reach the file — but a later change to the file shows through, and
truncating it kills the process (SIGBUS).
"""

# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import nemo_archive` and
# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import pickle
from typing import Any

from ._dtypes import SAFETENSORS_CODES, itemsize
from ._fill import Source, Target, fill, storage_view
from ._pickle import UnsafeStructure, UnsupportedGlobal, check_nesting, check_tree, unpickle
from ._torchzip import TorchZip
from .errors import CorruptArchiveError, MissingDependencyError, UnsafeContentError


def import_torch(path: object, member: str | None) -> Any:
    """Import torch or explain how to install it.

    Raises:
        MissingDependencyError: torch is not installed.
    """
    try:
        import torch  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise MissingDependencyError(
            "loading or writing weights needs torch, which is not installed; install it with "
            "`pip install nemo-archive[torch]`. Configs, members and tensor metadata need no torch.",
            path=path,
            member=member,
        ) from exc
    return torch


def _target(torch: Any, map_location: Any, location: str) -> Any:
    """Device a storage saved at ``location`` goes to (None: leave it on the CPU)."""
    if isinstance(map_location, dict):
        location = map_location.get(location, location)
    elif map_location is not None:
        location = str(map_location)
    device = torch.device(location)
    return None if device.type == "cpu" else device


class _TorchBuilder:
    """Builds real tensors over ``view`` (see ``_pickle.Builder``)."""

    def __init__(
        self, torch: Any, view: memoryview, zipinfo: TorchZip, copy: bool, map_location: Any
    ) -> None:
        self.torch = torch
        self.view = view
        self.zip = zipinfo
        self.copy = copy
        self.map_location = map_location
        self.storages: dict[str, Any] = {}

    def storage(self, dtype: str, key: str, location: str, numel: int) -> Any:
        if key in self.storages:
            return self.storages[key]
        record = self.zip.records.get(f"data/{key}")
        nbytes = numel * itemsize(dtype)
        if record is None or nbytes > record[1]:
            raise pickle.UnpicklingError(f"storage {key!r} is missing or shorter than {nbytes} bytes")
        storage = _untyped(self.torch, self.view, record[0], nbytes, self.copy)
        device = _target(self.torch, self.map_location, location)
        if device is not None:
            storage = storage.to(device=device)
        self.storages[key] = (storage, dtype)
        return self.storages[key]

    def tensor(
        self, storage: Any, offset: int, size: tuple[int, ...], stride: tuple[int, ...], dtype: str | None
    ) -> Any:
        if not isinstance(storage, tuple):
            raise pickle.UnpicklingError("tensor without a storage")
        untyped, storage_dtype = storage
        t = self.torch.empty((0,), dtype=getattr(self.torch, dtype or storage_dtype), device=untyped.device)
        t.set_(untyped, offset, size, stride)  # torch checks the view stays inside the storage
        return t

    def parameter(self, data: Any, requires_grad: bool) -> Any:
        return self.torch.nn.Parameter(data, requires_grad=requires_grad)

    def dtype(self, name: str) -> Any:
        return getattr(self.torch, name)

    def device(self, spec: str) -> Any:
        return self.torch.device(spec)


def _untyped(torch: Any, view: memoryview, offset: int, nbytes: int, copy: bool) -> Any:
    if nbytes == 0:
        return torch.UntypedStorage(0)
    chunk = view[offset : offset + nbytes]
    data: Any = bytearray(chunk) if copy else chunk
    return torch.frombuffer(data, dtype=torch.uint8).untyped_storage()


class _OwnedBuilder(_TorchBuilder):
    """Builds tensors over fresh CPU storages, one per record, to be filled afterwards (``_fill``).

    With ``prefilled`` (the second pass for a non-CPU ``map_location``) the filled storages are moved instead.
    """

    def __init__(self, torch: Any, zipinfo: TorchZip, map_location: Any, prefilled: Any = None) -> None:
        super().__init__(torch, memoryview(b""), zipinfo, True, map_location)
        self.buffers: dict[str, tuple[Any, memoryview]] = {}
        self.prefilled = prefilled
        self.moved = False

    def storage(self, dtype: str, key: str, location: str, numel: int) -> Any:
        if key in self.storages:
            return self.storages[key]
        record = self.zip.records.get(f"data/{key}")
        nbytes = numel * itemsize(dtype)
        if record is None or nbytes > record[1]:
            raise pickle.UnpicklingError(f"storage {key!r} is missing or shorter than {nbytes} bytes")
        if self.prefilled is None:
            storage, view = storage_view(self.torch, record[1])
            self.buffers[key] = (storage, view)
        else:
            storage = self.prefilled[key][0]
        device = _target(self.torch, self.map_location, location)
        if device is not None:
            self.moved = True
            if self.prefilled is not None:
                storage = storage.to(device=device)
        self.storages[key] = (storage, dtype)
        return self.storages[key]


def load_ckpt_owned(
    source: Source,
    zipinfo: TorchZip,
    *,
    start: int,
    size: int,
    map_location: Any,
    sha256: str | None,
    check_integrity: bool,
) -> Any:
    """Rebuild the checkpoint with tensors in fresh memory, read once in file order and checked on the way.

    Raises:
        UnsupportedGlobal: The pickle needs a global outside our allow-list (caller falls back to torch.load).
        UnsafeContentError: The pickle is a cycle, a shared-reference DAG or absurdly deep.
        CorruptArchiveError: Broken pickle or storages.
        IntegrityError: ``check_integrity`` and a CRC-32 or the SHA-256 differs.
    """
    path, member = source.path, source.member
    torch = import_torch(path, member)
    at, length = zipinfo.records["data.pkl"]
    data = source.read(at, length)
    order = zipinfo.records.get("byteorder")
    if order is not None and source.read(*order) not in (b"little", b""):
        raise UnsupportedGlobal("byteorder", "big")
    builder = _OwnedBuilder(torch, zipinfo, map_location)
    obj = _unpickle(data, builder, path, member)
    targets = [
        Target(zipinfo.records[f"data/{key}"][0], view, f"data/{key}", zipinfo.crcs.get(f"data/{key}"))
        for key, (_, view) in builder.buffers.items()
    ]
    if check_integrity and sha256 is None and zipinfo.crcs.get("data.pkl") is not None:
        targets.append(Target(at, memoryview(bytearray(data)), "data.pkl", zipinfo.crcs["data.pkl"]))
    fill(
        source,
        targets,
        start=start,
        size=size,
        sha256=sha256 if check_integrity else None,
        crc=check_integrity,
    )
    if builder.moved:  # a second, cheap pass moves the filled storages where map_location says
        obj = _unpickle(data, _OwnedBuilder(torch, zipinfo, map_location, builder.buffers), path, member)
    return obj


def _unpickle(data: bytes, builder: Any, path: object, member: str) -> Any:
    try:
        return unpickle(data, builder)
    except UnsupportedGlobal:
        raise
    except UnsafeStructure as exc:
        from .tensors import unsafe_structure

        raise unsafe_structure(exc, path, member) from exc
    except Exception as exc:
        raise CorruptArchiveError(
            f"the weights cannot be rebuilt ({type(exc).__name__}: {exc}); the checkpoint is corrupt. "
            "Re-save it.",
            path=path,
            member=member,
        ) from exc


def load_ckpt(
    buf: Any,
    zipinfo: TorchZip,
    *,
    copy: bool,
    map_location: Any,
    path: object,
    member: str,
) -> Any:
    """Rebuild the checkpoint's object with tensors over ``buf``.

    Raises:
        UnsupportedGlobal: The pickle needs a global outside our allow-list (caller falls back to torch.load).
        CorruptArchiveError: Broken pickle or storages.
    """
    torch = import_torch(path, member)
    at, length = zipinfo.records["data.pkl"]
    order = zipinfo.records.get("byteorder")
    view = memoryview(buf)
    if order is not None and bytes(view[order[0] : order[0] + order[1]]) not in (b"little", b""):
        raise UnsupportedGlobal("byteorder", "big")
    builder = _TorchBuilder(torch, view, zipinfo, copy, map_location)
    return _unpickle(bytes(view[at : at + length]), builder, path, member)


def torch_load_fallback(
    stream: Any,
    *,
    weights_only: bool,
    map_location: Any,
    path: object,
    member: str,
    pickle_bytes: bytes | None = None,
) -> Any:
    """Hand the member to ``torch.load`` (exotic tensors, big-endian files, explicit ``weights_only=False``).

    ``pickle_bytes`` (the member's ``data.pkl``) is checked for absurd nesting first, and the result is checked
    to be a tree: torch's unpickler would crash on the first and hand back the second.

    Raises:
        UnsafeContentError: ``weights_only=True`` and torch refuses the pickle, or the structure is refused.
        CorruptArchiveError: torch cannot read the member.
    """
    torch = import_torch(path, member)
    try:
        if pickle_bytes is not None:
            check_nesting(pickle_bytes)
        obj = torch.load(stream, map_location=map_location, weights_only=weights_only)
        check_tree(obj)
        return obj
    except UnsafeStructure as exc:
        from .tensors import unsafe_structure

        raise unsafe_structure(exc, path, member) from exc
    except pickle.UnpicklingError as exc:
        raise UnsafeContentError(
            "torch.load(weights_only=True) refused the weights' pickle (it references globals that could run "
            f"code: {str(exc).splitlines()[0]}). If you trust the file, pass weights_only=False.",
            path=path,
            member=member,
        ) from exc
    except Exception as exc:  # torch raises many types on malformed input
        raise CorruptArchiveError(
            f"torch.load cannot read the weights ({exc}); re-save them.", path=path, member=member
        ) from exc


def load_safetensors(
    buf: Any,
    header: dict[str, Any],
    data_start: int,
    *,
    copy: bool,
    map_location: Any,
    path: object,
    member: str,
) -> dict[str, Any]:
    """Build the tensors of a safetensors member over ``buf``."""
    torch = import_torch(path, member)
    view = memoryview(buf)
    device = _target(torch, map_location, "cpu")
    out: dict[str, Any] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = getattr(torch, SAFETENSORS_CODES[entry["dtype"]])
        shape = tuple(entry["shape"])
        begin, end = entry["data_offsets"]
        if end == begin:
            t = torch.empty(shape, dtype=dtype)
        else:
            chunk = view[data_start + begin : data_start + end]
            t = torch.frombuffer(bytearray(chunk) if copy else chunk, dtype=dtype).reshape(shape)
        out[name] = t if device is None else t.to(device)
    return out


def load_safetensors_owned(
    source: Source,
    header: dict[str, Any],
    data_start: int,
    *,
    start: int,
    size: int,
    map_location: Any,
    sha256: str | None,
    check_integrity: bool,
) -> dict[str, Any]:
    """Build the tensors of a safetensors member in fresh memory, read once in file order.

    safetensors carries no checksums: the bytes are checked only against the manifest's SHA-256, if any.

    Raises:
        IntegrityError: ``check_integrity`` and the SHA-256 differs.
        CorruptArchiveError: The file ended early.
    """
    torch = import_torch(source.path, source.member)
    device = _target(torch, map_location, "cpu")
    out: dict[str, Any] = {}
    targets: list[Target] = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        storage, view = storage_view(torch, end - begin)
        t = torch.empty((0,), dtype=getattr(torch, SAFETENSORS_CODES[entry["dtype"]]))
        t.set_(storage, 0, tuple(entry["shape"]))
        out[name] = t
        if end > begin:
            targets.append(Target(data_start + begin, view, name))
    fill(source, targets, start=start, size=size, sha256=sha256 if check_integrity else None, crc=False)
    if device is not None:
        out = {name: t.to(device) for name, t in out.items()}
    return out
