"""The core on hostile files: Recording.load, summary, result, steps, every view, Index.scan.

Every file gets a clear problem or reads as a recording; nothing raises, nothing
hangs, time stays bounded, and files that race the scan are handled.
"""

from __future__ import annotations

import copy
import marshal
import os
import threading
import time
from pathlib import Path

import orjson
import pytest

from cassette_tui import html_view as hv
from cassette_tui import index as index_mod
from cassette_tui.index import Index
from cassette_tui.jsonio import dumps_line
from cassette_tui.model import Summary, summary_row
from cassette_tui.recording import Recording
from cassette_tui.timeline import recording_timeline
from cassette_tui.view import chunks_section, json_section, recording_sections, safe, stream_lines

from .conftest import expected_problem, readable_as_us
from .generate import ESC_SEQS, build, chat, dump

DEMO = Path(__file__).resolve().parents[2] / "cassette_tui" / "demo"
RAW_CONTROLS = ("\x1b", "\x07", "\x08", "\x9b", "\r")


def every_face_of(rec: Recording) -> str:
    """Everything the faces draw from one recording, as the text they would show."""
    s = rec.summary()
    assert Summary(*marshal.loads(marshal.dumps(summary_row(s)))) == s   # as the cache and the forked readers carry it
    dumps_line(s.to_json()).encode("utf-8")   # what `ls --json` writes: encodable, whatever the file held
    result = rec.result
    rec.steps()
    recording_timeline(rec)
    sections = recording_sections(rec)
    chunks = chunks_section(result)
    sections += [chunks] if chunks else []
    sections += [json_section("request", rec.request), json_section("response", rec.response)]
    stream_lines(result, limit=200_000)
    hv.sections_html(sections)
    return hv.sections_text(sections, max_lines=None)


def load_within(path: Path, seconds: float = 10.0) -> Recording:
    """Recording.load in a thread, so a file that would block (a FIFO) fails the test instead of hanging it."""
    box: dict[str, Recording] = {}
    t = threading.Thread(target=lambda: box.setdefault("rec", Recording.load(path)), daemon=True)
    t.start()
    t.join(seconds)
    assert "rec" in box, f"Recording.load({path.name!r}) did not return within {seconds}s"
    return box["rec"]


def test_every_hostile_file_reads_or_says_why(hostile_dir: Path, cases) -> None:
    for case in cases:
        if not case.listed:
            continue
        t0 = time.perf_counter()
        rec = load_within(hostile_dir / case.name)
        problem = expected_problem(case, hostile_dir)
        if problem is None:
            assert rec.problem is None, (case.name, rec.problem)
            assert rec.kind != "invalid"
        else:
            assert rec.problem and problem in rec.problem, (case.name, rec.problem)
            assert rec.kind == "invalid" and rec.summary().problem == rec.problem
        if case.note:
            assert rec.note and case.note in rec.note, (case.name, rec.note)
        text = every_face_of(rec)
        assert not any(c in text for c in RAW_CONTROLS), case.name
        assert time.perf_counter() - t0 < 15, f"{case.name} took {time.perf_counter() - t0:.1f}s"


def test_a_fifo_a_loop_and_a_dangling_link_neither_hang_nor_raise(hostile_dir: Path) -> None:
    assert load_within(hostile_dir / "fifo.json").problem == "not a regular file (a FIFO, socket or device)"
    assert load_within(hostile_dir / "self-loop.json").problem.startswith("cannot read")
    assert load_within(hostile_dir / "dangling.json").problem.startswith("file not found")
    assert load_within(hostile_dir / "problem-dir.json").problem == "is a directory"


