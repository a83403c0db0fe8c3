"""Integrity checks that need no manifest: zip record CRC-32s, the gzip trailer, data after the archive's end.

NeMo-written archives carry no hashes of their own, but ``model_weights.ckpt`` is a zip whose central
directory records a CRC-32 per record, and a gzip tar ends with the CRC-32 and length of everything it
decompresses to. These helpers check both, fast: CRC-32 is computed on big slices, several at once on
threads (``zlib.crc32`` releases the GIL), and the slices of one record are joined with
:func:`crc32_combine`, so one very large tensor is checked in parallel too.
"""

# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import nemo_archive` and
# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import os
import zlib

TYPE_CHECKING = False  # `typing` is slow to import; mypy treats this name as True
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

__all__ = [
    "crc32_combine",
    "crc32_ranges",
    "check_zip_crcs",
    "zip_crc_problems",
    "scan_tail",
    "weights_crc_check",
]

PIECE = 32 * 1024 * 1024
_POLY = 0xEDB88320


def _gf2_times(mat: list[int], vec: int) -> int:
    total = 0
    i = 0
    while vec:
        if vec & 1:
            total ^= mat[i]
        vec >>= 1
        i += 1
    return total


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of ``a + b`` from ``crc32(a)``, ``crc32(b)`` and ``len(b)`` (zlib's method, in Python).

    Costs about ``log2(len2)`` 32x32 bit-matrix squarings: microseconds, whatever the lengths.
    """
    if len2 <= 0:
        return crc1
    odd = [_POLY] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


_piece_operator: list[int] = []


def _shift_piece(crc: int) -> int:
    """``crc`` advanced over :data:`PIECE` zero bytes (the operator is built once, by squaring)."""
    if not _piece_operator:
        op = [_POLY] + [1 << n for n in range(31)]  # one zero bit
        for _ in range(3 + PIECE.bit_length() - 1):  # 8 bits, then doubled up to PIECE bytes
            op = _gf2_square(op)
        _piece_operator.extend(op)
    return _gf2_times(_piece_operator, crc)


def _workers() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(8, cores))


def crc32_ranges(
    buf: Any, ranges: Iterable[tuple[int, int]], progress: Callable[[int], None] | None = None
) -> list[int]:
    """CRC-32 of each ``(offset, size)`` range of ``buf`` (bytes, bytearray or mmap), in parallel.

    Each range is cut into slices of :data:`PIECE` bytes, computed on a thread pool and combined. Memory
    beyond ``buf`` itself: none (slices are memoryviews).
    """
    from concurrent.futures import ThreadPoolExecutor

    ranges = list(ranges)
    pieces: list[tuple[int, int, int]] = []  # (range index, offset, size)
    for index, (offset, size) in enumerate(ranges):
        pieces.extend(
            (index, at, min(PIECE, offset + size - at)) for at in range(offset, offset + size, PIECE)
        )
    crcs = [0] * len(ranges)
    started = [False] * len(ranges)
    with memoryview(buf) as view:

        def one(piece: tuple[int, int, int]) -> int:
            _, at, size = piece
            with view[at : at + size] as part:
                return zlib.crc32(part)

        workers = _workers()
        pool = ThreadPoolExecutor(workers, "nemo-archive-crc") if workers > 1 and len(pieces) > 1 else None
        try:
            results = pool.map(one, pieces) if pool is not None else map(one, pieces)
            for (index, _, size), crc in zip(pieces, results, strict=True):
                if not started[index]:
                    crcs[index], started[index] = crc, True
                elif size == PIECE:
                    crcs[index] = _shift_piece(crcs[index]) ^ crc
                else:
                    crcs[index] = crc32_combine(crcs[index], crc, size)
                if progress:
                    progress(size)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
    return crcs


def zip_crc_problems(
    buf: Any,
    records: dict[str, tuple[int, int]],
    crcs: dict[str, int],
    progress: Callable[[int], None] | None = None,
) -> tuple[list[str], int]:
    """Compare every record's bytes with the CRC-32 the zip's central directory recorded.

    Args:
        buf: The buffer the record offsets point into.
        records: Record name → ``(offset in buf, size)`` (e.g. ``TorchZip.records``).
        crcs: Record name → recorded CRC-32 (e.g. ``TorchZip.crcs``).
        progress: Called with the number of bytes checked, as they are.

    Returns:
        ``(problems, checked)``: one line per record whose CRC differs, and how many records were checked.
        A record recorded with CRC 0 but holding data is skipped: writers that turn CRCs off
        (``torch`` ``set_crc32_options(False)``) store 0.
    """
    names = [n for n in records if n in crcs and not (crcs[n] == 0 and records[n][1] > 0)]
    actual = crc32_ranges(buf, [records[n] for n in names], progress)
    problems = [
        f"record {name!r}: CRC-32 {got:08x}, the zip directory records {crcs[name]:08x}"
        for name, got in zip(names, actual, strict=True)
        if got != crcs[name]
    ]
    return problems, len(names)


def check_zip_crcs(
    buf: Any,
    records: dict[str, tuple[int, int]],
    crcs: dict[str, int],
    path: object,
    member: str,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Raise if any record's CRC-32 differs from the recorded one (for loaders checking while they read).

    Raises:
        IntegrityError: A record's bytes do not match its CRC-32 (the file is damaged).
    """
    problems, _ = zip_crc_problems(buf, records, crcs, progress)
    if problems:
        from .errors import IntegrityError

        raise IntegrityError(
            f"weights are damaged: {'; '.join(problems[:3])}"
            f"{f' (and {len(problems) - 3} more)' if len(problems) > 3 else ''}. Re-download or re-save the "
            "model.",
            path=path,
            member=member,
        )


TAIL_SCAN_LIMIT = 64 * 1024 * 1024
_OCTAL = frozenset(b"01234567 \0")


def _looks_like_header(block: Any) -> bool:
    from ._container import _is_tar_header

    if not block[0] or not set(bytes(block[148:156])) <= _OCTAL:
        return False
    return _is_tar_header(bytes(block))


def scan_tail(chunks: Iterable[Any], start: int) -> tuple[str, str] | None:
    """Look at what follows a tar's end (``chunks`` of the bytes from offset ``start`` on).

    Tar readers differ on what follows the end-of-archive marker: GNU tar skips a lone zero block or a bad
    header and extracts further members that Python's tarfile (and so nemo_toolkit) never lists.

    Returns:
        None when there are only zeros; else ``(kind, description)`` with kind ``hidden`` (a valid tar
        header follows: another tool would see more members), ``damaged`` (a header the reader stopped at
        is invalid and valid headers follow it) or ``garbage`` (other non-zero bytes).
    """
    at = start
    first = -1
    damaged = False
    for chunk in chunks:
        with memoryview(chunk) as view:
            size = len(view)
            if first < 0:
                raw = view.tobytes()
                if raw.count(0) == size:
                    at += size
                    continue
                first = at + len(raw) - len(raw.lstrip(b"\0"))
                damaged = first - start < 512
            lowest = max(at, start + (first - start) // 512 * 512)
            block = start + -(-(lowest - start) // 512) * 512  # the first 512-aligned block in this chunk
            for p in range(block, min(at + size, start + TAIL_SCAN_LIMIT) - 511, 512):
                b = p - at
                if _looks_like_header(view[b : b + 512]):
                    name = bytes(view[b : b + 100]).split(b"\0", 1)[0].decode("utf-8", "replace")
                    if damaged:
                        return "damaged", (
                            f"the tar header at offset {start} is damaged (bad checksum), and members follow "
                            f"it (e.g. {name!r} at offset {at + b}) that this reader would never list"
                        )
                    return "hidden", (
                        f"a tar header for {name!r} at offset {at + b} follows the end-of-archive marker at "
                        f"offset {start}: other tar tools (GNU tar --ignore-zeros) would extract members this reader does "
                        "not list"
                    )
            at += size
        if at - start > TAIL_SCAN_LIMIT:
            break
    if first < 0:
        return None
    return "garbage", f"non-zero bytes at offset {first}, after the end of the tar at offset {start}"


def map_chunks(buf: Any, start: int, end: int, size: int = 1 << 20) -> Iterable[Any]:
    """Slices of ``buf[start:end]``, ``size`` bytes each (``size`` a multiple of 512)."""
    with memoryview(buf) as view:
        for at in range(start, end, size):
            with view[at : min(end, at + size)] as part:
                yield part


def weights_crc_check(
    container: Any, name: str, progress: Callable[[int], None] | None = None
) -> tuple[bool, str]:
    """Check every record of the torch zip member ``name`` against its CRC-32; return ``(ok, detail)``.

    Reads the member once, in large slices (mapped for uncompressed tars, so nothing is copied).
    """
    from ._torchzip import read_torch_zip
    from .errors import ArchiveError

    buf, start, size = container.buffer(name)
    try:
        zipinfo = read_torch_zip(buf, start, size, container.path, name)
    except ArchiveError as exc:
        return False, str(exc)
    crcs = getattr(zipinfo, "crcs", None) or {}
    problems, checked = zip_crc_problems(buf, zipinfo.records, crcs, progress)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return False, f"damaged: {'; '.join(problems[:3])}{more}; re-download or re-save the model"
    skipped = len(zipinfo.records) - checked
    note = f" ({skipped} written without a CRC-32, not checked)" if skipped else ""
    return True, f"{checked} records match their CRC-32{note}"
