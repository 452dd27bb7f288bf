"""What every stream reader shares: object labels, the events switch, the finish checks,
and small text helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..finish import normalize_finish
from ..jsonio import dumps_line
from ..model import Anomaly, Choice, ChunkEvent, Result

# What reading valid JSON of an unexpected shape raises (a number where text goes ...).
SHAPE_ERRORS = (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError)

Emit = Callable[..., None]


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


def ignore(*_args: Any, **_kwargs: Any) -> None:
    return None


def emitter(r: Result, enabled: bool) -> Emit:
    """A function recording what each chunk added, or a no-op when events are not wanted."""
    if not enabled:
        return ignore
    append = r.events.append

    def emit(n: int, what: str, text: str = "", choice: int | None = None, tool_index: int | None = None, detail: str = "") -> None:
        append(ChunkEvent(n, what, text, choice, tool_index, detail))

    return emit


def unknown_shape(what: str) -> Anomaly:
    return Anomaly("unknown_shape", f"no reader knows this response shape ({what}): nothing was reassembled; see the raw JSON"[:300])


def set_only_choice(r: Result, choice: Choice) -> None:
    """The stream's one choice becomes the result's; a tool call that streamed no argument
    fragment had no arguments: `{}` (what the provider's SDK hands the caller)."""
    for call in choice.tool_calls:
        if not call.arguments:
            call.arguments = "{}"
    r.choices = [choice]


def finish_checks(r: Result) -> None:
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


def usage_text(usage: Any) -> str:
    if not isinstance(usage, dict):
        return ""
    parts = []
    for key, label in (("prompt_tokens", "in"), ("input_tokens", "in"), ("completion_tokens", "out"), ("output_tokens", "out"), ("total_tokens", "total")):
        if isinstance(usage.get(key), int):
            parts.append(f"{label} {usage[key]}")
    return " ".join(parts)


def text_of(content: Any) -> str:
    """Text of a message content: a string, or a list of parts with `text`."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text") or "" for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return str(content)


def compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return dumps_line(value)
    except RecursionError:
        return "[nested too deeply to show]"


def clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

