"""``nemo.utils.env_var_parsing``: read typed settings from environment variables."""

from __future__ import annotations

import datetime
import decimal
import json
import os
from collections.abc import Callable
from typing import Any

__all__ = [
    "CoercionError",
    "RequiredSettingMissingError",
    "get_env",
    "get_envbool",
    "get_envdate",
    "get_envdatetime",
    "get_envdecimal",
    "get_envdict",
    "get_envfloat",
    "get_envint",
    "get_envlist",
]


class RequiredSettingMissingError(Exception):
    """A variable without a default is not set."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Required environment setting {key!r} is not set; export {key}=<value> and retry.")
        self.key = key


class CoercionError(Exception):
    """A variable's value cannot be converted to the requested type."""

    def __init__(self, key: str, value: Any, func: Callable[..., Any]) -> None:
        name = getattr(func, "__name__", repr(func))
        super().__init__(f"Unable to coerce environment setting {key}={value!r} using {name}.")
        self.key, self.value, self.func = key, value, func


def _get(key: str, default: tuple[Any, ...], coerce: Callable[[str], Any]) -> Any:
    if key not in os.environ:
        if default:
            return default[0]
        raise RequiredSettingMissingError(key)
    value = os.environ[key]
    try:
        return coerce(value)
    except Exception as exc:
        raise CoercionError(key, value, coerce) from exc


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "y", "on", "t"}:
        return True
    if lowered in {"0", "false", "no", "n", "off", "f", ""}:
        return False
    raise ValueError(value)


def get_env(key: str, *default: Any, **kwargs: Any) -> Any:
    """The variable's text, ``coerce``-d if given; the default (or an error) when unset.

    Raises:
        RequiredSettingMissingError: Unset and no default.
        CoercionError: ``coerce`` failed.
    """
    coerce = kwargs.get("coerce", lambda text: text)
    return _get(key, default, coerce)


def get_envbool(key: str, *default: Any) -> Any:
    """``1/true/yes/on`` -> True, ``0/false/no/off`` -> False."""
    return _get(key, default, _bool)


def get_envint(key: str, *default: Any) -> Any:
    """The variable as an int."""
    return _get(key, default, int)


def get_envfloat(key: str, *default: Any) -> Any:
    """The variable as a float."""
    return _get(key, default, float)


def get_envdecimal(key: str, *default: Any) -> Any:
    """The variable as a ``decimal.Decimal``."""
    return _get(key, default, decimal.Decimal)


def get_envdate(key: str, *default: Any) -> Any:
    """The variable (ISO ``YYYY-MM-DD``) as a ``datetime.date``."""
    return _get(key, default, datetime.date.fromisoformat)


def get_envdatetime(key: str, *default: Any) -> Any:
    """The variable (ISO 8601) as a ``datetime.datetime``."""
    return _get(key, default, datetime.datetime.fromisoformat)


def get_envdict(key: str, *default: Any) -> Any:
    """The variable (a JSON object) as a dict."""
    return _get(key, default, json.loads)


def get_envlist(key: str, *default: Any, **kwargs: Any) -> Any:
    """The variable split on ``separator`` (default ``" "``), empty items dropped."""
    separator = kwargs.get("separator", " ")
    return _get(key, default, lambda text: [item for item in text.split(separator) if item])
