# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""``Serialization`` (build objects from configs) and ``FileIO`` (save/restore interfaces).

``from_config_dict`` follows NeMo: ``_target_`` configs go through Hydra's ``instantiate``; ``target`` configs
(what ModelPT writes) name the model class, used only under the subclass rule of decisions.md; otherwise the
class it is called on is built with ``cfg=`` (and ``trainer=`` when its constructor takes one).
"""

from __future__ import annotations

import inspect
import logging
import os
from abc import ABC
from typing import TYPE_CHECKING, Any

from modelpt.config_utils import (
    check_instantiable_targets,
    convert_model_config_to_dict_config,
    maybe_update_config_version,
    resolve_target_class,
)
from modelpt.errors import ConfigError

if TYPE_CHECKING:
    from omegaconf import DictConfig

__all__ = ["Serialization", "FileIO"]

logger = logging.getLogger(__name__)


def _build(cls: type, config: Any, trainer: Any) -> Any:
    """``cls(cfg=config, trainer=trainer)`` if the constructor takes ``trainer``, else ``cls(cfg=config)``."""
    params = inspect.signature(cls).parameters
    if "trainer" in params:
        return cls(cfg=config, trainer=trainer)
    return cls(cfg=config)


class Serialization(ABC):  # an ABC as in NeMo, with no abstract methods
    """Mixin that builds objects from configs and turns them back into configs."""

    _cfg: Any

    @classmethod
    def from_config_dict(cls, config: Any, trainer: Any = None) -> Any:
        """Instantiate an object from a config (dict, DictConfig or dataclass).

        Args:
            config: The config. ``_target_`` → Hydra ``instantiate`` (nested ``_target_`` entries must name
                modules, datasets, optimizers, schedulers, Serialization subclasses or dataclasses);
                ``target`` → that class if it is a subclass of ``cls`` (else ``cls``); neither → ``cls``.
            trainer: Passed to the constructor when it accepts ``trainer``.

        Returns:
            The new object; its ``_cfg`` is set to the config when the constructor did not set it.

        Raises:
            ConfigError: ``config`` is not a dict, DictConfig or dataclass.
            TargetClassError: ``target`` names a class outside ``cls``'s hierarchy, or a ``_target_`` names
                something config-driven instantiation may not build.
        """
        from omegaconf import DictConfig

        config = convert_model_config_to_dict_config(config)
        if not isinstance(config, DictConfig):
            raise ConfigError(f"config must resolve to a DictConfig, got {type(config).__name__}")
        config = maybe_update_config_version(config, make_copy=False)

        if "_target_" in config:
            check_instantiable_targets(config, base=cls)
            import hydra.utils

            instance = hydra.utils.instantiate(config=config)
        else:
            chosen = resolve_target_class(config.get("target"), cls)
            instance = _build(chosen, config, trainer)
        if not hasattr(instance, "_cfg"):
            instance._cfg = config
        return instance

    def to_config_dict(self) -> DictConfig:
        """Return the object's config (resolved, version-updated), storing it back.

        Raises:
            NotImplementedError: The object has no ``_cfg``.
        """
        cfg = getattr(self, "_cfg", None)
        if cfg is None:
            raise NotImplementedError(
                f"{type(self).__name__} has no _cfg; objects built without a config cannot be serialized"
            )
        config = maybe_update_config_version(convert_model_config_to_dict_config(cfg), make_copy=False)
        self._cfg = config
        return config  # type: ignore[no-any-return]


class FileIO(ABC):  # noqa: B024 - an ABC as in NeMo, with no abstract methods
    """Interface for saving to and restoring from files; ModelPT implements the ``.nemo`` methods."""

    def save_to(self, save_path: str) -> Any:
        """Save the object to ``save_path`` (implemented by ModelPT).

        Raises:
            NotImplementedError: Always, in this base class.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement save_to")

    @classmethod
    def restore_from(
        cls,
        restore_path: str,
        override_config_path: str | None = None,
        map_location: Any = None,
        strict: bool = True,
        return_config: bool = False,
        trainer: Any = None,
        save_restore_connector: Any = None,
    ) -> Any:
        """Restore an object from ``restore_path`` (implemented by ModelPT).

        Raises:
            NotImplementedError: Always, in this base class.
        """
        raise NotImplementedError(f"{cls.__name__} does not implement restore_from")

    @classmethod
    def from_config_file(cls, path2yaml_file: str) -> Any:
        """Build an instance (random weights) from a YAML config file.

        Raises:
            NotImplementedError: ``cls`` is not a Serialization.
        """
        if not issubclass(cls, Serialization):
            raise NotImplementedError(
                f"{cls.__name__} is not a Serialization; it cannot be built from a config"
            )
        from omegaconf import OmegaConf

        conf = OmegaConf.load(path2yaml_file)
        return cls.from_config_dict(config=conf)

    def to_config_file(self, path2yaml_file: str) -> None:
        """Write the object's config (resolved) as UTF-8 YAML, atomically.

        Raises:
            NotImplementedError: The object has no ``_cfg``.
        """
        cfg = getattr(self, "_cfg", None)
        if cfg is None:
            raise NotImplementedError(f"{type(self).__name__} has no _cfg; there is no config to write")
        from omegaconf import OmegaConf

        self._cfg = maybe_update_config_version(convert_model_config_to_dict_config(cfg), make_copy=False)
        from modelpt.config_utils import config_for_save

        # resolver calls such as ${oc.env:X} are written as text, never as their values
        text = OmegaConf.to_yaml(OmegaConf.create(config_for_save(self._cfg)))
        atomic_write_text(path2yaml_file, text)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` as strict UTF-8 through the project's one atomic write.

    See ``nemo_archive.atomic_write``: temp file beside ``path``, fsync, rename, directory fsync; a replaced file
    keeps its mode, a new one gets the umask's; the folder is created if needed; nothing is left on errors.

    Raises:
        UnicodeEncodeError: ``text`` holds characters UTF-8 cannot encode (nothing is written).
        OSError: The write failed (``nemo_archive.DiskFullError`` for a full disk); ``path`` is as it was.
    """
    from nemo_archive import write_text_atomic

    write_text_atomic(path, text)
