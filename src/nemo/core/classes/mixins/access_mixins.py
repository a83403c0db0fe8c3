"""``nemo.core.classes.mixins.access_mixins``: ``AccessMixin``."""

from modelpt import AccessMixin, set_access_cfg

__all__ = ["AccessMixin", "set_access_cfg"]
