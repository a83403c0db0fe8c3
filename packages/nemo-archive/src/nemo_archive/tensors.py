"""Tensor names, shapes and dtypes of a weights member, read without torch.

For a ``torch.save`` zip the restricted unpickler rebuilds ``data.pkl`` into :class:`TensorInfo` records; for
safetensors the JSON header is parsed directly. Nothing is executed and no tensor data is read.
"""


# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import json
import math
import pickle
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._dtypes import DTYPES, SAFETENSORS_CODES, itemsize
from ._pickle import UnsafeStructure, UnsupportedGlobal, unpickle
from ._torchzip import TorchZip, read_torch_zip
from .errors import CorruptArchiveError, UnsafeContentError

__all__ = ["TensorInfo", "parameter_count"]

MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024


@dataclass(frozen=True)
class TensorInfo:
    """What is known about one tensor of a state dict without loading it.

    Attributes:
        name: Dotted key in the state dict (nested dicts are joined with ``.``).
        dtype: torch dtype name (``float32``, ``bfloat16``, ...).
        shape: The tensor's shape.
        storage: Storage key (torch zip) or the tensor's name (safetensors).
        offset: Offset in elements into the storage.
        stride: Strides in elements.
        nbytes: Bytes the tensor's elements occupy (``numel x itemsize``).
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    storage: str = ""
    offset: int = 0
    stride: tuple[int, ...] = ()
    nbytes: int = 0

    @property
    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)


def parameter_count(tensors: Mapping[str, TensorInfo]) -> int:
    """Sum of elements over the tensors, counting tied entries (same storage, offset, shape) once."""
    seen: set[tuple[Any, ...]] = set()
    total = 0
    for t in tensors.values():
        key = (t.storage, t.offset, t.shape, t.stride) if t.storage else (t.name,)
        if key not in seen:
            seen.add(key)
            total += t.numel
    return total


@dataclass(frozen=True)
class _StorageRec:
    dtype: str
    key: str
    numel: int


@dataclass(frozen=True)
class _TensorRec:
    storage: _StorageRec
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: str


class _MetaBuilder:
    """Builds plain records (see ``_pickle.Builder``)."""

    def storage(self, dtype: str, key: str, location: str, numel: int) -> _StorageRec:
        return _StorageRec(dtype, key, numel)

    def tensor(
        self, storage: Any, offset: int, size: tuple[int, ...], stride: tuple[int, ...], dtype: str | None
    ) -> _TensorRec:
        if not isinstance(storage, _StorageRec):
            raise pickle.UnpicklingError("tensor without a storage")
        return _TensorRec(storage, offset, size, stride, dtype or storage.dtype)

    def parameter(self, data: Any, requires_grad: bool) -> Any:
        return data

    def dtype(self, name: str) -> str:
        return name

    def device(self, spec: str) -> str:
        return spec


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from _walk(
                value, f"{prefix}{key}." if not isinstance(value, _TensorRec) else f"{prefix}{key}"
            )
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{prefix}{i}." if not isinstance(value, _TensorRec) else f"{prefix}{i}")
    elif isinstance(obj, _TensorRec):
        yield prefix, obj


def _extent(t: _TensorRec) -> int:
    """Elements of the storage the view reaches (0 for empty tensors)."""
    if any(d == 0 for d in t.shape):
        return 0
    return t.offset + 1 + sum((d - 1) * s for d, s in zip(t.shape, t.stride, strict=False))


def ckpt_tensor_info(
    buf: Any, start: int, size: int, path: object, member: str
) -> tuple[dict[str, TensorInfo], TorchZip]:
    """Read tensor metadata of a torch zip checkpoint in ``buf[start:start+size]``.

    Raises:
        CorruptArchiveError: Broken zip or pickle, or a tensor reaching outside its storage.
        UnsafeContentError: The pickle names a global outside the allow-list.
    """
    zipinfo = read_torch_zip(buf, start, size, path, member)
    at, length = zipinfo.records["data.pkl"]
    data = bytes(buf[at : at + length])
    try:
        obj = unpickle(data, _MetaBuilder())
    except UnsafeStructure as exc:
        raise unsafe_structure(exc, path, member) from exc
    except UnsupportedGlobal as exc:
        raise UnsafeContentError(
            f"the weights' pickle references {exc.qualname}, which is not a plain tensor state dict; it "
            "is not "
            "loaded because a pickle global can run arbitrary code. If you trust the file, load it with "
            "weights_only=False.",
            path=path,
            member=member,
        ) from exc
    except Exception as exc:  # garbage pickles raise anything from EOFError to TypeError
        raise CorruptArchiveError(
            f"the weights' pickle is corrupt ({type(exc).__name__}: {exc}); re-save the weights.",
            path=path,
            member=member,
        ) from exc
    out: dict[str, TensorInfo] = {}
    for name, rec in _walk(obj, ""):
        record = zipinfo.records.get(f"data/{rec.storage.key}")
        if record is None:
            raise CorruptArchiveError(
                f"tensor {name!r} uses storage {rec.storage.key!r}, which the checkpoint does not contain.",
                path=path,
                member=member,
            )
        if rec.dtype not in DTYPES or rec.storage.dtype not in DTYPES:
            raise CorruptArchiveError(
                f"tensor {name!r} has unknown dtype {rec.dtype!r}", path=path, member=member
            )
        reach = _extent(rec) * itemsize(rec.dtype)
        if reach > record[1] or rec.storage.numel * itemsize(rec.storage.dtype) > record[1]:
            raise CorruptArchiveError(
                f"tensor {name!r} reaches {reach} bytes into a storage of {record[1]} bytes; the "
                "checkpoint is "
                "corrupt.",
                path=path,
                member=member,
            )
        numel = math.prod(rec.shape)
        out[name] = TensorInfo(
            name, rec.dtype, rec.shape, rec.storage.key, rec.offset, rec.stride, numel * itemsize(rec.dtype)
        )
    return out, zipinfo


def unsafe_structure(exc: UnsafeStructure, path: object, member: str) -> UnsafeContentError:
    """The error for a pickle that is not a tree of containers (cycle, shared reference, too deep)."""
    return UnsafeContentError(
        f"the weights' pickle is refused: {exc}. Nothing was loaded. Re-save the weights with "
        "torch.save(model.state_dict()).",
        path=path,
        member=member,
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice")
        out[key] = value
    return out


def safetensors_header(
    buf: Any, start: int, size: int, path: object, member: str
) -> tuple[dict[str, Any], int]:
    """Parse a safetensors header; return it and the absolute offset of the data section.

    Raises:
        CorruptArchiveError: Short file, absurd header length, bad JSON or bad entries.
    """

    def corrupt(why: str) -> CorruptArchiveError:
        return CorruptArchiveError(
            f"weights are not valid safetensors ({why}); re-save them.", path=path, member=member
        )

    if size < 8:
        raise corrupt("shorter than 8 bytes")
    (length,) = struct.unpack("<Q", bytes(buf[start : start + 8]))
    if length > min(size - 8, MAX_SAFETENSORS_HEADER):
        raise corrupt(f"header declares {length} bytes")
    try:
        header = json.loads(bytes(buf[start + 8 : start + 8 + length]), object_pairs_hook=_unique_keys)
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise corrupt(f"header is not JSON with unique keys: {str(exc)[:200]}") from exc
    if not isinstance(header, dict):
        raise corrupt("header is not an object")
    data_start = start + 8 + length
    limit = size - 8 - length
    ranges: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = SAFETENSORS_CODES[entry["dtype"]]
            shape = tuple(int(d) for d in entry["shape"])
            begin, end = (int(x) for x in entry["data_offsets"])
        except (KeyError, TypeError, ValueError) as exc:
            raise corrupt(f"entry {name!r} is malformed ({exc})") from exc
        if (
            any(d < 0 for d in shape)
            or not 0 <= begin <= end <= limit
            or end - begin != math.prod(shape) * itemsize(dtype)
        ):
            raise corrupt(f"entry {name!r} has inconsistent shape {shape} and offsets {begin}..{end}")
        ranges.append((begin, end, name))
    _check_tiling(ranges, limit, corrupt)
    return header, data_start


def _check_tiling(ranges: list[tuple[int, int, str]], limit: int, corrupt: Any) -> None:
    """The tensors' byte ranges must tile the data section exactly: no overlap, no gap, nothing after."""
    at = 0
    for begin, end, name in sorted(ranges):
        if begin != at:
            why = "overlaps the tensor before it" if begin < at else f"leaves a gap of {begin - at} bytes"
            raise corrupt(
                f"entry {name!r} starts at byte {begin} of the data section and {why}; each tensor must "
                "start where the previous one ends (two tensors could otherwise share bytes)"
            )
        at = end
    if at != limit:
        raise corrupt(f"the tensors cover {at} bytes but the data section holds {limit}")


def safetensors_tensor_info(
    buf: Any, start: int, size: int, path: object, member: str
) -> dict[str, TensorInfo]:
    """Tensor metadata of a safetensors member."""
    header, _ = safetensors_header(buf, start, size, path, member)
    out: dict[str, TensorInfo] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_CODES[entry["dtype"]]
        shape = tuple(int(d) for d in entry["shape"])
        strides = tuple(math.prod(shape[i + 1 :]) for i in range(len(shape)))
        begin, end = entry["data_offsets"]
        out[name] = TensorInfo(name, dtype, shape, "", 0, strides, end - begin)
    return out
