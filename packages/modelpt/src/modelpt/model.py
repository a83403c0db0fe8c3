# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""``Model``: what every NeMo model class offers besides Lightning.

Neural types, configs, ``.nemo`` files, Hub IO and pretrained lookup (``list_available_models`` /
``from_pretrained``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.request
from abc import abstractmethod
from pathlib import Path
from typing import Any

from hf_io import HuggingFaceFileIO
from modelpt.pretrained import PretrainedModelInfo, resolve_cache_dir
from modelpt.serialization import FileIO, Serialization
from neural_types import Typing

__all__ = ["Model"]

logger = logging.getLogger(__name__)


class Model(Typing, Serialization, FileIO, HuggingFaceFileIO):
    """Interface of every NeMo model: neural types, configs, ``.nemo`` IO and pretrained lookup."""

    @classmethod
    @abstractmethod
    def list_available_models(cls) -> list[PretrainedModelInfo] | None:
        """Pretrained models of this class that :meth:`from_pretrained` can fetch by name (None: none)."""

    @classmethod
    def get_available_model_names(cls) -> list[str]:
        """Names of :meth:`list_available_models` (empty when there are none)."""
        models = cls.list_available_models() or []
        return [m.pretrained_model_name for m in models]

    @classmethod
    def search_for_pretrained_model(cls, model_name: str) -> tuple[type, str, str]:
        """``(class, location, description)`` of the listed model named (or aliased) ``model_name``.

        Raises:
            FileNotFoundError: No listed model has that name or alias.
        """
        for info in cls.list_available_models() or []:
            if info.pretrained_model_name == model_name or model_name in (info.aliases or []):
                return info.class_ or cls, info.location, info.description
        raise FileNotFoundError(
            f"Model {model_name} was not found. Check {cls.__name__}.list_available_models() for the models "
            "available, or pass a local .nemo path or a Hub repo id (owner/name)."
        )

    @classmethod
    def _download_listed(cls, location: str, description: str, refresh_cache: bool) -> str:
        """Download a listed model's ``.nemo`` into the cache (atomically) and return the local path.

        The bytes go through nemo-archive's atomic write: an interrupted download leaves nothing under the final
        name (and a refresh that fails keeps the cached copy); a killed one's temp file is removed by the next.
        """
        import http.client

        from nemo_archive import DiskFullError, atomic_write

        filename = location.rstrip("/").split("/")[-1]
        digest = hashlib.md5((location + description).encode("utf-8"), usedforsecurity=False).hexdigest()
        folder = resolve_cache_dir() / filename[:-5] / digest
        target = folder / filename
        if refresh_cache or not target.exists():
            last_error: Exception | None = None
            for _ in range(3):
                try:
                    with urllib.request.urlopen(location) as response, atomic_write(target) as out:
                        _copy_whole(response, out)
                    break
                except DiskFullError:
                    raise
                except (OSError, http.client.HTTPException) as exc:  # HTTPException: a body cut short
                    last_error = exc
            else:
                raise ValueError(f"could not download {location} after 3 attempts: {last_error}")
        return str(target)

    @classmethod
    def from_pretrained(
        cls,
        model_name: str,
        refresh_cache: bool = False,
        override_config_path: str | None = None,
        map_location: Any = None,
        strict: bool = True,
        return_config: bool = False,
        trainer: Any = None,
        save_restore_connector: Any = None,
        return_model_file: bool = False,
    ) -> Any:
        """Restore a pretrained model from a local ``.nemo`` or unpacked folder, a listed name, or a Hub repo.

        Resolution: an existing local path; else a name ``owner/name`` → the Hugging Face Hub (through
        hf-io's resolver, which caches files and unpacked repos); else a name or alias from
        :meth:`list_available_models` (its location is downloaded into the cache once).

        Returns:
            The model, its config (``return_config``) or the local path (``return_model_file``).

        Raises:
            FileNotFoundError: The name is neither a path, a listed model nor a Hub repo id.
        """
        from modelpt.save_restore_connector import SaveRestoreConnector

        connector = save_restore_connector or SaveRestoreConnector()
        class_: type = cls
        local = os.path.expanduser(model_name)
        if os.path.exists(local):
            path = os.path.abspath(local)
        elif "/" in model_name:
            path = _resolve_hub(model_name, refresh_cache)
        else:
            class_, location, description = cls.search_for_pretrained_model(model_name)
            path = (
                location
                if os.path.exists(location)
                else cls._download_listed(location, description, refresh_cache)
            )
        if return_model_file:
            return path
        if os.path.isdir(path):
            connector.model_extracted_dir = path
        return class_.restore_from(  # type: ignore[attr-defined]
            restore_path=path,
            override_config_path=override_config_path,
            map_location=map_location,
            strict=strict,
            return_config=return_config,
            save_restore_connector=connector,
            trainer=trainer,
        )


def _copy_whole(response: Any, out: Any) -> None:
    """Copy an HTTP body to ``out``; raise ``IncompleteRead`` when it ends before its ``Content-Length``.

    ``http.client`` returns a body cut short (connection dropped) as if it were complete.
    """
    import http.client

    expected = response.headers.get("Content-Length")
    received = 0
    while chunk := response.read(16 * 1024 * 1024):
        out.write(chunk)
        received += len(chunk)
    if expected is not None and expected.isdigit() and received != int(expected):
        raise http.client.IncompleteRead(b"", int(expected) - received)


def _resolve_hub(repo_id: str, refresh_cache: bool) -> str:
    """Local path (``.nemo`` file or unpacked folder) of Hub repo ``repo_id``, through hf-io's cached resolver."""
    from hf_io import resolve_pretrained

    return str(Path(resolve_pretrained(repo_id, refresh_cache=refresh_cache)))
