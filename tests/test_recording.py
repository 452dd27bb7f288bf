"""Tests for cassette_tui.recording: broken files, classification, id normalization, the whole corpus.

Broken files are written into tmp_path; none may raise, each must say what is wrong.
Corpus expectations were read off the raw JSON (request.endpoint, request.model, the
test id's `txt=` token ...), not through this package.
"""

from __future__ import annotations

import json
import marshal
import os
from pathlib import Path

import pytest
from corpus_files import CORPUS, corpus_file

from cassette_tui import recording as recording_mod
from cassette_tui.model import KINDS, Summary, summary_row
from cassette_tui.recording import Recording, era_of, name_form, provider_from_test_id, provider_from_url

CHAT_OK = {
    "test_id": "tests/integration/inference/test_x.py::test_y[txt=openai/gpt-4o]",
    "request": {"method": "POST", "url": "https://api.openai.com/v1/v1/chat/completions", "headers": {},
                "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
                "endpoint": "/v1/chat/completions", "model": "gpt-4o"},
    "response": {"body": {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": {
        "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hello!"}}]}},
        "is_streaming": False},
}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def assert_invalid(rec: Recording, problem: str) -> Summary:
    """A broken file: a clear problem, kind invalid, a summary that still works."""
    assert rec.problem == problem
    assert rec.kind == "invalid"
    s = rec.summary()
    assert (s.kind, s.problem) == ("invalid", problem)
    assert s.to_json()["problem"] == problem
    assert Summary(*marshal.loads(marshal.dumps(summary_row(s)))) == s   # as the cache and the forked readers carry it
    # nothing downstream raises either
    assert rec.result.stream_format == "invalid"
    assert rec.steps() == []
    return s


# --- broken files -----------------------------------------------------------------------


BROKEN = [
    ("empty.json", b"", "empty file"),
    ("blank.json", b"  \n\t ", "empty file"),
    ("truncated.json", b'{"request": {"method": "POST", "body": {"model": "m"',
     "truncated JSON (ends early, 52 bytes): unexpected end of data: line 1 column 53 (char 52)"),
    ("text.json", b"hello world", "not valid JSON: unexpected character, expected a JSON value: line 1 column 1 (char 0)"),
    ("garbage.json", bytes(range(256)) * 4, "not UTF-8 text (bad byte at offset 128)"),
    ("latin1.json", b'{"request": {"body": "caf\xe9"}, "response": {"body": null}}', "not UTF-8 text (bad byte at offset 25)"),
    ("array.json", b"[1, 2]", "not a recording: the file holds a JSON array, not an object"),
    ("number.json", b"42", "not a recording: the file holds a JSON number, not an object"),
    ("null.json", b"null", "not a recording: the file holds a JSON null, not an object"),
    ("other.json", b'{"test_id": null, "foo": 1}', "not a recording: no request or response object"),
    ("noresp.json", b'{"request": {"method": "POST"}}', "not a recording: no response object"),
    ("badreq.json", b'{"request": "POST /v1/chat/completions", "response": {"body": null}}',
     "not a recording: its request is a JSON string, not an object"),
    ("badresp.json", b'{"request": {}, "response": [1]}', "not a recording: its response is a JSON array, not an object"),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply to read"),
    ("deepobj.json", b'{"request": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b', "response": {}}', "JSON nested too deeply to read"),
]


@pytest.mark.parametrize("name,data,problem", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file(tmp_path, name, data, problem):
    path = write(tmp_path, name, data)
    rec = Recording.load(path)
    s = assert_invalid(rec, problem)
    assert (s.size, s.path, s.id) == (len(data), str(path), name[:-5])


def test_directory_named_json(tmp_path):
    (tmp_path / "x.json").mkdir()
    assert_invalid(Recording.load(tmp_path / "x.json"), "is a directory")


def test_missing_file(tmp_path):
    assert_invalid(Recording.load(tmp_path / "gone.json"), "file not found (it may have been removed)")


def test_permission_denied(tmp_path):
    path = write(tmp_path, "secret.json", json.dumps(CHAT_OK).encode())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: the file stays readable")
        assert_invalid(Recording.load(path), "permission denied")
    finally:
        path.chmod(0o644)


def test_too_large_is_not_parsed(tmp_path, monkeypatch):
    path = write(tmp_path, "big.json", json.dumps(CHAT_OK).encode())
    monkeypatch.setattr(recording_mod, "MAX_FILE_BYTES", 100)
    rec = Recording.load(path)
    assert rec.problem == "too large to read (0 MiB)"
    assert rec.summary().kind == "invalid"


def test_utf8_bom_reads_with_a_note(tmp_path):
    path = write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(CHAT_OK).encode())
    rec = Recording.load(path)
    assert rec.problem is None
    assert rec.note == "starts with a UTF-8 byte-order mark"
    s = rec.summary()
    assert (s.kind, s.model, s.finish_reason) == ("chat", "gpt-4o", "stop")
    assert rec.result.text == "Hello!"


