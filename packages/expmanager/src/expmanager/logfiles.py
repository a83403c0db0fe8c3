"""Text log files in the experiment directory.

- ``nemo_log_globalrank-{g}_localrank-{l}.txt``: each process's messages from NeMo's logger
  (``nemo_logger``, i.e. ``from nemo.utils import logging``) and nemo-core's package loggers (INFO and up),
  limited to local rank 0 or global rank 0 on request.
- ``lightning_logs.txt``: everything Lightning logs (global rank 0).
- ``nemo_error_log.txt``: warnings and errors from all of them (global rank 0).

Calling :func:`install_file_handlers` again (a second ``exp_manager`` call in one process) first removes
the handlers installed by the previous call, so messages never go to a stale directory twice.
"""

from __future__ import annotations

import logging
from pathlib import Path

__all__ = [
    "LIBRARY_LOGGERS",
    "LIGHTNING_LOGGERS",
    "LOGGER_NAME",
    "NEMO_LOGGERS",
    "install_file_handlers",
    "remove_file_handlers",
]

# NeMo's logger (expmanager.nemo_logging drives it) and the stdlib loggers of nemo-core's packages.
LOGGER_NAME = "nemo_logger"
LIBRARY_LOGGERS = ("neural_types", "nemo_archive", "optim_registry", "expmanager", "hf_io", "modelpt")
NEMO_LOGGERS = ("nemo", LOGGER_NAME, *LIBRARY_LOGGERS)
LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "pytorch_lightning", "lightning_fabric")
_FORMAT = logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s")
_installed: list[tuple[logging.Logger, logging.Handler]] = []


def remove_file_handlers() -> None:
    """Detach and close every handler a previous :func:`install_file_handlers` call attached."""
    while _installed:
        logger, handler = _installed.pop()
        logger.removeHandler(handler)
        handler.close()


def _attach(names: tuple[str, ...], path: Path, level: int) -> None:
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(_FORMAT)
    for name in names:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > level:
            logger.setLevel(min(level, logging.INFO))
        logger.addHandler(handler)
        _installed.append((logger, handler))


def install_file_handlers(
    log_dir: Path,
    global_rank: int,
    local_rank: int,
    log_local_rank_0_only: bool = False,
    log_global_rank_0_only: bool = False,
) -> list[Path]:
    """Attach the file handlers for this process and return the files they write to.

    Args:
        log_dir: the experiment's log directory (must exist).
        global_rank: this process's global rank.
        local_rank: this process's rank on its node.
        log_local_rank_0_only: only local rank 0 of each node gets a per-rank file.
        log_global_rank_0_only: only global rank 0 gets a per-rank file.
    """
    remove_file_handlers()
    files: list[Path] = []
    wants_rank_file = not (
        (log_global_rank_0_only and global_rank != 0) or (log_local_rank_0_only and local_rank != 0)
    )
    if wants_rank_file:
        path = log_dir / f"nemo_log_globalrank-{global_rank}_localrank-{local_rank}.txt"
        _attach(NEMO_LOGGERS, path, logging.INFO)
        files.append(path)
    if global_rank == 0:
        _attach(LIGHTNING_LOGGERS, log_dir / "lightning_logs.txt", logging.INFO)
        _attach(NEMO_LOGGERS + LIGHTNING_LOGGERS, log_dir / "nemo_error_log.txt", logging.WARNING)
        files += [log_dir / "lightning_logs.txt", log_dir / "nemo_error_log.txt"]
    return files
