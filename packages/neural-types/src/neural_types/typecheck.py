"""The ``Typing`` mixin and the ``@typecheck()`` decorator.

A class that mixes in :class:`Typing` declares ``input_types`` and ``output_types``: dicts from argument name
to :class:`~neural_types.NeuralType`, or to a *container spec* (a list nested N levels around one NeuralType,
for inputs and outputs that are lists of tensors). Methods decorated with ``@typecheck()`` then

* require keyword arguments when inputs are typed,
* check the number and names of inputs, the rank of every value with a ``.shape`` (torch tensors, numpy
  arrays, anything array-like; torch is never imported here), the nesting depth of containers, and the
  neural type of values that already carry one (*semantic* checks),
* attach ``.neural_type`` to the outputs.

Per-declaration metadata and per-type-pair comparisons are cached, so the checks cost a few microseconds.
Checks can be switched off globally (:meth:`typecheck.set_typecheck_enabled`) or in a block
(:meth:`typecheck.disable_checks`), and are skipped while TorchScript or ``torch.compile`` compiles the code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import Enum
from typing import Any, TypeVar, cast

from neural_types._runtime import is_compiling
from neural_types.comparison import NeuralTypeComparisonResult
from neural_types.neural_type import NeuralType

__all__ = [
    "TypecheckMetadata",
    "Typing",
    "is_semantic_typecheck_enabled",
    "is_typecheck_enabled",
    "typecheck",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_ACCEPTED = (NeuralTypeComparisonResult.SAME, NeuralTypeComparisonResult.GREATER)
_CONTAINERS = (list, tuple)


class _State:
    """Process-wide switches, read on every call so they take effect immediately."""

    __slots__ = ("enabled", "semantic", "wrapping")

    def __init__(self) -> None:
        self.enabled = True
        self.semantic = True
        self.wrapping = True


_STATE = _State()


def is_typecheck_enabled() -> bool:
    """Return True when ``@typecheck()`` methods check and tag their arguments."""
    return _STATE.enabled


def is_semantic_typecheck_enabled() -> bool:
    """Return True when neural types carried by inputs are compared with the declared ones."""
    return _STATE.semantic


class Typing:
    """Mixin declaring the neural types of a class's inputs and outputs.

    Override the two properties in subclasses; the defaults (None) mean "untyped".
    """

    @property
    def input_types(self) -> Mapping[str, Any] | None:
        """Map each input name to a :class:`NeuralType` or a container spec, or None when untyped."""
        return None

    @property
    def output_types(self) -> Mapping[str, Any] | None:
        """Map each output name to a :class:`NeuralType` or a container spec, or None when untyped."""
        return None


def _unwrap(name: str, spec: Any) -> tuple[NeuralType, int]:
    """Return the NeuralType inside a container spec and the spec's nesting depth."""
    depth = 0
    while isinstance(spec, _CONTAINERS):
        if len(spec) != 1:
            raise TypeError(
                f"Type declaration of {name!r} is a container with {len(spec)} elements; a container spec "
                "must hold exactly one NeuralType at every level, e.g. [NeuralType(...)] or [[NeuralType(...)]]."
            )
        spec = spec[0]
        depth += 1
    if not isinstance(spec, NeuralType):
        raise TypeError(
            f"Type declaration of {name!r} must be a NeuralType or a list nested around one; "
            f"received {type(spec).__name__}."
        )
    return spec, depth