def test_nan_reads_with_a_note(tmp_path):
    text = json.dumps(CHAT_OK).replace('"model": "gpt-4o", "messages"', '"model": "gpt-4o", "temperature": NaN, "messages"')
    assert "NaN" in text
    rec = Recording.load(write(tmp_path, "nan.json", text.encode()))
    assert rec.problem is None
    assert rec.note == "contains NaN or Infinity, which JSON does not allow"
    assert rec.body["temperature"] != rec.body["temperature"]   # NaN
    assert rec.summary().kind == "chat"


def test_good_file_has_no_note(tmp_path):
    rec = Recording.load(write(tmp_path, "ok.json", json.dumps(CHAT_OK).encode()))
    assert (rec.problem, rec.note) == (None, None)


def test_from_bytes_and_memory():
    rec = Recording.from_bytes(b"{", "mem.json")
    assert rec.problem.startswith("truncated JSON (ends early, 1 bytes)")
    rec = Recording(CHAT_OK)
    assert (rec.path, rec.id, rec.era, rec.kind) == ("<memory>", "<memory>", "", "chat")


# --- small helpers ----------------------------------------------------------------------


def test_name_form():
    assert name_form("a" * 64) == "h64"
    assert name_form("0123456789ab") == "h12"
    assert name_form("models-" + "b" * 64 + "-0123abcd") == "models"
    assert name_form("notes") == "other"
    assert name_form("A" * 64) == "other"


def test_provider_from_test_id_and_url():
    assert provider_from_test_id("t.py::f[client_with_models-txt=openai/gpt-4o-case]") == "openai"
    assert provider_from_test_id("t.py::f[emb=ollama/all-minilm:l6-v2]") == "ollama"
    assert provider_from_test_id("t.py::f[rerank=vllm/Qwen/Qwen3-Reranker-0.6B]") == "vllm"
    assert provider_from_test_id("t.py::f[openai_client-txt=vertexai/publishers/google/models/gemini-2.0-flash]") == "vertexai"
    assert provider_from_test_id("t.py::f") is None
    assert provider_from_test_id(None) is None
    assert provider_from_url("https://lls-test.openai.azure.com/openai/v1/v1/chat/completions") == "azure"
    assert provider_from_url("https://bedrock-mantle.us-east-2.api.aws/v1/v1/chat/completions") == "bedrock"
    assert provider_from_url("vertexai:///generate_content_stream") == "vertexai"
    assert provider_from_url("__databricks__/serving-endpoints/v1/chat/completions") == "databricks"
    assert provider_from_url("http://0.0.0.0:11434/v1/v1/completions") == "ollama"
    assert provider_from_url("https://example.org/v1/x") is None   # an unknown host is no provider name (issue 15)
    assert provider_from_url("") is None


def test_era_of(tmp_path):
    sq = tmp_path / "a" / "recordings"
    (sq / "responses").mkdir(parents=True)
    (sq / "index.sqlite").write_bytes(b"")
    flat = tmp_path / "b" / "recordings" / "responses"
    flat.mkdir(parents=True)
    assert era_of(str(sq / "responses" / "0123456789ab.json")) == "sqlite"
    assert era_of(str(flat / "0123456789ab.json")) == "flat"
    assert era_of(str(tmp_path / "c" / "inference" / "recordings" / ("a" * 64 + ".json"))) == "per-area"
    assert era_of("x/recordings/responses/0123456789ab.json", sqlite_dirs={"x/recordings"}) == "sqlite"
    assert era_of("x/recordings/responses/0123456789ab.json", sqlite_dirs=set()) == "flat"


