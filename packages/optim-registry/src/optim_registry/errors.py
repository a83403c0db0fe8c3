"""Errors raised by optim-registry.

Every error subclasses ``ValueError`` (or ``ImportError`` for a missing optional backend) so that code written
against NeMo, which raises bare ``ValueError`` in the same places, keeps catching them. Messages say what was
received, what was expected and how to fix it.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable
from typing import Any

__all__ = [
    "BackendUnavailableError",
    "DuplicateNameError",
    "MissingMaxStepsError",
    "OptimRegistryError",
    "UnknownKeysError",
    "UnknownNameError",
    "closest_match",
]


def closest_match(name: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate that best resembles ``name`` (case-insensitive), or None if none is close."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[found[0]] if found else None


class OptimRegistryError(ValueError):
    """Base class for the errors of this package about bad names, keys and settings."""


class UnknownNameError(OptimRegistryError, KeyError):
    """A name is not in a registry (optimizers, schedulers or their parameter dataclasses).

    Args:
        kind: What was looked up, e.g. ``"optimizer"``.
        name: The name that was asked for.
        available: Every registered name.
    """

    def __init__(self, kind: str, name: object, available: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.available = sorted(available)
        self.suggestion = closest_match(str(name), self.available)
        hint = f" Did you mean {self.suggestion!r}?" if self.suggestion else ""
        self.message = (
            f"Cannot resolve {kind} {name!r}.{hint} Available {kind}s are: {', '.join(self.available)}. "
            f"Register new ones with register_{kind.split(maxsplit=1)[0]}()."
        )
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.message


class UnknownKeysError(OptimRegistryError, TypeError):
    """One or more keyword arguments are not accepted by the target (every bad key is listed at once).

    When OmegaConf is loaded in the process, the raised object is also an ``omegaconf.errors.ConfigKeyError``
    (what NeMo raises for the same mistake, from its structured-config merge), so ``except ConfigKeyError``
    written against NeMo keeps catching it; OmegaConf is never imported for this.

    Args:
        target: What the keys were meant for, e.g. ``"NovogradParams"``.
        bad_keys: The keys that are not accepted.
        valid_keys: The keys that are accepted.
    """

    def __init__(self, target: str, bad_keys: Iterable[str], valid_keys: Iterable[str]) -> None:
        self.target = target
        self.bad_keys = sorted(bad_keys)
        self.valid_keys = sorted(valid_keys)
        parts = []
        for key in self.bad_keys:
            match = closest_match(key, self.valid_keys)
            parts.append(f"{key!r} (did you mean {match!r}?)" if match else repr(key))
        self.message = (
            f"{target} got unknown argument(s): {', '.join(parts)}. "
            f"Accepted arguments are: {', '.join(self.valid_keys)}."
        )
        super().__init__(self.message)
        self.msg = self.message  # read by ConfigKeyError.__str__ in the OmegaConf flavour

    def __new__(cls, *args: Any, **kwargs: Any) -> UnknownKeysError:  # noqa: D102 - see the class docstring
        flavour = _omegaconf_flavour() if cls is UnknownKeysError else cls
        return super().__new__(flavour, *args, **kwargs)


_FLAVOUR: list[type[UnknownKeysError]] = []


def _omegaconf_flavour() -> type[UnknownKeysError]:
    """``UnknownKeysError``, or a subclass that is also OmegaConf's ``ConfigKeyError`` once omegaconf is loaded."""
    errors_module = sys.modules.get("omegaconf.errors")
    if errors_module is None:
        return UnknownKeysError
    if not _FLAVOUR:
        config_key_error = errors_module.ConfigKeyError
        _FLAVOUR.append(
            type(
                "UnknownKeysError",
                (UnknownKeysError, config_key_error),
                {
                    "__module__": __name__,
                    "__qualname__": "UnknownKeysError",
                    "__str__": lambda self: self.message,
                },
            )
        )
    return _FLAVOUR[0]


class DuplicateNameError(OptimRegistryError):
    """A name is registered twice; registries never silently replace an entry."""


class MissingMaxStepsError(OptimRegistryError):
    """A schedule needs the total number of training steps and none was given or could be inferred."""


class BackendUnavailableError(ImportError):
    """An optimizer lives in an optional package (e.g. apex) that is not installed or cannot run here."""
