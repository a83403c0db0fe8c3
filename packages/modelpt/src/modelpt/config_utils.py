# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""Config helpers shared by Serialization, ModelPT and the connector (omegaconf imported lazily).

NeMo's rules: dataclass configs become structured OmegaConf configs, interpolations are resolved once when a
model is built, and legacy ``cls`` / ``params`` keys are rewritten to Hydra's ``_target_`` form.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import importlib
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from modelpt.errors import ConfigError, TargetClassError

__all__ = [
    "RestorePolicy",
    "restore_policy",
    "current_restore_policy",
    "config_for_save",
    "convert_model_config_to_dict_config",
    "maybe_update_config_version",
    "import_class_by_path",
    "resolve_target_class",
    "check_instantiable_targets",
    "to_dict_config",
]


logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RestorePolicy:
    """What a restored (untrusted) config may make ``restore_from`` do beyond the archive itself.

    Attributes:
        allow_local_artifacts: An artifact path in the config that names a local file outside the archive is
            used (and later embedded by ``save_to``). Default False: such a path is refused.
        allowed_modules: Modules a ``target`` / ``_target_`` may import. Default: none, so only classes of
            modules the caller already imported can be named (an import's side effects never run first).
    """

    allow_local_artifacts: bool = False
    allowed_modules: frozenset[str] = frozenset()


_DEFAULT_POLICY = RestorePolicy()
_POLICY: contextvars.ContextVar[RestorePolicy | None] = contextvars.ContextVar(
    "modelpt_restore_policy", default=None
)
# The root config of the restore in progress: the first config built while ``restore_policy(root=True)`` is
# active. Its top-level ``_target_`` obeys the subclass rule; nested from_config_dict calls (submodules) do not.
_ROOT: contextvars.ContextVar[Any] = contextvars.ContextVar("modelpt_restore_root", default=None)
_ROOT_PENDING: contextvars.ContextVar[bool] = contextvars.ContextVar("modelpt_root_pending", default=False)


def current_restore_policy() -> RestorePolicy:
    """The :class:`RestorePolicy` in force (set by :func:`restore_policy` or ``restore_from``'s arguments)."""
    return _POLICY.get() or _DEFAULT_POLICY


@contextlib.contextmanager
def restore_policy(
    *, allow_local_artifacts: bool = False, allowed_modules: Iterable[str] = (), root: bool = False
) -> Iterator[RestorePolicy]:
    """Within the block, restores may use local artifact files and import the modules listed.

    Example: ``with restore_policy(allowed_modules=["my_models"]): MyBase.restore_from("m.nemo")``.
    A module name allows its submodules too. ``root`` is for ``restore_from`` itself: the next config built
    is the restored model's own.
    """
    policy = RestorePolicy(bool(allow_local_artifacts), frozenset(allowed_modules))
    tokens = (_POLICY.set(policy), _ROOT_PENDING.set(root), _ROOT.set(None))
    try:
        yield policy
    finally:
        _POLICY.reset(tokens[0])
        _ROOT_PENDING.reset(tokens[1])
        _ROOT.reset(tokens[2])


def restored_artifact_source(config_path: str, src: Any) -> Any:
    """``src`` for ``register_artifact`` during a restore: a local file outside the archive is refused.

    A path whose basename is a member of the archive being restored becomes ``nemo:<member>``; one that is
    not is refused unless :func:`restore_policy` (or ``restore_from(..., allow_local_artifacts=True)``)
    allows local artifacts. Outside a restore ``src`` is returned unchanged.

    Raises:
        ArtifactError: A restored config names a local file outside the archive.
    """
    import os

    from modelpt.app_state import AppState
    from modelpt.errors import ArtifactError

    source = AppState().restore_source
    if not src or source is None or not _restoring() or current_restore_policy().allow_local_artifacts:
        return src
    text = str(src)
    if text.startswith("nemo:") or not os.path.lexists(os.path.abspath(text)):
        return src
    name = os.path.basename(text)
    if source.has(name):
        return "nemo:" + name
    raise ArtifactError(
        f"the restored config sets artifact {config_path!r} to the local file {text!r}, which is not in "
        f"{source.path}; a restore reads (and a later save embeds) only the archive's own members. If you "
        "trust this config, pass allow_local_artifacts=True to restore_from (or use "
        "modelpt.config_utils.restore_policy(allow_local_artifacts=True))."
    )


def _restoring() -> bool:
    from modelpt.app_state import AppState

    return bool(AppState().is_model_being_restored)


