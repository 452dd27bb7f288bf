"""explain: miss messages out of logs, where replay looked, the nearest recordings, what changed."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

import cassette_tui
from cassette_tui.compare import MISSING, Change
from cassette_tui.explain import (
    FALLBACK_FOLDER,
    UNKNOWN_TEST_FOLDER,
    HashTable,
    classify_change,
    explain,
    is_hash,
    map_into,
    miss_from_hash,
    miss_from_recording,
    parse_log,
    replay_test_folder,
)
from cassette_tui.hashing import request_hash
from cassette_tui.index import Index
from cassette_tui.recording import Recording

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
AADC = "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"
AADC_REL = f"responses/recordings/{AADC}.json"
AADC_TEST = "tests/integration/responses/test_tool_responses.py::test_response_streaming_multi_turn_tool_execution[client_with_models-txt=openai/gpt-4o-user_permissions_workflow]"
H1 = "5c1e8b0a6f2d4e5f0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b"
H2 = "a" * 64
H3 = "b" * 64
H4 = "c" * 64


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path / "user-cache"))


# --- parsing logs ---------------------------------------------------------------------------

GITHUB_PYTEST_LOG = f"""\
2025-10-12T10:00:00.1234567Z ____ test_response_streaming[client_with_models-txt=openai/gpt-4o-case] ____
2025-10-12T10:00:00.1234567Z E       RuntimeError: Recording not found for request hash: {H1[:14]}
2025-10-12T10:00:00.1234568Z E       {H1[14:]}
2025-10-12T10:00:00.1234569Z E       Model: gpt-4o | Request: POST https://api.openai.com/v1/v1/chat/co
2025-10-12T10:00:00.1234569Z E       mpletions
2025-10-12T10:00:00.1234570Z E{' ' * 7}
2025-10-12T10:00:00.1234571Z E       Run './scripts/integration-tests.sh --inference-mode record-if-missing' with required API keys to generate.
2025-10-12T10:00:01.0000000Z FAILED tests/integration/responses/test_basic.py::test_x[txt=openai/gpt-4o] - RuntimeError: Recording not found for request hash: {H1[:20]}...
"""

MIXED_LOG = f"""\
collected 12 items
    ERROR ogx.testing: Recording not found for tavily.web_search | Request: {{'query': 'What is the capital
      of France?', 'max_results': 3}}
INFO  Recording not found for genai request hash: {H2}
INFO  Model: gemini-2.0-flash | Endpoint: /generate_content_stream
RuntimeError: Recording not found for httpx stream POST http://localhost:11434/v1/messages
RuntimeError: Recording not found for httpx POST http://localhost:11434/v1/interactions
RuntimeError: Recording not found for rerank request | URL: http://nim:8000/v1/ranking
RuntimeError: No recorded response found for request hash: {H3}
Request: POST http://localhost:11434/api/generate {{'model': 'llama3.2:3b', 'prompt': 'Hi', 'stream': False, 'options': {{'temperature': 0.0}}}}
Model: llama3.2:3b
To record this response, run with LLAMA_STACK_TEST_INFERENCE_MODE=record
E   RuntimeError('Recording not found for request hash: {H4}\\nModel: gpt-4o-mini | Request: POST https://api.openai.com/v1/v1/embeddings\\n\\nRun ...')
RuntimeError: No recorded response found for request hash: {"d" * 64}
Endpoint: /api/chat
Model: llama3.2:3b
To record this response, run with LLAMA_STACK_INFERENCE_MODE=record
"""


def test_github_pytest_log_hard_wrapped_and_summary_line() -> None:
    misses = parse_log(GITHUB_PYTEST_LOG)
    assert len(misses) == 1
    m = misses[0]
    assert (m.variant, m.kind, m.hash, m.model, m.method) == ("request-hash", "inference", H1, "gpt-4o", "POST")
    assert (m.url, m.endpoint) == ("https://api.openai.com/v1/v1/chat/completions", "/v1/v1/chat/completions")
    # the FAILED summary repeats the miss with a truncated hash and names the test
    assert (m.line, m.count, m.test_id) == (2, 2, "tests/integration/responses/test_basic.py::test_x[txt=openai/gpt-4o]")
    assert not m.live_known


def test_every_variant_in_one_log() -> None:
    misses = parse_log(MIXED_LOG)
    got = [(m.variant, m.kind, m.hash, m.model, m.method, m.url, m.endpoint, m.tool, m.line) for m in misses]
    assert got == [
        ("tool", "tool", None, None, None, None, "tool:web_search", "tavily.web_search", 2),
        ("genai", "inference", H2, "gemini-2.0-flash", "POST", "vertexai:///generate_content_stream", "/generate_content_stream", None, 4),
        ("httpx-stream", "http", None, None, "POST", "http://localhost:11434/v1/messages", "/v1/messages", None, 6),
        ("httpx", "http", None, None, "POST", "http://localhost:11434/v1/interactions", "/v1/interactions", None, 7),
        ("rerank", "http", None, None, "POST", "http://nim:8000/v1/ranking", "/v1/ranking", None, 8),
        ("legacy", "inference", H3, "llama3.2:3b", "POST", "http://localhost:11434/api/generate", "/api/generate", None, 9),
        ("request-hash", "inference", H4, "gpt-4o-mini", "POST", "https://api.openai.com/v1/v1/embeddings", "/v1/v1/embeddings", None, 13),
        ("legacy", "inference", "d" * 64, "llama3.2:3b", None, None, "/api/chat", None, 14),
    ]
    tool, legacy = misses[0], misses[5]
    # a word-wrapping logger's hanging indent: the space is put back
    assert tool.envelope == {"request": {"provider": "tavily", "tool_name": "web_search", "kwargs": {"query": "What is the capital of France?", "max_results": 3}}, "test_id": None}
    # the 2025-07 message printed the body: the live request is known, hashed by the v1 recorder
    assert legacy.envelope == {"request": {"method": "POST", "url": "http://localhost:11434/api/generate",
                                           "body": {"model": "llama3.2:3b", "prompt": "Hi", "stream": False, "options": {"temperature": 0.0}}}, "test_id": None}
    assert legacy.version == "v1"
    assert [m.live_known for m in misses] == [True, False, False, False, False, True, False, False]


def test_wrapped_anchor_and_word_wrapped_fields() -> None:
    log = (
        "12:00:01 server | Recording not found for request\n"
        "12:00:01 server |   hash: " + H1 + "\n"
        "12:00:01 server | Model: gpt-4o |\n"
        "12:00:01 server |   Request: POST\n"
        "12:00:01 server |   https://api.openai.com/v1/v1/chat/completions\n"
        "12:00:01 server |\n"
    )
    (m,) = parse_log(log)
    assert (m.hash, m.model, m.method, m.url) == (H1, "gpt-4o", "POST", "https://api.openai.com/v1/v1/chat/completions")


def test_ansi_codes_and_repeats_merge() -> None:
    line = f"\x1b[31mE   RuntimeError: Recording not found for request hash: {H2}\x1b[0m\nE   Model: m1 | Request: POST http://h/v1/chat/completions\nE\n"
    misses = parse_log(line * 3 + "unrelated\n" + line.replace(H2, H3))
    assert [(m.hash, m.count, m.model, m.url) for m in misses] == [(H2, 3, "m1", "http://h/v1/chat/completions"), (H3, 1, "m1", "http://h/v1/chat/completions")]


def test_no_miss_in_a_log() -> None:
    assert parse_log("all 12 tests passed\nRecording found for request hash: abc\n") == []
    assert parse_log("") == []


def test_debug_context_gives_the_test_id() -> None:
    log = (
        "[RECORDING DEBUG] Recording not found!\n"
        "  Test context: tests/integration/inference/test_a.py::test_b[txt=x/y]\n"
        f"RuntimeError: Recording not found for request hash: {H1}\n"
        "Model: y | Request: POST http://h/v1/chat/completions\n\n"
    )
    (m,) = parse_log(log)
    assert m.test_id == "tests/integration/inference/test_a.py::test_b[txt=x/y]"


def test_small_helpers(tmp_path: Path) -> None:
    assert replay_test_folder("tests/integration/responses/test_x.py::test_y[a]") == "tests/integration/responses/recordings"
    assert replay_test_folder(None) is None
    assert is_hash(H1) and is_hash("aadc0675") and not is_hash("log.txt") and not is_hash("abc")
    (tmp_path / "repo/tests/integration/responses/recordings").mkdir(parents=True)
    assert map_into(tmp_path / "repo", "tests/integration/responses/recordings") == tmp_path / "repo/tests/integration/responses/recordings"
    assert map_into(tmp_path / "repo/tests/integration", "tests/integration/responses/recordings") == tmp_path / "repo/tests/integration/responses/recordings"
    assert map_into(tmp_path / "repo/tests/integration/responses/recordings", "tests/integration/responses/recordings") == tmp_path / "repo/tests/integration/responses/recordings"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (Change("test_id", "changed", "t.py::a[x]", "t.py::a[y]"), "test-id"),
        (Change("body.model", "changed", "gpt-4o", "gpt-4o-mini"), "model"),
        (Change("body.tools[1].function.description", "changed", "Get it", "Get it now"), "tool"),
        (Change("body.messages[0].content", "changed", "Hi", "Hello"), "prompt"),
        (Change("body.messages[3]", "added", MISSING, {"role": "user", "content": "x"}), "history"),
        (Change("body.messages[0].content", "changed", "Hi", [{"type": "text", "text": "Hi"}]), "content-shape"),
        (Change("body.max_tokens", "changed", None, 100), "default"),
        (Change("body.tool_choice", "added", MISSING, "auto"), "default"),
        (Change("body.messages[2].tool_call_id", "changed", "call_abc123", "call_def456"), "volatile"),
        (Change("body.messages[1].content", "changed", "see file-123456789 score 0.82", "see file-987654321 score 0.79"), "volatile"),
        (Change("body.temperature", "changed", 0.7, 0.2), "parameter"),
        (Change("endpoint", "changed", "/v1/chat/completions", "/v1/completions"), "endpoint"),
    ],
)
def test_classify_change(change: Change, code: str) -> None:
    assert classify_change(change) == code


# --- real misses on real recordings -----------------------------------------------------------


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A private copy of the demo recordings laid out as a repository's tests/integration."""
    d = tmp_path / "repo" / "tests" / "integration"
    shutil.copytree(DEMO, d)
    return d


def rerecord(original: Path, out_dir: Path, mutate) -> Path:
    """What record-if-missing writes after the request changed: the changed request under its new hash."""
    data = json.loads(original.read_text())
    changed = copy.deepcopy(data)
    mutate(changed)
    h = request_hash(changed, "v7")
    assert h != request_hash(data, "v7")
    out_dir.mkdir(parents=True, exist_ok=True)
    p = out_dir / f"{h}.json"
    p.write_text(json.dumps(changed, indent=2))
    return p


def _tool_description(d: dict) -> None:
    d["request"]["body"]["tools"][2]["function"]["description"] += " Returns yes or no."


def _message(d: dict) -> None:
    d["request"]["body"]["messages"][0]["content"] = "Help me with this security check, please."


def _parameter(d: dict) -> None:
    d["test_id"] = d["test_id"].replace("user_permissions_workflow]", "user_permissions_workflow_v2]")


def _default(d: dict) -> None:
    d["request"]["body"]["temperature"] = 0.0


@pytest.mark.parametrize(
    ("mutate", "path", "code", "verdict"),
    [
        (_tool_description, "body.tools[2].function.description", "tool", "a tool changed: body.tools[2].function.description"),
        (_message, "body.messages[0].content", "prompt", "the prompt changed: body.messages[0].content"),
        (_parameter, "test_id", "test-id", "the test id changed: re-parametrized test ([client_with_models-txt=openai/gpt-4o-user_permissions_workflow] -> "
                                            "[client_with_models-txt=openai/gpt-4o-user_permissions_workflow_v2])"),
        (_default, "body.temperature", "default", "a default differs (None or absent versus a value): body.temperature (absent) -> 0.0"),
    ],
)
def test_rerecorded_file_ranks_the_original_first_and_names_the_path(demo: Path, tmp_path: Path, mutate, path: str, code: str, verdict: str) -> None:
    fresh = rerecord(demo / AADC_REL, tmp_path / "fresh", mutate)
    idx = Index(demo).scan()
    ex = explain(miss_from_recording(Recording.load(fresh)), idx)
    assert ex.nearest is not None and ex.nearest.path == AADC_REL
    assert ex.nearest.differences == 1
    assert [(c.path, c.kind) for c in ex.changes] == [(path, "added" if code == "default" else "changed")]
    assert [c.code for c in ex.causes] == [code]
    assert ex.verdict == verdict
    # the others of the same test come next, further away
    assert [c.same_test_id for c in ex.candidates[1:]] == ([True] * 4 if code != "test-id" else [False] * 4)
    assert all(c.differences > 1 for c in ex.candidates[1:])
    # where replay looked: the test's folder, then the fallback; the request was in neither
    assert [(lk.role, lk.folder, lk.exists, lk.found) for lk in ex.looked] == [
        ("test folder", "responses/recordings", True, False),
        ("fallback", "common/recordings", True, False),
    ]
    assert ex.looked[0].file == fresh.name
    j = ex.to_json()
    assert j["nearest"] == AADC_REL and j["changes"][0]["path"] == path and j["miss"]["variant"] == "recording"


def test_rerecorded_inside_the_tree_excludes_itself(demo: Path) -> None:
    fresh = rerecord(demo / AADC_REL, demo / "responses" / "recordings", _tool_description)
    idx = Index(demo).scan()
    ex = explain(miss_from_recording(Recording.load(fresh)), idx)
    assert ex.nearest.path == AADC_REL
    assert fresh.name not in [Path(c.path).name for c in ex.candidates]
    assert ex.found == [] and ex.same_request == []


def test_the_nearest_is_the_closest_of_one_test(demo: Path, tmp_path: Path) -> None:
    """Change turn 2 of the three-turn conversation: turn 2 is the nearest, not turn 1."""
    turn2 = "4078aa36a9cbcb50c445a46d69fb9126952d1c85f3d413125b034730e51b6508"
    fresh = rerecord(demo / f"responses/recordings/{turn2}.json", tmp_path / "fresh", _tool_description)
    ex = explain(miss_from_recording(Recording.load(fresh)), Index(demo).scan())
    assert ex.nearest.path == f"responses/recordings/{turn2}.json"
    assert [c.path for c in ex.changes] == ["body.tools[2].function.description"]


def test_hash_algorithm_changed(demo: Path, tmp_path: Path) -> None:
    """The same request, named by an older recorder: replay (v7) misses it."""
    data = json.loads((demo / AADC_REL).read_text())
    data["request"]["body"]["temperature"] = 0.123456789   # v2 hashes it raw, v3+ rounds
    v2, v7 = request_hash(data, "v2"), request_hash(data, "v7")
    (demo / AADC_REL).unlink()
    (demo / f"responses/recordings/{v2}.json").write_text(json.dumps(data))
    idx = Index(demo).scan()
    table = HashTable(idx)

    ex = explain(miss_from_hash(v7), idx, table=table)   # a bare hash, as in the log
    assert [c.code for c in ex.causes][0] == "hash-algorithm"
    assert ex.verdict.startswith(f"the hash algorithm changed: responses/recordings/{v2}.json holds this very request, named by its v2 hash (the run's hash is its v3..v7 hash)")
    # the holder is the live request: the test id and its folder are known from it
    assert ex.miss.live_from == f"responses/recordings/{v2}.json" and ex.miss.test_id == AADC_TEST
    assert ex.looked[0].folder == "responses/recordings"
    assert ex.nearest.path == f"responses/recordings/{v2}.json" and ex.nearest.differences == 0 and ex.nearest.status == "stale"

    log = f"E   RuntimeError: Recording not found for request hash: {v7}\nE   Model: gpt-4o | Request: POST https://api.openai.com/v1/v1/chat/completions\nE\n"
    (m,) = parse_log(log)
    assert explain(m, idx, table=table).causes[0].code == "hash-algorithm"

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    (fresh_dir / f"{v7}.json").write_text(json.dumps(data))
    ex = explain(miss_from_recording(Recording.load(fresh_dir / f"{v7}.json")), idx, table=table)
    assert ex.causes[0].code == "hash-algorithm" and ex.changes == []


def test_recording_in_the_wrong_folder(demo: Path) -> None:
    src = demo / AADC_REL
    moved = demo / "inference" / "recordings" / src.name
    shutil.move(src, moved)
    idx = Index(demo).scan()
    log = f"RuntimeError: Recording not found for request hash: {AADC}\nModel: gpt-4o | Request: POST https://api.openai.com/v1/v1/chat/completions\n\n"
    (m,) = parse_log(log)
    ex = explain(m, idx)
    assert ex.found == [f"inference/recordings/{AADC}.json"]
    assert ex.causes[0].code == "wrong-folder"
    assert ex.verdict.startswith(f"a recording named by this hash exists at inference/recordings/{AADC}.json, outside the folders replay searches")


def test_log_miss_without_the_live_request(demo: Path) -> None:
    log = (
        "FAILED tests/integration/responses/test_tool_responses.py::test_response_streaming_multi_turn_tool_execution"
        "[client_with_models-txt=openai/gpt-4o-user_permissions_workflow] - RuntimeError: Recording not found for request hash: " + H1 + "\n"
    )
    (m,) = parse_log(log)
    assert m.test_id == AADC_TEST and m.model is None
    ex = explain(m, Index(demo).scan())
    assert [c.code for c in ex.causes] == ["unknown-live"]
    assert ex.changes == []
    assert len(ex.candidates) == 5 and all(c.same_test_id for c in ex.candidates)
    assert ex.looked[0].folder == "responses/recordings" and ex.looked[0].exists and not ex.looked[0].found


def test_unknown_test_and_nothing_similar(demo: Path) -> None:
    (m,) = parse_log(f"Recording not found for genai request hash: {H2}\nModel: gemini-9 | Endpoint: /embed_everything\n\n")
    ex = explain(m, Index(demo).scan())
    assert ex.looked[0].folder == UNKNOWN_TEST_FOLDER and ex.looked[1].folder == "common/recordings"
    assert ex.candidates == [] and [c.code for c in ex.causes] == ["no-candidate"]
    assert FALLBACK_FOLDER == "tests/integration/common/recordings"


# --- the shared corpus --------------------------------------------------------------------------


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    root = tmp_path / "2025-10"
    for area in ("telemetry", "common", "responses"):
        shutil.copytree(CORPUS / "2025-10/tests/integration" / area, root / "tests/integration" / area)
    return root


def test_corpus_temperature_change(corpus_copy: Path, tmp_path: Path) -> None:
    rel = "tests/integration/telemetry/recordings/1fcfd86d8111374dc852cfdea6bfdb6a511f92cee84a6325b04ae84878512c30.json"
    fresh = rerecord(corpus_copy / rel, corpus_copy / "tests/integration/telemetry/recordings", lambda d: d["request"]["body"].__setitem__("temperature", 0.2))
    ex = explain(miss_from_recording(Recording.load(fresh)), Index(corpus_copy).scan())
    assert ex.nearest.path == rel
    assert [(c.path, c.a, c.b) for c in ex.changes] == [("body.temperature", 0.7, 0.2)]
    assert ex.verdict == "a parameter changed: body.temperature (0.7 -> 0.2)"
    assert [(lk.folder, lk.exists, lk.found) for lk in ex.looked] == [("tests/integration/telemetry/recordings", True, False), ("tests/integration/common/recordings", True, False)]


def test_corpus_stale_file_behind_a_log_miss(corpus_copy: Path) -> None:
    stale = "tests/integration/responses/recordings/e4300056563a462a509eee6e9d4201899aa6d558d26569a8a9f12c80a6fbc1ca.json"
    v7 = "ac78464a5a9f79f89db45140937abd351b33042c6d8e8f6766330b6dd3835618"
    log = "\n".join(f"2025-10-12T10:00:0{i}.0Z   {line}" for i, line in enumerate([
        f"RuntimeError: Recording not found for request hash: {v7[:40]}",
        f"{v7[40:]}",
        "Model: gpt-4o | Request: POST https://api.openai.com/v1/v1/chat/completions",
        "",
    ]))
    (m,) = parse_log(log)
    assert m.hash == v7
    ex = explain(m, Index(corpus_copy).scan())
    assert ex.causes[0].code == "hash-algorithm"
    assert ex.same_request[0][0] == stale and ex.same_request[0][1] == ("v7",)
    assert ex.verdict == f"the hash algorithm changed: {stale} holds this very request, named by its v6 hash (the run's hash is its v7 hash)"


def test_corpus_tool_miss_from_a_log_diffs_the_arguments(corpus_copy: Path) -> None:
    rel = "tests/integration/responses/recordings/42c357284497af596ae6c9341b0c189daa31e88b25d0381a985f24203b7a5a38.json"
    req = json.loads((corpus_copy / rel).read_text())["request"]
    assert (req["provider"], req["tool_name"]) == ("tavily", "web_search")
    kwargs = dict(req["kwargs"], query="Llama 4 Scout model experts")
    log = f"RuntimeError: Recording not found for {req['provider']}.{req['tool_name']} | Request: {kwargs!r}\n\nRun ...\n"
    (m,) = parse_log(log)
    assert (m.variant, m.tool, m.live_known) == ("tool", "tavily.web_search", True)
    ex = explain(m, Index(corpus_copy).scan())
    assert ex.nearest.path == rel and ex.nearest.same_endpoint
    assert [(c.path, c.a, c.b) for c in ex.changes] == [("kwargs.query", "Llama 4 Maverick model experts", "Llama 4 Scout model experts")]
    assert ex.verdict == "non-deterministic: the model's earlier tool call differs: kwargs.query"
    # an argument added where there was none is a default
    (m2,) = parse_log(log.replace(repr(kwargs), repr(dict(req["kwargs"], max_results=7))))
    ex2 = explain(m2, Index(corpus_copy).scan())
    assert [(c.path, c.a, c.b) for c in ex2.changes] == [("kwargs.max_results", MISSING, 7)]
    assert ex2.verdict == "a default differs (None or absent versus a value): kwargs.max_results (absent) -> 7"


def test_corpus_legacy_message_with_its_body(tmp_path: Path) -> None:
    """Before 2025-10-09 the message printed the body (a Python repr): the live request is known."""
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    root = CORPUS / "2025-08"
    rel = "tests/integration/recordings/responses/140187e305dc.json"
    d = json.loads((root / rel).read_text())
    body = copy.deepcopy(d["request"]["body"])
    body["messages"][-1]["content"] += " please"
    h = request_hash({"request": {**d["request"], "body": body}}, "v1")
    log = (
        f"RuntimeError: No recorded response found for request hash: {h}\n"
        f"Request: {d['request']['method']} {d['request']['url']} {body!r}\n"
        f"Model: {body['model']}\n"
        "To record this response, run with LLAMA_STACK_TEST_INFERENCE_MODE=record\n"
    )
    (m,) = parse_log(log)
    assert (m.variant, m.version, m.live_known) == ("legacy", "v1", True)
    ex = explain(m, Index(root, use_cache=False).scan())
    assert ex.nearest.path == rel and ex.nearest.differences == 1
    assert ex.verdict == "the prompt changed: body.messages[0].content"
    assert [(lk.role, lk.folder, lk.file, lk.exists, lk.found) for lk in ex.looked] == [
        ("sqlite index", "tests/integration/recordings/index.sqlite -> responses/", f"{h[:12]}.json", True, False)
    ]


def test_map_into_a_copy_named_otherwise(tmp_path: Path) -> None:
    (tmp_path / "copy/responses/recordings").mkdir(parents=True)
    (tmp_path / "copy/common/recordings").mkdir(parents=True)
    assert map_into(tmp_path / "copy", "tests/integration/responses/recordings") == tmp_path / "copy/responses/recordings"
    assert map_into(tmp_path / "copy", FALLBACK_FOLDER) == tmp_path / "copy/common/recordings"
    assert map_into(tmp_path / "copy", "tests/integration/eval/recordings") == tmp_path / "copy/tests/integration/eval/recordings"


def test_several_causes_in_one_verdict(demo: Path, tmp_path: Path) -> None:
    def both(d: dict) -> None:
        _tool_description(d)
        _default(d)

    fresh = rerecord(demo / AADC_REL, tmp_path / "fresh", both)
    ex = explain(miss_from_recording(Recording.load(fresh)), Index(demo).scan())
    assert ex.nearest.path == AADC_REL and ex.nearest.differences == 2
    assert [c.code for c in ex.causes] == ["tool", "default"]
    assert ex.verdict == "a tool changed: body.tools[2].function.description (also: a default)"