class TypecheckMetadata:
    """What a types dict implies for checking: base types, container depths and mandatory names.

    Args:
        original_types: The declared types dict.
        ignore_collections: When True, containers are not depth-checked and outputs are matched by position.

    Raises:
        TypeError: If a container spec holds more than one element at some level.
    """

    __slots__ = (
        "base_types",
        "container_depth",
        "has_container_types",
        "ignore_collections",
        "is_singular_container_type",
        "mandatory_types",
        "names",
        "original_types",
    )

    def __init__(self, original_types: Mapping[str, Any], ignore_collections: bool) -> None:
        self.original_types = original_types
        self.ignore_collections = ignore_collections
        self.base_types: dict[str, NeuralType] = {}
        self.container_depth: dict[str, int] = {}
        for name, spec in original_types.items():
            if type(spec) is NeuralType:
                self.base_types[name] = spec
                self.container_depth[name] = 0
            else:
                self.base_types[name], self.container_depth[name] = _unwrap(name, spec)
        self.names = tuple(self.base_types)
        self.has_container_types = not ignore_collections and any(self.container_depth.values())
        self.is_singular_container_type = self.has_container_types and len(self.base_types) == 1
        self.mandatory_types = {name: t for name, t in self.base_types.items() if not t.optional}


class _MetadataSlot:
    """Caches the metadata of the last types dict seen (one slot: a property returning a new dict each call
    must not grow memory; a constant dict, the usual case, hits every time)."""

    __slots__ = ("ignore_collections", "meta", "types")

    def __init__(self, ignore_collections: bool) -> None:
        self.ignore_collections = ignore_collections
        self.types: Any = None
        self.meta: TypecheckMetadata | None = None

    def get(self, types: Mapping[str, Any]) -> TypecheckMetadata:
        meta = self.meta
        if types is self.types and meta is not None:
            return meta
        meta = TypecheckMetadata(types, self.ignore_collections)
        self.types, self.meta = types, meta
        return meta


def _describe(where: str) -> str:
    return f"in {where}" if where else ""


def _check_semantics(where: str, name: str, declared: NeuralType, value: Any) -> None:
    received = getattr(value, "neural_type", None)
    if received is None or not isinstance(received, NeuralType):
        return
    result = declared.compare(received)
    if result not in _ACCEPTED:
        raise TypeError(
            f"{result}: input type mismatch for {name!r} {_describe(where)}.\n"
            f"  expected: {declared!r}\n  received: {received!r}\n"
            f"  expected element parameters: {declared.elements_type.type_parameters}\n"
            f"  received element parameters: {received.elements_type.type_parameters}\n"
            "Pass a value of the declared type, or disable semantic checks with "
            "typecheck.disable_semantic_checks()."
        )


def _check_rank(where: str, kind: str, name: str, declared: NeuralType, value: Any) -> None:
    shape = getattr(value, "shape", None)
    if shape is None or declared.axes is None:
        return
    if len(shape) != len(declared.axes):
        raise TypeError(
            f"{kind} shape mismatch for {name!r} {_describe(where)}: the declared type has "
            f"{len(declared.axes)} axes {declared.axes}, the value has {len(shape)} dimensions "
            f"(shape {tuple(shape)})."
        )


def _check_depth(where: str, name: str, depth: int, expected: int) -> None:
    raise TypeError(
        f"Nested depth of value for {name!r} {_describe(where)} did not match: the declaration nests "
        f"{expected} level(s) of lists, the value's leaf is at depth {depth}."
    )


def _check_input_container(
    where: str, name: str, declared: NeuralType, value: Any, depth: int, meta: TypecheckMetadata, semantic: bool
) -> None:
    if isinstance(value, _CONTAINERS):
        for item in value:
            _check_input_container(where, name, declared, item, depth + 1, meta, semantic)
        return
    if not meta.ignore_collections and depth != meta.container_depth[name]:
        _check_depth(where, name, depth, meta.container_depth[name])
    if semantic:
        _check_semantics(where, name, declared, value)
    _check_rank(where, "Input", name, declared, value)


