"""``NeuralModule``: a ``torch.nn.Module`` with neural types, config serialization and file IO.

Freezing follows NeMo's partial semantics: ``freeze()`` records every parameter's ``requires_grad`` before
turning it off, and ``unfreeze(partial=True)`` restores exactly that record, so a sub-module frozen on purpose
stays frozen across ``model.freeze()`` / ``model.unfreeze(partial=True)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import torch

from modelpt.serialization import FileIO, Serialization
from neural_types import AxisKind, NeuralType, Typing

__all__ = ["NeuralModule", "freeze", "unfreeze", "random_input_example"]

logger = logging.getLogger(__name__)

# Element types whose values are integers (indices, lengths, labels): examples use int64 for them.
_INTEGER_ELEMENTS = ("LengthsType", "LabelsType", "TokenIndex", "Index", "IntType", "MaskType", "BoolType")


def _is_integer_type(neural_type: NeuralType) -> bool:
    return any(cls.__name__ in _INTEGER_ELEMENTS for cls in type(neural_type.elements_type).__mro__)


def random_input_example(
    input_types: dict[str, Any] | None,
    max_batch: int | None = None,
    max_dim: int | None = None,
    device: torch.device | str | None = None,
) -> tuple[Any, ...] | None:
    """Random tensors matching ``input_types`` (mandatory inputs, declaration order), or None if untyped.

    Batch axes get ``max_batch`` (default 2); axes with a declared size keep it; every other axis gets
    ``max_dim`` (default 8). Integer element types (lengths, labels, indices) give int64 values in
    ``[1, max_dim]``; everything else float32 normal values. Container specs give a one-element list.
    The tensors are made on ``device`` (default: the CPU).
    """
    if not input_types:
        return None
    batch = max_batch or 2
    dim = max_dim or 8
    examples: list[Any] = []
    for declared in input_types.values():
        spec = declared
        depth = 0
        while isinstance(spec, (list, tuple)):
            spec = spec[0]
            depth += 1
        if not isinstance(spec, NeuralType) or spec.optional:
            continue
        if spec.axes is None:
            shape: tuple[int, ...] = (batch,)
        else:
            shape = tuple(
                batch if a.kind == AxisKind.Batch else (a.size if a.size is not None else dim)
                for a in spec.axes
            )
        if _is_integer_type(spec):
            value: Any = torch.randint(1, dim + 1, shape, dtype=torch.int64, device=device)
        else:
            value = torch.randn(shape, device=device)
        for _ in range(depth):
            value = [value]
        examples.append(value)
    return tuple(examples)


def freeze(module: torch.nn.Module) -> None:
    """Freeze ``module``: record each parameter's ``requires_grad``, turn all off, switch to eval mode.

    A record left by an earlier ``freeze`` is updated, not replaced (freezing twice records False).
    """
    grad_map = getattr(module, "_frozen_grad_map", None)
    if grad_map is None:
        grad_map = {}
        module._frozen_grad_map = grad_map  # type: ignore[assignment]
    for name, param in module.named_parameters():
        grad_map[name] = param.requires_grad
        param.requires_grad = False
    module.eval()


def unfreeze(module: torch.nn.Module, partial: bool = False) -> None:
    """Unfreeze ``module`` and switch it to train mode.

    Args:
        module: The module.
        partial: Restore each parameter's ``requires_grad`` as recorded by :func:`freeze` (parameters added
            since get True, with a warning); False turns every parameter on.

    Raises:
        ValueError: ``partial=True`` without a previous :func:`freeze`.
    """
    grad_map = getattr(module, "_frozen_grad_map", None)
    if partial and grad_map is None:
        raise ValueError(
            "unfreeze(partial=True) needs a record of requires_grad from a previous freeze(); call freeze() "
            "first, or use unfreeze() to unfreeze every parameter."
        )
    for name, param in module.named_parameters():
        if not partial:
            param.requires_grad = True
        elif name in grad_map:  # type: ignore[operator]
            param.requires_grad = grad_map[name]  # type: ignore[index]
        else:
            logger.warning("parameter %s was not recorded by freeze(); unfreezing it", name)
            param.requires_grad = True
    if grad_map is not None:
        del module._frozen_grad_map
    module.train()


class NeuralModule(torch.nn.Module, Typing, Serialization, FileIO):
    """Base of NeMo's neural modules: typed inputs/outputs, config serialization, freezing helpers.

    ``torch.jit.script`` compiles a subclass's ``forward`` as usual: the type declarations and
    ``num_weights`` are Python-only properties that TorchScript is told to leave alone.
    """

    __jit_unused_properties__: ClassVar[list[str]] = [*Typing.__jit_unused_properties__, "num_weights"]

    @property
    @torch.jit.unused
    def num_weights(self) -> int:
        """Number of trainable (``requires_grad``) parameter elements."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def input_example(self, max_batch: int | None = None, max_dim: int | None = None) -> Any:
        """A tuple of random inputs matching ``input_types`` (used by export); None when untyped.

        The tensors are made on the device of the module's first parameter (or buffer), so a module moved
        to a GPU exports without further ado. Override it when random values are not valid inputs (e.g.
        lengths that must match a signal).
        """
        first: torch.Tensor | None = next(self.parameters(), None)
        if first is None:
            first = next(self.buffers(), None)
        declared = self.input_types  # a property that may build its dict on every read
        return random_input_example(
            dict(declared) if declared else None,
            max_batch=max_batch,
            max_dim=max_dim,
            device=None if first is None else first.device,
        )

    def freeze(self) -> None:
        """Freeze all parameters, remembering their ``requires_grad`` for ``unfreeze(partial=True)``."""
        freeze(self)

    def unfreeze(self, partial: bool = False) -> None:
        """Unfreeze all parameters, or (``partial``) restore the flags recorded by :meth:`freeze`.

        Raises:
            ValueError: ``partial=True`` without a previous :meth:`freeze`.
        """
        unfreeze(self, partial=partial)

    @contextmanager
    def as_frozen(self) -> Iterator[None]:
        """Freeze inside the block; afterwards restore ``requires_grad`` flags and train/eval mode."""
        training = self.training
        self.freeze()
        try:
            yield
        finally:
            self.unfreeze(partial=True)
            self.train(training)
