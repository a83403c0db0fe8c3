"""``nemo.core.neural_types.neural_type``: re-exports :mod:`neural_types.neural_type`."""

from neural_types.neural_type import *  # noqa: F403
