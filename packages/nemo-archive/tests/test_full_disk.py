"""A full disk or a file-size limit: one clear error, the previous file intact, no temp file left.

The limit is ``RLIMIT_FSIZE`` in a child process (SIGXFSZ ignored, so ``write`` fails with ``EFBIG``): no root
and no tmpfs needed. ENOSPC takes the same path (both are in ``DISK_FULL_ERRNOS``) and is tested by injection.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nemo_archive import DiskFullError, atomic_write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")

CHILD = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    import torch
    from nemo_archive import DiskFullError, save, write_bytes_atomic, write_text_atomic

    folder = sys.argv[1]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, resource.RLIM_INFINITY))
    cases = {
        "nemo": lambda p: save(p, {"a": 2}, {"w": torch.zeros(500_000)}),
        "bytes": lambda p: write_bytes_atomic(p, b"x" * 3_000_000),
        "text": lambda p: write_text_atomic(p, "é" * 1_500_000),
    }
    out = {}
    for name, write in cases.items():
        try:
            write(os.path.join(folder, name))
            out[name] = "no error"
        except DiskFullError as exc:
            out[name] = [str(exc), exc.errno, exc.written, exc.expected]
        except BaseException as exc:
            out[name] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(out))
    """
)


@pytest.mark.slow
def test_a_size_limit_gives_one_clear_error_and_keeps_the_previous_files(tmp_path: Path) -> None:
    for name in ("nemo", "bytes", "text"):
        (tmp_path / name).write_bytes(b"previous " + name.encode())
        os.chmod(tmp_path / name, 0o640)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for name, result in results.items():
        assert isinstance(result, list), f"{name}: {result}"
        message, code, written, expected = result
        assert code == errno.EFBIG
        assert message.startswith(f"disk full while writing {tmp_path / name} (")
        assert "the previous file is intact" in message
        assert "unexpected pos" not in message
        assert 0 < written <= 1_000_000 < expected, message
        assert f"({written} of {expected} bytes" in message
        assert (tmp_path / name).read_bytes() == b"previous " + name.encode()
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bytes", "nemo", "text"]


def test_enospc_is_the_same_error_and_says_when_there_was_no_previous_file(tmp_path: Path) -> None:
    with pytest.raises(DiskFullError) as caught, atomic_write(tmp_path / "new.bin", expected_size=3):
        raise OSError(errno.ENOSPC, "No space left on device")  # what the first write() would raise
    assert caught.value.errno == errno.ENOSPC
    assert isinstance(caught.value, OSError)
    assert "disk full while writing" in str(caught.value)
    assert "(0 of 3 bytes" in str(caught.value)
    assert "no file was left there" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
