"""Never write, never lose: the browsed tree is byte-for-byte the same after a session using every
feature (CLI, TUI, notebook), and the summary cache (kept elsewhere) survives damage and deletion."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import cassette_tui as ct
from cassette_tui import cache as summary_cache
from cassette_tui import cli
from cassette_tui.index import Index
from cassette_tui.tui.app import VERIFY_AFTER_CHANGES, CassetteApp
from cassette_tui.tui.detail import TABS, DetailPane
from cassette_tui.tui.recording_list import RecordingList
from cassette_tui.tui.testing import settle as _settle

from .generate import build, chat, dump

DEMO = Path(__file__).resolve().parents[2] / "cassette_tui" / "demo"
GPT4O = "responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"


def snapshot(root: Path) -> dict[str, tuple]:
    """(type, size, sha256, mode, link target) of every entry under root: files, folders, links, FIFOs."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            rel = p.relative_to(root).as_posix()
            digest = None
            if stat.S_ISREG(st.st_mode) and os.access(p, os.R_OK):
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            link = os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
            out[rel] = (stat.S_IFMT(st.st_mode), st.st_size if not stat.S_ISDIR(st.st_mode) else 0, digest, stat.S_IMODE(st.st_mode), link)
    return out


@pytest.fixture
def browsed(tmp_path: Path) -> Path:
    """The demo set, the hostile files (without the two huge ones) and a 2025-08 sqlite layout."""
    root = tmp_path / "tree"
    shutil.copytree(DEMO, root)
    build(root / "hostile" / "recordings", huge=False)
    sq = root / "old" / "recordings"
    (sq / "responses").mkdir(parents=True)
    (sq / "responses" / ("a" * 12 + ".json")).write_bytes(dump(chat(model="old")))
    con = sqlite3.connect(sq / "index.sqlite")
    con.execute("CREATE TABLE recordings (request_hash TEXT PRIMARY KEY, response_file TEXT, endpoint TEXT, model TEXT, timestamp TEXT, is_streaming BOOLEAN)")
    con.executemany("INSERT INTO recordings VALUES (?, ?, ?, ?, ?, ?)", [("a" * 12, "a" * 12 + ".json", "/v1/chat/completions", "old", "t", 1),
                                                                         ("b" * 12, "b" * 12 + ".json", "/v1/chat/completions", "gone", "t", 0)])
    con.commit()
    con.close()
    yield root
    os.chmod(root / "hostile" / "recordings" / "no-read.json", 0o644)


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "cassette_tui", *args], env=env, cwd=cwd, capture_output=True, timeout=120)


async def settle(app, pilot) -> None:
    """Workers done and messages drained; work still on a timer is not waited for."""
    await _settle(pilot, timers=False)


async def until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await asyncio.sleep(0.02)


async def tui_session(root: Path, cache_dir: Path) -> None:
    app = CassetteApp(root)
    app.animation_level = "none"
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await until(lambda: app.watching)
        lst = app.query_one(RecordingList)
        detail = app.query_one(DetailPane)
        await pilot.press("slash", *"model:gpt-4o", "enter")
        await settle(app, pilot)
        app.query_one("#filter").value = ""
        await settle(app, pilot)
        lst.focus()
        for key in ("o", "o", "v", "t", "t"):
            await pilot.press(key)
            await settle(app, pilot)
        lst.cursor = lst.index_of(GPT4O)
        await settle(app, pilot)
        for n in range(1, len(TABS) + 1):
            await pilot.press(str(n))
            await settle(app, pilot)
        await pilot.press("y", "4", "y", "1", "m", "j", "m", "d")
        await settle(app, pilot)
        await pilot.press("n", "escape", "F", "F", "z", "z", "z", "question_mark")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        # explain (e) a hostile recording and a log full of escapes; review changes since git HEAD (r): not a repository.
        from textual.widgets import TextArea

        from cassette_tui.tui.lines_view import LinesView

        hostile = root / "hostile" / "recordings"
        for text in (str(hostile / "injection.json"), "Recording not found for request hash: " + "ab" * 32 + " \x1b[2J\x1b]52;c;aGk=\x07"):
            await pilot.press("e")
            await settle(app, pilot)
            app.screen.query_one(TextArea).text = text
            await pilot.press("ctrl+r")
            await settle(app, pilot)
            view = app.screen.query_one(LinesView)
            drawn = "".join(seg.text for y in range(view.size.height) for seg in view.render_line(y))
            assert drawn.strip() and "\x1b" not in drawn and "\x07" not in drawn
            await pilot.press("escape")
            await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        app.action_reload()
        await settle(app, pilot)
        await until(lambda: app.watching)
        # Live reload while the app runs: a file appears and goes (written by the test, not the tool),
        # and the cache is deleted under the app: the next update writes it again once the changes pause.
        shutil.rmtree(cache_dir, ignore_errors=True)
        extra = root / "hostile" / "recordings" / ("e" * 64 + ".json")
        extra.write_bytes(dump(chat(model="extra")))
        await until(lambda: any(s.path.endswith("e" * 64 + ".json") for s in app.all_summaries))
        await _settle(pilot)   # the save waits on a timer for the changes to pause
        assert summary_cache.cache_file(root.resolve()).is_file()
        lst.cursor = lst.index_of(extra.relative_to(root).as_posix())
        await settle(app, pilot)
        assert detail.content is not None and "extra" in detail.view("conversation").plain_text()
        extra.unlink()
        await until(lambda: not any(s.path.endswith("e" * 64 + ".json") for s in app.all_summaries))
        # Let the verify pass that follows live changes start and finish: quitting under it
        # races the app's own shutdown (reported), which is not what this test is about.
        await asyncio.sleep(VERIFY_AFTER_CHANGES + 0.3)
        await settle(app, pilot)


