"""verify catches damage without a manifest: zip CRC-32s, the gzip trailer, and members hidden after the end."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zlib
from pathlib import Path

import pytest

import nemo_archive
from archive_builders import CONFIG_YAML, REF_SMALL, add_bytes, make_tar
from nemo_archive import _integrity, errors
from nemo_archive.cli import main


def _flip(data: bytes, at: int, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[at] ^= 1 << bit
    return bytes(out)


def _detected(path: Path) -> bool:
    try:
        with nemo_archive.Archive(path) as archive:
            return not archive.verify().ok
    except errors.ArchiveError:
        return True


def _weights_records() -> list[tuple[int, int]]:
    from nemo_archive._torchzip import read_torch_zip

    with nemo_archive.Archive(REF_SMALL) as archive:
        buf, start, size = archive._container.buffer("model_weights.ckpt")
        return list(read_torch_zip(buf, start, size, REF_SMALL, "model_weights.ckpt").records.values())


# ----------------------------------------------------------------------------------------------- CRC path
def test_nemo_written_archive_verifies_with_crcs() -> None:
    with nemo_archive.Archive(REF_SMALL) as archive:
        report = archive.verify()
    assert report.ok
    crc = [c for c in report.checks if c.name == "crc32 model_weights.ckpt"]
    assert len(crc) == 1
    assert crc[0].detail.startswith("10 records match")


def test_a_flipped_bit_in_any_weights_record_is_caught(tmp_path: Path) -> None:
    original = REF_SMALL.read_bytes()
    path = tmp_path / "flipped.nemo"
    positions = [at for start, size in _weights_records() for at in range(start, start + size, 3)]
    assert len(positions) > 300
    missed = []
    for n, at in enumerate(positions):
        path.write_bytes(_flip(original, at, n % 8))
        if not _detected(path):
            missed.append(at)
    assert missed == []
    path.write_bytes(_flip(original, positions[0]))
    assert main(["verify", str(path)]) == 1


def test_a_flipped_bit_in_a_tar_header_is_caught(tmp_path: Path) -> None:
    original = REF_SMALL.read_bytes()
    headers = [
        at
        for at in range(0, len(original), 512)
        if original[at] and nemo_archive._container._is_tar_header(original[at : at + 512])
    ]
    assert len(headers) >= 4
    path = tmp_path / "flipped.nemo"
    missed = []
    for at in headers:
        for offset in [
            *range(0, 148, 5),
            *range(156, 512, 5),
        ]:  # the checksum's own padding is ignored by tar
            path.write_bytes(_flip(original, at + offset, offset % 7))
            if not _detected(path):
                missed.append(at + offset)
    assert missed == []


def test_records_written_without_crc_are_skipped() -> None:
    data = os.urandom(1000)
    records = {"a": (0, 500), "b": (500, 500)}
    problems, checked = _integrity.zip_crc_problems(data, records, {"a": 0, "b": zlib.crc32(data[500:])})
    assert (problems, checked) == ([], 1)
    problems, _ = _integrity.zip_crc_problems(data, records, {"a": 1, "b": zlib.crc32(data[500:])})
    assert len(problems) == 1
    assert "'a'" in problems[0]
    with pytest.raises(errors.IntegrityError, match="damaged"):
        _integrity.check_zip_crcs(data, records, {"a": 1}, "f.nemo", "model_weights.ckpt")


def test_crc_of_large_ranges_is_split_and_combined(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_integrity, "PIECE", 4096)
    monkeypatch.setattr(_integrity, "_piece_operator", [])
    data = os.urandom(50_000)
    ranges = [(0, 0), (1, 4096), (3, 4096 * 3), (7, 4096 * 5 + 11), (100, 49_900)]
    seen: list[int] = []
    got = _integrity.crc32_ranges(data, ranges, seen.append)
    assert got == [zlib.crc32(data[a : a + n]) for a, n in ranges]
    assert sum(seen) == sum(n for _, n in ranges)
    for n in (0, 1, 17, 4096, 100_000):
        a, b = os.urandom(33), os.urandom(n)
        assert _integrity.crc32_combine(zlib.crc32(a), zlib.crc32(b), n) == zlib.crc32(a + b)


def test_with_a_manifest_the_sha256_is_checked(tmp_path: Path) -> None:
    from archive_builders import torch_zip

    weights = tmp_path / "w.ckpt"
    weights.write_bytes(torch_zip(b"\x80\x02}q\x00.", {"0": os.urandom(256)}))
    with nemo_archive.ArchiveWriter(tmp_path / "m.nemo") as writer:
        writer.set_config("target: tests.Model\n")
        writer.set_weights_file(weights)
    path = tmp_path / "m.nemo"
    with nemo_archive.Archive(path) as archive:
        start = archive.member("model_weights.ckpt").offset
        assert archive.verify().ok
    path.write_bytes(_flip(path.read_bytes(), start + 200))
    with nemo_archive.Archive(path) as archive:
        report = archive.verify()
    assert [c.name for c in report.checks if not c.ok] == ["hash model_weights.ckpt"]


# ----------------------------------------------------------------------------------------------- gzip trailer
def _gzip_ref(tmp_path: Path) -> tuple[Path, bytes]:
    data = gzip.compress(REF_SMALL.read_bytes(), 6)
    path = tmp_path / "old.nemo"
    path.write_bytes(data)
    return path, data


def test_gzip_trailer_crc_and_length_are_checked(tmp_path: Path) -> None:
    path, data = _gzip_ref(tmp_path)
    with nemo_archive.Archive(path) as archive:
        report = archive.verify()
    assert report.ok
    assert any(c.name == "gzip trailer" for c in report.checks)
    for at in (len(data) - 8, len(data) - 5, len(data) - 4, len(data) - 1):  # CRC-32, then ISIZE
        path.write_bytes(_flip(data, at))
        with pytest.raises(errors.CorruptArchiveError, match="gzip"):
            nemo_archive.Archive(path)
        assert main(["verify", str(path)]) == 4


def test_a_flipped_bit_in_the_compressed_stream_is_caught(tmp_path: Path) -> None:
    path, data = _gzip_ref(tmp_path)
    missed = []
    original = REF_SMALL.read_bytes()
    for at in range(10, len(data) - 8, 7):
        flipped = _flip(data, at, at % 8)
        path.write_bytes(flipped)
        if not _detected(path):
            try:  # deflate has spare bits: a flip there decodes to the very same bytes, no damage at all
                same = zlib.decompress(flipped[10:-8], -15) == original
            except zlib.error:
                same = False
            if not same:
                missed.append(at)
    assert missed == []


# ----------------------------------------------------------------------------------------------- after the end
def _tar(members: list[tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            add_bytes(tar, name, data)
    return raw.getvalue()


GOOD = [("./model_config.yaml", CONFIG_YAML)]
EVIL = [("./model_config.yaml", b"target: evil.Model\n")]


@pytest.mark.parametrize("compress", [False, True])
def test_a_member_hidden_after_the_end_is_refused(tmp_path: Path, compress: bool) -> None:
    data = _tar(GOOD) + _tar(EVIL)  # what `cat a.tar b.tar` gives; `tar --ignore-zeros` sees both configs
    path = tmp_path / "hidden.nemo"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(errors.UnsafeMemberError, match=r"model_config\.yaml") as info:
        nemo_archive.Archive(path)
    assert "end-of-archive" in str(info.value)
    assert main(["verify", str(path)]) == 5


def test_a_member_after_a_lone_zero_block_is_refused(tmp_path: Path) -> None:
    good = _tar(GOOD)
    path = tmp_path / "lone.nemo"
    path.write_bytes(good[:1024] + bytes(512) + _tar(EVIL))
    with pytest.raises(errors.UnsafeMemberError, match="end-of-archive"):
        nemo_archive.Archive(path)


def test_a_damaged_header_before_more_members_is_corrupt(tmp_path: Path) -> None:
    data = bytearray(_tar([*GOOD, ("./a.txt", b"a" * 600), ("./b.txt", b"b")]))
    data[1024 + 10] ^= 1  # the header of a.txt
    path = tmp_path / "damaged.nemo"
    path.write_bytes(bytes(data))
    with pytest.raises(errors.CorruptArchiveError, match="damaged"):
        nemo_archive.Archive(path)


def test_other_bytes_after_the_end_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "junk.nemo"
    path.write_bytes(_tar(GOOD) + b"junk that is no tar header" * 30)
    with nemo_archive.Archive(path) as archive:
        report = archive.verify()
    failed = {c.name: c.detail for c in report.checks if not c.ok}
    assert "end of archive" in failed
    assert "non-zero bytes" in failed["end of archive"]
    assert main(["verify", str(path)]) == 1


def test_zero_padding_after_the_end_is_fine(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "ok.nemo", GOOD)
    path.write_bytes(path.read_bytes() + bytes(4 * 10240))
    with nemo_archive.Archive(path) as archive:
        assert all(c.ok for c in archive.verify().checks if c.name != "weights")
