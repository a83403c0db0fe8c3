"""``NeuralType``: axes plus element type, and the comparison rules between two neural types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neural_types._runtime import is_compiling
from neural_types.axes import AxisKind, AxisType
from neural_types.comparison import NeuralTypeComparisonResult
from neural_types.elements import ElementType, VoidType
from neural_types.errors import NeuralPortNameMismatchError, NeuralPortNmTensorMismatchError, NeuralTypeError

__all__ = [
    "NeuralPortNameMismatchError",
    "NeuralPortNmTensorMismatchError",
    "NeuralType",
    "NeuralTypeError",
]

_R = NeuralTypeComparisonResult

# Axis declarations given as strings are converted once per distinct tuple; NeMo modules rebuild their
# types in a property on every call, so this keeps ``NeuralType(("B", "T"), ...)`` cheap.
_STRING_AXES_CACHE: dict[tuple[str, ...], tuple[AxisType, ...]] = {}


def _axes_from_strings(axes: tuple[str, ...]) -> tuple[AxisType, ...]:
    cached = _STRING_AXES_CACHE.get(axes)
    if cached is None:
        cached = tuple(AxisType(AxisKind.from_str(label)) for label in axes)
        if len(_STRING_AXES_CACHE) < 4096:
            _STRING_AXES_CACHE[axes] = cached
    return cached


def _validate_axes(axes: Sequence[Any]) -> tuple[AxisType, ...]:
    """Check an axes declaration and convert it to a tuple of :class:`AxisType`.

    Raises:
        ValueError: For mixed or malformed declarations, or a list axis after a tensor axis.
    """
    if isinstance(axes, str):
        raise ValueError(
            f"axes={axes!r} is a single string; pass a tuple of labels such as ('B', 'T') "
            "or a tuple of AxisType objects."
        )
    axes = tuple(axes)
    if not axes:
        return axes
    if all(isinstance(axis, str) for axis in axes):
        return _axes_from_strings(axes)
    if not all(isinstance(axis, AxisType) for axis in axes):
        received = ", ".join(type(axis).__name__ for axis in axes)
        raise ValueError(
            f"axes must be all strings (e.g. ('B', 'T')) or all AxisType objects; received ({received})."
        )
    seen_tensor_axis = False
    for axis in axes:
        if axis.is_list and seen_tensor_axis:
            raise ValueError(
                f"axes={axes}: a list axis (is_list=True) cannot follow a tensor axis; "
                "put every list axis before the tensor axes."
            )
        seen_tensor_axis = seen_tensor_axis or not axis.is_list
    return axes


class NeuralType:
    """The type of a value flowing between modules: its axes and what its elements mean.

    Args:
        axes: A tuple of axis labels (``("B", "T", "D")``) or of :class:`AxisType`; None for "any shape".
        elements_type: An :class:`ElementType` *instance*; None means :class:`VoidType`.
        optional: True when a module input of this type may be omitted.

    Raises:
        ValueError: If ``elements_type`` is not an ElementType instance (a class, say) or ``axes`` is
            malformed.
    """

    __slots__ = ("_key", "axes", "elements_type", "optional")

    def __init__(
        self,
        axes: Sequence[str] | Sequence[AxisType] | None = None,
        elements_type: ElementType | None = None,
        optional: bool = False,
    ) -> None:
        if elements_type is None:
            elements_type = VoidType()
        elif not isinstance(elements_type, ElementType):
            received = elements_type.__name__ if isinstance(elements_type, type) else repr(elements_type)
            raise ValueError(
                f"elements_type must be an ElementType instance, received {received}; "
                "write e.g. ChannelType() rather than ChannelType."
            )
        self.elements_type = elements_type
        self.axes: tuple[AxisType, ...] | None = None if axes is None else _validate_axes(axes)
        self.optional = optional
        self._key: Any = None

    def __str__(self) -> str:
        return f"axes: {self.axes}; elements_type: {type(self.elements_type).__name__}"

    def __repr__(self) -> str:
        axes = tuple(repr(axis) for axis in self.axes) if self.axes is not None else None
        suffix = ", optional=True" if self.optional else ""
        return f"NeuralType(axis={axes}, element_type={self.elements_type!r}{suffix})"

    def __eq__(self, other: object) -> bool:
        """True iff ``self.compare(other)`` is SAME (NeMo returns an always-truthy enum instead)."""
        if not isinstance(other, NeuralType):
            return False
        return self.compare(other) is _R.SAME

    # ``==`` is "compares SAME", which is neither symmetric nor compatible with any hash.
    __hash__ = None  # type: ignore[assignment]

    def _axes_key(self) -> tuple[tuple[Any, Any, bool], ...] | None:
        if self.axes is None:
            return None
        return tuple((axis.kind, axis.size, axis.is_list) for axis in self.axes)

    def _cache_key(self) -> Any:
        """A hashable description of this type, or None when a parameter or field is unhashable."""
        key = self._key
        if key is None:
            elem = self.elements_type
            if type(elem).compare not in _CACHEABLE_COMPARES:
                # A custom compare() may depend on state the key does not capture.
                self._key = False
                return None
            try:
                key = (
                    type(elem),
                    tuple(sorted(elem.type_parameters.items())),
                    elem.fields,
                    self._axes_key(),
                )
                hash(key)
            except TypeError:
                key = False
            self._key = key
        return key or None

    def compare(self, second: NeuralType) -> NeuralTypeComparisonResult:
        """Compare this type (A) with ``second`` (B), exactly as NeMo does.

        A trailing ``Any`` axis in A resets the axis-match flag, so it masks earlier axis mismatches; this
        upstream quirk is kept because existing declarations depend on it.

        Returns:
            The comparison result; SAME and GREATER mean a value of type B may feed a port of type A.
        """
        if is_compiling():
            return _R.SAME
        first_key = self._cache_key()
        second_key = second._cache_key() if first_key is not None else None
        if second_key is not None:
            pair = (first_key, second_key)
            cached = _COMPARE_CACHE.get(pair)
            if cached is None:
                cached = self._compare_uncached(second)
                if len(_COMPARE_CACHE) < 65536:
                    _COMPARE_CACHE[pair] = cached
            return cached
        return self._compare_uncached(second)

    def _compare_uncached(self, second: NeuralType) -> NeuralTypeComparisonResult:
        if self.axes is None:
            if isinstance(self.elements_type, VoidType):
                return _R.SAME
            if second.axes is None:
                return self.elements_type.compare(second.elements_type)
            return _R.INCOMPATIBLE
        axes_code = _compare_axes(self.axes, second.axes)
        elements = self.elements_type.compare(second.elements_type)
        if axes_code == 0:
            return elements
        if axes_code == 1:
            return _R.TRANSPOSE_SAME if elements is _R.SAME else _R.INCOMPATIBLE
        if axes_code == 2:
            return _R.DIM_INCOMPATIBLE if elements is _R.SAME else _R.INCOMPATIBLE
        return _R.INCOMPATIBLE

    def compare_and_raise_error(self, parent_type_name: str, port_name: str, second_object: Any) -> None:
        """Raise if ``second_object.ntype`` cannot feed this type.

        Raises:
            NeuralPortNmTensorMismatchError: When the result is neither SAME nor GREATER.
        """
        result = self.compare(second_object.ntype)
        if result not in (_R.SAME, _R.GREATER):
            raise NeuralPortNmTensorMismatchError(
                parent_type_name, port_name, str(self), str(second_object.ntype), result
            )


_COMPARE_CACHE: dict[tuple[Any, Any], NeuralTypeComparisonResult] = {}
_CACHEABLE_COMPARES = (ElementType.compare, VoidType.compare)


def _compare_axes(first: tuple[AxisType, ...] | None, second: tuple[AxisType, ...] | None) -> int:
    """Return 0 (same), 1 (transposed), 2 (same kinds, different sizes) or 3 (incompatible)."""
    if first is None and second is None:
        return 0
    if first is None or second is None or len(first) != len(second):
        return 3
    first_sizes: dict[Any, int | None] = {}
    second_sizes: dict[Any, int | None] = {}
    same = True
    for a, b in zip(first, second):
        first_sizes[a.kind] = a.size
        second_sizes[b.kind] = b.size
        if a.kind == AxisKind.Any:
            same = True
        elif a.kind != b.kind or a.is_list != b.is_list or (a.size is not None and a.size != b.size):
            same = False
    if same:
        return 0
    if first_sizes.keys() == second_sizes.keys():
        if any(first_sizes[kind] != second_sizes[kind] for kind in first_sizes):
            return 2
        return 1
    return 3
