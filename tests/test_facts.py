"""Issue 15: every fact shown is true (provider and host, finish, chunks, schema checks,
message parts, legacy model lists, and the stream shapes with no real sample yet).

Each fact has a fixture of its own, built here; the corpus tests skip without ../shared/corpus.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from corpus_files import CORPUS

from cassette_tui.query import filter_summaries, parse
from cassette_tui.recording import Recording, host_of, provider_from_url
from cassette_tui.view import recording_sections


def inference(url: str, body: Any, *, test_id: str | None = None, endpoint: str = "/v1/chat/completions",
              request_body: dict | None = None, meta: dict | None = None, streaming: bool = False) -> Recording:
    req: dict[str, Any] = {"method": "POST", "url": url, "headers": {}, "endpoint": endpoint, "model": "m",
                           "body": request_body if request_body is not None else {"model": "m", "messages": [{"role": "user", "content": "hi"}]}}
    if meta is not None:
        req["provider_metadata"] = meta
    return Recording({"test_id": test_id, "request": req, "response": {"body": body, "is_streaming": streaming}})


def model_list(url: str, owned_by: str | None, *, test_id: str, meta: dict | None = None) -> Recording:
    models = [{"__type__": "openai.types.model.Model", "__data__": {"id": f"m{i}", "object": "model", "created": 0, "owned_by": owned_by}} for i in range(3)]
    return inference(url, models, test_id=test_id, endpoint="/v1/models", request_body={}, meta=meta, streaming=True)


# --- provider and host ------------------------------------------------------------------

OLLAMA_TEST = "tests/integration/inference/test_models.py::test_list[txt=ollama/llama3.2:3b]"


@pytest.mark.parametrize(("url", "owned_by", "meta", "expected"), [
    # Model lists are shared across tests: the URL (or what the server says of itself) wins over the test id.
    ("https://api.openai.com/v1/v1/models", "system", None, "openai"),
    ("https://generativelanguage.googleapis.com/v1beta/openai/v1/models", "google", None, "gemini"),
    ("http://localhost:8000/v1/v1/models", "vllm", {"openai_sdk_version": "2.5.0", "vllm_server_version": "0.11.0"}, "vllm"),
    ("http://localhost:8000/v1/v1/models", "vllm", None, "vllm"),
    ("https://ogx-test.cognitiveservices.azure.com/openai/v1/models", None, None, "azure"),
    ("https://api.cerebras.ai/v1/v1/models", "Cerebras", None, "cerebras"),
    ("https://api.together.xyz/v1/v1/models", None, None, "together"),
    ("https://api.groq.com/openai/v1/v1/models", None, None, "groq"),
    ("https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/models", "system", None, "bedrock"),
    # An unknown host is not a provider name, and a model list's test id is no evidence.
    ("http://my-gpu-box:9000/v1/models", None, None, None),
])
def test_model_list_provider_comes_from_the_url_not_the_test_id(url, owned_by, meta, expected):
    rec = model_list(url, owned_by, test_id=OLLAMA_TEST, meta=meta)
    assert rec.kind == "models"
    assert rec.provider == expected
    assert rec.summary().provider == expected
    assert rec.summary().host == host_of(url)


def test_provider_evidence_order_for_inference():
    chunk = {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": {
        "object": "chat.completion", "system_fingerprint": "3.0.1-sha-bb9095a",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}]}}
    # A TGI server on localhost names itself by its fingerprint; it used to be called 'localhost'.
    tgi = inference("http://localhost:8080/v1/chat/completions", chunk)
    assert (tgi.provider, tgi.host) == ("tgi", "localhost:8080")
    # With no evidence in the file, the test id's token names the provider of an inference call ...
    plain = copy.deepcopy(chunk)
    plain["__data__"]["system_fingerprint"] = None
    rec = inference("http://localhost:8080/v1/chat/completions", plain, test_id="t.py::f[txt=tgi/llama]")
    assert rec.provider == "tgi"
    # ... but never over a known host.
    rec = inference("https://api.openai.com/v1/v1/chat/completions", plain, test_id="t.py::f[txt=ollama/llama]")
    assert rec.provider == "openai"
    assert provider_from_url("https://x.openai.azure.com/openai/v1/chat") == "azure"
    assert provider_from_url("https://api.cerebras.ai/v1/chat/completions") == "cerebras"
    assert provider_from_url("http://0.0.0.0:11434/v1/chat/completions") == "ollama"
    assert provider_from_url("https://example.org/v1/x") is None
    assert host_of("https://user:pw@Example.org:8443/v1") == "example.org:8443"
    assert host_of("vertexai:///generate_content") is None


def test_host_query_field():
    rows = [model_list("http://localhost:8000/v1/models", "vllm", test_id=OLLAMA_TEST).summary(),
            model_list("https://api.openai.com/v1/models", "system", test_id=OLLAMA_TEST).summary()]
    assert [s.host for s in filter_summaries(rows, parse('host:"localhost:8000"'))] == ["localhost:8000"]
    assert [s.host for s in filter_summaries(rows, parse("host:openai"))] == ["api.openai.com"]
    assert [s.provider for s in filter_summaries(rows, parse("provider:vllm"))] == ["vllm"]


def test_corpus_model_lists_provider_matches_their_url():
    """Every model list of the 2026-05 corpus: its provider is the one its URL names."""
    folder = CORPUS / "2026-05"
    if not folder.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    checked = 0
    for path in sorted(folder.rglob("*.json")):
        rec = Recording.load(path)
        if rec.problem or rec.kind != "models":
            continue
        by_url = provider_from_url(rec.url)
        meta = rec.request.get("provider_metadata") or {}
        expected = "vllm" if meta.get("vllm_server_version") else by_url
        if expected is None and (rec.host or "").endswith(":8000"):
            expected = "vllm"
        assert rec.provider == expected, (path.name, rec.url, rec.provider)
        checked += 1
    assert checked >= 20


# --- finish: raw and normalized ---------------------------------------------------------


def anthropic_message(stop_reason: str, content: list) -> dict:
    # https://docs.anthropic.com/en/api/messages (response: type message, content blocks, stop_reason)
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": content,
            "stop_reason": stop_reason, "usage": {"input_tokens": 10, "output_tokens": 5}}


def genai_chunk(finish: str | None, text: str = "x") -> dict:
    cand: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        cand["finish_reason"] = finish
    return {"candidates": [cand]}


def test_finish_is_kept_raw_and_normalized():
    tool_use = inference("https://api.anthropic.com/v1/messages", anthropic_message("tool_use", [
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]), endpoint="/v1/messages")
    cut = inference("https://api.anthropic.com/v1/messages", anthropic_message("max_tokens", [{"type": "text", "text": "Once"}]), endpoint="/v1/messages")
    gem = inference("vertexai:///generate_content_stream", [genai_chunk(None), genai_chunk("MAX_TOKENS")], endpoint="/generate_content_stream", streaming=True)
    done = inference("vertexai:///generate_content_stream", [genai_chunk("FinishReason.STOP")], endpoint="/generate_content_stream", streaming=True)
    rows = [r.summary() for r in (tool_use, cut, gem, done)]
    assert [(s.finish_reason, s.finish) for s in rows] == [("tool_use", "tool_calls"), ("max_tokens", "length"), ("MAX_TOKENS", "length"), ("FinishReason.STOP", "stop")]
    assert filter_summaries(rows, parse("finish:tool_calls")) == [rows[0]]
    assert filter_summaries(rows, parse("finish:end_turn")) == []
    assert filter_summaries(rows, parse("finish:max_tokens")) == rows[1:3]    # the provider's own word still works (any case)
    assert filter_summaries(rows, parse("finish:length")) == filter_summaries(rows, parse("has:finish_length")) == rows[1:3]


def test_finish_of_several_choices_shows_the_cut_one():
    def chunk(index: int, finish: str | None) -> dict:
        return {"__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk", "__data__": {
            "object": "chat.completion.chunk", "choices": [{"index": index, "delta": {"content": "a"}, "finish_reason": finish}]}}
    rec = inference("https://api.openai.com/v1/chat/completions", [chunk(0, None), chunk(1, None), chunk(0, "stop"), chunk(1, "length")], streaming=True)
    s = rec.summary()
    assert (s.finish_reason, s.finish, s.anomalies) == ("length", "length", ("finish_length",))
    assert filter_summaries([s], parse("finish:length")) == filter_summaries([s], parse("has:finish_length")) == [s]


def test_corpus_finish_length_agrees_with_the_anomaly():
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    rows = [Recording.load(p).summary() for p in sorted(CORPUS.rglob("*.json"))]
    by_query = {s.path for s in filter_summaries(rows, parse("finish:length"))}
    by_anomaly = {s.path for s in filter_summaries(rows, parse("has:finish_length"))}
    assert by_query == by_anomaly and len(by_query) >= 20
    assert {s.finish for s in rows} <= {None, "stop", "length", "tool_calls", "content_filter", "error", "other"}
    assert any(s.finish_reason == "tool_use" and s.finish == "tool_calls" for s in rows)


# --- chunks: SSE events, and model lists are no stream ----------------------------------


def sse_lines(*events: tuple[str, dict | str]) -> list[str]:
    """SSE text lines as the passthrough recorder keeps them: `event:`, `data:`, blank."""
    lines: list[str] = []
    for name, data in events:
        lines += [f"event: {name}", "data: " + (data if isinstance(data, str) else json.dumps(data)), ""]
    return lines


def passthrough(url: str, lines: list[str], payload: dict | None = None) -> Recording:
    return Recording({"test_id": "t.py::f", "request": {"test_id": "t.py::f", "url": url, "method": "POST", "payload": payload or {}},
                      "response": {"status": 200, "body": lines, "is_streaming": True}})


def anthropic_text_stream(n_text: int) -> list[str]:
    # https://docs.anthropic.com/en/docs/build-with-claude/streaming (event flow of a text message)
    return sse_lines(
        ("message_start", {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "usage": {"input_tokens": 5, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        *[("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": f"w{i} "}}) for i in range(n_text)],
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": n_text}}),
        ("message_stop", {"type": "message_stop"}),
    )


def test_sse_streams_count_and_number_events_not_lines():
    rec = passthrough("https://api.anthropic.com/v1/messages", anthropic_text_stream(56))
    assert len(rec.chunks) == 183                     # the recorded text lines ...
    assert rec.result.chunks == rec.chunk_count == rec.summary().chunks == 61   # ... are 61 events
    assert sorted({e.chunk for e in rec.result.events}) == list(range(61))   # the Stream tab numbers 0, 1, 2 ... not 1, 4, 7
    assert rec.summary().provider == "anthropic"


def test_model_list_detail_says_models_not_chunks():
    rec = model_list("https://api.openai.com/v1/v1/models", "system", test_id=OLLAMA_TEST)
    text = "\n".join(line.plain for sec in recording_sections(rec) for line in sec.lines) + " ".join(sec.note for sec in recording_sections(rec))
    assert "3 models" in text and "chunks" not in text
    assert (rec.summary().streaming, rec.summary().chunks, rec.chunk_count) == (False, 0, 0)


# --- schema checks by jsonschema ----------------------------------------------------------

from cassette_tui.tools import schema_problems  # noqa: E402

BOOKING = {"type": "object", "properties": {"flight": {"$ref": "#/$defs/FlightInfo"}, "passenger": {"$ref": "#/$defs/Passenger"}},
           "required": ["flight", "passenger"],
           "$defs": {"FlightInfo": {"type": "object", "properties": {"from": {"type": "string"}, "to": {"type": "string"}}},
                     "Passenger": {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}}}


def test_schema_refs_resolve_against_the_tool_schema():
    # Object arguments sent as JSON strings (the real book_flight case) break the $defs they refer to.
    assert schema_problems({"flight": '{"from": "SFO"}', "passenger": '{"name": "J"}'}, BOOKING) == [
        "flight should be object, got string", "passenger should be object, got string"]
    assert schema_problems({"flight": {"from": "SFO"}, "passenger": {"name": "J", "age": "x"}}, BOOKING) == ["passenger.age should be integer, got string"]
    assert schema_problems({"flight": {}, "passenger": {}}, BOOKING) == []


def test_schema_any_one_all_of_are_honoured():
    schema = {"type": "object", "properties": {
        "when": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "unit": {"oneOf": [{"enum": ["c"]}, {"enum": ["f"]}]},
        "n": {"allOf": [{"type": "integer"}, {"minimum": 1}]}}}
    assert schema_problems({"when": 3, "unit": "c", "n": 2}, schema) == []
    problems = schema_problems({"when": [], "unit": "k", "n": 0}, schema)
    assert [p.split(":")[0] for p in problems] == ["n", "unit", "when"]


@pytest.mark.parametrize("schema", [
    {"$ref": "#"},                                                          # recursion without end
    {"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}},
    {"$ref": "http://127.0.0.1:9/remote.json"},                             # never fetched
    {"type": "dict"},                                                       # no such type
    {"required": "city"},                                                   # not a list: no false 'missing c'
    {"$schema": {"not": "a string"}},
    {"properties": {"s": {"pattern": "["}}},                                # a bad regex
    {"properties": {"s": {"pattern": "^(a+)+$"}}},                          # catastrophic backtracking: skipped
])
def test_bad_or_hostile_schemas_never_raise_or_hang(schema):
    assert schema_problems({"s": "a" * 5000 + "!", "city": 1}, schema) == []


def test_corpus_object_arguments_sent_as_strings_are_flagged():
    folder = CORPUS / "2025-10/tests/integration/inference/recordings"
    if not folder.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    booking = Recording.load(folder / "95be86b56c9f5f688bfb396933972ec68f056ccbdc10bee6610d2c6722761d5a.json")
    data = Recording.load(folder / "12b4c92fd0d85cf140cb3ae3c1f79a6f684b20f57519011742a8b9088e92130a.json")
    assert [a.message for a in booking.result.anomalies] == ["arguments of book_flight: flight should be object, got string",
                                                             "arguments of book_flight: passenger should be object, got string"]
    assert [a.message for a in data.result.anomalies] == ["arguments of process_data: data should be object, got string"]


# --- a message of several parts is one message ------------------------------------------

from cassette_tui.html_view import sections_html  # noqa: E402
from cassette_tui.timeline import recording_timeline  # noqa: E402
from cassette_tui.view import conversation_section  # noqa: E402

VISION_BODY = {"model": "m", "messages": [
    {"role": "system", "content": "Describe images."},
    # https://platform.openai.com/docs/guides/images-vision (content: a list of text and image_url parts)
    {"role": "user", "content": [{"type": "text", "text": "What is in this image?"},
                                 {"type": "image_url", "image_url": {"url": "https://example.org/cat.png"}},
                                 {"type": "text", "text": "Answer briefly."}]}]}


def test_a_message_of_text_and_image_parts_is_one_message():
    ok = {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": {
        "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "A cat."}}]}}
    rec = inference("https://api.openai.com/v1/chat/completions", ok, request_body=VISION_BODY)
    steps = recording_timeline(rec)
    assert [(s.message, s.part, s.kind) for s in steps if not s.new] == [(0, 0, "text"), (1, 0, "text"), (1, 1, "image"), (1, 2, "text")]
    section = conversation_section(rec)
    assert section.note == "2 sent, 1 received"
    text = "\n".join(line.plain for line in section.lines)
    assert text.count("user") == 1                       # one heading for the user's message ...
    assert "+ [image https://example.org/cat.png]" in text and "Answer briefly." in text   # ... its parts under it
    assert rec.summary().messages == 2 and "image" in rec.summary().flags
    html = sections_html([section])
    assert html.count(">user<") == 1


# --- legacy model lists: models-<12 hex>-<8 hex>.json ---------------------------------------

from cassette_tui.hashing import model_list_digest, model_list_digest_matches, name_hash, request_hash  # noqa: E402
from cassette_tui.recording import name_form  # noqa: E402
from cassette_tui.verify import verify_file  # noqa: E402


def test_legacy_model_list_is_named_by_the_v1_hash(tmp_path):
    rec = model_list("http://localhost:11434/v1/models", "library", test_id=OLLAMA_TEST)
    envelope = {"request": rec.request, "response": rec.response}   # the 2025-09 layout had no test id in the file
    h12 = request_hash(envelope, "v1")[:12]
    name = f"models-{h12}-{model_list_digest(['m0', 'm1', 'm2'])}.json"
    path = tmp_path / "tests/integration/recordings/responses" / name
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(envelope))
    assert name_hash(str(path)) == (h12, "h12")
    assert name_form(path.stem) == "models"
    assert model_list_digest_matches(envelope, str(path)) is True
    verdict = verify_file(path)
    assert (verdict.status, verdict.algorithm) == ("stale", "v1")   # not "the file name is not a request hash"
    assert verdict.detail.startswith("a model list's 12-hex name of the 2025-07..10 layout")


# --- shapes with no real sample yet -----------------------------------------------------

WEATHER_TOOLS = {"model": "m", "input": "Weather in Paris?", "tools": [
    {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]}


def test_gemini_interactions_delta_with_a_whole_function_call():
    # https://ai.google.dev/gemini-api/docs/interactions (streaming: content.start, then a
    # content.delta of type function_call carrying id, name and the arguments object)
    lines = sse_lines(
        ("interaction.start", {"event_type": "interaction.start", "interaction": {"id": "i1", "status": "in_progress"}}),
        ("content.start", {"event_type": "content.start", "index": 0, "content": {"type": "function_call"}}),
        ("content.delta", {"event_type": "content.delta", "index": 0, "delta": {"type": "function_call", "id": "fc_1", "name": "get_weather", "arguments": {"city": "Paris"}}}),
        ("content.stop", {"event_type": "content.stop", "index": 0}),
        ("interaction.complete", {"event_type": "interaction.complete", "interaction": {"id": "i1", "status": "requires_action", "usage": {"total_tokens": 20}}}),
    ) + ["data: [DONE]", ""]
    body = {"model": "m", "input": "Weather in Paris?", "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]}
    rec = passthrough("https://generativelanguage.googleapis.com/v1beta/interactions?alt=sse", lines, body)
    r = rec.result
    assert r.stream_format == "gemini-sse"
    assert [(t.id, t.name, t.arguments) for t in r.tool_calls] == [("fc_1", "get_weather", '{"city":"Paris"}')]
    assert r.anomalies == []                         # no false unknown_tool
    assert (r.finish_reason, r.finish) == ("requires_action", "tool_calls")


def responses_events(*, text: str = "", call: tuple[str, str, list[str]] | None = None, reasoning: str = "", final: dict | None = None) -> list[dict]:
    # https://platform.openai.com/docs/api-reference/responses-streaming (event types and payloads)
    events: list[dict] = [{"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}}]
    if reasoning:
        events += [{"type": "response.output_item.added", "output_index": 0, "item": {"type": "reasoning", "id": "rs_1", "summary": []}},
                   {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0, "summary_index": 0, "delta": reasoning}]
    if text:
        events += [{"type": "response.output_item.added", "output_index": 1, "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []}},
                   *[{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": w} for w in (text[:5], text[5:])],
                   {"type": "response.output_text.done", "item_id": "msg_1", "output_index": 1, "content_index": 0, "text": text}]
    if call:
        call_id, name, fragments = call
        events += [{"type": "response.output_item.added", "output_index": 2, "item": {"type": "function_call", "id": "fc_1", "call_id": call_id, "name": name, "arguments": ""}},
                   *[{"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 2, "delta": f} for f in fragments],
                   {"type": "response.output_item.done", "output_index": 2, "item": {"type": "function_call", "id": "fc_1", "call_id": call_id, "name": name, "arguments": "".join(fragments), "status": "completed"}}]
    events.append(final or {"type": "response.completed", "response": {"id": "resp_1", "object": "response", "status": "completed",
                                                                     "usage": {"input_tokens": 12, "output_tokens": 7, "total_tokens": 19, "output_tokens_details": {"reasoning_tokens": 0}}}})
    return events


def test_responses_api_stream_as_sse_lines():
    events = responses_events(text="Hello world", reasoning="Greet back.", call=("call_9", "get_weather", ['{"city":', '"Paris"}']))
    rec = passthrough("https://api.openai.com/v1/responses", sse_lines(*[(e["type"], e) for e in events]), WEATHER_TOOLS)
    r = rec.result
    assert r.stream_format == "openai-responses-sse"
    assert (r.text, r.reasoning, r.finish_reason, r.finish) == ("Hello world", "Greet back.", "completed", "tool_calls")   # completed, with a call
    assert [(t.id, t.name, t.arguments) for t in r.tool_calls] == [("call_9", "get_weather", '{"city":"Paris"}')]
    assert r.usage == {"input_tokens": 12, "output_tokens": 7, "total_tokens": 19}
    assert r.anomalies == []
    assert rec.summary().chunks == len(events) and rec.summary().tool_calls == ("get_weather",)


def test_responses_api_stream_of_typed_events_and_its_failures():
    def typed(events: list[dict]) -> list[dict]:
        return [{"__type__": "openai.types.responses.ResponseStreamEvent", "__data__": e} for e in events]
    cut = {"type": "response.incomplete", "response": {"object": "response", "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}}
    rec = inference("https://api.openai.com/v1/v1/responses", typed(responses_events(text="Once upon", final=cut)), endpoint="/v1/responses",
                    request_body={"model": "m", "input": "story", "stream": True}, streaming=True)
    r = rec.result
    assert (r.stream_format, r.text, r.finish_reason, r.finish) == ("openai-responses", "Once upon", "max_output_tokens", "length")
    assert [a.code for a in r.anomalies] == ["finish_length"]
    failed = responses_events(text="Hi") [:-1] + [{"type": "error", "code": "server_error", "message": "The server had an error", "sequence_number": 9}]
    r = inference("https://api.openai.com/v1/responses", typed(failed), endpoint="/v1/responses", streaming=True).result
    assert r.error == {"category": "stream", "type": "server_error", "message": "The server had an error"}


def test_responses_api_single_response_object():
    # https://platform.openai.com/docs/api-reference/responses/object (output: message, reasoning, function_call items)
    response = {"__type__": "openai.types.responses.response.Response", "__data__": {
        "id": "resp_1", "object": "response", "status": "completed", "model": "gpt-4.1",
        "output": [{"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Need the weather."}]},
                   {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": '{"town": "Paris"}'},
                   {"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "Checking.", "annotations": []}]}],
        "usage": {"input_tokens": 5, "output_tokens": 9, "total_tokens": 14}}}
    rec = inference("https://api.openai.com/v1/responses", response, endpoint="/v1/responses", request_body=WEATHER_TOOLS)
    r = rec.result
    assert (r.stream_format, r.text, r.reasoning, r.finish) == ("openai-response", "Checking.", "Need the weather.", "tool_calls")
    assert [(t.id, t.name) for t in r.tool_calls] == [("call_1", "get_weather")]
    assert [a.code for a in r.anomalies] == ["schema_mismatch"]    # 'city' is required, 'town' was sent


def test_a_stream_ending_with_thinking_only_has_no_answer():
    # https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#streaming-thinking
    lines = sse_lines(
        ("message_start", {"type": "message_start", "message": {"role": "assistant", "usage": {"input_tokens": 5, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me think"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 16}}),
        ("message_stop", {"type": "message_stop"}),
    )
    r = passthrough("https://api.anthropic.com/v1/messages", lines).result
    assert (r.reasoning, r.text, r.tool_calls) == ("Let me think", "", [])
    assert [a.code for a in r.anomalies] == ["no_answer"]


@pytest.mark.parametrize(("body", "fmt"), [
    ([{"kind": "frame", "n": 1}, {"kind": "frame", "n": 2}], "list"),
    ({"__type__": "somesdk.types.Thing", "__data__": {"shape": "new"}}, "object"),
    ({"shape": "new", "payload": [1]}, "object"),
])
def test_an_unknown_response_shape_says_so(body, fmt):
    r = inference("https://api.example.org/v1/thing", body, endpoint="/v1/thing", streaming=isinstance(body, list)).result
    assert r.stream_format == fmt
    assert [a.code for a in r.anomalies] == ["unknown_shape"]


def test_unknown_sse_events_say_so():
    r = passthrough("https://api.example.org/v1/stream", sse_lines(("tick", {"n": 1}), ("tock", {"n": 2}))).result
    assert r.stream_format == "sse" and [a.code for a in r.anomalies] == ["unknown_shape"]
    assert "tick, tock" in r.anomalies[0].message


def test_info_tab_shows_the_raw_host_and_both_finish_words():
    from cassette_tui.tui.detail import _info_lines

    rec = inference("https://api.anthropic.com/v1/messages", anthropic_message("tool_use", [
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]), endpoint="/v1/messages")
    rows = {line.plain.split(None, 1)[0]: line.plain.split(None, 1)[1].strip() for line in _info_lines(rec, rec.summary()) if len(line.plain.split(None, 1)) == 2}
    assert (rows["provider"], rows["host"], rows["finish"]) == ("anthropic", "api.anthropic.com", "tool_use (tool_calls)")


def test_a_plain_stop_that_called_tools_is_tool_calls():
    # Gemini ends a function-calling turn with STOP (https://ai.google.dev/api/generate-content#FinishReason).
    chunk = {"candidates": [{"index": 0, "finish_reason": "STOP", "content": {"role": "model", "parts": [{"function_call": {"name": "get_weather", "args": {"city": "Paris"}}}]}}]}
    rec = inference("vertexai:///generate_content_stream", [chunk], endpoint="/generate_content_stream", streaming=True)
    s = rec.summary()
    assert (s.finish_reason, s.finish) == ("STOP", "tool_calls")
    assert filter_summaries([s], parse("finish:tool_calls")) == [s]
    text = "\n".join(line.plain for sec in recording_sections(rec) for line in sec.lines)
    assert "STOP (tool_calls)" in text
