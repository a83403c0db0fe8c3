"""Locate the records of a ``torch.save`` zip inside a buffer, without torch and without copying.

``torch.save`` stores every record uncompressed, so each tensor storage is one contiguous byte range of the
checkpoint, and of the archive that holds it. This module finds those ranges (SPEC.md §3.1).
"""

# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import nemo_archive` and
# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .errors import CorruptArchiveError

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIG = b"PK\x03\x04"


@dataclass(frozen=True)
class TorchZip:
    """The records of a torch zip checkpoint.

    Attributes:
        prefix: The record folder (``model_weights`` for NeMo files, ``archive`` for buffers).
        records: Record name (without the prefix) → ``(absolute offset in the buffer, size)``.
        crcs: Record name → the CRC-32 the zip's central directory records for it.
    """

    prefix: str
    records: dict[str, tuple[int, int]]
    crcs: dict[str, int] = field(default_factory=dict)

    def storage(self, key: str) -> tuple[int, int]:
        """Return ``(offset, size)`` of storage ``key`` (record ``data/<key>``)."""
        return self.records[f"data/{key}"]


def read_torch_zip(buf: Any, start: int, size: int, path: object, member: str) -> TorchZip:
    """Index the torch zip that occupies ``buf[start:start+size]``.

    Raises:
        CorruptArchiveError: Not a zip, a compressed record, a record outside the member, two records of one
            name (readers would disagree on which one counts), or no ``data.pkl``.
    """
    import zipfile

    from ._container import _SliceReader

    def corrupt(why: str) -> CorruptArchiveError:
        return CorruptArchiveError(
            f"weights are not a readable torch.save zip ({why}); re-save the weights with torch.save.",
            path=path,
            member=member,
        )

    try:
        with zipfile.ZipFile(_SliceReader(buf, start, size)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, UnicodeError) as exc:
        raise corrupt(str(exc)) from exc
    twice = sorted(name for name, n in Counter(i.filename for i in infos).items() if n > 1)
    if twice:
        raise corrupt(f"records {twice[:5]} appear more than once; torch.save writes each record once")
    pickles = [i.filename for i in infos if i.filename.endswith("/data.pkl") and i.filename.count("/") == 1]
    if len(pickles) != 1:
        raise corrupt(f"expected one '<name>/data.pkl' record, found {len(pickles)}")
    prefix = pickles[0].split("/", 1)[0]
    records: dict[str, tuple[int, int]] = {}
    with memoryview(buf) as view:
        _collect(view, infos, prefix, start, size, records, corrupt)
    crcs = {i.filename[len(prefix) + 1 :]: i.CRC for i in infos if i.filename.startswith(prefix + "/")}
    return TorchZip(prefix, records, crcs)


def _collect(
    view: memoryview,
    infos: list[Any],
    prefix: str,
    start: int,
    size: int,
    records: dict[str, tuple[int, int]],
    corrupt: Any,
) -> None:
    import zipfile

    for info in infos:
        if not info.filename.startswith(prefix + "/"):
            continue
        if info.compress_type != zipfile.ZIP_STORED:
            raise corrupt(f"record {info.filename!r} is compressed")
        head_at = start + info.header_offset
        if info.header_offset < 0 or info.header_offset + _LOCAL_HEADER.size > size:
            raise corrupt(f"record {info.filename!r} starts outside the file")
        fields = _LOCAL_HEADER.unpack(view[head_at : head_at + _LOCAL_HEADER.size])
        if fields[0] != _LOCAL_SIG:
            raise corrupt(f"record {info.filename!r} has no local header")
        data_at = info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]
        if data_at + info.file_size > size:
            raise corrupt(f"record {info.filename!r} extends past the end of the weights")
        records[info.filename[len(prefix) + 1 :]] = (start + data_at, info.file_size)
    end = 0
    for name, (at, length) in sorted(records.items(), key=lambda item: item[1]):
        if at < end:
            raise corrupt(f"record {name!r} overlaps the record before it (two tensors would share bytes)")
        end = at + length
