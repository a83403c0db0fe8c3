"""``dump_debug_info``: per-module activation, gradient and weight norms during training.

With ``dump_debug_info: true`` in the model config, ModelPT registers hooks when ``fit`` starts that measure,
for every named submodule, the norms of its floating-point inputs and outputs in the forward and backward pass,
and for every parameter its weight and gradient norms. They are logged under NeMo's metric names
(``debug_info_forward/<module>_rank<r>_input<i>`` / ``_output<i>``, ``debug_info_backward/...``,
``debug_info_tensors/<param>_rank<r>_weight_norm`` / ``_grad_norm``) once per training batch, and with
``dump_debug_info_to_file: true`` also appended as CSV rows (one file per module or parameter, with a header).

Differences from NeMo: the CSV files go to ``<trainer log dir>/debug_info/`` (NeMo writes ``debug_info/``
into the current directory), the values are logged from ``on_train_batch_end`` rather than from inside the
backward pass, and ``dump_debug_info`` without ``dump_debug_info_to_file`` works (NeMo fails on its first hook).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import torch

__all__ = ["DebugHooks"]

_FLOAT_DTYPES = ("torch.float32", "torch.float16", "torch.bfloat16")


def _float_tensors(values: Any) -> list[Any]:
    items = values if isinstance(values, tuple | list) else (values,)
    return [v for v in items if isinstance(v, torch.Tensor) and str(v.dtype) in _FLOAT_DTYPES]


class DebugHooks:
    """Hooks on one model collecting norms, flushed once per training batch.

    Args:
        model: The module to instrument (every named submodule and parameter).
        rank: This process's global rank (it goes into every metric name and file name).
        dump_dir: Where to write the CSV files, or None for metrics only.
        step: Returns the trainer's global step when a hook fires (it goes into each CSV row).
    """

    def __init__(self, model: Any, rank: int, dump_dir: Path | None, step: Callable[[], int]) -> None:
        self.rank = rank
        self._step = step
        self.dump_dir = dump_dir
        self.pending: dict[str, float] = {}
        self._rows: dict[str, list[tuple[list[str], list[float], int]]] = {}
        self._files: dict[str, TextIO] = {}
        self._handles: list[Any] = []
        # The first layer's inputs never require grad, so torch warns at every backward that its full backward
        # hook sees output gradients only; that is expected here (its input norms are simply absent). The
        # filter stays for the process once debug info is switched on.
        warnings.filterwarnings(
            "ignore", message="Full backward hook is firing when gradients are computed", category=UserWarning
        )
        for name, module in model.named_modules():
            if name:
                self._handles.append(module.register_forward_hook(self._forward_hook(name), with_kwargs=True))
                self._handles.append(module.register_full_backward_hook(self._module_hook("backward", name)))
        for name, param in model.named_parameters():
            if param.requires_grad:
                self._handles.append(param.register_hook(self._tensor_hook(name, param)))
        if dump_dir is not None:
            dump_dir.mkdir(parents=True, exist_ok=True)

    def _forward_hook(self, name: str) -> Any:
        record = self._module_hook("forward", name)

        def hook(module: Any, args: Any, kwargs: dict[str, Any], outputs: Any) -> None:
            # NeMo modules are called with keyword arguments (typecheck requires it): count those as inputs.
            record(module, (*args, *kwargs.values()), outputs)

        return hook

    def _module_hook(self, direction: str, name: str) -> Any:
        def hook(module: Any, inputs: Any, outputs: Any) -> None:
            if not module.training:
                return
            headers: list[str] = []
            values: list[float] = []
            for kind, tensors in (("input", inputs), ("output", outputs)):
                for i, tensor in enumerate(_float_tensors(tensors)):
                    norm = float(tensor.detach().float().norm())
                    self.pending[f"debug_info_{direction}/{name}_rank{self.rank}_{kind}{i}"] = norm
                    headers.append(f"{kind}{i}")
                    values.append(norm)
            self._rows.setdefault(f"{direction}_{name}_rank{self.rank}.txt", []).append(
                (headers, values, self._step())
            )

        return hook

    def _tensor_hook(self, name: str, param: Any) -> Any:
        def hook(grad: Any) -> Any:
            weight_norm = float(param.detach().float().norm())
            grad_norm = float(grad.detach().float().norm())
            self.pending[f"debug_info_tensors/{name}_rank{self.rank}_grad_norm"] = grad_norm
            self.pending[f"debug_info_tensors/{name}_rank{self.rank}_weight_norm"] = weight_norm
            self._rows.setdefault(f"tensor_{name}_rank{self.rank}.csv", []).append(
                (["weight", "grad"], [weight_norm, grad_norm], self._step())
            )
            return grad

        return hook

    def flush(self) -> dict[str, float]:
        """Write this batch's CSV rows and return its metrics, clearing both."""
        if self.dump_dir is not None:
            for file_name, rows in self._rows.items():
                handle = self._files.get(file_name)
                if handle is None:
                    handle = self._files[file_name] = (self.dump_dir / file_name).open("a", encoding="utf-8")
                    handle.write(",".join([*rows[0][0], "step"]) + "\n")
                for _, values, step in rows:
                    handle.write(",".join([*(repr(v) for v in values), str(step)]) + "\n")
                handle.flush()
        self._rows.clear()
        metrics, self.pending = self.pending, {}
        return metrics

    def remove(self) -> None:
        """Detach every hook and close the files."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for file in self._files.values():
            file.close()
        self._files.clear()
