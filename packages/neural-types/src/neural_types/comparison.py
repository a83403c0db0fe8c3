"""The result of comparing two neural types."""

from __future__ import annotations

from enum import Enum

__all__ = ["NeuralTypeComparisonResult"]


class NeuralTypeComparisonResult(Enum):
    """How a neural type A relates to a neural type B in ``A.compare(B)``.

    ``LESS`` means A is a subtype of B; ``GREATER`` means B is a subtype of A.
    """

    SAME = 0
    LESS = 1
    GREATER = 2
    DIM_INCOMPATIBLE = 3
    TRANSPOSE_SAME = 4
    CONTAINER_SIZE_MISMATCH = 5
    INCOMPATIBLE = 6
    SAME_TYPE_INCOMPATIBLE_PARAMS = 7
    UNCHECKED = 8
