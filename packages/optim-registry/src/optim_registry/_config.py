"""Config plumbing shared by the optimizer and scheduler registries.

Inputs arrive as plain dicts, OmegaConf ``DictConfig`` objects, dataclass instances or lists of
``"key=value"`` strings. OmegaConf is never imported here unless such an object is actually passed in (it is
duck-typed by its module name), so the package stays usable without it.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from optim_registry.errors import OptimRegistryError, UnknownKeysError

__all__ = [
    "MISSING",
    "accepted_kwargs",
    "check_keys",
    "is_omegaconf",
    "parse_key_value_list",
    "parse_value",
    "resolve_dotted",
    "to_plain",
    "update_config_version",
]

#: The value OmegaConf uses for a mandatory field that has not been given (``omegaconf.MISSING``).
MISSING: Any = "???"


def is_omegaconf(obj: object) -> bool:
    """True for OmegaConf containers (``DictConfig``/``ListConfig``), detected without importing omegaconf."""
    return type(obj).__module__.startswith("omegaconf")


def to_plain(obj: Any) -> Any:
    """Turn a config-like object into plain Python containers.

    ``DictConfig``/``ListConfig`` are resolved (interpolations included) through OmegaConf itself,
    imported only now; dataclass instances become dicts of their fields (recursively); mappings become dicts.
    Other values are returned unchanged, deep-copied so the caller's object is never mutated.
    """
    if is_omegaconf(obj):
        from omegaconf import OmegaConf  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415

        return OmegaConf.to_container(obj, resolve=True)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {key: to_plain(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [to_plain(value) for value in obj]
    return copy.deepcopy(obj)


def update_config_version(cfg: Any) -> Any:
    """Apply NeMo's Hydra-1.0 config upgrade to a plain dict, recursively.

    ``cls`` becomes ``_target_`` (unless ``_target_`` is present) and a ``params`` sub-dict is merged into its
    parent, exactly as NeMo's ``maybe_update_config_version`` does. Non-dict values are returned unchanged.
    """
    if not isinstance(cfg, dict):
        return cfg
    out = dict(cfg)
    if "cls" in out and "_target_" not in out:
        out["_target_"] = out.pop("cls")
    if isinstance(out.get("params"), dict):
        out.update(out.pop("params"))
    return {key: update_config_version(value) for key, value in out.items()}


def parse_value(text: str) -> Any:
    """Parse the value of a ``"key=value"`` item: numbers, booleans, None, tuples, else the string.

    ``true``/``false``/``null``/``none`` are accepted in any case (YAML spelling), ``[a, b]`` and ``(a, b)``
    both give a tuple (optimizer hyper-parameters such as ``betas`` are tuples).
    """
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null", "~"}:
        return None
    if stripped.startswith(("[", "(")) and stripped.endswith(("]", ")")):
        inner = stripped[1:-1].strip()
        if not inner:
            return ()
        return tuple(parse_value(item) for item in _split_top_level(inner))
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError):
        return stripped
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    return stripped


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets, so ``(1, (2, 3))`` keeps its inner tuple."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    tail = text[start:]
    if tail.strip():
        parts.append(tail)
    return parts


def parse_key_value_list(items: Iterable[Any]) -> dict[str, Any]:
    """Parse NeMo's documented ``opt_args`` form: a list of ``"arg_name=arg_value"`` strings.

    Raises:
        OptimRegistryError: An item is not a string of the form ``name=value`` (all bad items are listed).
    """
    parsed: dict[str, Any] = {}
    bad: list[str] = []
    for item in items:
        if not isinstance(item, str) or "=" not in item or not item.split("=", 1)[0].strip():
            bad.append(repr(item))
            continue
        key, value = item.split("=", 1)
        parsed[key.strip()] = parse_value(value)
    if bad:
        raise OptimRegistryError(
            f"Expected a list of 'arg_name=arg_value' strings, got malformed item(s): {', '.join(bad)}. "
            "Write each argument as e.g. 'weight_decay=0.001' or 'betas=[0.9,0.98]'."
        )
    return parsed


def accepted_kwargs(target: Callable[..., Any]) -> set[str] | None:
    """Keyword names a class or callable accepts, following ``**kwargs`` up the MRO.

    Returns None if it takes any keyword.

    NeMo's schedulers forward ``**kwargs`` to their base class, so a class's own signature is not enough.
    """
    classes = inspect.getmro(target) if isinstance(target, type) else (target,)
    names: set[str] = set()
    for owner in classes:
        function = owner.__init__ if isinstance(owner, type) else owner  # type: ignore[misc]
        if isinstance(owner, type) and "__init__" not in vars(owner):
            continue
        if owner is object:
            break
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            return None
        forwards = False
        for parameter in signature.parameters.values():
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                forwards = True
            elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
                names.add(parameter.name)
        if not forwards:
            names.discard("self")
            return names
    return None


def check_keys(target: str, given: Iterable[str], valid: Iterable[str]) -> None:
    """Raise one error naming every key of ``given`` that is not in ``valid``.

    Raises:
        UnknownKeysError: Some keys are not accepted.
    """
    valid_set = set(valid)
    bad = [key for key in given if key not in valid_set]
    if bad:
        raise UnknownKeysError(target, bad, valid_set)


def resolve_dotted(path: str) -> Any:
    """Import ``package.module.Name`` and return ``Name``.

    Raises:
        OptimRegistryError: The path does not name an importable object.
    """
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise OptimRegistryError(f"Expected a dotted path such as 'package.module.Class', got {path!r}.")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except (ImportError, AttributeError) as exc:
        raise OptimRegistryError(
            f"Cannot import {path!r}: {exc}. Check the spelling of the class path."
        ) from exc
