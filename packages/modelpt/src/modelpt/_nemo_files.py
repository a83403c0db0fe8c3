# ruff: noqa: PLC0415 - torch and nemo_archive are imported only by the calls that need them.
"""File-level helpers of ``SaveRestoreConnector``: argument checks, devices, tar members, generic folders.

The connector's protected NeMo hooks (``_unpack_nemo_file``, ``_filtered_tar_info``, ``_safe_extract``,
``_make_nemo_file_from_folder``, ...) are thin wrappers over these functions, which read every archive through
nemo-archive's validating reader first: an archive with an absolute, ``..``, link, device or duplicate member
is refused as a whole before anything is extracted.
"""

from __future__ import annotations

import logging
import os
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from modelpt.errors import ArgumentTypeError, ArgumentValueError, DeviceError

logger = logging.getLogger(__name__)

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def check_path_argument(name: str, value: Any, *, action: str) -> str:
    """Return ``value`` as a ``str`` path, or raise a clear error naming the argument.

    Args:
        name: The argument's name (``restore_path``, ``save_path``).
        value: What the caller passed.
        action: ``restore`` or ``save`` (the URL message differs).

    Raises:
        ArgumentTypeError: ``value`` is None or not a str / ``os.PathLike``.
        ArgumentValueError: ``value`` is empty or a URL.
    """
    if value is None or not isinstance(value, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"{name} must be a path (str or os.PathLike) to a .nemo file or folder; received "
            f"{type(value).__name__} {value!r}. Pass the path of the model to {action}."
        )
    text = os.fspath(value)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        raise ArgumentValueError(f"{name} is an empty string; pass the path of the model to {action}.")
    if _URL.match(text):
        if action == "restore":
            raise ArgumentValueError(
                f"{name} {text!r} is a URL, but restore_from reads local files only. Load models from the "
                "Hugging Face Hub (or another server) with from_pretrained('<repo id or model name>'), or "
                "download the .nemo first and pass its local path."
            )
        raise ArgumentValueError(
            f"{name} {text!r} is a URL, but save_to writes local files only. Save to a local path, then "
            "upload it (push_to_hf_hub for the Hugging Face Hub)."
        )
    return text


def recover_interrupted_save(path: str) -> str:
    """Bring back the folder ``path`` when an unpacked save was killed between its two renames; return it.

    Only acts when the fallback protocol's backup (``.<name>.swap-old``) is beside ``path`` (see
    ``nemo_archive._dirswap``); a failure to rename it back is logged and the path returned unchanged.
    """
    from nemo_archive import _dirswap

    if os.path.lexists(_dirswap.backup_path(path)):
        try:
            _dirswap.recover(path)
        except OSError as exc:
            logger.warning("could not recover the interrupted save of %s: %s", path, exc)
    return path


def resolve_device(map_location: Any) -> Any:
    """Return the device to restore onto (default: CUDA when available, else CPU); check that it exists.

    Raises:
        DeviceError: The device is malformed, or names CUDA (or an index) this machine does not have.
    """
    import torch

    if map_location is None:
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    if isinstance(map_location, (str, torch.device)):
        try:
            device = torch.device(map_location)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise DeviceError(
                f"map_location {map_location!r} is not a device ({exc}); pass e.g. 'cpu' or 'cuda:0'."
            ) from exc
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise DeviceError(
                    f"map_location {map_location!r} needs CUDA, which is not available on this machine "
                    "(no GPU, no driver, or a CPU-only torch); the checkpoint was not read. Pass "
                    "map_location='cpu'."
                )
            count = torch.cuda.device_count()
            if device.index is not None and device.index >= count:
                raise DeviceError(
                    f"map_location {map_location!r} names CUDA device {device.index}, but this machine has "
                    f"{count} (cuda:0 to cuda:{count - 1}); the checkpoint was not read."
                )
    return map_location


