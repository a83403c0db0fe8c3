"""``nemo.core.neural_types.elements``: re-exports :mod:`neural_types.elements`."""

from neural_types.elements import *  # noqa: F403