def test_a_session_using_every_feature_writes_nothing_in_the_tree(browsed: Path, tmp_path: Path, _private_cache: Path) -> None:
    root = browsed
    before = snapshot(root)
    cache_dir = _private_cache
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR",)}
    env["CASSETTE_TUI_CACHE_DIR"] = str(cache_dir)
    env["NO_COLOR"] = "1"
    hostile = root / "hostile" / "recordings"

    # The command line, from inside the tree (where `show REF` and `explain` look by default) and from outside.
    commands = [("ls", "."), ("ls", ".", "--json"), ("ls", ".", "has:tools", "--sort", "size"), ("stats", "."), ("stats", ".", "--json"),
                ("show", "aadc0675"), ("show", "aadc0675", "--json"), ("show", "aadc0675", "--stream"), ("show", str(hostile / "injection.json")),
                ("ls", str(root), "--no-cache")]
    if "verify" in cli.COMMANDS:
        commands += [("verify", "."), ("verify", ".", "--json", "--all")]
    if "explain" in cli.COMMANDS:
        log = tmp_path / "miss.log"
        log.write_text("RuntimeError: Recording not found for request hash: " + "ab" * 32 + "\n")
        commands += [("explain", str(log)), ("explain", str(log), "--dir", str(root), "--json"), ("explain", GPT4O)]
    if "diff" in cli.COMMANDS:
        commands += [("diff", GPT4O, "responses/recordings/8ce3e23e7ca45e8adfd23c2910731f376e62379f85d67eacfecc6c4a95fccb82.json"),
                     ("diff", GPT4O, str(hostile / "good.json"), "--json"), ("diff", "--git", "HEAD", ".")]
    with ThreadPoolExecutor(max_workers=3) as pool:
        for args, p in zip(commands, pool.map(lambda args: run_cli(env, root, *args), commands), strict=True):
            assert b"Traceback" not in p.stderr, (args, p.stderr[-1500:])

    # The TUI, live reload included.
    asyncio.run(tui_session(root, cache_dir))

    # The notebook API.
    idx = ct.open(root)
    idx._repr_mimebundle_()
    for rec in idx.filter("has:tools OR is:problem"):
        rec._repr_mimebundle_()
    idx.test("user_permissions_workflow")._repr_mimebundle_()
    ct.diff(idx["aadc0675"], idx["8ce3e23e"])._repr_mimebundle_()
    ct.open(hostile / "injection.json")._repr_mimebundle_()

    # And the core directly: forked scan, cache save.
    Index(root, use_cache=False).scan(workers=2)
    Index(root).scan().save_cache()

    assert snapshot(root) == before
    assert summary_cache.cache_file(root.resolve()).is_file() and not summary_cache.cache_file(root.resolve()).is_relative_to(root)


