"""The scale benchmark cannot rot: its tree generator and a quick run of it, on a tiny size.

No figure is checked (speed is the benchmark's business, not a test's): only that
the generator makes the same tree every time, in both shapes, and that the whole
script runs to its end and prints every row.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not (CORPUS / "2026-05").is_dir(), reason="needs ../shared/corpus")


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*.json")}


def make(out: Path, count: int, shape: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH / "make_tree.py"), str(out), "--count", str(count), "--shape", shape],
                          capture_output=True, text=True, timeout=300, check=True)


def test_the_generator_makes_the_same_realistic_tree_every_time(tmp_path: Path) -> None:
    n = 900   # more than the corpus holds (686 templates): the second copy renames its test ids
    make(tmp_path / "a", n, "folders")
    make(tmp_path / "b", n, "folders")
    a, b = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert len(a) == n and a == b
    assert len({Path(p).parts[0] for p in a}) == 2                       # copy0000/ and copy0001/
    assert any("recordings" in p for p in a)

    import orjson

    records = [orjson.loads((tmp_path / "a" / p).read_bytes()) for p in a]
    tests = {r.get("test_id") for r in records if isinstance(r, dict)}
    assert any("::test_c0001_" in (t or "") for t in tests)              # the second copy's own test ids
    assert len({t for t in tests if t}) > 100
    streamed = [r for r in records if isinstance(r, dict) and (r.get("response") or {}).get("is_streaming")]
    assert len(streamed) > n // 5

    flat = tmp_path / "flat"
    make(flat, n, "flat")
    assert {p.parent for p in flat.rglob("*.json")} == {flat / "recordings"} and len(tree_digest(flat)) == n
    # Called again with the same parameters: nothing is rewritten.
    before = {p: p.stat().st_mtime_ns for p in flat.rglob("*.json")}
    make(flat, n, "flat")
    assert before == {p: p.stat().st_mtime_ns for p in flat.rglob("*.json")}


def test_the_quick_benchmark_runs_to_its_end_on_a_tiny_size(tmp_path: Path) -> None:
    env = dict(os.environ, CASSETTE_TUI_CACHE_DIR=str(tmp_path / "cache"), CASSETTE_TUI_CONFIG_DIR=str(tmp_path / "config"))
    p = subprocess.run([sys.executable, str(BENCH / "bench_scale.py"), "--quick", "--sizes", "40", "--runs", "1",
                        "--burst", "30", "--burst-seconds", "0.3", "--trees", str(tmp_path / "trees")],
                       capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    out = p.stdout
    for row in ("index cold", "ls text | pipe", "TUI first paint warm", "filter key p99", "burst: worst key",
                "burst: write to row", "notebook index HTML", "diff --git"):
        assert row in out, (row, out)
    header = next(line for line in out.splitlines() if "2026-05 (real)" in line)
    assert "40 folders" in header and "40 flat" in header and "100k" not in header
    assert "burst: files never shown" in out
    missing = next(line for line in out.splitlines() if line.startswith("burst: files never shown"))
    assert missing.split()[-3:] == ["0", "0", "0"]                    # every burst file became a row
