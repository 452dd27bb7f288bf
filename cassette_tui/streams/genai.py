"""Google: genai / vertexai candidate streams, and Gemini interactions (SSE and single)."""

from __future__ import annotations

from typing import Any

from ..model import Choice, Result, ToolCall
from .common import Emit, compact, emitter, finish_checks, set_only_choice, usage_text


def genai_stream(body: list, events: bool = True) -> Result:
    """Google genai / vertexai: plain dicts with `candidates[].content.parts[]`.

    Without events every `emit` is skipped by a test, not called (see openai_chat_stream).
    """
    r = Result("genai", chunks=len(body))
    emit = emitter(r, events) if events else None
    choices: dict[int, Choice] = {}
    for n, raw in enumerate(body):
        chunk = raw.get("__data__") if type(raw) is dict and "__type__" in raw else raw   # data_of, inlined
        if not isinstance(chunk, dict):
            continue
        _genai_add(chunk, choices, n, r, emit)
    r.choices = [choices[i] for i in sorted(choices)]
    finish_checks(r)
    return r


def _genai_add(chunk: dict, choices: dict[int, Choice], n: int, r: Result, emit: Emit | None) -> None:
    added = False
    for pos, cand in enumerate(chunk.get("candidates") or ()):
        if not isinstance(cand, dict):
            continue
        index = cand.get("index")
        idx = index if isinstance(index, int) else pos
        choice = choices.setdefault(idx, Choice(index=idx, role="assistant"))
        content = cand.get("content") or {}
        for part in content.get("parts") or () if isinstance(content, dict) else ():
            if not isinstance(part, dict):
                continue
            text = part.get("text")
            if text:
                if part.get("thought"):
                    choice.reasoning += text
                    if emit:
                        emit(n, "reasoning", text, choice=idx)
                else:
                    choice.content += text
                    if emit:
                        emit(n, "text", text, choice=idx)
                added = True
            fc = part.get("function_call") or part.get("functionCall")
            if isinstance(fc, dict):
                tc = ToolCall(index=len(choice.tool_calls), id=fc.get("id"), name=fc.get("name"), arguments=compact(fc.get("args") or {}), type="function")
                choice.tool_calls.append(tc)
                if emit:
                    emit(n, "tool_call", tc.name or "", choice=idx, tool_index=tc.index)
                    emit(n, "tool_args", tc.arguments, choice=idx, tool_index=tc.index)
                added = True
        fr = cand.get("finish_reason") or cand.get("finishReason")
        if fr:
            choice.finish_reason = str(fr)
            if emit:
                emit(n, "finish", choice=idx, detail=str(fr))
            added = True
    usage = chunk.get("usage_metadata") or chunk.get("usageMetadata")
    if isinstance(usage, dict) and ("total_token_count" in usage or "totalTokenCount" in usage):
        r.usage = {k: v for k, v in usage.items() if not isinstance(v, (list, dict))}
        if not added:
            if emit:
                emit(n, "usage", detail=usage_text(r.usage))
            added = True
    if emit and not added:
        emit(n, "empty")


def gemini_interactions_sse(events: list[tuple[int, str, Any]], nevents: int, with_events: bool = True) -> Result:
    r = Result("gemini-sse", chunks=nevents)
    emit = emitter(r, with_events)
    choice = Choice(index=0, role="assistant")
    kinds: dict[int, str] = {}
    calls: dict[int, ToolCall] = {}
    for n, name, data in events:
        if not isinstance(data, dict):
            emit(n, "meta", detail=str(data))
            continue
        if name == "content.start":
            content = data.get("content") or {}
            ctype = content.get("type", "")
            kinds[data.get("index", -1)] = ctype
            if ctype == "function_call":
                call = ToolCall(index=len(choice.tool_calls), id=content.get("id"), name=content.get("name"), type="function")
                if content.get("arguments"):   # an empty {} here is a placeholder the deltas fill
                    call.arguments = compact(content.get("arguments"))
                choice.tool_calls.append(call)
                calls[data.get("index", -1)] = call
                emit(n, "tool_call", call.name or "", tool_index=call.index)
            else:
                emit(n, "meta", detail=f"{ctype} content")
        elif name == "content.delta":
            delta = data.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text":
                choice.content += delta.get("text", "")
                emit(n, "text", delta.get("text", ""))
            elif dtype in ("thought", "thought_summary") and delta.get("text"):
                choice.reasoning += delta.get("text", "")
                emit(n, "reasoning", delta.get("text", ""))
            elif dtype == "function_call":
                _interaction_call_delta(choice, calls, data.get("index", -1), delta, n, emit)
            else:
                emit(n, "meta", detail=str(dtype))
        elif name == "interaction.complete":
            inter = data.get("interaction") or {}
            choice.finish_reason = inter.get("status") or "completed"
            if inter.get("usage"):
                r.usage = {k: v for k, v in inter["usage"].items() if not isinstance(v, (list, dict))}
            emit(n, "finish", detail=choice.finish_reason)
        elif name == "error":
            err = data.get("error") or {}
            r.error = {"category": "stream", "message": err.get("message"), "type": err.get("code")}
            emit(n, "error", str(err.get("message", "")))
        else:
            emit(n, "meta", detail=name)
    set_only_choice(r, choice)
    finish_checks(r)
    return r


def _interaction_call_delta(choice: Choice, calls: dict[int, ToolCall], index: Any, delta: dict, n: int, emit: Emit) -> None:
    """A `function_call` delta: it may carry the whole call (id, name, arguments as an object)."""
    call = calls.get(index)
    if call is None:
        call = calls[index] = ToolCall(index=len(choice.tool_calls), type="function")
        choice.tool_calls.append(call)
    named = bool(call.name)
    if not call.id and isinstance(delta.get("id"), str):
        call.id = delta["id"]
    if not call.name and isinstance(delta.get("name"), str):
        call.name = delta["name"]
    if call.name and not named:
        emit(n, "tool_call", call.name, tool_index=call.index, detail=call.id or "")
    args = delta.get("arguments")
    if isinstance(args, str):
        call.arguments += args        # a fragment of the arguments' JSON text
        emit(n, "tool_args", args, tool_index=call.index)
    elif args is not None:
        call.arguments = compact(args)   # the whole arguments object: it replaces, never appends
        emit(n, "tool_args", call.arguments, tool_index=call.index)


def interaction(data: dict) -> Result:
    choice = Choice(index=0, role="assistant", finish_reason=data.get("status"))
    for out in data.get("outputs") or ():
        if not isinstance(out, dict):
            continue
        t = out.get("type")
        if t == "text":
            choice.content += out.get("text", "")
        elif t in ("thought", "thought_summary") and out.get("text"):
            choice.reasoning += out.get("text", "")
        elif t == "function_call":
            choice.tool_calls.append(ToolCall(len(choice.tool_calls), out.get("id"), out.get("name"), compact(out.get("arguments") or {}), "function"))
    usage = data.get("usage")
    r = Result("gemini-interaction", choices=[choice], usage={k: v for k, v in usage.items() if not isinstance(v, (list, dict))} if isinstance(usage, dict) else None)
    return r

