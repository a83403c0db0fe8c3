"""The ``.nemo`` format, torch-free: read configs, artifacts and tensor metadata; load weights in place.

Quick use::

    from nemo_archive import Archive, save

    with Archive("model.nemo") as archive:
        cfg = archive.config  # plain dicts, no torch
        sd = archive.load_state_dict("cpu")  # memory-mapped from the archive (needs torch)

    save("copy.nemo", cfg, sd, provenance={"step": 1000})

Submodules load on first use, so ``import nemo_archive`` costs almost nothing and never imports torch.
"""

from __future__ import annotations

import importlib

# `typing` costs more to import than this whole package; mypy treats this name as True.
TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "Archive": "archive",
    "VerifyReport": "archive",
    "CONFIG": "archive",
    "MANIFEST": "archive",
    "WEIGHTS_CKPT": "archive",
    "WEIGHTS_SAFETENSORS": "archive",
    "NEMO_PREFIX": "archive",
    "MemberInfo": "_container",
    "ArchiveWriter": "writer",
    "save": "writer",
    "pack": "writer",
    "unpack": "writer",
    "Manifest": "manifest",
    "ManifestEntry": "manifest",
    "FORMAT_VERSION": "manifest",
    "TensorInfo": "tensors",
    "parameter_count": "tensors",
    "ArchiveError": "errors",
    "NotAnArchiveError": "errors",
    "CorruptArchiveError": "errors",
    "UnsafeMemberError": "errors",
    "UnsafeContentError": "errors",
    "SizeLimitError": "errors",
    "MissingMemberError": "errors",
    "IntegrityError": "errors",
    "DestinationError": "errors",
    "MissingDependencyError": "errors",
    "ConfigLimits": "_yaml",
    "DiskFullError": "errors",
    "atomic_write": "_atomic",
    "write_bytes_atomic": "_atomic",
    "write_text_atomic": "_atomic",
    "remove_stale_temp_files": "_atomic",
    "fsync_dir": "_atomic",
    "temp_name": "_atomic",
    "is_temp_name": "_atomic",
}

__all__ = [
    "__version__",
    "Archive",
    "VerifyReport",
    "CONFIG",
    "MANIFEST",
    "WEIGHTS_CKPT",
    "WEIGHTS_SAFETENSORS",
    "NEMO_PREFIX",
    "MemberInfo",
    "ArchiveWriter",
    "save",
    "pack",
    "unpack",
    "Manifest",
    "ManifestEntry",
    "FORMAT_VERSION",
    "TensorInfo",
    "parameter_count",
    "ArchiveError",
    "NotAnArchiveError",
    "CorruptArchiveError",
    "UnsafeMemberError",
    "UnsafeContentError",
    "SizeLimitError",
    "MissingMemberError",
    "IntegrityError",
    "DestinationError",
    "MissingDependencyError",
    "ConfigLimits",
    "DiskFullError",
    "atomic_write",
    "write_bytes_atomic",
    "write_text_atomic",
    "remove_stale_temp_files",
    "fsync_dir",
    "temp_name",
    "is_temp_name",
]

if TYPE_CHECKING:
    from ._atomic import (
        atomic_write,
        fsync_dir,
        is_temp_name,
        remove_stale_temp_files,
        temp_name,
        write_bytes_atomic,
        write_text_atomic,
    )
    from ._container import MemberInfo
    from ._yaml import ConfigLimits
    from .archive import (
        CONFIG,
        MANIFEST,
        NEMO_PREFIX,
        WEIGHTS_CKPT,
        WEIGHTS_SAFETENSORS,
        Archive,
        VerifyReport,
    )
    from .errors import (
        ArchiveError,
        CorruptArchiveError,
        DestinationError,
        DiskFullError,
        IntegrityError,
        MissingDependencyError,
        MissingMemberError,
        NotAnArchiveError,
        SizeLimitError,
        UnsafeContentError,
        UnsafeMemberError,
    )
    from .manifest import FORMAT_VERSION, Manifest, ManifestEntry
    from .tensors import TensorInfo, parameter_count
    from .writer import ArchiveWriter, pack, save, unpack


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nemo_archive' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
