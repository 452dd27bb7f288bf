"""Write the notebook test's fixture recordings (committed; rerun to regenerate them).

A two-turn streamed tool-calling test whose tool call arguments arrive in
fragments (so seeing them whole proves reassembly), and a hostile recording
whose every string tries to break out of the HTML.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent / "recordings"
WEATHER_TEST = "tests/integration/inference/test_notebook_fixture.py::test_weather[txt=openai/gpt-4o]"
HOSTILE = '<script>alert("pwned")</script> <img src=x onerror=alert(1)> </details></summary> & \'quotes\' "too" \x1b[31mred\x1b[0m'
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def name(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def chunk(rid: str, delta: dict, finish: str | None = None, usage: dict | None = None, choices: bool = True) -> dict:
    data = {"id": rid, "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}] if choices else [], "usage": usage}
    return {"__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk", "__data__": data}


def request(messages: list, tools: list | None = TOOLS, model: str = "gpt-4o") -> dict:
    body = {"model": model, "messages": messages, "stream": True, "stream_options": {"include_usage": True}}
    if tools:
        body["tools"] = tools
    return {"method": "POST", "url": "https://api.openai.com/v1/v1/chat/completions", "headers": {}, "body": body,
            "endpoint": "/v1/chat/completions", "model": model}


def tool_call_fragments(rid: str, call_id: str, fn: str, pieces: list[str]) -> list[dict]:
    out = [chunk(rid, {"role": "assistant", "content": None, "tool_calls": [
        {"index": 0, "id": call_id, "type": "function", "function": {"name": fn, "arguments": ""}}]})]
    out += [chunk(rid, {"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces]
    out.append(chunk(rid, {}, "tool_calls"))
    out.append(chunk(rid, {}, usage={"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59}, choices=False))
    return out


def text_chunks(rid: str, pieces: list[str]) -> list[dict]:
    out = [chunk(rid, {"role": "assistant", "content": ""})]
    out += [chunk(rid, {"content": p}) for p in pieces]
    out.append(chunk(rid, {}, "stop"))
    return out


def main() -> None:
    HERE.mkdir(exist_ok=True)
    ask = {"role": "user", "content": "What is the weather in Paris?"}
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_w1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}
    turn1, turn2 = name("weather-1"), name("weather-2")
    recordings = {
        turn1: {"test_id": WEATHER_TEST, "request": request([ask]),
                "response": {"body": tool_call_fragments("rec-" + turn1[:12], "call_w1", "get_weather", ['{"ci', 'ty": "Pa', 'ris"}']), "is_streaming": True}},
        turn2: {"test_id": WEATHER_TEST, "request": request([ask, call, {"role": "tool", "tool_call_id": "call_w1", "content": "18C and sunny"}]),
                "response": {"body": text_chunks("rec-" + turn2[:12], ["It is ", "18C and ", "sunny in Paris."]), "is_streaming": True}},
    }
    hostile = name("hostile")
    hostile_tool = "<img src=x onerror=alert(2)>"
    recordings[hostile] = {
        "test_id": f"tests/integration/inference/test_notebook_fixture.py::test_hostile[{HOSTILE}]",
        "request": request([{"role": "system", "content": HOSTILE}, {"role": "user", "content": "Say " + HOSTILE}],
                           tools=[{"type": "function", "function": {"name": hostile_tool, "description": HOSTILE, "parameters": {
                               "type": "object", "properties": {"x</details>": {"type": "string"}}}}}],
                           model="gpt-4o<script>alert(3)</script>"),
        "response": {"body": tool_call_fragments("rec-" + hostile[:12], "call_<b>", hostile_tool, ['{"x</details>": "', "</summary><script>alert(4)</script>", '"}'])
                     + [chunk("rec-" + hostile[:12], {"content": HOSTILE})], "is_streaming": True},
    }
    for stem, rec in recordings.items():
        (HERE / f"{stem}.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
