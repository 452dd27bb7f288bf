"""Where contributors already are: the pre-commit hook and GitHub annotations, on real files and a real git.

The hook (`.pre-commit-hooks.yaml`) runs `cassette-tui verify` on the staged
recordings that its `files` pattern selects, as pre-commit does: the test
stages files in a real repository and runs the hook's own entry on them.
(pre-commit itself would build a virtual environment from the network for the
hook; the entry and the file selection are what it runs.)
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cassette_tui
from cassette_tui.hashing import request_hash

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
HOOKS = Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml"
GPT4O = "responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cassette_tui", *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "NO_COLOR": "1"})


def hook() -> dict[str, str]:
    """The hook's fields (a flat YAML list of one mapping: read without a YAML library)."""
    fields = {}
    for line in HOOKS.read_text().splitlines():
        m = re.match(r"^-?\s+(\w+):\s*(.*)$", line) or re.match(r"^- (\w+):\s*(.*)$", line)
        if m and not line.lstrip().startswith("#"):
            fields[m.group(1)] = m.group(2).strip()
    return fields


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "checkout"
    shutil.copytree(DEMO, root / "tests" / "integration")

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "recordings")
    return root


def staged(root: Path) -> list[str]:
    out = subprocess.run(["git", "diff", "--cached", "--name-only", "--diff-filter=ACM"], cwd=root, capture_output=True, text=True, check=True).stdout
    pattern = re.compile(hook()["files"])
    return [p for p in out.splitlines() if pattern.search(p)]


def run_hook(root: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    entry = shlex.split(hook()["entry"])
    assert entry[0] == "cassette-tui"
    return cli(*entry[1:], *files, cwd=root)


def test_hook_definition() -> None:
    h = hook()
    assert (h["id"], h["entry"], h["language"], h["pass_filenames"]) == ("cassette-tui-verify", "cassette-tui verify", "python", "true")
    pattern = re.compile(h["files"])
    assert pattern.search("tests/integration/responses/recordings/aadc0675.json")
    assert pattern.search("recordings/x.json")
    assert not pattern.search("tests/integration/responses/test_basic.py")
    assert not pattern.search("tests/integration/suites.json")


def test_hook_passes_good_staged_recordings_and_fails_a_stale_one(repo: Path) -> None:
    rec = repo / "tests" / "integration" / GPT4O
    data = json.loads(rec.read_text())
    # a re-recorded request, correctly named: passes
    data["request"]["body"]["temperature"] = 0.3
    good = rec.with_name(f"{request_hash(data, 'v7')}.json")
    good.write_text(json.dumps(data))
    subprocess.run(["git", "add", str(good)], cwd=repo, check=True)
    files = staged(repo)
    assert files == [good.relative_to(repo).as_posix()]
    ok = run_hook(repo, files)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "verify: 1 file, 0 failing" in ok.stdout

    # the same content under an older recorder's name (v6): stale, the commit is refused
    data["request"]["body"]["temperature"] = 0.4
    stale = rec.with_name(f"{request_hash(data, 'v1')}.json")
    stale.write_text(json.dumps(data))
    # and a recording edited by hand after recording: mismatch
    edited = repo / "tests" / "integration" / GPT4O
    d2 = json.loads(edited.read_text())
    d2["request"]["body"]["messages"][0]["content"] += " (edited)"
    edited.write_text(json.dumps(d2))
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    bad = run_hook(repo, staged(repo))
    assert bad.returncode == 1
    assert re.search(r"^mismatch .*aadc0675", bad.stdout, re.M), bad.stdout
    assert "failing" in bad.stdout


def test_files_mode_reads_only_the_files_named(repo: Path) -> None:
    """A 3,000-file tree costs nothing: an unreadable file beside the named one is never read."""
    root = repo / "tests" / "integration"
    (root / "responses" / "recordings" / ("0" * 64 + ".json")).write_text("{not json")
    out = cli("verify", str(root / GPT4O))
    assert out.returncode == 0, out.stdout
    assert "unreadable" not in out.stdout
    both = cli("verify", str(root), str(root / GPT4O))
    assert both.returncode == 2 and "one DIR, or recording files" in both.stderr


def test_github_annotations_for_verify_and_explain(repo: Path, tmp_path: Path) -> None:
    root = repo / "tests" / "integration"
    rec = root / GPT4O
    data = json.loads(rec.read_text())
    data["request"]["body"]["messages"][0]["content"] += "\nnew line, with: a comma"
    rec.write_text(json.dumps(data))   # now a mismatch
    out = cli("verify", str(root), "--format", "github")
    assert out.returncode == 1
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("::error file=")]
    mine = [ln for ln in lines if "aadc0675" in ln]
    assert len(mine) == 1
    assert mine[0].startswith(f"::error file={root}/{GPT4O},title=cassette-tui verify%3A mismatch::")
    assert "\n" not in mine[0]

    live = dict(data, request=dict(data["request"], body=dict(data["request"]["body"], temperature=0.9)))
    live_file = tmp_path / f"{request_hash(live, 'v7')}.json"
    live_file.write_text(json.dumps(live))
    ex = cli("explain", str(live_file), "--dir", str(root), "--format", "github")
    assert ex.returncode == 0, ex.stderr
    (line,) = ex.stdout.splitlines()
    assert line.startswith(f"::error file={live_file},title=replay miss%3A responses/test_tool_responses.py")
    assert "::a default differs (None or absent versus a value): body.temperature (absent) -> 0.9%0A" in line
