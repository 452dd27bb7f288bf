"""Paths derived from recorded data, and symbolic links, never lead outside the browsed tree."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from cassette_tui.index import Index

from .generate import chat, dump

OUTSIDE_TEST = "tests/outside.py::test_read_from_outside_the_tree"


def _outside_recording(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dump(chat(model="outside-model", test_id=OUTSIDE_TEST)))


def _inside(root: Path, rel: str) -> bool:
    return not os.path.isabs(rel) and ".." not in rel.split("/") and (root / rel).resolve().is_relative_to(root.resolve())


def test_index_sqlite_rows_naming_files_outside_the_tree_are_dropped(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    rec = root / "recordings"
    (rec / "responses").mkdir(parents=True)
    (rec / "responses" / "aaaaaaaaaaaa.json").write_bytes(dump(chat(model="inside")))
    _outside_recording(tmp_path / "outside.json")
    con = sqlite3.connect(rec / "index.sqlite")
    con.execute("CREATE TABLE recordings (request_hash TEXT PRIMARY KEY, response_file TEXT, endpoint TEXT, model TEXT, timestamp TEXT, is_streaming BOOLEAN)")
    con.executemany("INSERT INTO recordings VALUES (?, ?, ?, ?, ?, ?)", [
        ("a" * 12, "aaaaaaaaaaaa.json", "/v1/chat/completions", "inside", "t", 1),
        ("b" * 12, "../../../outside.json", "/v1/chat/completions", "x", "t", 0),
        ("c" * 12, "../../../../../../../../../../etc/passwd", "/v1/chat/completions", "x", "t", 0),
        ("d" * 12, str(tmp_path / "outside.json"), "/v1/chat/completions", "x", "t", 0),
        ("e" * 12, "..", "/v1/chat/completions", "x", "t", 0),
    ])
    con.commit()
    con.close()

    idx = Index(root).scan()
    assert all(_inside(root, p) for p in idx.summaries), list(idx.summaries)
    assert all(_inside(root, r.response_file) for r in idx.sqlite_rows), [r.response_file for r in idx.sqlite_rows]
    assert OUTSIDE_TEST not in {s.test_id for s in idx.summaries.values()}
    # The absolute name stays under the root's responses/ (a missing file, shown as such).
    assert f"recordings/responses{tmp_path / 'outside.json'}" in idx.summaries

    env = dict(os.environ)
    for args in (["ls", str(root), "--json"], ["verify", str(root), "--json", "--all"]):
        p = subprocess.run([sys.executable, "-m", "cassette_tui", *args], env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode in (0, 1), p.stderr
        assert "outside-model" not in p.stdout and OUTSIDE_TEST not in p.stdout
        for line in p.stdout.splitlines():
            path = json.loads(line)["path"]
            assert _inside(root, os.path.relpath(path, root)), path


def test_symbolic_links_leaving_the_tree_are_noted_and_not_followed(tmp_path: Path) -> None:
    import time

    root = tmp_path / "tree"
    (root / "recordings").mkdir(parents=True)
    (root / "recordings" / "own.json").write_bytes(dump(chat(model="own")))
    foreign = tmp_path / "foreign"
    _outside_recording(foreign / "recordings" / "foreign.json")
    _outside_recording(tmp_path / "single.json")
    os.symlink("/", root / "slash")
    os.symlink(foreign, root / "foreign")
    os.symlink(tmp_path / "single.json", root / "recordings" / "single.json")
    os.symlink("../../foreign", root / "recordings" / "up")
    # Links that stay inside are followed, as before.
    (root / ".store" / "recordings").mkdir(parents=True)
    (root / ".store" / "recordings" / "stored.json").write_bytes(dump(chat(model="stored")))
    os.symlink(root / ".store", root / "inner")
    os.symlink("stored.json", root / ".store" / "recordings" / "alias.json")

    t0 = time.monotonic()
    idx = Index(root).scan()
    assert time.monotonic() - t0 < 10    # a link to / used to walk the whole file system
    assert sorted(idx.summaries) == ["inner/recordings/alias.json", "inner/recordings/stored.json", "recordings/own.json"]
    assert OUTSIDE_TEST not in {s.test_id for s in idx.summaries.values()}
    notes = "\n".join(idx.stats.skipped)
    for name in ("slash", "foreign", "recordings/single.json", "recordings/up"):
        assert f"{root / name}: a symbolic link to a {'file' if name.endswith('.json') else 'folder'} outside the tree" in notes, notes

    p = subprocess.run([sys.executable, "-m", "cassette_tui", "ls", str(root), "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "outside-model" not in p.stdout and len(p.stdout.splitlines()) == 3


# --- hangs -----------------------------------------------------------------------------


def test_a_fifo_named_index_sqlite_hangs_nothing(tmp_path: Path) -> None:
    import shutil
    import threading

    demo = Path(__file__).resolve().parents[2] / "cassette_tui" / "demo"
    root = tmp_path / "tree"
    shutil.copytree(demo, root, ignore=shutil.ignore_patterns("*.md"))
    old = root / "old" / "recordings"
    (old / "responses").mkdir(parents=True)
    (old / "responses" / "aaaaaaaaaaaa.json").write_bytes(dump(chat(model="old")))
    os.mkfifo(old / "index.sqlite")
    os.mkfifo(root / "index.sqlite")

    done: list[Index] = []
    worker = threading.Thread(target=lambda: done.append(Index(root, use_cache=False).scan()), daemon=True)
    worker.start()
    worker.join(30)
    assert done, "Index.scan hung on a FIFO named index.sqlite"
    idx = done[0]
    assert "old/recordings/responses/aaaaaaaaaaaa.json" in idx.summaries and idx.sqlite_rows == []

    for args in (["ls", str(root)], ["stats", str(root)], ["verify", str(root), "--json"], ["show", "aaaaaaaaaaaa", "--dir", str(root)]):
        p = subprocess.run([sys.executable, "-m", "cassette_tui", *args], capture_output=True, text=True, timeout=60)
        assert p.returncode in (0, 1), (args, p.stderr)


def test_index_sqlite_is_read_from_its_bytes_whatever_its_journal_mode(tmp_path: Path) -> None:
    """Read into memory, SQLite never opens the file: a WAL-mode database still gives its rows."""
    root = tmp_path / "tree"
    rec = root / "recordings"
    (rec / "responses").mkdir(parents=True)
    (rec / "responses" / "aaaaaaaaaaaa.json").write_bytes(dump(chat(model="inside")))
    con = sqlite3.connect(rec / "index.sqlite")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE recordings (request_hash TEXT PRIMARY KEY, response_file TEXT, endpoint TEXT, model TEXT, timestamp TEXT, is_streaming BOOLEAN)")
    con.execute("INSERT INTO recordings VALUES ('aaaaaaaaaaaa', 'aaaaaaaaaaaa.json', '/v1/chat/completions', 'inside', 't', 1)")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for leftover in rec.glob("index.sqlite-*"):
        leftover.unlink()
    before = sorted(p.name for p in rec.iterdir())
    idx = Index(root, use_cache=False).scan()
    assert [r.response_file for r in idx.sqlite_rows] == ["recordings/responses/aaaaaaaaaaaa.json"]
    assert sorted(p.name for p in rec.iterdir()) == before


async def test_the_tui_does_not_watch_through_a_link_leaving_the_tree(tmp_path: Path) -> None:
    """watchfiles follows folder links (a link to / meant watching the whole file system): live reload is off, and says why."""
    from cassette_tui.tui.app import CassetteApp
    from cassette_tui.tui.testing import settle

    root = tmp_path / "tree"
    (root / "recordings").mkdir(parents=True)
    (root / "recordings" / "own.json").write_bytes(dump(chat(model="own")))
    os.symlink("/", root / "slash")
    app = CassetteApp(root, watch=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert [s.path for s in app.all_summaries] == ["recordings/own.json"]
        assert not app.watching and not [w for w in app.workers if w.group == "watch"]
        assert any("Live reload is off: slash links to a folder outside" in str(n.message) for n in app._notifications)
        assert any(str(n.message).startswith(f"Not listed: {root / 'slash'}: a symbolic link to a folder outside the tree") for n in app._notifications)


def test_index_sqlite_columns_of_any_sqlite_type_are_read_as_text(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    rec = root / "recordings"
    (rec / "responses").mkdir(parents=True)
    con = sqlite3.connect(rec / "index.sqlite")
    con.execute("CREATE TABLE recordings (request_hash TEXT PRIMARY KEY, response_file TEXT, endpoint TEXT, model TEXT, timestamp TEXT, is_streaming BOOLEAN)")
    con.execute("INSERT INTO recordings VALUES (?, ?, ?, ?, ?, ?)", ("a" * 12, "gone.json", 5, b"\xffblob", 1.5, 1))
    con.commit()
    con.close()
    (row,) = Index(root).scan().sqlite_rows
    assert (row.endpoint, row.model, row.timestamp) == ("5", "\ufffdblob", "1.5")
    for args in (["ls", str(root)], ["ls", str(root), "model:*blob", "endpoint:5"], ["stats", str(root)], ["verify", str(root)]):
        p = subprocess.run([sys.executable, "-m", "cassette_tui", *args], capture_output=True, text=True, timeout=60)
        assert p.returncode in (0, 1) and "Traceback" not in p.stderr, (args, p.stderr[-400:])


def _deep_dir(root: Path, depth_chars: int) -> str:
    """Folders nested past PATH_MAX below root (made relative to a descriptor), a recording at the bottom."""
    fd = os.open(root, os.O_RDONLY)
    rel = []
    try:
        while len("/".join(rel)) < depth_chars:
            name = "d" * 200
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
            rel.append(name)
        out = os.open("deep.json", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, dump(chat(model="deep")))
        os.close(out)
    finally:
        os.close(fd)
    return "/".join(rel)


def test_folders_not_listed_are_said_on_stderr(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "recordings").mkdir(parents=True)
    (root / "recordings" / "own.json").write_bytes(dump(chat(model="own")))
    _deep_dir(root / "recordings", 4200)
    foreign = tmp_path / "foreign"
    _outside_recording(foreign / "recordings" / "x.json")
    os.symlink(foreign, root / "foreign")
    for args in (["ls", str(root)], ["ls", str(root), "--json"], ["stats", str(root)], ["verify", str(root)]):
        p = subprocess.run([sys.executable, "-m", "cassette_tui", *args], capture_output=True, text=True, timeout=60)
        assert p.returncode in (0, 1) and "Traceback" not in p.stderr, (args, p.stderr[-500:])
        notes = p.stderr.splitlines()
        assert any("File name too long" in n for n in notes), (args, notes)
        assert any("a symbolic link to a folder outside the tree" in n and "not followed" in n for n in notes), (args, notes)
        assert all(n.startswith("cassette-tui: not listed: ") and len(n) < 400 for n in notes), notes
    # (A best effort at cleanup: pytest's rmtree copes with the deep folders through descriptors.)
