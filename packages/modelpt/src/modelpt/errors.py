"""The exceptions raised by modelpt.

Every error carries its message in ``str(exc)`` and in ``.message`` (NeMo's attribute), and says what was
received, what was expected and how to fix it.
"""

from __future__ import annotations

# The root shared by every package's errors (NeMo's name), so ``except NeMoBaseException`` catches modelpt's
# and expmanager's errors alike.
from neural_types.errors import NeMoBaseException

__all__ = [
    "NeMoBaseException",
    "ModelPTError",
    "ConfigError",
    "TargetClassError",
    "ArtifactError",
    "RestoreError",
    "DeviceError",
    "ArgumentTypeError",
    "ArgumentValueError",
    "NotSupportedError",
    "ExportError",
    "MissingDependencyError",
]


class ModelPTError(NeMoBaseException):
    """A model was used in a way its contract does not allow (e.g. a submodule registered too early)."""


class ConfigError(NeMoBaseException, ValueError):
    """A config has the wrong type or shape (also a ``ValueError``, as NeMo raises)."""


class TargetClassError(NeMoBaseException, ValueError):
    """A config's ``target`` names a class that is not a subclass of the class being instantiated."""


class ArtifactError(NeMoBaseException):
    """An artifact cannot be registered, found or packed."""


class RestoreError(NeMoBaseException):
    """A ``.nemo`` cannot be restored (missing weights, wrong class, ...)."""


class DeviceError(RestoreError, RuntimeError):
    """The device asked for (``map_location``) cannot be used; the checkpoint itself was not found faulty."""


class ArgumentTypeError(NeMoBaseException, TypeError):
    """A public call got an argument of the wrong type (e.g. ``save_to(None)``); the message names it."""


class ArgumentValueError(NeMoBaseException, ValueError):
    """A public call got an argument it cannot use (e.g. a URL for ``restore_from``); the message names it."""


class NotSupportedError(NeMoBaseException, NotImplementedError):
    """A NeMo feature that modelpt deliberately does not provide (e.g. Megatron optimizers)."""


class ExportError(NeMoBaseException):
    """An export failed or its check against onnxruntime / TorchScript did not match."""


class MissingDependencyError(NeMoBaseException, ImportError):
    """An optional package needed for this call is not installed; the message names it."""