def test_scan_lists_every_file_once_with_its_problem(hostile_dir: Path, cases) -> None:
    t0 = time.perf_counter()
    idx = Index(hostile_dir).scan()
    assert time.perf_counter() - t0 < 20
    listed = sorted(c.name for c in cases if c.listed)
    assert sorted(idx.summaries) == listed   # the loop, the FIFO and the links are not recordings
    for case in cases:
        if case.listed:
            problem = expected_problem(case, hostile_dir)
            s = idx.summaries[case.name]
            assert (s.problem is None) if problem is None else (problem in (s.problem or "")), (case.name, s.problem)
    # A warm start reads nothing again, the 50 MB file included, and agrees.
    warm = Index(hostile_dir).scan()
    # Only an unreadable file is tried again (a permission fixed later changes no mtime); the
    # cache holds every other row, a non-UTF-8 name and lone surrogates included.
    assert warm.stats.read == (0 if readable_as_us(hostile_dir / "no-read.json") else 1), warm.stats
    assert warm.summaries == idx.summaries
    # Forked workers agree with the serial reader.
    assert Index(hostile_dir, use_cache=False).scan(workers=2).summaries == Index(hostile_dir, use_cache=False).scan(workers=1).summaries


def test_huge_files_are_summarized_with_bounded_text(hostile_dir: Path) -> None:
    for name in ("huge-string.json", "stream-100k.json"):
        rec = Recording.load(hostile_dir / name)
        s = rec.summary()
        assert len(s.text) <= 16_000 and len(marshal.dumps(summary_row(s))) < 64_000, name
        shown = hv.sections_text(recording_sections(rec))
        assert len(shown) < 200_000, (name, len(shown))
    assert Recording.load(hostile_dir / "stream-100k.json").summary().chunks == 100_000


