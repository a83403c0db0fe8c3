"""The experiment directory ``exp_dir/name/version``, its version shared by all ranks, and its files."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from expmanager._io import atomic_write_text
from expmanager.constants import NEMO_ENV_VARNAME_VERSION
from expmanager.errors import ConfigError, LoggerMisconfigurationError

__all__ = [
    "VERSION_ENV",
    "archive_previous_run",
    "copy_files",
    "get_log_dir",
    "write_cmd_args",
    "write_git_info",
]

log = logging.getLogger("expmanager")

# Rank 0 exports the version it chose; processes spawned afterwards (Lightning's DDP launcher re-runs the
# script) inherit it and land in the same directory. NeMo's variable name, so mixed setups agree.
VERSION_ENV = NEMO_ENV_VARNAME_VERSION
_VERSION_DIR = re.compile(r"^version_(\d+)$")


def _next_version(root: Path) -> str:
    """``version_<n>`` with ``n`` one past the highest existing one (Lightning's TensorBoard convention)."""
    taken = [
        int(m.group(1)) for p in root.glob("version_*") if p.is_dir() and (m := _VERSION_DIR.match(p.name))
    ]
    return f"version_{max(taken) + 1 if taken else 0}"


def get_log_dir(
    trainer: Any,
    global_rank: int,
    *,
    exp_dir: str | None = None,
    name: str | None = None,
    version: str | None = None,
    explicit_log_dir: str | None = None,
    use_datetime_version: bool = True,
    resume_if_exists: bool = False,
) -> tuple[Path, str, str, str]:
    """Decide the log directory as NeMo does.

    Returns:
        ``(log_dir, exp_dir, name, version)``. With ``explicit_log_dir``, name and version are empty strings.

    Raises:
        LoggerMisconfigurationError: the trainer already has a logger and ``explicit_log_dir``, ``exp_dir``
            (different from the logger's save_dir) or ``name`` was given too.
    """
    if explicit_log_dir:
        if trainer.logger is not None:
            raise LoggerMisconfigurationError(
                "The pytorch lightning trainer already has a logger and exp_manager was given "
                f"explicit_log_dir={explicit_log_dir!r}: the logger decides the directory, so both "
                "cannot apply."
            )
        ignored = {k: v for k, v in (("exp_dir", exp_dir), ("version", version)) if v}
        if ignored:
            log.warning(
                "exp_manager received explicit_log_dir=%r and %s: explicit_log_dir overrides exp_dir and "
                "version, which are ignored.",
                str(explicit_log_dir),
                ", ".join(f"{k}={v!r}" for k, v in ignored.items()),
            )
        if Path(explicit_log_dir).exists():
            log.warning("Exp_manager is logging to %s, but it already exists.", explicit_log_dir)
        return Path(explicit_log_dir), str(explicit_log_dir), "", ""

    base = Path(exp_dir) if exp_dir else Path.cwd() / "nemo_experiments"
    if trainer.logger is not None:
        save_dir = getattr(trainer.logger, "save_dir", None)
        if save_dir and exp_dir:
            raise LoggerMisconfigurationError(
                f"The pytorch lightning trainer already has a logger with save_dir={save_dir!r} and "
                "exp_manager "
                f"was given exp_dir={exp_dir!r}: only one of them can decide the directory."
            )
        if name:
            raise LoggerMisconfigurationError(
                f"The pytorch lightning trainer already has a logger named {trainer.logger.name!r} and "
                f"exp_manager was given name={name!r}: only one of them can name the experiment."
            )
        if save_dir:
            base = Path(save_dir)
        name = trainer.logger.name
        version = f"version_{trainer.logger.version}"
    else:
        name = name or "default"
        version = version or os.environ.get(VERSION_ENV)
        if not version:
            if resume_if_exists:
                log.warning(
                    "No version folders are created because resume_if_exists is True: runs that resume each "
                    "other share %s.",
                    base / name,
                )
                version = None
            elif global_rank == 0:
                version = (
                    time.strftime("%Y-%m-%d_%H-%M-%S") if use_datetime_version else _next_version(base / name)
                )
            if version:
                os.environ[VERSION_ENV] = version
    log_dir = base / str(name) / (version or "")
    return log_dir, str(base), str(name), str(version or "")


def archive_previous_run(log_dir: Path) -> Path | None:
    """Move the plain files a previous run left in ``log_dir`` into ``log_dir/run_<k>``.

    Called only when a run resumes in the same directory, so that its ``cmd-args.log``, ``git-info.log``
    and log files do not overwrite the earlier run's. TensorBoard event files stay (one timeline).

    Returns:
        The ``run_<k>`` directory, or None when there was nothing to move.
    """
    if not log_dir.is_dir():
        return None
    files = [p for p in log_dir.iterdir() if p.is_file() and not p.name.startswith("events.out.tfevents")]
    if not files:
        return None
    k = sum(1 for p in log_dir.glob("run_*") if p.is_dir())
    target = log_dir / f"run_{k}"
    while target.exists():  # a run_<k> made by hand: never merge into it
        k += 1
        target = log_dir / f"run_{k}"
    target.mkdir(parents=True)
    for path in files:
        shutil.move(str(path), str(target / path.name))
    return target


def copy_files(files: list[str], log_dir: Path) -> None:
    """Copy ``files_to_copy`` into ``log_dir``.

    Raises:
        ConfigError: listing every file that does not exist (nothing is copied then).
    """
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise ConfigError(
            f"files_to_copy: these files do not exist: {missing}. Fix the paths or remove them."
        )
    for f in files:
        shutil.copy(f, log_dir / Path(f).name)


def write_cmd_args(log_dir: Path) -> None:
    """Record the command line of this run in ``cmd-args.log``."""
    atomic_write_text(log_dir / "cmd-args.log", " ".join(sys.argv))


def write_git_info(log_dir: Path) -> bool:
    """Write ``git-info.log`` (commit hash and ``git diff``) when the working directory is in a git repo.

    Returns:
        Whether the file was written.
    """
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30, check=False
        )
        if head.returncode != 0:
            return False
        diff = subprocess.run(["git", "diff"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    text = f"commit hash: {head.stdout.strip()}\n{diff.stdout}"
    if diff.returncode != 0:
        text += f"git diff failed: {diff.stderr}"
    with open(log_dir / "git-info.log", "a", encoding="utf-8") as fh:
        fh.write(text)
    return True
