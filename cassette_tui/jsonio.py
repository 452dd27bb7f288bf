"""Reading JSON that other programs wrote: fast with orjson, never raising on bad bytes (and the GC kept out of the way while many documents are parsed)."""

from __future__ import annotations

import contextlib
import gc
import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

BOM = b"\xef\xbb\xbf"


class JSONProblem(ValueError):
    """The bytes are not a JSON document; the message says why, for people."""


def loads(data: bytes) -> tuple[Any, str | None]:
    """Parse bytes into JSON; return (value, note) or raise JSONProblem.

    `note` mentions tolerated oddities (a BOM, NaN) so a caller can flag them.
    """
    note = None
    if data.startswith(BOM):
        data = data[len(BOM):]
        note = "starts with a UTF-8 byte-order mark"
    if not data.strip():
        raise JSONProblem("empty file")
    try:
        return orjson.loads(data), note
    except orjson.JSONDecodeError as exc:
        first_error = str(exc)
    # orjson is strict; the stdlib accepts NaN/Infinity, which Python's json.dump writes.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end == len(data) and "end of data" in str(exc.reason):
            # A writer stopped inside a multi-byte character: the file is cut, not mis-encoded.
            raise JSONProblem(f"truncated JSON (ends early, inside a character, {len(data)} bytes)") from None
        raise JSONProblem(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONProblem("JSON nested too deeply to read") from None
    except ValueError:
        raise JSONProblem(_describe(first_error, len(data))) from None
    if "surrogate" in first_error:
        # orjson refuses "\ud800"-style escapes that pair with nothing; the stdlib keeps them.
        return value, "contains unpaired UTF-16 surrogate escapes (not text; shown as \\udXXX)"
    return value, "contains NaN or Infinity, which JSON does not allow"


def _describe(orjson_message: str, size: int) -> str:
    msg = orjson_message
    if "recursion" in msg.lower():
        return "JSON nested too deeply to read"
    if "EOF" in msg or "end of" in msg.lower():
        return f"truncated JSON (ends early, {size} bytes): {msg}"
    return f"not valid JSON: {msg}"


def loads_or_none(text: str | bytes) -> Any:
    """JSON value of `text`, or None when it does not parse (tool arguments, SSE data)."""
    try:
        return orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError):
        return None


TOO_DEEP = '"[nested too deeply to show]"'


def dumps_pretty(value: Any) -> str:
    """Indented JSON for people; falls back to the stdlib for values orjson refuses."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except (TypeError, orjson.JSONEncodeError):
        try:
            return json.dumps(value, indent=2, ensure_ascii=False, default=str)
        except RecursionError:
            return TOO_DEEP


# C1 controls (U+0080..U+009F) as UTF-8: JSON encoders leave them raw, and some
# terminals take U+009B for CSI, so --json output escapes them like C0 controls.
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def dumps_line(value: Any) -> str:
    """Compact one-line JSON (for --json output): no raw control character, even C1."""
    try:
        out = orjson.dumps(value)
        if b"\xc2" in out:
            out = _C1_UTF8.sub(lambda m: b"\\u%04x" % m.group()[1], out)
        return out.decode()
    except (TypeError, orjson.JSONEncodeError):
        try:
            # ASCII: a lone surrogate (from a "\udc80" escape or a non-UTF-8 file name)
            # stays an escape, where raw it could not be written to a UTF-8 stdout.
            return json.dumps(value, ensure_ascii=True, default=str)
        except RecursionError:
            return TOO_DEEP


@contextlib.contextmanager
def gc_paused(keep: bool = False) -> Iterator[None]:
    """The cyclic GC off for a while: what is made meanwhile stays alive, rescanning it is waste.

    Parsing allocates many small objects that all live until the summary is taken.
    With `keep` (what was made is kept: the index), the objects made meanwhile go
    straight to the oldest generation, where the next full collection looks at them,
    instead of being traversed by a young collection at once and again a bit later.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep and gc.get_freeze_count() == 0:
            # freeze() then unfreeze(): every tracked object moves to the oldest
            # generation, and the young generations' counts restart at zero. Only
            # when nothing is frozen, so as not to thaw what a caller froze.
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()
