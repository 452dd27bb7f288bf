"""The shared corpus (../shared/corpus) for the tests that read real recordings; they skip when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from cassette_tui.recording import Recording

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_file(rel: str) -> Recording:
    """One corpus recording, read without a problem (the test skips without the corpus)."""
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    path = CORPUS / rel
    assert path.is_file(), rel
    rec = Recording.load(path)
    assert rec.problem is None
    return rec
