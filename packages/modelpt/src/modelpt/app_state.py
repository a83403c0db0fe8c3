"""``AppState``: the process-wide singleton NeMo uses to share run facts between components.

It records the world size and ranks, the restore state read by ``ModelPT.__init__`` and
``register_artifact``, the history of restored paths and the registry of model GUIDs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["AppState", "ModelMetadataRegistry"]


@dataclass
class ModelMetadataRegistry:
    """What AppState knows about one model instance.

    Attributes:
        guid: The model's GUID.
        gidx: Registration order.
        restoration_path: The ``.nemo`` it was restored from, or None.
    """

    guid: str
    gidx: int
    restoration_path: str | None = None


class _Singleton(type):
    _instances: dict[type, Any] = {}  # noqa: RUF012 - metaclass-level registry
    _lock = threading.Lock()

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls not in cls._instances:
            with cls._lock:
                if cls not in cls._instances:
                    cls._instances[cls] = super().__call__(*args, **kwargs)
        return cls._instances[cls]


class AppState(metaclass=_Singleton):
    """Process-wide state shared by models, connectors and trainers (one instance per process)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.device_id: int | None = None
        self.world_size: int | None = None
        self.global_rank: int = 0
        self.local_rank: int = 0
        self.node_rank: int = 0
        self.model_parallel_size: int | None = None
        self.tensor_model_parallel_size: int | None = None
        self.pipeline_model_parallel_size: int | None = None
        self.data_parallel_size: int | None = None
        self.log_dir: str | None = None
        self.exp_dir: str | None = None
        self.name: str | None = None
        self.checkpoint_name: str | None = None
        self.version: str | None = None
        self.create_checkpoint_callback: bool = False
        self.checkpoint_callback_params: Any = None
        self._is_megatron_initialized = False
        self._model_restore_path: list[str] = []
        self._is_model_being_restored = False
        self._nemo_file_folder: str | None = None
        self._restore_source: Any = None
        self._all_model_restore_paths: list[str] = []
        self._model_guid_map: dict[str, ModelMetadataRegistry] = {}

    # ------------------------------------------------------------------ restore state
    @property
    def model_restore_path(self) -> str | None:
        """The path of the most recent restore (None before any)."""
        return self._model_restore_path[-1] if self._model_restore_path else None

    @model_restore_path.setter
    def model_restore_path(self, path: str) -> None:
        with self._lock:
            self._model_restore_path.append(path)
            self._all_model_restore_paths.append(path)

    @property
    def is_model_being_restored(self) -> bool:
        """True while a connector builds a model from a ``.nemo`` (data loaders are then not set up)."""
        return self._is_model_being_restored

    @is_model_being_restored.setter
    def is_model_being_restored(self, is_restored: bool) -> None:
        self._is_model_being_restored = is_restored

    @property
    def nemo_file_folder(self) -> str | None:
        """The folder artifacts of the model being restored are resolved against (None: none)."""
        return self._nemo_file_folder

    @nemo_file_folder.setter
    def nemo_file_folder(self, path: str | None) -> None:
        self._nemo_file_folder = path

    @property
    def restore_source(self) -> Any:
        """The open archive of the model being restored, read by ``register_artifact`` (None otherwise)."""
        return self._restore_source

    @restore_source.setter
    def restore_source(self, source: Any) -> None:
        self._restore_source = source

    # ------------------------------------------------------------------ GUIDs
    def register_model_guid(self, guid: str, restoration_path: str | None = None) -> None:
        """Record a model GUID (and the path it was restored from) once; later calls keep the first record."""
        with self._lock:
            if guid in self._model_guid_map:
                return
            self._model_guid_map[guid] = ModelMetadataRegistry(
                guid, len(self._model_guid_map), restoration_path
            )

    def reset_model_guid_registry(self) -> None:
        """Forget every registered GUID."""
        with self._lock:
            self._model_guid_map.clear()

    def get_model_metadata_from_guid(self, guid: str) -> ModelMetadataRegistry:
        """Return the record of ``guid``.

        Raises:
            KeyError: The GUID was never registered.
        """
        return self._model_guid_map[guid]

    # ------------------------------------------------------------------ distributed facts
    @property
    def is_megatron_initialized(self) -> bool:
        """Always False here: Megatron is out of scope (kept for code that reads it)."""
        return self._is_megatron_initialized
