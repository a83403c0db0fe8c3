# ruff: noqa: PLC0415 - torch, omegaconf and nemo_archive are imported only by the calls that need them.
"""NeMo's protected extension surface of ``SaveRestoreConnector`` and the artifact registry types.

``ConnectorHooks`` holds the hooks NeMo's own subclasses (NLP's and ASR's connectors) override or call:
the folder-based save steps (``_update_subconfigs``, ``_handle_artifacts``, ``_update_artifact_paths``,
``_save_state_dict_to_disk``, ``_make_nemo_file_from_folder``) and the tar-level restore steps
(``_unpack_nemo_file``, ``_filtered_tar_info``, ``_filtered_recursive_walk``, ``_tar_open``, ``_safe_extract``,
``_is_safe_path``, ``_load_state_dict_from_disk``, ``_inject_model_parallel_rank_for_ckpt``). Each is
implemented for real over nemo-archive's validating reader and atomic writer (see ``_nemo_files``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelpt import _nemo_files
from modelpt.app_state import AppState
from modelpt.config_utils import config_for_save
from modelpt.errors import ArtifactError, NotSupportedError

if TYPE_CHECKING:
    from modelpt.modelpt import ModelPT

NEMO_PREFIX = "nemo:"


class ArtifactPathType(Enum):
    """Where a registered artifact lives: a user file, or a member of the ``.nemo`` it was restored from."""

    LOCAL_PATH = 0
    TAR_PATH = 1


@dataclass
class ArtifactItem:
    """A registered artifact.

    Attributes:
        path: The file on disk (a user file, or this model's extracted copy of an archive member).
        path_type: LOCAL_PATH or TAR_PATH.
        hashed_path: ``nemo:<32 hex>_<basename>``: the member name inside a ``.nemo`` (set once saved or
            restored).
    """

    path: str = ""
    path_type: ArtifactPathType = ArtifactPathType.LOCAL_PATH
    hashed_path: str | None = None


class _RestoreSource:
    """The archive a model is being restored from, while its constructor runs."""

    def __init__(self, archive: Any, path: str) -> None:
        self.archive = archive
        self.path = path

    def has(self, name: str) -> bool:
        return name in self.archive.names

    def extract(self, name: str, model: Any) -> str:
        folder = artifact_cache_dir(model)
        target = Path(folder) / name
        if not target.exists():
            self.archive.extract_artifact(name, folder)
        return str(target)


def artifact_cache_dir(model: Any) -> str:
    """The model's private folder of extracted artifacts (created on first use, removed with the model).

    It lives under ``$MODELPT_ARTIFACT_DIR`` when set, else the system temp folder.
    """
    folder = model.__dict__.get("_artifact_cache_dir")
    if folder is None:
        root = os.environ.get("MODELPT_ARTIFACT_DIR") or None
        if root:
            os.makedirs(root, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="modelpt-artifacts-", dir=root)
        model.__dict__["_artifact_cache_dir"] = folder
        weakref.finalize(model, shutil.rmtree, folder, True)
    return str(folder)


class ConnectorHooks:
    """The protected hooks of NeMo's ``SaveRestoreConnector`` (its base class; see the module docstring)."""

    _model_config_yaml: str
    _model_weights_ckpt: str

    def _artifacts_for_save(self, model: ModelPT) -> list[tuple[str, str, str | None]]:
        """``(config key, file to copy, member name or None)`` for every artifact of the model tree."""
        out: list[tuple[str, str, str | None]] = []
        for _, config_prefix, module in model.named_nemo_modules():
            for key, item in (module.artifacts or {}).items():
                full_key = f"{config_prefix}.{key}" if config_prefix else key
                if item.path_type == ArtifactPathType.LOCAL_PATH:
                    if not os.path.isfile(item.path):
                        raise FileNotFoundError(
                            f"artifact {full_key!r} points to {item.path}, which no longer exists; restore the "
                            "file or register the artifact again"
                        )
                    out.append((full_key, item.path, None))
                elif item.path_type == ArtifactPathType.TAR_PATH:
                    if not os.path.isfile(item.path):
                        raise ArtifactError(
                            f"the extracted copy {item.path} of artifact {full_key!r} is gone (was the model's "
                            "cache folder deleted?); restore the model again before saving"
                        )
                    name = (item.hashed_path or "")[len(NEMO_PREFIX) :] or None
                    out.append((full_key, item.path, name))
                else:
                    raise ValueError(f"artifact {full_key!r} has unknown path type {item.path_type!r}")
        return out

    # ------------------------------------------------------------------ save hooks (NeMo's protected API)
    @staticmethod
    def _update_subconfigs(model: ModelPT, path2yaml_file: str) -> None:
        """Write each NeMo submodule's current config at its config field of the YAML file (parents first)."""
        if not model.has_nemo_submodules():
            return
        from omegaconf import OmegaConf

        conf = OmegaConf.load(path2yaml_file)
        for _, config_field, submodule in model.named_nemo_modules():
            if submodule is model:
                continue
            OmegaConf.update(conf, config_field, config_for_save(submodule.cfg), merge=False)
        with open(path2yaml_file, "w", encoding="utf-8") as f:
            f.write(OmegaConf.to_yaml(OmegaConf.create(config_for_save(conf))))

    def _handle_artifacts(self, model: ModelPT, nemo_file_folder: str) -> None:
        """Copy every artifact of the model tree into ``nemo_file_folder`` under its member name.

        Local files get a fresh ``<32 hex>_<basename>`` name (recorded as the item's ``hashed_path``, as in
        NeMo); artifacts restored from an archive keep theirs. The config references are applied by
        :meth:`_update_artifact_paths`.
        """
        refs: dict[str, str] = {}
        items = {
            (f"{prefix}.{key}" if prefix else key): item
            for _, prefix, module in model.named_nemo_modules()
            for key, item in (module.artifacts or {}).items()
        }
        for key, source, name in self._artifacts_for_save(model):
            member = name or f"{uuid.uuid4().hex}_{os.path.basename(source)}"
            shutil.copyfile(source, os.path.join(nemo_file_folder, member))
            refs[key] = NEMO_PREFIX + member
            if items[key].path_type == ArtifactPathType.LOCAL_PATH:
                items[key].hashed_path = NEMO_PREFIX + member
        model.__dict__["_artifact_refs_for_save"] = refs

    def _update_artifact_paths(self, model: ModelPT, path2yaml_file: str) -> None:
        """Rewrite the artifact entries of the YAML file to their ``nemo:`` references."""
        from omegaconf import OmegaConf

        refs = dict(model.__dict__.pop("_artifact_refs_for_save", None) or {})
        for key, item in (getattr(model, "artifacts", None) or {}).items():
            refs.setdefault(key, item.hashed_path or item.path)
        if not refs:
            return
        conf = OmegaConf.load(path2yaml_file)
        OmegaConf.set_struct(conf, False)
        for key, ref in refs.items():
            OmegaConf.update(conf, key, ref, merge=False, force_add=True)
        with open(path2yaml_file, "w", encoding="utf-8") as f:
            f.write(OmegaConf.to_yaml(OmegaConf.create(config_for_save(conf))))

    @staticmethod
    def _save_state_dict_to_disk(state_dict: Any, filepath: str) -> None:
        """``torch.save`` the state dict to ``filepath`` atomically (temp file, fsync, rename)."""
        _atomic_torch_save(state_dict, filepath)

    @staticmethod
    def _make_nemo_file_from_folder(filename: str, source_dir: str) -> None:
        """Pack ``source_dir`` into the uncompressed tar ``filename``, atomically (see ``_nemo_files``).

        Raises:
            NotADirectoryError: ``source_dir`` is not a folder.
            nemo_archive.UnsafeMemberError: The folder holds a link, device or FIFO.
        """
        _nemo_files.pack_folder(filename, source_dir)

    @staticmethod
    def _make_nemo_file_from_folder_with_multistorageclient(filename: str, source_dir: str) -> None:
        """Not provided: multistorageclient (``msc://``) URLs are not supported.

        Raises:
            NotSupportedError: Always.
        """
        raise NotSupportedError(
            f"cannot write {filename!r}: multistorageclient URLs are not supported; save locally and upload"
        )

    # ------------------------------------------------------------------ restore hooks (NeMo's protected API)
    @staticmethod
    def _unpack_nemo_file(path2file: str, out_folder: str, members: list[Any] | None = None) -> str:
        """Extract ``members`` (``TarInfo`` objects or names; all when None) of a ``.nemo`` into ``out_folder``.

        The archive is validated first: an absolute, ``..``, link, device or duplicate member refuses the
        whole archive and nothing is written. Existing files in ``out_folder`` are replaced.

        Returns:
            ``out_folder``.

        Raises:
            FileNotFoundError: ``path2file`` does not exist.
            nemo_archive.UnsafeMemberError: The archive holds an unsafe member.
            nemo_archive.ArchiveError: The archive is malformed.
        """
        return _nemo_files.unpack(path2file, out_folder, members)

    @staticmethod
    def _unpack_nemo_file_with_multistorageclient(
        path2file: str, out_folder: str, members: list[Any] | None = None
    ) -> str:
        """Not provided: multistorageclient (``msc://``) URLs are not supported.

        Raises:
            NotSupportedError: Always.
        """
        raise NotSupportedError(
            f"cannot read {path2file!r}: multistorageclient URLs are not supported; download the file first"
        )

    @staticmethod
    def _filtered_tar_info(tar_path: str, filter_fn: Callable[[str], bool] | None = None) -> list[Any]:
        """The ``tarfile.TarInfo`` members of a (validated) ``.nemo`` whose name passes ``filter_fn``.

        Raises:
            FileNotFoundError: ``tar_path`` does not exist.
            nemo_archive.UnsafeMemberError: The archive holds an unsafe member.
        """
        return _nemo_files.filtered_tar_info(tar_path, filter_fn)

    @staticmethod
    def _filtered_recursive_walk(path: str, filter_fn: Callable[[str], bool] | None = None) -> list[str]:
        """Every file under the folder ``path`` (``path`` joined with its relative path) passing ``filter_fn``.

        Raises:
            NotADirectoryError: ``path`` is not a folder.
        """
        return _nemo_files.filtered_walk(path, filter_fn)

    @staticmethod
    def _tar_open(path2file: str) -> Any:
        """Context manager: the validated ``.nemo`` as a ``tarfile.TarFile`` (plain or gzip).

        Its ``extraction_filter`` is tarfile's ``data`` filter, so extracting from it cannot leave the
        destination either.
        """
        return _nemo_files.open_tar(path2file)

    @staticmethod
    def _is_safe_path(member: Any, extract_to: str) -> bool:
        """Whether extracting ``member`` (``TarInfo`` or name) under ``extract_to`` stays inside it."""
        return _nemo_files.is_safe_member(member, extract_to)

    @staticmethod
    def _safe_extract(tar: Any, out_folder: str, members: list[Any] | None = None) -> None:
        """Extract ``members`` of an open ``tarfile.TarFile`` into ``out_folder``, refusing unsafe members.

        Raises:
            nemo_archive.UnsafeMemberError: A member is absolute, has ``..``, is a link or device, or would
                resolve outside ``out_folder``.
        """
        _nemo_files.safe_extract(tar, out_folder, members)

    @staticmethod
    def _load_state_dict_from_disk(model_weights: str, map_location: Any = None) -> Any:
        """Load a weights file with ``torch.load(weights_only=True)`` (plain tensors and containers only).

        Raises:
            nemo_archive.UnsafeContentError: The pickle references globals torch does not allow.
        """
        import pickle

        import torch

        try:
            return torch.load(model_weights, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as exc:
            from nemo_archive import UnsafeContentError

            raise UnsafeContentError(
                f"torch.load(weights_only=True) refused the weights ({str(exc).splitlines()[0]}); only "
                "files you trust may be loaded with weights_only=False.",
                path=model_weights,
            ) from exc

    def _inject_model_parallel_rank_for_ckpt(self, dirname: str, basename: str) -> str:
        """The weights path of this rank: ``mp_rank_XX/`` (tensor parallel) or ``tp_rank_XX_pp_rank_XXX/``."""
        app_state = AppState()
        tp_rank = int(getattr(app_state, "tensor_model_parallel_rank", 0) or 0)
        pp_rank = int(getattr(app_state, "pipeline_model_parallel_rank", 0) or 0)
        if (app_state.pipeline_model_parallel_size or 1) > 1:
            return os.path.join(dirname, f"tp_rank_{tp_rank:02d}_pp_rank_{pp_rank:03d}", basename)
        if (app_state.model_parallel_size or 1) > 1:
            return os.path.join(dirname, f"mp_rank_{tp_rank:02d}", basename)
        return os.path.join(dirname, basename)


_SAVE_HOOKS = (
    "_save_state_dict_to_disk",
    "_make_nemo_file_from_folder",
    "_handle_artifacts",
    "_update_artifact_paths",
    "_update_subconfigs",
)
_RESTORE_HOOKS = (
    "_unpack_nemo_file",
    "_filtered_tar_info",
    "_tar_open",
    "_safe_extract",
    "_load_state_dict_from_disk",
    "_inject_model_parallel_rank_for_ckpt",
)
# The base implementations, to tell a subclass's (or a patched) hook from ours.
_BASE_HOOKS = {name: vars(ConnectorHooks)[name] for name in _SAVE_HOOKS + _RESTORE_HOOKS}
_BASE_HOOKS = {name: getattr(hook, "__func__", hook) for name, hook in _BASE_HOOKS.items()}


def _is_model_file(name: str) -> bool:
    from nemo_archive.archive import is_artifact_name

    return name in (
        "model_config.yaml",
        "model_weights.ckpt",
        "model_weights.safetensors",
        "manifest.json",
    ) or (is_artifact_name(name) or name.startswith(("mp_rank_", "tp_rank_")))


def _refuse_foreign_files(folder: str) -> None:
    """Refuse an unpacked save into ``folder`` (a ``.nemo`` path's parent) when it holds other files.

    Raises:
        ArtifactError: ``folder`` holds entries that are not part of a saved model.
    """
    try:
        entries = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    foreign = sorted(e for e in entries if not _is_model_file(e))
    if foreign:
        raise ArtifactError(
            f"pack_nemo_file=False with a save path ending in .nemo writes the unpacked model into its folder "
            f"{folder} and replaces that folder as a whole, but it holds other files ({', '.join(foreign[:5])}"
            f"{', ...' if len(foreign) > 5 else ''}). Save into an empty (or model-only) folder, or pass the "
            "folder path itself (without .nemo)."
        )


def _atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` through nemo-archive's atomic write (temp file, fsync, rename; modes kept)."""
    import torch

    from nemo_archive._atomic import atomic_write

    with atomic_write(path, "wb") as f:
        torch.save(obj, f)


def _can_assign(instance: Any, state_dict: dict[str, Any]) -> bool:
    """True when loading with ``assign=True`` keeps the model's structure: no ties, same dtype/shape/device."""
    own = dict(instance.named_parameters(remove_duplicate=False))
    own.update(dict(instance.named_buffers(remove_duplicate=False)))
    if len({id(t) for t in own.values()}) != len(own):
        return False  # tied parameters would be split
    seen: set[int] = set()
    for key, value in state_dict.items():
        target = own.get(key)
        if target is None or not hasattr(value, "dtype"):
            continue
        if value.dtype != target.dtype or value.shape != target.shape or value.device != target.device:
            return False
        if not value.is_contiguous():
            return False
        ptr = value.untyped_storage().data_ptr()
        if ptr in seen and value.numel() > 0:
            return False  # two entries share memory
        seen.add(ptr)
    return True


def _to_container(config: Any) -> Any:
    from modelpt.config_utils import config_for_save

    return config_for_save(config)  # resolver calls (${oc.env:X}) stay text


def _set_config(config: Any, key: str, value: Any) -> None:
    from omegaconf import OmegaConf

    OmegaConf.update(config, key, value, merge=False, force_add=True)


def _update_model_cfg(model: Any, key: str, value: Any) -> None:
    from omegaconf import OmegaConf, open_dict

    cfg = getattr(model, "_cfg", None)
    if cfg is None:
        return
    with open_dict(cfg):
        OmegaConf.update(cfg, key, value, merge=False, force_add=True)
