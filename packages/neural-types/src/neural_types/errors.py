"""Errors raised by neural types and type checks, and the root exception shared by every nemo-core package.

The names match NeMo's so existing ``except`` clauses keep working. Unlike NeMo, every exception carries its
text in ``str(exc)`` as well as in ``.message``.

``NeMoBaseException`` lives here because neural-types is the root of the packages' dependency graph (stdlib
only): expmanager's and modelpt's errors both derive from this one class, so a single
``except NeMoBaseException`` catches either, as it does in NeMo.
"""

from __future__ import annotations

# typing is only needed by type checkers; importing it at run time would cost a few ms of import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "LightningNotInstalledException",
    "NeMoBaseException",
    "NeuralPortNameMismatchError",
    "NeuralPortNmTensorMismatchError",
    "NeuralTypeError",
]


class NeMoBaseException(Exception):
    """Root of the errors raised by nemo-core's packages (NeMo's name, so ``except`` clauses keep working).

    Args:
        message: What went wrong, what was expected and how to fix it.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LightningNotInstalledException(NeMoBaseException):
    """A feature that needs Lightning, Hydra and OmegaConf was used where they are not installed.

    Args:
        obj: The class, function or feature that was used (its name goes into the message).
    """

    def __init__(self, obj: object) -> None:
        name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or str(obj)
        super().__init__(
            f"{name} needs lightning, hydra-core and omegaconf, and at least one of them is not installed. "
            "Install them (pip install lightning hydra-core omegaconf, or pip install nemo-core) and try again."
        )
        self.obj = obj


class NeuralTypeError(Exception):
    """Base class for every error about neural types."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NeuralPortNameMismatchError(NeuralTypeError):
    """An input was passed under a port name the module does not declare.

    Args:
        input_port_name: The name that was passed.
    """

    def __init__(self, input_port_name: str) -> None:
        super().__init__(f"Wrong input port name: {input_port_name}")
        self.input_port_name = input_port_name


class NeuralPortNmTensorMismatchError(NeuralTypeError):
    """A value's neural type is incompatible with the type a module port declares.

    Args:
        class_name: The module (or parent type) owning the port.
        port_name: The port whose declaration was violated.
        first_type: The declared type, as text.
        second_type: The received type, as text.
        type_comatibility: The comparison result (NeMo's spelling of the argument is kept).
    """

    def __init__(
        self,
        class_name: str,
        port_name: str,
        first_type: Any,
        second_type: Any,
        type_comatibility: Any,
    ) -> None:
        message = (
            f"\nIn {class_name}. \nPort: {port_name} and a NmTensor it was fed are \n"
            f"of incompatible neural types:\n\n{first_type} \n\n and \n\n{second_type}"
            f"\n\nType comparison result: {type_comatibility}"
        )
        super().__init__(message)
        self.class_name = class_name
        self.port_name = port_name
        self.first_type = first_type
        self.second_type = second_type
        self.type_compatibility = type_comatibility