def _may_import(module: str) -> bool:
    """Whether resolving a target may import ``module`` now (always outside a restore)."""
    if module in sys.modules or not _restoring():
        return True
    allowed = current_restore_policy().allowed_modules
    return any(module == name or module.startswith(name + ".") for name in allowed)


# ``${name:...}``: a resolver call (oc.env, oc.decode, custom ones) rather than a reference to another key.
_RESOLVER_CALL = re.compile(r"\$\{\s*[A-Za-z_][\w.\-]*\s*:")


def _escape_resolver_calls(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _escape_resolver_calls(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_escape_resolver_calls(value) for value in node]
    if isinstance(node, str) and _RESOLVER_CALL.search(node):
        return node.replace("${", "\\${")
    return node


def config_for_save(cfg: Any) -> Any:
    """``cfg`` as plain containers: references to other keys resolved, resolver calls kept as their text.

    ``${oc.env:SECRET}`` (or any ``${resolver:...}``) is written back as that text, never as its value, so a
    config that came from an untrusted file cannot make a save embed an environment variable. References such
    as ``${model.hidden}`` are resolved, as NeMo does.
    """
    from omegaconf import DictConfig, ListConfig, OmegaConf

    raw = OmegaConf.to_container(cfg, resolve=False) if isinstance(cfg, (DictConfig, ListConfig)) else cfg
    return OmegaConf.to_container(OmegaConf.create(_escape_resolver_calls(raw)), resolve=True)


def to_dict_config(cfg: Any) -> Any:
    """Return ``cfg`` (dict, DictConfig or dataclass) as a DictConfig without resolving it.

    Raises:
        ConfigError: ``cfg`` is none of those.
    """
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return cfg
    if dataclasses.is_dataclass(cfg):
        return OmegaConf.structured(cfg)
    if isinstance(cfg, dict):
        return OmegaConf.create(cfg)
    raise ConfigError(
        f"cfg must be a dict, an omegaconf DictConfig or a dataclass instance; received {type(cfg).__name__}. "
        "Wrap plain values in a mapping, e.g. {'hidden': 16}."
    )


def convert_model_config_to_dict_config(cfg: Any) -> Any:
    """Return a fresh DictConfig built from ``cfg``, references to other keys resolved once.

    Resolver calls (``${oc.env:X}``, ...) stay interpolations, evaluated when read and written back as text
    by saves (see :func:`config_for_save`).

    Raises:
        ConfigError: ``cfg`` is not a dict, DictConfig or dataclass.
    """
    from omegaconf import OmegaConf

    config = OmegaConf.create(config_for_save(to_dict_config(cfg)))
    if _ROOT_PENDING.get() and _restoring():
        _ROOT_PENDING.set(False)
        _ROOT.set(config)
    return config


def maybe_update_config_version(cfg: Any, make_copy: bool = True) -> Any:
    """Rewrite legacy keys in place (or in a copy): ``cls`` → ``_target_`` and ``params:`` flattened.

    ``target`` (ModelPT's class path) is left alone. The result is put in struct mode, as in NeMo.
    """
    from omegaconf import DictConfig, OmegaConf

    if not isinstance(cfg, DictConfig):
        return cfg
    if make_copy:
        cfg = OmegaConf.create(OmegaConf.to_container(cfg))
    OmegaConf.set_struct(cfg, False)
    _update(cfg)
    OmegaConf.set_struct(cfg, True)
    return cfg


def _update(node: Any) -> None:
    from omegaconf import DictConfig, ListConfig

    if isinstance(node, DictConfig):
        if "cls" in node and "_target_" not in node:
            node["_target_"] = node.pop("cls")
        if "params" in node and isinstance(node.get("params"), DictConfig) and "_target_" in node:
            params = node.pop("params")
            for key, value in params.items():
                node[key] = value
        for key in list(node.keys()):
            _update(node.get(key))
    elif isinstance(node, ListConfig):
        for item in node:
            _update(item)


def import_class_by_path(path: str) -> Any:
    """Import ``package.module.Name`` (nested attributes allowed) and return the object.

    Raises:
        ImportError: No module of the path can be imported (or may be, see below) or the attribute does not
            exist.
    While a model is being restored (its config is untrusted), only modules already imported or allowed by
    :func:`restore_policy` are used: nothing is imported, so no module's import-time code runs before the
    class is checked.
    """
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:split])
        if not _may_import(module_name):
            continue
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            for attr in parts[split:]:
                obj = getattr(obj, attr)
        except AttributeError as exc:
            raise ImportError(f"{module_name!r} has no attribute path {'.'.join(parts[split:])!r}") from exc
        return obj
    raise ImportError(f"cannot import {path!r}: no module along the path could be imported")


