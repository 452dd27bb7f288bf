"""What each difference between the recorded and the live request means, and the verdict.

Every difference gets a cause code; the main cause is the first code present in
CAUSE_ORDER, the others are named as "also". The order goes from what makes a
request another request altogether (the endpoint, the model, the test) through
the conversation's structure (its length, its content's shape) and the
definitions the test sends (tools), to the text (prompt), the model's own
earlier output (non-deterministic), parameters and defaults, and last the
values that change on every run (volatile).

Each cause says what to do next.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..compare import MISSING, Change
from ..fingerprint import devolatilize, generic_path
from .miss import test_parts

# In the order the main cause is picked.
CAUSE_ORDER = (
    "ambiguous", "found", "wrong-folder", "hash-algorithm", "same-request",
    "endpoint", "model", "test-id", "history", "content-shape", "tool", "prompt", "tool-arguments",
    "default", "parameter", "volatile", "other", "no-candidate", "unknown-live",
)
MEANINGLESS = frozenset({"volatile"})      # differences that change on every run: never what a user changed

CAUSE_WORDS = {
    "ambiguous": "an ambiguous hash prefix",
    "found": "now recorded", "wrong-folder": "in another folder", "hash-algorithm": "the hash algorithm",
    "same-request": "the same request elsewhere", "test-id": "the test id", "tool": "a tool", "prompt": "the prompt",
    "tool-arguments": "the model's earlier answer (non-deterministic)", "history": "the number of messages",
    "content-shape": "string versus list content", "default": "a default", "volatile": "values that change on every run",
    "parameter": "a parameter", "model": "the model", "endpoint": "the endpoint", "other": "other fields",
}

# What to do about each cause. {test} is the test id's short form, {nearest} the nearest recording.
ADVICE = {
    "ambiguous": "give the whole hash (or the log lines of the miss)",
    "found": "re-run: the recording is there now (was it committed with the run that failed?)",
    "wrong-folder": "move the file into the folder replay searches (the test's own recordings/), or re-record",
    "hash-algorithm": "re-record the test: the recorder now names this request differently (or rename the file to today's hash)",
    "same-request": "rename the file to the hash replay looks for, or re-record the test",
    "endpoint": "the test now calls another endpoint: re-record it",
    "model": "the test now uses another model: re-record it",
    "test-id": "the test was renamed or re-parametrized: re-record it; the old recording is then unused",
    "history": "the test sends another conversation: re-record it",
    "content-shape": "the client now sends content in another shape: re-record the test",
    "tool": "a tool definition changed in the code: re-record the test",
    "prompt": "the test's text changed: re-record it",
    "tool-arguments": "non-deterministic: the model answered differently in an earlier turn; re-record the whole test so every turn agrees",
    "default": "a parameter is now sent (or no longer sent): re-record the test",
    "parameter": "a parameter changed in the code: re-record the test",
    "volatile": "volatile: the value changes on every run; normalize it in the recorder or pass a fixed value in the test",
    "other": "re-record the test",
    "no-candidate": "a new test or a new kind of request: record it with record-if-missing",
    "unknown-live": "re-record with record-if-missing and run explain on the new file for the exact difference",
}


@dataclass
class Cause:
    code: str      # one of CAUSE_ORDER
    text: str      # one line, for people
    path: str | None = None      # the first changed path of this kind (generic: indices as [])

    @property
    def advice(self) -> str:
        return ADVICE.get(self.code, "")

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "path": self.path, "advice": self.advice}


# --- classifying differences -----------------------------------------------------------------

_ID_KEYS = re.compile(r"(?:^|\.)(?:id|\w+_id|\w+_ids\[\d+\]|ids\[\d+\])$")
_PROMPT_KEYS = ("messages", "contents", "input", "prompt", "instructions", "system", "query", "documents", "text")
_TOOL_KEYS = ("tools", "functions", "tool_config")
# What the model wrote earlier in the conversation: its tool calls and their arguments.
_MODEL_OUTPUT = re.compile(r"\.(?:tool_calls|function_call|functionCall)\b|\]\.arguments$")
_PARAMS = {"temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens", "max_output_tokens", "seed", "n", "frequency_penalty",
           "presence_penalty", "stop", "tool_choice", "response_format", "stream", "stream_options", "logprobs", "top_logprobs",
           "parallel_tool_calls", "reasoning_effort", "user", "dimensions", "encoding_format", "options", "config", "think"}
_BODY_KEY = re.compile(r"^(body|payload|kwargs)\.([^.\[]+)")


def _body_key(path: str) -> tuple[str, str]:
    """('body', 'messages') for 'body.messages[0].content'."""
    m = _BODY_KEY.match(path)
    return (m.group(1), m.group(2)) if m else ("", "")


def classify_change(c: Change) -> str:
    """The cause code of one difference (recorded a, live b)."""
    path, a, b = c.path, c.a, c.b
    if path == "test_id":
        return "test-id"
    if path in ("endpoint", "method", "url"):
        return "endpoint"
    root_key, key = _body_key(path)
    if root_key and path == f"{root_key}.model":
        return "model"
    if key in _TOOL_KEYS:
        return "tool"
    absent = a is MISSING or b is MISSING
    one_side_none = (a is MISSING or a is None) != (b is MISSING or b is None)
    if root_key == "kwargs":      # a tool invocation's arguments: the model wrote them, but for one the code added
        if one_side_none and path.count(".") == 1:
            return "default"
        return "volatile" if _is_volatile(path, a, b) else "tool-arguments"
    if key in _PROMPT_KEYS:
        if re.fullmatch(rf"{root_key}\.{key}\[\d+\]", path) and absent:
            return "history"
        if isinstance(a, str) != isinstance(b, str) and isinstance(a, (str, list)) and isinstance(b, (str, list)):
            return "content-shape"
        if _is_volatile(path, a, b):
            return "volatile"
        if _MODEL_OUTPUT.search(path):
            return "tool-arguments"
        if one_side_none and path.endswith(("name", "refusal", "audio")):
            return "default"
        return "prompt"
    if _is_volatile(path, a, b):
        return "volatile"
    if one_side_none and root_key:
        return "default"
    if key in _PARAMS or (root_key and path.count(".") == 1):
        return "parameter"
    return "other"


def _is_volatile(path: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        if _ID_KEYS.search(path):
            return True
        return devolatilize(a) == devolatilize(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return _body_key(path)[1] not in _PARAMS
    return False


# --- the causes of one explanation ---------------------------------------------------------------

# What each kind of change says: {path} is the first changed path, {more} counts the
# others of its kind, {a} and {b} are the values before and after.
_CAUSE_TEXTS = {
    "tool": "a tool changed: {path}{more}",
    "tool-arguments": "non-deterministic: the model's earlier tool call differs: {path}{more}",
    "prompt": "the prompt changed: {path}{more}",
    "history": "the history has a different number of items: {path} {added_or_removed}{more}",
    "content-shape": "content is a string on one side and a list on the other: {path}{more}",
    "default": "a default differs (None or absent versus a value): {path} {a} -> {b}{more}",
    "volatile": "volatile: changes on every run: {path}{more}",
    "parameter": "a parameter changed: {path} ({a} -> {b}){more}",
    "model": "the model changed: {a} -> {b}",
    "endpoint": "the endpoint changed: {path} {a} -> {b}",
}
_OTHER_CAUSE = "the request differs at {path}{more}"


def change_causes(changes: list[Change]) -> list[Cause]:
    """One cause per kind of change, in CAUSE_ORDER."""
    by_code: dict[str, list[Change]] = {}
    for c in changes:
        by_code.setdefault(classify_change(c), []).append(c)
    out = []
    for code in CAUSE_ORDER:
        cs = by_code.get(code)
        if not cs:
            continue
        first = cs[0]
        if code == "test-id":
            text = "the test id changed: " + test_id_change(first.a, first.b)
        elif code == "tool-arguments" and _same_json(first.a, first.b):
            text = f"non-deterministic: the model wrote the same arguments in another order: {first.path}" + (f" and {len(cs) - 1} more" if len(cs) > 1 else "")
        else:
            text = _CAUSE_TEXTS.get(code, _OTHER_CAUSE).format(
                path=first.path,
                more=f" and {len(cs) - 1} more" if len(cs) > 1 else "",
                a=short(first.a),
                b=short(first.b),
                added_or_removed="added" if first.a is MISSING else "removed",
            )
        out.append(Cause(code, text, generic_path(first.path)))
    return out


def _same_json(a: Any, b: Any) -> bool:
    """Two strings holding the same JSON document (keys in another order, other spacing)."""
    if not isinstance(a, str) or not isinstance(b, str) or len(a) > 100_000 or len(b) > 100_000:
        return False
    try:
        return json.loads(a) == json.loads(b)
    except (ValueError, RecursionError):
        return False


def test_id_change(a: Any, b: Any) -> str:
    if not isinstance(a, str) or not isinstance(b, str):
        return f"{short(a, 200)} -> {short(b, 200)}"
    fa, na, pa = test_parts(a)
    fb, nb, pb = test_parts(b)
    if (fa, na) == (fb, nb):
        return f"re-parametrized test ([{pa}] -> [{pb}])"
    if fa == fb:
        return f"renamed test ({na} -> {nb})"
    if na == nb:
        return f"the test moved ({fa} -> {fb})"
    return f"another test ({a} -> {b})"


def short(v: Any, limit: int = 60) -> str:
    if v is MISSING:
        return "(absent)"
    s = json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= limit else s[: limit - 1] + "…"
