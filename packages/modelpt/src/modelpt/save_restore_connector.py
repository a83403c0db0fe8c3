# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""``SaveRestoreConnector``: ``.nemo`` save and restore for ModelPT, built on nemo-archive.

Restore never unpacks the archive: the config is read from its member, the weights are loaded straight from
the archive (memory-mapped when it is an uncompressed tar, and then used in place when the model's tensors
match), and an artifact is extracted only when a constructor asks for it through ``register_artifact`` — into
a per-model cache folder removed with the model. Because the model keeps those copies, a restored model can
be saved again after its source ``.nemo`` was deleted. Saves are atomic and happen on global rank 0 only.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelpt._skip_init import skip_weight_init
from modelpt.app_state import AppState
from modelpt.distributed import is_global_rank_zero
from modelpt.errors import ArtifactError, ModelPTError

if TYPE_CHECKING:
    from modelpt.modelpt import ModelPT

__all__ = ["ArtifactItem", "ArtifactPathType", "SaveRestoreConnector"]

logger = logging.getLogger(__name__)

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


class SaveRestoreConnector:
    """Saves ModelPT instances to ``.nemo`` files and restores them (NeMo's connector API).

    Attributes (settable properties): ``model_config_yaml``, ``model_weights_ckpt``, ``model_extracted_dir``
    (restore from this unpacked folder instead of the given path), ``pack_nemo_file`` (False: save the
    unpacked files into the save path, a folder), ``weights_only`` (safe unpickling; default True),
    ``load_weights_in_place`` (use memory-mapped tensors as the model's parameters when they match; default
    True), ``provenance`` (a JSON mapping recorded in the archive's manifest), ``durable`` (fsync the saved
    file and its folder before ``save_to`` returns; default True — the save is atomic either way), ``zip_crc32``
    (let torch write the CRC-32 of each weights record; False skips that pass, which ``torch.load`` ignores and
    the manifest's SHA-256 covers anyway; default True), ``skip_weight_init`` (build the restored model without
    running ``torch.nn.init``'s fills when ``strict=True`` guarantees the checkpoint overwrites every weight;
    default True, see ``modelpt._skip_init``).
    """

    def __init__(self) -> None:
        self._model_config_yaml = "model_config.yaml"
        self._model_weights_ckpt = "model_weights.ckpt"
        self._model_extracted_dir: str | None = None
        self._pack_nemo_file = True
        self.weights_only = True
        self.load_weights_in_place = True
        self.provenance: dict[str, Any] = {}
        self.durable = True
        self.zip_crc32 = True
        self.skip_weight_init = True

    # ------------------------------------------------------------------ properties
    @property
    def model_config_yaml(self) -> str:
        """Name of the config member (``model_config.yaml``)."""
        return self._model_config_yaml

    @model_config_yaml.setter
    def model_config_yaml(self, path: str) -> None:
        self._model_config_yaml = path

    @property
    def model_weights_ckpt(self) -> str:
        """Name of the weights member (``model_weights.ckpt``)."""
        return self._model_weights_ckpt

    @model_weights_ckpt.setter
    def model_weights_ckpt(self, path: str) -> None:
        self._model_weights_ckpt = path

    @property
    def model_extracted_dir(self) -> str | None:
        """An unpacked model folder to restore from instead of the path given to ``restore_from``."""
        return self._model_extracted_dir

    @model_extracted_dir.setter
    def model_extracted_dir(self, path: str | None) -> None:
        self._model_extracted_dir = path

    @property
    def pack_nemo_file(self) -> bool:
        """True: write one ``.nemo`` file; False: write the unpacked files into the save path (a folder)."""
        return self._pack_nemo_file

    @pack_nemo_file.setter
    def pack_nemo_file(self, save_nemo_file: bool) -> None:
        self._pack_nemo_file = save_nemo_file

    # ------------------------------------------------------------------ save
    def save_to(self, model: ModelPT, save_path: str) -> str | None:
        """Save ``model`` (config, weights, artifacts of it and its NeMo submodules) to ``save_path``.

        Only global rank 0 writes; other ranks return None. The write is atomic: a crash leaves any previous
        file intact. With ``pack_nemo_file=False`` the files go into ``save_path`` (created as a folder).

        Returns:
            ``save_path`` on rank 0, None elsewhere.

        Raises:
            FileNotFoundError: A registered local artifact no longer exists.
            ArtifactError: A restored artifact's extracted copy is gone.
        """
        if not is_global_rank_zero():
            return None
        from nemo_archive import ArchiveWriter

        save_path = os.path.abspath(os.path.expanduser(str(save_path)))
        config = self._config_for_save(model)
        state_dict = model.__dict__.get("_state_dict_for_save")
        if state_dict is None:
            state_dict = model.state_dict()
        if self.pack_nemo_file:
            writer = ArchiveWriter(
                save_path, provenance=self.provenance, durable=self.durable, zip_crc32=self.zip_crc32
            )
            for key, source, name in self._artifacts_for_save(model):
                ref = writer.add_artifact(source, name=name)
                _set_config(config, key, ref)
            writer.set_config(_to_container(config))
            writer.set_weights(state_dict)
            writer.commit()
        else:
            self._save_unpacked(save_path, config, state_dict, model)
        return save_path

    def _config_for_save(self, model: ModelPT) -> Any:
        from omegaconf import OmegaConf

        config = OmegaConf.create(OmegaConf.to_container(model.to_config_dict(), resolve=True))
        OmegaConf.set_struct(config, False)
        for _, config_field, submodule in model.named_nemo_modules():
            if submodule is model:
                continue
            OmegaConf.update(
                config, config_field, OmegaConf.to_container(submodule.cfg, resolve=True), merge=False
            )
        return config

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

    def _save_unpacked(self, save_path: str, config: Any, state_dict: Any, model: ModelPT) -> None:
        """Write config, weights and artifacts into the folder ``save_path`` (replaced atomically)."""
        import uuid

        import torch
        from omegaconf import OmegaConf

        parent = os.path.dirname(save_path)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".modelpt-save-", dir=parent)
        try:
            for key, source, name in self._artifacts_for_save(model):
                member = name or f"{uuid.uuid4().hex}_{os.path.basename(source)}"
                shutil.copyfile(source, os.path.join(staging, member))
                _set_config(config, key, NEMO_PREFIX + member)
            with open(os.path.join(staging, self.model_config_yaml), "w", encoding="utf-8") as f:
                f.write(OmegaConf.to_yaml(config, resolve=True))
            torch.save(state_dict, os.path.join(staging, self.model_weights_ckpt))
            os.chmod(staging, 0o755)
            old = None
            if os.path.exists(save_path):
                old = f"{staging}.old"
                os.replace(save_path, old)
            os.replace(staging, save_path)
            if old:
                shutil.rmtree(old, ignore_errors=True) if os.path.isdir(old) else os.unlink(old)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    # ------------------------------------------------------------------ restore
    def restore_from(
        self,
        calling_cls: type,
        restore_path: str,
        override_config_path: Any = None,
        map_location: Any = None,
        strict: bool = True,
        return_config: bool = False,
        trainer: Any = None,
        validate_access_integrity: bool = True,
    ) -> Any:
        """Restore a model of ``calling_cls`` (or of the config's ``target`` when it subclasses it).

        Args:
            calling_cls: The class ``restore_from`` was called on.
            restore_path: ``.nemo`` file (plain or gzip tar) or unpacked folder.
            override_config_path: A YAML path or a DictConfig used instead of the stored config.
            map_location: Device for the model (default: CUDA when available, else CPU).
            strict: Passed to ``load_state_dict``.
            return_config: Return the config only.
            trainer: Passed to the constructor.
            validate_access_integrity: Accepted for NeMo compatibility (unused, as in NeMo).

        Returns:
            The model, or its DictConfig with ``return_config``.

        Raises:
            FileNotFoundError: The path does not exist.
            nemo_archive.ArchiveError: The archive is malformed or unsafe.
            TargetClassError: The config's ``target`` is outside ``calling_cls``'s hierarchy.
        """
        loaded = self.load_config_and_state_dict(
            calling_cls,
            restore_path,
            override_config_path,
            map_location,
            strict,
            return_config,
            trainer,
            validate_access_integrity,
        )
        if not isinstance(loaded, tuple):
            return loaded
        conf, instance, state_dict = loaded
        state_dict = self.modify_state_dict(conf, state_dict)
        self.load_instance_with_state_dict(instance, state_dict, strict)
        logger.info("Model %s was successfully restored from %s.", type(instance).__name__, restore_path)
        return instance

    def _load_config(self, archive: Any, override_config_path: Any) -> Any:
        from omegaconf import DictConfig, OmegaConf

        if override_config_path is None:
            conf = OmegaConf.create(archive.config)
        elif isinstance(override_config_path, DictConfig):
            conf = OmegaConf.create(OmegaConf.to_container(override_config_path, resolve=True))
        elif isinstance(override_config_path, dict):
            conf = OmegaConf.create(override_config_path)
        else:
            conf = OmegaConf.load(override_config_path)
        if "model" in conf:
            conf = conf.model
        return conf

    def load_config_and_state_dict(
        self,
        calling_cls: type,
        restore_path: str,
        override_config_path: Any = None,
        map_location: Any = None,
        strict: bool = True,
        return_config: bool = False,
        trainer: Any = None,
        validate_access_integrity: bool = True,
    ) -> Any:
        """Read the config, build the model (artifacts extracted on demand) and load the weights' state dict.

        Returns:
            The config with ``return_config``, else ``(config, instance, state_dict)``.

        Raises:
            FileNotFoundError: The path does not exist.
        """
        import torch
        from omegaconf import OmegaConf

        from nemo_archive import Archive

        if map_location is None:
            map_location = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
        source_path = restore_path
        if self.model_extracted_dir is not None and os.path.isdir(self.model_extracted_dir):
            source_path = self.model_extracted_dir
        archive = Archive(source_path)
        try:
            conf = self._load_config(archive, override_config_path)
            if return_config:
                return conf
            OmegaConf.set_struct(conf, True)
            app_state = AppState()
            previous = (
                app_state.is_model_being_restored,
                app_state.restore_source,
                app_state.nemo_file_folder,
            )
            app_state.is_model_being_restored = True
            app_state.restore_source = _RestoreSource(archive, str(source_path))
            app_state.nemo_file_folder = None
            try:
                # With strict loading every weight is overwritten (or loading fails), so filling them first is
                # wasted work: seconds per GB of weights.
                with skip_weight_init(self.skip_weight_init and strict):
                    instance = calling_cls.from_config_dict(config=conf, trainer=trainer)  # type: ignore[attr-defined]
            finally:
                app_state.is_model_being_restored, app_state.restore_source, app_state.nemo_file_folder = (
                    previous
                )
            instance = instance.to(map_location)
            location = None if torch.device(map_location).type == "cpu" else map_location
            state_dict = archive.load_state_dict(
                location,
                mmap=True,
                weights_only=self.weights_only,
                member=self.model_weights_ckpt if self.model_weights_ckpt in archive.names else None,
            )
            return conf, instance, state_dict
        finally:
            archive.close()

    def modify_state_dict(self, conf: Any, state_dict: dict[str, Any]) -> dict[str, Any]:
        """Adjust the state dict before loading (``megatron_amp_O2``: ``model.`` → ``model.module.``)."""
        if conf.get("megatron_amp_O2", False):
            state_dict = {
                (k.replace("model.", "model.module.", 1) if k.startswith("model.") else k): v
                for k, v in state_dict.items()
            }
        return state_dict

    def load_instance_with_state_dict(self, instance: Any, state_dict: dict[str, Any], strict: bool) -> None:
        """Load ``state_dict`` into ``instance``: in place (no copy) when every tensor matches, else copied."""
        if self.load_weights_in_place and _can_assign(instance, state_dict):
            instance.load_state_dict(state_dict, strict=strict, assign=True)
        else:
            instance.load_state_dict(state_dict, strict=strict)

    # ------------------------------------------------------------------ artifacts
    def register_artifact(
        self, model: Any, config_path: str, src: str, verify_src_exists: bool = True
    ) -> Any:
        """Register an artifact of ``model`` under ``config_path`` and return a path to an existing file.

        Resolution order (NeMo's): an existing local path (LOCAL_PATH); ``nemo:<member>`` of the model being
        restored (TAR_PATH, extracted now into the model's cache folder); a basename that is a member of that
        archive (TAR_PATH). ``model.cfg`` is updated at ``config_path`` with the returned path.

        Returns:
            The absolute path, ``src`` unchanged when it is None or empty, or None when it cannot be found and
            ``verify_src_exists`` is False.

        Raises:
            ModelPTError: ``src`` is a ``.nemo`` (use ``register_nemo_submodule``).
            FileNotFoundError: ``src`` cannot be found and ``verify_src_exists`` is True.
        """
        if not src:
            return src
        src = str(src)
        if src.endswith(".nemo"):
            raise ModelPTError(
                f"register_artifact got {src!r}, a .nemo file; register nested models with "
                "register_nemo_submodule(name, config_field, model) instead"
            )
        if getattr(model, "artifacts", None) is None:
            model.artifacts = {}
        if config_path in model.artifacts:
            logger.warning("artifact %s is registered again; the new path replaces the old one", config_path)
        source: _RestoreSource | None = AppState().restore_source
        item = ArtifactItem()
        if os.path.exists(os.path.abspath(src)):
            item.path = os.path.abspath(src)
            item.path_type = ArtifactPathType.LOCAL_PATH
        elif src.startswith(NEMO_PREFIX) and source is not None and source.has(src[len(NEMO_PREFIX) :]):
            item.path = source.extract(src[len(NEMO_PREFIX) :], model)
            item.path_type = ArtifactPathType.TAR_PATH
            item.hashed_path = src
        elif source is not None and source.has(os.path.basename(src)):
            name = os.path.basename(src)
            item.path = source.extract(name, model)
            item.path_type = ArtifactPathType.TAR_PATH
            item.hashed_path = NEMO_PREFIX + name
        elif verify_src_exists:
            where = f" or in {source.path}" if source is not None else ""
            raise FileNotFoundError(
                f"artifact {config_path!r}: {src!r} does not exist locally{where}; pass an existing file, or "
                "verify_src_exists=False for an optional artifact"
            )
        else:
            logger.warning("optional artifact %s (%s) was not found and is not registered", config_path, src)
            return None
        model.artifacts[config_path] = item
        _update_model_cfg(model, config_path, item.path)
        return item.path

    # ------------------------------------------------------------------ state dict export
    def extract_state_dict_from(self, restore_path: str, save_dir: str, split_by_module: bool = False) -> Any:
        """Write the weights of a ``.nemo`` to ``save_dir`` (one file, or one per top-level module).

        Returns:
            The full state dict (on CPU).

        Raises:
            FileNotFoundError: ``restore_path`` does not exist.
        """
        from nemo_archive import Archive

        if not os.path.exists(restore_path):
            raise FileNotFoundError(f"{restore_path} does not exist")
        with Archive(restore_path) as archive:
            state_dict = archive.load_state_dict("cpu", mmap=False, weights_only=self.weights_only)
        os.makedirs(save_dir, exist_ok=True)
        if not split_by_module:
            _atomic_torch_save(state_dict, os.path.join(save_dir, self.model_weights_ckpt))
        else:
            groups: dict[str, dict[str, Any]] = {}
            for key, value in state_dict.items():
                prefix, _, rest = key.partition(".")
                groups.setdefault(prefix, {})[rest] = value
            for prefix, sub in groups.items():
                _atomic_torch_save(sub, os.path.join(save_dir, f"{prefix}.ckpt"))
        return state_dict if isinstance(state_dict, dict) else dict(state_dict)


def _atomic_torch_save(obj: Any, path: str) -> None:
    import torch

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
    from omegaconf import OmegaConf

    return OmegaConf.to_container(config, resolve=True)


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
