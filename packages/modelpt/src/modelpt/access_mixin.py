# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""``AccessMixin``: modules register intermediate tensors that a model (or a loss) reads back later.

The access config and the enabled flags are process-global and keyed by model GUID (``"default"`` for modules
outside a model), as in NeMo.
"""

from __future__ import annotations

from abc import ABC
from typing import Any

import torch

__all__ = ["AccessMixin", "set_access_cfg"]

_ACCESS_CFG: dict[str, Any] = {}
_ACCESS_ENABLED: dict[str, bool] = {"default": False}


def _default_cfg() -> Any:
    from omegaconf import DictConfig

    return DictConfig({"detach": False, "convert_to_cpu": False})


def set_access_cfg(cfg: Any, guid: str | None = None) -> None:
    """Set the access config of model ``guid`` (``"default"`` when None).

    Raises:
        TypeError: ``cfg`` is not a DictConfig.
    """
    from omegaconf import DictConfig

    if cfg is None or not isinstance(cfg, DictConfig):
        raise TypeError(f"cfg must be a DictConfig, got {type(cfg).__name__}")
    _ACCESS_CFG[guid or "default"] = cfg


class AccessMixin(ABC):  # an ABC as in NeMo, with no abstract methods
    """Lets a module record tensors (``register_accessible_tensor``) for later access by name."""

    _registry: dict[str, list[Any]]
    model_guid: str | None

    def __init__(self) -> None:
        super().__init__()
        self._registry = {}

    def _guid(self) -> str:
        return getattr(self, "model_guid", None) or "default"

    def register_accessible_tensor(self, name: str, tensor: torch.Tensor) -> None:
        """Append ``tensor`` to this module's registry under ``name`` (detached / moved to CPU per access_cfg)."""
        if not hasattr(self, "_registry"):
            self._registry = {}
        cfg = self.access_cfg
        if cfg.get("convert_to_cpu", False):
            tensor = tensor.cpu()
        if cfg.get("detach", False):
            tensor = tensor.detach()
        self._registry.setdefault(name, []).append(tensor)

    @classmethod
    def get_module_registry(cls, module: torch.nn.Module) -> dict[str, dict[str, list[Any]]]:
        """Map each sub-module name (qualified) to its non-empty registry."""
        out = {}
        for name, m in module.named_modules():
            registry = getattr(m, "_registry", None)
            if isinstance(m, AccessMixin) and registry:
                out[name] = registry
        return out

    def reset_registry(self: Any, registry_key: str | None = None) -> None:
        """Clear the registries of this module and its children (one key, or all) and disable access.

        Raises:
            KeyError: ``registry_key`` is not in a registry that exists.
        """
        modules = self.modules() if isinstance(self, torch.nn.Module) else [self]
        for m in modules:
            if isinstance(m, AccessMixin) and hasattr(m, "_registry"):
                if registry_key is None:
                    m._registry.clear()
                elif registry_key in m._registry:
                    m._registry.pop(registry_key)
                else:
                    raise KeyError(f"registry key {registry_key!r} not found; keys: {sorted(m._registry)}")
        AccessMixin.set_access_enabled(False, self._guid())

    @property
    def access_cfg(self) -> Any:
        """The access config of this module's model (created empty on first use)."""
        if hasattr(self, "propagate_model_guid"):
            self.propagate_model_guid()
        guid = self._guid()
        if guid not in _ACCESS_CFG:
            _ACCESS_CFG[guid] = _default_cfg() if guid == "default" else _empty_cfg()
        return _ACCESS_CFG[guid]

    @classmethod
    def update_access_cfg(cls, cfg: dict[str, Any], guid: str | None = None) -> None:
        """Merge ``cfg`` into the access config of ``guid``."""
        key = guid or "default"
        current = _ACCESS_CFG.setdefault(key, _empty_cfg())
        for k, v in cfg.items():
            current[k] = v

    @classmethod
    def is_access_enabled(cls, guid: str | None = None) -> bool:
        """Whether registration is on for ``guid``."""
        return _ACCESS_ENABLED.get(guid or "default", False)

    @classmethod
    def set_access_enabled(cls, access_enabled: bool, guid: str | None = None) -> None:
        """Turn registration on or off for ``guid``."""
        _ACCESS_ENABLED[guid or "default"] = access_enabled


def _empty_cfg() -> Any:
    from omegaconf import DictConfig

    return DictConfig({})
