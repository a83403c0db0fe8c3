"""A small JSON ledger of the checkpoints in a checkpoint directory.

Each saved file is recorded with its kind (``topk``, ``last``, ``end``, ``nemo``), global step, epoch and
monitored metric. A resumed run rebuilds its top-k bookkeeping from the ledger (plus the files on disk, for
directories written by NeMo or a save that was killed between writing the file and the ledger), and the
``.nemo`` written at train end names the checkpoint it came from. Only global rank 0 writes it; every
write is atomic.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from expmanager._io import atomic_write_text

__all__ = ["LEDGER_NAME", "Ledger"]

LEDGER_NAME = "checkpoint_ledger.json"
_FORMAT = 1


def _plain_number(value: Any) -> float | None:
    """A metric as a JSON-friendly float (tensors and numpy scalars included); NaN/inf become None."""
    if value is None:
        return None
    try:
        number = float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class Ledger:
    """The ledger file of one checkpoint directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LEDGER_NAME

    def read(self) -> dict[str, Any]:
        """The ledger's content; an empty ledger when the file is missing or unreadable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"format": _FORMAT, "entries": {}}
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            return {"format": _FORMAT, "entries": {}}
        return data

    def entries(self) -> dict[str, dict[str, Any]]:
        """``{file name: entry}`` for every recorded file."""
        return dict(self.read()["entries"])

    def record(
        self,
        filepath: str | os.PathLike[str],
        kind: str,
        *,
        step: int,
        epoch: int,
        metric: Any = None,
        monitor: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add or replace the entry for ``filepath`` and return it."""
        data = self.read()
        entry = {
            "file": Path(filepath).name,
            "kind": kind,
            "step": int(step),
            "epoch": int(epoch),
            "monitor": monitor,
            "metric": _plain_number(metric),
            **extra,
        }
        data["entries"][entry["file"]] = entry
        self._write(data)
        return entry

    def drop(self, filepath: str | os.PathLike[str]) -> None:
        """Forget ``filepath`` (it was deleted)."""
        data = self.read()
        if data["entries"].pop(Path(filepath).name, None) is not None:
            self._write(data)

    def get(self, filepath: str | os.PathLike[str]) -> dict[str, Any] | None:
        """The entry for ``filepath``, if recorded."""
        return self.entries().get(Path(filepath).name)

    def _write(self, data: dict[str, Any]) -> None:
        data["format"] = _FORMAT
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(data, indent=1, sort_keys=True))
