"""Reassemble a recorded response into the message the caller finally received.

Every response shape in FORMAT.md lands here: OpenAI chat and completion chunks,
Ollama native streams, genai dicts, Anthropic and Gemini-interactions SSE lines,
single (non-streamed) bodies and recorded exceptions. `__type__` is only a label.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .finish import normalize_finish
from .jsonio import loads_or_none
from .model import Anomaly, Choice, ChunkEvent, Result, ToolCall
from .responses_api import is_response_object, is_responses_event, response_object, responses_stream
from .tools import check_tool_calls


def type_label(obj: Any) -> str:
    """The class name of a serialized object (`ChatCompletionChunk`), or ''."""
    if isinstance(obj, dict):
        t = obj.get("__type__")
        if isinstance(t, str):
            return t.rsplit(".", 1)[-1]
    return ""


def data_of(obj: Any) -> Any:
    """The payload of a serialized object: `__data__` when typed, else the object."""
    if isinstance(obj, dict) and "__type__" in obj:
        return obj.get("__data__")
    return obj


# What reading valid JSON of an unexpected shape raises (a number where text goes ...).
_SHAPE_ERRORS = (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError)


def reassemble(response: Any, request_body: Any = None, *, events: bool = True) -> Result:
    """Build a Result from a recording's `response` (and the request body, for tool checks).

    `events=False` skips the per-chunk events, which only the stream view needs, and lets
    the usual OpenAI chat, Ollama and genai streams take a lean loop (`_*_lean`) that builds
    the same Result: what indexing thousands of files wants.
    """
    if not isinstance(response, dict):
        r = Result("invalid")
        r.anomalies.append(Anomaly("bad_response", "response is not an object"))
        return r
    try:
        return _reassemble(response, request_body, events)
    except _SHAPE_ERRORS as exc:
        # Valid JSON of a shape no provider sends (a number where text goes ...): report, never raise.
        r = Result("invalid")
        r.anomalies.append(Anomaly("bad_response", f"the response has a shape that cannot be reassembled ({type(exc).__name__}: {exc})"[:300]))
        return r


def _reassemble(response: dict, request_body: Any, events: bool) -> Result:
    body = response.get("body")
    error = _recorded_error(response)
    if isinstance(body, list):
        result = _reassemble_list(body, events)
    elif body is None:
        result = Result("error" if error else "empty")
    else:
        result = _single(body, events)
    if error:
        result.error = error
        if isinstance(body, list) and body:
            result.anomalies.append(
                Anomaly("error_midstream", f"the stream failed after {len(body)} chunks: {error.get('message', '')}"[:300])
            )
    status = response.get("status")
    if isinstance(status, int) and status >= 400 and result.error:
        result.error.setdefault("status_code", status)
    elif isinstance(status, int) and status >= 400:
        err = data_of(body).get("error") if isinstance(data_of(body), dict) else None
        message = err.get("message") if isinstance(err, dict) else (err if isinstance(err, str) else "")
        result.error = {"category": "http", "status_code": status, "message": message or f"HTTP {status}"}
    if result.choices and request_body is not None:
        result.anomalies.extend(check_tool_calls(result.tool_calls, request_body))
    return result


def _recorded_error(response: dict) -> dict[str, Any] | None:
    if not response.get("is_exception"):
        return None
    data = response.get("exception_data")
    error = dict(data) if isinstance(data, dict) else {}
    if "message" not in error and response.get("exception_message"):
        error["message"] = str(response.get("exception_message"))
    return error


# --- lists: streams, SSE lines, model lists ---------------------------------------------

Emit = Callable[..., None]


def _ignore(*_args: Any, **_kwargs: Any) -> None:
    return None


def _emitter(r: Result, enabled: bool) -> Emit:
    """A function recording what each chunk added, or a no-op when events are not wanted."""
    if not enabled:
        return _ignore
    append = r.events.append

    def emit(n: int, what: str, text: str = "", choice: int | None = None, tool_index: int | None = None, detail: str = "") -> None:
        append(ChunkEvent(n, what, text, choice, tool_index, detail))

    return emit



def _reassemble_list(body: list, events: bool = True) -> Result:
    if not body:
        r = Result("empty", chunks=0)
        r.anomalies.append(Anomaly("empty_stream", "the stream has no chunks"))
        return r
    first = body[0]
    if isinstance(first, str) and all(isinstance(x, str) for x in body[:8]):
        return _sse(body, events)
    label = type_label(first)
    data = data_of(first)
    if label == "ChatCompletionChunk" or (isinstance(data, dict) and data.get("object") == "chat.completion.chunk"):
        return openai_chat_stream(body, events)
    if label == "Completion" or (isinstance(data, dict) and data.get("object") == "text_completion"):
        return openai_completion_stream(body, events)
    if label in ("GenerateResponse", "ChatResponse"):
        return ollama_stream(body, events)
    if label == "Model" or (isinstance(data, dict) and data.get("object") == "model"):
        ids = [str(d.get("id")) for d in map(data_of, body) if isinstance(d, dict)]
        # A model list is recorded as a list but was never streamed: it has models, not chunks.
        return Result("model-list", output=f"{len(ids)} models: " + ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else ""))
    if isinstance(data, dict) and "candidates" in data:
        return genai_stream(body, events)
    if is_responses_event(data):
        return _responses_events([(n, "", data_of(x)) for n, x in enumerate(body)], len(body), events, "openai-responses")
    r = Result("list", chunks=len(body), output=f"a list of {len(body)} items")
    r.anomalies.append(_unknown_shape(f"a list of {len(body)} items starting with {type_label(first) or type(first).__name__}"))
    if events:
        r.events = [ChunkEvent(i, "meta", detail=type_label(x) or type(x).__name__) for i, x in enumerate(body)]
    return r


def _unknown_shape(what: str) -> Anomaly:
    return Anomaly("unknown_shape", f"no reader knows this response shape ({what}): nothing was reassembled; see the raw JSON"[:300])


def _responses_events(events: list[tuple[int, str, Any]], nevents: int, with_events: bool, fmt: str) -> Result:
    r = Result(fmt, chunks=nevents)
    responses_stream(events, r, _emitter(r, with_events))
    _finish_checks(r)
    return r


def openai_chat_stream(body: list, events: bool = True) -> Result:
    """OpenAI ChatCompletionChunk stream (also Azure, Bedrock, vLLM, watsonx, Databricks...)."""
    if not events:
        r = _openai_chat_lean(body)
        if r is not None:
            return r
    r = Result("openai-chat", chunks=len(body))
    emit = _emitter(r, events)
    choices: dict[int, Choice] = {}
    finished: dict[int, int] = {}   # choice index -> chunk position of its finish_reason
    for n, raw in enumerate(body):
        chunk = data_of(raw)
        if not isinstance(chunk, dict):
            emit(n, "meta", detail="not an object")
            r.anomalies.append(Anomaly("bad_chunk", f"chunk {n} is not an object", n))
            continue
        usage = chunk.get("usage")
        if usage:
            r.usage = usage
        chunk_choices = chunk.get("choices") or ()
        if not chunk_choices:
            if usage:
                emit(n, "usage", detail=_usage_text(usage))
            elif chunk.get("prompt_filter_results") is not None:
                emit(n, "meta", detail="prompt_filter_results")
            else:
                emit(n, "empty")
            continue
        added = False
        for ch in chunk_choices:
            if not isinstance(ch, dict):
                continue
            idx = ch.get("index") or 0
            choice = choices.get(idx)
            if choice is None:
                choice = choices[idx] = Choice(index=idx)
            delta = ch.get("delta") or {}
            if idx in finished and _delta_has_payload(delta):
                r.anomalies.append(Anomaly("chunk_after_finish", f"chunk {n} adds to choice {idx} after its finish_reason", n))
            role = delta.get("role")
            if role and not choice.role:
                choice.role = role
                emit(n, "role", choice=idx, detail=role)
                added = True
            text = delta.get("content")
            if text:
                choice.content += text
                emit(n, "text", text, choice=idx)
                added = True
            reasoning = delta.get("reasoning") or delta.get("reasoning_content")
            if reasoning:
                choice.reasoning += reasoning
                emit(n, "reasoning", reasoning, choice=idx)
                added = True
            for frag in delta.get("tool_calls") or ():
                _merge_tool_fragment(choice, frag, n, emit)
                added = True
            logprobs = ch.get("logprobs")
            if logprobs:
                choice.logprobs.append(logprobs)
            fr = ch.get("finish_reason")
            if fr:
                choice.finish_reason = fr
                finished.setdefault(idx, n)
                emit(n, "finish", choice=idx, detail=fr)
                added = True
        if usage and not added:
            emit(n, "usage", detail=_usage_text(usage))
        elif not added:
            emit(n, "empty")
    r.choices = [choices[i] for i in sorted(choices)]
    _finish_checks(r)
    return r


def _openai_chat_lean(body: list) -> Result | None:
    """openai_chat_stream without events, for the usual stream: one choice, at index 0.

    Returns None when a chunk does not fit (several choices, a value of the wrong type,
    text after the finish_reason ...): the general loop above, which defines the result,
    then does the whole stream. The keys every chunk has (`choices`, `index`, `delta`,
    `finish_reason`) are read with subscripts on purpose: a non-dict raises there.
    """
    choice = Choice(index=0)
    texts: list[str] = []
    thoughts: list[str] = []
    role = usage = finish = None
    has_choice = False
    try:
        for raw in body:
            chunk = raw["__data__"] if "__type__" in raw else raw   # data_of, inlined
            if chunk.get("usage"):
                usage = chunk["usage"]
            chunk_choices = chunk["choices"]
            if not chunk_choices:
                continue
            (ch,) = chunk_choices   # exactly one choice (ValueError otherwise) ...
            if ch["index"]:
                return None         # ... and the first
            has_choice = True
            delta = ch["delta"]
            text = delta.get("content")
            reasoning = delta.get("reasoning") or delta.get("reasoning_content")
            frags = delta.get("tool_calls")
            if finish and (text or reasoning or frags):
                return None   # the general loop reports the chunk after finish
            if not role:
                role = delta.get("role")
            if text:
                texts.append(text)
            if reasoning:
                thoughts.append(reasoning)
            if frags:
                for frag in frags:
                    _merge_tool_fragment(choice, frag, 0, _ignore)   # no events: the chunk number goes unused
            if ch.get("logprobs"):
                choice.logprobs.append(ch["logprobs"])
            if ch["finish_reason"]:
                finish = ch["finish_reason"]
        # join raises TypeError on a text that is not a string, as += does in the general loop
        choice.content = "".join(texts)
        choice.reasoning = "".join(thoughts)
    except _SHAPE_ERRORS:
        return None
    r = Result("openai-chat", chunks=len(body), usage=usage)
    if has_choice:
        choice.role = role or None
        choice.finish_reason = finish
        r.choices = [choice]
    _finish_checks(r)
    return r


def _delta_has_payload(delta: dict) -> bool:
    return bool(delta.get("content") or delta.get("tool_calls") or delta.get("reasoning") or delta.get("reasoning_content"))


def _merge_tool_fragment(choice: Choice, frag: Any, n: int, emit: Emit) -> None:
    if not isinstance(frag, dict):
        return
    calls = choice.tool_calls
    tidx = frag.get("index")
    if tidx is None:
        tidx = len(calls)
    fn = frag.get("function") or {}
    for call in calls:   # the first call of that index
        if call.index == tidx:
            break
    else:
        call = ToolCall(index=tidx)
        calls.append(call)
    # id, type and name come in the first fragment; Bedrock repeats `type` later, so keep the first.
    if not call.id and isinstance(frag.get("id"), str) and frag["id"]:
        call.id = frag["id"]
    if not call.type and isinstance(frag.get("type"), str) and frag["type"]:
        call.type = frag["type"]
    name = fn.get("name")
    if not call.name and isinstance(name, str) and name:
        call.name = name
        emit(n, "tool_call", name, choice.index, tidx, call.id or "")
    args = fn.get("arguments")
    if args:
        if not isinstance(args, str):
            args = _compact(args)
        call.arguments += args
        emit(n, "tool_args", args, choice.index, tidx)


def openai_completion_stream(body: list, events: bool = True) -> Result:
    r = Result("openai-completion", chunks=len(body))
    emit = _emitter(r, events)
    choices: dict[int, Choice] = {}
    for n, raw in enumerate(body):
        chunk = data_of(raw)
        if not isinstance(chunk, dict):
            continue
        if chunk.get("usage"):
            r.usage = chunk["usage"]
        added = False
        for ch in chunk.get("choices") or ():
            if not isinstance(ch, dict):
                continue
            idx = ch.get("index") or 0
            choice = choices.setdefault(idx, Choice(index=idx, role="assistant"))
            text = ch.get("text")
            if text:
                choice.content += text
                emit(n, "text", text, choice=idx)
                added = True
            if ch.get("finish_reason"):
                choice.finish_reason = ch["finish_reason"]
                emit(n, "finish", choice=idx, detail=ch["finish_reason"])
                added = True
        if not added:
            emit(n, "usage" if chunk.get("usage") else "empty", detail=_usage_text(chunk.get("usage")))
    r.choices = [choices[i] for i in sorted(choices)]
    _finish_checks(r)
    return r


def ollama_stream(body: list, events: bool = True) -> Result:
    """Ollama /api/generate (`response`) and /api/chat (`message.content`) streams."""
    if not events:
        r = _ollama_lean(body)
        if r is not None:
            return r
    r = Result("ollama", chunks=len(body))
    emit = _emitter(r, events)
    choice = Choice(index=0, role="assistant")
    done_at = None
    for n, raw in enumerate(body):
        chunk = data_of(raw)
        if not isinstance(chunk, dict):
            continue
        added = _ollama_add(chunk, choice, n, emit)
        if done_at is not None and added:
            r.anomalies.append(Anomaly("chunk_after_finish", f"chunk {n} adds text after done", n))
        if chunk.get("done"):
            done_at = n
            choice.finish_reason = chunk.get("done_reason") or "stop"
            r.usage = _ollama_usage(chunk)
            emit(n, "finish", detail=choice.finish_reason)
        elif not added:
            emit(n, "empty")
    r.choices = [choice]
    _finish_checks(r)
    return r


def _ollama_lean(body: list) -> Result | None:
    """ollama_stream without events, for the usual stream: text and thinking, then `done`.

    Returns None when a chunk does not fit (tool calls, anything after `done`, a value of
    the wrong type ...): the general loop above then does the whole stream.
    """
    texts: list[str] = []
    thoughts: list[str] = []
    done = None   # the chunk that says done
    try:
        for raw in body:
            if done is not None:
                return None
            chunk = raw["__data__"] if "__type__" in raw else raw   # data_of, inlined
            msg = chunk.get("message")
            if msg and isinstance(msg, dict):   # as _ollama_add reads a chunk
                if msg.get("tool_calls"):
                    return None
                text = msg.get("content")
                thinking = msg.get("thinking") or chunk.get("thinking")
            else:
                text = chunk.get("response")
                thinking = chunk.get("thinking")
            if text:
                texts.append(text)
            if thinking:
                thoughts.append(thinking)
            if chunk.get("done"):
                done = chunk
        # join raises TypeError on a text that is not a string, as += does in _ollama_add
        choice = Choice(index=0, role="assistant", content="".join(texts), reasoning="".join(thoughts))
    except _SHAPE_ERRORS:
        return None
    r = Result("ollama", chunks=len(body), choices=[choice])
    if done is not None:
        choice.finish_reason = done.get("done_reason") or "stop"
        r.usage = _ollama_usage(done)
    _finish_checks(r)
    return r


def _ollama_add(chunk: dict, choice: Choice, n: int, emit: Emit) -> bool:
    added = False
    msg = chunk.get("message") if isinstance(chunk.get("message"), dict) else None
    text = msg.get("content") if msg else chunk.get("response")
    thinking = (msg.get("thinking") if msg else None) or chunk.get("thinking")
    if text:
        choice.content += text
        emit(n, "text", text)
        added = True
    if thinking:
        choice.reasoning += thinking
        emit(n, "reasoning", thinking)
        added = True
    for call in (msg.get("tool_calls") if msg else None) or ():
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            continue
        # Ollama sends tool calls whole, with arguments as an object.
        tc = ToolCall(index=len(choice.tool_calls), id=call.get("id"), name=fn.get("name"), arguments=_compact(fn.get("arguments")), type="function")
        choice.tool_calls.append(tc)
        emit(n, "tool_call", tc.name or "", tool_index=tc.index)
        emit(n, "tool_args", tc.arguments, tool_index=tc.index)
        added = True
    return added


def _ollama_usage(chunk: dict) -> dict[str, Any] | None:
    keys = ("prompt_eval_count", "eval_count")
    if not any(chunk.get(k) is not None for k in keys):
        return None
    return {"prompt_tokens": chunk.get("prompt_eval_count"), "completion_tokens": chunk.get("eval_count")}


def genai_stream(body: list, events: bool = True) -> Result:
    """Google genai / vertexai: plain dicts with `candidates[].content.parts[]`."""
    if not events:
        r = _genai_lean(body)
        if r is not None:
            return r
    r = Result("genai", chunks=len(body))
    emit = _emitter(r, events)
    choices: dict[int, Choice] = {}
    for n, raw in enumerate(body):
        chunk = data_of(raw)
        if not isinstance(chunk, dict):
            continue
        _genai_add(chunk, choices, n, r, emit)
    r.choices = [choices[i] for i in sorted(choices)]
    _finish_checks(r)
    return r


def _genai_lean(body: list) -> Result | None:
    """genai_stream without events, for the usual stream: one candidate whose parts are text.

    Returns None when a chunk does not fit (several candidates, function calls, a value of
    the wrong type ...): the general loop above then does the whole stream.
    """
    texts: list[str] = []
    thoughts: list[str] = []
    finish = usage = None
    has_choice = False
    try:
        for raw in body:
            chunk = raw["__data__"] if "__type__" in raw else raw   # data_of, inlined
            candidates = chunk.get("candidates")
            if candidates:
                (cand,) = candidates
                index = cand.get("index")
                if index is not None and not (type(index) is int and index == 0):
                    return None   # another candidate, or an index the general loop reads its own way
                has_choice = True
                content = cand.get("content") or {}
                for part in content.get("parts") or ():
                    if part.get("function_call") or part.get("functionCall"):
                        return None
                    text = part.get("text")
                    if text:
                        (thoughts if part.get("thought") else texts).append(text)
                fr = cand.get("finish_reason") or cand.get("finishReason")
                if fr:
                    finish = str(fr)
            meta = chunk.get("usage_metadata") or chunk.get("usageMetadata")
            if isinstance(meta, dict) and ("total_token_count" in meta or "totalTokenCount" in meta):
                usage = meta
        # join raises TypeError on a text that is not a string, as += does in _genai_add
        choice = Choice(index=0, role="assistant", content="".join(texts), reasoning="".join(thoughts), finish_reason=finish)
    except _SHAPE_ERRORS:
        return None
    r = Result("genai", chunks=len(body), choices=[choice] if has_choice else [])
    if usage is not None:
        r.usage = {k: v for k, v in usage.items() if not isinstance(v, (list, dict))}
    _finish_checks(r)
    return r


def _genai_add(chunk: dict, choices: dict[int, Choice], n: int, r: Result, emit: Emit) -> None:
    added = False
    for pos, cand in enumerate(chunk.get("candidates") or ()):
        if not isinstance(cand, dict):
            continue
        idx = cand.get("index") if isinstance(cand.get("index"), int) else pos
        choice = choices.setdefault(idx, Choice(index=idx, role="assistant"))
        content = cand.get("content") or {}
        for part in content.get("parts") or () if isinstance(content, dict) else ():
            if not isinstance(part, dict):
                continue
            text = part.get("text")
            if text:
                if part.get("thought"):
                    choice.reasoning += text
                    emit(n, "reasoning", text, choice=idx)
                else:
                    choice.content += text
                    emit(n, "text", text, choice=idx)
                added = True
            fc = part.get("function_call") or part.get("functionCall")
            if isinstance(fc, dict):
                tc = ToolCall(index=len(choice.tool_calls), id=fc.get("id"), name=fc.get("name"), arguments=_compact(fc.get("args") or {}), type="function")
                choice.tool_calls.append(tc)
                emit(n, "tool_call", tc.name or "", choice=idx, tool_index=tc.index)
                emit(n, "tool_args", tc.arguments, choice=idx, tool_index=tc.index)
                added = True
        fr = cand.get("finish_reason") or cand.get("finishReason")
        if fr:
            choice.finish_reason = str(fr)
            emit(n, "finish", choice=idx, detail=str(fr))
            added = True
    usage = chunk.get("usage_metadata") or chunk.get("usageMetadata")
    if isinstance(usage, dict) and ("total_token_count" in usage or "totalTokenCount" in usage):
        r.usage = {k: v for k, v in usage.items() if not isinstance(v, (list, dict))}
        if not added:
            emit(n, "usage", detail=_usage_text(r.usage))
            added = True
    if not added:
        emit(n, "empty")


# --- SSE lines (HTTP passthrough) -------------------------------------------------------


def parse_sse(lines: list) -> list[tuple[int, str, Any]]:
    """SSE text lines -> [(event number, event name, parsed data)]; `[DONE]` stays a string.

    Events are numbered from 0 like the chunks of other streams: an `event:` line, its
    `data:` line and the blank line after them are one event, not three chunks.
    """
    events: list[tuple[int, str, Any]] = []
    name = ""
    for line in lines:
        if not isinstance(line, str):
            continue
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            payload = line[5:].strip()
            data = payload if payload == "[DONE]" else loads_or_none(payload)
            if data is None:
                data = payload
            ev = name or (data.get("type") if isinstance(data, dict) else "") or ""
            events.append((len(events), ev, data))
        elif line == "":
            name = ""
    return events


def _sse(lines: list, with_events: bool = True) -> Result:
    events = parse_sse(lines)
    names = {e[1] for e in events}
    if any(n.startswith(("message_", "content_block")) for n in names):
        return anthropic_sse(events, len(events), with_events)
    if any(n.startswith(("interaction.", "content.")) for n in names):
        return gemini_interactions_sse(events, len(events), with_events)
    if any(n.startswith("response.") for n in names):
        return _responses_events(events, len(events), with_events, "openai-responses-sse")
    chunks = [d for _, _, d in events if isinstance(d, dict)]
    if chunks and chunks[0].get("object") == "chat.completion.chunk":
        r = openai_chat_stream(chunks, with_events)
        r.stream_format = "openai-sse"
        return r
    r = Result("sse", chunks=len(events), output=f"{len(events)} server-sent events")
    r.anomalies.append(_unknown_shape(f"{len(events)} server-sent events: " + ", ".join(sorted(names - {""}))[:80]))
    if with_events:
        r.events = [ChunkEvent(n, "meta", detail=name) for n, name, _ in events]
    return r


def anthropic_sse(events: list[tuple[int, str, Any]], nevents: int, with_events: bool = True) -> Result:
    r = Result("anthropic-sse", chunks=nevents)
    emit = _emitter(r, with_events)
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
                emit(n, "usage", detail=_usage_text(data["usage"]))
        elif name == "message_stop":
            stopped_at = n
            emit(n, "meta", detail="message_stop")
        elif name == "error":
            err = data.get("error") or {}
            r.error = {"category": "stream", "type": err.get("type"), "message": err.get("message")}
            emit(n, "error", str(err.get("message", "")), detail=str(err.get("type", "")))
        else:
            emit(n, "meta", detail=name)
    for call in choice.tool_calls:
        if not call.arguments:
            call.arguments = "{}"
    r.choices = [choice]
    _finish_checks(r)
    return r


def gemini_interactions_sse(events: list[tuple[int, str, Any]], nevents: int, with_events: bool = True) -> Result:
    r = Result("gemini-sse", chunks=nevents)
    emit = _emitter(r, with_events)
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
                    call.arguments = _compact(content.get("arguments"))
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
    for call in choice.tool_calls:
        if not call.arguments:
            call.arguments = "{}"
    r.choices = [choice]
    _finish_checks(r)
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
        call.arguments = _compact(args)   # the whole arguments object: it replaces, never appends
        emit(n, "tool_args", call.arguments, tool_index=call.index)


# --- single bodies ----------------------------------------------------------------------


def _single(body: Any, events: bool) -> Result:
    label = type_label(body)
    data = data_of(body)
    if not isinstance(data, dict):
        return Result("value", output=_clip(str(data)))
    obj = data.get("object")
    if label == "ChatCompletion" or obj == "chat.completion":
        return _openai_chat_message(data)
    if label == "Completion" or obj == "text_completion":
        r = openai_completion_stream([data], events)
        r.stream_format, r.events, r.chunks = "openai-completion", [], 0
        return r
    if label in ("GenerateResponse", "ChatResponse"):
        r = ollama_stream([data], events)
        r.stream_format, r.events, r.chunks = "ollama", [], 0
        return r
    if label in ("CreateEmbeddingResponse", "EmbedResponse", "EmbeddingsResponse") or "embeddings" in data or isinstance(data.get("embedding"), list) or (obj == "list" and _looks_like_embeddings(data)):
        return _embeddings(data)
    if label in ("ListResponse", "ProcessResponse"):
        models = [m.get("model") or m.get("name") for m in data.get("models") or () if isinstance(m, dict)]
        return Result("model-list", output=f"{len(models)} models" + (": " + ", ".join(map(str, models[:20])) if models else ""))
    if label.endswith("ToolInvocationResult") or (label == "" and "content" in data and "error_message" in data):
        return _tool_result(data)
    if "candidates" in data:
        r = genai_stream([data], events)
        r.stream_format, r.events, r.chunks = "genai", [], 0
        return r
    if data.get("type") == "message" and isinstance(data.get("content"), list):
        return _anthropic_message(data)
    if data.get("object") == "interaction" or isinstance(data.get("outputs"), list):
        return _interaction(data)
    if isinstance(data.get("results"), list):
        return _rerank(data)
    if is_response_object(data):
        r = response_object(data)
        _finish_checks(r)
        return r
    if label == "ProgressResponse":   # Ollama /api/pull and /api/push
        return Result("ollama-progress", output=f"progress: {data.get('status')}")
    if "error" in data:
        err = data["error"]
        message = err.get("message") if isinstance(err, dict) else str(err)
        r = Result("error-body", output=_clip(str(message)))
        r.error = {"category": "http", "message": message}
        return r
    r = Result("object", output=f"{label} object" if label else f"an object with keys {', '.join(map(str, list(data)[:8]))}")
    r.anomalies.append(_unknown_shape(r.output))
    return r


def _openai_chat_message(data: dict) -> Result:
    r = Result("openai-chat-message", usage=data.get("usage"))
    for ch in data.get("choices") or ():
        if not isinstance(ch, dict):
            continue
        msg = ch.get("message") or {}
        choice = Choice(index=ch.get("index") or 0, role=msg.get("role"), content=_text_of(msg.get("content")),
                        reasoning=_text_of(msg.get("reasoning") or msg.get("reasoning_content")), finish_reason=ch.get("finish_reason"))
        for i, tc in enumerate(msg.get("tool_calls") or ()):
            if not isinstance(tc, dict):
                continue
            fn = tc.get("function") or {}
            args = fn.get("arguments")
            choice.tool_calls.append(ToolCall(index=tc.get("index", i) if isinstance(tc.get("index"), int) else i, id=tc.get("id"),
                                              name=fn.get("name"), arguments=args if isinstance(args, str) else _compact(args), type=tc.get("type")))
        if ch.get("logprobs"):
            choice.logprobs.append(ch["logprobs"])
        r.choices.append(choice)
    _finish_checks(r)
    return r


def _anthropic_message(data: dict) -> Result:
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
            choice.tool_calls.append(ToolCall(len(choice.tool_calls), block.get("id"), block.get("name"), _compact(block.get("input") or {}), t))
    r = Result("anthropic-message", choices=[choice], usage=data.get("usage"))
    _finish_checks(r)
    return r


def _interaction(data: dict) -> Result:
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
            choice.tool_calls.append(ToolCall(len(choice.tool_calls), out.get("id"), out.get("name"), _compact(out.get("arguments") or {}), "function"))
    usage = data.get("usage")
    r = Result("gemini-interaction", choices=[choice], usage={k: v for k, v in usage.items() if not isinstance(v, (list, dict))} if isinstance(usage, dict) else None)
    return r


def _looks_like_embeddings(data: dict) -> bool:
    items = data.get("data")
    return isinstance(items, list) and bool(items) and isinstance(items[0], dict) and "embedding" in items[0]


def _embeddings(data: dict) -> Result:
    vectors = data.get("embeddings")
    if vectors is None and isinstance(data.get("embedding"), list):
        vectors = [data["embedding"]]  # old Ollama EmbeddingsResponse: one vector
    if vectors is None:
        vectors = [d.get("embedding") for d in data.get("data") or () if isinstance(d, dict)]
    vectors = vectors if isinstance(vectors, list) else []
    dims = len(vectors[0]) if vectors and isinstance(vectors[0], list) else (f"base64 {len(vectors[0])} chars" if vectors and isinstance(vectors[0], str) else 0)
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
    return Result("embeddings", usage=usage, output=f"{len(vectors)} embedding{'s' if len(vectors) != 1 else ''} of {dims} dimensions")


def _tool_result(data: dict) -> Result:
    content = data.get("content")
    text = content if isinstance(content, str) else _text_of(content) if isinstance(content, list) else _compact(content)
    r = Result("tool-result", choices=[Choice(index=0, role="tool", content=text)])
    if data.get("error_message"):
        r.error = {"category": "tool", "message": data.get("error_message"), "code": data.get("error_code")}
    return r


def _rerank(data: dict) -> Result:
    results = data.get("results") or []
    tops = ", ".join(
        f"#{x.get('index')}={x.get('relevance_score', x.get('score', '?')):.3f}" if isinstance(x.get("relevance_score", x.get("score")), (int, float)) else f"#{x.get('index')}"
        for x in results[:5] if isinstance(x, dict)
    )
    return Result("rerank", usage=data.get("usage") if isinstance(data.get("usage"), dict) else None, output=f"{len(results)} ranked results: {tops}")


# --- shared checks and small helpers ----------------------------------------------------


def _finish_checks(r: Result) -> None:
    for c in r.choices:
        if c.role == "tool":
            continue
        if c.reasoning and not c.content and not c.tool_calls and not r.error:
            where = f"choice {c.index} " if len(r.choices) > 1 else ""
            r.anomalies.append(Anomaly("no_answer", f"{where}ended with reasoning only: the client received no text and no tool call"))
        if not c.finish_reason:
            where = f"choice {c.index} " if len(r.choices) > 1 else ""
            r.anomalies.append(Anomaly("no_finish", f"{where}has no finish reason: the stream may be cut short"))
        elif normalize_finish(c.finish_reason) == "length":
            r.anomalies.append(Anomaly("finish_length", f"finish reason '{c.finish_reason}': the output hit the token limit"))


def _usage_text(usage: Any) -> str:
    if not isinstance(usage, dict):
        return ""
    parts = []
    for key, label in (("prompt_tokens", "in"), ("input_tokens", "in"), ("completion_tokens", "out"), ("output_tokens", "out"), ("total_tokens", "total")):
        if isinstance(usage.get(key), int):
            parts.append(f"{label} {usage[key]}")
    return " ".join(parts)


def _text_of(content: Any) -> str:
    """Text of a message content: a string, or a list of parts with `text`."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text") or "" for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return str(content)


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    from .jsonio import dumps_line

    try:
        return dumps_line(value)
    except RecursionError:
        return "[nested too deeply to show]"


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
