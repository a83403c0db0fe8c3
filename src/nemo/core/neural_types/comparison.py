"""``nemo.core.neural_types.comparison``: re-exports :mod:`neural_types.comparison`."""

from neural_types.comparison import *  # noqa: F403
