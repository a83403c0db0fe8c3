"""``nemo.core.config.hydra_runner``: ``hydra_runner``."""

from modelpt import hydra_runner

__all__ = ["hydra_runner"]
