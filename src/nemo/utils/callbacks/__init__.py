"""``nemo.utils.callbacks``: exp_manager's checkpoint, preemption and timing callbacks, loaded on first use."""

from nemo._lazy import attach

_EXPORTS = {
    "NeMoModelCheckpoint": "expmanager",
    "PreemptionCallback": "expmanager",
    "EMA": "expmanager",
    "TimingCallback": "expmanager",
    "DeltaTimingCallback": "expmanager",
    "IPLEpochStopper": "expmanager",
    "StatelessTimer": "expmanager",
    "RNGStateCallback": "expmanager",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
