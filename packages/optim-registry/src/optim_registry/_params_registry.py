"""A small name → dataclass registry, shared by the optimizer and scheduler parameter modules."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from optim_registry._config import check_keys, to_plain
from optim_registry.errors import DuplicateNameError, UnknownNameError

__all__ = ["ParamsRegistry"]


class ParamsRegistry:
    """Maps registry keys (``"novograd_params"``, ``"CosineAnnealingParams"``) to parameter dataclasses.

    Args:
        kind: What the entries describe, used in error messages (``"optimizer params"``).
        table: The dict that holds the entries; NeMo exposes it as a module-level ``AVAILABLE_*_PARAMS``.
    """

    def __init__(self, kind: str, table: dict[str, type]) -> None:
        self.kind = kind
        self.table = table

    def register(self, name: str, params: type) -> None:
        """Add ``params`` under ``name``.

        Raises:
            DuplicateNameError: ``name`` is already registered.
        """
        if name in self.table:
            raise DuplicateNameError(
                f"Cannot override pre-existing {self.kind}. Conflicting name = {name!r}; pick another name."
            )
        self.table[name] = params

    def lookup(self, name: str) -> type:
        """Return the dataclass registered as ``name``.

        Raises:
            UnknownNameError: No such entry (the message lists them and the closest match).
        """
        if name not in self.table:
            raise UnknownNameError(self.kind, name, self.table)
        return self.table[name]

    def partial(self, name: str | None, **kwargs: Any) -> Any:
        """NeMo's ``get_*_config``: validate ``kwargs`` against the dataclass and bind them.

        ``None`` as name returns ``kwargs`` unchanged. Lists given for tuple-valued fields become tuples.

        Raises:
            UnknownNameError: ``name`` is not registered.
            UnknownKeysError: Some keys are not fields of the dataclass (all are listed).
        """
        if name is None:
            return kwargs
        params_cls = self.lookup(name)
        return functools.partial(params_cls, **coerce_fields(params_cls, kwargs))


def coerce_fields(params_cls: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Check ``kwargs`` against the fields of ``params_cls``; lists for tuple-defaulted fields become tuples.

    Raises:
        UnknownKeysError: Some keys are not fields (all are listed, each with its closest match).
    """
    kwargs = to_plain(kwargs)
    fields = {f.name: f for f in dataclasses.fields(params_cls)}
    check_keys(params_cls.__name__, kwargs, fields)
    out = {}
    for key, value in kwargs.items():
        default = fields[key].default
        out[key] = tuple(value) if isinstance(value, list) and isinstance(default, tuple) else value
    return out