def test_cache_truncated_anywhere_or_replaced_is_rebuilt(browsed: Path, _private_cache: Path) -> None:
    root = browsed.resolve()
    reference = Index(root, use_cache=False).scan().summaries
    Index(root).scan()
    cf = summary_cache.cache_file(root)
    good = cf.read_bytes()
    for cut in (0, 1, 17, len(good) // 3, len(good) // 2, len(good) - 2, len(good) - 1):
        cf.write_bytes(good[:cut])
        idx = Index(root).scan()
        assert idx.summaries == reference, cut
        assert idx.stats.read >= len(reference) - 2, cut      # the damaged cache was not trusted
        assert summary_cache.load(root), cut                   # and was written again
        assert Index(root).scan().stats.read <= 1              # warm again (bar an unreadable file)
    # A folder where the file should be, then a file where the folder should be: no crash, no cache, same result.
    cf.unlink()
    cf.mkdir()
    assert Index(root).scan().summaries == reference
    cf.rmdir()
    shutil.rmtree(_private_cache)
    _private_cache.write_bytes(b"not a folder")
    assert Index(root).scan().summaries == reference
    _private_cache.unlink()
    assert Index(root).scan().summaries == reference
    assert cf.is_file()


def _session_with_cache_in(root: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scan, save the index cache and verify (which saves its verdicts) with the cache folder at `cache_dir`."""
    from cassette_tui.verify import verify_index

    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(cache_dir))
    idx = Index(root).scan()
    idx.save_cache()
    verify_index(idx)


def test_a_cache_dir_reaching_the_tree_through_a_symlink_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "recordings"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("*.md"))
    alias = tmp_path / "alias"
    alias.symlink_to(root)
    before = snapshot(root)
    _session_with_cache_in(root, alias / "cache", monkeypatch)
    _session_with_cache_in(root, alias, monkeypatch)
    assert snapshot(root) == before


def test_a_cache_dir_reaching_the_tree_through_a_bind_mount_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "recordings"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("*.md"))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    try:
        mounted = subprocess.run(["mount", "--bind", str(root), str(mirror)], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        mounted = False
    if not mounted:
        pytest.skip("mount --bind is not permitted here (needs root or CAP_SYS_ADMIN)")
    try:
        assert os.stat(mirror).st_ino == os.stat(root).st_ino and not mirror.resolve().is_relative_to(root)  # only the inode tells
        before = snapshot(root)
        _session_with_cache_in(root, mirror / "sub" / "cache", monkeypatch)
        _session_with_cache_in(root, mirror, monkeypatch)
        assert snapshot(root) == before
    finally:
        subprocess.run(["umount", "-l", str(mirror)], capture_output=True, timeout=30)


def _write_cache(cf: Path, value: tuple) -> None:
    """(key, root, listed, sizes, mtimes, columns, dirs, sqlite) as the cache's chunks, CRCs right."""
    key, cached_root, listed, sizes, mtimes, columns, dirs, sqlite = value
    summary_cache._write_parts(cf, Path(cached_root), (key, cached_root, listed, sizes, mtimes, dirs, sqlite, *columns))


def test_a_cache_with_a_valid_checksum_but_wrong_types_is_rebuilt(browsed: Path, _private_cache: Path) -> None:
    root = browsed.resolve()
    reference = Index(root, use_cache=False).scan().summaries
    Index(root).scan()
    cf = summary_cache.cache_file(root)
    key, cached_root, listed, sizes, mtimes, dirs, sqlite, *columns = summary_cache._read_parts(cf, str(root))
    n = len(sizes)
    field = {f: i for i, f in enumerate(summary_cache._INDEX)}

    def column(name: str, value: object) -> list:
        out = list(columns)
        out[field[name]] = [value] * n
        return out

    variants = {
        "listed_at_ns a str": (key, cached_root, "x", sizes, mtimes, columns, dirs, sqlite),
        "sizes as str": (key, cached_root, listed, ["1"] * n, mtimes, columns, dirs, sqlite),
        "every column an int": (key, cached_root, listed, sizes, mtimes, [[1] * n for _ in columns], dirs, sqlite),
        "model an int": (key, cached_root, listed, sizes, mtimes, column("model", 5), dirs, sqlite),
        "tool_calls a tuple of ints": (key, cached_root, listed, sizes, mtimes, column("tool_calls", (1, 2)), dirs, sqlite),
        "tool_calls a str": (key, cached_root, listed, sizes, mtimes, column("tool_calls", "abc"), dirs, sqlite),
        "dirs listing an int": (key, cached_root, listed, sizes, mtimes, columns, {k: 5 for k in dirs}, sqlite),
        "dirs names ints": (key, cached_root, listed, sizes, mtimes, columns, {k: (v[0], (1, 2), *v[2:]) for k, v in dirs.items()}, sqlite),
        "sqlite rows wrong": (key, cached_root, listed, sizes, mtimes, columns, dirs, {k: (1, 2, [(1,) * 7]) for k in sqlite}),
        "sqlite a list": (key, cached_root, listed, sizes, mtimes, columns, dirs, []),
    }
    env = dict(os.environ, CASSETTE_TUI_CACHE_DIR=str(_private_cache), NO_COLOR="1")
    for what, value in variants.items():
        _write_cache(cf, value)
        assert Index(root).scan().summaries == reference, what
        _write_cache(cf, value)
        for args in (["ls", str(root)], ["stats", str(root)], ["ls", str(root), "model:gpt*", "--json"]):
            p = run_cli(env, root.parent, *args)
            assert p.returncode == 0 and b"Traceback" not in p.stderr, (what, args, p.stderr.decode()[-400:])
