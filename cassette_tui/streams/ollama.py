"""Ollama's native /api/generate and /api/chat streams."""

from __future__ import annotations

from typing import Any

from ..model import Anomaly, Choice, Result, ToolCall
from .common import Emit, compact, emitter, finish_checks


def ollama_stream(body: list, events: bool = True) -> Result:
    """Ollama /api/generate (`response`) and /api/chat (`message.content`) streams.

    Without events every `emit` is skipped by a test, not called (see openai_chat_stream).
    """
    r = Result("ollama", chunks=len(body))
    emit = emitter(r, events) if events else None
    choice = Choice(index=0, role="assistant")
    texts: list[str] = []
    thoughts: list[str] = []
    done_at = None
    for n, raw in enumerate(body):
        chunk = raw.get("__data__") if type(raw) is dict and "__type__" in raw else raw   # data_of, inlined
        if not isinstance(chunk, dict):
            continue
        added = False
        msg = chunk.get("message")
        if msg and isinstance(msg, dict):
            text = msg.get("content")
            thinking = msg.get("thinking") or chunk.get("thinking")
            calls = msg.get("tool_calls")
        else:
            text = chunk.get("response")
            thinking = chunk.get("thinking")
            calls = None
        if text:
            texts.append(text)
            if emit:
                emit(n, "text", text)
            added = True
        if thinking:
            thoughts.append(thinking)
            if emit:
                emit(n, "reasoning", thinking)
            added = True
        if calls:
            added = _add_tool_calls(calls, choice, n, emit) or added
        if done_at is not None and added:
            r.anomalies.append(Anomaly("chunk_after_finish", f"chunk {n} adds text after done", n))
        if chunk.get("done"):
            done_at = n
            choice.finish_reason = chunk.get("done_reason") or "stop"
            r.usage = _ollama_usage(chunk)
            if emit:
                emit(n, "finish", detail=choice.finish_reason)
        elif emit and not added:
            emit(n, "empty")
    # join raises TypeError on a text that is not a string, as += would
    choice.content = "".join(texts)
    choice.reasoning = "".join(thoughts)
    r.choices = [choice]
    finish_checks(r)
    return r


def _add_tool_calls(calls: Any, choice: Choice, n: int, emit: Emit | None) -> bool:
    """Ollama sends tool calls whole, with arguments as an object."""
    added = False
    for call in calls:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            continue
        tc = ToolCall(index=len(choice.tool_calls), id=call.get("id"), name=fn.get("name"), arguments=compact(fn.get("arguments")), type="function")
        choice.tool_calls.append(tc)
        if emit:
            emit(n, "tool_call", tc.name or "", tool_index=tc.index)
            emit(n, "tool_args", tc.arguments, tool_index=tc.index)
        added = True
    return added


def _ollama_usage(chunk: dict) -> dict[str, Any] | None:
    keys = ("prompt_eval_count", "eval_count")
    if not any(chunk.get(k) is not None for k in keys):
        return None
    return {"prompt_tokens": chunk.get("prompt_eval_count"), "completion_tokens": chunk.get("eval_count")}

