"""The ``Typing`` mixin and the ``@typecheck()`` decorator.

A class that mixes in :class:`Typing` declares ``input_types`` and ``output_types``: dicts from argument name
to :class:`~neural_types.NeuralType`, or to a *container spec* (a list nested N levels around one NeuralType,
for inputs and outputs that are lists of tensors). Methods decorated with ``@typecheck()`` then

* require keyword arguments when inputs are typed,
* check the number and names of inputs, the rank of every value with a ``.shape`` (torch tensors, numpy
  arrays, anything array-like; torch is never imported here), the nesting depth of containers, and the
  neural type of values that already carry one (*semantic* checks),
* attach ``.neural_type`` to the outputs.

Per-declaration metadata and per-type-pair comparisons are cached, and the wrapper's hot path is generated
per signature shape (see ``_wrapper``), so the checks cost a few microseconds; this module holds the helpers
that path calls for everything off the common case, which also build every error message.
Checks can be switched off globally (:meth:`typecheck.set_typecheck_enabled`) or in a block
(:meth:`typecheck.disable_checks`), and are skipped while TorchScript or ``torch.compile`` compiles the code.
"""

from __future__ import annotations

import functools
from abc import ABCMeta
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import Enum

from neural_types import _runtime as runtime
from neural_types import _wrapper
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

# typing is only needed by type checkers; importing it at run time would cost a few ms of import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    _F = TypeVar("_F", bound=Callable[..., Any])

_ACCEPTED = (NeuralTypeComparisonResult.SAME, NeuralTypeComparisonResult.GREATER)
_CONTAINERS = (list, tuple)


class _AcceptedPairs(dict):  # type: ignore[type-arg]
    """Declared key -> received keys of neural types already seen to be compatible; see _check_semantics.

    A missing declared key reads as the empty set, so the wrapper's lookup needs no branch and no exception.
    """

    def __missing__(self, key: Any) -> frozenset[int]:
        return _NONE_ACCEPTED


_NONE_ACCEPTED: frozenset[int] = frozenset()
_ACCEPTED_PAIRS: dict[int, set[int]] = _AcceptedPairs()
_MAX_ACCEPTED_PAIRS = 65536
_accepted_count = 0


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


