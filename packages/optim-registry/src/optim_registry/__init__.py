"""NeMo's optimizers and learning-rate schedules, exact, as a registry usable by any PyTorch project.

``import optim_registry`` imports torch, never Lightning, Hydra or OmegaConf (``DictConfig`` inputs are
accepted and converted lazily). Parameter dataclasses live in :mod:`optim_registry.params` (optimizers) and
:mod:`optim_registry.scheduler_params` (schedulers).
"""

from optim_registry.adafactor import Adafactor
from optim_registry.adan import Adan
from optim_registry.errors import (
    BackendUnavailableError,
    DuplicateNameError,
    MissingMaxStepsError,
    OptimRegistryError,
    UnknownKeysError,
    UnknownNameError,
)
from optim_registry.lr_scheduler import (
    AVAILABLE_SCHEDULERS,
    EPOCH_SCHEDULERS,
    compute_max_steps,
    get_scheduler,
    prepare_lr_scheduler,
    register_scheduler,
)
from optim_registry.novograd import Novograd
from optim_registry.optimizers import (
    AVAILABLE_OPTIMIZERS,
    OptimInfo,
    get_optimizer,
    get_optimizer_info,
    init_optimizer_states,
    list_optimizers,
    parse_optimizer_args,
    register_optimizer,
)
from optim_registry.params import AVAILABLE_OPTIMIZER_PARAMS, get_optimizer_config, register_optimizer_params
from optim_registry.radam import RAdam
from optim_registry.scheduler_params import (
    AVAILABLE_SCHEDULER_PARAMS,
    get_scheduler_config,
    register_scheduler_params,
)
from optim_registry.schedules import (
    CosineAnnealing,
    InverseSquareRootAnnealing,
    NoamAnnealing,
    NoamHoldAnnealing,
    PolynomialDecayAnnealing,
    PolynomialHoldDecayAnnealing,
    SquareAnnealing,
    SquareRootAnnealing,
    SquareRootConstantPolicy,
    T5InverseSquareRootAnnealing,
    WarmupAnnealHoldPolicy,
    WarmupAnnealing,
    WarmupHoldAnnealLinear,
    WarmupHoldAnnealOneMinusSquareRoot,
    WarmupHoldPolicy,
    WarmupPolicy,
)

__version__ = "0.1.0"

__all__ = [
    # optimizers
    "AVAILABLE_OPTIMIZERS",
    "OptimInfo",
    "get_optimizer",
    "get_optimizer_info",
    "init_optimizer_states",
    "list_optimizers",
    "parse_optimizer_args",
    "register_optimizer",
    "AVAILABLE_OPTIMIZER_PARAMS",
    "get_optimizer_config",
    "register_optimizer_params",
    "Adafactor",
    "Adan",
    "Novograd",
    "RAdam",
    # schedulers
    "AVAILABLE_SCHEDULERS",
    "EPOCH_SCHEDULERS",
    "compute_max_steps",
    "get_scheduler",
    "prepare_lr_scheduler",
    "register_scheduler",
    "AVAILABLE_SCHEDULER_PARAMS",
    "get_scheduler_config",
    "register_scheduler_params",
    "CosineAnnealing",
    "InverseSquareRootAnnealing",
    "NoamAnnealing",
    "NoamHoldAnnealing",
    "PolynomialDecayAnnealing",
    "PolynomialHoldDecayAnnealing",
    "SquareAnnealing",
    "SquareRootAnnealing",
    "SquareRootConstantPolicy",
    "T5InverseSquareRootAnnealing",
    "WarmupAnnealHoldPolicy",
    "WarmupAnnealing",
    "WarmupHoldAnnealLinear",
    "WarmupHoldAnnealOneMinusSquareRoot",
    "WarmupHoldPolicy",
    "WarmupPolicy",
    # errors
    "BackendUnavailableError",
    "DuplicateNameError",
    "MissingMaxStepsError",
    "OptimRegistryError",
    "UnknownKeysError",
    "UnknownNameError",
    "__version__",
]
