"""``NeuralType``: axes plus element type, and the comparison rules between two neural types."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from neural_types._runtime import under_compiler
from neural_types.axes import AxisKind, AxisType
from neural_types.comparison import NeuralTypeComparisonResult
from neural_types.elements import ElementType, VoidType
from neural_types.errors import NeuralPortNameMismatchError, NeuralPortNmTensorMismatchError, NeuralTypeError

# typing is only needed by type checkers; importing it at run time would cost a few ms of import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "NeuralPortNameMismatchError",
    "NeuralPortNmTensorMismatchError",
    "NeuralType",
    "NeuralTypeError",
]

_R = NeuralTypeComparisonResult

# Comparison results are cached per pair of type *structures*. Each distinct structure (element class,
# parameters, fields, axes) is interned to a small int once, so the cache also hits for the fresh objects
# that NeMo-style ``input_types`` properties build on every call.
_INTERNED: dict[tuple[Any, ...], int] = {}
# Keys are never reused, even if a table is emptied or swapped: NeuralType objects and the tables below hold
# keys for as long as they live, and a reused key would name two structures.
_NEXT_KEY = itertools.count()
_MAX_INTERNED = 65536
_COMPARE_CACHE: dict[tuple[int, int], NeuralTypeComparisonResult] = {}
_MAX_COMPARE_CACHE = 65536


def _intern(structure: tuple[Any, ...]) -> int:
    """Return the int naming ``structure``, or -1 when it is unhashable or the table is full."""
    try:
        key = _INTERNED.get(structure)
    except TypeError:  # an unhashable parameter or field value
        return -1
    if key is None:
        if len(_INTERNED) >= _MAX_INTERNED:
            return -1
        key = _INTERNED[structure] = next(_NEXT_KEY)
    return key


def _axes_id(axes: tuple[AxisType, ...]) -> int:
    # id(kind): enum members live as long as the process, and hashing an int beats Enum.__hash__
    return _intern(("axes", *((id(axis.kind), axis.size, axis.is_list) for axis in axes)))


# Axis declarations given as strings are converted once per distinct tuple, with their interned id, so that
# ``NeuralType(("B", "T"), ...)`` in a property costs little. Each entry also holds the cache keys already
# known for element classes compared by class alone (keyed by class; shared with _KEYS_BY_AID), so such a
# NeuralType is born with its key and a comparison of a fresh declaration is two dict lookups.
_STRING_AXES_CACHE: dict[tuple[str, ...], tuple[tuple[AxisType, ...], int, dict[type, int]]] = {}
_MAX_STRING_AXES = 4096
_KEYS_BY_AID: dict[int, dict[type, int]] = {}

# Element classes already seen to be ElementType subclasses (a set lookup beats an ABC isinstance check), and
# how each class can be cached: 0 = by class alone, 1 = with its parameters and fields, 2 = never (it
# overrides ``compare``, whose result may depend on anything).
_ELEMENT_CLASSES: set[type] = set()
_CLASS_CACHING: dict[type, int] = {}


def _class_caching(cls: type[ElementType]) -> int:
    mode = _CLASS_CACHING.get(cls)
    if mode is None:
        if cls.compare not in (ElementType.compare, VoidType.compare):
            mode = 2
        elif cls.type_parameters is ElementType.type_parameters and cls.fields is ElementType.fields:
            mode = 0
        else:
            mode = 1
        _CLASS_CACHING[cls] = mode
    return mode


def _axes_from_strings(axes: tuple[str, ...]) -> tuple[tuple[AxisType, ...], int, dict[type, int]]:
    entry = _STRING_AXES_CACHE.get(axes)
    if entry is None:
        converted = tuple(AxisType(AxisKind.from_str(label)) for label in axes)
        aid = _axes_id(converted)
        entry = (converted, aid, _KEYS_BY_AID.setdefault(aid, {}) if aid >= 0 else {})
        if len(_STRING_AXES_CACHE) < _MAX_STRING_AXES:
            _STRING_AXES_CACHE[axes] = entry
    return entry


def _validate_axes(axes: Sequence[Any]) -> tuple[tuple[AxisType, ...], int | None, dict[type, int] | None]:
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
        return axes, None, None
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
    return axes, None, None


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

    __slots__ = ("_aid", "_key", "axes", "elements_type", "optional")

    def __init__(
        self,
        axes: Sequence[str] | Sequence[AxisType] | None = None,
        elements_type: ElementType | None = None,
        optional: bool = False,
    ) -> None:
        cls = type(elements_type)
        if cls not in _ELEMENT_CLASSES:
            if elements_type is None:
                elements_type = VoidType()
                cls = VoidType
            elif not isinstance(elements_type, ElementType):
                received = elements_type.__name__ if isinstance(elements_type, type) else repr(elements_type)
                raise ValueError(
                    f"elements_type must be an ElementType instance, received {received}; "
                    "write e.g. ChannelType() rather than ChannelType."
                )
            else:
                _ELEMENT_CLASSES.add(cls)
        # Past the check above, the class is a known ElementType subclass (None became VoidType()).
        self.elements_type: ElementType = elements_type  # type: ignore[assignment]
        self.optional = optional
        if axes is None:
            self.axes: tuple[AxisType, ...] | None = None
            self._aid: int | None = -2  # the id of "no axes"
            self._key: int | None = None
            return
        try:
            entry = _STRING_AXES_CACHE.get(axes)  # type: ignore[call-overload]
        except TypeError:  # unhashable: a list, or a tuple holding one; _validate_axes converts or reports it
            entry = None
        self.axes, self._aid, keys = entry if entry is not None else _validate_axes(axes)
        self._key = keys.get(cls) if keys else None

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

    def _cache_key(self) -> int:
        """A small int naming this type's structure for the comparison cache; -1 when it cannot be cached.

        Equal structure (element class, parameters, fields, axes) gives the same int, so fresh objects built
        on every call still hit the cache.
        """
        key = self._key
        if key is not None:
            return key
        elem = self.elements_type
        cls = type(elem)
        mode = _class_caching(cls)
        aid = self._aid
        if aid is None:
            aid = self._aid = _axes_id(self.axes or ())
        if aid == -1:  # the axes could not be interned
            key = -1
        elif mode == 0:
            key = _intern((cls, aid))
            _KEYS_BY_AID.setdefault(aid, {})[cls] = key
        elif mode == 1:
            params = elem.type_parameters
            key = _intern((cls, aid, tuple(sorted(params.items())), elem.fields))
        else:
            key = -1
        self._key = key
        return key

    def compare(self, second: NeuralType) -> NeuralTypeComparisonResult:
        """Compare this type (A) with ``second`` (B), exactly as NeMo does.

        A trailing ``Any`` axis in A resets the axis-match flag, so it masks earlier axis mismatches; this
        upstream quirk is kept because existing declarations depend on it.

        Returns:
            The comparison result; SAME and GREATER mean a value of type B may feed a port of type A.
        """
        if under_compiler():
            return _R.SAME
        return self._compare_cached(second)

    def _compare_cached(self, second: NeuralType) -> NeuralTypeComparisonResult:
        """``compare`` without the compiler check (callers on the hot path have done it)."""
        first_key = self._key
        if first_key is None:
            first_key = self._cache_key()
        second_key = second._key
        if second_key is None:
            second_key = second._cache_key()
        if first_key < 0 or second_key < 0:
            return self._compare_uncached(second)
        pair = (first_key, second_key)
        result = _COMPARE_CACHE.get(pair)
        if result is None:
            result = self._compare_uncached(second)
            if len(_COMPARE_CACHE) < _MAX_COMPARE_CACHE:
                _COMPARE_CACHE[pair] = result
        return result

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
        """Raise if ``second_object`` cannot feed this type.

        Args:
            parent_type_name: The module (or parent type) owning the port, for the message.
            port_name: The port being fed, for the message.
            second_object: A :class:`NeuralType` (as documented), or a legacy object carrying one as ``.ntype``.

        Raises:
            NeuralPortNmTensorMismatchError: When the result is neither SAME nor GREATER.
        """
        second = second_object if isinstance(second_object, NeuralType) else second_object.ntype
        result = self.compare(second)
        if result not in (_R.SAME, _R.GREATER):
            raise NeuralPortNmTensorMismatchError(parent_type_name, port_name, str(self), str(second), result)


def _compare_axes(first: tuple[AxisType, ...] | None, second: tuple[AxisType, ...] | None) -> int:
    """Return 0 (same), 1 (transposed), 2 (same kinds, different sizes) or 3 (incompatible)."""
    if first is None and second is None:
        return 0
    if first is None or second is None or len(first) != len(second):
        return 3
    first_sizes: dict[Any, int | None] = {}
    second_sizes: dict[Any, int | None] = {}
    same = True
    for a, b in zip(first, second, strict=True):
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