def device_failure(exc: BaseException, map_location: Any) -> DeviceError | None:
    """A :class:`DeviceError` when ``exc`` (or an exception it wraps) is a device failure, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        text = str(current)
        if (
            name in ("OutOfMemoryError", "AcceleratorError", "CudaError")
            or "CUDA" in text
            or "out of memory" in text
            or "not compiled with" in text.lower()
            or "NVIDIA driver" in text
        ):
            return DeviceError(
                f"moving the restored model to {map_location!r} failed on the device ({name}: "
                f"{text.splitlines()[0] if text else ''}); the checkpoint itself is not known to be faulty. "
                "Free device memory or pass another map_location (e.g. 'cpu')."
            )
        current = current.__cause__ or current.__context__
    return None


def member_name(member: Any) -> str | None:
    """The archive-relative name (no ``./``) of a ``TarInfo`` or string; None for directories and the root."""
    if isinstance(member, tarfile.TarInfo):
        if member.isdir():
            return None
        raw = member.name
    else:
        raw = os.fspath(member)
    while raw.startswith("./"):
        raw = raw[2:]
    raw = raw.rstrip("/")
    return None if raw in ("", ".") else raw


def is_safe_member(member: Any, extract_to: str) -> bool:
    """Whether extracting ``member`` (a ``TarInfo`` or a name) under ``extract_to`` stays inside it.

    Refused: absolute names, ``..`` components, backslashes, NUL bytes, links, devices and FIFOs, and names
    that resolve outside ``extract_to`` (through symlinks already there).
    """
    if isinstance(member, tarfile.TarInfo):
        if not (member.isreg() or member.isdir()) or member.issparse():
            return False
        name = member.name
    else:
        name = os.fspath(member)
    if name.startswith("/") or "\\" in name or "\x00" in name or (len(name) > 1 and name[1] == ":"):
        return False
    if any(part == ".." for part in name.split("/")):
        return False
    root = os.path.realpath(extract_to)
    target = os.path.realpath(os.path.join(root, name))
    return target == root or target.startswith(root + os.sep)


def validate_archive(path: str) -> None:
    """Open ``path`` with nemo-archive's validating reader (every header checked), then close it.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        nemo_archive.ArchiveError: Not an archive, corrupt, or with unsafe members (refused as a whole).
    """
    from nemo_archive import Archive

    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} does not exist; pass the path of a .nemo file")
    Archive(path).close()


@contextmanager
def open_tar(path: str) -> Iterator[tarfile.TarFile]:
    """Yield ``path`` as a ``tarfile.TarFile`` (plain or gzip) after validating it.

    Its extraction uses tarfile's ``data`` filter, so even a caller's own ``extractall`` stays inside.
    """
    validate_archive(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is an unpacked folder, not a .nemo file; read its files directly")
    with tarfile.open(path, "r:*") as tar:
        tar.extraction_filter = tarfile.data_filter
        yield tar


def filtered_tar_info(path: str, filter_fn: Callable[[str], bool] | None) -> list[tarfile.TarInfo]:
    """The members of the validated archive ``path`` whose name passes ``filter_fn`` (all when None)."""
    with open_tar(path) as tar:
        members = tar.getmembers()
    return [m for m in members if filter_fn is None or filter_fn(m.name)]


def filtered_walk(path: str, filter_fn: Callable[[str], bool] | None) -> list[str]:
    """Every file under the folder ``path`` (as ``path``-joined relative paths) that passes ``filter_fn``.

    Raises:
        NotADirectoryError: ``path`` is not a folder.
    """
    if not os.path.isdir(path):
        raise NotADirectoryError(f"expected a folder to walk, received {path!r}")
    found = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            if filter_fn is None or filter_fn(full):
                found.append(full)
    return found


def unpack(path: str, out_folder: str, members: Iterable[Any] | None) -> str:
    """Extract ``members`` (all when None) of the validated archive ``path`` into ``out_folder``.

    Raises:
        nemo_archive.ArchiveError: The archive is malformed or has an unsafe member (nothing is written).
        nemo_archive.MissingMemberError: A requested member does not exist.
    """
    from nemo_archive import Archive

    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} does not exist; pass the path of a .nemo file")
    with Archive(path) as archive:
        if members is None:
            archive.extract(out_folder, overwrite=True)
            return out_folder
        names = [n for n in (member_name(m) for m in members) if n is not None and n in archive.names]
        os.makedirs(out_folder, exist_ok=True)
        if names:
            archive.extract(out_folder, names, overwrite=True)
    return out_folder


def safe_extract(tar: tarfile.TarFile, out_folder: str, members: Iterable[Any] | None) -> None:
    """Extract from an open ``TarFile``: through :func:`unpack` when it has a path, else member by member.

    Raises:
        nemo_archive.UnsafeMemberError: A member would escape ``out_folder`` or is a link or device.
    """
    from nemo_archive import UnsafeMemberError

    if isinstance(tar.name, str) and os.path.isfile(tar.name):
        unpack(tar.name, out_folder, members)
        return
    chosen = list(members) if members is not None else tar.getmembers()
    infos = [m if isinstance(m, tarfile.TarInfo) else tar.getmember(m) for m in chosen]
    for info in infos:
        if not is_safe_member(info, out_folder):
            raise UnsafeMemberError(
                "member is absolute, has '..', is a link or device, or resolves outside the destination; "
                "refusing the archive.",
                path=tar.name,
                member=info.name,
            )
    tar.extractall(out_folder, members=infos, filter="data")


def pack_folder(filename: str, source_dir: str) -> None:
    """Write the folder ``source_dir`` as an uncompressed tar at ``filename``, atomically.

    A model folder (one holding ``model_config.yaml``) goes through nemo-archive's writer (config first, a
    manifest, weights last); any other folder is stored as it is, members named ``./<relative path>``. Links,
    devices and FIFOs in the folder are refused.

    Raises:
        NotADirectoryError: ``source_dir`` is not a folder.
        nemo_archive.UnsafeMemberError: The folder holds a link, device or FIFO.
    """
    from nemo_archive import pack

    if not os.path.isdir(source_dir):
        raise NotADirectoryError(f"expected a folder to pack, received {source_dir!r}")
    os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
    if os.path.isfile(os.path.join(source_dir, "model_config.yaml")):
        pack(source_dir, filename)
        return
    _pack_plain(filename, source_dir)


def _pack_plain(filename: str, source_dir: str) -> None:
    import stat
    from pathlib import Path

    from nemo_archive import UnsafeMemberError
    from nemo_archive._fs import atomic_file

    entries: list[tuple[str, str]] = []
    for root, dirs, files in os.walk(source_dir):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            full = os.path.join(root, name)
            mode = os.lstat(full).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise UnsafeMemberError(
                    "is a link, device or FIFO; only files and folders can be packed.",
                    path=source_dir,
                    member=os.path.relpath(full, source_dir),
                )
            entries.append((full, "./" + os.path.relpath(full, source_dir).replace(os.sep, "/")))
    with atomic_file(Path(filename)) as out, tarfile.open(fileobj=out, mode="w:") as tar:
        tar.add(source_dir, arcname=".", recursive=False)
        for full, arcname in sorted(entries, key=lambda e: e[1]):
            tar.add(full, arcname=arcname, recursive=False)