def test_permission_denied_is_a_problem(small_hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root a mode-000 file stays readable: the same code path is driven by refusing the open."""
    root, _ = small_hostile
    target = str(root / "no-read.json")
    if os.access(target, os.R_OK):
        real_open = os.open

        def refusing_open(path, flags, *args, **kwargs):
            if os.fspath(path) == target:
                raise PermissionError(13, "Permission denied", target)
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    assert Recording.load(target).problem == "permission denied"
    idx = Index(root).scan()
    assert idx.summaries["no-read.json"].problem == "permission denied"
    assert idx.summaries["good.json"].problem is None


def test_files_deleted_or_replaced_between_listing_and_reading(small_hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = small_hostile
    real = index_mod.summarize_files

    def racing(root_str, items, *args, **kwargs):
        # The listing is done: now another process deletes one file and swaps another.
        (root / "vanishes.json").unlink()
        tmp = root / "replaced.json.tmp"
        tmp.write_bytes(dump(chat(model="the-replacement")))
        os.replace(tmp, root / "replaced.json")
        return real(root_str, items, *args, **kwargs)

    monkeypatch.setattr(index_mod, "summarize_files", racing)
    idx = Index(root).scan()
    assert "vanishes.json" not in idx.summaries           # gone: not listed as a broken file
    assert idx.summaries["replaced.json"].model == "the-replacement"
    monkeypatch.setattr(index_mod, "summarize_files", real)
    # The cache holds the listing's size and mtime, so the next start sees the swap and re-reads.
    again = Index(root).scan()
    assert again.summaries["replaced.json"].model == "the-replacement"
    assert "vanishes.json" not in again.summaries


def test_probe_of_a_file_deleted_between_stat_and_read(small_hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = small_hostile
    idx = Index(root).scan()
    path = root / "good.json"
    os.utime(path, (1, 1))                    # changed: the probe will read it
    real_load = Recording.load

    def load_after_delete(p):
        Path(p).unlink(missing_ok=True)
        return real_load(p)

    monkeypatch.setattr(Recording, "load", staticmethod(load_after_delete))
    change = idx.probe(path)
    assert change is not None and change.action == "removed"


def test_file_replaced_by_a_fifo_after_listing(small_hostile) -> None:
    root, _ = small_hostile
    idx = Index(root).scan()
    (root / "good.json").unlink()
    os.mkfifo(root / "good.json")
    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("c", idx.probe(root / "good.json")), daemon=True)
    t.start()
    t.join(10)
    assert "c" in box and box["c"].action == "removed"


def test_names_and_text_that_are_not_utf8_survive_the_cache_and_the_faces(small_hostile) -> None:
    root, _ = small_hostile
    first = Index(root).scan()
    bad = next(r for r in first.summaries if r.startswith("bad-name-"))
    assert first.summaries[bad].problem is None
    second = Index(root).scan()             # the cache holds them: nothing is read again
    assert second.summaries == first.summaries
    assert second.stats.read == (0 if readable_as_us(root / "no-read.json") else 1)
    assert "\\udcff" in safe(bad) and "\udcff" not in safe(bad)
    surrogates = Recording.load(root / "surrogates.json")
    assert "surrogate" in surrogates.note
    text = every_face_of(surrogates)
    text.encode("utf-8")                    # printable: no lone surrogate left


# --- every field of the wrong type -------------------------------------------------------

WRONG = [None, 7, "s", [], {}, True, [1, "x", None]]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            yield from _paths(v, (*prefix, i))


def _replaced(value, path, new):
    value = copy.deepcopy(value)
    if not path:
        return new
    cur = value
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = new
    return value


def test_any_field_of_any_recording_of_the_wrong_type() -> None:
    """Each demo recording with one field (any depth) swapped for each JSON type: every face still draws it."""
    checked = 0
    for f in sorted(DEMO.rglob("*.json")):
        base = orjson.loads(f.read_bytes())
        paths = list(_paths(base))
        paths = paths[:: max(1, len(paths) // 16)]
        for path in paths:
            for new in WRONG:
                data = _replaced(base, path, new)
                try:
                    text = every_face_of(Recording(data, f.name))
                except Exception as exc:  # noqa: BLE001 - name the case that broke
                    raise AssertionError(f"{f.name} {list(path)} = {new!r}: {type(exc).__name__}: {exc}") from exc
                assert "\x1b" not in text
                checked += 1
    assert checked > 1_500


def test_injection_in_a_role_a_usage_and_a_tool_schema() -> None:
    rec = chat()
    rec["request"]["body"]["messages"][1]["role"] = f"user{ESC_SEQS}"
    rec["request"]["body"]["tools"][0]["function"]["parameters"] = {"type": "object", "properties": {f"p{ESC_SEQS}": {}}, "required": 5}
    rec["response"]["body"][0]["__data__"]["choices"][0]["delta"]["role"] = [ESC_SEQS]
    rec["response"]["body"].append({"__type__": rec["response"]["body"][0]["__type__"], "__data__": {"object": "chat.completion.chunk", "choices": [], "usage": ESC_SEQS}})
    text = every_face_of(Recording(rec, "x.json"))
    assert not any(c in text for c in RAW_CONTROLS)
    assert "␛[2J" in text


def test_build_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    build(a, huge=False)
    build(b, huge=False)
    for p in sorted(a.rglob("*")):
        q = b / p.relative_to(a)
        if p.is_file() and not p.is_symlink() and p.name not in ("fifo.json",) and os.access(p, os.R_OK):
            assert p.read_bytes() == q.read_bytes(), p.name
    for p in (a, b):
        os.chmod(p / "no-read.json", 0o644)


def test_an_id_mapping_that_feeds_itself_stays_bounded(tmp_path: Path) -> None:
    """Each pair doubles what the one before left (<0> -> <1><1>, <1> -> <2><2> ...): 40 pairs over a
    10 KB recording were past 7 GB. Now the growth is counted before each replace and stops at 8 MB."""
    import json
    import time

    from cassette_tui.hashing import request_hashes
    from cassette_tui.recording import Recording
    from cassette_tui.verify import verify_file

    data = json.loads((DEMO / "responses" / "recordings" / "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json").read_text())
    data["request"]["body"]["messages"][0]["content"] = "<0>" * 3_000
    data["id_normalization_mapping"] = {f"<{k + 1}><{k + 1}>": f"<{k}>" for k in range(40)}   # alias: original
    path = tmp_path / ("e" * 64 + ".json")
    path.write_text(json.dumps(data))
    t = time.perf_counter()
    rec = Recording.load(path)
    assert not rec.problem and rec.model == "gpt-4o"          # read, the mapping left unapplied
    assert set(request_hashes(data).values()) == {None}       # no recorder could have written it: no version's hash
    v = verify_file(path)
    assert v.status in ("mismatch", "unverifiable"), v
    assert time.perf_counter() - t < 30
