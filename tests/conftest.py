"""Fixtures shared by test modules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the real command: no colour forcing, a private cache."""
    e = dict(os.environ)
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "NO_COLOR"):
        e.pop(var, None)
    e["CASSETTE_TUI_CACHE_DIR"] = str(tmp_path / "user-cache")
    return e
