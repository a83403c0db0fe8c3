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
from typing import Any, Protocol

from ._dtypes import DTYPES, STORAGE_TYPES

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
    """Rebuild ``data.pkl`` with ``builder``.

    Raises:
        UnsupportedGlobal: A global outside the allow-list.
        pickle.UnpicklingError: Malformed pickle (and the usual ``EOFError``/``ValueError``/... on garbage).
    """
    return _Restricted(data, builder).load()
