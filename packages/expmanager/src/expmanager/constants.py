"""The environment variables NeMo reads, under NeMo's constant names (``nemo.constants`` re-exports them).

Each name's value is the variable itself; the comment says which nemo-core code reads it.
"""

from __future__ import annotations

__all__ = [
    "NEMO_ENV_CACHE_DIR",
    "NEMO_ENV_DATA_STORE_CACHE_DIR",
    "NEMO_ENV_DATA_STORE_CACHE_SHARED",
    "NEMO_ENV_VARNAME_ENABLE_COLORING",
    "NEMO_ENV_VARNAME_REDIRECT_LOGS_TO_STDERR",
    "NEMO_ENV_VARNAME_TESTING",
    "NEMO_ENV_VARNAME_VERSION",
]

# expmanager.nemo_logging: colour the level letter when printing to a terminal.
NEMO_ENV_VARNAME_ENABLE_COLORING = "NEMO_ENABLE_COLORING"
# expmanager.nemo_logging: print every level to stderr, keeping stdout for data.
NEMO_ENV_VARNAME_REDIRECT_LOGS_TO_STDERR = "NEMO_REDIRECT_LOGS_TO_STDERR"
# expmanager.nemo_logging: DEBUG level, and every rank prints with its rank number.
NEMO_ENV_VARNAME_TESTING = "NEMO_TESTING"
# expmanager.dirs: the version folder of an experiment, shared by all ranks of a run.
NEMO_ENV_VARNAME_VERSION = "NEMO_EXPM_VERSION"
# modelpt.pretrained.resolve_cache_dir: where downloaded models are cached.
NEMO_ENV_CACHE_DIR = "NEMO_CACHE_DIR"
# NeMo's data-store (AIStore) cache; nemo-core has no data store and does not read these two.
NEMO_ENV_DATA_STORE_CACHE_DIR = "NEMO_DATA_STORE_CACHE_DIR"
NEMO_ENV_DATA_STORE_CACHE_SHARED = "NEMO_DATA_STORE_CACHE_SHARED"
