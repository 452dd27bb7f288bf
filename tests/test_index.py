"""The index on real files: scanning, the summary cache, incremental refresh, lookups.

Everything runs on trees built in tmp_path (no mocks); the cache always lives in
its own tmp folder, set through CASSETTE_TUI_CACHE_DIR.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from cassette_tui import cache as summary_cache
from cassette_tui.index import Change, Index, RefError, read_sqlite_index

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

H1 = "a1" * 32   # 64-hex names
H2 = "a2" * 32
H3 = "b3" * 32
MODELS_HASH = "c4" * 32


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "user-cache"
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(d))
    return d


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    d = tmp_path / "tree"
    d.mkdir()
    return d


def chat(model: str = "gpt-4o", content: str = "hello", test_id: str | None = "tests/integration/x/test_x.py::test_x[txt=openai/gpt-4o]", reply: str = "hi") -> dict:
    return {
        "test_id": test_id,
        "request": {
            "method": "POST",
            "url": "https://api.openai.com/v1/v1/chat/completions",
            "headers": {},
            "endpoint": "/v1/chat/completions",
            "model": model,
            "body": {"model": model, "messages": [{"role": "user", "content": content}], "stream": False},
        },
        "response": {
            "body": {
                "__type__": "openai.types.chat.chat_completion.ChatCompletion",
                "__data__": {
                    "id": "rec-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
                },
            },
            "is_streaming": False,
        },
        "id_normalization_mapping": {},
    }


def write(root: Path, rel: str, obj: object) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(obj if isinstance(obj, bytes) else json.dumps(obj).encode())
    return p


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry below root (not following links): relative path -> content hash, or a marker."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def bump_mtime(p: Path, seconds: int = 10) -> None:
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def make_sqlite(db: Path, rows: list[tuple]) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE recordings (request_hash TEXT PRIMARY KEY, response_file TEXT, endpoint TEXT, model TEXT, timestamp TEXT, is_streaming BOOLEAN)"
    )
    con.executemany("INSERT INTO recordings VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()


# --- scanning ---------------------------------------------------------------------------


def test_scan_finds_json_recursively_and_skips_tool_and_hidden_dirs(tree: Path) -> None:
    write(tree, "top.json", chat(model="m-top"))
    write(tree, "a/b.json", chat(model="m-b"))
    write(tree, "a/deep/er/still/c.json", chat(model="m-c"))
    write(tree, "package.json", {"name": "not-a-recording"})
    for skipped in (".git/objects/x.json", ".venv/lib/y.json", "node_modules/pkg/z.json", ".hidden/w.json", "a/.cache/v.json", "a/__pycache__/u.json"):
        write(tree, skipped, chat(model="must-not-appear"))
    write(tree, "notes.txt", b"not json")
    write(tree, "a/data.jsonl", b"{}\n")

    idx = Index(tree).scan()

    assert list(idx.summaries) == ["a/b.json", "a/deep/er/still/c.json", "package.json", "top.json"]
    assert idx.stats.files == 4 and idx.stats.read == 4 and idx.stats.cached == 0
    assert [idx.summaries[r].model for r in ("a/b.json", "a/deep/er/still/c.json", "top.json")] == ["m-b", "m-c", "m-top"]
    top = idx.summaries["top.json"]
    assert (top.id, top.kind, top.endpoint, top.provider, top.finish_reason, top.messages, top.problem) == (
        "top", "chat", "/v1/chat/completions", "openai", "stop", 1, None)
    pkg = idx.summaries["package.json"]
    assert pkg.kind == "invalid"
    assert pkg.problem == "not a recording: no request or response object"
    assert all(s.model != "must-not-appear" for s in idx)


def test_scan_of_a_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        Index(tmp_path / "nope").scan()


def test_sqlite_index_rows_and_missing_file_problem(tree: Path) -> None:
    rec = tree / "tests/integration/recordings"
    write(rec, "responses/aaaaaaaaaaaa.json", chat(model="llama3.2:3b", test_id=None))
    write(rec, "responses/cccccccccccc.json", chat(model="not-in-sqlite", test_id=None))
    make_sqlite(rec / "index.sqlite", [
        ("aaaaaaaaaaaa" + "0" * 52, "aaaaaaaaaaaa.json", "/v1/chat/completions", "llama3.2:3b", "2025-07-29 23:23:09", 0),
        ("bbbbbbbbbbbb" + "0" * 52, "bbbbbbbbbbbb.json", "/api/generate", "llama3.2:1b", "2025-07-29 23:26:17", 1),
    ])
    before = tree_digest(tree)

    idx = Index(tree).scan()

    base = "tests/integration/recordings"
    assert [(r.db, r.request_hash[:12], r.response_file, r.endpoint, r.model, r.timestamp, r.is_streaming) for r in idx.sqlite_rows] == [
        (f"{base}/index.sqlite", "aaaaaaaaaaaa", f"{base}/responses/aaaaaaaaaaaa.json", "/v1/chat/completions", "llama3.2:3b", "2025-07-29 23:23:09", False),
        (f"{base}/index.sqlite", "bbbbbbbbbbbb", f"{base}/responses/bbbbbbbbbbbb.json", "/api/generate", "llama3.2:1b", "2025-07-29 23:26:17", True),
    ]
    assert list(idx.summaries) == [f"{base}/responses/{h}.json" for h in ("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc")]
    missing = idx.summaries[f"{base}/responses/bbbbbbbbbbbb.json"]
    assert (missing.id, missing.kind, missing.endpoint, missing.model, missing.streaming) == ("bbbbbbbbbbbb", "invalid", "/api/generate", "llama3.2:1b", True)
    assert missing.problem == f"listed in index.sqlite ({base}/index.sqlite) but the file is missing"
    assert idx.summaries[f"{base}/responses/aaaaaaaaaaaa.json"].problem is None
    assert idx.summaries[f"{base}/responses/aaaaaaaaaaaa.json"].era == "sqlite"
    assert idx.summaries[f"{base}/responses/cccccccccccc.json"].era == "sqlite"
    # read-only: no journal, no WAL, the database byte for byte as it was
    assert tree_digest(tree) == before
    # the missing row is not a file: it is never cached, and comes back on every scan
    again = Index(tree).scan()
    assert again.stats.read == 0 and again.stats.cached == 2
    assert again.summaries[f"{base}/responses/bbbbbbbbbbbb.json"].problem == missing.problem


def test_era_does_not_depend_on_the_root_chosen(tree: Path) -> None:
    """Pointed at the `recordings/` folder itself (or its `responses/`), files are still sqlite-era."""
    rec = tree / "tests/integration/recordings"
    write(rec, "responses/aaaaaaaaaaaa.json", chat(test_id=None))
    make_sqlite(rec / "index.sqlite", [("a" * 64, "aaaaaaaaaaaa.json", "/v1/chat/completions", "gpt-4o", "t", 0)])
    write(tree, "flat/recordings/responses/dddddddddddd.json", chat(test_id=None))

    assert Index(tree).scan().summaries["tests/integration/recordings/responses/aaaaaaaaaaaa.json"].era == "sqlite"
    assert Index(tree).scan().summaries["flat/recordings/responses/dddddddddddd.json"].era == "flat"
    assert Index(rec).scan().summaries["responses/aaaaaaaaaaaa.json"].era == "sqlite"
    assert Index(rec / "responses").scan().summaries["aaaaaaaaaaaa.json"].era == "sqlite"
    assert Index(tree / "flat/recordings").scan().summaries["responses/dddddddddddd.json"].era == "flat"
    # refresh() judges the era the same way as scan()
    idx = Index(rec).scan()
    p = rec / "responses/aaaaaaaaaaaa.json"
    bump_mtime(p)
    change = idx.refresh(p)
    assert change is not None and change.summary is not None and change.summary.era == "sqlite"


@pytest.mark.parametrize("folder", ["we?ird", "has#hash", "per%20cent"])
def test_sqlite_in_a_folder_with_uri_characters_is_read_and_nothing_created(tree: Path, folder: str) -> None:
    rec = tree / folder / "recordings"
    write(rec, "responses/aaaaaaaaaaaa.json", chat(test_id=None))
    make_sqlite(rec / "index.sqlite", [
        ("a" * 64, "aaaaaaaaaaaa.json", "/v1/chat/completions", "gpt-4o", "t", 0),
        ("b" * 64, "bbbbbbbbbbbb.json", "/v1/chat/completions", "gpt-4o", "t", 1),
    ])
    before = tree_digest(tree)

    idx = Index(tree).scan()

    assert [r.request_hash for r in idx.sqlite_rows] == ["a" * 64, "b" * 64]
    assert idx.summaries[f"{folder}/recordings/responses/bbbbbbbbbbbb.json"].problem is not None
    assert tree_digest(tree) == before   # SQLite did not create a file named by a cut-off path
    assert len(read_sqlite_index(tree, f"{folder}/recordings/index.sqlite")) == 2


def test_recordings_only_keeps_files_under_a_recordings_folder(tree: Path) -> None:
    write(tree, "recordings/a.json", chat(model="a"))
    write(tree, "tests/integration/inference/recordings/b.json", chat(model="b"))
    write(tree, "tests/integration/recordings/responses/c.json", chat(model="c"))
    write(tree, "package.json", {"name": "x"})
    write(tree, "myrecordings/d.json", chat(model="d"))
    write(tree, "recordings.json", chat(model="e"))
    write(tree, "other/e.json", chat(model="e"))

    idx = Index(tree, recordings_only=True).scan()
    assert list(idx.summaries) == ["recordings/a.json", "tests/integration/inference/recordings/b.json", "tests/integration/recordings/responses/c.json"]
    assert len(Index(tree).scan()) == 7

    # refresh() applies the same rule as the scan
    write(tree, "myrecordings/new.json", chat(model="f"))
    assert idx.refresh(tree / "myrecordings/new.json") is None
    write(tree, "area/recordings/new.json", chat(model="g"))
    change = idx.refresh(tree / "area/recordings/new.json")
    assert change is not None and (change.action, change.path, change.summary.model) == ("added", "area/recordings/new.json", "g")
    assert "myrecordings/new.json" not in idx.summaries


# --- the cache --------------------------------------------------------------------------


def five_files(tree: Path) -> list[str]:
    rels = [f"area{i}/recordings/{c * 64}.json" for i, c in enumerate("01234")]
    for i, rel in enumerate(rels):
        write(tree, rel, chat(model=f"model-{i}"))
    return rels


def test_second_scan_reads_nothing(tree: Path) -> None:
    rels = five_files(tree)
    cold = Index(tree).scan()
    assert (cold.stats.files, cold.stats.read, cold.stats.cached) == (5, 5, 0)
    warm = Index(tree).scan()
    assert (warm.stats.files, warm.stats.read, warm.stats.cached) == (5, 0, 5)
    assert warm.summaries == cold.summaries
    assert list(warm.summaries) == sorted(rels)
    assert [warm.summaries[r].model for r in rels] == [f"model-{i}" for i in range(5)]


def test_a_changed_file_alone_is_reread(tree: Path) -> None:
    rels = five_files(tree)
    first = Index(tree).scan()
    p = write(tree, rels[2], chat(model="model-X"))   # same size as model-2
    assert p.stat().st_size == first.summaries[rels[2]].size
    bump_mtime(p)

    idx = Index(tree).scan()

    assert (idx.stats.read, idx.stats.cached) == (1, 4)
    assert idx.summaries[rels[2]].model == "model-X"
    assert [idx.summaries[r].model for r in rels] == ["model-0", "model-1", "model-X", "model-3", "model-4"]
    for r in rels[:2] + rels[3:]:
        assert idx.summaries[r] == first.summaries[r]
    assert Index(tree).scan().stats.read == 0


def test_deleted_file_is_dropped_and_added_file_is_added(tree: Path, cache_dir: Path) -> None:
    rels = five_files(tree)
    Index(tree).scan()
    (tree / rels[0]).unlink()
    idx = Index(tree).scan()
    assert list(idx.summaries) == sorted(rels[1:])
    assert (idx.stats.read, idx.stats.cached) == (0, 4)
    assert sorted(summary_cache.load(tree.resolve()).summaries) == sorted(rels[1:])  # the cache forgot it too

    write(tree, "new/recordings/" + "f" * 64 + ".json", chat(model="fresh"))
    idx = Index(tree).scan()
    assert (idx.stats.files, idx.stats.read, idx.stats.cached) == (5, 1, 4)
    assert idx.summaries["new/recordings/" + "f" * 64 + ".json"].model == "fresh"
    assert Index(tree).scan().stats.read == 0


def _rewritten(cache_file: Path, change) -> bytes:
    """The cache file with its marshal payload changed by `change(fields)`, CRC made to match.

    Damage a CRC would not catch: what a cache written by another version could hold.
    """
    root = cached_root(cache_file)
    fields = summary_cache._read_parts(cache_file, root)
    change(fields)
    out = cache_file.with_name("rewritten")
    summary_cache._write_parts(out, Path(root), tuple(fields))
    data = out.read_bytes()
    out.unlink()
    return data


def cached_root(cache_file: Path) -> str:
    """The root a cache file names (its second chunk)."""
    with open(cache_file, "rb") as f:
        f.read(len(summary_cache.MAGIC))
        for _ in range(2):
            size = int.from_bytes(f.read(12)[:8], "little")
            part = marshal.loads(f.read(size))
    return part


def _drop_columns(fields: list) -> None:
    del fields[10:]                   # 3 summary columns, as an older Summary would have had


def _short_column(fields: list) -> None:
    fields[7:] = [col[:-1] for col in fields[7:]]


@pytest.mark.parametrize("damage", ["garbage", "empty", "magic-only", "flipped-byte", "wrong-schema", "fewer-columns", "short-columns", "wrong-root", "delete-dir", "delete-file"])
def test_damaged_cache_is_survived_and_rebuilt(tree: Path, cache_dir: Path, damage: str) -> None:
    rels = five_files(tree)
    reference = Index(tree, use_cache=False).scan().summaries
    Index(tree).scan()
    cf = summary_cache.cache_file(tree.resolve())
    assert cf.is_file()
    if damage == "garbage":
        cf.write_bytes(b"\x00\xff\xfe garbage \x9c" * 50)
    elif damage == "empty":
        cf.write_bytes(b"")
    elif damage == "magic-only":
        cf.write_bytes(summary_cache.MAGIC)
    elif damage == "flipped-byte":
        raw = bytearray(cf.read_bytes())
        raw[len(raw) // 2] ^= 0x40
        cf.write_bytes(bytes(raw))
    elif damage == "wrong-schema":
        cf.write_bytes(_rewritten(cf, lambda f: f.__setitem__(0, "0:0")))
    elif damage == "fewer-columns":
        cf.write_bytes(_rewritten(cf, _drop_columns))
    elif damage == "short-columns":
        cf.write_bytes(_rewritten(cf, _short_column))
    elif damage == "wrong-root":
        cf.write_bytes(_rewritten(cf, lambda f: f.__setitem__(1, "/somewhere/else")))
    elif damage == "delete-dir":
        shutil.rmtree(cache_dir)
    else:
        cf.unlink()

    idx = Index(tree).scan()

    assert (idx.stats.read, idx.stats.cached) == (5, 0)
    assert idx.summaries == reference
    assert [idx.summaries[r].kind for r in rels] == ["chat"] * 5
    # rebuilt: the next start is warm again
    assert cf.is_file() and sorted(summary_cache.load(tree.resolve()).summaries) == sorted(rels)
    assert Index(tree).scan().stats.read == 0


def age(root: Path, seconds: int = 60) -> None:
    """Set every folder and file below root (and root) `seconds` into the past, as a tree recorded earlier."""
    then = time.time_ns() - seconds * 1_000_000_000
    for p in [root, *root.rglob("*")]:
        os.utime(p, ns=(then, then))


def test_unchanged_folders_are_not_listed_again_but_every_file_is_checked(tree: Path) -> None:
    rels = five_files(tree)
    age(tree)
    folders = 1 + len({Path(r).parts[0] for r in rels}) * 2   # the root, area<i>, area<i>/recordings
    assert Index(tree).scan().stats.listed == folders
    warm = Index(tree).scan()
    assert (warm.stats.listed, warm.stats.read, warm.stats.cached) == (0, 0, 5)

    # Rewriting a file in place leaves its folder's mtime alone: the file is still caught.
    folder = (tree / rels[1]).parent
    before = folder.stat().st_mtime_ns
    bump_mtime(write(tree, rels[1], chat(model="model-Y")))
    assert folder.stat().st_mtime_ns == before
    idx = Index(tree).scan()
    assert (idx.stats.listed, idx.stats.read) == (0, 1)
    assert idx.summaries[rels[1]].model == "model-Y"

    # Adding a file changes its folder's mtime: that folder alone is listed again.
    write(tree, "area3/recordings/" + "9" * 64 + ".json", chat(model="new"))
    idx = Index(tree).scan()
    assert (idx.stats.listed, idx.stats.read) == (1, 1)
    assert idx.summaries["area3/recordings/" + "9" * 64 + ".json"].model == "new"


def test_a_file_put_back_as_it_was_after_a_live_update_is_read_again(tree: Path) -> None:
    rels = five_files(tree)
    age(tree)
    idx = Index(tree).scan()
    p = tree / rels[2]
    original, st = p.read_bytes(), p.stat()
    write(tree, rels[2], chat(model="model-live"))
    bump_mtime(p)
    assert idx.refresh(p).summary.model == "model-live"
    idx.save_cache()                     # the cache now holds the live row
    p.write_bytes(original)              # restored as it was, mtime included (rsync -t, a backup)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))

    again = Index(tree).scan()

    assert again.summaries[rels[2]].model == "model-2"
    assert again.stats.read == 1


def test_a_cache_written_in_one_mode_serves_the_other_exactly(tree: Path) -> None:
    write(tree, "area/recordings/" + "1" * 64 + ".json", chat(model="kept"))
    write(tree, "area/fixtures/" + "2" * 64 + ".json", chat(model="not-a-recording-folder"))
    write(tree, "package.json", {"name": "x"})
    age(tree)
    everything = sorted(Index(tree).scan().summaries)
    assert len(everything) == 3
    for _ in range(2):   # the second time, from the cache the first wrote
        only = Index(tree, recordings_only=True).scan()
        assert list(only.summaries) == ["area/recordings/" + "1" * 64 + ".json"]
    for _ in range(2):
        assert sorted(Index(tree).scan().summaries) == everything


def test_a_folder_changed_just_after_it_was_listed_is_listed_again(tree: Path) -> None:
    rels = five_files(tree)          # fresh folders: changed moments before the listing
    Index(tree).scan()
    folder = (tree / rels[0]).parent
    st = folder.stat()
    late = "area0/recordings/" + "9" * 64 + ".json"
    write(tree, late, chat(model="late"))
    # The same mtime as when listed, as when a file lands within the same clock tick.
    os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns))

    idx = Index(tree).scan()

    assert idx.summaries[late].model == "late"
    assert idx.stats.listed >= 1


def test_a_folder_symlink_retargeted_is_followed_to_its_new_target(tree: Path, tmp_path: Path) -> None:
    store = tree / ".store"   # inside the tree (a link out of it is not followed), in a folder the walk skips
    write(store / "one", "recordings/" + "1" * 64 + ".json", chat(model="one"))
    link = tree / "linked"
    link.symlink_to(store / "one")
    write(tree, "own.json", chat(model="own"))
    age(tree)
    assert {s.model for s in Index(tree).scan()} == {"one", "own"}
    write(store / "two", "recordings/" + "2" * 64 + ".json", chat(model="two"))   # after age(): its own mtime
    link.unlink()
    link.symlink_to(store / "two")
    assert {s.model for s in Index(tree).scan()} == {"two", "own"}
    link.unlink()
    link.symlink_to(tree / "own.json")             # now a file: not a folder, and not a .json name
    assert {s.model for s in Index(tree).scan()} == {"own"}


def test_cache_lives_in_the_cache_dir_and_the_tree_is_never_written(tree: Path, cache_dir: Path) -> None:
    rels = five_files(tree)
    rec = tree / "old/recordings"
    write(rec, "responses/aaaaaaaaaaaa.json", chat(test_id=None))
    make_sqlite(rec / "index.sqlite", [("a" * 64, "aaaaaaaaaaaa.json", "/v1/chat/completions", "gpt-4o", "t", 0)])
    write(tree, "broken.json", b'{"request": {')
    before = tree_digest(tree)

    Index(tree).scan()                       # cold
    assert tree_digest(tree) == before
    Index(tree).scan()                       # warm
    idx = Index(tree, recordings_only=True).scan()
    assert tree_digest(tree) == before
    idx.save_cache()
    assert tree_digest(tree) == before

    cf = summary_cache.cache_file(tree.resolve())
    assert cf.parent == cache_dir
    assert cf.name.startswith("index-") and cf.name.endswith(".bin")
    assert sorted(p.name for p in cache_dir.iterdir()) == [cf.name]   # no temp file left behind
    # one file per root, keyed by the resolved root path
    assert cached_root(cf) == str(tree.resolve())
    assert sorted(summary_cache.load(tree.resolve()).summaries) == sorted([*rels, "old/recordings/responses/aaaaaaaaaaaa.json"])  # what recordings_only kept


@pytest.mark.parametrize("where", ["subdir", "root", "nested-recordings"])
def test_a_cache_dir_inside_the_tree_is_never_written(tree: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    five_files(tree)
    inside = {"subdir": tree / "cache-here", "root": tree, "nested-recordings": tree / "area0/recordings/.cache"}[where]
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(inside))
    before = tree_digest(tree)

    first = Index(tree).scan()
    second = Index(tree).scan()
    first.save_cache()

    assert tree_digest(tree) == before
    assert second.stats.read == 5          # no cache was written, so nothing is cached
    assert second.summaries == first.summaries


def test_a_relative_cache_dir_resolving_inside_the_tree_is_not_written(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    five_files(tree)
    monkeypatch.chdir(tree)
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", "cache")
    before = tree_digest(tree)
    Index(".").scan()
    assert tree_digest(tree) == before


# --- incremental refresh ----------------------------------------------------------------


def test_refresh_added_changed_removed_unchanged(tree: Path) -> None:
    rels = five_files(tree)
    idx = Index(tree).scan()

    # unchanged
    assert idx.refresh(tree / rels[0]) is None
    assert idx.refresh(rels[1]) is None   # relative to the root works too

    # added
    new_rel = "zz/recordings/" + "e" * 64 + ".json"
    new_p = write(tree, new_rel, chat(model="added-model"))
    change = idx.refresh(new_p)
    assert isinstance(change, Change)
    assert (change.action, change.path, change.summary.model, change.summary.path) == ("added", new_rel, "added-model", new_rel)
    assert idx.summaries[new_rel] is change.summary
    assert list(idx.summaries) == sorted(idx.summaries)
    assert idx.refresh(new_p) is None

    # changed (same size, new mtime)
    p = write(tree, rels[3], chat(model="model-Z"))
    bump_mtime(p)
    change = idx.refresh(p)
    assert change is not None and (change.action, change.path, change.summary.model) == ("changed", rels[3], "model-Z")
    assert idx.summaries[rels[3]].model == "model-Z"
    assert idx.refresh(p) is None

    # removed
    old = idx.summaries[rels[4]]
    (tree / rels[4]).unlink()
    change = idx.refresh(tree / rels[4])
    assert change is not None and (change.action, change.path) == ("removed", rels[4])
    assert change.summary is old
    assert rels[4] not in idx.summaries
    assert idx.refresh(tree / rels[4]) is None

    # what refresh built is what a scan would build
    fresh = Index(tree, use_cache=False).scan()
    assert fresh.summaries == idx.summaries


def test_refresh_ignores_what_the_scan_ignores(tree: Path, tmp_path: Path) -> None:
    five_files(tree)
    idx = Index(tree).scan()
    n = len(idx)
    assert idx.refresh(write(tree, "notes.txt", b"x")) is None
    assert idx.refresh(write(tree, ".git/a.json", chat())) is None
    assert idx.refresh(write(tree, "node_modules/p/a.json", chat())) is None
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(chat()))
    assert idx.refresh(outside) is None
    assert idx.refresh(tree / "never/existed.json") is None
    assert len(idx) == n


def test_refresh_rereads_a_file_that_had_a_problem(tree: Path) -> None:
    good = json.dumps(chat(model="now-fine")).encode()
    p = write(tree, "recordings/x.json", b'{"request": '.ljust(len(good)))
    idx = Index(tree).scan()
    assert idx.summaries["recordings/x.json"].kind == "invalid"
    st = p.stat()
    p.write_bytes(good)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only the problem says re-read
    assert p.stat().st_size == st.st_size
    change = idx.refresh(p)
    assert change is not None and change.action == "changed" and change.summary.model == "now-fine"


# --- resolve ----------------------------------------------------------------------------


@pytest.fixture
def resolvable(tree: Path) -> Index:
    write(tree, f"responses/recordings/{H1}.json", chat(model="one"))
    write(tree, f"responses/recordings/{H2}.json", chat(model="two"))
    write(tree, f"inference/recordings/{H3}.json", chat(model="three"))
    write(tree, f"common/recordings/models-{MODELS_HASH}-0da7d1b1.json", chat(model="four"))
    return Index(tree).scan()


def test_resolve_by_id_prefix_path_and_file_name(resolvable: Index, tree: Path) -> None:
    idx = resolvable
    assert idx.resolve("b3b3").model == "three"
    assert idx.resolve("B3B3B3").model == "three"                       # case-insensitive
    assert idx.resolve(H1).model == "one"                                # a whole id
    assert idx.resolve("a1a1").path == f"responses/recordings/{H1}.json"
    assert idx.resolve(f"inference/recordings/{H3}.json").model == "three"     # relative path
    assert idx.resolve(str(tree / f"responses/recordings/{H2}.json")).model == "two"   # absolute path
    assert idx.resolve(f"{H2}.json").model == "two"                      # file name
    assert idx.resolve(f"  {H3[:8]}  ").model == "three"                 # stripped
    assert idx.resolve("c4c4").model == "four"                           # model lists: by hash, without models-
    assert idx.resolve(f"models-{MODELS_HASH}-0da7d1b1.json").model == "four"
    assert idx.resolve("models-c4").model == "four"


def test_resolve_ambiguous_prefix_lists_candidates(resolvable: Index) -> None:
    with pytest.raises(RefError) as info:
        resolvable.resolve("a")
    exc = info.value
    assert sorted(s.model for s in exc.candidates) == ["one", "two"]
    msg = str(exc)
    assert msg.startswith("'a' is ambiguous: 2 recordings match (")
    assert f"responses/recordings/{H1}.json" in msg and f"responses/recordings/{H2}.json" in msg
    assert "\n" not in msg


def test_resolve_ambiguous_lists_at_most_five(tree: Path) -> None:
    for i in range(7):
        write(tree, f"r{i}/recordings/{'d' * 63}{i}.json", chat())
    with pytest.raises(RefError) as info:
        Index(tree).scan().resolve("ddd")
    assert len(info.value.candidates) == 7
    assert str(info.value).endswith(" and 2 more)")


def test_resolve_unknown_and_empty(resolvable: Index, tree: Path) -> None:
    with pytest.raises(RefError) as info:
        resolvable.resolve("ffff")
    assert str(info.value) == f"no recording matches 'ffff' in {tree.resolve()}"
    assert info.value.candidates == []
    with pytest.raises(RefError):
        resolvable.resolve("   ")
    with pytest.raises(RefError):
        resolvable.resolve("responses/recordings/nothere.json")


def test_resolve_same_id_in_two_folders_is_ambiguous(tree: Path) -> None:
    write(tree, "recordings/responses/aaaaaaaaaaaa.json", chat(model="text"))
    write(tree, "recordings/vision/responses/aaaaaaaaaaaa.json", chat(model="vision"))
    idx = Index(tree).scan()
    with pytest.raises(RefError) as info:
        idx.resolve("aaaaaaaaaaaa")
    assert len(info.value.candidates) == 2
    assert idx.resolve("recordings/vision/responses/aaaaaaaaaaaa.json").model == "vision"


# --- hostile trees ----------------------------------------------------------------------


def _scan_with_timeout(idx: Index, seconds: float = 30) -> Index:
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["idx"] = idx.scan()
        except BaseException as exc:  # noqa: BLE001 - reported below
            box["exc"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "scan did not finish: a symlink loop?"
    if "exc" in box:
        raise box["exc"]  # type: ignore[misc]
    return box["idx"]  # type: ignore[return-value]


def test_symlink_loops_neither_hang_nor_crash(tree: Path) -> None:
    write(tree, "top.json", chat(model="top"))
    write(tree, "sub/x.json", chat(model="x"))
    os.symlink(tree, tree / "sub" / "up")          # a dir linked to its parent
    os.symlink(".", tree / "sub" / "self")         # a dir linked to itself
    os.symlink("../sub", tree / "sub" / "again")   # and back again
    os.symlink("missing-target", tree / "dangling.json")
    before = tree_digest(tree)

    idx = _scan_with_timeout(Index(tree))

    assert list(idx.summaries) == ["sub/x.json", "top.json"]
    assert tree_digest(tree) == before


def test_unreadable_subdirectory_is_skipped(tree: Path) -> None:
    write(tree, "ok/a.json", chat(model="a"))
    write(tree, "locked/b.json", chat(model="b"))
    locked = tree / "locked"
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running with privileges that read a mode-000 directory")
        idx = Index(tree).scan()
        assert list(idx.summaries) == ["ok/a.json"]
        assert len(idx.stats.skipped) == 1 and idx.stats.skipped[0].startswith(str(locked))
    finally:
        locked.chmod(0o755)


# --- parallel and serial agree ----------------------------------------------------------


def test_parallel_and_serial_scans_agree_on_a_generated_tree(tree: Path) -> None:
    expected = {}
    for i in range(200):
        rel = f"area{i % 7}/recordings/{i:064x}.json"
        if i % 50 == 49:
            write(tree, rel, b'{"request": {"truncated')
            expected[rel] = None
        else:
            write(tree, rel, chat(model=f"model-{i % 13}", content="x" * (i * 37 % 3000), reply=f"reply {i}"))
            expected[rel] = f"model-{i % 13}"

    parallel = Index(tree, use_cache=False).scan(workers=2)
    serial = Index(tree, use_cache=False).scan(workers=1)

    assert len(parallel) == 200
    assert list(parallel.summaries) == list(serial.summaries) == sorted(expected)
    assert parallel.summaries == serial.summaries
    assert {rel: s.model for rel, s in parallel.summaries.items()} == expected
    assert sum(1 for s in parallel if s.kind == "invalid") == 4
    assert parallel.stats.read == serial.stats.read == 200


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is absent")
def test_parallel_and_serial_scans_agree_on_the_corpus() -> None:
    before = tree_digest(CORPUS)
    parallel = Index(CORPUS, use_cache=False).scan(workers=2)
    serial = Index(CORPUS, use_cache=False).scan(workers=1)
    assert len(parallel) > 800
    assert list(parallel.summaries) == list(serial.summaries)
    assert parallel.summaries == serial.summaries
    assert tree_digest(CORPUS) == before


def test_every_summary_field_has_a_type_the_cache_checks() -> None:
    """A field the cache's type check does not know makes every warm start a cold one."""
    from dataclasses import fields

    from cassette_tui.cache import _FIELD_TYPES
    from cassette_tui.model import Summary

    assert {f.name for f in fields(Summary)} == set(_FIELD_TYPES)
