"""Atomic file and folder writes: a crash leaves the old content or nothing, never half a file."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder, fsync, then rename."""
    import tempfile  # noqa: PLC0415 - these helpers run on push/pull only; keep `import hf_io` light

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8", errors="ignore"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def link_tree_atomic(files: dict[str, Path], dest: Path) -> Path:
    """Make folder ``dest`` holding ``files`` (relative path -> source), hard-linked where possible.

    The folder is built next to ``dest`` and renamed into place, so ``dest`` either does not exist or is
    complete. Hard links cost no space and are regular files (not symlinks), which archive readers accept.
    """
    import shutil  # noqa: PLC0415 - see write_text_atomic
    import uuid  # noqa: PLC0415

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex}.tmp"
    try:
        for rel, source in files.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            real = source.resolve()
            try:
                os.link(real, target)
            except OSError:
                shutil.copyfile(real, target)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest
