"""``nemo.core.neural_types``: re-exports :mod:`neural_types` (axes, element types, NeuralType)."""

from neural_types.axes import *  # noqa: F403
from neural_types.comparison import *  # noqa: F403
from neural_types.elements import *  # noqa: F403
from neural_types.neural_type import *  # noqa: F403
