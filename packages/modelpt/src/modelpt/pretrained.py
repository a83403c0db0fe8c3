# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""``PretrainedModelInfo`` and the cache folder of downloaded models."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import total_ordering
from pathlib import Path
from typing import Any

__all__ = ["PretrainedModelInfo", "resolve_cache_dir"]


@total_ordering
@dataclass
class PretrainedModelInfo:
    """One entry of ``list_available_models()``.

    Equal when the locations are equal or the names are; hashed by location; ordered by name (as in NeMo).
    """

    pretrained_model_name: str
    description: str
    location: str
    class_: Any = None
    aliases: list[str] | None = None

    def __repr__(self) -> str:
        base = type(self).__name__
        extras = f",\n\tclass_={self.class_}" if self.class_ is not None else ""
        return (
            f"{base}(\n\tpretrained_model_name={self.pretrained_model_name},\n\tdescription={self.description},"
            f"\n\tlocation={self.location}{extras}\n)"
        )

    def __hash__(self) -> int:
        return hash(self.location)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PretrainedModelInfo):
            return NotImplemented
        return hash(self) == hash(other) or self.pretrained_model_name == other.pretrained_model_name

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PretrainedModelInfo):
            return NotImplemented
        return self.pretrained_model_name < other.pretrained_model_name


def resolve_cache_dir() -> Path:
    """``$NEMO_CACHE_DIR`` if set, else ``~/.cache/torch/NeMo/NeMo_<modelpt version>``."""
    override = os.environ.get("NEMO_CACHE_DIR", "")
    if override:
        return Path(override).resolve()
    from modelpt import __version__

    return Path.home() / ".cache" / "torch" / "NeMo" / f"NeMo_{__version__}"
