"""``nemo.core.neural_types.axes``: re-exports :mod:`neural_types.axes`."""

from neural_types.axes import *  # noqa: F403
