"""``nemo.core.classes.dataset``: ``Dataset`` and ``IterableDataset`` with typed outputs, and ``DatasetConfig``.

A data set declares ``output_types`` only; its ``collate_fn`` (the function handed to ``DataLoader``) runs
the default collation, or the subclass's ``_collate_fn``, under ``@typecheck()``, so the collated batch is
checked against ``output_types`` and carries its neural types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch.utils import data

from modelpt import Serialization
from neural_types import Typing, typecheck

__all__ = ["Dataset", "DatasetConfig", "IterableDataset"]


class _TypedCollate:
    """``_collate_fn`` / ``collate_fn`` shared by both data set kinds."""

    input_types: Any

    def _collate_fn(self, batch: Any) -> Any:
        """Collate ``batch`` with torch's default collation; override for custom batching."""
        return data.dataloader.default_collate(batch)

    @typecheck()
    def collate_fn(self, batch: Any) -> Any:
        """Collate ``batch`` (through ``_collate_fn``), checking and typing it against ``output_types``.

        Raises:
            TypeError: The data set declares ``input_types`` (data sets must not: nothing checks them).
        """
        if self.input_types is not None:
            raise TypeError(
                f"{type(self).__name__} declares input_types, but data sets must not: they are never checked. "
                "Remove the input_types property and declare output_types only."
            )
        return self._collate_fn(batch)


class Dataset(_TypedCollate, data.Dataset[Any], Typing, Serialization):
    """A map-style ``torch.utils.data.Dataset`` with output neural types and config serialization."""


class IterableDataset(_TypedCollate, data.IterableDataset[Any], Typing, Serialization):
    """An iterable ``torch.utils.data.IterableDataset`` with output neural types and config serialization."""


@dataclass
class DatasetConfig:
    """The data loader settings of a data set section (``train_ds``, ``validation_ds``, ``test_ds``)."""

    batch_size: int = 32
    drop_last: bool = False
    shuffle: bool = False
    num_workers: int | None = 0
    pin_memory: bool = True
