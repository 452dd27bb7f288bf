"""explain on hostile logs and test ids: linear parsing, linear merging, no path out of the tree.

Each input runs in a child process with a timeout, so a regression that hangs
fails the test instead of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cassette_tui
from cassette_tui.explain import map_into, miss_from_hash, replay_lookups, replay_test_folder

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
HASH = "ab" * 32


def run_explain(log: str, tmp_path: Path, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "ci.log"
    path.write_text(log)
    env = {**os.environ, "NO_COLOR": "1", "CASSETTE_TUI_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "cassette_tui", "explain", str(path), "--dir", str(DEMO), *extra],
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_a_long_run_of_words_before_the_message_is_read_in_linear_time(tmp_path: Path) -> None:
    """2 MB of one line before the miss: a pattern that backtracks took hours here."""
    for head in ("word" * 500_000, "ab.c" * 500_000 + "Error: ", "FAILED " + "a::b" * 500_000 + " "):
        out = run_explain(head + f"Recording not found for request hash: {HASH}\n", tmp_path, "--json", timeout=60)
        assert out.returncode == 0, out.stderr[-500:]
        (line,) = out.stdout.splitlines()
        assert json.loads(line)["miss"]["hash"] == HASH


def test_ten_thousand_misses_in_one_log(tmp_path: Path) -> None:
    """Merging repeats was quadratic: 10,000 misses took 144 s. Each appears twice (message and summary)."""
    hashes = [f"{i:064x}" for i in range(10_000)]
    log = "".join(f"E   RuntimeError: Recording not found for request hash: {h}\nE   Model: gpt-4o | Request: POST https://api.openai.com/v1/v1/chat/completions\n" for h in hashes)
    log += "".join(f"FAILED tests/integration/x/test_y.py::test_{i} - RuntimeError: Recording not found for request hash: {h[:20]}...\n" for i, h in enumerate(hashes))
    out = run_explain(log, tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.startswith("10000 misses, ")


def test_a_test_id_that_climbs_out_names_no_folder(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (tmp_path / "recordings").mkdir()   # what ../recordings would reach
    for tid in ("../test_x.py::test_a", "../../etc/test.py::t", "/etc/test.py::t", "a/../../b/test.py::t"):
        assert replay_test_folder(tid) is None, tid
        lookups = replay_lookups(miss_from_hash(HASH, tid), root)
        assert all(not lk.exists and not lk.found for lk in lookups if lk.role == "test folder"), tid
    assert map_into(root, "../recordings") is None


def test_a_hash_prefix_naming_many_files_is_ambiguous(tmp_path: Path) -> None:
    root = tmp_path / "tree" / "recordings"
    root.mkdir(parents=True)
    data = (DEMO / "responses" / "recordings" / "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json").read_text()
    for k in range(300):
        (root / f"abcd{k:060x}.json").write_text(data)
    env = {**os.environ, "NO_COLOR": "1", "CASSETTE_TUI_CACHE_DIR": str(tmp_path / "cache")}
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "explain", "abcd0000", "--dir", str(tmp_path / "tree"), "--json"],
                       capture_output=True, text=True, timeout=120, env=env)
    (row,) = [json.loads(line) for line in p.stdout.splitlines()]
    assert row["causes"][0]["code"] == "ambiguous"
    assert row["verdict"].startswith("the hash prefix abcd0000 names 300 files")
