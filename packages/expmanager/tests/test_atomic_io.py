"""expmanager's text files go through the project's one atomic write and keep its contract."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from expmanager._io import atomic_write_text, partial_path, publish
from nemo_testing.atomic_contract import check_atomic_writer


def test_atomic_write_text_keeps_the_contract(tmp_path: Path) -> None:
    check_atomic_writer(atomic_write_text, tmp_path, text=True)


def test_a_published_checkpoint_keeps_the_mode_of_the_one_it_replaces(tmp_path: Path) -> None:
    final = tmp_path / "m--last.ckpt"
    final.write_bytes(b"old")
    os.chmod(final, 0o600)
    tmp = partial_path(final)
    tmp.write_bytes(b"new")
    publish(tmp, final)
    assert final.read_bytes() == b"new"
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