def resolve_target_class(target: str | None, base: type) -> type:
    """Choose the class to instantiate for a config with ``target`` when ``base.from_config_dict`` is called.

    The subclass rule (decisions.md): the class named by ``target`` is used only if it is a subclass of
    ``base``; if ``base`` is itself a subclass of the target class (calling a subclass wins), or the target
    cannot be imported, ``base`` is used.

    Raises:
        TargetClassError: ``target`` imports to something that is neither a subclass nor a base of ``base``.
    """
    if not target:
        return base
    try:
        found = import_class_by_path(target)
    except ImportError:
        if _restoring():
            logger.warning(
                "config target %r is not imported (a restore imports nothing the caller did not); building %s. "
                "Import its module first or pass allowed_modules to restore it as that class.",
                target,
                base.__qualname__,
            )
        return base
    if isinstance(found, type) and issubclass(found, base):
        return found
    if isinstance(found, type) and issubclass(base, found):
        return base
    raise TargetClassError(
        f"config target {target!r} is {found!r}, which is not a subclass of {base.__module__}.{base.__qualname__}; "
        f"only subclasses of the class restore_from/from_config_dict is called on are instantiated. Call it "
        f"on the target's own class, or fix 'target' in the config."
    )


def _allowed_instantiation(obj: Any) -> bool:
    """Classes that config-driven ``_target_`` instantiation may build: modules, datasets, optimizers, ..."""
    if not isinstance(obj, type):
        return False
    if dataclasses.is_dataclass(obj):
        return True
    import torch

    from modelpt.serialization import Serialization

    bases: tuple[type, ...] = (
        torch.nn.Module,
        torch.utils.data.Dataset,
        torch.utils.data.Sampler,
        torch.optim.Optimizer,
        torch.optim.lr_scheduler.LRScheduler,
        Serialization,
    )
    return issubclass(obj, bases)


def check_instantiable_targets(cfg: Any, path: str = "", base: type | None = None) -> None:
    """Refuse ``_target_`` entries (at any depth) that name functions or classes outside the allowed kinds.

    Allowed: subclasses of ``torch.nn.Module``, ``Dataset``, ``Sampler``, ``Optimizer``, ``LRScheduler``,
    ``Serialization``, and dataclasses. A ``.nemo`` config is untrusted input: ``_target_: os.system`` must
    not run. With ``base`` (the class ``from_config_dict`` is called on), the top-level ``_target_`` of a
    restored model's config obeys the same subclass rule as ``target`` (see :func:`resolve_target_class`). Outside a
    restore, targets that cannot be imported are left for Hydra to report; during one, a target whose module
    is not imported (nor allowed by :func:`restore_policy`) is refused, so Hydra imports nothing either.

    Raises:
        TargetClassError: A ``_target_`` names something else, or cannot be checked during a restore.
    """
    from omegaconf import DictConfig, ListConfig

    if isinstance(cfg, (dict, DictConfig)):
        target = cfg.get("_target_")
        if isinstance(target, str):
            obj = _checked_target(target, path)
            if (
                base is not None
                and cfg is _ROOT.get()
                and isinstance(obj, type)
                and not (issubclass(obj, base) or issubclass(base, obj))
            ):
                raise TargetClassError(
                    f"config _target_ {target!r} is {obj!r}, which is not a subclass of "
                    f"{base.__module__}.{base.__qualname__}; only subclasses of the class "
                    "restore_from/from_config_dict is called on are instantiated. Call it on the target's "
                    "own class, or fix '_target_' in the config."
                )
        for key, value in cfg.items():
            check_instantiable_targets(value, f"{path}.{key!s}" if path else str(key))
    elif isinstance(cfg, (list, tuple, ListConfig)):
        for i, value in enumerate(cfg):
            check_instantiable_targets(value, f"{path}.{i}")


def _checked_target(target: str, path: str) -> Any:
    try:
        obj = import_class_by_path(target)
    except ImportError:
        if _restoring():
            raise TargetClassError(
                f"_target_ {target!r} at {path or '<root>'} names a module that is not imported; a restored "
                "config may only name classes of modules already imported. Import the module first, or allow "
                "it: restore_from(..., allowed_modules=['<module>']) or "
                "modelpt.config_utils.restore_policy(allowed_modules=[...])."
            ) from None
        return None
    if not _allowed_instantiation(obj):
        raise TargetClassError(
            f"_target_ {target!r} at {path or '<root>'} is {obj!r}; config-driven instantiation only "
            "builds torch modules, datasets, samplers, optimizers, LR schedulers, Serialization "
            "subclasses and dataclasses. Instantiate anything else in code."
        )
    return obj