def test_hand_made_kinds():
    tool = Recording({"request": {"test_id": "t::x", "provider": "tavily", "tool_name": "web_search", "kwargs": {"query": "q"}},
                      "response": {"body": {"__type__": "llama_stack.apis.tools.tools.ToolInvocationResult", "__data__": {"content": "[]", "error_message": None}}}})
    assert (tool.kind, tool.endpoint, tool.provider, tool.model, tool.test_id) == ("tool", "tool:web_search", "tavily", None, "t::x")
    fp = Recording({"request": {"test_id": "t::y", "provider": "pypdf", "api": "file_processors", "file_id": "file-1"}, "response": {"body": {"chunks": []}}})
    assert (fp.kind, fp.endpoint, fp.provider) == ("file", "file_processors", "pypdf")
    http = Recording({"request": {"test_id": None, "url": "https://x.example/v1/whatever", "method": "GET", "payload": {}},
                      "response": {"status": 200, "body": {"ok": True}, "is_streaming": False}})
    assert (http.kind, http.endpoint, http.provider, http.host) == ("http", "/v1/whatever", None, "x.example")
    odd = Recording({"request": {"foo": 1}, "response": {}})
    assert odd.kind == "unknown"


# --- corpus: classification -------------------------------------------------------------


GPT4O = "tests/integration/responses/test_tool_responses.py::test_response_streaming_multi_turn_tool_execution[client_with_models-txt=openai/gpt-4o-user_permissions_workflow]"

