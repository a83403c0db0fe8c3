"""Early writeback of durable saves: requests go out while writing, and a missing call changes nothing."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from nemo_archive import _fs
from nemo_archive._fs import Writeback

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")


@linux_only
def test_requests_go_out_every_step_and_stop_with_close(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    chunk = os.urandom(4096)
    with open(path, "wb") as f, Writeback(f.fileno(), step=3 * 4096) as writeback:
        for _ in range(30):
            f.write(chunk)
            f.flush()
            writeback.wrote(len(chunk))
        thread = writeback._thread
        assert thread is not None
        assert thread.is_alive()
        deadline = time.monotonic() + 10
        while not writeback.requests and time.monotonic() < deadline:  # close() may overtake a wake-up
            time.sleep(0.01)
    assert not thread.is_alive()
    assert 1 <= writeback.requests <= 10  # the thread may merge wake-ups, never add any
    assert path.read_bytes() == chunk * 30


def test_nothing_starts_below_one_step(tmp_path: Path) -> None:
    with open(tmp_path / "f.bin", "wb") as f, Writeback(f.fileno(), step=1 << 20) as writeback:
        writeback.wrote(1000)
        assert writeback._thread is None
    assert writeback.requests == 0


@linux_only
def test_a_file_the_kernel_refuses_turns_it_off(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()  # sync_file_range fails on a pipe (ESPIPE)
    try:
        with Writeback(write_end, step=1) as writeback:
            writeback.wrote(1)
            assert writeback._thread is not None
            writeback._thread.join(timeout=10)  # it returns on the failure, without being stopped
            assert not writeback._thread.is_alive()
            writeback.wrote(1)  # off: no new thread, no error
        assert writeback.requests == 0
        assert writeback._off
    finally:
        os.close(read_end)
        os.close(write_end)


def test_without_the_call_it_does_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    _fs._sync_file_range.cache_clear()
    try:
        assert _fs._sync_file_range() is None
        with open(tmp_path / "f.bin", "wb") as f, Writeback(f.fileno(), step=1) as writeback:
            writeback.wrote(10)
            assert writeback._thread is None
            assert writeback._off
    finally:
        _fs._sync_file_range.cache_clear()
