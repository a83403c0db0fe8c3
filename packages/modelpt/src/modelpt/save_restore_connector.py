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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from modelpt import _nemo_files
from modelpt._connector_hooks import (
    _BASE_HOOKS,
    _RESTORE_HOOKS,
    _SAVE_HOOKS,
    NEMO_PREFIX,
    ArtifactItem,
    ArtifactPathType,
    ConnectorHooks,
    _can_assign,
    _refuse_foreign_files,
    _RestoreSource,
    _set_config,
    _to_container,
    _update_model_cfg,
    artifact_cache_dir,
)
from modelpt._skip_init import skip_weight_init
from modelpt.app_state import AppState
from modelpt.distributed import is_global_rank_zero
from modelpt.errors import ModelPTError

if TYPE_CHECKING:
    from modelpt.modelpt import ModelPT

__all__ = ["ArtifactItem", "ArtifactPathType", "SaveRestoreConnector", "artifact_cache_dir"]

logger = logging.getLogger(__name__)


class SaveRestoreConnector(ConnectorHooks):
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

    NeMo's protected hooks are here and used: a subclass that overrides one of the restore hooks
    (``_unpack_nemo_file``, ``_filtered_tar_info``, ``_tar_open``, ``_safe_extract``,
    ``_load_state_dict_from_disk``, ``_inject_model_parallel_rank_for_ckpt``) gets NeMo's restore flow: the
    archive is unpacked through its hooks into a temp folder and read from there. A subclass that overrides a
    save hook (``_save_state_dict_to_disk``, ``_make_nemo_file_from_folder``, ``_handle_artifacts``,
    ``_update_artifact_paths``, ``_update_subconfigs``) gets NeMo's save flow: the files are written into a
    staging folder through its hooks, then packed with ``_make_nemo_file_from_folder``. Without overrides the
    archive is read and written directly (no unpacking, no staging copy). Either way archives are read
    through nemo-archive's validating reader: one with an unsafe member is refused as a whole.
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
        # Weights are read into the model's own memory and checked (CRC-32 / SHA-256) by default; mmap_weights
        # maps the file instead (see nemo_archive.Archive.load_state_dict for the hazard).
        self.mmap_weights = False
        self.check_integrity = True

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

    def _overrides(self, names: tuple[str, ...]) -> bool:
        """Whether this connector (its class or the instance) replaces any of the base hooks ``names``."""
        for name in names:
            current = getattr(self, name)
            if getattr(current, "__func__", current) is not _BASE_HOOKS[name]:
                return True
        return False

    # ------------------------------------------------------------------ save
    def save_to(self, model: ModelPT, save_path: str) -> str | None:
        """Save ``model`` (config, weights, artifacts of it and its NeMo submodules) to ``save_path``.

        Only global rank 0 writes; other ranks return None. The write is atomic: a crash leaves any previous
        file intact. With ``pack_nemo_file=False`` the files go into the folder ``save_path`` — or, when
        ``save_path`` ends in ``.nemo`` (NeMo's convention), into its parent folder, as NeMo does; the folder
        is replaced as a whole, so a crash leaves the complete old or the complete new folder there.

        Returns:
            The saved path (the folder for unpacked saves) on rank 0, None elsewhere.

        Raises:
            ArgumentTypeError: ``save_path`` is None or not a path.
            ArgumentValueError: ``save_path`` is empty or a URL.
            FileNotFoundError: A registered local artifact no longer exists.
            ArtifactError: A restored artifact's extracted copy is gone, or an unpacked save's ``.nemo``
                parent folder holds files that are not part of a saved model.
        """
        save_path = _nemo_files.check_path_argument("save_path", save_path, action="save")
        if not is_global_rank_zero():
            return None
        save_path = os.path.abspath(os.path.expanduser(save_path))
        state_dict = model.__dict__.get("_state_dict_for_save")
        if state_dict is None:
            state_dict = model.state_dict()
        if not self.pack_nemo_file:
            return self._save_unpacked(model, save_path, state_dict)
        if self._overrides(_SAVE_HOOKS):
            self._save_through_folder(model, save_path, state_dict)
            return save_path
        from nemo_archive import ArchiveWriter

        config = self._config_for_save(model)
        writer = ArchiveWriter(
            save_path, provenance=self.provenance, durable=self.durable, zip_crc32=self.zip_crc32
        )
        for key, source, name in self._artifacts_for_save(model):
            ref = writer.add_artifact(source, name=name)
            _set_config(config, key, ref)
        writer.set_config(_to_container(config))
        writer.set_weights(state_dict)
        writer.commit()
        return save_path

    def _config_for_save(self, model: ModelPT) -> Any:
        from omegaconf import OmegaConf

        from modelpt.config_utils import config_for_save

        # Resolver calls (``${oc.env:X}``) are written back as text, never as their values.
        config = OmegaConf.create(config_for_save(model.to_config_dict()))
        OmegaConf.set_struct(config, False)
        for _, config_field, submodule in model.named_nemo_modules():
            if submodule is model:
                continue
            OmegaConf.update(config, config_field, config_for_save(submodule.cfg), merge=False)
        return config

    def _write_model_folder(self, model: ModelPT, folder: str, state_dict: Any) -> None:
        """Write config, artifacts and weights into ``folder`` through the NeMo hooks (NeMo's save order)."""
        from omegaconf import OmegaConf

        from modelpt.config_utils import config_for_save

        config_yaml = os.path.join(folder, self.model_config_yaml)
        with open(config_yaml, "w", encoding="utf-8") as f:
            f.write(OmegaConf.to_yaml(OmegaConf.create(config_for_save(model.to_config_dict()))))
        self._update_subconfigs(model, path2yaml_file=config_yaml)
        if model.has_native_or_submodules_artifacts():
            self._handle_artifacts(model, nemo_file_folder=folder)
            self._update_artifact_paths(model, path2yaml_file=config_yaml)
        self._save_state_dict_to_disk(state_dict, os.path.join(folder, self.model_weights_ckpt))

    def _save_through_folder(self, model: ModelPT, save_path: str, state_dict: Any) -> None:
        """NeMo's packed save: stage the files (hooks), then ``_make_nemo_file_from_folder``."""
        from nemo_archive import _dirswap

        _dirswap.recover(save_path)
        staging = _dirswap.staging_dir(save_path)
        try:
            self._write_model_folder(model, str(staging), state_dict)
            self._make_nemo_file_from_folder(filename=save_path, source_dir=str(staging))
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _save_unpacked(self, model: ModelPT, save_path: str, state_dict: Any) -> str:
        """Write the unpacked model into its folder, replacing the old one as a whole (see ``save_to``)."""
        from nemo_archive import _dirswap

        folder = os.path.dirname(save_path) if save_path.endswith(".nemo") else save_path
        if folder != save_path:
            _refuse_foreign_files(folder)
        _dirswap.recover(folder)
        staging = _dirswap.staging_dir(folder)
        try:
            self._write_model_folder(model, str(staging), state_dict)
            _dirswap.replace_dir(staging, folder, durable=self.durable)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return folder

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
            ArgumentTypeError: ``restore_path`` is None or not a path.
            ArgumentValueError: ``restore_path`` is empty or a URL (use ``from_pretrained``).
            FileNotFoundError: The path does not exist.
            DeviceError: ``map_location`` cannot be used on this machine, or the device failed while loading.
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
        if not isinstance(loaded, tuple) or return_config:
            return loaded
        conf, instance, state_dict = loaded
        state_dict = self.modify_state_dict(conf, state_dict)
        self.load_instance_with_state_dict(instance, state_dict, strict)
        logger.info("Model %s was successfully restored from %s.", type(instance).__name__, restore_path)
        return instance

    def _load_config(self, archive: Any, override_config_path: Any) -> Any:
        from omegaconf import DictConfig, OmegaConf

        if override_config_path is None:
            if self.model_config_yaml != "model_config.yaml" and self.model_config_yaml in archive.names:
                conf = OmegaConf.create(archive.read_member(self.model_config_yaml).decode("utf-8"))
            else:
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

    @contextmanager
    def _restore_source(
        self, restore_path: str, return_config: bool
    ) -> Iterator[tuple[Any, str | None, bool]]:
        """Yield ``(archive, folder, temporary)``: the opened source and, when it is a folder, its path."""
        from nemo_archive import Archive

        extracted = self.model_extracted_dir
        if extracted is not None:
            _nemo_files.recover_interrupted_save(os.path.abspath(extracted))
        _nemo_files.recover_interrupted_save(os.path.abspath(restore_path))
        if extracted is not None and os.path.isdir(extracted):
            logger.info("restoring from the pre-extracted folder %s", extracted)
            with Archive(extracted) as archive:
                yield archive, str(extracted), False
        elif os.path.isdir(restore_path):
            with Archive(restore_path) as archive:
                yield archive, str(restore_path), False
        elif self._overrides(_RESTORE_HOOKS):
            # NeMo's flow, for subclasses that customise it: unpack through the hooks, read the folder.
            with tempfile.TemporaryDirectory(prefix="modelpt-restore-") as tmpdir:
                filter_fn = (lambda name: ".yaml" in name) if return_config else None
                members = self._filtered_tar_info(restore_path, filter_fn=filter_fn)
                self._unpack_nemo_file(path2file=restore_path, out_folder=tmpdir, members=members)
                with Archive(tmpdir) as archive:
                    yield archive, tmpdir, True
        else:
            with Archive(restore_path) as archive:
                yield archive, None, False

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
            ArgumentTypeError: ``restore_path`` is None or not a path.
            ArgumentValueError: ``restore_path`` is empty or a URL.
            FileNotFoundError: The path does not exist.
            DeviceError: ``map_location`` cannot be used, or the device failed while loading.
        """
        from omegaconf import OmegaConf

        restore_path = _nemo_files.check_path_argument("restore_path", restore_path, action="restore")
        if not return_config:
            map_location = _nemo_files.resolve_device(map_location)
        with self._restore_source(restore_path, return_config) as (archive, folder, temporary):
            conf = self._load_config(archive, override_config_path)
            if return_config:
                return conf
            OmegaConf.set_struct(conf, True)
            instance = self._build_instance(calling_cls, conf, trainer, archive, folder, restore_path, strict)
            try:
                instance = instance.to(map_location)
                state_dict = self._read_state_dict(archive, folder, temporary, map_location)
            except Exception as exc:
                failure = _nemo_files.device_failure(exc, map_location)
                if failure is not None:
                    raise failure from exc
                raise
            return conf, instance, state_dict

    def _build_instance(
        self,
        calling_cls: type,
        conf: Any,
        trainer: Any,
        archive: Any,
        folder: str | None,
        path: str,
        strict: bool,
    ) -> Any:
        """Construct the model with the restore state set (artifacts resolve against ``archive``)."""
        app_state = AppState()
        previous = (app_state.is_model_being_restored, app_state.restore_source, app_state.nemo_file_folder)
        app_state.is_model_being_restored = True
        app_state.restore_source = _RestoreSource(archive, str(folder or path))
        app_state.nemo_file_folder = folder
        try:
            # With strict loading every weight is overwritten (or loading fails), so filling them first is
            # wasted work: seconds per GB of weights.
            with skip_weight_init(self.skip_weight_init and strict):
                return calling_cls.from_config_dict(config=conf, trainer=trainer)  # type: ignore[attr-defined]
        finally:
            app_state.is_model_being_restored, app_state.restore_source, app_state.nemo_file_folder = previous

    def _read_state_dict(self, archive: Any, folder: str | None, temporary: bool, map_location: Any) -> Any:
        """Load the weights of the source being restored.

        Through ``_load_state_dict_from_disk`` when it is customised or the model is model-parallel, else
        straight from the archive (into fresh memory, checked; memory-mapped only with ``mmap_weights``).
        """
        import torch

        model_parallel = (AppState().model_parallel_size or 1) > 1
        if folder is not None and (
            model_parallel
            or self._overrides(("_load_state_dict_from_disk", "_inject_model_parallel_rank_for_ckpt"))
        ):
            if model_parallel:
                weights = self._inject_model_parallel_rank_for_ckpt(folder, self.model_weights_ckpt)
            else:
                weights = os.path.join(folder, self.model_weights_ckpt)
            return self._load_state_dict_from_disk(weights, map_location=map_location)
        location = None if torch.device(map_location).type == "cpu" else map_location
        return archive.load_state_dict(
            location,
            mmap=self.mmap_weights and not temporary,
            check_integrity=self.check_integrity,
            weights_only=self.weights_only,
            member=self.model_weights_ckpt if self.model_weights_ckpt in archive.names else None,
        )

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
        AppState().is_model_being_restored = False

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
            ArgumentTypeError: ``restore_path`` is None or not a path.
            FileNotFoundError: ``restore_path`` does not exist.
        """
        restore_path = _nemo_files.check_path_argument("restore_path", restore_path, action="restore")
        if not os.path.exists(restore_path):
            raise FileNotFoundError(f"{restore_path} does not exist")
        extracted, self.model_extracted_dir = self.model_extracted_dir, None
        try:
            with self._restore_source(restore_path, False) as (archive, folder, _):
                if folder is not None and self._overrides(("_load_state_dict_from_disk",)):
                    weights = os.path.join(folder, self.model_weights_ckpt)
                    state_dict = self._load_state_dict_from_disk(weights, map_location="cpu")
                else:
                    state_dict = archive.load_state_dict("cpu", mmap=False, weights_only=self.weights_only)
        finally:
            self.model_extracted_dir = extracted
        os.makedirs(save_dir, exist_ok=True)
        if not split_by_module:
            self._save_state_dict_to_disk(state_dict, os.path.join(save_dir, self.model_weights_ckpt))
        else:
            groups: dict[str, dict[str, Any]] = {}
            for key, value in state_dict.items():
                prefix, _, rest = key.partition(".")
                groups.setdefault(prefix, {})[rest] = value
            for prefix, sub in groups.items():
                self._save_state_dict_to_disk(sub, os.path.join(save_dir, f"{prefix}.ckpt"))
        return state_dict if isinstance(state_dict, dict) else dict(state_dict)
