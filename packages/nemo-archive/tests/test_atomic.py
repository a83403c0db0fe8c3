"""The one atomic write of the project: its contract, modes, the umask, and stale temp files of killed writes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from unittest import mock

import pytest

import nemo_archive
from nemo_archive import (
    ArchiveWriter,
    atomic_write,
    is_temp_name,
    remove_stale_temp_files,
    temp_name,
    write_bytes_atomic,
    write_text_atomic,
)
from nemo_testing.atomic_contract import check_atomic_writer, umask_mode


def _through_context_bytes(path: Path, data: bytes) -> None:
    with atomic_write(path, "wb") as f:
        f.write(data)


def _through_context_text(path: Path, text: str) -> None:
    with atomic_write(path, "w") as f:
        f.write(text)


@pytest.mark.parametrize("writer", [write_bytes_atomic, _through_context_bytes])
def test_binary_writers_keep_the_contract(tmp_path: Path, writer) -> None:
    check_atomic_writer(writer, tmp_path)


@pytest.mark.parametrize("writer", [write_text_atomic, _through_context_text])
def test_text_writers_keep_the_contract(tmp_path: Path, writer) -> None:
    check_atomic_writer(writer, tmp_path, text=True)


def test_the_archive_writer_keeps_a_replaced_files_mode_and_never_touches_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "m.nemo"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    with mock.patch("os.umask", side_effect=AssertionError("umask changed")):
        writer = ArchiveWriter(target)
        writer.set_config({"a": 1})
        writer.commit()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    fresh = ArchiveWriter(tmp_path / "new.nemo")
    fresh.set_config({"a": 1})
    fresh.commit()
    assert stat.S_IMODE((tmp_path / "new.nemo").stat().st_mode) == umask_mode(tmp_path)


def test_an_error_inside_the_block_leaves_the_target_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old")

    def interrupted() -> None:
        with atomic_write(target, "w") as f:
            f.write("new")
            raise KeyError("boom")

    with pytest.raises(KeyError):
        interrupted()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_bad_mode_and_directory_targets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode"), atomic_write(tmp_path / "x", "ab"):
        pass
    with pytest.raises(nemo_archive.DestinationError):
        write_bytes_atomic(tmp_path, b"x")


def test_temp_names_are_hidden_carry_the_pid_and_are_recognised() -> None:
    name = temp_name("model.nemo")
    assert name.startswith(".model.nemo.")
    assert f".{os.getpid()}-" in name
    assert is_temp_name(name)
    assert not is_temp_name("model.nemo")
    assert not is_temp_name(".model.nemo.tmp")


# ---------------------------------------------------------------------- stale temp files
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_temp_of_a_dead_process_is_removed_by_the_next_write(tmp_path: Path) -> None:
    stale = tmp_path / temp_name("a.nemo", pid=_dead_pid())
    stale.write_bytes(b"x" * 100)
    other = tmp_path / ".unrelated.tmp"
    other.write_bytes(b"keep")
    write_text_atomic(tmp_path / "b.txt", "hi")
    assert not stale.exists()
    assert other.exists()


def test_a_temp_of_a_live_unlocked_writer_is_kept_but_a_reused_pid_is_not(tmp_path: Path) -> None:
    live = tmp_path / temp_name("a.nemo")  # our own pid, no lock: e.g. a writer between create and lock
    live.write_bytes(b"x")
    assert remove_stale_temp_files(tmp_path) == []
    os.utime(live, (time.time() - 10 * 86400, time.time() - 10 * 86400))  # written long before we started
    assert remove_stale_temp_files(tmp_path) == [live]


def test_a_temp_held_by_a_live_writer_is_never_removed(tmp_path: Path) -> None:
    with atomic_write(tmp_path / "a.bin") as f:
        f.write(b"partial")
        (temp,) = [p for p in tmp_path.iterdir() if is_temp_name(p.name)]
        os.utime(temp, (0, 0))  # even if it looks ancient
        assert remove_stale_temp_files(tmp_path) == []
    assert (tmp_path / "a.bin").read_bytes() == b"partial"


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from nemo_archive import atomic_write
    with atomic_write(sys.argv[1]) as f:
        f.write(b"x" * 1_000_000)
        f.flush()
        print("writing", flush=True)
        time.sleep(60)
    """
)


@pytest.mark.slow
def test_a_killed_writers_temp_is_kept_while_it_lives_and_removed_after(tmp_path: Path) -> None:
    target = tmp_path / "m.nemo"
    target.write_bytes(b"old")
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(target)], stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "writing\n"
            (temp,) = [p for p in tmp_path.iterdir() if is_temp_name(p.name)]
            assert remove_stale_temp_files(tmp_path) == []  # locked by the live writer
        finally:
            proc.kill()
            proc.wait()
    assert temp.exists()
    assert target.read_bytes() == b"old"
    write_bytes_atomic(tmp_path / "other.bin", b"new")  # a later save into the same directory
    assert not temp.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nemo", "other.bin"]
