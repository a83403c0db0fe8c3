"""``nemo.utils.arguments``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["add_asr_args", "add_nlp_args", "add_optimizer_args", "add_scheduler_args"]


def add_asr_args(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``add_asr_args``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.arguments.add_asr_args")


def add_nlp_args(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``add_nlp_args``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.arguments.add_nlp_args")


def add_optimizer_args(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``add_optimizer_args``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.arguments.add_optimizer_args")


def add_scheduler_args(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``add_scheduler_args``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.arguments.add_scheduler_args")
