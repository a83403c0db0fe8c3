"""Atomic file and folder writes: a crash leaves the old content or nothing, never half a file."""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` as strict UTF-8 to ``path`` through the project's one atomic write (``nemo_archive``).

    Raises:
        UnicodeEncodeError: ``text`` holds characters UTF-8 cannot encode (nothing is written).
    """
    from nemo_archive import write_text_atomic as write  # noqa: PLC0415 - keeps `import hf_io` light

    write(path, text)


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
