"""``nemo.core.optim.optimizer_with_main_params``: Apex's fp32-main-parameter optimizer wrapper.

``MainParamsOptimizerWrapper`` and ``GradBucket`` need NVIDIA Apex (``amp_C`` fused kernels) and a
Megatron-style distributed setup; nemo-core does not reimplement them. They exist so that NeMo code importing
them keeps importing, and raise a clear error naming Apex when constructed.
"""

from __future__ import annotations

from typing import Any

from nemo.errors import require

__all__ = ["GradBucket", "MainParamsOptimizerWrapper"]

_APEX = "pip install apex (built from https://github.com/NVIDIA/apex with its CUDA extensions)"


class GradBucket:
    """A contiguous fp32 gradient buffer for a group of parameters (needs Apex).

    Raises:
        OptionalDependencyError: Apex's ``amp_C`` is not installed.
    """

    def __init__(self, numel: int, chunk_size_mb: float, data_group: Any) -> None:
        require("amp_C", "GradBucket", _APEX)
        self.numel = numel
        self.chunk_size_mb = chunk_size_mb
        self.data_group = data_group


class MainParamsOptimizerWrapper:
    """Keep fp32 main copies of half-precision parameters and step an optimizer on them (needs Apex).

    Raises:
        OptionalDependencyError: Apex's ``amp_C`` is not installed.
    """

    def __init__(
        self,
        optimizer: Any,
        fp32_grad_accum: bool = False,
        contiguous_grad_bucket: bool = False,
        async_grad_allreduce: bool = False,
        grad_div_ar_fusion: bool = True,
        grad_allreduce_chunk_size_mb: int = 0,
    ) -> None:
        require("amp_C", "MainParamsOptimizerWrapper", _APEX)
        self.optimizer = optimizer
