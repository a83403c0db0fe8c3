"""Cache-blocked multi-tensor plumbing for the optimizers' ``torch._foreach_*`` paths.

On a CPU an optimizer step is bound by memory traffic. Applying each ``_foreach`` op to *all* parameters
streams every buffer through DRAM once per op; applying the whole sequence of ops to a cache-sized block of
tensors (large tensors are cut into flat slices) before moving on keeps the block in cache between ops. Small
tensors are packed together so the Python overhead per ``_foreach`` call is paid per block, not per tensor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import torch
from torch import Tensor

__all__ = [
    "CHUNK_NUMEL",
    "blocks",
    "evaluate_closure",
    "grads_of",
    "group_by_device_dtype",
    "params_with_grads",
]

#: Elements per block: 256 Ki fp32 elements (1 MiB) per buffer keeps the 4-6 buffers of a step in cache; on
#: the 2-core reference machine it beat 64 Ki, 128 Ki and whole tensors (benchmarks/optimizers.py).
CHUNK_NUMEL = 1 << 18


def evaluate_closure(closure: Callable[[], float] | None) -> float | None:
    """Run an optimizer's closure with gradients enabled (``step`` itself runs under ``no_grad``)."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def params_with_grads(group: dict[str, Any], owner: str) -> list[Tensor]:
    """The group's parameters that have a gradient.

    Raises:
        RuntimeError: A gradient is sparse; checked before any state is touched.
    """
    params = [p for p in group["params"] if p.grad is not None]
    for p in params:
        if cast(Tensor, p.grad).is_sparse:
            raise RuntimeError(f"{owner} does not support sparse gradients.")
    return params


def grads_of(params: Sequence[Tensor]) -> list[Tensor]:
    """The gradients of parameters already filtered to those that have one."""
    return [cast(Tensor, p.grad) for p in params]


def group_by_device_dtype(tensors: Sequence[Tensor]) -> dict[tuple[torch.device, torch.dtype], list[int]]:
    """Indices of ``tensors`` grouped by (device, dtype): a ``_foreach`` call must not mix them."""
    groups: dict[tuple[torch.device, torch.dtype], list[int]] = defaultdict(list)
    for index, tensor in enumerate(tensors):
        groups[(tensor.device, tensor.dtype)].append(index)
    return dict(groups)


def blocks(
    tensor_lists: Sequence[Sequence[Tensor]], indices: Sequence[int], chunk: int | None = None
) -> Iterator[tuple[list[int], list[list[Tensor]]]]:
    """Split parallel tensor lists into cache-sized blocks.

    Args:
        tensor_lists: Parallel lists (params, grads, states...); tensors at the same index have one shape.
        indices: Which positions of the lists to process (one device/dtype group).
        chunk: Elements per block; defaults to :data:`CHUNK_NUMEL`.

    Yields:
        ``(owners, views)``: ``owners[j]`` is the list index the ``j``-th view belongs to, and ``views[k][j]``
        is that view of ``tensor_lists[k]``. Tensors larger than a block are cut into flat slices when every
        list's tensor at that index is contiguous; otherwise they are yielded whole.
    """
    size = chunk or CHUNK_NUMEL
    owners: list[int] = []
    views: list[list[Tensor]] = [[] for _ in tensor_lists]
    filled = 0
    for index in indices:
        tensors = [tensor_list[index] for tensor_list in tensor_lists]
        numel = tensors[0].numel()
        if numel > size and all(t.is_contiguous() for t in tensors):
            flats = [t.view(-1) for t in tensors]
            for start in range(0, numel, size):
                yield [index], [[flat[start : start + size]] for flat in flats]
            continue
        owners.append(index)
        for column, tensor in zip(views, tensors, strict=False):
            column.append(tensor)
        filled += numel
        if filled >= size:
            yield owners, views
            owners, views, filled = [], [[] for _ in tensor_lists], 0
    if owners:
        yield owners, views
