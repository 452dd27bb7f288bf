"""Anthropic messages: the SSE event stream and the single message."""

from __future__ import annotations

from typing import Any

from ..model import Anomaly, Choice, Result, ToolCall
from .common import compact, emitter, finish_checks, set_only_choice, usage_text


def anthropic_sse(events: list[tuple[int, str, Any]], nevents: int, with_events: bool = True) -> Result:
    r = Result("anthropic-sse", chunks=nevents)
    emit = emitter(r, with_events)
    choice = Choice(index=0, role="assistant")
    blocks: dict[int, tuple[str, ToolCall | None]] = {}
    stopped_at = None
    for n, name, data in events:
        if not isinstance(data, dict):
            emit(n, "meta", detail=str(data)[:40])
            continue
        if stopped_at is not None and name.startswith("content_block"):
            r.anomalies.append(Anomaly("chunk_after_finish", f"event {n} ({name}) after message_stop", n))
        if name == "message_start":
            msg = data.get("message") or {}
            choice.role = msg.get("role") or "assistant"
            r.usage = dict(msg.get("usage") or {}) or None
            emit(n, "role", detail=choice.role)
        elif name == "content_block_start":
            idx = data.get("index", len(blocks))
            block = data.get("content_block") or {}
            btype = block.get("type", "")
            call = None
            if btype in ("tool_use", "server_tool_use"):
                call = ToolCall(index=len(choice.tool_calls), id=block.get("id"), name=block.get("name"), type="tool_use")
                choice.tool_calls.append(call)
                emit(n, "tool_call", call.name or "", tool_index=call.index, detail=call.id or "")
            else:
                emit(n, "meta", detail=f"{btype} block")
            blocks[idx] = (btype, call)
        elif name == "content_block_delta":
            btype, call = blocks.get(data.get("index", -1), ("", None))
            delta = data.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                choice.content += delta.get("text", "")
                emit(n, "text", delta.get("text", ""))
            elif dtype == "thinking_delta":
                choice.reasoning += delta.get("thinking", "")
                emit(n, "reasoning", delta.get("thinking", ""))
            elif dtype == "input_json_delta" and call is not None:
                call.arguments += delta.get("partial_json", "")
                emit(n, "tool_args", delta.get("partial_json", ""), tool_index=call.index)
            else:
                emit(n, "meta", detail=str(dtype))
        elif name == "message_delta":
            stop = (data.get("delta") or {}).get("stop_reason")
            if stop:
                choice.finish_reason = stop
                emit(n, "finish", detail=stop)
            if data.get("usage"):
                r.usage = {**(r.usage or {}), **data["usage"]}
                emit(n, "usage", detail=usage_text(data["usage"]))
        elif name == "message_stop":
            stopped_at = n
            emit(n, "meta", detail="message_stop")
        elif name == "error":
            err = data.get("error") or {}
            r.error = {"category": "stream", "type": err.get("type"), "message": err.get("message")}
            emit(n, "error", str(err.get("message", "")), detail=str(err.get("type", "")))
        else:
            emit(n, "meta", detail=name)
    set_only_choice(r, choice)
    finish_checks(r)
    return r


def anthropic_message(data: dict) -> Result:
    choice = Choice(index=0, role=data.get("role") or "assistant", finish_reason=data.get("stop_reason"))
    for block in data.get("content") or ():
        if not isinstance(block, dict):
            continue
        t = block.get("type")
        if t == "text":
            choice.content += block.get("text", "")
        elif t == "thinking":
            choice.reasoning += block.get("thinking", "")
        elif t in ("tool_use", "server_tool_use"):
            choice.tool_calls.append(ToolCall(len(choice.tool_calls), block.get("id"), block.get("name"), compact(block.get("input") or {}), t))
    r = Result("anthropic-message", choices=[choice], usage=data.get("usage"))
    finish_checks(r)
    return r

