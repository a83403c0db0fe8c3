"""The contract every atomic file writer of the workspace must keep, as one reusable check.

``check_atomic_writer(write, directory)`` drives ``write(path, data)`` and fails (``AssertionError``) unless:

- the bytes go to a temp file in the target's own directory, which is fsynced, then renamed over the target,
  and the directory is fsynced after the rename;
- a new file gets the mode ``open()`` gives under the process umask; a replaced file keeps its mode;
- the process umask is never changed (not even briefly);
- when anything fails (the fsync, the rename) the error reaches the caller, the previous file is intact and no
  temp file is left behind;
- with ``text=True`` (``write(path, str)``): text is written as strict UTF-8, byte for byte, and text UTF-8
  cannot encode raises instead of being dropped.

The check patches ``os`` functions for the duration of each step (``os.fsync``, ``os.replace``/``os.rename``,
``os.umask``), so the writer must call them through the ``os`` module, as the standard library does.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

__all__ = ["check_atomic_writer", "umask_mode"]

Writer = Callable[[Path, Any], object]


def umask_mode(directory: Path) -> int:
    """The permission bits ``open(path, "w")`` gives a new file in ``directory`` now (umask, default ACLs)."""
    probe = directory / ".umask-probe"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        return stat.S_IMODE(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
        os.unlink(probe)


def check_atomic_writer(write: Writer, directory: Path, *, text: bool = False) -> None:
    """Assert that ``write(path, data)`` keeps the atomic-write contract (module docstring), in ``directory``.

    Args:
        write: Writes ``data`` (``bytes``, or ``str`` with ``text=True``) to ``path``.
        directory: An empty scratch directory (pytest's ``tmp_path``).
        text: ``write`` takes text.

    Raises:
        AssertionError: The first broken rule, saying which.
    """
    directory = Path(directory)
    payload: Any = "héllo wörld € 😀\r\nline 2\n" if text else b"\x00\x01 binary \xff" * 100
    expected = payload.encode("utf-8") if text else payload
    new_mode = umask_mode(directory)
    _check_protocol(write, directory / "new.bin", payload, expected)
    got = stat.S_IMODE(os.stat(directory / "new.bin").st_mode)
    assert got == new_mode, f"new file has mode {got:o}, expected {new_mode:o} (0o666 minus the umask)"

    kept = directory / "kept.bin"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o600)
    _check_protocol(write, kept, payload, expected)
    got = stat.S_IMODE(os.stat(kept).st_mode)
    assert got == 0o600, f"replaced file's mode became {got:o}; a 0600 file must stay 0600"

    for name in ("fsync", "replace"):
        _check_failure(write, directory / f"fail-{name}.bin", payload, name)
    if text:
        _check_unencodable(write, directory / "surrogate.txt")
    _assert_clean(directory, {"new.bin", "kept.bin", "fail-fsync.bin", "fail-replace.bin", "surrogate.txt"})


def _check_protocol(write: Writer, target: Path, payload: Any, expected: bytes) -> None:
    events: list[tuple[str, Any]] = []
    real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename

    def fsync(fd: int) -> None:
        mode = os.fstat(fd).st_mode
        events.append(("fsync-dir" if stat.S_ISDIR(mode) else "fsync-file", os.fstat(fd).st_ino))
        real_fsync(fd)

    def rename(real: Callable[..., None]) -> Callable[..., None]:
        def inner(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            events.append(("rename", (Path(os.fsdecode(src)), Path(os.fsdecode(dst)), os.stat(src).st_ino)))
            real(src, dst, *args, **kwargs)

        return inner

    with (
        mock.patch("os.fsync", fsync),
        mock.patch("os.replace", rename(real_replace)),
        mock.patch("os.rename", rename(real_rename)),
        _umask_forbidden(),
    ):
        write(target, payload)
    assert target.read_bytes() == expected, f"{target.name}: content differs from what was written"
    renames = [e[1] for e in events if e[0] == "rename" and Path(e[1][1]).name == target.name]
    assert renames, f"{target.name} was not written through a rename (os.replace/os.rename) of a temp file"
    src, _dst, ino = renames[-1]
    assert src.parent.resolve() == target.parent.resolve(), f"temp file {src} is not in {target.parent}"
    kinds = [e[0] for e in events]
    at = events.index(("rename", renames[-1]))
    assert ("fsync-file", ino) in events[:at], (
        f"{target.name}: the temp file was not fsynced before the rename"
    )
    assert "fsync-dir" in kinds[at:], f"{target.name}: the directory was not fsynced after the rename"


def _check_failure(write: Writer, target: Path, payload: Any, which: str) -> None:
    target.write_bytes(b"previous")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(5, f"injected {which} failure")

    patches = [mock.patch(f"os.{which}", broken)]
    if which == "replace":
        patches.append(mock.patch("os.rename", broken))
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        try:
            write(target, payload)
        except OSError:
            pass
        else:
            raise AssertionError(f"an os.{which} failure was swallowed; the caller must see it")
    assert target.read_bytes() == b"previous", f"os.{which} failed and the previous file was changed"
    _assert_clean(target.parent, None, f"after an os.{which} failure")


def _check_unencodable(write: Writer, target: Path) -> None:
    target.write_bytes(b"previous")
    try:
        write(target, "lone surrogate \udcff")
    except (UnicodeError, ValueError):
        pass
    else:
        raise AssertionError("text UTF-8 cannot encode was written (characters dropped or replaced)")
    assert target.read_bytes() == b"previous", "an unencodable text changed the previous file"


def _assert_clean(directory: Path, allowed: set[str] | None, when: str = "") -> None:
    hidden = sorted(p.name for p in directory.iterdir() if p.name.startswith("."))
    assert not hidden, f"temp files left behind {when}: {hidden}".replace("  ", " ")
    if allowed is not None:
        extra = sorted(p.name for p in directory.iterdir() if p.name not in allowed)
        assert not extra, f"unexpected files in the target directory: {extra}"


@contextlib.contextmanager
def _umask_forbidden() -> Iterator[None]:
    def umask(mask: int) -> int:
        raise AssertionError(
            "os.umask was called: changing the process umask, even briefly, changes the mode of files other "
            "threads create meanwhile"
        )

    with mock.patch("os.umask", umask):
        yield
