"""Property tests: random bytes and mutations of valid archives only ever raise nemo-archive's errors."""

from __future__ import annotations

import contextlib
import gzip
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nemo_archive
from archive_builders import REF_SMALL
from nemo_archive import ArchiveError

torch = pytest.importorskip("torch")

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,  # nothing written outside tmp_path
    suppress_health_check=[HealthCheck.too_slow],
)


def _exercise(path: Path, dest: Path) -> None:
    """Everything a user can do with an untrusted file; only ArchiveError may escape."""
    try:
        with nemo_archive.Archive(path) as archive:
            for action in (
                lambda: archive.config,
                lambda: archive.manifest,
                archive.artifact_refs,
                archive.tensor_info,
                archive.verify,
                archive.load_state_dict,
                lambda: archive.load_state_dict(mmap=False),
                lambda: archive.extract(dest, overwrite=True),
            ):
                with contextlib.suppress(ArchiveError):
                    action()
    except ArchiveError:
        pass
    # Whatever happened, extraction stayed inside the destination.
    if dest.exists():
        for p in dest.rglob("*"):
            assert p.resolve().is_relative_to(dest.resolve())


def _valid_archives(tmp: Path) -> dict[str, bytes]:
    written = nemo_archive.save(
        tmp / "written.nemo",
        {"target": "pkg.Model", "vocab": "x"},
        {"w": torch.arange(12, dtype=torch.float32).reshape(3, 4), "b": torch.ones(3, dtype=torch.bfloat16)},
        provenance={"step": 1},
        durable=False,
    )
    safetensors = nemo_archive.save(
        tmp / "st.nemo", {"a": 1}, {"w": torch.ones(4)}, weights_format="safetensors", durable=False
    )
    ref = REF_SMALL.read_bytes()
    return {
        "ref": ref,
        "ref.gz": gzip.compress(ref),
        "written": written.read_bytes(),
        "safetensors": safetensors.read_bytes(),
    }


def _interesting_offsets(data: bytes) -> list[int]:
    """Offsets inside tar headers and at the start of each member's data, where mutations matter most."""
    import io

    offsets: list[int] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for info in tar:
                offsets.extend(range(info.offset, info.offset_data))
                offsets.extend(
                    range(info.offset_data, min(info.offset_data + 700, info.offset_data + info.size))
                )
    except tarfile.TarError:
        pass
    return offsets or list(range(min(len(data), 2048)))


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, list[int]]]:
    archives = _valid_archives(tmp_path_factory.mktemp("valid"))
    return {name: (data, _interesting_offsets(data)) for name, data in archives.items()}


@SETTINGS
@given(data=st.binary(min_size=0, max_size=4096))
def test_random_bytes_raise_only_archive_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    tmp = tmp_path_factory.mktemp("random")
    path = tmp / "random.nemo"
    path.write_bytes(data)
    _exercise(path, tmp / "dest")


@SETTINGS
@given(data=st.binary(min_size=10, max_size=4096))
def test_random_bytes_behind_a_tar_header_raise_only_archive_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    tmp = tmp_path_factory.mktemp("random_tar")
    path = tmp / "random.nemo"
    # a valid first header (the config) followed by garbage
    path.write_bytes(REF_SMALL.read_bytes()[3072:3584] + data)
    _exercise(path, tmp / "dest")


@settings(SETTINGS, max_examples=150)
@given(
    which=st.sampled_from(["ref", "ref.gz", "written", "safetensors"]),
    picks=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=6),
    truncate=st.one_of(st.none(), st.integers(0, 10**9)),
)
def test_mutated_archives_raise_only_archive_errors(
    tmp_path_factory: pytest.TempPathFactory,
    valid: dict[str, tuple[bytes, list[int]]],
    which: str,
    picks: list[tuple[int, int]],
    truncate: int | None,
) -> None:
    original, interesting = valid[which]
    data = bytearray(original)
    for where, value in picks:
        # Half of the picks land in headers and member starts, the rest anywhere.
        at = interesting[where % len(interesting)] if where % 2 else where % len(data)
        data[at] = value
    if truncate is not None:
        data = data[: truncate % (len(data) + 1)]
    tmp = tmp_path_factory.mktemp("mutated")
    path = tmp / "mutated.nemo"
    path.write_bytes(bytes(data))
    _exercise(path, tmp / "dest")
