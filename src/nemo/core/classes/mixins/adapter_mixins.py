"""``nemo.core.classes.mixins.adapter_mixins``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "AdapterConfig",
    "AdapterModelPTMixin",
    "AdapterModuleMixin",
    "AdapterRegistryInfo",
    "get_registered_adapter",
    "register_adapter",
    "update_module_class_with_adapter_class",
]


class AdapterConfig(Unported):
    """NeMo's ``AdapterConfig``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixins.AdapterConfig"


class AdapterModelPTMixin(Unported):
    """NeMo's ``AdapterModelPTMixin``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixins.AdapterModelPTMixin"


class AdapterModuleMixin(Unported):
    """NeMo's ``AdapterModuleMixin``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixins.AdapterModuleMixin"


class AdapterRegistryInfo(Unported):
    """NeMo's ``AdapterRegistryInfo``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixins.AdapterRegistryInfo"


def get_registered_adapter(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_registered_adapter``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.classes.mixins.adapter_mixins.get_registered_adapter")


def register_adapter(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``register_adapter``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.classes.mixins.adapter_mixins.register_adapter")


def update_module_class_with_adapter_class(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``update_module_class_with_adapter_class``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.classes.mixins.adapter_mixins.update_module_class_with_adapter_class")
