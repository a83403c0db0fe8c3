"""``nemo.core.config``: optimizer/scheduler parameter dataclasses and ``hydra_runner``, loaded on first use."""

from nemo._lazy import attach

_EXPORTS = {
    "hydra_runner": "modelpt",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
