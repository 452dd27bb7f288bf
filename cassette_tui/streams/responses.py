"""OpenAI Responses API: streamed events and single Response objects, reassembled like chat.

Event names and payloads as documented at
https://platform.openai.com/docs/api-reference/responses-streaming: `response.created`,
`response.output_item.added` / `.done` (a `message`, `function_call` or `reasoning` item),
`response.output_text.delta`, `response.function_call_arguments.delta`,
`response.reasoning_summary_text.delta`, `response.completed` / `.incomplete` / `.failed`
(the final Response, with `status` and `usage`), and `error`.
"""

from __future__ import annotations

from typing import Any

from ..model import Choice, Result, ToolCall
from .common import emitter, finish_checks, set_only_choice


def is_responses_event(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("type"), str) and data["type"].startswith("response.")


def is_response_object(data: Any) -> bool:
    return isinstance(data, dict) and data.get("object") == "response" and isinstance(data.get("output"), list)


class _Stream:
    """The state of one Responses stream while its events are read."""

    def __init__(self, r: Result, emit: Any):
        self.r = r
        self.emit = emit
        self.choice = Choice(index=0, role="assistant")
        self.calls: dict[Any, ToolCall] = {}   # output_index (or item id) -> its call

    def call_for(self, data: dict, item: dict | None = None) -> ToolCall | None:
        key = data.get("output_index", data.get("item_id"))
        call = self.calls.get(key)
        if call is None and item is not None:
            call = ToolCall(index=len(self.choice.tool_calls), id=item.get("call_id") or item.get("id"), name=item.get("name"), type="function")
            self.choice.tool_calls.append(call)
            self.calls[key] = call
        return call


def responses_stream(events: list[tuple[int, str, Any]], r: Result, emit: Any) -> Result:
    """Reassemble (event number, event name, data) triples of a Responses stream into `r`.

    `emit(n, what, text, detail=...)` records what each event added (common.emitter).
    """
    s = _Stream(r, emit)
    for n, name, data in events:
        if not isinstance(data, dict):
            emit(n, "meta", detail=str(data)[:40])
            continue
        typed = data.get("type")
        _event(s, n, typed if isinstance(typed, str) else name, data)
    set_only_choice(r, s.choice)
    return r


def _event(s: _Stream, n: int, name: str, data: dict) -> None:
    choice, emit = s.choice, s.emit
    if name == "response.output_text.delta":
        choice.content += str(data.get("delta") or "")
        emit(n, "text", str(data.get("delta") or ""))
    elif name in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
        choice.reasoning += str(data.get("delta") or "")
        emit(n, "reasoning", str(data.get("delta") or ""))
    elif name == "response.output_item.added" and _item_type(data) == "function_call":
        call = s.call_for(data, data["item"])
        if call is not None:
            call.arguments += str(data["item"].get("arguments") or "")
            emit(n, "tool_call", call.name or "", tool_index=call.index, detail=call.id or "")
    elif name == "response.function_call_arguments.delta":
        call = s.call_for(data, {"id": data.get("item_id")})
        if call is not None:
            call.arguments += str(data.get("delta") or "")
            emit(n, "tool_args", str(data.get("delta") or ""), tool_index=call.index)
    elif name == "response.output_item.done" and _item_type(data) == "function_call":
        item = data["item"]
        call = s.call_for(data, item)
        if call is not None:   # the done item is whole: it settles id, name and arguments
            call.id = item.get("call_id") or call.id
            call.name = item.get("name") or call.name
            if isinstance(item.get("arguments"), str) and item["arguments"]:
                call.arguments = item["arguments"]
        emit(n, "meta", detail="function_call done")
    elif name in ("response.completed", "response.incomplete", "response.failed"):
        final = data.get("response")
        _final(s, n, final if isinstance(final, dict) else {})
    elif name == "error":
        s.r.error = {"category": "stream", "type": data.get("code"), "message": data.get("message")}
        emit(n, "error", str(data.get("message") or ""), detail=str(data.get("code") or ""))
    else:
        emit(n, "meta", detail=name)


def _final(s: _Stream, n: int, response: dict) -> None:
    s.choice.finish_reason = finish_of(response)
    usage = response.get("usage")
    if isinstance(usage, dict):
        s.r.usage = {k: v for k, v in usage.items() if not isinstance(v, (list, dict))}
    error = response.get("error")
    if isinstance(error, dict):
        s.r.error = {"category": "response", "type": error.get("code"), "message": error.get("message")}
    s.emit(n, "finish", detail=s.choice.finish_reason or "")


def finish_of(response: dict) -> str | None:
    """`completed`, or why it stopped early (`max_output_tokens`), or `failed`."""
    details = response.get("incomplete_details")
    if isinstance(details, dict) and details.get("reason"):
        return str(details["reason"])
    status = response.get("status")
    return str(status) if status else None


def response_object(data: dict) -> Result:
    """A single (non-streamed) Response: its `output` items in order."""
    choice = Choice(index=0, role="assistant", finish_reason=finish_of(data))
    for item in data.get("output") or ():
        if not isinstance(item, dict):
            continue
        t = item.get("type")
        if t == "message":
            for part in item.get("content") or ():
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    choice.content += part["text"]
        elif t == "reasoning":
            for part in (item.get("summary") or []) + (item.get("content") or []):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    choice.reasoning += part["text"]
        elif t == "function_call":
            args = item.get("arguments")
            choice.tool_calls.append(ToolCall(len(choice.tool_calls), item.get("call_id") or item.get("id"), item.get("name"),
                                              args if isinstance(args, str) else "{}", "function"))
    usage = data.get("usage")
    r = Result("openai-response", choices=[choice], usage={k: v for k, v in usage.items() if not isinstance(v, (list, dict))} if isinstance(usage, dict) else None)
    error = data.get("error")
    if isinstance(error, dict):
        r.error = {"category": "response", "type": error.get("code"), "message": error.get("message")}
    return r


def _item_type(data: dict) -> str | None:
    item = data.get("item")
    return item.get("type") if isinstance(item, dict) else None


def responses_events(events: list[tuple[int, str, Any]], nevents: int, with_events: bool, fmt: str) -> Result:
    r = Result(fmt, chunks=nevents)
    responses_stream(events, r, emitter(r, with_events))
    finish_checks(r)
    return r

