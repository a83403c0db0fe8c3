"""``nemo.core.neural_types.elements``: re-exports :mod:`neural_types.elements`."""

from neural_types.elements import *  # noqa: F403

# In NeMo these exist in the module without being listed in its ``__all__``; code imports them by name.
from neural_types.elements import NormalDistributionSamplesType, ProbabilityDistributionSamplesType  # noqa: F401
