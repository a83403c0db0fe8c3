"""A restricted unpickler for ``torch.save``'s ``data.pkl`` that never runs the pickle's globals.

Only the globals listed in SPEC.md §3.1 are resolved, each to a function of ours. A *builder* decides what
they produce: plain records (no torch; for tensor metadata) or real tensors over a memory map (the loader).
Any other global raises :class:`UnsupportedGlobal`, which callers turn into a refusal or a hand-over to
``torch.load(weights_only=True)``.
"""


# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import codecs
import collections
import io
import pickle
import pickletools
from typing import Any, Protocol

from ._dtypes import DTYPES, STORAGE_TYPES

#: Deepest nesting of containers a checkpoint's pickle may build (a NeMo state dict needs about 5). Deeper
#: tuples would crash the interpreter when hashed or compared (CPython recurses in C without a guard).
MAX_DEPTH = 100
#: Most container entries the rebuilt object may hold (a state dict of 100k tensors holds about 200k).
MAX_NODES = 5_000_000

_REBUILD = {"_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter", "_rebuild_parameter_with_state"}


def _bytearray(data: Any = b"") -> bytearray:
    # bytearray(n) would allocate n bytes on the pickle's say-so; only copies of bytes are allowed.
    if not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError("bytearray() of a non-bytes value")
    return bytearray(data)


_BUILTINS: dict[str, Any] = {"set": set, "frozenset": frozenset, "bytearray": _bytearray, "complex": complex}


