# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""``ModelPT``: the base class of NeMo models, a Lightning ``LightningModule`` driven by a config.

A subclass implements ``setup_training_data`` / ``setup_validation_data`` (and optionally
``setup_test_data``) and ``list_available_models``; ``ModelPT`` then sets the data up from ``train_ds`` /
``validation_ds`` / ``test_ds``, builds optimizer and scheduler from ``optim``, aggregates multi-dataloader
evaluation, saves and restores ``.nemo`` files and loads pretrained weights.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import uuid
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import lightning.pytorch as pl
import torch
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from modelpt._nemo_files import check_path_argument, recover_interrupted_save
from modelpt.app_state import AppState
from modelpt.config_utils import (
    convert_model_config_to_dict_config,
    current_restore_policy,
    maybe_update_config_version,
    restore_policy,
    restored_artifact_source,
)
from modelpt.data_utils import resolve_test_dataloaders, resolve_validation_dataloaders
from modelpt.debug_hooks import DebugHooks
from modelpt.distributed import global_rank
from modelpt.errors import ConfigError, ModelPTError, NotSupportedError
from modelpt.model import Model
from modelpt.module import freeze as _freeze_module
from modelpt.module import unfreeze as _unfreeze_module
from modelpt.profiling import TrainingProfiler
from modelpt.save_restore_connector import SaveRestoreConnector

__all__ = ["ModelPT"]

logger = logging.getLogger(__name__)

# NeMo registers this resolver when its ModelPT module is imported; configs written for NeMo use it.
if not OmegaConf.has_resolver("multiply"):
    OmegaConf.register_new_resolver("multiply", lambda x, y: x * y)


def _wrap_training_step(step: Any) -> Any:
    """Log and drop a ``log`` sub-dict returned by ``training_step`` (NeMo's legacy convention)."""

    @functools.wraps(step)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        output = step(*args, **kwargs)
        if isinstance(output, dict) and "log" in output:
            log = output.pop("log")
            step.__self__.log_dict(log, on_step=True)
        return output

    return wrapped


def checkpoint_safe_globals() -> list[Any]:
    """Classes a Lightning checkpoint of a ModelPT holds besides tensors (its OmegaConf hyper-parameters).

    Used with ``torch.serialization.safe_globals`` so that ``weights_only=True`` loading accepts them.
    """
    import collections
    import typing

    from omegaconf.base import ContainerMetadata, Metadata
    from omegaconf.nodes import (
        AnyNode,
        BooleanNode,
        BytesNode,
        EnumNode,
        FloatNode,
        IntegerNode,
        PathNode,
        StringNode,
    )

    return [
        DictConfig,
        ListConfig,
        ContainerMetadata,
        Metadata,
        AnyNode,
        BooleanNode,
        BytesNode,
        EnumNode,
        FloatNode,
        IntegerNode,
        PathNode,
        StringNode,
        typing.Any,
        dict,
        list,
        int,
        collections.defaultdict,
    ]