def _validate_inputs(where: str, meta: TypecheckMetadata, kwargs: dict[str, Any]) -> None:
    n_given, n_declared, n_mandatory = len(kwargs), len(meta.base_types), len(meta.mandatory_types)
    if n_given < n_mandatory or n_given > n_declared:
        missing = [name for name in meta.mandatory_types if name not in kwargs]
        raise TypeError(
            f"Number of input arguments provided ({n_given}) {_describe(where)} is not as expected: "
            f"it must be between {n_mandatory} (mandatory) and {n_declared} (declared). "
            f"Declared inputs: {list(meta.names)}; missing mandatory inputs: {missing}."
        )
    semantic = _STATE.semantic
    base_types = meta.base_types
    for name, value in kwargs.items():
        declared = base_types.get(name)
        if declared is None:
            raise TypeError(
                f"Input argument {name!r} {_describe(where)} has no declared type; declared inputs are "
                f"{list(meta.names)}. Rename the argument or add it to input_types."
            )
        if value is None:
            continue
        if semantic:
            _check_semantics(where, name, declared, value)
        if getattr(value, "shape", None) is not None:
            _check_rank(where, "Input", name, declared, value)
        elif isinstance(value, _CONTAINERS):
            for item in value:
                _check_input_container(where, name, declared, item, 1, meta, semantic)


def _attach(where: str, name: str, declared: NeuralType, value: Any, depth: int, expected: int, strict: bool) -> None:
    if isinstance(value, _CONTAINERS):
        for item in value:
            _attach(where, name, declared, item, depth + 1, expected, strict)
        return
    if strict and depth != expected:
        _check_depth(where, name, depth, expected)
    try:
        value.neural_type = declared
    except Exception:  # noqa: S110 - ints, strings and slotted objects cannot carry a type; that is fine
        pass
    _check_rank(where, "Output", name, declared, value)


def _attach_outputs(where: str, meta: TypecheckMetadata, outputs: Any) -> None:
    is_container = isinstance(outputs, _CONTAINERS)
    n_out = len(outputs) if is_container else 1
    if not meta.is_singular_container_type and not (
        len(meta.mandatory_types) <= n_out <= len(meta.base_types)
    ):
        raise TypeError(
            f"Number of output arguments returned ({n_out}) {_describe(where)} is not as expected: it must be "
            f"between {len(meta.mandatory_types)} (mandatory) and {len(meta.base_types)} (declared). "
            f"Declared outputs: {list(meta.names)}."
        )
    strict = not meta.ignore_collections
    if not is_container:
        name = meta.names[0]
        declared = meta.base_types[name]
        try:
            outputs.neural_type = declared
        except Exception:  # noqa: S110 - see _attach
            pass
        _check_rank(where, "Output", name, declared, outputs)
        return
    if meta.is_singular_container_type:
        name = meta.names[0]
        start = 0 if isinstance(outputs, tuple) and len(outputs) == 1 else 1
        for item in outputs:
            _attach(where, name, meta.base_types[name], item, start, meta.container_depth[name], strict)
        return
    for name, item in zip(meta.names, outputs):
        _attach(where, name, meta.base_types[name], item, 0, meta.container_depth[name], strict)


_PORTS_CHECKED: dict[type, bool] = {}


def _instance_of(args: tuple[Any, ...], where: str) -> Any:
    instance = args[0] if args else None
    if not isinstance(instance, Typing):
        received = "no instance" if instance is None else f"an instance of {type(instance).__name__}"
        raise RuntimeError(
            f"@typecheck() on {where} needs a method of a class that mixes in Typing (e.g. NeuralModule); "
            f"it was called with {received}. Decorate a method of a Typing subclass."
        )
    cls = type(instance)
    legacy = _PORTS_CHECKED.get(cls)
    if legacy is None:
        legacy = hasattr(cls, "input_ports") or hasattr(cls, "output_ports")
        _PORTS_CHECKED[cls] = legacy
    if legacy:
        raise RuntimeError(
            f"{cls.__name__} defines `input_ports`/`output_ports`, the pre-1.0 NeMo API; "
            "rename them to `input_types`/`output_types`."
        )
    return instance


