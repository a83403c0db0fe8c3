"""The scheduler registry and ``prepare_lr_scheduler`` (NeMo's ``nemo.core.optim.lr_scheduler`` API).

``prepare_lr_scheduler`` turns an ``optim.sched`` config into the dict Lightning's ``configure_optimizers``
expects, without importing Lightning. It follows NeMo §6.5 step by step; where NeMo silently returns None
for a schedule that cannot work (no ``max_steps``), this raises :class:`MissingMaxStepsError` saying which
settings would provide it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import math
from typing import Any

from torch.optim import Optimizer
from torch.optim import lr_scheduler as pt_scheduler

from optim_registry import schedules
from optim_registry._config import accepted_kwargs, resolve_dotted, to_plain, update_config_version
from optim_registry._params_registry import coerce_fields
from optim_registry.errors import (
    DuplicateNameError,
    MissingMaxStepsError,
    OptimRegistryError,
    UnknownKeysError,
    UnknownNameError,
)
from optim_registry.scheduler_params import (
    AVAILABLE_SCHEDULER_PARAMS,
    ReduceLROnPlateauParams,
    SchedulerParams,
    get_scheduler_config,
    register_scheduler_params,
)

__all__ = [
    "AVAILABLE_SCHEDULERS",
    "EPOCH_SCHEDULERS",
    "compute_max_steps",
    "get_scheduler",
    "prepare_lr_scheduler",
    "register_scheduler",
]

logger = logging.getLogger("optim_registry")

AVAILABLE_SCHEDULERS: dict[str, type] = {
    "WarmupPolicy": schedules.WarmupPolicy,
    "WarmupHoldPolicy": schedules.WarmupHoldPolicy,
    "SquareAnnealing": schedules.SquareAnnealing,
    "CosineAnnealing": schedules.CosineAnnealing,
    "NoamAnnealing": schedules.NoamAnnealing,
    "NoamHoldAnnealing": schedules.NoamHoldAnnealing,
    "WarmupHoldAnnealOneMinusSquareRoot": schedules.WarmupHoldAnnealOneMinusSquareRoot,
    "WarmupHoldAnnealLinear": schedules.WarmupHoldAnnealLinear,
    "WarmupAnnealing": schedules.WarmupAnnealing,
    "InverseSquareRootAnnealing": schedules.InverseSquareRootAnnealing,
    "T5InverseSquareRootAnnealing": schedules.T5InverseSquareRootAnnealing,
    "SquareRootAnnealing": schedules.SquareRootAnnealing,
    "PolynomialDecayAnnealing": schedules.PolynomialDecayAnnealing,
    "PolynomialHoldDecayAnnealing": schedules.PolynomialHoldDecayAnnealing,
    "StepLR": pt_scheduler.StepLR,
    "ExponentialLR": pt_scheduler.ExponentialLR,
    "ReduceLROnPlateau": pt_scheduler.ReduceLROnPlateau,
    "CyclicLR": pt_scheduler.CyclicLR,
}

#: Schedulers Lightning steps once per epoch rather than once per optimizer step.
EPOCH_SCHEDULERS: dict[str, type] = {
    "ExponentialLR": pt_scheduler.ExponentialLR,
    "ReduceLROnPlateau": pt_scheduler.ReduceLROnPlateau,
}

# Keys of a `sched` config that steer prepare_lr_scheduler rather than the scheduler itself.
_CONTROL_KEYS = (
    "name",
    "t_max_epochs",
    "t_accumulate_grad_batches",
    "t_limit_train_batches",
    "t_num_workers",
    "monitor",
    "reduce_on_plateau",
)
_PARAMS_BASES = (SchedulerParams, ReduceLROnPlateauParams)


def register_scheduler(name: str, scheduler: type, scheduler_params: type) -> None:
    """Add a scheduler class under ``name`` and its parameter dataclass under ``"<ClassName>_params"``.

    Raises:
        DuplicateNameError: ``name`` is already registered.
    """
    if name in AVAILABLE_SCHEDULERS:
        raise DuplicateNameError(
            f"Cannot override pre-existing schedulers. Conflicting scheduler name = {name!r}; pick "
            f"another name."
        )
    AVAILABLE_SCHEDULERS[name] = scheduler
    register_scheduler_params(f"{scheduler.__name__}_params", scheduler_params)


def get_scheduler(name: str, **kwargs: Any) -> functools.partial[Any]:
    """Return ``functools.partial(SchedulerCls, **kwargs)``, to be called with the optimizer.

    ``max_steps`` is dropped if the class does not take it (as in NeMo); every other key must be accepted.

    Raises:
        UnknownNameError: ``name`` is not registered (lists the names and the closest match).
        UnknownKeysError: Some keyword arguments are not accepted by the class (all are listed).
    """
    if name not in AVAILABLE_SCHEDULERS:
        raise UnknownNameError("scheduler", name, AVAILABLE_SCHEDULERS)
    scheduler_cls = AVAILABLE_SCHEDULERS[name]
    accepted = accepted_kwargs(scheduler_cls)
    if accepted is not None:
        accepted.discard("optimizer")
        if "max_steps" not in accepted:
            kwargs.pop("max_steps", None)
        bad = [key for key in kwargs if key not in accepted]
        if bad:
            raise UnknownKeysError(name, bad, accepted)
    return functools.partial(scheduler_cls, **kwargs)


def compute_max_steps(
    max_epochs: int,
    accumulate_grad_batches: int | None,
    limit_train_batches: int | float | None,
    num_workers: int | None,
    num_samples: int,
    batch_size: int,
    drop_last: bool,
) -> int:
    """Optimizer steps of a whole run, as NeMo computes them for schedules configured by epochs.

    ``per_worker = ceil(num_samples / max(1, num_workers))``; batches per epoch are ``floor`` (``drop_last``)
    or ``ceil`` of ``per_worker / batch_size``; an int ``limit_train_batches`` (or ``0.0``) caps them, a float
    scales them; the result is ``ceil(batches / accumulate_grad_batches) · max_epochs``. ``None`` for
    accumulation, limit or workers means 1, 1.0 and 1 (NeMo would crash).

    Args:
        max_epochs: Epochs of the run.
        accumulate_grad_batches: Batches per optimizer step.
        limit_train_batches: Lightning's ``limit_train_batches`` (int = batches, float = fraction).
        num_workers: Data-parallel ranks the dataset is split over.
        num_samples: Length of the training dataset.
        batch_size: Micro-batch size per rank.
        drop_last: Whether the last incomplete batch is dropped.

    Returns:
        The total number of optimizer steps.
    """
    rounding = math.floor if drop_last else math.ceil
    per_worker = math.ceil(num_samples / max(1, num_workers or 1))
    steps_per_epoch = rounding(per_worker / batch_size)
    limit = 1.0 if limit_train_batches is None else limit_train_batches
    if isinstance(limit, int) or limit == 0.0:
        steps_per_epoch = min(steps_per_epoch, int(limit))
    elif steps_per_epoch != float("inf"):
        steps_per_epoch = int(steps_per_epoch * limit)
    return math.ceil(steps_per_epoch / (accumulate_grad_batches or 1)) * max_epochs


def _batch_size_of(dataloader: Any) -> int:
    """The micro-batch size of a DataLoader, or of a Megatron-style batch sampler.

    Raises:
        OptimRegistryError: No batch size can be found.
    """
    if getattr(dataloader, "batch_size", None) is not None:
        return int(dataloader.batch_size)
    for holder in ("batch_sampler", "sampler"):
        micro = getattr(getattr(dataloader, holder, None), "micro_batch_size", None)
        if micro is not None:
            return int(micro)
    raise OptimRegistryError(
        f"Could not find the batch size of train_dataloader {dataloader!r}: it has no `batch_size` and its "
        "batch_sampler/sampler has no `micro_batch_size`. Set `max_steps` in the scheduler config instead."
    )


def _resolve_params_target(target: str) -> type:
    """The parameter dataclass named by a ``_target_`` path (NeMo's paths map onto this package's classes).

    Only scheduler parameter dataclasses are accepted, never arbitrary callables.

    Raises:
        OptimRegistryError: The path names something else.
    """
    short = target.rsplit(".", 1)[-1]
    ours = {cls.__name__: cls for cls in AVAILABLE_SCHEDULER_PARAMS.values()}
    if target.startswith(("nemo.", "optim_registry.")) and short in ours:
        return ours[short]
    found = resolve_dotted(target)
    if isinstance(found, type) and dataclasses.is_dataclass(found) and issubclass(found, _PARAMS_BASES):
        return found
    raise OptimRegistryError(
        f"Scheduler args `_target_` must name a scheduler parameter dataclass (a SchedulerParams subclass), "
        f"got {target!r}."
    )


def _needs_max_steps(scheduler_cls: type, args: dict[str, Any]) -> bool:
    """True if the class requires ``max_steps`` (no default) or the args use a ratio of it."""
    if schedules.needs_max_steps(args):
        return True
    for owner in inspect.getmro(scheduler_cls):
        if "__init__" not in vars(owner):
            continue
        parameter = inspect.signature(owner.__init__).parameters.get("max_steps")  # type: ignore[misc]
        if parameter is not None:
            return parameter.default is inspect.Parameter.empty
    return False


def _infer_max_steps(cfg: dict[str, Any], train_dataloader: Any) -> tuple[int | None, str]:
    """``max_steps`` from the config or from epochs x batches; otherwise None and the reason why."""
    given = cfg.get("max_steps")
    if given is not None and given != -1:
        if given < 0:
            raise OptimRegistryError(
                f"`max_steps` in the scheduler config must be a non-negative integer (or -1 to infer it), "
                f"got {given}."
            )
        return int(given), ""
    if "t_max_epochs" not in cfg:
        return None, "neither `max_steps` (other than -1) nor `t_max_epochs` is set in the scheduler config"
    if train_dataloader is None:
        return None, "`t_max_epochs` is set but no train_dataloader was passed to prepare_lr_scheduler"
    if cfg.get("t_max_epochs") is None:
        return None, "`t_max_epochs` is None (the trainer has neither max_steps nor max_epochs)"
    steps = compute_max_steps(
        max_epochs=cfg["t_max_epochs"],
        accumulate_grad_batches=cfg.get("t_accumulate_grad_batches"),
        limit_train_batches=cfg.get("t_limit_train_batches"),
        num_workers=cfg.get("t_num_workers"),
        num_samples=len(train_dataloader.dataset),
        batch_size=_batch_size_of(train_dataloader),
        drop_last=bool(getattr(train_dataloader, "drop_last", False)),
    )
    return steps, ""


def prepare_lr_scheduler(
    optimizer: Optimizer,
    scheduler_config: Any,
    train_dataloader: Any = None,
) -> dict[str, Any] | None:
    """Build the scheduler described by an ``optim.sched`` config, in the dict form Lightning expects.

    The config (dict, ``DictConfig`` or dataclass) has a ``name`` (a key of ``AVAILABLE_SCHEDULERS``) and
    either the scheduler's arguments inline (``warmup_steps``, ``min_lr``, ...) or an ``args`` sub-dict:
    ``args: {name: auto | <ParamsKey>, params: {...}}`` builds the arguments from a parameter dataclass,
    ``args: {_target_: <path of a Params class>, ...}`` from that class. ``max_steps`` is taken from the
    config, or inferred from ``t_max_epochs`` x batches per epoch / ``t_accumulate_grad_batches`` (per
    ``t_num_workers``, capped by ``t_limit_train_batches``) using ``train_dataloader``. ``monitor`` defaults
    to ``"loss"``.

    Args:
        optimizer: The optimizer to schedule.
        scheduler_config: The ``sched`` config, or None.
        train_dataloader: Needed only to infer ``max_steps`` from ``t_max_epochs``.

    Returns:
        ``{"scheduler", "interval" ("step"; "epoch" for EPOCH_SCHEDULERS), "frequency": 1, "monitor",
        "reduce_on_plateau"}``, or None when no config is given (or it has no ``name``, as in NeMo).

    Raises:
        UnknownNameError: The scheduler or params name is not registered.
        UnknownKeysError: Arguments the scheduler does not accept (all listed at once).
        MissingMaxStepsError: The schedule needs ``max_steps`` and none is given or inferable; the message
            says which settings would provide it.
    """
    if scheduler_config is None:
        logger.info("Scheduler not initialized as no `sched` config was supplied.")
        return None
    cfg = update_config_version(to_plain(scheduler_config))
    if not isinstance(cfg, dict):
        raise OptimRegistryError(
            f"The scheduler config must be a mapping (dict, DictConfig or dataclass), got "
            f"{type(cfg).__name__}."
        )
    if "args" in cfg:
        args = dict(cfg["args"] or {})
    else:
        args = {key: value for key, value in cfg.items() if key not in _CONTROL_KEYS}
    interval = "epoch" if cfg.get("name") in EPOCH_SCHEDULERS else "step"
    explicit = set(args)

    if "_target_" in args:
        params_cls = _resolve_params_target(args.pop("_target_"))
        explicit = set(args)
        args = vars(params_cls(**coerce_fields(params_cls, args))).copy()
        scheduler_name = params_cls.__name__.replace("Params", "")
    else:
        if "name" not in cfg:
            logger.warning(
                "The scheduler config has neither `name` nor `args._target_`: no scheduler is built."
            )
            return None
        scheduler_name = cfg["name"]
        if "name" in args:
            params_name = f"{scheduler_name}Params" if args["name"] == "auto" else args["name"]
            overrides = args.get("params") or {
                key: v for key, v in args.items() if key not in ("name", "params")
            }
            explicit = set(overrides)
            args = vars(get_scheduler_config(params_name, **overrides)()).copy()

    monitor = cfg.get("monitor") if "monitor" in cfg else "loss"
    if scheduler_name not in AVAILABLE_SCHEDULERS:
        raise UnknownNameError("scheduler", scheduler_name, AVAILABLE_SCHEDULERS)
    scheduler_cls = AVAILABLE_SCHEDULERS[scheduler_name]

    max_steps, reason = _infer_max_steps(cfg, train_dataloader)
    if max_steps is None and _needs_max_steps(scheduler_cls, args):
        raise MissingMaxStepsError(
            f"Scheduler {scheduler_name!r} needs max_steps, but {reason}. Provide it by setting "
            "`max_steps` in "
            "the scheduler config (trainer.max_steps), or `t_max_epochs` (with `t_accumulate_grad_batches`, "
            "`t_limit_train_batches`, `t_num_workers`) and passing train_dataloader to prepare_lr_scheduler."
        )
    args.pop("max_steps", None)
    if max_steps is not None:
        args["max_steps"] = max_steps

    accepted = accepted_kwargs(scheduler_cls)
    if accepted is not None:
        accepted.discard("optimizer")
        if "max_steps" not in accepted:
            args.pop("max_steps", None)
        bad = [key for key in args if key not in accepted]
        bad_explicit = [key for key in bad if key in explicit]
        if bad_explicit:
            raise UnknownKeysError(scheduler_name, bad_explicit, accepted)
        # Dataclass defaults that this torch version no longer takes (e.g. ReduceLROnPlateau's verbose).
        for key in bad:
            args.pop(key)

    schedule = scheduler_cls(optimizer, **args)
    logger.info("Scheduler %s will be used (effective max_steps = %s) with %s", schedule, max_steps, args)
    return {
        "scheduler": schedule,
        "interval": interval,
        "frequency": 1,
        "monitor": monitor,
        "reduce_on_plateau": isinstance(schedule, pt_scheduler.ReduceLROnPlateau),
    }
