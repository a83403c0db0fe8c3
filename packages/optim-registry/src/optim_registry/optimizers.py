"""The optimizer registry (NeMo's ``nemo.core.optim.optimizers`` API) with timm-style records.

``AVAILABLE_OPTIMIZERS`` maps names to optimizer classes exactly as in NeMo. Alongside it every name has an
:class:`OptimInfo` record (class or lazily imported dotted path, description, capability flags,
defaults), which :func:`list_optimizers` and :func:`get_optimizer_info` expose. Optimizers from optional
packages (apex's ``lamb`` and ``fused_adam``) are recorded by dotted path and imported only when asked for.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import importlib.util
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from torch.optim import Optimizer

from optim_registry._config import (
    accepted_kwargs,
    check_keys,
    parse_key_value_list,
    resolve_dotted,
    to_plain,
    update_config_version,
)
from optim_registry._params_registry import coerce_fields
from optim_registry.adafactor import Adafactor
from optim_registry.adan import Adan
from optim_registry.errors import (
    BackendUnavailableError,
    DuplicateNameError,
    OptimRegistryError,
    UnknownNameError,
)
from optim_registry.novograd import Novograd
from optim_registry.params import (
    AVAILABLE_OPTIMIZER_PARAMS,
    OptimizerParams,
    get_optimizer_config,
    register_optimizer_params,
)
from optim_registry.radam import RAdam

__all__ = [
    "AVAILABLE_OPTIMIZERS",
    "OptimInfo",
    "get_optimizer",
    "get_optimizer_info",
    "init_optimizer_states",
    "list_optimizers",
    "parse_optimizer_args",
    "register_optimizer",
]


@dataclass(frozen=True)
class OptimInfo:
    """What the registry knows about one optimizer.

    Attributes:
        name: Registry key.
        opt_class: The optimizer class, or the dotted path of one in an optional package.
        description: One line saying what it is.
        has_eps: Takes an ``eps`` argument.
        has_momentum: Takes a ``momentum`` argument.
        has_betas: Takes a ``betas`` argument.
        defaults: The constructor's keyword defaults (empty for a dotted path not yet imported).
        params_cls: The parameter dataclass registered for it, if any.
        requires: The optional package a dotted path needs, named in errors.
    """

    name: str
    opt_class: type | str
    description: str = ""
    has_eps: bool = False
    has_momentum: bool = False
    has_betas: bool = False
    defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    params_cls: type | None = None
    requires: str | None = None

    @property
    def available(self) -> bool:
        """True if the class is already loaded or its package can be imported."""
        if not isinstance(self.opt_class, str):
            return True
        return importlib.util.find_spec(self.opt_class.split(".")[0]) is not None

    def resolve(self) -> type:
        """Return the optimizer class, importing its optional package if needed.

        Raises:
            BackendUnavailableError: The optional package is not installed.
        """
        if not isinstance(self.opt_class, str):
            return self.opt_class
        try:
            found = resolve_dotted(self.opt_class)
        except OptimRegistryError as exc:
            raise BackendUnavailableError(
                f"Optimizer {self.name!r} is {self.opt_class}, which needs the optional package "
                f"{self.requires or self.opt_class.split('.')[0]!r}: install it, or pick another optimizer."
            ) from exc
        return found  # type: ignore[no-any-return]


def _constructor_defaults(cls: type) -> dict[str, Any]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return {}
    return {
        name: parameter.default
        for name, parameter in signature.parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def _describe(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.strip().splitlines()[0] if doc.strip() else cls.__name__


def _make_info(name: str, cls: type, params_cls: type | None, description: str | None = None) -> OptimInfo:
    defaults = _constructor_defaults(cls)
    return OptimInfo(
        name=name,
        opt_class=cls,
        description=description or _describe(cls),
        has_eps="eps" in defaults,
        has_momentum="momentum" in defaults,
        has_betas="betas" in defaults,
        defaults=MappingProxyType(defaults),
        params_cls=params_cls,
    )


AVAILABLE_OPTIMIZERS: dict[str, type] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adadelta": torch.optim.Adadelta,
    "adamax": torch.optim.Adamax,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "rprop": torch.optim.Rprop,
    "novograd": Novograd,
    "adafactor": Adafactor,
    "adan": Adan,
    "radam": RAdam,
}

_DESCRIPTIONS = {
    "sgd": "Stochastic gradient descent with optional (Nesterov) momentum.",
    "adam": "Adam: adaptive moments with bias correction.",
    "adamw": "AdamW: Adam with decoupled weight decay.",
    "adadelta": "Adadelta: adaptive learning rate from running averages of updates.",
    "adamax": "Adamax: Adam with an infinity-norm second moment.",
    "adagrad": "Adagrad: per-coordinate learning rates from accumulated squared gradients.",
    "rmsprop": "RMSprop: normalises by a running average of squared gradients.",
    "rprop": "Rprop: sign-based resilient backpropagation (full-batch).",
    "novograd": "Novograd: layer-wise scalar second moments (NeMo's).",
    "adafactor": "Adafactor: factored second moments, relative step sizes (NeMo's).",
    "adan": "Adan: adaptive Nesterov momentum (NeMo's).",
    "radam": "RAdam: rectified Adam (NeMo's file, registered here).",
}

_INFOS: dict[str, OptimInfo] = {
    name: _make_info(name, cls, AVAILABLE_OPTIMIZER_PARAMS.get(f"{name}_params"), _DESCRIPTIONS[name])
    for name, cls in AVAILABLE_OPTIMIZERS.items()
}
_INFOS["lamb"] = OptimInfo(
    "lamb",
    "apex.optimizers.FusedLAMB",
    "LAMB, fused CUDA kernel from NVIDIA apex.",
    has_eps=True,
    has_betas=True,
    requires="apex",
)
_INFOS["fused_adam"] = OptimInfo(
    "fused_adam",
    "apex.optimizers.FusedAdam",
    "Adam, fused CUDA kernel from NVIDIA apex (needs CUDA).",
    has_eps=True,
    has_betas=True,
    requires="apex",
)


def register_optimizer(
    name: str, optimizer: type, optimizer_params: type, *, description: str | None = None
) -> None:
    """Add an optimizer under ``name`` and its parameter dataclass under ``"<ClassName>_params"``.

    The dataclass is also registered as ``"<name>_params"`` (when that key is free) so that
    ``parse_optimizer_args(name, {"name": "auto"})`` finds it; NeMo registers only the class-name key.

    Args:
        name: Registry key.
        optimizer: The optimizer class.
        optimizer_params: Its parameter dataclass.
        description: One line for :func:`list_optimizers`; defaults to the class docstring's first line.

    Raises:
        DuplicateNameError: ``name`` is already registered.
    """
    if name in AVAILABLE_OPTIMIZERS or name in _INFOS:
        raise DuplicateNameError(
            f"Cannot override pre-existing optimizers. Conflicting optimizer name = {name!r}; pick "
            f"another name."
        )
    register_optimizer_params(f"{optimizer.__name__}_params", optimizer_params)
    if f"{name}_params" not in AVAILABLE_OPTIMIZER_PARAMS:
        register_optimizer_params(f"{name}_params", optimizer_params)
    AVAILABLE_OPTIMIZERS[name] = optimizer
    _INFOS[name] = _make_info(name, optimizer, optimizer_params, description)


def get_optimizer_info(name: str) -> OptimInfo:
    """The :class:`OptimInfo` record of ``name``.

    Raises:
        UnknownNameError: ``name`` is not registered (lists the names and the closest match).
    """
    if name not in _INFOS:
        raise UnknownNameError("optimizer", name, _INFOS)
    return _INFOS[name]


def list_optimizers(
    filter: str | Sequence[str] = "",
    exclude_filters: Sequence[str] = (),
    with_description: bool = False,
    include_unavailable: bool = False,
) -> list[str] | list[tuple[str, str]]:
    """Registered optimizer names, sorted, optionally filtered by shell-style wildcards (``"adam*"``).

    Args:
        filter: One pattern or several; a name is kept if it matches any. Empty keeps all.
        exclude_filters: Patterns of names to drop.
        with_description: Return ``(name, description)`` pairs.
        include_unavailable: Also list optimizers whose optional package is not installed.

    Returns:
        Names, or ``(name, description)`` pairs.
    """
    patterns = [filter] if isinstance(filter, str) else list(filter)
    names = []
    for name in sorted(_INFOS):
        if patterns and patterns != [""] and not any(fnmatch.fnmatch(name, pat) for pat in patterns):
            continue
        if any(fnmatch.fnmatch(name, pat) for pat in exclude_filters):
            continue
        if not include_unavailable and not _INFOS[name].available:
            continue
        names.append(name)
    if with_description:
        return [(name, _INFOS[name].description) for name in names]
    return names


def get_optimizer(name: str, **kwargs: Any) -> functools.partial[Optimizer]:
    """Return ``functools.partial(OptimizerCls, **kwargs)``, to be called with the parameters.

    Every keyword is checked against the constructor now, rather than failing later at instantiation.

    Raises:
        UnknownNameError: ``name`` is not registered (lists the names and the closest match).
        BackendUnavailableError: The optimizer's optional package is missing, or ``fused_adam`` without CUDA.
        UnknownKeysError: Some keywords are not accepted by the optimizer (all are listed).
    """
    if name not in AVAILABLE_OPTIMIZERS:
        if name not in _INFOS:
            raise UnknownNameError("optimizer", name, _INFOS)
        AVAILABLE_OPTIMIZERS[name] = _INFOS[name].resolve()
    if name == "fused_adam" and not torch.cuda.is_available():
        raise BackendUnavailableError(
            "CUDA must be available to use fused_adam; pick 'adam' or 'adamw' on CPU."
        )
    optimizer = AVAILABLE_OPTIMIZERS[name]
    accepted = accepted_kwargs(optimizer)
    if accepted is not None:
        accepted.discard("params")
        check_keys(f"optimizer {name!r} ({optimizer.__name__})", kwargs, accepted)
    return functools.partial(optimizer, **kwargs)


def _resolve_params_target(target: str) -> type:
    """The optimizer parameter dataclass named by ``_target_`` (NeMo paths map onto this package's classes).

    Raises:
        OptimRegistryError: The path does not name an optimizer parameter dataclass.
    """
    short = target.rsplit(".", 1)[-1]
    ours = {cls.__name__: cls for cls in AVAILABLE_OPTIMIZER_PARAMS.values()}
    if target.startswith(("nemo.", "optim_registry.")) and short in ours:
        return ours[short]
    found = resolve_dotted(target)
    if isinstance(found, type) and dataclasses.is_dataclass(found) and issubclass(found, OptimizerParams):
        return found
    raise OptimRegistryError(
        f"Optimizer args `_target_` must name an optimizer parameter dataclass (an OptimizerParams "
        f"subclass), "
        f"got {target!r}."
    )


def parse_optimizer_args(optimizer_name: str, optimizer_kwargs: Any) -> dict[str, Any]:
    """Turn an optimizer's argument config into keyword arguments.

    Accepted forms:
        * ``None`` → ``{}``.
        * A list of ``"arg_name=arg_value"`` strings (NeMo's documented ``opt_args``), values parsed to
        numbers,
          booleans, None and tuples; keys are checked against ``"<optimizer_name>_params"`` when registered.
        * A mapping / ``DictConfig`` / dataclass with ``_target_`` (or legacy ``cls``) naming a parameter
          dataclass → that dataclass's fields, the remaining keys overriding them.
        * A mapping with ``name``: ``auto`` → the ``"<optimizer_name>_params"`` dataclass, else that registry
          key; overrides come from ``params`` if present, else the remaining keys → all the dataclass's
          fields.
        * Any other mapping (or dataclass) → returned as a plain dict.

    Args:
        optimizer_name: Registry name of the optimizer (used by ``auto`` and for key checks).
        optimizer_kwargs: The arguments in one of the forms above.

    Returns:
        A new dict of keyword arguments.

    Raises:
        UnknownNameError: A params name is not registered.
        UnknownKeysError: Keys that the parameter dataclass does not have (all listed at once).
        OptimRegistryError: Malformed ``"key=value"`` items, or a ``_target_`` that is not a params class.
    """
    if optimizer_kwargs is None:
        return {}
    plain = to_plain(optimizer_kwargs)
    if isinstance(plain, (list, tuple)):
        parsed = parse_key_value_list(plain)
        params_name = f"{optimizer_name}_params"
        if params_name in AVAILABLE_OPTIMIZER_PARAMS:
            return coerce_fields(AVAILABLE_OPTIMIZER_PARAMS[params_name], parsed)
        return parsed
    if not isinstance(plain, dict):
        raise OptimRegistryError(
            f"Optimizer arguments must be a mapping, a dataclass or a list of 'key=value' strings, got "
            f"{type(optimizer_kwargs).__name__}."
        )
    kwargs = update_config_version(plain)
    if "_target_" in kwargs:
        params_cls = _resolve_params_target(kwargs.pop("_target_"))
        return dict(vars(params_cls(**coerce_fields(params_cls, kwargs))))
    if "name" in kwargs:
        name = kwargs.pop("name")
        params_name = f"{optimizer_name}_params" if name == "auto" else name
        overrides = kwargs.pop("params") if isinstance(kwargs.get("params"), dict) else kwargs
        return dict(vars(get_optimizer_config(params_name, **overrides)()))
    return dict(kwargs)


def init_optimizer_states(optimizer: Optimizer) -> None:
    """Pre-create Adam/AdamW moment buffers (and ``max_exp_avg_sq`` with amsgrad), as NeMo does.

    Useful before loading a checkpoint into a fresh optimizer; other optimizers are left alone.
    """
    if not isinstance(optimizer, (torch.optim.Adam, torch.optim.AdamW)):
        return
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state[p]
            if len(state) == 0:
                state["step"] = torch.tensor(0.0)
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                if group.get("amsgrad"):
                    state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
