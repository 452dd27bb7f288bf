"""Fixtures shared by test modules."""

from __future__ import annotations

import compileall
import os
from pathlib import Path

import pytest

import cassette_tui


@pytest.fixture(scope="session", autouse=True)
def _package_bytecode() -> None:
    """Compile the package once, for the many real commands the tests start.

    Where PYTHONDONTWRITEBYTECODE is set (this sandbox and CI do), every one of them
    would otherwise compile it anew: about 50 ms each, minutes over the suite. What
    Python caches when it may write: `__pycache__` beside the sources.
    """
    compileall.compile_dir(Path(cassette_tui.__file__).parent, quiet=1)


@pytest.fixture(autouse=True)
def _private_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own settings folder: a TUI test that sorts or groups saves it, and the
    next test must not start sorted or grouped (nor the user's own settings leak in)."""
    monkeypatch.setenv("CASSETTE_TUI_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the real command: no colour forcing, a private cache."""
    e = dict(os.environ)
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "NO_COLOR"):
        e.pop(var, None)
    e["CASSETTE_TUI_CACHE_DIR"] = str(tmp_path / "user-cache")
    return e


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo recordings (without their README), for tests that run the app on it."""
    import shutil

    root = tmp_path / "recordings"
    shutil.copytree(Path(cassette_tui.__file__).resolve().parent / "demo", root, ignore=shutil.ignore_patterns("*.md"))
    return root


@pytest.fixture
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder of the test's own (`pytestmark = pytest.mark.usefixtures("private_cache")`)."""
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
