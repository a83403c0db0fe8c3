"""``nemo.utils.callbacks.preemption``: ``PreemptionCallback``."""

from expmanager.stopping import PreemptionCallback

__all__ = ["PreemptionCallback"]
