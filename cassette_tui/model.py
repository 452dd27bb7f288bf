"""Plain data shared by every face: the index row, the reassembled result, anomalies.

Nothing here knows about files, Textual or Rich; these are the nouns the rest of
the package passes around.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .finish import most_telling, normalize_choice_finish

# Kinds of recording, by what the call did (not by how it was transported).
KINDS = (
    "chat",         # chat completions, Ollama /api/chat, genai, Anthropic messages, Gemini interactions
    "completion",   # text completions, Ollama /api/generate
    "embeddings",
    "models",       # model lists: /v1/models, /api/tags
    "rerank",
    "admin",        # Ollama housekeeping: /api/ps, /api/pull ...
    "tool",         # tool invocations (web_search ...)
    "file",         # file processor
    "http",         # an HTTP passthrough of no better-known shape
    "unknown",      # a JSON object that is a recording of no known shape
    "invalid",      # not a recording at all: unreadable, not JSON, wrong shape
)


@dataclass(slots=True)
class Anomaly:
    """Something a reader should look at: `code` is stable, `message` is for people."""

    code: str
    message: str
    chunk: int | None = None  # index of the chunk it concerns, if any

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "chunk": self.chunk}


@dataclass(slots=True)
class ToolCall:
    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    type: str | None = None

    def parsed_arguments(self) -> Any:
        """The arguments as JSON, or None when they do not parse."""
        from .jsonio import loads_or_none

        return loads_or_none(self.arguments) if self.arguments else {}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}


@dataclass(slots=True)
class Choice:
    index: int = 0
    role: str | None = None
    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    logprobs: list[Any] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "role": self.role,
            "content": self.content,
            "reasoning": self.reasoning,
            "tool_calls": [t.to_json() for t in self.tool_calls],
            "finish_reason": self.finish_reason,
        }


@dataclass(slots=True)
class ChunkEvent:
    """What one streamed chunk added, for the stream view."""

    chunk: int                 # position in the recorded list
    what: str                  # role|text|reasoning|tool_call|tool_args|finish|usage|meta|error|empty|output
    text: str = ""             # the text or fragment it added
    choice: int | None = None
    tool_index: int | None = None
    detail: str = ""           # e.g. the finish reason, the tool name, the event name


@dataclass(slots=True)
class Result:
    """A response reassembled into what the caller finally received."""

    stream_format: str                      # openai-chat, openai-completion, ollama-generate, genai, anthropic-sse ...
    choices: list[Choice] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    events: list[ChunkEvent] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    error: dict[str, Any] | None = None     # the recorded exception, if any
    output: str = ""                        # a one-line account of non-message output (embeddings, model lists ...)
    chunks: int = 0

    @property
    def finish_reason(self) -> str | None:
        """The provider's own finish reason; of several choices, the most telling one (a cut first)."""
        if len(self.choices) == 1:
            return self.choices[0].finish_reason
        return most_telling(c.finish_reason for c in self.choices)[0]  # type: ignore[return-value]

    @property
    def finish(self) -> str | None:
        """finish_reason normalized: stop, length, tool_calls, content_filter, error or other."""
        raw = self.finish_reason
        return normalize_choice_finish(raw, any(c.tool_calls for c in self.choices if c.finish_reason == raw))

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [t for c in self.choices for t in c.tool_calls]

    @property
    def text(self) -> str:
        return "\n".join(c.content for c in self.choices if c.content)

    @property
    def reasoning(self) -> str:
        return "\n".join(c.reasoning for c in self.choices if c.reasoning)

    def to_json(self) -> dict[str, Any]:
        return {"choices": [c.to_json() for c in self.choices], "usage": self.usage}


@dataclass(slots=True)
class Summary:
    """One index row: what a list, a filter and `ls --json` need, cheap to cache."""

    id: str                               # the file name without .json (hash, or models-<hash>-<digest>)
    path: str                             # relative to the index root, '/'-separated
    test_id: str | None = None
    kind: str = "unknown"
    endpoint: str | None = None
    model: str | None = None
    provider: str | None = None
    streaming: bool = False
    chunks: int = 0
    finish_reason: str | None = None
    tool_calls: tuple[str, ...] = ()      # names of the tools the response called
    tools: tuple[str, ...] = ()           # names of the tools the request offered
    messages: int = 0
    size: int = 0
    mtime: float = 0.0
    problem: str | None = None
    flags: tuple[str, ...] = ()           # has: tokens: tools, error, reasoning, image, anomaly
    anomalies: tuple[str, ...] = ()       # anomaly codes
    era: str = ""                         # sqlite | flat | per-area
    text: str = ""                        # lower-cased message and response text for bare-word search
    status: str | None = None             # verify status (ok, stale, mismatch ...) once known
    host: str | None = None               # the raw host of the request's URL ('localhost:8000'), if any
    finish: str | None = None             # finish_reason normalized: stop length tool_calls content_filter error other

    def to_json(self) -> dict[str, Any]:
        """The public `ls --json` shape."""
        return {
            "id": self.id,
            "path": self.path,
            "test_id": self.test_id,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "model": self.model,
            "provider": self.provider,
            "host": self.host,
            "streaming": self.streaming,
            "chunks": self.chunks,
            "finish_reason": self.finish_reason,
            "finish": self.finish,
            "tool_calls": list(self.tool_calls),
            "tools": len(self.tools),
            "messages": self.messages,
            "size": self.size,
            "problem": self.problem,
        }


# A Summary as the tuple of its fields, in order: Summary(*summary_row(s)) == s. The
# cache and the forked readers carry rows this way (shallow: dataclasses.astuple
# deep-copies and is ~20x slower).
summary_row = operator.attrgetter(*(f.name for f in fields(Summary)))

# What verify says of a file (verify.py); `is:` filters by them.
VERIFY_STATUSES = ("ok", "stale", "mismatch", "unverifiable", "unreadable", "not-a-recording", "missing", "orphan")

# The sort orders every face offers (ls --sort, the TUI's o); `status` is verify's, once known.
SORT_KEYS = ("path", "test", "endpoint", "model", "provider", "chunks", "size", "mtime", "finish", "kind", "status", "id")
_SORT_ATTRS = {"test": "test_id"}
# The recordings bundled with the package, for a first look and the docs' examples.
DEMO_DIR = Path(__file__).resolve().parent / "demo"


def summary_sort_key(key: str) -> Any:
    """A sort key over Summary by a user-facing name; missing values sort last, ties by path."""
    attr = _SORT_ATTRS.get(key, key)

    def k(s: Summary) -> tuple[bool, Any, str]:
        v = getattr(s, attr)
        return (v is None, v if v is not None else "", s.path)

    return k
