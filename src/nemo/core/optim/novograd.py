"""``nemo.core.optim.novograd``: ``Novograd`` (optim-registry)."""

from optim_registry.novograd import Novograd

__all__ = ["Novograd"]