class UnsupportedGlobal(Exception):
    """The pickle names a global outside the allow-list."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{module}.{name}")
        self.qualname = f"{module}.{name}"


class UnsafeStructure(Exception):
    """The pickle builds something a state dict never is: a cycle, a shared container, or absurd nesting."""


class Builder(Protocol):
    """What the reconstructed pickle is made of."""

    def storage(self, dtype: str, key: str, location: str, numel: int) -> Any:
        """Return the storage ``key`` of ``numel`` elements of ``dtype``."""

    def tensor(
        self, storage: Any, offset: int, size: tuple[int, ...], stride: tuple[int, ...], dtype: str | None
    ) -> Any:
        """Return a tensor view of ``storage`` (``dtype`` given only by ``_rebuild_tensor_v3``)."""

    def parameter(self, data: Any, requires_grad: bool) -> Any:
        """Wrap a tensor as a parameter."""

    def dtype(self, name: str) -> Any:
        """Return the dtype called ``name``."""

    def device(self, spec: str) -> Any:
        """Return the device described by ``spec``."""


def _safe_encode(text: str, encoding: str = "utf-8") -> bytes:
    # Protocol-2 pickles write bytes as _codecs.encode(str, "latin1").
    if codecs.lookup(encoding).name not in ("latin-1", "iso8859-1", "utf-8"):
        raise UnsupportedGlobal("_codecs", f"encode({encoding!r})")
    return codecs.encode(text, encoding)


class _Restricted(pickle.Unpickler):
    def __init__(self, data: bytes, builder: Builder) -> None:
        super().__init__(io.BytesIO(data))
        self._builder = builder

    def find_class(self, module: str, name: str) -> Any:
        b = self._builder
        if module == "__builtin__":  # protocol-2 pickles spell builtins the Python 2 way
            module = "builtins"
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in _REBUILD:
            return getattr(self, name)
        if module == "torch" and name in STORAGE_TYPES:
            return _StorageType(STORAGE_TYPES[name])
        if module == "torch" and name in DTYPES:
            return b.dtype(name)
        if module == "torch" and name == "Size":
            return lambda dims=(): tuple(int(d) for d in dims)
        if module == "torch" and name == "device":
            return lambda *a: b.device(":".join(str(x) for x in a))
        if module == "_codecs" and name == "encode":
            return _safe_encode
        if module == "builtins" and name in _BUILTINS:
            return _BUILTINS[name]
        raise UnsupportedGlobal(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, location, numel = pid
        if (
            not isinstance(storage_type, _StorageType)
            or not isinstance(key, str)
            or not isinstance(numel, int)
        ):
            raise pickle.UnpicklingError(f"malformed storage reference {pid!r}")
        return self._builder.storage(storage_type.dtype, key, str(location), numel)

    # The rebuild functions, by torch's names and argument order.
    def _rebuild_tensor_v2(
        self,
        storage: Any,
        offset: int,
        size: Any,
        stride: Any,
        requires_grad: bool,
        hooks: Any,
        metadata: Any = None,
    ) -> Any:
        return self._tensor(storage, offset, size, stride, requires_grad, hooks, metadata, None)

    def _rebuild_tensor_v3(
        self,
        storage: Any,
        offset: int,
        size: Any,
        stride: Any,
        requires_grad: bool,
        hooks: Any,
        dtype: Any,
        metadata: Any = None,
    ) -> Any:
        return self._tensor(
            storage, offset, size, stride, requires_grad, hooks, metadata, str(dtype).rsplit(".")[-1]
        )

    def _tensor(
        self,
        storage: Any,
        offset: Any,
        size: Any,
        stride: Any,
        requires_grad: Any,
        hooks: Any,
        metadata: Any,
        dtype: str | None,
    ) -> Any:
        if hooks or metadata:
            # Backward hooks or tensor metadata need torch's own machinery.
            raise UnsupportedGlobal("torch._utils", "_rebuild_tensor_v2(hooks/metadata)")
        if not isinstance(offset, int) or not _is_int_tuple(size) or not _is_int_tuple(stride):
            raise pickle.UnpicklingError("malformed tensor arguments")
        if len(size) != len(stride) or offset < 0 or any(d < 0 for d in size) or any(s < 0 for s in stride):
            raise pickle.UnpicklingError(
                f"invalid tensor geometry size={size} stride={stride} offset={offset}"
            )
        return self._builder.tensor(storage, offset, tuple(size), tuple(stride), dtype)

    def _rebuild_parameter(self, data: Any, requires_grad: bool, hooks: Any) -> Any:
        if hooks:
            raise UnsupportedGlobal("torch._utils", "_rebuild_parameter(hooks)")
        return self._builder.parameter(data, bool(requires_grad))

    def _rebuild_parameter_with_state(self, data: Any, requires_grad: bool, hooks: Any, state: Any) -> Any:
        if hooks or state:
            raise UnsupportedGlobal("torch._utils", "_rebuild_parameter_with_state(state)")
        return self._builder.parameter(data, bool(requires_grad))


class _StorageType:
    """Stands for ``torch.<Type>Storage`` in a persistent id."""

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype


def _is_int_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, int) for v in value)


def unpickle(data: bytes, builder: Builder) -> Any:
    """Rebuild ``data.pkl`` with ``builder``; the result is checked to be a tree (see :func:`check_tree`).

    Raises:
        UnsafeStructure: Nesting deeper than :data:`MAX_DEPTH`, a cycle, a shared container, or more than
            :data:`MAX_NODES` entries.
        UnsupportedGlobal: A global outside the allow-list.
        pickle.UnpicklingError: Malformed pickle (and the usual ``EOFError``/``ValueError``/... on garbage).
    """
    check_nesting(data)
    obj = _Restricted(data, builder).load()
    check_tree(obj)
    return obj


# Opcodes that add the items above their first argument to it (the container keeps its identity).
_MUTATORS = {"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"}
# Opcodes whose result merely passes on its inputs (a call's result is as deep as its arguments).
_PASSING = {"REDUCE", "NEWOBJ", "NEWOBJ_EX", "BINPERSID", "STACK_GLOBAL"}


def check_nesting(data: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a pickle that would build containers nested deeper than ``max_depth``, before it is loaded.

    The opcodes are walked without building anything; each stack entry carries only the nesting depth of
    the object it stands for. Bounded by the pickle's length.

    Raises:
        UnsafeStructure: Too deep.
        pickle.UnpicklingError: The opcode stream is malformed.
    """
    stack: list[int] = []
    marks: list[int] = []
    memo: dict[Any, int] = {}
    try:
        for op, arg, pos in pickletools.genops(data):
            name = op.name
            if name == "MARK":
                marks.append(len(stack))
                continue
            if name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
                continue
            if name.endswith("PUT"):
                memo[arg] = stack[-1]
                continue
            if name.endswith("GET"):
                stack.append(memo.get(arg, 0))
                continue
            if name == "DUP":
                stack.append(stack[-1])
                continue
            before = [s.name for s in op.stack_before]
            if "mark" in before:
                items = stack[marks[-1] :]
                del stack[marks.pop() :]
                items[:0] = [stack.pop() for _ in range(before.index("mark"))][::-1]
            else:
                items = [stack.pop() for _ in before][::-1]
            if not op.stack_after:
                continue
            if name in _MUTATORS:
                depth = max(items[0], 1 + max(items[1:], default=0))
            elif name in _PASSING:
                depth = max(items, default=0)
            else:
                depth = 1 + max(items, default=0)
            if depth > max_depth:
                raise UnsafeStructure(
                    f"the pickle nests containers deeper than {max_depth} levels (at byte {pos}); a state dict "
                    "is a shallow mapping of tensors"
                )
            stack.extend([depth] * len(op.stack_after))
    except (IndexError, ValueError) as exc:
        raise pickle.UnpicklingError(f"malformed pickle opcodes ({exc})") from exc


def check_tree(obj: Any, max_nodes: int = MAX_NODES) -> None:
    """Refuse an object graph that is not a tree of containers: no cycles, no container reached twice.

    A few hundred bytes of pickle can reference one list from two places at each of 40 levels: walking it
    naively visits 2^40 paths. Here every non-empty container is visited once (by identity), and a second
    visit is refused, so the walk is linear in the pickle's size.

    Raises:
        UnsafeStructure: A cycle, a shared container, or more than ``max_nodes`` entries.
    """
    seen: set[int] = set()
    todo = [obj]
    count = 0
    while todo:
        node = todo.pop()
        if not isinstance(node, (dict, list, tuple, set, frozenset)) or not node:
            continue
        if id(node) in seen:
            raise UnsafeStructure(
                f"the pickle reaches one {type(node).__name__} from two places (a cycle or shared "
                "reference); a state dict is a tree of containers holding tensors"
            )
        seen.add(id(node))
        count += len(node)
        if count > max_nodes:
            raise UnsafeStructure(f"the pickle holds more than {max_nodes} container entries")
        if isinstance(node, dict):
            todo.extend(node.values())
            todo.extend(k for k in node if isinstance(k, tuple))
            extra = getattr(node, "__dict__", None)
            if extra:
                todo.extend(extra.values())
        else:
            todo.extend(node)
