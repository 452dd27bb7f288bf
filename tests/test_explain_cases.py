"""explain on real replay misses from llama-stack's history (../shared/explain-cases), with the truth.

Each case is a recording written by record-if-missing after a request changed,
the recordings tree just before that commit, and the file the new one replaced,
with the changed paths and the main cause. `cassette-tui explain LIVE --dir TREE`
must name that file, those paths and that cause. Skipped when the cases are absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cassette_tui.explain import explain, miss_from_recording
from cassette_tui.index import Index
from cassette_tui.recording import Recording

CASES = Path(__file__).resolve().parents[2] / "shared" / "explain-cases"


def load_cases() -> list[dict]:
    if not (CASES / "cases.jsonl").is_file():
        pytest.skip(f"no explain cases at {CASES}")
    return [json.loads(line) for line in (CASES / "cases.jsonl").read_text().splitlines() if line.strip()]


def test_real_misses_right_recording_paths_and_cause(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path / "cache"))
    cases = load_cases()
    indexes: dict[str, Index] = {}
    right_recording = right_paths = right_cause = 0
    wrong: list[str] = []
    for case in cases:
        tree = CASES / case["tree"]
        idx = indexes.get(case["tree"]) or indexes.setdefault(case["tree"], Index(tree).scan())
        ex = explain(miss_from_recording(Recording.load(CASES / case["live"])), idx)
        want = os.path.relpath(CASES / case["recorded"], tree)
        got = ex.nearest.path if ex.nearest else None
        paths = {c.path for c in ex.changes}
        cause = ex.cause.code if ex.cause else None
        right_recording += got == want
        right_paths += paths == set(case["paths"])
        right_cause += cause == case["cause"]
        if (got, paths, cause) != (want, set(case["paths"]), case["cause"]):
            wrong.append(f"{case['case']}: nearest {got} (want {want}); paths {sorted(paths)} (want {case['paths']}); cause {cause} (want {case['cause']})")
    n = len(cases)
    figures = f"right recording {right_recording}/{n} ({right_recording / n:.0%}), paths {right_paths}/{n} ({right_paths / n:.0%}), cause {right_cause}/{n} ({right_cause / n:.0%})"
    print("\nexplain-cases: " + figures + "".join("\n  " + w for w in wrong))
    assert right_recording >= 0.95 * n, figures
    assert right_paths >= 0.90 * n, figures
    assert right_cause >= 0.90 * n, figures
