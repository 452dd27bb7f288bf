"""Server-sent event lines (HTTP passthrough recordings): parsed, then read by their family."""

from __future__ import annotations

from typing import Any

from ..jsonio import loads_or_none
from ..model import ChunkEvent, Result
from .anthropic import anthropic_sse
from .common import unknown_shape
from .genai import gemini_interactions_sse
from .openai import openai_chat_stream
from .responses import responses_events


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


def sse_stream(lines: list, with_events: bool = True) -> Result:
    events = parse_sse(lines)
    names = {e[1] for e in events}
    if any(n.startswith(("message_", "content_block")) for n in names):
        return anthropic_sse(events, len(events), with_events)
    if any(n.startswith(("interaction.", "content.")) for n in names):
        return gemini_interactions_sse(events, len(events), with_events)
    if any(n.startswith("response.") for n in names):
        return responses_events(events, len(events), with_events, "openai-responses-sse")
    chunks = [d for _, _, d in events if isinstance(d, dict)]
    if chunks and chunks[0].get("object") == "chat.completion.chunk":
        r = openai_chat_stream(chunks, with_events)
        r.stream_format = "openai-sse"
        return r
    r = Result("sse", chunks=len(events), output=f"{len(events)} server-sent events")
    r.anomalies.append(unknown_shape(f"{len(events)} server-sent events: " + ", ".join(sorted(names - {""}))[:80]))
    if with_events:
        r.events = [ChunkEvent(n, "meta", detail=name) for n, name, _ in events]
    return r

