"""Shared fixtures; the archive builders live in ``archive_builders.py`` next to this file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# --import-mode=importlib does not put the tests folder on sys.path; the builders module lives there.
sys.path.insert(0, str(Path(__file__).parent))

from archive_builders import REF_SMALL


@pytest.fixture
def ref_small() -> Path:
    return REF_SMALL
