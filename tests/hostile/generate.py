"""Write a directory of hostile files (at test time, never committed).

`build(root)` writes every case and returns the `Case`s: what each file is and
what the tool must make of it. The README table in this folder lists the same
cases. Everything is deterministic (no randomness without a seed).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

# What terminal and markup injection looks like: clear screen, OSC 52 clipboard
# write, OSC 8 link, cursor moves, bell, backspaces, CR, a C1 CSI, Rich markup, HTML.
ESC_SEQS = "\x1b[2J\x1b[H\x1b[31mred\x1b[0m\x1b]52;c;cm0gLXJmIH4=\x07\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\\x1b[5A\x07\x08\x08\x08\r\x9b1m"
MARKUP = "[bold red]markup[/bold red] [link=https://evil.example]link[/link]"
HTML = '<script>alert(1)</script><img src=x onerror=alert(2)></details>&amp;'
EVIL = f"evil {ESC_SEQS} {MARKUP} {HTML} end"

CHUNK = "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"
HUGE_BYTES = 50 * 1024 * 1024
STREAM_CHUNKS = 100_000


@dataclass(frozen=True)
class Case:
    name: str                # path relative to the root ('/'-separated)
    what: str                # the hostile input, for people
    problem: str | None      # a substring of the problem the tool reports; None: reads as a recording
    listed: bool = True      # False: not a recording file at all (a FIFO, a loop), never listed
    note: str | None = None  # a substring of the tolerated-oddity note, when one is expected


def chat(content: str = "Hi", reply: str = "Hello!", *, test_id: str = "tests/integration/test_h.py::test_h[txt=openai/gpt-4o]",
         model: str = "gpt-4o", tool: str = "get_weather", args: str = '{"city": "Paris"}', stream: bool = True) -> dict:
    """A well-formed streamed OpenAI chat recording with a tool call."""
    tools = [{"type": "function", "function": {"name": tool, "description": "d", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    chunks = [
        {"__type__": CHUNK, "__data__": {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": reply}, "finish_reason": None}]}},
        {"__type__": CHUNK, "__data__": {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": tool, "arguments": args}}]}, "finish_reason": None}]}},
        {"__type__": CHUNK, "__data__": {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}},
    ]
    return {
        "test_id": test_id,
        "request": {"method": "POST", "url": "https://api.openai.com/v1/chat/completions", "headers": {}, "endpoint": "/v1/chat/completions", "model": model,
                    "body": {"model": model, "stream": stream, "tools": tools, "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": content}]}},
        "response": {"body": chunks, "is_streaming": True},
    }


def dump(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _wrong_types() -> dict:
    """Every field of a recording present with the wrong JSON type."""
    return {
        "test_id": 12,
        "id_normalization_mapping": ["not", "a", "mapping"],
        "request": {
            "method": 1, "url": ["https://x"], "headers": "h", "endpoint": {"e": 1}, "model": ["m"], "provider_metadata": "p", "test_id": 3,
            "body": {"model": 4, "stream": "yes", "messages": "hello", "tools": {"a": 1}, "system": 5, "contents": 7, "input": 8, "prompt": [1], "query": {}, "config": []},
        },
        "response": {"body": 12, "is_streaming": "sometimes", "is_exception": "yes", "exception_data": [], "exception_message": {}, "status": "500"},
    }


def _wrong_types_stream() -> dict:
    """A stream whose every chunk has fields of the wrong type."""
    bad = [None, 1, "x", [], {}, True, 1.5]
    chunks = []
    for i, v in enumerate(bad):
        chunks.append({"__type__": CHUNK, "__data__": {"object": "chat.completion.chunk", "usage": v, "choices": [
            {"index": v, "delta": {"role": v, "content": v, "reasoning": v, "tool_calls": [v, {"index": v, "id": v, "type": v, "function": v}]}, "finish_reason": v, "logprobs": v},
            {"index": i, "delta": v}, v]}})
    chunks.append({"__type__": CHUNK, "__data__": {"object": "chat.completion.chunk", "choices": "nope"}})
    rec = chat()
    rec["request"]["body"]["messages"] = [{"role": 1, "content": [1, None, {"type": 5}, {"type": "image_url", "image_url": 3}], "tool_calls": [1, {"function": 2}]}, 7, None]
    rec["request"]["body"]["tools"] = [1, {"type": "function", "function": "x"}, {"function": {"name": 3, "parameters": []}}]
    rec["response"]["body"] = chunks
    return rec


def _unknown_types() -> dict:
    rec = chat()
    rec["response"] = {"body": [{"__type__": "evil.module.Unknown", "__data__": {"x": 1}}, {"__type__": 5, "__data__": None}, {"__type__": None}, {"__type__": "a.B"}],
                       "is_streaming": True}
    rec["request"]["body"]["messages"].append({"__type__": "evil.Message", "__data__": {"role": "user", "content": "hidden"}})
    return rec


def _huge_string() -> bytes:
    """A valid recording whose user message is one 50 MB line (with injection at both ends)."""
    head = dump(chat(content="@@HUGE@@"))
    filler = "x" * (HUGE_BYTES - 2 * len(EVIL))
    text = json.dumps(EVIL + filler + EVIL, ensure_ascii=False)[1:-1].encode()
    return head.replace(b"@@HUGE@@", text)


def _stream_100k() -> bytes:
    """100,000 streamed chunks (one character each), then the finish."""
    one = '{"__type__":"' + CHUNK + '","__data__":{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}}'
    last = '{"__type__":"' + CHUNK + '","__data__":{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}}'
    rec = chat()
    rec["response"]["body"] = "@@CHUNKS@@"
    body = ",".join([one] * (STREAM_CHUNKS - 1) + [last])
    return dump(rec).replace(b'"@@CHUNKS@@"', ("[" + body + "]").encode())


def _cut_mid_write() -> bytes:
    """A good recording cut off in the middle of a multi-byte character, as a crashed writer leaves it."""
    data = dump(chat(content="ünïcødé 🎉 " * 50))
    cut = data.index("🎉".encode()) + 2
    return data[:cut]


def _injection() -> dict:
    """Terminal, Rich and HTML injection in every recorded string a face shows."""
    rec = chat(content=EVIL, reply=EVIL, test_id=f"tests/integration/test_{EVIL}.py::test_{EVIL}", model=f"model-{EVIL}",
               tool=f"tool{ESC_SEQS}{MARKUP}", args=json.dumps({"a": EVIL}))
    rec["request"]["endpoint"] = f"/v1/chat/completions{ESC_SEQS}"
    rec["request"]["body"]["messages"].append({"role": "assistant", "content": EVIL, "reasoning_content": EVIL})
    rec["request"]["body"]["messages"].append({"role": "tool", "tool_call_id": EVIL, "name": EVIL, "content": EVIL})
    rec["response"]["body"][0]["__data__"]["choices"][0]["delta"]["reasoning_content"] = EVIL
    rec["response"]["body"].append({"__type__": CHUNK, "__data__": {"object": "chat.completion.chunk", "choices": [], "usage": {EVIL: 1, "prompt_tokens": 3}}})
    rec["response"]["is_exception"] = True
    rec["response"]["exception_data"] = {"category": EVIL, "type": EVIL, "message": EVIL}
    return rec


def _injection_single() -> dict:
    """A non-streamed response and an anomaly message carrying injection (tool not offered)."""
    return {
        "test_id": f"tests/integration/test_single.py::test_single[{ESC_SEQS}]",
        "request": {"method": "POST", "url": "http://localhost:11434/api/chat", "endpoint": "/api/chat", "model": "llama",
                    "body": {"model": "llama", "messages": [{"role": "user", "content": EVIL}], "tools": []}},
        "response": {"body": {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": {"object": "chat.completion", "choices": [
            {"index": 0, "finish_reason": EVIL, "message": {"role": "assistant", "content": EVIL,
                                                             "tool_calls": [{"id": EVIL, "type": "function", "function": {"name": EVIL, "arguments": EVIL}}]}}],
            "usage": {"prompt_tokens": 1, EVIL: 2}}}, "is_streaming": False},
    }


def _sse(events: list[tuple[str, str]]) -> list[str]:
    lines: list[str] = []
    for name, data in events:
        lines += [f"event: {name}", f"data: {data}", ""]
    return lines


def _anthropic_sse() -> dict:
    """Anthropic SSE lines: some not JSON, some of the wrong shape, one with injection."""
    j = json.dumps
    lines = _sse([
        ("message_start", j({"type": "message_start", "message": {"role": 5, "usage": "u"}})),
        ("message_start", j({"type": "message_start", "message": []})),
        ("content_block_start", j({"type": "content_block_start", "index": "x", "content_block": "nope"})),
        ("content_block_start", j({"type": "content_block_start", "index": [], "content_block": {"type": "tool_use", "id": 5, "name": []}})),
        ("content_block_delta", "{not json"),
        ("content_block_delta", j({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": EVIL}})),
        ("content_block_delta", j({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}})),
        ("content_block_delta", j({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": None}})),
        ("content_block_delta", j({"type": "content_block_delta", "index": 0, "delta": "x"})),
        ("message_delta", j({"type": "message_delta", "delta": [], "usage": 5})),
        ("message_delta", j({"type": "message_delta", "delta": {"stop_reason": {"a": 1}}, "usage": {"output_tokens": "many"}})),
        (ESC_SEQS, "1"),
        ("error", j({"type": "error", "error": "boom"})),
        ("message_stop", "[]"),
    ])
    lines.append(12)
    return {"test_id": "tests/integration/test_a.py::test_a", "request": {"method": "POST", "url": "https://api.anthropic.com/v1/messages", "endpoint": "/v1/messages",
            "payload": {"model": "claude", "messages": [{"role": "user", "content": [{"type": "text", "text": EVIL}, {"type": "tool_result", "content": 5}]}]}},
            "response": {"body": lines, "is_streaming": True}}


def _gemini_sse() -> dict:
    """Gemini interactions SSE lines of the wrong shape."""
    j = json.dumps
    lines = _sse([
        ("content.start", j({"index": [], "content": {"type": "function_call", "id": 1, "name": EVIL, "arguments": 5}})),
        ("content.start", j({"index": 2, "content": "x"})),
        ("content.delta", j({"index": 0, "delta": {"type": "text", "text": None}})),
        ("content.delta", j({"index": 0, "delta": {"type": "function_call", "arguments": {"a": EVIL}}})),
        ("content.delta", j({"index": 0, "delta": []})),
        ("interaction.complete", j({"interaction": {"status": 5, "usage": []}})),
        ("error", j({"error": [1]})),
    ])
    return {"request": {"method": "POST", "url": "https://generativelanguage.googleapis.com/v1beta/interactions", "endpoint": "/v1beta/interactions",
            "payload": {"model": "gemini", "input": [EVIL, 5]}}, "response": {"body": lines, "is_streaming": True}}


def build(root: Path, *, huge: bool = True) -> list[Case]:
    """Write every hostile case under `root`; `huge=False` leaves out the 50 MB and 100k-chunk files."""
    root.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def put(name: str, data: bytes, what: str, problem: str | None, note: str | None = None) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        cases.append(Case(name, what, problem, note=note))

    good = dump(chat())
    put("good.json", good, "a well-formed recording (the control)", None)
    put("empty.json", b"", "empty file", "empty file")
    put("blank.json", b" \n\t\r\n", "whitespace only", "empty file")
    put("bom-only.json", b"\xef\xbb\xbf", "a UTF-8 BOM and nothing else", "empty file")
    put("truncated.json", good[: len(good) // 2], "truncated JSON", "truncated JSON")
    put("cut-mid-write.json", _cut_mid_write(), "a file cut in the middle of a write (inside a multi-byte character)", "truncated")
    put("binary.json", random.Random(6).randbytes(8192), "binary garbage (with NUL bytes)", "not ")
    put("nul-bytes.json", good[:40] + b"\x00" * 64 + good[40:], "NUL bytes inside JSON", "not valid JSON")
    put("invalid-utf8.json", good.replace(b"be brief", b"be \xff\xfe brief"), "invalid UTF-8 inside a string", "not UTF-8 text")
    put("latin1.json", dump(chat(content="@")).replace(b'"@"', b'"caf\xe9"'), "Latin-1 text (not UTF-8)", "not UTF-8 text")
    put("bom.json", b"\xef\xbb\xbf" + good, "a UTF-8 BOM before a good recording", None, note="byte-order mark")
    put("utf16.json", "\ufeff".encode("utf-16-le") + json.dumps(chat()).encode("utf-16-le"), "UTF-16 text", "not ")
    put("deep-array.json", b"[" * 100_000 + b"]" * 100_000, "JSON nested 100,000 levels deep (arrays)", "nested too deeply")
    put("deep-object.json", b'{"request": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b', "response": {}}', "JSON nested 100,000 levels deep (inside a recording)", "nested too deeply")
    put("deep-unclosed.json", b"[" * 100_000, "100,000 opening brackets, never closed", "")
    put("nan.json", dump(chat()).replace(b'"stream": true', b'"stream": true, "temperature": NaN, "top_p": Infinity, "seed": -Infinity'),
        "NaN / Infinity / -Infinity", None, note="NaN or Infinity")
    put("top-array.json", b"[1, 2, 3]", "a top-level array", "JSON array, not an object")
    put("top-number.json", b"42", "a top-level number", "JSON number, not an object")
    put("top-string.json", b'"a recording"', "a top-level string", "JSON string, not an object")
    put("top-null.json", b"null", "a top-level null", "JSON null, not an object")
    put("top-huge-number.json", b"1" * 5000, "a 5,000-digit number", "")
    put("no-request.json", b'{"response": {}}', "an object without a request", "no request object")
    put("wrong-shape.json", b'{"request": "GET /", "response": [1]}', "request and response of the wrong type", "not a recording")
    put("wrong-types.json", dump(_wrong_types()), "a recording with every field of the wrong type", None)
    put("wrong-types-stream.json", dump(_wrong_types_stream()), "a stream whose chunks have every field of the wrong type", None)
    put("unknown-type.json", dump(_unknown_types()), "unknown and non-string __type__s, missing __data__", None)
    put("anthropic-bad-sse.json", dump(_anthropic_sse()), "SSE lines that are not JSON or of the wrong shape", None)
    put("gemini-bad-sse.json", dump(_gemini_sse()), "Gemini interaction SSE lines of the wrong shape", None)
    put("dup-keys.json", b'{"request": {"model": "a", "model": "b", "body": {}}, "request": {"model": "c", "body": {}}, "response": {"body": null}}',
        "duplicate keys", None)
    put("surrogates.json", b'{"request": {"model": "\\ud800\\udfff\\udc00", "body": {"messages": [{"role": "user", "content": "\\udc80 lone"}]}}, "response": {"body": "\\ud83d"}}',
        "lone UTF-16 surrogates in JSON escapes", None)
    put("injection.json", dump(_injection()), "ANSI/OSC escapes, Rich markup and HTML in every recorded string", None)
    put("injection-single.json", dump(_injection_single()), "injection in a non-streamed response, finish reason, usage, tool call", None)
    put(f"name-{ESC_SEQS.replace('/', '')}[bold]x[red]<b>.json", good, "escape sequences, markup and HTML in the file name", None)
    # A name that is not UTF-8 at all (Linux allows any bytes but '/' and NUL).
    bad_name = os.fsdecode(b"bad-name-\xff\xfe.json")
    (root / bad_name).write_bytes(good)
    cases.append(Case(bad_name, "a file name that is not valid UTF-8", None))
    put("problem-dir.json/inner.json", b"{", "a directory named *.json (the file inside is read)", "truncated JSON")
    put("no-read.json", good, "a file without read permission (mode 000)", "permission denied")
    os.chmod(root / "no-read.json", 0)
    put("vanishes.json", good, "deleted between listing and reading (the test deletes it mid-scan)", None)
    put("replaced.json", good, "replaced between listing and reading (the test swaps it mid-scan)", None)

    os.mkfifo(root / "fifo.json")
    cases.append(Case("fifo.json", "a FIFO named *.json (reading it would block for ever)", None, listed=False))
    os.symlink(".", root / "loop")
    cases.append(Case("loop", "a directory symlink loop (loop -> .)", None, listed=False))
    os.symlink("self-loop.json", root / "self-loop.json")
    cases.append(Case("self-loop.json", "a file symlink to itself", None, listed=False))
    os.symlink("nowhere.json", root / "dangling.json")
    cases.append(Case("dangling.json", "a dangling symlink", None, listed=False))

    if huge:
        put("huge-string.json", _huge_string(), "a 50 MB single-line string", None)
        put("stream-100k.json", _stream_100k(), "a stream of 100,000 chunks", None)
    return cases
