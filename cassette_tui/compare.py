"""Semantic diffs of recordings: requests and reassembled responses, without run-to-run noise."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from .jsonio import dumps_pretty
from .recording import Recording

# Keys whose values differ on every run and say nothing about behaviour.
NOISE_KEYS = frozenset({
    "id", "created", "created_at", "obfuscation", "system_fingerprint", "response_id", "create_time",
    "sdk_http_response", "request_id", "total_duration", "load_duration", "prompt_eval_duration",
    "eval_duration", "updated", "expires_at", "modified_at", "call_id", "tool_call_id", "signature",
})

MISSING = object()


@dataclass(slots=True)
class Change:
    path: str          # e.g. body.tools[2].function.description
    kind: str          # added | removed | changed
    a: Any = None
    b: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "a": None if self.a is MISSING else self.a, "b": None if self.b is MISSING else self.b}


@dataclass
class RecordingDiff:
    a: Recording
    b: Recording
    request: list[Change] = field(default_factory=list)
    response: list[Change] = field(default_factory=list)
    request_text: list[str] = field(default_factory=list)    # unified diff lines of the pretty requests
    response_text: list[str] = field(default_factory=list)   # unified diff lines of the reassembled responses

    @property
    def same(self) -> bool:
        return not self.request and not self.response

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a.path,
            "b": self.b.path,
            "request": [c.to_json() for c in self.request],
            "response": [c.to_json() for c in self.response],
        }


def strip_noise(value: Any) -> Any:
    """A copy without noise keys (ids, timestamps, obfuscation, fingerprints).

    With a stack, not recursion: a request nested 500..1023 levels deep (orjson
    reads up to 1024) must not end in RecursionError.
    """
    if not isinstance(value, (dict, list)):
        return value
    top: Any = {} if isinstance(value, dict) else []
    stack = [(value, top)]
    while stack:
        src, dst = stack.pop()
        items = ((k, v) for k, v in src.items() if k not in NOISE_KEYS) if isinstance(src, dict) else enumerate(src)
        for k, v in items:
            if isinstance(v, dict):
                copy: Any = {}
                stack.append((v, copy))
            elif isinstance(v, list):
                copy = []
                stack.append((v, copy))
            else:
                copy = v
            if type(dst) is dict:
                dst[k] = copy
            else:
                dst.append(copy)
    return top


def structural_diff(a: Any, b: Any, path: str = "", limit: int = 500) -> list[Change]:
    """Every JSON path where `a` and `b` differ, with both values (lists compared by position).

    Depth-first in document order, with a stack instead of recursion (any depth).
    """
    out: list[Change] = []
    # Each item: a Change found, or a pair of values still to compare.
    stack: list[Change | tuple[Any, Any, str]] = [(a, b, path)]
    while stack and len(out) < limit:
        item = stack.pop()
        if isinstance(item, Change):
            out.append(item)
            continue
        stack.extend(reversed(_compare(*item)))
    return out


def _compare(a: Any, b: Any, path: str) -> list[Change | tuple[Any, Any, str]]:
    """One level: the changes at this node, and the pairs below it to compare, in order."""
    if isinstance(a, dict) and isinstance(b, dict):
        steps: list[Change | tuple[Any, Any, str]] = []
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in b:
                steps.append(Change(sub, "removed", a[key], MISSING))
            elif key not in a:
                steps.append(Change(sub, "added", MISSING, b[key]))
            else:
                steps.append((a[key], b[key], sub))
        return steps
    if isinstance(a, list) and isinstance(b, list):
        steps = []
        for i in range(max(len(a), len(b))):
            sub = f"{path}[{i}]"
            if i >= len(b):
                steps.append(Change(sub, "removed", a[i], MISSING))
            elif i >= len(a):
                steps.append(Change(sub, "added", MISSING, b[i]))
            else:
                steps.append((a[i], b[i], sub))
        return steps
    if a != b or type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return [Change(path or "(root)", "changed", a, b)]
    return []


def comparable_request(rec: Recording) -> dict[str, Any]:
    """The parts of a request that decide what was asked."""
    req = rec.request
    out: dict[str, Any] = {}
    if rec.test_id is not None:
        out["test_id"] = rec.test_id
    for key in ("method", "url", "endpoint", "model", "provider", "tool_name", "api", "file_id"):
        if key in req:
            out[key] = req[key]
    for key in ("body", "payload", "kwargs"):
        if key in req:
            out[key] = req[key]
    return out


def comparable_response(rec: Recording) -> dict[str, Any]:
    result = rec.result
    out: dict[str, Any] = result.to_json()
    if result.error:
        out["error"] = result.error
    if result.output:
        out["output"] = result.output
    out["anomalies"] = sorted(a.code for a in result.anomalies)
    return out


def diff_recordings(a: Recording, b: Recording, *, include_noise: bool = False, context: int = 3) -> RecordingDiff:
    clean = (lambda x: x) if include_noise else strip_noise
    ra, rb = clean(comparable_request(a)), clean(comparable_request(b))
    pa, pb = clean(comparable_response(a)), clean(comparable_response(b))
    d = RecordingDiff(a, b, structural_diff(ra, rb), structural_diff(pa, pb))
    d.request_text = unified(ra, rb, a.id[:12], b.id[:12], context)
    d.response_text = unified(pa, pb, a.id[:12], b.id[:12], context)
    return d


def unified(a: Any, b: Any, name_a: str, name_b: str, context: int = 3) -> list[str]:
    return list(difflib.unified_diff(dumps_pretty(a).splitlines(), dumps_pretty(b).splitlines(), name_a, name_b, n=context, lineterm=""))


def describe_value(value: Any, limit: int = 120) -> str:
    if value is MISSING:
        return "(absent)"
    from .jsonio import dumps_line

    s = dumps_line(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def string_window(a: str, b: str, width: int = 70) -> tuple[str, str]:
    """The part of two long strings around their first difference, with … where clipped."""
    if len(a) <= width and len(b) <= width:
        return a, b
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = max(0, i - width // 3)

    def clip(s: str) -> str:
        piece = s[start:start + width]
        return ("…" if start > 0 else "") + piece + ("…" if start + width < len(s) else "")

    return clip(a), clip(b)