class typecheck:  # noqa: N801 - NeMo's public name
    """Decorator that checks a method's inputs and tags its outputs with their neural types.

    Always use it with parentheses: ``@typecheck()``.

    Args:
        input_types: A types dict that overrides the instance's ``input_types`` for this method only.
        output_types: A types dict that overrides the instance's ``output_types`` for this method only.
        ignore_collections: Skip container nesting checks and match outputs to declarations by position.

    Raises:
        TypeError: At call time, for positional arguments to a method with typed inputs, wrong argument count
            or names, a rank or nesting mismatch, or an incompatible neural type.
        RuntimeError: At call time, when the decorated callable is not a method of a :class:`Typing` class.
    """

    class TypeState(Enum):
        """Marks a types argument that was not given (the instance's own declaration applies)."""

        UNINITIALIZED = 0

    def __init__(
        self,
        input_types: TypeState | Mapping[str, Any] | None = TypeState.UNINITIALIZED,
        output_types: TypeState | Mapping[str, Any] | None = TypeState.UNINITIALIZED,
        ignore_collections: bool = False,
    ) -> None:
        self.input_types = input_types
        self.output_types = output_types
        self.input_override = input_types is not typecheck.TypeState.UNINITIALIZED
        self.output_override = output_types is not typecheck.TypeState.UNINITIALIZED
        self.ignore_collections = ignore_collections

    def __call__(self, wrapped: _F) -> _F:
        """Wrap ``wrapped``; returns it unchanged while wrapping is disabled by :meth:`enable_wrapping`."""
        if not _STATE.wrapping:
            return wrapped
        if not callable(wrapped):
            raise TypeError(
                f"@typecheck() decorates callables, received {type(wrapped).__name__}; "
                "did you write @typecheck instead of @typecheck()?"
            )
        state = _STATE
        where = getattr(wrapped, "__qualname__", repr(wrapped))
        in_slot = _MetadataSlot(self.ignore_collections)
        out_slot = _MetadataSlot(self.ignore_collections)
        fixed_in = self.input_types if self.input_override else None
        fixed_out = self.output_types if self.output_override else None
        input_override, output_override = self.input_override, self.output_override

        @functools.wraps(wrapped)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not state.enabled:
                return wrapped(*args, **kwargs)
            instance = _instance_of(args, where)
            if is_compiling():
                return wrapped(*args, **kwargs)
            input_types = fixed_in if input_override else instance.input_types
            output_types = fixed_out if output_override else instance.output_types
            if input_types is not None:
                if len(args) > 1:
                    raise TypeError(
                        f"All arguments must be passed by kwargs only for typed methods: {where} received "
                        f"{len(args) - 1} positional argument(s). Call it as "
                        f"{where.rsplit('.', 1)[-1]}({', '.join(f'{n}=...' for n in input_types)})."
                    )
                _validate_inputs(where, in_slot.get(input_types), kwargs)
            outputs = wrapped(*args, **kwargs)
            if output_types is not None:
                _attach_outputs(where, out_slot.get(output_types), outputs)
            return outputs

        return cast(_F, wrapper)

    @staticmethod
    def set_typecheck_enabled(enabled: bool = True) -> None:
        """Switch all type checks (and output tagging) on or off, process-wide."""
        _STATE.enabled = bool(enabled)

    @staticmethod
    @contextmanager
    def disable_checks() -> Iterator[None]:
        """Disable type checks inside a ``with`` block, restoring the previous setting on exit."""
        previous = _STATE.enabled
        _STATE.enabled = False
        try:
            yield
        finally:
            _STATE.enabled = previous

    @staticmethod
    def set_semantic_check_enabled(enabled: bool = True) -> None:
        """Switch neural-type comparisons of inputs on or off; rank, count and nesting checks stay on."""
        _STATE.semantic = bool(enabled)

    @staticmethod
    @contextmanager
    def disable_semantic_checks() -> Iterator[None]:
        """Disable semantic checks inside a ``with`` block, restoring the previous setting on exit."""
        previous = _STATE.semantic
        _STATE.semantic = False
        try:
            yield
        finally:
            _STATE.semantic = previous

    @staticmethod
    def enable_wrapping(enabled: bool = True) -> None:
        """Make later ``@typecheck()`` decorations wrap (True) or return the function untouched (False).

        This acts at decoration time, unlike :meth:`set_typecheck_enabled`; it also sets the enabled flag.
        """
        _STATE.wrapping = bool(enabled)
        _STATE.enabled = bool(enabled)
