"""Reassemble a recorded response into the message the caller finally received.

Every response shape in FORMAT.md lands here: OpenAI chat and completion chunks,
Ollama native streams, genai dicts, Anthropic and Gemini-interactions SSE lines,
OpenAI Responses events, single (non-streamed) bodies and recorded exceptions.
`__type__` is only a label. One module per provider family; this one dispatches.
"""

from __future__ import annotations

from typing import Any

from ..model import Anomaly, ChunkEvent, Result
from ..tools import check_tool_calls
from .common import SHAPE_ERRORS, data_of, type_label, unknown_shape
from .genai import genai_stream
from .ollama import ollama_stream
from .openai import openai_chat_stream, openai_completion_stream
from .responses import is_responses_event, responses_events
from .single import single_body
from .sse import parse_sse, sse_stream

__all__ = ["data_of", "parse_sse", "reassemble", "type_label"]


def reassemble(response: Any, request_body: Any = None, *, events: bool = True) -> Result:
    """Build a Result from a recording's `response` (and the request body, for tool checks).

    `events=False` skips the per-chunk events, which only the stream view needs: what
    indexing thousands of files wants. The Result is otherwise the same.
    """
    if not isinstance(response, dict):
        r = Result("invalid")
        r.anomalies.append(Anomaly("bad_response", "response is not an object"))
        return r
    try:
        return _reassemble(response, request_body, events)
    except SHAPE_ERRORS as exc:
        # Valid JSON of a shape no provider sends (a number where text goes ...): report, never raise.
        r = Result("invalid")
        r.anomalies.append(Anomaly("bad_response", f"the response has a shape that cannot be reassembled ({type(exc).__name__}: {exc})"[:300]))
        return r


def _reassemble(response: dict, request_body: Any, events: bool) -> Result:
    body = response.get("body")
    error = _recorded_error(response)
    if isinstance(body, list):
        result = _list_body(body, events)
    elif body is None:
        result = Result("error" if error else "empty")
    else:
        result = single_body(body, events)
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


def _list_body(body: list, events: bool = True) -> Result:
    if not body:
        r = Result("empty", chunks=0)
        r.anomalies.append(Anomaly("empty_stream", "the stream has no chunks"))
        return r
    first = body[0]
    if isinstance(first, str) and all(isinstance(x, str) for x in body[:8]):
        return sse_stream(body, events)
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
        return responses_events([(n, "", data_of(x)) for n, x in enumerate(body)], len(body), events, "openai-responses")
    r = Result("list", chunks=len(body), output=f"a list of {len(body)} items")
    r.anomalies.append(unknown_shape(f"a list of {len(body)} items starting with {type_label(first) or type(first).__name__}"))
    if events:
        r.events = [ChunkEvent(i, "meta", detail=type_label(x) or type(x).__name__) for i, x in enumerate(body)]
    return r