class Typing(metaclass=ABCMeta):  # noqa: B024 - an ABC as in NeMo, with no abstract methods
    """Mixin declaring the neural types of a class's inputs and outputs (an ABC, as in NeMo).

    Override the two properties in subclasses; the defaults (None) mean "untyped".

    The protected methods NeMo's subclasses customise are here with NeMo's signatures:
    ``_validate_input_types(input_types, ignore_collections, **kwargs)``,
    ``_attach_and_validate_output_types(out_objects, ignore_collections, output_types)`` and the per-object
    ``__check_neural_type`` / ``__attach_neural_type`` (reached from subclasses as
    ``_Typing__check_neural_type`` / ``_Typing__attach_neural_type``). A class that overrides any of them is
    checked by calling them, as NeMo does; other classes take the generated fast path, which checks the same.
    """

    # TorchScript compiles the properties of a scripted module unless told otherwise; type declarations are
    # Python-only metadata.
    __jit_unused_properties__: ClassVar[list[str]] = ["input_types", "output_types"]

    @property
    def input_types(self) -> Mapping[str, Any] | None:
        """Map each input name to a :class:`NeuralType` or a container spec, or None when untyped."""
        return None

    @property
    def output_types(self) -> Mapping[str, Any] | None:
        """Map each output name to a :class:`NeuralType` or a container spec, or None when untyped."""
        return None

    def _validate_input_types(
        self, input_types: Mapping[str, Any] | None = None, ignore_collections: bool = False, **kwargs: Any
    ) -> None:
        """Check keyword inputs against ``input_types``: count, names, neural types, ranks and nesting.

        Containers are walked element by element through ``__check_neural_type`` (depth 1 for the elements of
        the outermost list), so a subclass overriding that hook sees every leaf.

        Raises:
            TypeError: Wrong number of inputs, an undeclared name, or a failed check.
        """
        if input_types is None:
            return
        where = _where_of(self)
        _check_input_count(where, input_types, kwargs, ignore_collections)
        metadata = TypecheckMetadata(input_types, ignore_collections)
        semantic = _STATE.semantic
        for name, value in kwargs.items():
            if name not in input_types:
                _validate_input(where, input_types, name, value, ignore_collections, semantic)
            if value is None:
                continue
            declared = metadata.base_types[name]
            if semantic:
                _check_semantics(where, name, declared, value)
            if _ndim(value) is not None:
                _check_rank(where, "Input", name, declared, value)
            elif isinstance(value, _CONTAINERS):
                for item in value:
                    self.__check_neural_type(item, metadata, depth=1, name=name)

    def _attach_and_validate_output_types(
        self,
        out_objects: Any,
        ignore_collections: bool = False,
        output_types: Mapping[str, Any] | None = None,
    ) -> None:
        """Attach ``.neural_type`` to the outputs and check their count, ranks and nesting.

        Elements of returned containers are tagged through ``__attach_neural_type``.

        Raises:
            TypeError: Wrong number of outputs, or a rank or nesting mismatch.
        """
        if output_types is None:
            return
        where = _where_of(self)
        metadata = TypecheckMetadata(output_types, ignore_collections)
        if not isinstance(out_objects, _CONTAINERS):
            _attach_outputs(where, output_types, out_objects, ignore_collections)
            return
        n_out = len(out_objects)
        if not metadata.is_singular_container_type and (
            n_out > len(metadata.names) or n_out < len(metadata.mandatory_types)
        ):
            raise _count_error(where, "output", n_out, metadata, [])
        if metadata.is_singular_container_type:
            name = metadata.names[0]
            start = 0 if isinstance(out_objects, tuple) and n_out == 1 else 1
            for item in out_objects:
                self.__attach_neural_type(item, metadata, depth=start, name=name)
            return
        for name, item in zip(metadata.names, out_objects, strict=False):
            self.__attach_neural_type(item, metadata, depth=0, name=name)

    def __check_neural_type(
        self, obj: Any, metadata: TypecheckMetadata, depth: int, name: str | None = None
    ) -> None:
        """Check one input value found at nesting ``depth`` of the input ``name`` (lists are walked).

        Raises:
            TypeError: The leaf's depth differs from the declaration, or its neural type or rank does not fit.
        """
        if isinstance(obj, _CONTAINERS):
            for item in obj:
                self.__check_neural_type(item, metadata, depth + 1, name=name)
            return
        key = name if name is not None else metadata.names[0]
        expected = -1 if metadata.ignore_collections else metadata.depth(key)
        _check_input_container(
            _where_of(self), key, metadata.base_types[key], obj, depth, expected, _STATE.semantic
        )

    def __attach_neural_type(
        self, obj: Any, metadata: TypecheckMetadata, depth: int, name: str | None = None
    ) -> None:
        """Tag one output value found at nesting ``depth`` of the output ``name`` (lists are walked).

        Raises:
            TypeError: The leaf's depth differs from the declaration, or its rank does not fit.
        """
        if isinstance(obj, _CONTAINERS):
            for item in obj:
                self.__attach_neural_type(item, metadata, depth + 1, name=name)
            return
        key = name if name is not None else metadata.names[0]
        expected = -1 if metadata.ignore_collections else metadata.depth(key)
        _attach(_where_of(self), key, metadata.base_types[key], obj, depth, expected)


_HOOKS = (
    "_validate_input_types",
    "_attach_and_validate_output_types",
    "_Typing__check_neural_type",
    "_Typing__attach_neural_type",
)