# path -> (kind, endpoint, model, provider, streaming, era, test_id)
CLASSIFIED = {
    # inference chat, streamed, per-area layout
    "2025-10/tests/integration/responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json":
        ("chat", "/v1/chat/completions", "gpt-4o", "openai", True, "per-area", GPT4O),
    # chat sent to a /v1/completions endpoint field (2025-08 quirk): the messages make it chat
    "2025-08/tests/integration/recordings/responses/35db283fef1d.json":
        ("chat", "/v1/completions", "llama3.2:3b-instruct-fp16", "ollama", False, "sqlite", None),
    # text completion, streamed
    "2025-10/tests/integration/inference/recordings/8567635651a5e7104394951bbbba040e5c7f3ba11084fb6e81328f4905100a65.json":
        ("completion", "/v1/completions", "llama3.2:3b-instruct-fp16", "ollama", True, "per-area",
         "tests/integration/inference/test_openai_completion.py::test_openai_completion_streaming[txt=ollama/llama3.2:3b-instruct-fp16-inference:completion:sanity]"),
    # Ollama /api/generate in the SQLite era
    "2025-08/tests/integration/recordings/responses/04172112ffbb.json":
        ("completion", "/api/generate", "llama3.2:3b-instruct-fp16", "ollama", True, "sqlite", None),
    # Ollama /api/chat in the vision twin of the SQLite era
    "2025-08/tests/integration/recordings/vision/responses/ff7db0102b28.json":
        ("chat", "/api/chat", "llama3.2-vision:11b", "ollama", True, "sqlite", None),
    # legacy 12-hex file in 2025-10: flat layout, no SQLite
    "2025-10/tests/integration/recordings/responses/121a72d1c4cf.json":
        ("chat", "/v1/chat/completions", "databricks-meta-llama-3-3-70b-instruct", "databricks", True, "flat", None),
    # embeddings
    "2025-10/tests/integration/inference/recordings/0483665572c6b72adda44aa0b31c105c4a5ac4da26d514c61fbd319910e1ce05.json":
        ("embeddings", "/v1/embeddings", "all-minilm:l6-v2", "ollama", False, "per-area",
         "tests/integration/inference/test_openai_embeddings.py::test_openai_embeddings_with_user_parameter[llama_stack_client-emb=ollama/all-minilm:l6-v2]"),
    "2025-08/tests/integration/recordings/responses/011f70e24ce4.json":
        ("embeddings", "/api/embeddings", "all-minilm:l6-v2", "ollama", False, "sqlite", None),
    # model lists
    "2025-10/tests/integration/common/recordings/models-64a2277c90f0f42576f60c1030e3a020403d34a95f56931b792d5939f4cebc57-329b4213.json":
        ("models", "/v1/models", None, "openai", False, "per-area", None),
    "2025-08/tests/integration/recordings/responses/4a3a4447b16b.json":
        ("models", "/api/tags", None, "ollama", False, "sqlite", None),
    # Ollama housekeeping
    "2025-10/tests/integration/common/recordings/02c93bb3c314427bae2b7a7a6f054792b9f22d2cb4522eab802810be8672d3dc.json":
        ("admin", "/api/ps", None, "ollama", False, "per-area", None),
    # tool invocation
    "2025-10/tests/integration/responses/recordings/42c357284497af596ae6c9341b0c189daa31e88b25d0381a985f24203b7a5a38.json":
        ("tool", "tool:web_search", None, "tavily", False, "per-area",
         "tests/integration/responses/test_tool_responses.py::test_response_non_streaming_web_search[openai_client-txt=openai/gpt-4o-llama_experts]"),
    # HTTP passthrough: rerank
    "2026-02/tests/integration/inference/recordings/018c9d92aca980f7a9c7a7fe21006c9ecbf4f37f5911a4d5e70ffe4f472559d2.json":
        ("rerank", "/rerank", "Qwen/Qwen3-Reranker-0.6B", "vllm", False, "per-area",
         "tests/integration/inference/test_rerank.py::test_rerank_max_results_larger_than_items[rerank=vllm/Qwen/Qwen3-Reranker-0.6B]"),
    # HTTP passthrough: Anthropic /v1/messages (served by ollama in this test)
    "2026-05/tests/integration/messages/recordings/0d76cd7b3dae3f44e2990645cb1617d5c84b80daf77535a00ce1ab680308881a.json":
        ("chat", "/v1/messages", "gpt-oss:20b", "ollama", False, "per-area",
         "tests/integration/messages/test_messages.py::test_messages_tool_use_round_trip[txt=ollama/gpt-oss:20b]"),
    # HTTP passthrough: Gemini interactions, streamed SSE
    "2026-05/tests/integration/interactions/recordings/2cb6caa89a82691b08f59f724d697f518e57b07818c26c8a78c972dab8f3a95c.json":
        ("chat", "/v1beta/interactions", "gemini-2.5-flash-lite", "gemini", True, "per-area",
         "tests/integration/interactions/test_interactions.py::test_interactions_streaming_basic[txt=gemini/gemini-2.5-flash-lite]"),
    # genai / vertexai stream without __type__
    "2026-05/tests/integration/common/recordings/aadc14f16a23419bd29c6766445aa68053b450cdd49b8429c7247690084f3357.json":
        ("chat", "/generate_content_stream", "publishers/google/models/gemini-2.0-flash", "vertexai", True, "per-area", None),
    # recorded exception
    "2026-02/tests/integration/inference/recordings/28a43dc80443ccae98eee165c58522090fd6f0637031153b0105399093d39c52.json":
        ("chat", "/v1/chat/completions", "llama3.2:3b-instruct-fp16", "ollama", False, "per-area",
         "tests/integration/inference/test_provider_error_recording.py::TestProviderErrorRecording::test_provider_rejects_invalid_base64_image[txt=ollama/llama3.2:3b-instruct-fp16]"),
}


@pytest.mark.parametrize("rel", list(CLASSIFIED))
def test_corpus_classification(rel):
    rec = corpus_file(rel)
    kind, endpoint, model, provider, streaming, era, test_id = CLASSIFIED[rel]
    assert (rec.kind, rec.endpoint, rec.model, rec.provider, rec.streaming, rec.era, rec.test_id) == CLASSIFIED[rel]
    s = rec.summary()
    assert (s.kind, s.endpoint, s.model, s.provider, s.streaming, s.era, s.test_id) == (kind, endpoint, model, provider, streaming, era, test_id)
    assert s.problem is None


def test_corpus_summary_of_the_gpt4o_step():
    rec = corpus_file("2025-10/tests/integration/responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json")
    s = rec.summary("x/aadc.json", era="per-area")
    assert s.id == "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"
    assert s.path == "x/aadc.json"
    assert (s.chunks, s.finish_reason, s.messages) == (12, "tool_calls", 3)
    assert s.tool_calls == ("get_user_permissions",)
    assert s.tools == ("get_user_id", "get_user_permissions", "check_file_access", "get_experiment_id", "get_experiment_results")
    assert s.flags == ("tools",)
    assert s.anomalies == ()
    assert s.text.startswith("help me with this security check: first, get the user id for 'charlie'")
    assert "user_11111" in s.text


