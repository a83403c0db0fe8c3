"""``nemo.core.utils.process_launcher.launcher``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "ProcessLauncher",
    "ProcessLauncherConfig",
    "execute_job",
    "is_in_toplevel_plugins_module",
    "launch",
]


class ProcessLauncher(Unported):
    """NeMo's ``ProcessLauncher``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.utils.process_launcher.launcher.ProcessLauncher"


class ProcessLauncherConfig(Unported):
    """NeMo's ``ProcessLauncherConfig``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.utils.process_launcher.launcher.ProcessLauncherConfig"


def execute_job(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``execute_job``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.process_launcher.launcher.execute_job")


def is_in_toplevel_plugins_module(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``is_in_toplevel_plugins_module``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.process_launcher.launcher.is_in_toplevel_plugins_module")


def launch(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``launch``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.core.utils.process_launcher.launcher.launch")
