# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""Config helpers shared by Serialization, ModelPT and the connector (omegaconf imported lazily).

NeMo's rules: dataclass configs become structured OmegaConf configs, interpolations are resolved once when a
model is built, and legacy ``cls`` / ``params`` keys are rewritten to Hydra's ``_target_`` form.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from modelpt.errors import ConfigError, TargetClassError

__all__ = [
    "convert_model_config_to_dict_config",
    "maybe_update_config_version",
    "import_class_by_path",
    "resolve_target_class",
    "check_instantiable_targets",
    "to_dict_config",
]


def to_dict_config(cfg: Any) -> Any:
    """Return ``cfg`` (dict, DictConfig or dataclass) as a DictConfig without resolving it.

    Raises:
        ConfigError: ``cfg`` is none of those.
    """
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return cfg
    if dataclasses.is_dataclass(cfg):
        return OmegaConf.structured(cfg)
    if isinstance(cfg, dict):
        return OmegaConf.create(cfg)
    raise ConfigError(
        f"cfg must be a dict, an omegaconf DictConfig or a dataclass instance; received {type(cfg).__name__}. "
        "Wrap plain values in a mapping, e.g. {'hidden': 16}."
    )


def convert_model_config_to_dict_config(cfg: Any) -> Any:
    """Return a fresh, resolved DictConfig (interpolations evaluated once) built from ``cfg``.

    Raises:
        ConfigError: ``cfg`` is not a dict, DictConfig or dataclass.
    """
    from omegaconf import OmegaConf

    cfg = to_dict_config(cfg)
    config = OmegaConf.to_container(cfg, resolve=True)
    return OmegaConf.create(config)


def maybe_update_config_version(cfg: Any, make_copy: bool = True) -> Any:
    """Rewrite legacy keys in place (or in a copy): ``cls`` → ``_target_`` and ``params:`` flattened.

    ``target`` (ModelPT's class path) is left alone. The result is put in struct mode, as in NeMo.
    """
    from omegaconf import DictConfig, OmegaConf

    if not isinstance(cfg, DictConfig):
        return cfg
    if make_copy:
        cfg = OmegaConf.create(OmegaConf.to_container(cfg))
    OmegaConf.set_struct(cfg, False)
    _update(cfg)
    OmegaConf.set_struct(cfg, True)
    return cfg


def _update(node: Any) -> None:
    from omegaconf import DictConfig, ListConfig

    if isinstance(node, DictConfig):
        if "cls" in node and "_target_" not in node:
            node["_target_"] = node.pop("cls")
        if "params" in node and isinstance(node.get("params"), DictConfig) and "_target_" in node:
            params = node.pop("params")
            for key, value in params.items():
                node[key] = value
        for key in list(node.keys()):
            _update(node.get(key))
    elif isinstance(node, ListConfig):
        for item in node:
            _update(item)


def import_class_by_path(path: str) -> Any:
    """Import ``package.module.Name`` (nested attributes allowed) and return the object.

    Raises:
        ImportError: No module of the path can be imported or the attribute does not exist.
    """
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:split])
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            for attr in parts[split:]:
                obj = getattr(obj, attr)
        except AttributeError as exc:
            raise ImportError(f"{module_name!r} has no attribute path {'.'.join(parts[split:])!r}") from exc
        return obj
    raise ImportError(f"cannot import {path!r}: no module along the path could be imported")


def resolve_target_class(target: str | None, base: type) -> type:
    """Choose the class to instantiate for a config with ``target`` when ``base.from_config_dict`` is called.

    The subclass rule (decisions.md): the class named by ``target`` is used only if it is a subclass of
    ``base``; if ``base`` is itself a subclass of the target class (calling a subclass wins), or the target
    cannot be imported, ``base`` is used.

    Raises:
        TargetClassError: ``target`` imports to something that is neither a subclass nor a base of ``base``.
    """
    if not target:
        return base
    try:
        found = import_class_by_path(target)
    except ImportError:
        return base
    if isinstance(found, type) and issubclass(found, base):
        return found
    if isinstance(found, type) and issubclass(base, found):
        return base
    raise TargetClassError(
        f"config target {target!r} is {found!r}, which is not a subclass of {base.__module__}.{base.__qualname__}; "
        f"only subclasses of the class restore_from/from_config_dict is called on are instantiated. Call it "
        f"on the target's own class, or fix 'target' in the config."
    )


def _allowed_instantiation(obj: Any) -> bool:
    """Classes that config-driven ``_target_`` instantiation may build: modules, datasets, optimizers, ..."""
    if not isinstance(obj, type):
        return False
    if dataclasses.is_dataclass(obj):
        return True
    import torch

    from modelpt.serialization import Serialization

    bases: tuple[type, ...] = (
        torch.nn.Module,
        torch.utils.data.Dataset,
        torch.utils.data.Sampler,
        torch.optim.Optimizer,
        torch.optim.lr_scheduler.LRScheduler,
        Serialization,
    )
    return issubclass(obj, bases)


def check_instantiable_targets(cfg: Any, path: str = "") -> None:
    """Refuse ``_target_`` entries (at any depth) that name functions or classes outside the allowed kinds.

    Allowed: subclasses of ``torch.nn.Module``, ``Dataset``, ``Sampler``, ``Optimizer``, ``LRScheduler``,
    ``Serialization``, and dataclasses. A ``.nemo`` config is untrusted input: ``_target_: os.system`` must
    not run. Targets that cannot be imported are left for Hydra to report.

    Raises:
        TargetClassError: A ``_target_`` names something else.
    """
    from omegaconf import DictConfig, ListConfig

    if isinstance(cfg, (dict, DictConfig)):
        target = cfg.get("_target_")
        if isinstance(target, str):
            try:
                obj = import_class_by_path(target)
            except ImportError:
                obj = None
            if obj is not None and not _allowed_instantiation(obj):
                raise TargetClassError(
                    f"_target_ {target!r} at {path or '<root>'} is {obj!r}; config-driven instantiation only "
                    "builds torch modules, datasets, samplers, optimizers, LR schedulers, Serialization "
                    "subclasses and dataclasses. Instantiate anything else in code."
                )
        for key, value in cfg.items():
            check_instantiable_targets(value, f"{path}.{key!s}" if path else str(key))
    elif isinstance(cfg, (list, tuple, ListConfig)):
        for i, value in enumerate(cfg):
            check_instantiable_targets(value, f"{path}.{i}")