def test_corpus_id_normalization_mapping_is_applied():
    rel = "2025-10/tests/integration/responses/recordings/e7777f594336f5ad72b1c9b12db316808a248f008a07ea177c5c88c746004e04.json"
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    raw = json.loads((CORPUS / rel).read_text())
    assert raw["id_normalization_mapping"] == {"file-1": "file-5efa8a5a4b414ce98726c4e133a18747"}
    assert json.dumps(raw).count("file-5efa8a5a4b414ce98726c4e133a18747") == 5
    rec = corpus_file(rel)
    text = json.dumps(rec.data)
    assert "file-5efa8a5a4b414ce98726c4e133a18747" not in text
    assert text.count("file-1") == 4   # the fifth original was the mapping's own value, now emptied
    assert rec.data["id_normalization_mapping"] == {}
    tool_results = [s.text for s in rec.steps() if s.kind == "tool_result"]
    assert "[1] document_id: file-1, score:" in tool_results[0]
    assert "(cite as <|file-1|>)" in tool_results[0]


def test_corpus_every_file_reads():
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    paths = sorted(CORPUS.rglob("*.json"))
    assert len(paths) >= 800
    kinds: dict[str, int] = {}
    for path in paths:
        rec = Recording.load(path)
        s = rec.summary(str(path.relative_to(CORPUS)))
        assert s.problem is None, (path, s.problem)
        assert s.kind in KINDS and s.kind not in ("invalid", "unknown"), (path, s.kind)
        assert s.era in ("sqlite", "flat", "per-area")
        assert Summary(*marshal.loads(marshal.dumps(summary_row(s)))) == s   # as the cache and the forked readers carry it
        json.dumps(s.to_json())
        assert rec.result.stream_format
        rec.steps()
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    assert set(kinds) == {"chat", "completion", "embeddings", "models", "admin", "tool", "rerank"}


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


NESTED = [
    ("tool-kwargs", '{"request": {"tool_name": "t", "provider": "p", "kwargs": %s}, "response": {"body": {"__type__": "x.ToolInvocationResult", "__data__": {"content": "c", "error_message": null}}}}', "tool"),
    ("message-part", '{"request": {"method": "POST", "url": "http://h/v1/chat/completions", "endpoint": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": [{"type": "x", "v": %s}]}]}}, "response": {"body": null}}', "chat"),
    ("anthropic-input", '{"request": {"url": "http://h/v1/messages", "method": "POST", "payload": {"messages": []}}, "response": {"status": 200, "body": {"type": "message", "role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": %s}], "stop_reason": "tool_use"}}}', "chat"),
    ("ollama-args", '{"request": {"method": "POST", "url": "http://h:11434/api/chat", "endpoint": "/api/chat", "body": {"model": "m", "messages": []}}, "response": {"body": [{"__type__": "ollama._types.ChatResponse", "__data__": {"done": true, "message": {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": %s}}]}}}]}}', "chat"),
]


@pytest.mark.parametrize("name,template,kind", NESTED, ids=[n[0] for n in NESTED])
def test_values_nested_just_under_the_parser_limit_do_not_raise(tmp_path, name, template, kind):
    """orjson reads up to 1024 levels but writes only 255, and the stdlib stops near 1000:
    a value 1000 levels deep parses, then must not break when shown as one-line JSON."""
    path = write(tmp_path, f"{name}.json", (template % _nested(1000)).encode())
    rec = Recording.load(path)
    assert rec.problem is None
    s = rec.summary()
    assert (s.kind, s.problem) == (kind, None)
    assert rec.result.stream_format
    steps = rec.steps()
    assert all(isinstance(st.text, str) for st in steps)
    assert any("[nested too deeply to show]" in st.text or st.kind == "error" for st in steps)


def test_access_problems_are_io_problems(tmp_path):
    """The index re-reads files whose problem is one of access, never trusting the cache for them."""
    from cassette_tui.recording import is_io_problem

    (tmp_path / "d.json").mkdir()
    assert is_io_problem(Recording.load(tmp_path / "gone.json").problem)
    assert is_io_problem(Recording.load(tmp_path / "d.json").problem)
    assert not is_io_problem(Recording.from_bytes(b"").problem)
    assert not is_io_problem(Recording.from_bytes(b"[1]").problem)
    assert not is_io_problem(None)
