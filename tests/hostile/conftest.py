"""Fixtures for the hostile suite: a generated directory of hostile files, and a private cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .generate import Case, build


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(d))
    return d


@pytest.fixture(scope="session")
def hostile_built(tmp_path_factory: pytest.TempPathFactory):
    """Every hostile case, the 50 MB and 100k-chunk files included, written once per session.

    Shared: tests read it and must never change it (test_never_write checks the tool does not).
    """
    root = tmp_path_factory.mktemp("hostile") / "recordings"
    cases = build(root)
    yield root, cases
    os.chmod(root / "no-read.json", 0o644)  # let pytest clean up


@pytest.fixture
def hostile_dir(hostile_built) -> Path:
    return hostile_built[0]


@pytest.fixture
def cases(hostile_built) -> list[Case]:
    return hostile_built[1]


@pytest.fixture
def small_hostile(tmp_path: Path) -> tuple[Path, list[Case]]:
    """A private copy without the two huge files, for tests that change the tree."""
    root = tmp_path / "recordings"
    cases = build(root, huge=False)
    yield root, cases
    os.chmod(root / "no-read.json", 0o644)


def readable_as_us(path: Path) -> bool:
    """False when a mode-000 file really is unreadable (not when running as root)."""
    return os.access(path, os.R_OK)


def expected_problem(case: Case, root: Path) -> str | None:
    """The problem substring a case must report here (root reads a mode-000 file fine)."""
    if case.name == "no-read.json" and readable_as_us(root / case.name):
        return None
    return case.problem
