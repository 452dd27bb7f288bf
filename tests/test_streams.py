"""Tests for cassette_tui.streams: every stream kind of FORMAT.md, single bodies, anomalies.

The unit tests build small chunk lists by hand; the corpus tests at the end check
the exact reassembled result of real recordings. Their expected values were read
off the raw JSON with throwaway jq/python one-liners, never through this package.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus_files import CORPUS, corpus_file

from cassette_tui.recording import Recording
from cassette_tui.streams import data_of, parse_sse, reassemble, type_label

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "recordings"

CHUNK = "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"
COMPLETION = "openai.types.completion.Completion"


# --- builders ---------------------------------------------------------------------------


def chunk(*choices, usage=None, **extra):
    """One serialized ChatCompletionChunk."""
    return {"__type__": CHUNK, "__data__": {"id": "rec-000000000000", "object": "chat.completion.chunk", "created": 0,
                                            "model": "m", "choices": list(choices), "usage": usage, **extra}}


def ch(index=0, finish=None, logprobs=None, **delta):
    """One choice of a chunk, with its delta."""
    return {"index": index, "delta": delta, "finish_reason": finish, "logprobs": logprobs}


def frag(index, args=None, id=None, name=None, type=None):
    """One tool-call fragment of a delta."""
    return {"index": index, "id": id, "type": type, "function": {"name": name, "arguments": args}}


def stream(body, **extra):
    return {"body": body, "is_streaming": True, **extra}


def single(body, **extra):
    return {"body": body, "is_streaming": False, **extra}


def tool(name, properties, required=()):
    return {"type": "function", "function": {"name": name, "description": "", "parameters": {
        "type": "object", "properties": properties, "required": list(required)}}}


WEATHER = tool("get_weather", {"city": {"type": "string"}, "days": {"type": "integer"}}, ["city"])
TIME = tool("get_time", {"city": {"type": "string"}}, ["city"])
TOOLS_BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [WEATHER, TIME], "stream": True}


def sse(*events):
    """SSE text lines as the HTTP passthrough records them."""
    lines = []
    for name, data in events:
        if name:
            lines.append(f"event: {name}")
        lines.append("data: " + (data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))))
        lines.append("")
    return lines


def codes(result):
    return [a.code for a in result.anomalies]


def calls(result):
    return [(t.index, t.id, t.name, t.arguments) for t in result.tool_calls]


# --- helpers of the module --------------------------------------------------------------


def test_type_label_and_data_of():
    obj = {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": {"a": 1}}
    assert type_label(obj) == "ChatCompletion"
    assert data_of(obj) == {"a": 1}
    assert type_label({"candidates": []}) == ""
    assert data_of({"candidates": []}) == {"candidates": []}
    assert type_label("x") == ""


def test_parse_sse_keeps_done_as_string():
    lines = ["event: a", 'data: {"x": 1}', "", 'data: {"type": "b"}', "", "data: [DONE]", ""]
    assert parse_sse(lines) == [(0, "a", {"x": 1}), (1, "b", {"type": "b"}), (2, "", "[DONE]")]   # numbered by event, not by line


# --- OpenAI ChatCompletionChunk ---------------------------------------------------------


def test_openai_content_role_finish_usage():
    body = [
        chunk(ch(role="assistant", content="")),
        chunk(ch(content="Hello")),
        chunk(ch(content=", world")),
        chunk(ch(finish="stop")),
        chunk(usage={"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}),
    ]
    r = reassemble(stream(body))
    assert r.stream_format == "openai-chat"
    assert r.chunks == 5
    assert len(r.choices) == 1
    c = r.choices[0]
    assert (c.index, c.role, c.content, c.reasoning, c.finish_reason) == (0, "assistant", "Hello, world", "", "stop")
    assert r.text == "Hello, world"
    assert r.usage == {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
    assert r.anomalies == []
    assert r.error is None


def test_openai_reasoning_from_both_fields():
    body = [
        chunk(ch(role="assistant", content=None, reasoning="Two plus ")),
        chunk(ch(content=None, reasoning="two is four. ")),
        chunk(ch(content=None, reasoning_content="Answer briefly.")),
        chunk(ch(content="4")),
        chunk(ch(finish="stop")),
    ]
    r = reassemble(stream(body))
    assert r.reasoning == "Two plus two is four. Answer briefly."
    assert r.text == "4"
    assert [e.what for e in r.events] == ["role", "reasoning", "reasoning", "reasoning", "text", "finish"]


def test_openai_tool_call_merged_across_fragments():
    body = [
        chunk(ch(role="assistant", content=None, tool_calls=[frag(0, "", id="call_abc", name="get_weather", type="function")])),
        chunk(ch(tool_calls=[frag(0, '{"ci')])),
        chunk(ch(tool_calls=[frag(0, 'ty": "Par')])),
        chunk(ch(tool_calls=[frag(0, 'is"}')])),
        chunk(ch(finish="tool_calls")),
        chunk(usage={"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59}),
    ]
    r = reassemble(stream(body), TOOLS_BODY)
    assert calls(r) == [(0, "call_abc", "get_weather", '{"city": "Paris"}')]
    assert r.tool_calls[0].type == "function"
    assert r.tool_calls[0].parsed_arguments() == {"city": "Paris"}
    assert r.finish_reason == "tool_calls"
    assert r.text == ""
    assert r.anomalies == []


def test_openai_parallel_tool_calls_and_content_with_tool_calls():
    body = [
        chunk(ch(role="assistant", content="Checking both. ", tool_calls=[frag(0, "", id="call_1", name="get_weather", type="function")])),
        chunk(ch(tool_calls=[frag(0, '{"city":"Oslo"}')])),
        chunk(ch(tool_calls=[frag(1, "", id="call_2", name="get_time", type="function")])),
        chunk(ch(tool_calls=[frag(1, '{"city":')])),
        chunk(ch(tool_calls=[frag(1, '"Rome"}')])),
        chunk(ch(finish="tool_calls")),
    ]
    r = reassemble(stream(body), TOOLS_BODY)
    assert calls(r) == [(0, "call_1", "get_weather", '{"city":"Oslo"}'), (1, "call_2", "get_time", '{"city":"Rome"}')]
    assert r.text == "Checking both. "
    assert r.anomalies == []


def test_openai_two_choices():
    body = [
        chunk(ch(0, role="assistant", content="Par"), ch(1, role="assistant", content="It is ")),
        chunk(ch(1, content="Paris")),
        chunk(ch(0, content="is")),
        chunk(ch(0, finish="stop"), ch(1, finish="length")),
        chunk(usage={"prompt_tokens": 7, "completion_tokens": 6, "total_tokens": 13}),
    ]
    r = reassemble(stream(body))
    assert [(c.index, c.content, c.finish_reason) for c in r.choices] == [(0, "Paris", "stop"), (1, "It is Paris", "length")]
    assert r.text == "Paris\nIt is Paris"
    assert r.finish_reason == "length"   # of several choices the cut one, so finish:length and has:finish_length agree
    assert codes(r) == ["finish_length"]


def test_openai_azure_first_chunk_without_choices():
    body = [
        chunk(model="", prompt_filter_results=[{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False}}}]),
        chunk(ch(role="assistant", content="")),
        chunk(ch(content="Earth.")),
        chunk(ch(finish="stop")),
        chunk(usage={"prompt_tokens": 14, "completion_tokens": 3, "total_tokens": 17}),
    ]
    r = reassemble(stream(body))
    assert r.text == "Earth."
    assert r.usage == {"prompt_tokens": 14, "completion_tokens": 3, "total_tokens": 17}
    assert (r.events[0].chunk, r.events[0].what, r.events[0].detail) == (0, "meta", "prompt_filter_results")
    assert (r.events[-1].what, r.events[-1].detail) == ("usage", "in 14 out 3 total 17")
    assert r.anomalies == []


def test_openai_bedrock_repeated_type_and_empty_argument_fragments():
    body = [
        chunk(ch(role="assistant", content="", tool_calls=[frag(0, "", id="chatcmpl-tool-1", name="get_weather", type="function")])),
        chunk(ch(tool_calls=[frag(0, "", type="function")])),
        chunk(ch(tool_calls=[frag(0, '{"city":', type="function")])),
        chunk(ch(tool_calls=[frag(0, "", type="function")])),
        chunk(ch(tool_calls=[frag(0, '"Lima"}', type="function")])),
        chunk(ch(finish="tool_calls")),
    ]
    r = reassemble(stream(body), TOOLS_BODY)
    assert calls(r) == [(0, "chatcmpl-tool-1", "get_weather", '{"city":"Lima"}')]
    assert r.tool_calls[0].type == "function"
    assert [(e.chunk, e.text) for e in r.events if e.what == "tool_args"] == [(2, '{"city":'), (4, '"Lima"}')]
    assert r.anomalies == []


def test_openai_databricks_usage_in_every_chunk_keeps_the_last():
    body = [
        chunk(ch(role="assistant", content="Hi"), usage={"prompt_tokens": 14, "completion_tokens": 1, "total_tokens": 15}),
        chunk(ch(content=" there"), usage={"prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16}),
        chunk(ch(content="", finish="stop"), usage={"prompt_tokens": 14, "completion_tokens": 3, "total_tokens": 17}),
    ]
    r = reassemble(stream(body))
    assert r.text == "Hi there"
    assert r.usage == {"prompt_tokens": 14, "completion_tokens": 3, "total_tokens": 17}
    assert r.finish_reason == "stop"


def test_openai_logprobs_are_kept():
    lp1 = {"content": [{"token": "A", "logprob": -0.1}]}
    lp2 = {"content": [{"token": "B", "logprob": -0.2}]}
    body = [chunk(ch(role="assistant", content="A", logprobs=lp1)), chunk(ch(content="B", logprobs=lp2, finish="stop"))]
    r = reassemble(stream(body))
    assert r.choices[0].logprobs == [lp1, lp2]


def test_openai_sse_lines_are_reassembled_as_chat():
    lines = sse(
        ("", chunk(ch(role="assistant", content="Hi"))["__data__"]),
        ("", chunk(ch(finish="stop"))["__data__"]),
        ("", "[DONE]"),
    )
    r = reassemble({"status": 200, "body": lines, "is_streaming": True})
    assert r.stream_format == "openai-sse"
    assert (r.text, r.finish_reason) == ("Hi", "stop")


# --- OpenAI Completion chunks -----------------------------------------------------------


def completion(text, finish=None, index=0, usage=None, choices=None):
    if choices is None:
        choices = [{"index": index, "text": text, "finish_reason": finish, "logprobs": None}]
    return {"__type__": COMPLETION, "__data__": {"id": "cmpl-1", "object": "text_completion", "model": "m", "choices": choices, "usage": usage}}


def test_openai_completion_chunks():
    body = [completion("Roses"), completion(" are"), completion(" red", finish="stop"),
            completion(None, choices=[], usage={"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7})]
    r = reassemble(stream(body))
    assert r.stream_format == "openai-completion"
    assert (r.text, r.finish_reason) == ("Roses are red", "stop")
    assert r.choices[0].role == "assistant"
    assert r.usage == {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7}
    assert [e.what for e in r.events] == ["text", "text", "text", "finish", "usage"]


# --- Ollama native streams --------------------------------------------------------------


def ollama_gen(response, done=False, **extra):
    return {"__type__": "ollama._types.GenerateResponse", "__data__": {"model": "llama3.2:3b", "created_at": "1970-01-01T00:00:00Z",
                                                                      "done": done, "response": response, "thinking": None, **extra}}


def ollama_chat(content, done=False, tool_calls=None, thinking=None, **extra):
    return {"__type__": "ollama._types.ChatResponse", "__data__": {"model": "llama3.2:3b", "done": done, **extra,
                                                                  "message": {"role": "assistant", "content": content, "thinking": thinking,
                                                                              "images": None, "tool_calls": tool_calls}}}


def test_ollama_generate_stream():
    body = [ollama_gen("Here"), ollama_gen("'s one"), ollama_gen("!"),
            ollama_gen("", done=True, done_reason="stop", prompt_eval_count=56, eval_count=18, total_duration=0)]
    r = reassemble(stream(body))
    assert r.stream_format == "ollama"
    assert (r.text, r.finish_reason, r.choices[0].role) == ("Here's one!", "stop", "assistant")
    assert r.usage == {"prompt_tokens": 56, "completion_tokens": 18}
    assert [(e.chunk, e.what) for e in r.events] == [(0, "text"), (1, "text"), (2, "text"), (3, "finish")]
    assert r.anomalies == []


def test_ollama_generate_thinking_and_length():
    body = [ollama_gen("", thinking="hmm "), ollama_gen("", thinking="ok"), ollama_gen("Yes"),
            ollama_gen("", done=True, done_reason="length", prompt_eval_count=3, eval_count=5)]
    r = reassemble(stream(body))
    assert (r.reasoning, r.text, r.finish_reason) == ("hmm ok", "Yes", "length")
    assert codes(r) == ["finish_length"]


def test_ollama_chat_stream_with_whole_tool_calls():
    body = [
        ollama_chat("Let me look."),
        ollama_chat("", tool_calls=[{"function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}},
                                    {"function": {"name": "get_time", "arguments": {"city": "Paris"}}}]),
        ollama_chat("", done=True, done_reason="stop", prompt_eval_count=30, eval_count=12),
    ]
    r = reassemble(stream(body), TOOLS_BODY)
    assert r.stream_format == "ollama"
    assert r.text == "Let me look."
    assert calls(r) == [(0, None, "get_weather", '{"city":"Paris","days":2}'), (1, None, "get_time", '{"city":"Paris"}')]
    assert r.usage == {"prompt_tokens": 30, "completion_tokens": 12}
    assert r.anomalies == []


def test_ollama_text_after_done_is_flagged():
    body = [ollama_chat("Hi"), ollama_chat("", done=True, done_reason="stop"), ollama_chat(" again")]
    r = reassemble(stream(body))
    assert r.text == "Hi again"
    assert codes(r) == ["chunk_after_finish"]
    assert r.anomalies[0].chunk == 2


# --- genai dicts ------------------------------------------------------------------------


def genai(parts, finish=None, usage=None):
    cand = {"content": {"role": "model", "parts": parts}}
    if finish:
        cand["finish_reason"] = finish
    return {"candidates": [cand], "model_version": "gemini-2.0-flash", "usage_metadata": usage or {"traffic_type": "ON_DEMAND"}}


GENAI_USAGE = {"prompt_token_count": 20, "candidates_token_count": 8, "total_token_count": 28,
               "prompt_tokens_details": [{"modality": "TEXT", "token_count": 20}], "traffic_type": "ON_DEMAND"}


def test_genai_text_stream_usage_only_on_last_chunk():
    body = [genai([{"text": "Let me think", "thought": True}]), genai([{"text": "The"}]), genai([{"text": " tower"}]),
            genai([{"text": " is tall."}], finish="STOP", usage=GENAI_USAGE)]
    r = reassemble(stream(body))
    assert r.stream_format == "genai"
    assert (r.text, r.reasoning, r.finish_reason) == ("The tower is tall.", "Let me think", "STOP")
    # lists (per-modality details) are left out; scalar counts kept
    assert r.usage == {"prompt_token_count": 20, "candidates_token_count": 8, "total_token_count": 28, "traffic_type": "ON_DEMAND"}
    assert r.anomalies == []


def test_genai_function_call_parts():
    body = [genai([{"function_call": {"name": "get_weather", "args": {"city": "Paris"}}},
                   {"function_call": {"id": "fc-2", "name": "get_time", "args": {"city": "Paris"}}}], finish="STOP", usage=GENAI_USAGE)]
    req = {"model": "m", "contents": [], "config": {"tools": [{"function_declarations": [
        {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        {"name": "get_time", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]}]}}
    r = reassemble(stream(body), req)
    assert calls(r) == [(0, None, "get_weather", '{"city":"Paris"}'), (1, "fc-2", "get_time", '{"city":"Paris"}')]
    assert r.anomalies == []


def test_genai_max_tokens_is_flagged():
    r = reassemble(stream([genai([{"text": "cut"}], finish="MAX_TOKENS", usage=GENAI_USAGE)]))
    assert codes(r) == ["finish_length"]


# --- Anthropic SSE (hand-made fixture: the corpus has no streamed Anthropic recording) ---


def test_anthropic_sse_fixture():
    rec = Recording.load(FIXTURES / "anthropic_messages_stream.json")
    assert rec.problem is None
    r = rec.result
    assert r.stream_format == "anthropic-sse"
    assert r.chunks == 18   # events, not the 54 text lines they take
    c = r.choices[0]
    assert (c.role, c.content, c.reasoning, c.finish_reason) == ("assistant", "Let me check the weather.", "The user wants the weather in Paris.", "tool_use")
    assert calls(r) == [(0, "toolu_01Fixture", "get_weather", '{"city": "Paris"}')]
    assert r.usage == {"input_tokens": 412, "output_tokens": 57}
    assert r.anomalies == []
    # what each event added
    assert [(e.chunk, e.what, e.text) for e in r.events if e.what in ("text", "reasoning", "tool_call", "tool_args", "finish")] == [
        (3, "reasoning", "The user wants the weather "),
        (4, "reasoning", "in Paris."),
        (8, "text", "Let me check "),
        (9, "text", "the weather."),
        (11, "tool_call", "get_weather"),
        (12, "tool_args", ""),
        (13, "tool_args", '{"city": '),
        (14, "tool_args", '"Paris"}'),
        (16, "finish", ""),
    ]


def test_anthropic_sse_after_stop_and_error_event():
    lines = sse(
        ("message_start", {"type": "message_start", "message": {"role": "assistant", "usage": {"input_tokens": 5, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}),
        ("message_stop", {"type": "message_stop"}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}}),
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    )
    r = reassemble({"status": 200, "body": lines, "is_streaming": True})
    assert r.text == "Hi!"
    assert codes(r) == ["chunk_after_finish", "no_finish"]
    assert r.error == {"category": "stream", "type": "overloaded_error", "message": "Overloaded"}


def test_anthropic_tool_use_without_input_deltas_gets_empty_object():
    lines = sse(
        ("message_start", {"type": "message_start", "message": {"role": "assistant", "usage": {"input_tokens": 5}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {}}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}}),
        ("message_stop", {"type": "message_stop"}),
    )
    r = reassemble({"status": 200, "body": lines, "is_streaming": True})
    assert calls(r) == [(0, "toolu_2", "get_time", "{}")]
    assert r.usage == {"input_tokens": 5, "output_tokens": 9}


# --- Gemini interactions SSE ------------------------------------------------------------


INTERACTION_USAGE = {"total_tokens": 40, "total_input_tokens": 30, "input_tokens_by_modality": [{"modality": "text", "tokens": 30}],
                     "total_output_tokens": 10, "total_thought_tokens": 4}


def gemini_sse():
    return sse(
        ("interaction.start", {"interaction": {"id": "v1_x", "status": "in_progress", "object": "interaction"}, "event_type": "interaction.start"}),
        ("content.start", {"index": 0, "content": {"type": "thought"}, "event_type": "content.start"}),
        ("content.delta", {"index": 0, "delta": {"type": "thought_summary", "text": "Need the tool."}, "event_type": "content.delta"}),
        ("content.delta", {"index": 0, "delta": {"type": "thought_signature", "signature": "c2ln"}, "event_type": "content.delta"}),
        ("content.stop", {"index": 0, "event_type": "content.stop"}),
        ("content.start", {"index": 1, "content": {"type": "text"}, "event_type": "content.start"}),
        ("content.delta", {"index": 1, "delta": {"type": "text", "text": "Checking "}, "event_type": "content.delta"}),
        ("content.delta", {"index": 1, "delta": {"type": "text", "text": "Tokyo."}, "event_type": "content.delta"}),
        ("content.stop", {"index": 1, "event_type": "content.stop"}),
        ("content.start", {"index": 2, "content": {"type": "function_call", "id": "fc_1", "name": "get_weather", "arguments": {"city": "Tokyo"}}, "event_type": "content.start"}),
        ("content.stop", {"index": 2, "event_type": "content.stop"}),
        ("content.delta", {"index": 3, "delta": {"type": "function_call", "id": "fc_2", "name": "get_time", "arguments": {"city": "Tokyo"}}, "event_type": "content.delta"}),
        ("interaction.complete", {"interaction": {"id": "v1_x", "status": "requires_action", "usage": INTERACTION_USAGE, "object": "interaction"}, "event_type": "interaction.complete"}),
        ("done", "[DONE]"),
    )


def test_gemini_interactions_sse():
    r = reassemble({"status": 200, "body": gemini_sse(), "is_streaming": True}, TOOLS_BODY)
    assert r.stream_format == "gemini-sse"
    assert (r.text, r.reasoning, r.finish_reason) == ("Checking Tokyo.", "Need the tool.", "requires_action")
    assert calls(r) == [(0, "fc_1", "get_weather", '{"city":"Tokyo"}'), (1, "fc_2", "get_time", '{"city":"Tokyo"}')]
    assert r.usage == {"total_tokens": 40, "total_input_tokens": 30, "total_output_tokens": 10, "total_thought_tokens": 4}
    assert r.anomalies == []
    assert (r.events[-1].what, r.events[-1].detail) == ("meta", "[DONE]")


# --- single (non-streamed) bodies -------------------------------------------------------


def test_single_chat_completion_with_tool_calls():
    body = {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": {
        "id": "rec-1", "object": "chat.completion", "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None, "message": {
            "role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{\"city\":\"Paris\"}"}}]}}],
        "usage": {"prompt_tokens": 80, "completion_tokens": 30, "total_tokens": 110}}}
    r = reassemble(single(body), TOOLS_BODY)
    assert r.stream_format == "openai-chat-message"
    assert calls(r) == [(0, "call_1", "get_weather", '{"city":"Paris"}'), (1, "call_2", "get_time", '{"city":"Paris"}')]
    assert (r.finish_reason, r.text, r.chunks) == ("tool_calls", "", 0)
    assert r.usage == {"prompt_tokens": 80, "completion_tokens": 30, "total_tokens": 110}
    assert r.anomalies == []
    assert r.events == []


def test_single_completion():
    r = reassemble(single(completion("violets are blue", finish="stop", usage={"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6})))
    assert r.stream_format == "openai-completion"
    assert (r.text, r.finish_reason, r.events, r.chunks) == ("violets are blue", "stop", [], 0)
    assert r.usage == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}


def test_single_ollama_generate():
    r = reassemble(single(ollama_gen("4", done=True, done_reason="stop", prompt_eval_count=9, eval_count=1)))
    assert (r.stream_format, r.text, r.finish_reason, r.usage) == ("ollama", "4", "stop", {"prompt_tokens": 9, "completion_tokens": 1})


def test_single_openai_embeddings():
    body = {"__type__": "openai.types.create_embedding_response.CreateEmbeddingResponse", "__data__": {
        "object": "list", "model": "all-minilm",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}, {"object": "embedding", "index": 1, "embedding": [0.4, 0.5, 0.6]}],
        "usage": {"prompt_tokens": 4, "total_tokens": 4}}}
    r = reassemble(single(body))
    assert (r.stream_format, r.output, r.usage) == ("embeddings", "2 embeddings of 3 dimensions", {"prompt_tokens": 4, "total_tokens": 4})
    assert r.choices == []


def test_single_ollama_embed_response():
    body = {"__type__": "ollama._types.EmbedResponse", "__data__": {"model": "all-minilm", "embeddings": [[0.1, 0.2, 0.3, 0.4]], "prompt_eval_count": 6}}
    r = reassemble(single(body))
    assert (r.stream_format, r.output) == ("embeddings", "1 embedding of 4 dimensions")


def test_model_lists():
    models = [{"__type__": "openai.types.model.Model", "__data__": {"id": i, "object": "model", "created": 0, "owned_by": "o"}} for i in ("gpt-4o", "gpt-4o-mini")]
    r = reassemble(single(models))
    assert (r.stream_format, r.output, r.chunks) == ("model-list", "2 models: gpt-4o, gpt-4o-mini", 0)   # models, not chunks
    tags = {"__type__": "ollama._types.ListResponse", "__data__": {"models": [{"model": "llama3.2:3b"}, {"model": "all-minilm:l6-v2"}]}}
    r = reassemble(single(tags))
    assert (r.stream_format, r.output) == ("model-list", "2 models: llama3.2:3b, all-minilm:l6-v2")
    ps = {"__type__": "ollama._types.ProcessResponse", "__data__": {"models": []}}
    assert reassemble(single(ps)).output == "0 models"


def test_tool_invocation_result():
    body = {"__type__": "llama_stack.apis.tools.tools.ToolInvocationResult", "__data__": {
        "content": "{\"query\": \"x\", \"top_k\": []}", "error_message": None, "error_code": None, "metadata": None}}
    r = reassemble(single(body))
    assert r.stream_format == "tool-result"
    assert [(c.role, c.content) for c in r.choices] == [("tool", '{"query": "x", "top_k": []}')]
    assert r.anomalies == []   # a tool result has no finish reason, and that is fine
    failed = {"__type__": "ogx.apis.tools.ToolInvocationResult", "__data__": {"content": None, "error_message": "quota exceeded", "error_code": 429}}
    r = reassemble(single(failed))
    assert r.error == {"category": "tool", "message": "quota exceeded", "code": 429}


def test_single_anthropic_message():
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": [
        {"type": "thinking", "thinking": "Use the tool."}, {"type": "text", "text": "Computing."},
        {"type": "tool_use", "id": "toolu_1", "name": "calculator", "input": {"expression": "15 * 7"}}],
        "stop_reason": "tool_use", "usage": {"input_tokens": 144, "output_tokens": 42}}
    req = {"messages": [], "tools": [{"name": "calculator", "input_schema": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}]}
    r = reassemble({"status": 200, "body": body, "is_streaming": False}, req)
    assert r.stream_format == "anthropic-message"
    assert (r.text, r.reasoning, r.finish_reason) == ("Computing.", "Use the tool.", "tool_use")
    assert calls(r) == [(0, "toolu_1", "calculator", '{"expression":"15 * 7"}')]
    assert r.usage == {"input_tokens": 144, "output_tokens": 42}
    assert r.anomalies == []


def test_single_interaction_response():
    body = {"id": "v1_x", "status": "completed", "object": "interaction", "outputs": [
        {"type": "thought", "signature": "c2ln"}, {"type": "text", "text": "Your name is Alice."}], "usage": INTERACTION_USAGE}
    r = reassemble({"status": 200, "body": body, "is_streaming": False})
    assert (r.stream_format, r.text, r.reasoning, r.finish_reason) == ("gemini-interaction", "Your name is Alice.", "", "completed")
    assert r.usage == {"total_tokens": 40, "total_input_tokens": 30, "total_output_tokens": 10, "total_thought_tokens": 4}


def test_single_rerank():
    body = {"id": "rerank-1", "model": "Qwen/Qwen3-Reranker-0.6B", "usage": {"prompt_tokens": 14, "total_tokens": 14},
            "results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1234}]}
    r = reassemble({"status": 200, "body": body, "is_streaming": False})
    assert (r.stream_format, r.output) == ("rerank", "2 ranked results: #1=0.900, #0=0.123")
    assert r.usage == {"prompt_tokens": 14, "total_tokens": 14}


def test_recorded_exception():
    data = {"category": "provider_sdk", "provider": "openai", "type": "BadRequestError", "message": "Error code: 400 - bad image", "status_code": 400,
            "body": {"message": "bad image"}}
    r = reassemble({"body": None, "is_streaming": False, "is_exception": True, "exception_data": data, "exception_message": "Error code: 400 - bad image"})
    assert r.stream_format == "error"
    assert r.error == data
    assert (r.choices, r.anomalies) == ([], [])


def test_recorded_exception_with_only_a_message():
    r = reassemble({"body": None, "is_streaming": True, "is_exception": True, "exception_message": "boom"})
    assert r.error == {"message": "boom"}


def test_http_error_status():
    r = reassemble({"status": 429, "body": {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}, "is_streaming": False})
    assert r.error == {"category": "http", "message": "Rate limit reached", "status_code": 429}
    r = reassemble({"status": 404, "body": {"detail": "Not Found"}, "is_streaming": False})
    assert r.error == {"category": "http", "status_code": 404, "message": "HTTP 404"}
    r = reassemble({"status": 500, "body": "upstream exploded", "is_streaming": False})
    assert r.error == {"category": "http", "status_code": 500, "message": "HTTP 500"}
    assert reassemble({"status": 200, "body": {"detail": "fine"}}).error is None


def test_response_not_an_object():
    r = reassemble(["not", "a", "dict"])
    assert (r.stream_format, codes(r)) == ("invalid", ["bad_response"])


# --- anomalies --------------------------------------------------------------------------


def test_no_finish_reason():
    r = reassemble(stream([chunk(ch(role="assistant", content="cut sh"))]))
    assert codes(r) == ["no_finish"]
    assert r.finish_reason is None


def test_no_finish_reason_names_the_choice_when_several():
    r = reassemble(stream([chunk(ch(0, role="assistant", content="a", finish="stop"), ch(1, role="assistant", content="b"))]))
    assert codes(r) == ["no_finish"]
    assert r.anomalies[0].message.startswith("choice 1 ")


def test_finish_length():
    r = reassemble(stream([chunk(ch(role="assistant", content="long", finish="length"))]))
    assert codes(r) == ["finish_length"]


def test_tool_arguments_not_json():
    body = [chunk(ch(role="assistant", tool_calls=[frag(0, '{"city": "Par', id="c1", name="get_weather", type="function")])), chunk(ch(finish="tool_calls"))]
    r = reassemble(stream(body), TOOLS_BODY)
    assert codes(r) == ["bad_tool_args"]
    assert r.tool_calls[0].parsed_arguments() is None


def test_unknown_tool():
    body = [chunk(ch(role="assistant", tool_calls=[frag(0, "{}", id="c1", name="delete_everything", type="function")])), chunk(ch(finish="tool_calls"))]
    r = reassemble(stream(body), TOOLS_BODY)
    assert codes(r) == ["unknown_tool"]
    assert "delete_everything" in r.anomalies[0].message


def test_schema_mismatch_missing_required_and_wrong_type():
    body = [chunk(ch(role="assistant", tool_calls=[frag(0, '{"days": "two"}', id="c1", name="get_weather", type="function")])), chunk(ch(finish="tool_calls"))]
    r = reassemble(stream(body), TOOLS_BODY)
    assert codes(r) == ["schema_mismatch", "schema_mismatch"]
    assert [a.message for a in r.anomalies] == [
        "arguments of get_weather: missing required property 'city'",
        "arguments of get_weather: days should be integer, got string",
    ]


def test_tool_checks_need_the_request():
    body = [chunk(ch(role="assistant", tool_calls=[frag(0, "{}", id="c1", name="nope", type="function")])), chunk(ch(finish="tool_calls"))]
    assert codes(reassemble(stream(body))) == []


def test_chunk_after_finish():
    body = [chunk(ch(role="assistant", content="Done.", finish="stop")), chunk(ch(content=" More."))]
    r = reassemble(stream(body))
    assert codes(r) == ["chunk_after_finish"]
    assert r.anomalies[0].chunk == 1
    assert r.text == "Done. More."


def test_error_midstream_keeps_the_partial_stream():
    body = [chunk(ch(role="assistant", content="The answer")), chunk(ch(content=" is"))]
    r = reassemble({"body": body, "is_streaming": True, "is_exception": True,
                    "exception_data": {"category": "provider_sdk", "type": "APIError", "message": "connection reset"},
                    "exception_message": "connection reset"})
    assert r.text == "The answer is"
    assert r.error == {"category": "provider_sdk", "type": "APIError", "message": "connection reset"}
    assert codes(r) == ["no_finish", "error_midstream"]
    assert r.anomalies[1].message == "the stream failed after 2 chunks: connection reset"


def test_empty_stream():
    r = reassemble(stream([]))
    assert (r.stream_format, r.chunks, codes(r), r.choices) == ("empty", 0, ["empty_stream"], [])


def test_unknown_list_and_unknown_object():
    r = reassemble(stream([{"__type__": "x.Thing", "__data__": {}}, 3]))
    assert (r.stream_format, r.output) == ("list", "a list of 2 items")
    assert [e.detail for e in r.events] == ["Thing", "int"]
    r = reassemble(single({"__type__": "x.Other", "__data__": {"a": 1}}))
    assert (r.stream_format, r.output) == ("object", "Other object")


# --- events ------------------------------------------------------------------------------


def test_events_of_a_small_stream():
    body = [
        chunk(ch(role="assistant", content="Hel")),
        chunk(ch(content="lo")),
        chunk(ch(tool_calls=[frag(0, "", id="call_9", name="get_time", type="function")])),
        chunk(ch(tool_calls=[frag(0, '{"city":"Oslo"}')])),
        chunk(ch()),
        chunk(ch(finish="tool_calls")),
        chunk(usage={"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}),
    ]
    r = reassemble(stream(body), TOOLS_BODY)
    got = [(e.chunk, e.what, e.text, e.choice, e.tool_index, e.detail) for e in r.events]
    assert got == [
        (0, "role", "", 0, None, "assistant"),
        (0, "text", "Hel", 0, None, ""),
        (1, "text", "lo", 0, None, ""),
        (2, "tool_call", "get_time", 0, 0, "call_9"),
        (3, "tool_args", '{"city":"Oslo"}', 0, 0, ""),
        (4, "empty", "", None, None, ""),
        (5, "finish", "", 0, None, "tool_calls"),
        (6, "usage", "", None, None, "in 5 out 3 total 8"),
    ]


def _stream_cases():
    anthropic = json.loads((FIXTURES / "anthropic_messages_stream.json").read_text())
    return {
        "openai-chat": (stream([chunk(ch(role="assistant", content="a", tool_calls=[frag(0, "{", id="c", name="get_time")])),
                                chunk(ch(tool_calls=[frag(0, "}")])), chunk(ch(finish="length")), chunk(ch(content="late")),
                                chunk(usage={"total_tokens": 3})]), TOOLS_BODY),
        "openai-completion": (stream([completion("a"), completion("b", finish="length"), completion(None, choices=[], usage={"total_tokens": 2})]), None),
        "ollama": (stream([ollama_chat("x"), ollama_chat("", done=True, done_reason="length", eval_count=1)]), None),
        "genai": (stream([genai([{"text": "x"}]), genai([{"function_call": {"name": "nope", "args": {}}}], finish="STOP", usage=GENAI_USAGE)]), TOOLS_BODY),
        "anthropic-sse": (anthropic["response"], anthropic["request"]["payload"]),
        "gemini-sse": ({"status": 200, "body": gemini_sse(), "is_streaming": True}, TOOLS_BODY),
        "openai-sse": ({"body": sse(("", chunk(ch(role="assistant", content="Hi"))["__data__"]), ("", "[DONE]"))}, None),
        "error-midstream": ({"body": [chunk(ch(role="assistant", content="a"))], "is_exception": True, "exception_message": "x"}, None),
    }


@pytest.mark.parametrize("name", list(_stream_cases()))
def test_events_false_gives_the_same_result(name):
    response, body = _stream_cases()[name]
    with_events = reassemble(response, body, events=True)
    without = reassemble(response, body, events=False)
    assert with_events.events, "the full reassembly records events"
    assert without.events == []
    assert without.stream_format == with_events.stream_format
    assert [c.to_json() for c in without.choices] == [c.to_json() for c in with_events.choices]
    assert without.usage == with_events.usage
    assert [a.to_json() for a in without.anomalies] == [a.to_json() for a in with_events.anomalies]
    assert without.error == with_events.error
    assert without.chunks == with_events.chunks


WEIRD = [
    (stream([chunk({"index": {}, "delta": "x"})]), "invalid"),
    (stream([chunk(ch(content=3.5, reasoning=["a"]))]), "invalid"),
    (stream([chunk(ch(tool_calls=[{"index": "0", "function": []}]))]), "openai-chat"),
    (stream([chunk(ch(role="assistant", tool_calls=[{"index": 0, "id": {"x": 1}, "type": 5, "function": {"name": 7, "arguments": "{}"}}], finish="tool_calls"))]), "openai-chat"),
    (stream([ollama_chat({"a": 1}), ollama_gen(["x"], done=True, done_reason={})]), "invalid"),
    (stream([{"candidates": [{"content": {"parts": True}, "finish_reason": 1}], "usage_metadata": {"total_token_count": 1}}]), "invalid"),
    (stream([completion(None, choices=[{"index": [], "text": {}}])]), "openai-completion"),
    (single({"__type__": "x.ChatCompletion", "__data__": {"object": "chat.completion", "choices": [{"message": {"role": "assistant", "reasoning": {"r": 1}}, "finish_reason": {}}]}}), "openai-chat-message"),
    (single({"type": "message", "content": [{"type": "text", "text": {}}]}), "invalid"),
    (single({"object": "interaction", "outputs": [{"type": "text", "text": []}], "usage": 3}), "invalid"),
    (single({"__type__": "x.EmbedResponse", "__data__": {"embeddings": 2.5}}), "embeddings"),
]


@pytest.mark.parametrize("response,fmt", WEIRD)
def test_type_confused_bodies_are_reported_not_raised(response, fmt):
    """Valid JSON of shapes no provider sends: a `bad_response` anomaly, never an exception."""
    body = {"tools": [{"function": {"name": "f", "parameters": {"type": "object", "required": 5}}}]}
    r = reassemble(response, body)
    assert r.stream_format == fmt
    if fmt == "invalid":
        assert codes(r) == ["bad_response"]
        assert r.anomalies[0].message.startswith("the response has a shape that cannot be reassembled (")
    assert reassemble(response, body, events=False).stream_format == fmt
    for c in r.choices:      # text fields stay text
        assert isinstance(c.content, str) and isinstance(c.reasoning, str)
    for t in r.tool_calls:   # ids and names stay strings or None
        assert t.id is None or isinstance(t.id, str)
        assert t.name is None or isinstance(t.name, str)


# --- the real corpus --------------------------------------------------------------------


GPT4O_STEP2 = "2025-10/tests/integration/responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"


def test_corpus_gpt4o_tool_call_stream():
    rec = corpus_file(GPT4O_STEP2)
    r = rec.result
    assert r.stream_format == "openai-chat"
    assert r.chunks == 12
    assert calls(r) == [(0, "call_h85dbcBdBPF5ti1xrNcnnaEv", "get_user_permissions", '{"user_id":"user_11111"}')]
    assert r.tool_calls[0].type == "function"
    assert r.choices[0].role == "assistant"
    assert r.text == ""
    assert r.finish_reason == "tool_calls"
    assert r.usage == {"completion_tokens": 19, "prompt_tokens": 478, "total_tokens": 497,
                       "completion_tokens_details": {"accepted_prediction_tokens": 0, "audio_tokens": 0, "reasoning_tokens": 0, "rejected_prediction_tokens": 0},
                       "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0}}
    assert r.anomalies == []
    assert [e.text for e in r.events if e.what == "tool_args"] == ['{"', "user", "_id", '":"', "user", "_", "111", "11", '"}']


def test_corpus_parallel_tool_calls():
    r = corpus_file("2025-10/tests/integration/responses/recordings/2be285fca6418dd1fa70616c6ed18f8cec97298a28388f1395120b7ffab4db26.json").result
    assert calls(r) == [
        (0, "call_XJHVfGOgINI5ssxdPEkIzNGn", "knowledge_search", '{"query": "marketing documents examples"}'),
        (1, "call_yU3cSA6ZVa05x581uiSYW8De", "knowledge_search", '{"query": "sales documents examples"}'),
    ]
    assert (r.finish_reason, r.usage, r.chunks) == ("tool_calls", None, 21)


def test_corpus_two_choices_fireworks():
    r = corpus_file("2025-10/tests/integration/recordings/responses/e22f98c05933.json").result
    text = "The capital of the United States is Washington, D.C. (short for District of Columbia)."
    assert [(c.index, c.content, c.finish_reason) for c in r.choices] == [(0, text, "stop"), (1, text, "stop")]
    assert r.usage == {"completion_tokens": 40, "prompt_tokens": 20, "total_tokens": 60, "completion_tokens_details": None, "prompt_tokens_details": None}


def test_corpus_azure_stream():
    r = corpus_file("2026-05/tests/integration/common/recordings/0b2c69a5bb37ad55d47d36c33e068b00867d4d5f68e16bc1884b71075b316c72.json").result
    assert r.text == "Humans live on **Earth**. It is the third planet from the Sun in our solar system and the only known planet that supports life."
    assert r.finish_reason == "stop"
    assert (r.usage["prompt_tokens"], r.usage["completion_tokens"], r.usage["total_tokens"]) == (14, 30, 44)
    assert (r.events[0].what, r.events[0].detail) == ("meta", "prompt_filter_results")


def test_corpus_databricks_usage_every_chunk():
    r = corpus_file("2025-10/tests/integration/recordings/responses/121a72d1c4cf.json").result
    assert r.text == "Hello! It's nice to meet you. Is there something I can help you with or would you like to chat?"
    assert r.usage == {"completion_tokens": 25, "prompt_tokens": 14, "total_tokens": 39, "completion_tokens_details": None, "prompt_tokens_details": None}


def test_corpus_bedrock_tool_stream():
    r = corpus_file("2026-05/tests/integration/responses/recordings/4c710c580a8ea851e213413d29aa62a7a08c4f2cf0f8229ffc919695ae680911.json").result
    assert calls(r) == [(0, "chatcmpl-tool-a00b8d924970b3a2", "get_boiling_point", '{"liquid_name":"myawesomeliquid","celsius":true}')]
    assert r.finish_reason == "tool_calls"
    assert r.usage == {"completion_tokens": 70, "prompt_tokens": 229, "total_tokens": 299, "completion_tokens_details": None, "prompt_tokens_details": None}


def test_corpus_reasoning_stream_bedrock_gpt_oss():
    rec = corpus_file("2026-05/tests/integration/common/recordings/24305b4228b17b7d7ab6d1768b37721673b914fc5584d536acba7fa65ea43f81.json")
    r = rec.result
    assert r.reasoning == (
        "The user asks: Summarize the chain-of-thought reasoning in one or two sentences, focusing only on the final conclusion "
        "and the most important reasoning step. The reasoning is: 2+2=4, step by step explanation. So summarise: The conclusion is 4, "
        "and the key step is adding 2 to 2. So produce one or two sentences: \"The answer is 4, obtained by adding the two numbers together.\" That is it."
    )
    assert r.text == "The answer is 4, reached by adding the two numbers together (starting with 2 and adding another 2)."
    assert r.finish_reason == "stop"
    assert r.usage == {"completion_tokens": 130, "prompt_tokens": 345, "total_tokens": 475, "completion_tokens_details": None, "prompt_tokens_details": None}
    assert "reasoning" in rec.summary().flags


def test_corpus_openai_completion_stream():
    r = corpus_file("2025-08/tests/integration/recordings/responses/84cab42e1f5c.json").result
    assert r.stream_format == "openai-completion"
    assert r.chunks == 51
    assert r.text == ('Blue.\n\nMy response is based on a common English rhyme or poem that completes the sentence with the word "blue". '
                      'The complete phrase is: "Roses are red, violets are blue".\n\nThe use of the word "blue" in this')
    assert (r.finish_reason, r.usage) == ("length", None)
    assert codes(r) == ["finish_length"]


def test_corpus_ollama_generate_stream():
    r = corpus_file("2025-08/tests/integration/recordings/responses/04172112ffbb.json").result
    assert (r.stream_format, r.chunks) == ("ollama", 18)
    assert r.text == "Here's one:\n\nWhat do you call a fake noodle?\n\nAn impasta!"
    assert (r.finish_reason, r.usage) == ("stop", {"prompt_tokens": 56, "completion_tokens": 18})
    assert r.anomalies == []


def test_corpus_ollama_chat_stream():
    r = corpus_file("2025-08/tests/integration/recordings/vision/responses/ff7db0102b28.json").result
    assert (r.stream_format, r.chunks) == ("ollama", 92)
    assert r.text == (
        "The image features a close-up of a golden retriever puppy, with its mouth open and tongue out, as if it is smiling or panting. "
        "The puppy's fur is a light golden color, and its ears are long and floppy. The background of the image is blurred, but it appears "
        "to be a natural setting, possibly outdoors. The overall atmosphere of the image is one of happiness and playfulness, as the puppy "
        "seems to be enjoying itself."
    )
    assert (r.finish_reason, r.usage) == ("stop", {"prompt_tokens": 18, "completion_tokens": 92})


def test_corpus_genai_text_stream():
    r = corpus_file("2026-05/tests/integration/common/recordings/aadc14f16a23419bd29c6766445aa68053b450cdd49b8429c7247690084f3357.json").result
    assert (r.stream_format, r.chunks) == ("genai", 5)
    assert r.text == "The Eiffel Tower was built from **1887 to 1889**. Construction started on January 28, 1887, and it was completed on March 31, 1889.\n"
    assert r.finish_reason == "STOP"
    assert r.usage == {"candidates_token_count": 49, "prompt_token_count": 241, "total_token_count": 290, "traffic_type": "ON_DEMAND"}


def test_corpus_genai_function_call_stream():
    rec = corpus_file("2026-05/tests/integration/responses/recordings/2488466de021f1a4a5d850dfb35991aa769399a1804932aea5a0d8615a4c5c25.json")
    r = rec.result
    assert calls(r) == [(0, None, "get_weather", '{"location":"San Francisco, USA"}')]
    assert (r.text, r.finish_reason) == ("", "STOP")
    assert r.usage == {"candidates_token_count": 8, "prompt_token_count": 21, "total_token_count": 29, "traffic_type": "ON_DEMAND"}


def test_corpus_gemini_interactions_sse():
    rec = corpus_file("2026-05/tests/integration/interactions/recordings/2cb6caa89a82691b08f59f724d697f518e57b07818c26c8a78c972dab8f3a95c.json")
    r = rec.result
    assert (r.stream_format, r.chunks) == ("gemini-sse", 11)   # events (33 SSE lines)
    assert (r.text, r.reasoning, r.finish_reason) == ("1, 2, 3, 4, 5", "", "completed")
    assert r.usage == {"total_tokens": 25, "total_input_tokens": 13, "total_cached_tokens": 0, "total_output_tokens": 12,
                       "total_tool_use_tokens": 0, "total_thought_tokens": 0}
    assert r.anomalies == []


def test_corpus_interaction_function_call():
    r = corpus_file("2026-05/tests/integration/interactions/recordings/e216e7d123ca9479420f4e7c34643ee803b24dac911b5fb8c96a422fa2fc92c2.json").result
    assert calls(r) == [(0, "lsdifx64", "get_weather", '{"location":"Tokyo"}')]
    assert r.finish_reason == "requires_action"
    assert r.usage == {"total_tokens": 73, "total_input_tokens": 58, "total_cached_tokens": 0, "total_output_tokens": 15,
                       "total_tool_use_tokens": 0, "total_thought_tokens": 0}


def test_corpus_anthropic_message():
    r = corpus_file("2026-05/tests/integration/messages/recordings/0d76cd7b3dae3f44e2990645cb1617d5c84b80daf77535a00ce1ab680308881a.json").result
    assert r.stream_format == "anthropic-message"
    assert r.reasoning == "The user wants 15 * 7. We'll use the calculator tool."
    assert calls(r) == [(0, "call_dg2g1ozz", "calculator", '{"expression":"15 * 7"}')]
    assert (r.finish_reason, r.usage, r.anomalies) == ("tool_use", {"input_tokens": 144, "output_tokens": 42}, [])


def test_corpus_schema_mismatch_in_a_real_tool_call():
    r = corpus_file("2025-10/tests/integration/inference/recordings/f3bbb5229763f689be0dd350b96e1067861fdaa62a976a1a8f74ae18c1bb5bcb.json").result
    assert calls(r) == [(0, "call_4nzxw162", "calculate", '{"operation":"+","x":"5","y":"3"}')]
    assert [a.message for a in r.anomalies] == ["arguments of calculate: x should be number, got string",
                                                "arguments of calculate: y should be number, got string"]


def test_corpus_recorded_exception():
    rec = corpus_file("2026-02/tests/integration/inference/recordings/28a43dc80443ccae98eee165c58522090fd6f0637031153b0105399093d39c52.json")
    r = rec.result
    assert r.stream_format == "error"
    assert r.error == {"category": "provider_sdk", "provider": "openai", "type": "BadRequestError",
                       "message": "Error code: 400 - {'error': {'message': 'invalid image input', 'type': 'invalid_request_error', 'param': None, 'code': None}}",
                       "status_code": 400,
                       "body": {"message": "invalid image input", "type": "invalid_request_error", "param": None, "code": None}}
    assert (r.choices, r.anomalies) == ([], [])
    s = rec.summary()
    assert ("error" in s.flags, s.finish_reason, s.chunks) == (True, None, 0)


def test_corpus_http_400_passthrough():
    r = corpus_file("2026-05/tests/integration/common/recordings/cf0be7f9e2ebfc78903aa4ada30204585952f77bc5acb3ff7702bd7878d44b44.json").result
    assert r.error == {"category": "http", "message": "messages is required", "status_code": 400}


# --- the lean loops of events=False ------------------------------------------------------
#
# Without events (what indexing wants) the readers skip their per-chunk events and
# nothing else: the Result must be the very one built with events=True, events aside.


def without_events_and_reference(response, body=None):
    """(events=False result, events=True result with its events taken out, those events)."""
    lean = reassemble(response, body, events=False)
    ref = reassemble(response, body, events=True)
    ref_events, ref.events = ref.events, []
    return lean, ref, ref_events


def assert_same_as_reference(response, body=None):
    lean, ref, ref_events = without_events_and_reference(response, body)
    assert lean.events == []
    assert lean == ref
    assert repr(lean) == repr(ref)   # also tells 0 from False and 1 from 1.0, which == does not
    return lean, ref_events


USAGE = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
SDK_DELTA = {"content": None, "function_call": None, "refusal": None, "role": None, "tool_calls": None}


def sdk_chunk(**delta):
    """A chunk as the OpenAI SDK serializes it: every delta key present, most of them None."""
    return chunk({"index": 0, "delta": {**SDK_DELTA, **delta}, "finish_reason": delta.pop("finish", None), "logprobs": None})


LEAN_CASES = {
    # name: (response, request body, (stream_format, anomaly codes) of the reference)
    "openai text": (stream([sdk_chunk(role="assistant", content="Hel"), sdk_chunk(content="lo"), sdk_chunk(role="assistant", content="!"),
                            chunk(ch(finish="stop")), chunk(usage=USAGE)]), None, ("openai-chat", [])),
    "openai tool-call fragments": (stream([
        chunk(ch(role="assistant", content="Both: ")),
        chunk(ch(tool_calls=[frag(0, "", id="call_1", name="get_weather", type="function")])),
        chunk(ch(tool_calls=[frag(0, '{"city":'), frag(1, "", id="call_2", name="get_time", type="function")])),
        chunk(ch(tool_calls=[frag(0, '"Oslo"}', type="function"), frag(1, "")])),   # Bedrock: `type` again, empty arguments
        chunk(ch(tool_calls=[frag(1, '{"city":"Oslo"}'), {"index": None, "function": {"name": "extra", "arguments": {"a": 1}}}, "junk"])),
        chunk(ch(finish="tool_calls")), chunk(usage=USAGE)]), TOOLS_BODY, ("openai-chat", ["unknown_tool"])),
    "openai reasoning deltas": (stream([chunk(ch(role="assistant", reasoning="Think")), chunk(ch(reasoning_content=" more")),
                                        chunk(ch(content="Done", reasoning="", reasoning_content="!")), chunk(ch(finish="length"))]), None, ("openai-chat", ["finish_length"])),
    "openai usage-only chunks": (stream([chunk(prompt_filter_results=[{"prompt_index": 0}]), chunk(ch(role="assistant", content="a"), usage=USAGE),
                                         chunk(ch(content="b"), usage={"total_tokens": 9}), chunk(ch(finish="stop")), chunk(usage=None),
                                         chunk(usage={"total_tokens": 10})]), None, ("openai-chat", [])),
    "openai logprobs and role only": (stream([chunk(ch(role="assistant", logprobs={"content": [{"token": "a"}]})),
                                              chunk(ch(content="a", logprobs={"content": [{"token": "a"}]}, finish="stop"))]), None, ("openai-chat", [])),
    "openai no choice at all": (stream([chunk(), chunk(usage=USAGE)]), None, ("openai-chat", [])),
    "openai sse lines": ({"status": 200, "body": sse(("", chunk(ch(role="assistant", content="Hi"))["__data__"]),
                                                     ("", {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
                                                     ("", "[DONE]"))}, None, ("openai-sse", [])),
    "openai two choices in a chunk": (stream([chunk(ch(0, role="assistant", content="a"), ch(1, role="assistant", content="b")),
                                              chunk(ch(0, finish="stop"), ch(1, finish="stop"))]), None, ("openai-chat", [])),
    "openai choice index 1": (stream([chunk(ch(0, role="assistant", content="a")), chunk(ch(1, role="assistant", content="b")),
                                      chunk(ch(0, finish="stop")), chunk(ch(1, finish="length"))]), None, ("openai-chat", ["finish_length"])),
    "openai only choice index 1": (stream([chunk(ch(1, role="assistant", content="b", finish="stop"))]), None, ("openai-chat", [])),
    "openai chunk after finish": (stream([chunk(ch(role="assistant", content="a", finish="stop")), chunk(ch(role="assistant")),
                                          chunk(ch(content="late")), chunk(ch(tool_calls=[frag(0, '{"city":"Oslo"}', name="get_time")]))]), TOOLS_BODY, ("openai-chat", ["chunk_after_finish", "chunk_after_finish"])),
    "openai non-dict chunks": (stream([chunk(ch(role="assistant", content="a")), "oops", 7, None, chunk(ch(finish="stop"))]), None, ("openai-chat", ["bad_chunk", "bad_chunk", "bad_chunk"])),
    "openai typed chunk without data": (stream([chunk(ch(role="assistant", content="a", finish="stop")), {"__type__": CHUNK}]), None, ("openai-chat", ["bad_chunk"])),
    "openai __data__ without __type__": (stream([chunk(ch(role="assistant", content="a", finish="stop")), {"__data__": chunk(ch(content="b"))["__data__"]}]), None, ("openai-chat", [])),
    "openai null delta and odd index": (stream([chunk(ch(role="assistant", content="a")), chunk({"index": None, "delta": None, "finish_reason": "stop"})]), None, ("openai-chat", [])),
    "openai text not a string": (stream([chunk(ch(role="assistant", content="a")), chunk(ch(content=["b"]))]), None, ("invalid", ["bad_response"])),
    "openai error midstream": ({"body": [chunk(ch(role="assistant", content="a"))], "is_exception": True, "exception_message": "x"}, None, ("openai-chat", ["no_finish", "error_midstream"])),
    "ollama generate with thinking": (stream([ollama_gen("", thinking="hmm"), ollama_gen("Yes"), ollama_gen("!", thinking=" ok"),
                                              ollama_gen("", done=True, done_reason="length", prompt_eval_count=3, eval_count=5)]), None, ("ollama", ["finish_length"])),
    "ollama chat without done": (stream([ollama_chat("Hi", thinking="t"), ollama_chat(" there"), ollama_chat(None, message=None)]), None, ("ollama", ["no_finish"])),
    "ollama single body": (single(ollama_gen("Hello", done=True, done_reason=None, eval_count=2)), None, ("ollama", [])),
    "ollama tool calls": (stream([ollama_chat("", tool_calls=[{"function": {"name": "get_time", "arguments": {"city": "Oslo"}}}]),
                                  ollama_chat("", done=True, done_reason="stop")]), TOOLS_BODY, ("ollama", [])),
    "ollama text after done": (stream([ollama_chat("Hi"), ollama_chat("", done=True, done_reason="stop"), ollama_chat(" again")]), None, ("ollama", ["chunk_after_finish"])),
    "ollama non-dict chunk": (stream([ollama_gen("a"), ["x"], ollama_gen("b", done=True)]), None, ("ollama", [])),
    "genai text, thought and usage": (stream([genai([{"text": "Hmm", "thought": True}]), genai([{"text": "The"}, {"text": " end"}]),
                                              {"candidates": [], "usage_metadata": {"total_token_count": 3}},
                                              genai([{"text": "."}], finish="STOP", usage=GENAI_USAGE)]), None, ("genai", [])),
    "genai single body": (single(genai([{"text": "Hi"}], finish="MAX_TOKENS", usage=GENAI_USAGE)), None, ("genai", ["finish_length"])),
    "genai function call": (stream([genai([{"text": "Let me see."}]), genai([{"function_call": {"name": "get_time", "args": {"city": "Oslo"}}}], finish="STOP")]),
                            TOOLS_BODY, ("genai", [])),
    "genai two candidates": (stream([{"candidates": [{"content": {"parts": [{"text": "a"}]}}, {"content": {"parts": [{"text": "b"}]}, "finish_reason": "STOP"}]}]),
                             None, ("genai", ["no_finish"])),
    "genai candidate index 1 or false": (stream([{"candidates": [{"index": 1, "content": {"parts": [{"text": "a"}]}}]},
                                                 {"candidates": [{"index": False, "content": {"parts": [{"text": "b"}]}, "finish_reason": "STOP"}]}]),
                                         None, ("genai", ["no_finish"])),
    "openai-completion": (stream([completion("a"), completion("b", finish="stop"), completion(None, choices=[], usage=USAGE)]), None,
                                         ("openai-completion", [])),
}


@pytest.mark.parametrize("name", list(LEAN_CASES))
def test_without_events_the_result_is_the_reference_one(name):
    response, body, (fmt, anomaly_codes) = LEAN_CASES[name]
    lean, ref_events = assert_same_as_reference(response, body)
    assert (lean.stream_format, codes(lean)) == (fmt, anomaly_codes)
    if isinstance(response["body"], list) and fmt != "invalid":
        assert ref_events, "the reference recorded its events"


@pytest.mark.parametrize("response,fmt", WEIRD)
def test_type_confused_bodies_give_the_reference_result_without_events(response, fmt):
    assert_same_as_reference(response, {"tools": [{"function": {"name": "f", "parameters": {"type": "object", "required": 5}}}]})


def test_corpus_without_events_every_result_is_the_reference_one():
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    differ, no_ref_events, checked = [], [], 0
    for path in sorted(CORPUS.rglob("*.json")):
        rec = Recording.load(path)
        if rec.problem:
            continue
        lean, ref, ref_events = without_events_and_reference(rec.response, rec.body)
        checked += 1
        rel = str(path.relative_to(CORPUS))
        if lean.events or lean != ref or repr(lean) != repr(ref):
            differ.append(rel)
        if isinstance(rec.response.get("body"), list) and lean.chunks and not ref_events:
            no_ref_events.append(rel)
    assert checked > 0
    assert differ == []
    assert no_ref_events == []   # with events, every stream recorded them
