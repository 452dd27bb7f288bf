"""What the CLI prints stays one line per row and bounded, whatever the recorded strings hold."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .generate import chat, dump

DEMO = Path(__file__).resolve().parents[2] / "cassette_tui" / "demo"
FORGED = "FORGED ok v7 fake-row.json"


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "cassette_tui", *args], env=env, capture_output=True, timeout=120)


def _forging_tree(tmp_path: Path) -> tuple[Path, int]:
    root = tmp_path / "tree"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("*.md"))
    evil = root / "evil" / "recordings"
    evil.mkdir(parents=True)
    (evil / "a.json").write_bytes(dump(chat(test_id=f"tests/t.py::test_a\n{FORGED}\r\n{FORGED}", model=f"gpt\n{FORGED}")))
    (evil / f"b\n{FORGED}.json").write_bytes(dump(chat(model="b")))
    (evil / "c\u2028FORGED.json").write_bytes(dump(chat(tool=f"tool\t\n{FORGED}")))
    (evil / "huge-id.json").write_bytes(dump(chat(test_id="tests/t.py::test_" + "x" * 100_000, model="m" * 100_000)))
    return root, sum(1 for _ in root.rglob("*.json"))


def test_ls_prints_one_line_per_row_and_caps_cells(tmp_path: Path) -> None:
    root, n = _forging_tree(tmp_path)
    p = _cli("ls", str(root))
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    lines = out.splitlines()
    assert len(lines) == n + 2                       # the header, a line per recording, the count
    assert not any(line.startswith("FORGED") for line in lines)
    assert len(p.stdout) < 600 * (n + 2)             # a 100 KB test id padded every row to 100 KB (317 MB on 3,163 files)
    assert "test_a\\nFORGED" in out and "b\\nFORGED" in out and "c\\u2028FORGED" in out


def test_verify_text_prints_one_line_per_file(tmp_path: Path) -> None:
    root, n = _forging_tree(tmp_path)
    p = _cli("verify", str(root), "--all")
    assert p.returncode in (0, 1), p.stderr
    lines = p.stdout.decode().splitlines()
    statuses = ("ok", "stale", "mismatch", "unreadable", "not-a-recording", "unverifiable", "missing")
    rows = [line for line in lines if line.split(" ", 1)[0] in statuses]
    assert len(rows) == n
    assert not any(line.startswith("FORGED") for line in lines)
    for line in lines:   # every line is a file, its indented detail, or the summary
        assert line.split(" ", 1)[0] in statuses or line.startswith("    ") or line.startswith(("verify:", "duplicates:", "index.sqlite:")), line