def _where_of(instance: Any) -> str:
    return type(instance).__name__


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

    Built on every call whose types property returns a new dict, so the common case (every value a plain
    NeuralType) does a single pass and derives the rest on first use.

    Args:
        original_types: The declared types dict.
        ignore_collections: When True, containers are not depth-checked and outputs are matched by position.

    Raises:
        TypeError: If a container spec holds more than one element at some level.
    """

    __slots__ = (
        "_depth",
        "_mandatory",
        "base_types",
        "has_container_types",
        "ignore_collections",
        "is_singular_container_type",
        "names",
        "original_types",
    )

    def __init__(self, original_types: Mapping[str, Any], ignore_collections: bool) -> None:
        self.original_types = original_types
        self.ignore_collections = ignore_collections
        self._mandatory: dict[str, NeuralType] | None = None
        plain = True
        for spec in original_types.values():
            if type(spec) is not NeuralType:
                plain = False
                break
        if plain:
            self.base_types: Mapping[str, NeuralType] = original_types
            self._depth: dict[str, int] | None = None
            self.has_container_types = False
            self.is_singular_container_type = False
        else:
            base: dict[str, NeuralType] = {}
            depth: dict[str, int] = {}
            for name, spec in original_types.items():
                base[name], depth[name] = _unwrap(name, spec)
            self.base_types, self._depth = base, depth
            self.has_container_types = not ignore_collections and any(depth.values())
            self.is_singular_container_type = self.has_container_types and len(base) == 1
        self.names = tuple(original_types)

    @property
    def container_depth(self) -> dict[str, int]:
        """Nesting depth of each declaration (0 for a plain NeuralType)."""
        if self._depth is None:
            return dict.fromkeys(self.names, 0)
        return self._depth

    def depth(self, name: str) -> int:
        """Nesting depth of the declaration of ``name``."""
        return 0 if self._depth is None else self._depth[name]

    @property
    def mandatory_types(self) -> dict[str, NeuralType]:
        """The declarations whose base type is not optional."""
        mandatory = self._mandatory
        if mandatory is None:
            mandatory = self._mandatory = {n: t for n, t in self.base_types.items() if not t.optional}
        return mandatory


def _describe(where: str) -> str:
    return f"in {where}" if where else ""


def _check_semantics(where: str, name: str, declared: NeuralType, value: Any) -> None:
    """Raise unless the neural type carried by ``value`` (if any) may feed ``declared``.

    An accepted pair of cacheable types is remembered by its structure keys, so the next call with the same
    declaration and the same kind of value passes with a dict and a set lookup in the wrapper.
    """
    global _accepted_count  # noqa: PLW0603 - bounds the table's total size
    received = getattr(value, "neural_type", None)
    if received is None or not isinstance(received, NeuralType):
        return
    result = declared._compare_cached(received)
    if result in _ACCEPTED:
        first, second = declared._key, received._key
        cacheable = first is not None and second is not None and first >= 0 and second >= 0
        if cacheable and _accepted_count < _MAX_ACCEPTED_PAIRS:
            received_keys = _ACCEPTED_PAIRS.get(first)  # type: ignore[arg-type]
            if received_keys is None:
                received_keys = _ACCEPTED_PAIRS[first] = set()  # type: ignore[index]
            if second not in received_keys:
                received_keys.add(second)  # type: ignore[arg-type]
                _accepted_count += 1
        return
    raise TypeError(
        f"{result}: input type mismatch for {name!r} {_describe(where)}.\n"
        f"  expected: {declared!r}\n  received: {received!r}\n"
        f"  expected element parameters: {declared.elements_type.type_parameters}\n"
        f"  received element parameters: {received.elements_type.type_parameters}\n"
        "Pass a value of the declared type, or disable semantic checks with "
        "typecheck.disable_semantic_checks()."
    )


def _ndim(value: Any) -> int | None:
    """The number of dimensions of an array-like (``ndim``, else ``len(shape)``), or None."""
    ndim = getattr(value, "ndim", None)
    if type(ndim) is int:
        return ndim
    shape = getattr(value, "shape", None)
    return None if shape is None else len(shape)


def _check_rank(where: str, kind: str, name: str, declared: NeuralType, value: Any) -> None:
    """Raise unless ``value`` (if array-like) has as many dimensions as ``declared`` has axes."""
    ndim = _ndim(value)
    if ndim is None or declared.axes is None:
        return
    if ndim != len(declared.axes):
        shape = getattr(value, "shape", None)
        raise TypeError(
            f"{kind} shape mismatch for {name!r} {_describe(where)}: the declared type has "
            f"{len(declared.axes)} axes {declared.axes}, the value has {ndim} dimensions"
            + (f" (shape {tuple(shape)})." if shape is not None else ".")
        )


def _check_depth(where: str, name: str, depth: int, expected: int) -> None:
    raise TypeError(
        f"Nested depth of value for {name!r} {_describe(where)} did not match: the declaration nests "
        f"{expected} level(s) of lists, the value's leaf is at depth {depth}."
    )


def _check_input_container(
    where: str, name: str, declared: NeuralType, value: Any, depth: int, expected: int, semantic: bool
) -> None:
    if isinstance(value, _CONTAINERS):
        for item in value:
            _check_input_container(where, name, declared, item, depth + 1, expected, semantic)
        return
    if expected >= 0 and depth != expected:
        _check_depth(where, name, depth, expected)
    if semantic:
        _check_semantics(where, name, declared, value)
    _check_rank(where, "Input", name, declared, value)


def _count_error(where: str, kind: str, given: int, meta: TypecheckMetadata, missing: list[str]) -> TypeError:
    text = (
        f"Number of {kind} arguments {'provided' if kind == 'input' else 'returned'} ({given}) "
        f"{_describe(where)} is not as expected: it must be between {len(meta.mandatory_types)} (mandatory) "
        f"and {len(meta.base_types)} (declared). Declared {kind}s: {list(meta.names)}"
    )
    return TypeError(text + (f"; missing mandatory inputs: {missing}." if kind == "input" else "."))


def _positional_error(where: str, args: tuple[Any, ...], types: Mapping[str, Any]) -> TypeError:
    return TypeError(
        f"All arguments must be passed by kwargs only for typed methods: {where} received "
        f"{len(args) - 1} positional argument(s). Call it as "
        f"{where.rsplit('.', 1)[-1]}({', '.join(f'{n}=...' for n in types)})."
    )


def _check_input_count(where: str, types: Mapping[str, Any], kwargs: dict[str, Any], ignore: bool) -> None:
    """Raise unless the number of keyword inputs lies between the mandatory and the declared count."""
    meta = TypecheckMetadata(types, ignore)
    n_given = len(kwargs)
    if n_given > len(types) or n_given < len(meta.mandatory_types):
        missing = [name for name in meta.mandatory_types if name not in kwargs]
        raise _count_error(where, "input", n_given, meta, missing)


def _validate_input(
    where: str, types: Mapping[str, Any], name: str, value: Any, ignore: bool, semantic: bool
) -> None:
    """Check one keyword input in full: its name, container nesting, neural type and rank.

    The wrapper checks plain declarations with array-like values inline and sends everything else here.

    Raises:
        TypeError: For an undeclared name, a malformed container spec or any failed check.
    """
    spec = types.get(name)
    if spec is None:
        raise TypeError(
            f"Input argument {name!r} {_describe(where)} has no declared type; declared inputs are "
            f"{list(types)}. Rename the argument or add it to input_types."
        )
    declared, depth = (spec, 0) if type(spec) is NeuralType else _unwrap(name, spec)
    if value is None:
        return
    if semantic:
        _check_semantics(where, name, declared, value)
    if _ndim(value) is not None:
        _check_rank(where, "Input", name, declared, value)
    elif isinstance(value, _CONTAINERS):
        expected = -1 if ignore else depth
        for item in value:
            _check_input_container(where, name, declared, item, 1, expected, semantic)


def _tag(value: Any, declared: NeuralType) -> None:
    """Attach ``declared`` as ``value.neural_type``; ints and slotted objects cannot carry it, which is fine."""
    try:  # noqa: SIM105 - contextlib.suppress costs more on this hot path
        value.neural_type = declared
    except Exception:
        pass


def _attach(where: str, name: str, declared: NeuralType, value: Any, depth: int, expected: int) -> None:
    if isinstance(value, _CONTAINERS):
        for item in value:
            _attach(where, name, declared, item, depth + 1, expected)
        return
    if expected >= 0 and depth != expected:
        _check_depth(where, name, depth, expected)
    _tag(value, declared)
    _check_rank(where, "Output", name, declared, value)


def _attach_outputs(where: str, types: Mapping[str, Any], outputs: Any, ignore: bool) -> None:
    if not isinstance(outputs, _CONTAINERS):
        # One returned value, tagged with the first declared type (the wrapper handles the plainest case).
        meta = TypecheckMetadata(types, ignore)
        if not meta.names or len(meta.mandatory_types) > 1:
            raise _count_error(where, "output", 1, meta, [])
        name = meta.names[0]
        declared = meta.base_types[name]
        _tag(outputs, declared)
        _check_rank(where, "Output", name, declared, outputs)
        return
    meta = TypecheckMetadata(types, ignore)
    n_out, n_declared = len(outputs), len(meta.names)
    if not meta.is_singular_container_type and (
        n_out > n_declared or (n_out < n_declared and n_out < len(meta.mandatory_types))
    ):
        raise _count_error(where, "output", n_out, meta, [])
    if meta.is_singular_container_type:
        name = meta.names[0]
        start = 0 if isinstance(outputs, tuple) and len(outputs) == 1 else 1
        for item in outputs:
            _attach(where, name, meta.base_types[name], item, start, -1 if ignore else meta.depth(name))
        return
    for name, item in zip(meta.names, outputs, strict=False):
        _attach(where, name, meta.base_types[name], item, 0, -1 if ignore else meta.depth(name))


# Typing classes already checked for the pre-1.0 port API (checked once per class, not per call).
_CHECKED_CLASSES: set[type] = set()


def _customises_hooks(cls: type) -> bool:
    return any(getattr(cls, hook) is not getattr(Typing, hook) for hook in _HOOKS)


def _check_instance(instance: Any, where: str) -> bool:
    """Raise unless ``instance`` is a Typing object without the pre-1.0 port API; remember good classes.

    Returns:
        True when the class overrides one of Typing's protected check hooks: the call must then go through
        them (:func:`_call_through_hooks`), and the class is not remembered, so every call asks again.
    """
    if not isinstance(instance, Typing):
        received = "no instance" if instance is None else f"an instance of {type(instance).__name__}"
        raise RuntimeError(
            f"@typecheck() on {where} needs a method of a class that mixes in Typing (e.g. NeuralModule); "
            f"it was called with {received}. Decorate a method of a Typing subclass."
        )
    cls = type(instance)
    if hasattr(cls, "input_ports") or hasattr(cls, "output_ports"):
        raise RuntimeError(
            f"{cls.__name__} defines `input_ports`/`output_ports`, the pre-1.0 NeMo API; "
            "rename them to `input_types`/`output_types`."
        )
    if _customises_hooks(cls):
        return True
    _CHECKED_CLASSES.add(cls)
    return False


def _call_through_hooks(
    wrapped: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: tuple[Any, ...],
) -> Any:
    """NeMo's call sequence, for classes that override Typing's hooks: validate, call, attach (as NeMo does).

    ``args`` starts with the instance; ``settings`` is ``(where, ignore, fixed_in, fixed_out, input_override,
    output_override)`` of the decorator.
    """
    where, ignore, fixed_in, fixed_out, input_override, output_override = settings
    instance = args[0]
    if runtime.under_compiler():
        return wrapped(*args, **kwargs)
    input_types = fixed_in if input_override else instance.input_types
    output_types = fixed_out if output_override else instance.output_types
    if input_types is None and output_types is None:
        return wrapped(*args, **kwargs)
    if input_types is not None and len(args) > 1:
        raise _positional_error(where, args, input_types)
    instance._validate_input_types(input_types=input_types, ignore_collections=ignore, **kwargs)
    outputs = wrapped(*args, **kwargs)
    instance._attach_and_validate_output_types(
        output_types=output_types, ignore_collections=ignore, out_objects=outputs
    )
    return outputs


# What the generated wrappers (see _wrapper) call by name: the state, the caches and the helpers above.
_WRAPPER_NAMESPACE = {
    "_state": _STATE,
    "_checked_classes": _CHECKED_CLASSES,
    "_accepted_pairs": _ACCEPTED_PAIRS,
    "_runtime": runtime,
    "_is_compiling": is_compiling,
    "_NeuralType": NeuralType,
    "_check_instance": _check_instance,
    "_call_through_hooks": _call_through_hooks,
    "_positional_error": _positional_error,
    "_check_input_count": _check_input_count,
    "_validate_input": _validate_input,
    "_check_semantics": _check_semantics,
    "_check_rank": _check_rank,
    "_attach_outputs": _attach_outputs,
}


class typecheck:
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
            return self.unwrapped_call(wrapped)
        return self.wrapped_call(wrapped)

    def unwrapped_call(self, wrapped: _F) -> _F:
        """Return ``wrapped`` untouched (what ``@typecheck()`` does while wrapping is disabled)."""
        return wrapped

    def wrapped_call(self, wrapped: _F) -> _F:
        """Return the type-checking wrapper of ``wrapped``, whatever :meth:`enable_wrapping` says.

        Raises:
            TypeError: ``wrapped`` is not callable (``@typecheck`` written without parentheses).
        """
        if not callable(wrapped):
            raise TypeError(
                f"@typecheck() decorates callables, received {type(wrapped).__name__}; "
                "did you write @typecheck instead of @typecheck()?"
            )
        wrapper = _wrapper.build(
            wrapped,
            _WRAPPER_NAMESPACE,
            where=getattr(wrapped, "__qualname__", repr(wrapped)),
            ignore=self.ignore_collections,
            fixed_in=self.input_types if self.input_override else None,  # type: ignore[arg-type]
            fixed_out=self.output_types if self.output_override else None,  # type: ignore[arg-type]
            input_override=self.input_override,
            output_override=self.output_override,
        )
        functools.update_wrapper(wrapper, wrapped)
        return wrapper  # type: ignore[return-value]

    @staticmethod
    def set_typecheck_enabled(enabled: bool = True) -> None:
        """Switch all type checks (and output tagging) on or off, process-wide."""
        _STATE.enabled = bool(enabled)

    @staticmethod
    @contextmanager
    def disable_checks() -> Iterator[None]:
        """Disable type checks inside a ``with`` block; on exit they are enabled, as in NeMo.

        Like NeMo's, the block does not restore an earlier ``set_typecheck_enabled(False)``: checks are on
        after it. Call ``set_typecheck_enabled(False)`` again afterwards to keep them off.
        """
        _STATE.enabled = False
        try:
            yield
        finally:
            _STATE.enabled = True

    @staticmethod
    def set_semantic_check_enabled(enabled: bool = True) -> None:
        """Switch neural-type comparisons of inputs on or off; rank, count and nesting checks stay on."""
        _STATE.semantic = bool(enabled)

    @staticmethod
    @contextmanager
    def disable_semantic_checks() -> Iterator[None]:
        """Disable semantic checks inside a ``with`` block; on exit they are enabled, as in NeMo."""
        _STATE.semantic = False
        try:
            yield
        finally:
            _STATE.semantic = True

    @staticmethod
    def enable_wrapping(enabled: bool = True) -> None:
        """Make later ``@typecheck()`` decorations wrap (True) or return the function untouched (False).

        This acts at decoration time, unlike :meth:`set_typecheck_enabled`; it also sets the enabled flag.
        """
        _STATE.wrapping = bool(enabled)
        _STATE.enabled = bool(enabled)