class ModelPT(pl.LightningModule, Model):
    """Base class of NeMo models: a config-driven LightningModule with ``.nemo`` save/restore.

    Args:
        cfg: The model config (dict, DictConfig or dataclass). A top-level ``model`` key is refused.
        trainer: An optional Lightning ``Trainer``.

    Raises:
        ValueError: ``trainer`` is not a Trainer, or ``cfg`` has a top-level ``model`` key.
    """

    _save_restore_connector: SaveRestoreConnector = SaveRestoreConnector()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._save_restore_connector = SaveRestoreConnector()

    def __init__(self, cfg: Any, trainer: pl.Trainer | None = None) -> None:
        if trainer is not None and not isinstance(trainer, pl.Trainer):
            raise ValueError(
                f"trainer must be a lightning.pytorch.Trainer or None; received {type(trainer).__name__}"
            )
        super().__init__()
        cfg = convert_model_config_to_dict_config(cfg)
        cfg = maybe_update_config_version(cfg, make_copy=False)
        if "model" in cfg:
            raise ConfigError(
                "Creating model config node is forbidden due to collision problem when loading from checkpoint: "
                "pass cfg.model (the model's own config) instead of the whole experiment config"
            )
        with open_dict(cfg):
            if "target" not in cfg:
                cfg.target = f"{type(self).__module__}.{type(self).__name__}"
            if "nemo_version" not in cfg:
                from modelpt import __version__

                cfg.nemo_version = __version__
        self._cfg = cfg
        self.save_hyperparameters("cfg")
        self._train_dl: Any = None
        self._validation_dl: Any = None
        self._test_dl: Any = None
        self._optimizer_param_groups: Any = None
        self._optimizer: Any = None
        self._scheduler: Any = None
        self._trainer: Any = None
        self._validation_names: list[str] | None = None
        self._test_names: list[str] | None = None
        self._val_dl_idx = 0
        self._test_dl_idx = 0
        self._validation_step_outputs: Any = None
        self._test_step_outputs: Any = None
        self._freeze_cfg: dict[str, Any] | None = None
        self._multi_dataset_mode = False
        # Validated now, so a bad profiling section fails before training starts.
        self._nemo_profiler = TrainingProfiler(cfg)
        self._debug_hooks: DebugHooks | None = None
        self.artifacts: dict[str, Any] = {}
        self._nemo_submodule_name_to_config_field: dict[str, str] = {}
        self.set_trainer(trainer)
        self._save_restore_connector = SaveRestoreConnector()
        self._set_model_guid()
        if torch.cuda.is_available() and torch.cuda.current_device() is not None:
            AppState().device_id = torch.cuda.current_device()
        self.training_step = _wrap_training_step(self.training_step)  # type: ignore[method-assign]

        if not self._is_model_being_restored():
            if self._cfg.get("train_ds") is not None and not self._cfg.train_ds.get("defer_setup", False):
                self.setup_training_data(self._cfg.train_ds)
            if self._cfg.get("validation_ds") is not None and not self._cfg.validation_ds.get(
                "defer_setup", False
            ):
                self.setup_multiple_validation_data(val_data_config=cfg.validation_ds)
            if self._cfg.get("test_ds") is not None and not self._cfg.test_ds.get("defer_setup", False):
                self.setup_multiple_test_data(test_data_config=cfg.test_ds)
        else:
            for key, call in (
                ("train_ds", "setup_training_data"),
                ("validation_ds", "setup_validation_data"),
                ("test_ds", "setup_test_data"),
            ):
                if self._cfg.get(key) is not None:
                    logger.warning(
                        "Data for %s was not set up while restoring; call %s() with a valid config to use it",
                        key,
                        call,
                    )

    # ------------------------------------------------------------------ config and trainer
    @property
    def cfg(self) -> DictConfig:
        """The model's config (changing it does not rebuild the model)."""
        return self._cfg  # type: ignore[no-any-return]

    @cfg.setter
    def cfg(self, cfg: DictConfig) -> None:
        self._cfg = cfg
        self._set_hparams(OmegaConf.create({"cfg": self._cfg}))
        initial: Any = getattr(self, "_hparams_initial", None)
        if initial is not None and "cfg" in initial:
            initial["cfg"] = OmegaConf.to_object(self._cfg)

    @property
    def hparams(self) -> Any:
        """Lightning's hyper-parameters, re-synced with :attr:`cfg` on every access."""
        if getattr(self, "_cfg", None) is not None:
            self._set_hparams(OmegaConf.create({"cfg": self._cfg}))
        return super().hparams

    @property
    def trainer(self) -> Any:
        """The attached Trainer (None when there is none)."""
        return self._trainer

    @trainer.setter
    def trainer(self, trainer: Any) -> None:
        pl.LightningModule.trainer.fset(self, trainer)  # type: ignore[attr-defined]

    def set_trainer(self, trainer: pl.Trainer | None) -> None:
        """Attach ``trainer`` and record the world size."""
        self._trainer = trainer
        self.set_world_size(trainer)

    def set_world_size(self, trainer: pl.Trainer | None) -> None:
        """``world_size = num_devices * num_nodes`` of ``trainer`` (1 without one), also in AppState."""
        self.world_size = 1
        if trainer is not None:
            self.world_size = int(trainer.num_devices * trainer.num_nodes)
        AppState().world_size = self.world_size

    @property
    def num_weights(self) -> int:
        """Number of trainable parameter elements."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def summarize(self, max_depth: int = 1) -> Any:
        """Lightning's model summary (``max_depth=0`` turns the layer table off)."""
        from lightning.pytorch.utilities.model_summary.model_summary import summarize

        return summarize(self, max_depth=max_depth)

    def prepare_test(self, trainer: pl.Trainer) -> bool:
        """Attach ``trainer`` if testing after training is safe: a ``test_ds`` exists and one device is used."""
        if "test_ds" not in self._cfg:
            logger.warning("No test_ds in the model config: set one up with setup_test_data() before testing")
            return False
        if trainer is not None and trainer.num_devices > 1:
            logger.warning("Testing on several devices can repeat samples; test with a single-device Trainer")
            return False
        self.set_trainer(trainer)
        return True

    def _update_dataset_config(self, dataset_name: str, config: Any) -> None:
        """Store ``config`` as ``cfg.<dataset_name>_ds`` (train, validation or test).

        Raises:
            ValueError: Another dataset name.
        """
        if dataset_name not in ("train", "validation", "test"):
            raise ValueError(f"dataset_name must be 'train', 'validation' or 'test'; got {dataset_name!r}")
        if config is None:
            return
        if not isinstance(config, DictConfig):
            config = OmegaConf.create(config)
        with open_dict(self._cfg):
            self._cfg[f"{dataset_name}_ds"] = config
        self.cfg = self._cfg

    # ------------------------------------------------------------------ GUIDs and restore state
    def _set_model_guid(self) -> None:
        if not hasattr(self, "model_guid"):
            app_state = AppState()
            self.model_guid = str(uuid.uuid4())
            path = app_state.model_restore_path if app_state.is_model_being_restored else None
            app_state.register_model_guid(self.model_guid, restoration_path=path)

    def propagate_model_guid(self) -> None:
        """Copy this model's GUID onto every sub-module (read by AccessMixin)."""
        for module in self.modules():
            if module is not self:
                setattr(module, "model_guid", self.model_guid)  # noqa: B010 - nn.Module attributes are untyped

    @staticmethod
    def _is_model_being_restored() -> bool:
        return AppState().is_model_being_restored

    @staticmethod
    def _set_model_restore_state(is_being_restored: bool, folder: str | None = None) -> None:
        app_state = AppState()
        app_state.is_model_being_restored = is_being_restored
        app_state.nemo_file_folder = folder

    # ------------------------------------------------------------------ artifacts and nesting
    def register_artifact(self, config_path: str, src: str, verify_src_exists: bool = True) -> Any:
        """Register a file to pack into the ``.nemo`` under ``config_path``; return a path to use now.

        See :meth:`SaveRestoreConnector.register_artifact` for the resolution rules.

        While a model is restored, ``src`` must be in the archive: a local file outside it is refused unless
        the restore allows it (``restore_from(..., allow_local_artifacts=True)``).

        Raises:
            ModelPTError: ``src`` is a ``.nemo`` file.
            ArtifactError: During a restore, ``src`` is a local file outside the archive (not allowed).
            FileNotFoundError: ``src`` cannot be found and ``verify_src_exists`` is True.
        """
        if not hasattr(self, "artifacts"):
            raise ModelPTError(
                "register_artifact was called before ModelPT.__init__; call super().__init__ first"
            )
        src = restored_artifact_source(config_path, src)
        path = self._save_restore_connector.register_artifact(self, config_path, src, verify_src_exists)
        if path:
            self.cfg = self._cfg
        return path

    def has_artifacts(self) -> bool:
        """True when this model registered artifacts."""
        return bool(getattr(self, "artifacts", None))

    def has_native_or_submodules_artifacts(self) -> bool:
        """True when this model or any ModelPT inside it registered artifacts."""
        return any(isinstance(m, ModelPT) and m.has_artifacts() for m in self.modules())

    def has_nemo_submodules(self) -> bool:
        """True when NeMo submodules were registered."""
        return bool(getattr(self, "_nemo_submodule_name_to_config_field", None))

    def register_nemo_submodule(self, name: str, config_field: str, model: ModelPT) -> None:
        """Attach ``model`` as attribute ``name``; its config is saved at ``config_field`` of this config.

        Raises:
            ModelPTError: ``model`` is not a ModelPT, or this is called before ``super().__init__``.
        """
        if not isinstance(model, ModelPT):
            raise ModelPTError(f"register_nemo_submodule needs a ModelPT; received {type(model).__name__}")
        if not hasattr(self, "_nemo_submodule_name_to_config_field"):
            raise ModelPTError(
                "register_nemo_submodule was called before ModelPT.__init__; call super().__init__ first"
            )
        setattr(self, name, model)
        self._nemo_submodule_name_to_config_field[name] = config_field

    def named_nemo_modules(
        self, prefix_name: str = "", prefix_config: str = ""
    ) -> Iterator[tuple[str, str, ModelPT]]:
        """Yield ``(attribute path, config path, model)`` for this model and its NeMo submodules, depth first."""
        yield prefix_name, prefix_config, self
        for name, field in self._nemo_submodule_name_to_config_field.items():
            child = getattr(self, name)
            child_name = f"{prefix_name}.{name}" if prefix_name else name
            child_config = f"{prefix_config}.{field}" if prefix_config else field
            yield from child.named_nemo_modules(child_name, child_config)

    # ------------------------------------------------------------------ save / restore
    def save_to(self, save_path: str) -> str | None:
        """Save config, weights and artifacts as a ``.nemo`` (or, with ``pack_nemo_file=False``, a folder).

        Under a sharded strategy (FSDP) every rank must call this: the full state dict is gathered onto
        rank 0, which alone writes. Writes are atomic.

        Returns:
            The saved path on global rank 0, None on other ranks.

        Raises:
            ArgumentTypeError: ``save_path`` is None or not a path.
            ArgumentValueError: ``save_path`` is empty or a URL.
        """
        save_path = check_path_argument("save_path", save_path, action="save")
        save_path = os.path.abspath(os.path.expanduser(save_path))
        state_dict = self._gather_full_state_dict()
        if state_dict is not None:
            self.__dict__["_state_dict_for_save"] = state_dict
        try:
            return self._save_restore_connector.save_to(self, save_path)
        finally:
            self.__dict__.pop("_state_dict_for_save", None)

    def _gather_full_state_dict(self) -> dict[str, Any] | None:
        """Under FSDP-like strategies, a full CPU state dict (collective: every rank calls); else None."""
        trainer = self._trainer
        strategy = getattr(trainer, "strategy", None) if trainer is not None else None
        if strategy is None or "FSDP" not in type(strategy).__name__:
            return None
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        return get_model_state_dict(self, options=options)

    @classmethod
    def restore_from(  # type: ignore[override]
        cls,
        restore_path: str,
        override_config_path: Any = None,
        map_location: Any = None,
        strict: bool = True,
        return_config: bool = False,
        save_restore_connector: SaveRestoreConnector | None = None,
        trainer: pl.Trainer | None = None,
        validate_access_integrity: bool = True,
        *,
        weights_only: bool = True,
        mmap: bool = False,
        check_integrity: bool = True,
        allow_local_artifacts: bool = False,
        allowed_modules: Iterable[str] = (),
    ) -> Any:
        """Restore a model from a ``.nemo`` file or unpacked folder (see :class:`SaveRestoreConnector`).

        Args:
            restore_path: The ``.nemo`` (or folder).
            override_config_path: YAML path or DictConfig replacing the stored config.
            map_location: Device (default: CUDA when available).
            strict: Passed to ``load_state_dict``.
            return_config: Return only the config.
            save_restore_connector: A custom connector.
            trainer: Passed to the constructor.
            validate_access_integrity: Accepted for NeMo compatibility.
            weights_only: Safe unpickling of the weights (default True); False runs code from the file.
            mmap: Use a memory map of the file as the model's weights instead of reading them into the model's
                own memory. HAZARD: the weights then stay backed by the file: overwriting it in place
                silently changes them, truncating it kills the process (SIGBUS). Default False.
            check_integrity: Check the weights' CRC-32 (or the manifest's SHA-256) while reading them
                (default True; ignored with ``mmap``).
            allow_local_artifacts: Let the stored config name local files outside the archive as artifacts
                (they are then read now and embedded by a later ``save_to``). Default False: refused. A
                config given as ``override_config_path`` is the caller's own, so its local paths are allowed.
            allowed_modules: Modules the config's ``target`` / ``_target_`` may import; by default only
                modules already imported are used (see ``modelpt.config_utils.restore_policy``).

        Returns:
            An instance of ``cls`` (or of the config's ``target`` when that subclasses ``cls``), or a config.

        Raises:
            ArgumentTypeError: ``restore_path`` is None or not a path.
            ArgumentValueError: ``restore_path`` is empty or a URL (those go through ``from_pretrained``).
            FileNotFoundError: Nothing at ``restore_path`` (or at the connector's ``model_extracted_dir``).
        """
        connector = save_restore_connector or SaveRestoreConnector()
        path = connector.model_extracted_dir or check_path_argument(
            "restore_path", restore_path, action="restore"
        )
        path = recover_interrupted_save(os.path.abspath(os.path.expanduser(str(path))))
        if not os.path.exists(path):
            raise FileNotFoundError(f"Can't find {path}")
        connector.weights_only = weights_only
        connector.mmap_weights = mmap
        connector.check_integrity = check_integrity
        AppState().model_restore_path = path
        cls.update_save_restore_connector(connector)
        outer = current_restore_policy()
        with restore_policy(
            # a config passed in override_config_path is the caller's own: its local paths are trusted
            allow_local_artifacts=(
                allow_local_artifacts or outer.allow_local_artifacts or override_config_path is not None
            ),
            allowed_modules=outer.allowed_modules | set(allowed_modules),
            root=True,
        ):
            instance = connector.restore_from(
                cls,
                path,
                override_config_path,
                map_location,
                strict,
                return_config,
                trainer,
                validate_access_integrity,
            )
        if isinstance(instance, ModelPT):
            instance._save_restore_connector = connector
        return instance

    @classmethod
    def update_save_restore_connector(cls, save_restore_connector: SaveRestoreConnector) -> None:
        """Make ``save_restore_connector`` the class's default connector."""
        cls._save_restore_connector = save_restore_connector

    @classmethod
    def extract_state_dict_from(
        cls,
        restore_path: str,
        save_dir: str,
        split_by_module: bool = False,
        save_restore_connector: SaveRestoreConnector | None = None,
    ) -> Any:
        """Write a ``.nemo``'s weights into ``save_dir`` (one file, or one per top-level module); return them."""
        connector = save_restore_connector or SaveRestoreConnector()
        return connector.extract_state_dict_from(restore_path, save_dir, split_by_module)

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: str,
        *args: Any,
        map_location: Any = None,
        hparams_file: str | None = None,
        strict: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Load a Lightning checkpoint (config from its hyper-parameters); data loaders are not set up.

        The checkpoint is unpickled with ``weights_only=True`` plus OmegaConf's config classes; pass
        ``weights_only=False`` for checkpoints you trust that hold other objects.
        """
        kwargs.setdefault("weights_only", True)
        previous = AppState().is_model_being_restored
        try:
            cls._set_model_restore_state(True)
            with torch.serialization.safe_globals(checkpoint_safe_globals()):
                return pl.LightningModule.load_from_checkpoint.__func__(  # type: ignore[attr-defined]
                    cls,
                    checkpoint_path,
                    *args,
                    map_location=map_location,
                    hparams_file=hparams_file,
                    strict=strict,
                    **kwargs,
                )
        finally:
            cls._set_model_restore_state(previous)

    # ------------------------------------------------------------------ data
    @abstractmethod
    def setup_training_data(self, train_data_config: DictConfig | dict[str, Any]) -> None:
        """Set ``self._train_dl`` from a training dataset config."""

    @abstractmethod
    def setup_validation_data(self, val_data_config: DictConfig | dict[str, Any]) -> None:
        """Set ``self._validation_dl`` from a validation dataset config."""

    def setup_test_data(self, test_data_config: DictConfig | dict[str, Any]) -> None:
        """Set ``self._test_dl`` from a test dataset config (optional).

        Raises:
            NotImplementedError: The subclass does not support testing.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement setup_test_data")

    def setup_multiple_validation_data(self, val_data_config: DictConfig | dict[str, Any]) -> None:
        """Set up one or several validation loaders (a list of paths → one loader each, named after them)."""
        self._val_dl_idx = 0
        self._validation_names = None
        self._validation_dl = None
        if not self._multi_dataset_mode:
            with open_dict(self._cfg):
                self._cfg.validation_ds = val_data_config
        resolve_validation_dataloaders(model=self)
        if self._validation_names is None and isinstance(self._validation_dl, (list, tuple)):
            self._validation_names = [f"val_{i}_" for i in range(len(self._validation_dl))]

    def setup_multiple_test_data(self, test_data_config: DictConfig | dict[str, Any]) -> None:
        """Set up one or several test loaders (a list of paths → one loader each, named after them)."""
        self._test_dl_idx = 0
        self._test_names = None
        self._test_dl = None
        if not self._multi_dataset_mode:
            with open_dict(self._cfg):
                self._cfg.test_ds = test_data_config
        resolve_test_dataloaders(model=self)
        if self._test_names is None and isinstance(self._test_dl, (list, tuple)):
            self._test_names = [f"test_{i}_" for i in range(len(self._test_dl))]

    def setup(self, stage: str | None = None) -> None:
        """Propagate the GUID and run data setups deferred with ``defer_setup: true``."""
        self.propagate_model_guid()
        cfg = self._cfg

        def deferred(key: str) -> bool:
            return cfg.get(key) is not None and bool(cfg.get(key).get("defer_setup", False))

        if stage == "fit" and self._train_dl is None and deferred("train_ds"):
            self.setup_training_data(cfg.train_ds)
        if stage in ("fit", "validate") and not self._validation_dl and deferred("validation_ds"):
            self.setup_multiple_validation_data(val_data_config=cfg.validation_ds)
        if stage == "test" and not self._test_dl and deferred("test_ds"):
            self.setup_multiple_test_data(test_data_config=cfg.test_ds)

    def train_dataloader(self) -> Any:
        """The training loader set by ``setup_training_data``."""
        return self._train_dl

    def val_dataloader(self) -> Any:
        """The validation loader(s); ``[]`` when none."""
        if self._validation_dl is None:
            self._validation_dl = []
        return self._validation_dl

    def test_dataloader(self) -> Any:
        """The test loader(s); ``[]`` when none."""
        if self._test_dl is None:
            self._test_dl = []
        return self._test_dl

    def _fresh_outputs(self, loaders: Any) -> list[Any]:
        if isinstance(loaders, (list, tuple)) and len(loaders) > 1:
            return [[] for _ in range(len(loaders))]
        return []

    @property
    def validation_step_outputs(self) -> Any:
        """Outputs cached by ``validation_step``: a list, or one list per loader with several loaders."""
        if self._validation_step_outputs is None:
            self._validation_step_outputs = self._fresh_outputs(self._validation_dl)
        return self._validation_step_outputs

    @validation_step_outputs.setter
    def validation_step_outputs(self, value: Any) -> None:
        self._validation_step_outputs = value

    @property
    def test_step_outputs(self) -> Any:
        """Outputs cached by ``test_step``: a list, or one list per loader with several loaders."""
        if self._test_step_outputs is None:
            self._test_step_outputs = self._fresh_outputs(self._test_dl)
        return self._test_step_outputs

    @test_step_outputs.setter
    def test_step_outputs(self, value: Any) -> None:
        self._test_step_outputs = value

    # ------------------------------------------------------------------ epoch-end aggregation
    def _aggregate(self, outputs: Any, is_val: bool, sync_metrics: bool) -> Any:
        if not outputs:
            return {}
        multi = self.multi_validation_epoch_end if is_val else self.multi_test_epoch_end
        if isinstance(outputs[0], dict):
            out = multi(outputs, dataloader_idx=0)
            if out is not None and "log" in out:
                self.log_dict(out.pop("log"), on_epoch=True, sync_dist=sync_metrics)
            outputs.clear()
            return out
        loss_key = "val_loss" if is_val else "test_loss"
        main_idx = self._val_dl_idx if is_val else self._test_dl_idx
        prefix_of = self.get_validation_dataloader_prefix if is_val else self.get_test_dataloader_prefix
        result: dict[str, Any] = {"log": {}}
        for idx, loader_outputs in enumerate(outputs):
            prefix = prefix_of(idx)
            logs = multi(loader_outputs, dataloader_idx=idx) or {}
            if loss_key in logs and loss_key not in result and idx == main_idx:
                result[loss_key] = logs[loss_key]
            for key, value in logs.items():
                if key == "log":
                    for log_key, log_value in value.items():
                        if log_key not in result["log"] and idx == main_idx:
                            result["log"][log_key] = log_value
                        result["log"][prefix + log_key] = log_value
                else:
                    result[prefix + key] = value
            loader_outputs.clear()
        self.log_dict(result.pop("log"), on_epoch=True, sync_dist=sync_metrics)
        return result

    def on_validation_epoch_end(self, sync_metrics: bool = False) -> Any:
        """Aggregate ``validation_step_outputs`` per loader through ``multi_validation_epoch_end`` and log.

        With several loaders, each loader's ``log`` entries are logged with its prefix; the loader at
        ``val_dl_idx`` also logs them (and ``val_loss``) under the bare name.
        """
        return self._aggregate(self.validation_step_outputs, True, sync_metrics)

    def on_test_epoch_end(self) -> Any:
        """Aggregate ``test_step_outputs`` per loader through ``multi_test_epoch_end`` and log."""
        return self._aggregate(self.test_step_outputs, False, False)

    def multi_validation_epoch_end(self, outputs: list[dict[str, Any]], dataloader_idx: int = 0) -> Any:
        """Reduce one loader's validation outputs to ``{..., 'log': {...}}`` (override; default warns)."""
        logger.warning(
            "multi_validation_epoch_end is not implemented by %s; override it to aggregate validation outputs",
            type(self).__name__,
        )
        return None

    def multi_test_epoch_end(self, outputs: list[dict[str, Any]], dataloader_idx: int = 0) -> Any:
        """Reduce one loader's test outputs to ``{..., 'log': {...}}`` (override; default warns)."""
        logger.warning(
            "multi_test_epoch_end is not implemented by %s; override it to aggregate test outputs",
            type(self).__name__,
        )
        return None

    def get_validation_dataloader_prefix(self, dataloader_idx: int = 0) -> str:
        """The log prefix of validation loader ``dataloader_idx``."""
        return (self._validation_names or [""])[dataloader_idx]

    def get_test_dataloader_prefix(self, dataloader_idx: int = 0) -> str:
        """The log prefix of test loader ``dataloader_idx``."""
        return (self._test_names or [""])[dataloader_idx]

    # ------------------------------------------------------------------ optimization
    def setup_optimizer_param_groups(self) -> None:
        """Build ``self._optimizer_param_groups``: one group per ``cfg.optim_param_groups`` entry, rest first.

        A parameter belongs to group ``g`` when its name is ``g`` or starts with ``g.`` (dot boundary).

        Raises:
            ValueError: A group names no attribute, or an attribute without parameters.
        """
        if "optim_param_groups" not in self._cfg or self._cfg.optim_param_groups is None:
            self._optimizer_param_groups = [{"params": list(self.parameters())}]
            return
        groups = []
        known = []
        for name, group_cfg in self._cfg.optim_param_groups.items():
            module = getattr(self, name, None)
            if module is None:
                raise ValueError(f"{name} not found in model.")
            if not hasattr(module, "parameters"):
                raise ValueError(f"{name} does not have parameters.")
            known.append(str(name))
            group: dict[str, Any] = {"params": list(module.parameters())}
            if group_cfg is not None:
                group.update(cast(dict[str, Any], OmegaConf.to_container(group_cfg, resolve=True)))
            groups.append(group)
        others = [
            p for n, p in self.named_parameters() if not any(n == g or n.startswith(g + ".") for g in known)
        ]
        if others:
            groups.insert(0, {"params": others})
        self._optimizer_param_groups = groups

    def setup_optimization(
        self,
        optim_config: DictConfig | dict[str, Any] | None = None,
        optim_kwargs: dict[str, Any] | None = None,
    ) -> Any:
        """Build optimizer and LR scheduler from ``optim_config`` (default ``cfg.optim``) via optim-registry.

        Precedence (NeMo's): ``_target_`` names the optimizer class, else ``name`` (default ``adam``); ``args``
        (parsed by ``parse_optimizer_args``) or the remaining keys are its arguments, then ``optim_kwargs``,
        then ``lr``. ``sched.max_steps`` comes from the trainer (``max_steps``, or the epochs/batches to infer
        it from).

        Returns:
            ``(optimizer, scheduler dict or None)``, or None when there is no optim config.

        Raises:
            ValueError: ``trainer.accumulate_grad_batches`` is not an int, or ``_target_`` is not an optimizer.
        """
        import optim_registry

        optim_kwargs = dict(optim_kwargs or {})
        self.setup_optimizer_param_groups()
        if optim_config is None:
            if self._cfg is not None and self._cfg.get("optim") is not None:
                optim_config = self._cfg.optim
            else:
                logger.info("No optimizer config provided, therefore no optimizer was created")
                return None
        elif isinstance(optim_config, DictConfig):
            optim_config = copy.deepcopy(optim_config)
        else:
            optim_config = OmegaConf.create(optim_config)
        if self._cfg is not None and "optim" in self._cfg:
            with open_dict(self._cfg):
                self._cfg.optim = optim_config
        config: dict[str, Any] = OmegaConf.to_container(optim_config, resolve=True)  # type: ignore[assignment]

        self._inject_schedule_length(config)
        scheduler_config = config.pop("sched", None)

        target = config.get("_target_")
        name = str(target).rsplit(".", 1)[-1].lower() if target else (config.get("name") or "adam")
        lr = config.get("lr")
        if "args" in config:
            args = optim_registry.parse_optimizer_args(name, config["args"])
        else:
            args = {k: v for k, v in config.items() if k not in ("name", "cls", "lr", "_target_")}
        args.update(optim_kwargs)
        if lr is not None:
            args["lr"] = lr

        if target:
            from modelpt.config_utils import import_class_by_path

            optimizer_cls = import_class_by_path(str(target))
            if not (isinstance(optimizer_cls, type) and issubclass(optimizer_cls, torch.optim.Optimizer)):
                raise ValueError(f"optim._target_ {target!r} is not a torch.optim.Optimizer subclass")
            optimizer = optimizer_cls(self._optimizer_param_groups, **args)
        else:
            optimizer = optim_registry.get_optimizer(name, **args)(self._optimizer_param_groups)
        self._optimizer = optimizer
        self._scheduler = optim_registry.prepare_lr_scheduler(
            optimizer=optimizer, scheduler_config=scheduler_config, train_dataloader=self._train_dl
        )
        return self._optimizer, self._scheduler

    def _inject_schedule_length(self, config: dict[str, Any]) -> None:
        """Put the trainer's ``max_steps`` (or what infers it) into ``config['sched']``, as NeMo does.

        Raises:
            ValueError: ``trainer.accumulate_grad_batches`` is not an int.
        """
        trainer = self._trainer
        if "sched" not in config or config["sched"] is None or trainer is None:
            return
        if not isinstance(trainer.accumulate_grad_batches, int):
            raise ValueError("The model only supports an integer trainer.accumulate_grad_batches")
        sched = config["sched"]
        if trainer.max_steps is None or trainer.max_steps < 0:
            sched["t_max_epochs"] = trainer.max_epochs
            sched["t_accumulate_grad_batches"] = trainer.accumulate_grad_batches
            sched["t_limit_train_batches"] = trainer.limit_train_batches
            app_state = AppState()
            if app_state.data_parallel_size is not None:
                sched["t_num_workers"] = app_state.data_parallel_size
            elif not app_state.model_parallel_size:
                sched["t_num_workers"] = trainer.num_devices * trainer.num_nodes
            else:
                sched["t_num_workers"] = (
                    trainer.num_devices * trainer.num_nodes
                ) / app_state.model_parallel_size
        else:
            sched["max_steps"] = trainer.max_steps

    def setup_megatron_optimization(self, optim_config: dict[str, Any] | DictConfig) -> Any:
        """Megatron-core distributed optimizers are out of scope.

        Raises:
            NotSupportedError: Always; use ``setup_optimization`` with a torch or optim-registry optimizer.
        """
        raise NotSupportedError(
            "setup_megatron_optimization is not supported by modelpt: Megatron-core optimizers and distributed "
            "checkpoints are out of scope. Configure `optim` with a torch or optim-registry optimizer and call "
            "setup_optimization()."
        )

    def configure_optimizers(self) -> Any:
        """Lightning hook: the optimizer alone, or ``([optimizer], [scheduler dict])``."""
        self.setup_optimization()
        if self._scheduler is None:
            return self._optimizer
        return [self._optimizer], [self._scheduler]

    # ------------------------------------------------------------------ pretrained weights
    def load_part_of_state_dict(
        self,
        state_dict: dict[str, Any],
        include: list[str],
        exclude: list[str],
        load_from_string: str | None = None,
    ) -> None:
        """Load the entries whose key contains an ``include`` substring and no ``exclude`` one (non-strict)."""
        excluded = []
        selected = {}
        for key, value in state_dict.items():
            if any(s in key for s in include) and not any(s in key for s in exclude):
                selected[key] = value
            else:
                excluded.append(key)
        self.load_state_dict(selected, strict=False)
        if load_from_string:
            logger.info("Model checkpoint partially restored from %s", load_from_string)
        if excluded:
            logger.info("Entries left out of the partial load: %s", excluded)

    def maybe_init_from_pretrained_checkpoint(self, cfg: Any, map_location: str = "cpu") -> None:
        """Initialise weights from ``init_from_nemo_model`` / ``init_from_pretrained_model`` / ``init_from_ptl_ckpt``.

        Runs on global rank 0 only (as in NeMo). A key counts as present even when null. Each accepts a path
        or name, or a dict of ``{any_name: {path|name, include: [""], exclude: []}}`` for partial loads.

        Raises:
            ValueError: More than one of the keys is present.
            TypeError: A value is neither a string nor a mapping.
        """
        from modelpt.distributed import is_global_rank_zero

        if not is_global_rank_zero():
            return
        keys = ("init_from_nemo_model", "init_from_pretrained_model", "init_from_ptl_ckpt")
        present = [k for k in keys if k in cfg]
        if not present:
            return
        if len(present) > 1:
            raise ValueError(f"Only one of {keys} may be given; the config has {present}")
        key = present[0]
        value = cfg.get(key)
        init_strict = cfg.get("init_strict", True)
        if value is None:
            return

        def load(source: str, kind: str) -> dict[str, Any]:
            if kind == "init_from_nemo_model":
                restored = type(self).restore_from(source, map_location=map_location, strict=init_strict)
            elif kind == "init_from_pretrained_model":
                restored = type(self).from_pretrained(source, map_location=map_location, strict=init_strict)
            else:
                with torch.serialization.safe_globals(checkpoint_safe_globals()):
                    ckpt = torch.load(source, map_location=map_location, weights_only=True)
                return ckpt["state_dict"]  # type: ignore[no-any-return]
            return restored.state_dict()  # type: ignore[no-any-return]

        if isinstance(value, str):
            if key != "init_from_nemo_model":
                with open_dict(cfg):
                    cfg.pop(key)
            self.load_state_dict(load(value, key), strict=False)
            logger.info("Model weights initialised from %s", value)
        elif isinstance(value, (dict, DictConfig)):
            source_key = "name" if key == "init_from_pretrained_model" else "path"
            for entry in value.values():
                source = entry.get(source_key)
                include = list(entry.get("include", [""]))
                exclude = list(entry.get("exclude", []))
                self.load_part_of_state_dict(load(source, key), include, exclude, source)
        else:
            raise TypeError(f"{key} must be a string or a mapping; got {type(value).__name__}")

    # ------------------------------------------------------------------ debug info, profiling, dynamic freezing
    def on_fit_start(self) -> None:
        """Register the ``dump_debug_info`` hooks (norms logged per batch, CSVs with ``dump_debug_info_to_file``)."""
        if self._cfg.get("dump_debug_info", False) and self._debug_hooks is None:
            dump_dir = None
            if self._cfg.get("dump_debug_info_to_file", False):
                trainer = self._trainer
                base = (trainer.log_dir or trainer.default_root_dir) if trainer is not None else os.getcwd()
                dump_dir = Path(base) / "debug_info"
            self._debug_hooks = DebugHooks(
                self, global_rank(), dump_dir, step=lambda: self._trainer.global_step if self._trainer else 0
            )

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int, unused: int = 0) -> None:
        """Close profiling windows whose end step has come; log this batch's ``dump_debug_info`` norms.

        ``unused`` is NeMo's (and old Lightning's ``dataloader_idx``) fourth parameter, accepted and ignored.
        """
        if self._nemo_profiler:
            self._nemo_profiler.on_batch_end(batch_idx, global_rank())
        if self._debug_hooks is not None:
            metrics = self._debug_hooks.flush()
            if metrics:
                self.log_dict(metrics, on_step=True, on_epoch=False)

    def on_train_start(self) -> None:
        """Copy ``cfg.freeze_updates`` for dynamic freezing."""
        freeze_cfg = self._cfg.get("freeze_updates")
        if freeze_cfg is not None and freeze_cfg.get("enabled", False):
            modules = OmegaConf.to_container(freeze_cfg.get("modules", {}), resolve=True)
            self._freeze_cfg = {"modules": modules, "is_frozen": dict.fromkeys(modules, False)}  # type: ignore[arg-type]

    def on_train_batch_start(self, batch: Any, batch_idx: int, unused: int = 0) -> int | None:
        """Open profiling windows whose start step has come; freeze / unfreeze modules per ``freeze_updates``."""
        if self._nemo_profiler:
            self._nemo_profiler.on_batch_start(batch_idx, global_rank(), self.device)
        if self._freeze_cfg is None or not self.training or self._trainer is None:
            return None
        step = self._trainer.global_step + 1
        for name, steps in self._freeze_cfg["modules"].items():
            if isinstance(steps, list):
                assert len(steps) == 2, f"freeze_updates.modules.{name} must be [start, end]; got {steps}"
                start, end = steps
                should = start <= step and (step <= end or end == -1)
            else:
                should = step <= steps or steps == -1
            module = getattr(self, name)
            if should and not self._freeze_cfg["is_frozen"][name]:
                _freeze_module(module)
                module.train()
                self._freeze_cfg["is_frozen"][name] = True
            elif not should and self._freeze_cfg["is_frozen"][name]:
                _unfreeze_module(module)
                self._freeze_cfg["is_frozen"][name] = False
        return None

    def _cleanup_on_execution_end(self) -> None:
        if self._freeze_cfg is not None:
            for name, frozen in self._freeze_cfg["is_frozen"].items():
                if frozen:
                    _unfreeze_module(getattr(self, name))
            self._freeze_cfg = None
        self._validation_step_outputs = None
        self._test_step_outputs = None

    def on_train_end(self) -> None:
        """Close open profiling windows, remove debug hooks, drop dynamic-freezing state and output caches."""
        if self._nemo_profiler:
            self._nemo_profiler.close(global_rank())
        if self._debug_hooks is not None:
            self._debug_hooks.remove()
            self._debug_hooks = None
        self._cleanup_on_execution_end()

    def on_test_end(self) -> None:
        """Drop dynamic-freezing state and output caches."""
        self._cleanup_on_execution_end()

    def on_predict_end(self) -> None:
        """Drop dynamic-freezing state and output caches."""
        self._cleanup_on_execution_end()

    def teardown(self, stage: str) -> None:
        """Remove ``PL_TRAINER_GPUS`` after fit (as NeMo does)."""
        if stage == "fit" and "PL_TRAINER_GPUS" in os.environ:
            os.environ.pop("PL_TRAINER_GPUS")
        super().teardown(stage)
