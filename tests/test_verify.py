"""verify: each file's status from its name and content, then the cross-file checks, then the corpus."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from cassette_tui.hashing import NEWEST, VERSIONS, hash_object, model_list_digest, request_hash, request_hashes
from cassette_tui.index import Index
from cassette_tui.query import parse
from cassette_tui.recording import Recording
from cassette_tui.verify import FAILING, STATUSES, apply_statuses, cross_check, verify_file, verify_index, verify_recording

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TID = "tests/integration/inference/test_basic.py::test_chat[txt=openai/gpt-4o]"
CHAT = "https://api.openai.com/v1/v1/chat/completions"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path / "user-cache"))


def sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def chat(content: str = "hi", test_id: str | None = TID, **body) -> dict:
    return {
        "test_id": test_id,
        "request": {"method": "POST", "url": CHAT, "headers": {}, "endpoint": "/v1/chat/completions", "model": "gpt-4o",
                    "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": content}], **body}},
        "response": {"body": {"__type__": "openai.types.chat.chat_completion.ChatCompletion",
                              "__data__": {"id": "rec-1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}]}},
                     "is_streaming": False},
        "id_normalization_mapping": {},
    }


def write(root: Path, rel: str, data) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def rec_at(data, rel: str) -> Recording:
    r = Recording(data, rel)
    return r


# --- one file -----------------------------------------------------------------------------


def test_ok_when_named_by_the_newest_hash() -> None:
    e = chat()
    h = request_hash(e, NEWEST)
    assert h == sha({"method": "POST", "endpoint": "/v1/v1/chat/completions", "body": e["request"]["body"], "test_id": TID})
    v = verify_recording(rec_at(e, f"inference/recordings/{h}.json"))
    assert (v.status, v.algorithm, v.expected, v.versions) == ("ok", "v7", h, ("v2", "v3", "v4", "v5", "v6", "v7"))
    assert v.test_id == TID and v.kind == "inference" and v.endpoint == "/v1/chat/completions"
    assert not v.failing and not v.safe_to_delete and v.detail == ""


def test_stale_names_the_older_version() -> None:
    # a float with more than 5 places: v2 hashes it raw, v3+ rounds it
    e = chat(temperature=0.123456789)
    v2 = request_hash(e, "v2")
    assert v2 != request_hash(e, "v3")
    v = verify_recording(rec_at(e, f"inference/recordings/{v2}.json"))
    assert (v.status, v.algorithm, v.versions, v.expected) == ("stale", "v2", ("v2",), request_hash(e, "v7"))
    assert v.detail == f"named by the v2 hash; the v7 hash is {request_hash(e, 'v7')[:12]}…"
    assert v.failing


def test_stale_range_of_versions_for_project_id() -> None:
    e = chat(extra_body={"project_id": "p-123", "guided_choice": ["a"]})
    v5 = request_hash(e, "v5")
    assert v5 == request_hash(e, "v2") == request_hash(e, "v3") and v5 != request_hash(e, "v6")
    v = verify_recording(rec_at(e, f"x/{v5}.json"))
    assert (v.status, v.algorithm, v.versions) == ("stale", "v5", ("v2", "v3", "v4", "v5"))
    assert "named by the v2..v5 hash" in v.detail


def test_twelve_hex_names_are_the_v1_layout() -> None:
    e = chat(test_id=None)
    h1 = request_hash(e, "v1")
    v = verify_recording(rec_at(e, f"recordings/responses/{h1[:12]}.json"))
    assert (v.status, v.algorithm, v.versions) == ("stale", "v1", ("v1",))
    assert v.detail.startswith("12-hex name of the 2025-07..10 layout (v1 hash); today's recorder would name it ")


def test_mismatch_edited_after_recording() -> None:
    e = chat()
    h = request_hash(e, NEWEST)
    e["request"]["body"]["messages"][0]["content"] = "hi!"   # edited by hand
    v = verify_recording(rec_at(e, f"inference/recordings/{h}.json"))
    assert (v.status, v.algorithm, v.versions) == ("mismatch", None, ())
    assert v.expected == request_hash(e, NEWEST) != h
    assert v.detail.startswith("the name matches no known hash of its request (v1..v7; newest would be ")
    assert v.detail.endswith("edited after recording, or recorded by unknown code")
    nid = chat(test_id=None)
    assert "no test id" in verify_recording(rec_at(nid, "a/" + "0" * 64 + ".json")).detail


def test_model_list_digest() -> None:
    e = {"test_id": None, "request": {"method": "POST", "url": "http://localhost:11434/v1/models", "headers": {}, "body": {}, "endpoint": "/v1/models", "model": ""},
         "response": {"body": [{"__type__": "openai.types.model.Model", "__data__": {"id": i, "object": "model"}} for i in ("b", "a")], "is_streaming": False}}
    h = request_hash(e, NEWEST)
    assert h == sha({"method": "POST", "endpoint": "/v1/models", "body": {}})   # no test id on model-list paths
    good = model_list_digest(["a", "b"])
    assert good == hashlib.sha256(b"a|b").hexdigest()[:8]
    ok = verify_recording(rec_at(e, f"common/recordings/models-{h}-{good}.json"))
    assert (ok.status, ok.model_digest) == ("ok", good)
    bad = verify_recording(rec_at(e, f"common/recordings/models-{h}-00000000.json"))
    assert bad.status == "mismatch" and "model-list digest" in bad.detail


def test_unverifiable_unreadable_not_a_recording(tmp_path: Path) -> None:
    e = chat()
    assert verify_recording(rec_at(e, "inference/recordings/notes.json")).status == "unverifiable"
    fp = {"test_id": TID, "request": {"test_id": TID, "provider": "pypdf", "api": "file_processors", "file_id": "file-1"}, "response": {"body": {}, "is_streaming": False}}
    v = verify_recording(rec_at(fp, "x/" + "a" * 64 + ".json"))
    assert (v.status, v.detail) == ("unverifiable", "file-processor recordings have no known hash recipe")
    broken = write(tmp_path, "x/" + "b" * 64 + ".json", '{"request": {')
    v = verify_file(broken, "x/" + "b" * 64 + ".json")
    assert v.status == "unreadable" and v.detail.startswith("truncated JSON")
    array = write(tmp_path, "x/" + "c" * 64 + ".json", "[1, 2]")
    v = verify_file(array)
    assert (v.status, v.detail) == ("not-a-recording", "not a recording: the file holds a JSON array, not an object")
    assert FAILING == {"stale", "mismatch", "unreadable", "orphan"} and set(STATUSES) >= FAILING


def test_tool_and_http_kinds() -> None:
    tool = {"test_id": TID, "request": {"test_id": TID, "provider": "tavily", "tool_name": "web_search", "kwargs": {"query": "q"}},
            "response": {"body": {}, "is_streaming": False}}
    th = sha({"provider": "tavily", "tool_name": "web_search", "kwargs": {"query": "q"}})
    v = verify_recording(rec_at(tool, f"tool_runtime/recordings/{th}.json"))
    assert (v.status, v.versions, v.kind) == ("ok", ("v2", "v3", "v4", "v5", "v6", "v7"), "tool")
    http = {"test_id": TID, "request": {"test_id": TID, "url": "http://nim/v1/ranking", "method": "POST", "payload": {"score": 0.1234567}},
            "response": {"status": 200, "body": {}, "is_streaming": False}}
    hh = sha({"test_id": TID, "url": "http://nim/v1/ranking", "method": "POST", "payload": {"score": 0.12346}})
    v = verify_recording(rec_at(http, f"inference/recordings/{hh}.json"))
    assert (v.status, v.versions, v.kind) == ("ok", ("v3", "v4", "v5", "v6", "v7"), "http")


def test_hashes_passed_in_are_used() -> None:
    e = chat()
    h = request_hash(e, NEWEST)
    fake = dict.fromkeys(request_hashes(e), "f" * 64)
    assert verify_recording(rec_at(e, f"x/{h}.json"), hashes=fake).status == "mismatch"


def test_hash_object_is_what_gets_hashed() -> None:
    e = chat(temperature=0.123456789, extra_body={"project_id": "p"})
    assert hash_object(e, "v1") == {"method": "POST", "endpoint": "/v1/v1/chat/completions", "body": e["request"]["body"]}
    assert hash_object(e, "v7") == {"method": "POST", "endpoint": "/v1/v1/chat/completions", "test_id": TID,
                                    "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.12346, "extra_body": {}}}
    for v in VERSIONS:
        assert sha(hash_object(e, v)) == request_hash(e, v), v
    tool = {"request": {"provider": "tavily", "tool_name": "web_search", "kwargs": {"q": 1}}}
    assert hash_object(tool, "v1") is None and hash_object(tool, "v7") == {"provider": "tavily", "tool_name": "web_search", "kwargs": {"q": 1}}
    with pytest.raises(ValueError):
        hash_object(e, "v8")


# --- the whole tree ---------------------------------------------------------------------


def make_tree(root: Path) -> dict[str, str]:
    """A small tree with one file of every status; returns rel path by role."""
    paths: dict[str, str] = {}
    live = chat("turn two")
    stale = chat("turn one", temperature=0.123456789)
    paths["live"] = f"tests/integration/inference/recordings/{request_hash(live, 'v7')}.json"
    paths["stale"] = f"tests/integration/inference/recordings/{request_hash(stale, 'v2')}.json"
    orphan = chat("alone", test_id=TID.replace("test_chat", "test_other"), temperature=0.123456789)
    paths["orphan"] = f"tests/integration/inference/recordings/{request_hash(orphan, 'v2')}.json"
    dup = chat("twice")
    paths["dup1"] = f"tests/integration/inference/recordings/{request_hash(dup, 'v7')}.json"
    paths["dup2"] = f"tests/integration/common/recordings/{request_hash(dup, 'v7')}.json"
    paths["mismatch"] = "tests/integration/inference/recordings/" + "d" * 64 + ".json"
    paths["broken"] = "tests/integration/inference/recordings/" + "e" * 64 + ".json"
    for role, data in (("live", live), ("stale", stale), ("orphan", orphan), ("dup1", dup), ("dup2", dup), ("mismatch", chat("edited")), ("broken", "{")):
        write(root, paths[role], data)
    return paths


def test_verify_index_statuses_siblings_duplicates(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    paths = make_tree(root)
    report = verify_index(Index(root).scan())
    st = {role: report.verdicts[p].status for role, p in paths.items()}
    assert st == {"live": "ok", "stale": "stale", "orphan": "stale", "dup1": "ok", "dup2": "ok", "mismatch": "mismatch", "broken": "unreadable"}
    stale, orphan = report.verdicts[paths["stale"]], report.verdicts[paths["orphan"]]
    assert stale.safe_to_delete and stale.sibling in (paths["live"], paths["dup1"], paths["dup2"])
    assert stale.to_json()["safe_to_delete"] is True
    assert not orphan.safe_to_delete and orphan.sibling is None
    assert orphan.full_detail.endswith("no live recording of the same test id: re-record before deleting")
    assert [g.paths for g in report.duplicates] == [sorted([paths["dup2"], paths["dup1"]])]
    assert report.verdicts[paths["dup1"]].duplicates == (paths["dup2"],)
    assert report.counts() == {"ok": 3, "stale": 2, "mismatch": 1, "unverifiable": 0, "unreadable": 1, "not-a-recording": 0, "missing": 0, "orphan": 0}
    s = report.summary()
    assert (s["files"], s["stale_safe_to_delete"], s["stale_by_version"], s["duplicate_groups"], s["duplicate_files"], s["failing"]) == (7, 1, {"v2": 2}, 1, 2, True)
    assert report.safe_to_delete == [paths["stale"]]
    j = report.verdicts[paths["stale"]].to_json()
    assert list(j) == ["path", "status", "algorithm", "expected", "detail", "versions", "test_id", "safe_to_delete", "sibling", "duplicates", "duplicate_count", "test_state", "test_note"]


def test_cross_check_again_after_one_file_changes(tmp_path: Path) -> None:
    """A live view re-verifies one file and redoes only the in-memory pass."""
    root = tmp_path / "repo"
    paths = make_tree(root)
    idx = Index(root).scan()
    report = verify_index(idx)
    verdicts = dict(report.verdicts)
    # the live sibling is deleted: the stale file is no longer safe to delete
    del verdicts[paths["live"]]
    # and the duplicate in common/ is edited by hand
    verdicts[paths["dup2"]] = verify_recording(rec_at(chat("edited twice"), paths["dup2"]))
    again = cross_check(verdicts, idx.sqlite_rows, idx.root)
    assert again.verdicts[paths["stale"]].sibling == paths["dup1"]   # the other ok file of the test
    assert again.verdicts[paths["dup2"]].status == "mismatch"
    assert again.duplicates == []
    assert again.verdicts[paths["dup1"]].duplicates == ()


def _own(report) -> dict[str, dict]:
    return {p: v.to_json() | {"notes": v.notes} for p, v in report.verdicts.items()}


def test_a_second_verify_hashes_only_what_changed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    paths = make_tree(root)
    first = verify_index(Index(root).scan())
    assert first.hashed == 7
    second = verify_index(Index(root).scan())
    assert second.hashed == 1                      # only the unreadable file: never kept (a permission may be fixed)
    assert _own(second) == _own(first)             # siblings and duplicates redone from kept verdicts
    # The live file is edited by hand: its name no longer matches; only it is hashed again.
    p = root / paths["live"]
    data = json.loads(p.read_text())
    data["request"]["body"]["messages"][0]["content"] = "turn two, edited"
    p.write_text(json.dumps(data))
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))
    third = verify_index(Index(root).scan())
    assert third.hashed == 2
    assert third.verdicts[paths["live"]].status == "mismatch"
    assert third.verdicts[paths["stale"]].sibling in (paths["dup1"], paths["dup2"])   # the other ok files of the test
    # An index without its cache hashes everything, every time.
    assert verify_index(Index(root, use_cache=False).scan()).hashed == 7


@pytest.mark.parametrize("damage", ["garbage", "rows-of-other-shapes", "wrong-schema"])
def test_a_damaged_verdict_cache_is_survived(tmp_path: Path, damage: str) -> None:

    from cassette_tui import cache

    root = tmp_path / "repo"
    make_tree(root)
    reference = _own(verify_index(Index(root).scan()))
    vf = cache.verdicts_file(root.resolve())
    assert vf.is_file()
    key, cached_root, rows = cache._read_parts(vf, str(root.resolve()))
    if damage == "garbage":
        vf.write_bytes(b"\x00garbage" * 30)
    else:
        if damage == "wrong-schema":
            key = "0:0"
        else:   # what a corrupt (or foreign) file with a right CRC could hold
            rows = {rel: bad for rel, bad in zip(rows, [5, "xyz", (1, 2), (1, 2, (3,)), None, [], {}] * 9, strict=False)}
        cache._write_parts(vf, root, (key, cached_root, rows))
    again = verify_index(Index(root).scan())
    assert _own(again) == reference
    assert again.hashed == 7


def test_corpus_verdicts_from_the_cache_are_the_verdicts(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    fresh = verify_index(Index(CORPUS, use_cache=False).scan())
    verify_index(Index(CORPUS).scan())
    kept = verify_index(Index(CORPUS).scan())
    assert kept.hashed == 0
    assert _own(kept) == _own(fresh)
    assert kept.summary() == fresh.summary()


def test_only_ok_files_pass(tmp_path: Path) -> None:
    root = tmp_path / "clean"
    e = chat()
    write(root, f"inference/recordings/{request_hash(e, 'v7')}.json", e)
    report = verify_index(Index(root).scan())
    assert report.counts()["ok"] == 1 and not report.failing


def test_sqlite_rows_and_files(tmp_path: Path) -> None:
    root = tmp_path / "old"
    rec_dir = root / "tests/integration/recordings"
    listed = chat("listed", test_id=None)
    unlisted = chat("unlisted", test_id=None)
    wrong = chat("wrong row", test_id=None)
    h_listed, h_unlisted, h_wrong = (request_hash(e, "v1") for e in (listed, unlisted, wrong))
    write(rec_dir, f"responses/{h_listed[:12]}.json", listed)
    write(rec_dir, f"responses/{h_unlisted[:12]}.json", unlisted)
    write(rec_dir, f"responses/{h_wrong[:12]}.json", wrong)
    con = sqlite3.connect(rec_dir / "index.sqlite")
    con.execute("CREATE TABLE recordings (request_hash TEXT PRIMARY KEY, response_file TEXT, endpoint TEXT, model TEXT, timestamp TEXT, is_streaming BOOLEAN)")
    for h, f in ((h_listed, f"{h_listed[:12]}.json"), ("9" * 64, "999999999999.json"), ("8" * 64, f"{h_wrong[:12]}.json")):
        con.execute("INSERT INTO recordings VALUES (?, ?, '/v1/chat/completions', 'gpt-4o', '2025-08-01', 0)", (h, f))
    con.commit()
    con.close()
    report = verify_index(Index(root).scan())
    base = "tests/integration/recordings/responses/"
    assert report.sqlite_missing == [base + "999999999999.json"]
    assert report.sqlite_unlisted == [base + f"{h_unlisted[:12]}.json"]
    assert report.sqlite_wrong_hash == [base + f"{h_wrong[:12]}.json"]
    assert report.verdicts[base + "999999999999.json"].status == "missing"
    assert report.verdicts[base + f"{h_listed[:12]}.json"].status == "stale"
    assert "not listed in tests/integration/recordings/index.sqlite" in report.verdicts[base + f"{h_unlisted[:12]}.json"].full_detail
    s = report.summary()
    assert (s["sqlite_missing"], s["sqlite_unlisted"], s["sqlite_wrong_hash"], s["missing"]) == (1, 1, 1, 1)


def test_apply_statuses_feeds_the_query_language(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    paths = make_tree(root)
    idx = Index(root).scan()
    apply_statuses(idx, verify_index(idx))
    assert sorted(s.path for s in idx if parse("is:stale").matches(s)) == sorted([paths["stale"], paths["orphan"]])
    assert [s.path for s in idx if parse("is:mismatch").matches(s)] == [paths["mismatch"]]


# --- the shared corpus ------------------------------------------------------------------

ERA_TABLE = {
    # era: (files, ok, stale, mismatch, missing, stale by version, safe to delete, duplicate groups, sqlite rows without file, files without row)
    "2025-08": (154, 0, 153, 0, 1, {"v1": 153}, 0, 8, 1, 19),
    "2025-10": (435, 371, 44, 20, 0, {"v1": 4, "v2": 13, "v6": 27}, 36, 12, 0, 0),
    "2026-02": (10, 10, 0, 0, 0, {}, 0, 0, 0, 0),
    "2026-05": (251, 251, 0, 0, 0, {}, 0, 0, 0, 0),
}


@pytest.fixture(scope="module")
def corpus_reports() -> dict[str, tuple[Index, object]]:
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    out = {}
    for era in ERA_TABLE:
        idx = Index(CORPUS / era, use_cache=False).scan()
        out[era] = (idx, verify_index(idx))
    return out


@pytest.mark.parametrize("era", list(ERA_TABLE))
def test_corpus_ok_set_is_exactly_the_newest_hash_names(corpus_reports, era: str) -> None:
    idx, report = corpus_reports[era]
    expected_ok = set()
    for s in idx:
        if s.problem:
            continue
        e = Recording.load(idx.root / s.path).data
        h = request_hash(e, "v7")
        stem = Path(s.path).stem
        name = stem.split("-")[1] if stem.startswith("models-") else stem
        if h is not None and name == h:
            expected_ok.add(s.path)
    ok = {p for p, v in report.verdicts.items() if v.status == "ok"}
    assert ok == expected_ok
    assert len(ok) == ERA_TABLE[era][1]


@pytest.mark.parametrize("era", list(ERA_TABLE))
def test_corpus_per_era_summary(corpus_reports, era: str) -> None:
    _, report = corpus_reports[era]
    s = report.summary()
    files, ok, stale, mismatch, missing, by_version, safe, dups, sq_missing, sq_unlisted = ERA_TABLE[era]
    assert (s["files"], s["ok"], s["stale"], s["mismatch"], s["missing"]) == (files, ok, stale, mismatch, missing)
    assert (s["unverifiable"], s["unreadable"], s["not_a_recording"]) == (0, 0, 0)
    assert s["stale_by_version"] == by_version
    assert s["stale_safe_to_delete"] == safe
    assert s["duplicate_groups"] == dups
    assert (s["sqlite_missing"], s["sqlite_unlisted"], s["sqlite_wrong_hash"]) == (sq_missing, sq_unlisted, 0)
    assert s["failing"] is (stale + mismatch > 0)


def test_corpus_known_files(corpus_reports) -> None:
    _, report = corpus_reports["2025-10"]
    aadc = report.verdicts["tests/integration/responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"]
    assert (aadc.status, aadc.algorithm) == ("ok", "v7")
    stale = report.verdicts["tests/integration/responses/recordings/e4300056563a462a509eee6e9d4201899aa6d558d26569a8a9f12c80a6fbc1ca.json"]
    assert (stale.status, stale.algorithm, stale.versions) == ("stale", "v6", ("v3", "v4", "v5", "v6"))
    assert stale.expected == "ac78464a5a9f79f89db45140937abd351b33042c6d8e8f6766330b6dd3835618"
    assert stale.sibling == "tests/integration/responses/recordings/616e4336728a92df94a3f65882e812c4b14850de7e252c5e777492918164df2c.json"
    nid = report.verdicts["tests/integration/tool_runtime/recordings/3027fe9da37cc8b8a9e3e244f8aaf8b0065eae214a7ea4b0ec9e526b70bc9654.json"]
    assert nid.status == "mismatch" and "no test id" in nid.detail
    _, old = corpus_reports["2025-08"]
    twin = old.verdicts["tests/integration/recordings/vision/responses/4096743baf8e.json"]
    assert twin.duplicates == ("tests/integration/recordings/responses/4096743baf8e.json",)


def test_corpus_hash_object_matches_request_hash(corpus_reports) -> None:
    n = 0
    for idx, _ in corpus_reports.values():
        for s in idx:
            if s.problem:
                continue
            e = Recording.load(idx.root / s.path).data
            hashes = request_hashes(e)
            for v in VERSIONS:
                obj = hash_object(e, v)
                assert (sha(obj) if obj is not None else None) == hashes[v], (s.path, v)
                n += 1
    assert n == 849 * len(VERSIONS)


def test_corpus_verify_is_fast() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    idx = Index(CORPUS, use_cache=False).scan()
    t = time.perf_counter()
    report = verify_index(idx)
    elapsed = time.perf_counter() - t
    assert len(report.verdicts) == 850
    assert elapsed < 2.0, elapsed


def test_the_verify_childs_output_is_read_chunk_by_chunk_and_cut_short_is_nothing(tmp_path: Path) -> None:
    import io

    from cassette_tui import verify as verify_module
    from cassette_tui.index import Index
    from cassette_tui.verify import read_tree_verdicts, verify_index, write_tree_verdicts

    root = tmp_path / "repo"
    make_tree(root)
    out = io.BytesIO()
    old = verify_module.VERDICTS_PER_CHUNK
    verify_module.VERDICTS_PER_CHUNK = 2   # several chunks even from a small tree
    try:
        write_tree_verdicts(str(root), out)
    finally:
        verify_module.VERDICTS_PER_CHUNK = old
    data = out.getvalue()
    index = Index(root).scan()
    expected = verify_index(index).verdicts
    read = read_tree_verdicts(io.BytesIO(data), index.summaries)
    assert read == expected and len(read) >= 5
    assert all(read[p].path is index.summaries[p].path for p in read if p in index.summaries)   # shares the app's strings
    for cut in (0, 5, 8, len(data) // 2, len(data) - 8, len(data) - 1):
        assert read_tree_verdicts(io.BytesIO(data[:cut])) == {}, cut


def test_hashes_and_fingerprints_are_kept_packed_and_come_back_the_same() -> None:
    import random

    from cassette_tui.cache import pack_fingerprint, pack_hashes, packed_shapes_ok, unpack_fingerprint, unpack_hashes

    rng = random.Random(6)
    for _ in range(300):
        pool = [f"{rng.getrandbits(256):064x}" for _ in range(3)]   # versions often agree on a hash
        hashes = tuple(None if rng.random() < 0.2 else rng.choice(pool) for _ in range(6))
        packed = pack_hashes(hashes)
        assert packed is not None and packed_shapes_ok(packed, None, 6) and unpack_hashes(packed, 6) == hashes
        fp = (None if rng.random() < 0.1 else f"{rng.getrandbits(128):032x}", tuple(sorted(rng.getrandbits(32) for _ in range(rng.randint(0, 32)))))
        assert unpack_fingerprint(pack_fingerprint(fp)) == fp
    # shapes it will not pack: then the row is not kept and the file is hashed again next time
    assert pack_hashes(("A" * 64,)) is None and pack_hashes(("abc",)) is None and pack_hashes(("zz" * 32,)) is None
    assert pack_fingerprint(("not hex", (1,))) is None and pack_fingerprint((None, (2**33,))) is None
    assert not packed_shapes_ok(b"x" * 10, None, 6) and not packed_shapes_ok(None, (b"", (1, 2)), 6)
    assert unpack_hashes(bytes(32) + bytes([0, 1, 255]), 3) is None   # an index past the hashes held
