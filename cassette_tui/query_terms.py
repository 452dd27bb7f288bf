"""What each field:value term of a query matches: the fields, the values they accept
(a value close to a known one is an error that names it), and the predicates.

query.py lexes and parses; this module compiles one term at a time.
"""

from __future__ import annotations

import contextvars
import difflib
import re
from collections.abc import Callable
from operator import attrgetter

from . import finish as _finish
from .model import KINDS, VERIFY_STATUSES, Summary

# A value is a list of (character, position in the query, literal?) triples;
# literal characters came after a backslash and are never glob wildcards.
Chars = list[tuple[str, int, bool]]

Predicate = Callable[[Summary], bool]

FIELDS: dict[str, str] = {
    "test": "test id contains the text (glob: whole id)",
    "model": "model name contains the text (model:gpt-4* for a glob)",
    "endpoint": "endpoint contains the text, e.g. endpoint:/v1/chat",
    "ep": "short for endpoint:",
    "provider": "provider is exactly this (case-insensitive, globs allowed)",
    "host": "the raw host of the request's URL contains the text, e.g. host:localhost:8000",
    "kind": "kind is exactly: " + " ".join(KINDS),
    "stream": "stream:yes or stream:no (also true/false, 1/0)",
    "tool": "a tool the response called or the request offered",
    "called": "a tool the response called",
    "finish": "finish reason, normalized (stop length tool_calls content_filter error other) or the provider's own word (end_turn); finish:none when missing",
    "has": "has:tools|error|reasoning|image|anomaly|problem, or has:<anomaly code>",
    "anomaly": "an anomaly code contains the text (globs allowed)",
    "is": "verify status (is:ok, is:stale, is:orphan ...); is:problem for unreadable ones, is:none when not verified",
    "path": "path contains the text",
    "id": "id starts with the text",
    "size": "file size: >100k, >=1.5m, <10kb, 10k..2m, or an exact number of bytes",
    "chunks": "number of streamed chunks: >10, <=3, 5..20, =0",
    "messages": "number of request messages: >10, <=3, 5..20, =1",
}
ALIASES = {"ep": "endpoint"}

# has: values that are flags, with a few forgiving spellings.
HAS_VALUES = ("tools", "error", "reasoning", "image", "anomaly", "problem")
_HAS_ALIASES = {
    "tool": "tools", "errors": "error", "images": "image",
    "anomalies": "anomaly", "problems": "problem",
}
# Every anomaly code a reader writes (tests/test_query.py checks the list against the source).
ANOMALY_CODES = ("bad_chunk", "bad_response", "bad_tool_args", "chunk_after_finish", "empty_stream", "error_midstream",
                 "finish_length", "no_answer", "no_finish", "schema_mismatch", "unknown_shape", "unknown_tool")
# is: values: verify's statuses and the two of the index.
IS_VALUES = (*VERIFY_STATUSES, "problem", "invalid", "none")
FINISH_WORDS = (*_finish.NORMALIZED, *_finish._WORDS, "none")   # noqa: SLF001 - the provider words finish.py knows

_BOOLS = {
    "yes": True, "y": True, "true": True, "1": True, "on": True,
    "no": False, "n": False, "false": False, "0": False, "off": False,
}

_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kb": 1024, "kib": 1024,
    "m": 1024 ** 2, "mb": 1024 ** 2, "mib": 1024 ** 2,
    "g": 1024 ** 3, "gb": 1024 ** 3, "gib": 1024 ** 3,
}
_NUMBER = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([a-z]*)")


class QueryError(ValueError):
    """A query that cannot be parsed. `position` is a 0-based offset into the query."""

    def __init__(self, message: str, position: int = 0, hint: str = "") -> None:
        self.message = message
        self.position = position
        self.hint = hint
        super().__init__(message, position)

    def __str__(self) -> str:
        text = f"{self.message} at column {self.position + 1}"
        return f"{text} ({self.hint})" if self.hint else text



PATH_ROOT: contextvars.ContextVar[str | None] = contextvars.ContextVar("query_root", default=None)



def is_glob(chars: Chars) -> bool:
    return any(ch in "*?" and not lit for ch, _, lit in chars)


def _literal_pieces(chars: Chars) -> list[str]:
    """The non-empty runs of literal text between the wildcards of a glob."""
    pieces: list[str] = []
    run: list[str] = []
    for ch, _, lit in chars:
        if ch in "*?" and not lit:
            pieces.append("".join(run))
            run = []
        else:
            run.append(ch)
    pieces.append("".join(run))
    return [p for p in pieces if p]


class _Glob:
    """A glob matched in linear-ish time, never by one backtracking regex.

    `a*b*c` as the regex `a.*b.*c` backtracks polynomially (k stars: n^k steps; a
    160-character model and `*a*a*a*a*b` took 8 s, on the TUI's thread). Between
    the stars each segment has a fixed length (`?` is one character), so matching
    each one leftmost, in order, is exact: the first segment at the start, the
    last at the end (anchored), the middle ones by plain searches.
    """

    __slots__ = ("segments", "anchored_ends")

    def __init__(self, chars: Chars, ignore_case: bool = True):
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        raw: list[list[str]] = [[]]
        for ch, _, lit in chars:
            if not lit and ch == "*":
                raw.append([])
            else:
                raw[-1].append("." if not lit and ch == "?" else re.escape(ch))
        # (pattern, length in characters): each element matches exactly one character.
        self.segments = [(re.compile("".join(seg), flags), len(seg)) for seg in raw]

    def fullmatch(self, s: str) -> bool:
        segs = self.segments
        if len(segs) == 1:
            return segs[0][0].fullmatch(s) is not None
        (first, n_first), (last, n_last) = segs[0], segs[-1]
        start, end = n_first, len(s) - n_last
        if end < start or first.match(s, 0, start) is None or last.fullmatch(s, end) is None:
            return False
        for pattern, n in segs[1:-1]:
            if n:
                m = pattern.search(s, start, end)
                if m is None:
                    return False
                start = m.end()
        return True

    def search(self, s: str) -> bool:
        pos = 0
        for pattern, n in self.segments:
            if n:
                m = pattern.search(s, pos)
                if m is None:
                    return False
                pos = m.end()
        return True


def value_text(chars: Chars) -> str:
    return "".join(ch for ch, _, _ in chars)


def _str_field(attr: str, chars: Chars, how: str) -> Predicate:
    """Match an optional str attribute: how is 'sub', 'exact' or 'prefix' (globs: whole value)."""
    get = attrgetter(attr)
    if is_glob(chars):
        full = _Glob(chars).fullmatch

        def glob(s: Summary) -> bool:
            v = get(s)
            return v is not None and full(v)
        return glob
    needle = value_text(chars).lower()
    if how == "exact":
        def exact(s: Summary) -> bool:
            v = get(s)
            return v is not None and v.lower() == needle
        return exact
    if how == "prefix":
        def prefix(s: Summary) -> bool:
            v = get(s)
            return v is not None and v.lower().startswith(needle)
        return prefix

    def sub(s: Summary) -> bool:
        v = get(s)
        return v is not None and needle in v.lower()
    return sub


def _names_field(attrs: tuple[str, ...], chars: Chars) -> Predicate:
    """Any name in one of the tuple attributes (tool_calls, tools, anomalies) contains the text."""
    gets = [attrgetter(a) for a in attrs]
    if is_glob(chars):
        full = _Glob(chars).fullmatch

        def ok(name: str) -> bool:
            return full(name)
    else:
        needle = value_text(chars).lower()

        def ok(name: str) -> bool:
            return needle in name.lower()

    def names(s: Summary) -> bool:
        for get in gets:
            for name in get(s):
                if ok(name):
                    return True
        return False
    return names


def _bare(chars: Chars) -> Predicate:
    if is_glob(chars):
        # Search lower-cased text (summary.text already is) without IGNORECASE, and
        # only where every literal piece of the glob occurs: most rows never reach the regex.
        lowered = [(ch.lower(), pos, lit) for ch, pos, lit in chars]
        search = _Glob(lowered, ignore_case=False).search
        pieces = _literal_pieces(lowered)

        def hit(h: str) -> bool:
            for p in pieces:
                if p not in h:
                    return False
            return search(h)

        def bare_glob(s: Summary) -> bool:
            t = s.test_id
            m = s.model
            return (
                hit(s.text)
                or (t is not None and hit(t.lower()))
                or (m is not None and hit(m.lower()))
                or hit(s.path.lower())
                or hit(s.id.lower())
            )
        return bare_glob
    needle = value_text(chars).lower()

    def bare(s: Summary) -> bool:
        t = s.test_id
        m = s.model
        return (
            needle in s.text
            or (t is not None and needle in t.lower())
            or (m is not None and needle in m.lower())
            or needle in s.path.lower()
            or needle in s.id.lower()
        )
    return bare


def _number(field: str, chars: Chars, start: int, end: int, value_pos: int) -> int:
    """Parse chars[start:end] as a count, or a size with a unit for size:."""
    pos = chars[start][1] if start < len(chars) else (chars[-1][1] + 1 if chars else value_pos)
    raw = value_text(chars[start:end]).strip().lower()
    m = _NUMBER.fullmatch(raw)
    if not raw:
        raise QueryError(f"missing number for {field}:", pos)
    if m is None:
        raise QueryError(f"bad number '{raw}' for {field}:", pos,
                         "e.g. size:>100k, size:1m..2m" if field == "size" else f"e.g. {field}:>10, {field}:5..20")
    digits, unit = m.groups()
    if field == "size":
        if unit not in _UNITS:
            raise QueryError(f"unknown size unit '{unit}'", pos + len(digits), "use k, m or g (kb, mb, gb)")
        return int(float(digits) * _UNITS[unit])
    if unit or "." in digits:
        raise QueryError(f"{field}: needs a whole number, not '{raw}'", pos)
    return int(digits)


def _compare(field: str, chars: Chars, value_pos: int) -> Predicate:
    get = attrgetter(field)
    raw = value_text(chars)
    dots = raw.find("..")
    if dots >= 0:
        lo = _number(field, chars, 0, dots, value_pos) if raw[:dots].strip() else None
        hi = _number(field, chars, dots + 2, len(chars), value_pos) if raw[dots + 2:].strip() else None
        if lo is None and hi is None:
            raise QueryError(f"a range for {field}: needs at least one end", value_pos)
        if lo is not None and hi is not None:
            if lo > hi:
                raise QueryError(f"empty range for {field}: ({raw})", value_pos, "the low end goes first")
            return lambda s: lo <= get(s) <= hi
        if lo is not None:
            return lambda s: get(s) >= lo
        return lambda s: get(s) <= hi
    op = ""
    for candidate in (">=", "<=", ">", "<", "="):
        if raw.startswith(candidate):
            op = candidate
            break
    n = _number(field, chars, len(op), len(chars), value_pos)
    if op == ">":
        return lambda s: get(s) > n
    if op == ">=":
        return lambda s: get(s) >= n
    if op == "<":
        return lambda s: get(s) < n
    if op == "<=":
        return lambda s: get(s) <= n
    return lambda s: get(s) == n


def compile_term(field: str | None, chars: Chars, value_pos: int) -> Predicate:
    if field is None:
        return _bare(chars)
    value = value_text(chars).lower()
    globbed = is_glob(chars)

    exact = bool(chars) and chars[0][0] == "=" and not chars[0][2] and field in ("test", "model", "endpoint", "path", "host", "id")
    if exact:   # field:=value, the whole value
        return _str_field("test_id" if field == "test" else field, chars[1:], "exact")
    if field == "path" and not globbed:
        return _path_field(value)
    if field in ("test", "model", "endpoint", "path", "host"):
        return _str_field("test_id" if field == "test" else field, chars, "sub")
    if field == "id":
        return _str_field("id", chars, "prefix")
    if field == "provider":
        return _str_field("provider", chars, "exact")
    if field == "kind":
        if not globbed and value not in KINDS:
            close = difflib.get_close_matches(value, KINDS, n=1, cutoff=0.6)
            raise QueryError(f"unknown kind '{value_text(chars)}'", value_pos,
                             f"did you mean '{close[0]}'?" if close else "one of " + ", ".join(KINDS))
        return _str_field("kind", chars, "exact")
    if field == "finish":
        if value == "none" and not globbed:
            return lambda s: s.finish_reason is None
        if not globbed and value not in FINISH_WORDS:
            _suggest("finish", chars, value, value_pos, FINISH_WORDS, required=False)
        normalized, raw = _str_field("finish", chars, "exact"), _str_field("finish_reason", chars, "exact")
        return lambda s: normalized(s) or raw(s)
    if field == "is":
        if not globbed and value not in IS_VALUES:
            _suggest("is", chars, value, value_pos, IS_VALUES, required=True)
        if not globbed and value in ("problem", "invalid"):
            return lambda s: s.problem is not None
        if not globbed and value == "none":
            return lambda s: s.status is None
        return _str_field("status", chars, "exact")
    if field == "stream":
        if value not in _BOOLS:
            raise QueryError(f"stream: takes yes or no, not '{value_text(chars)}'", value_pos)
        want = _BOOLS[value]
        return lambda s: bool(s.streaming) is want
    if field == "tool":
        return _names_field(("tool_calls", "tools"), chars)
    if field == "called":
        return _names_field(("tool_calls",), chars)
    if field == "anomaly":
        return _names_field(("anomalies",), chars)
    if field == "has":
        return _has(chars, value, value_pos)
    if field in ("size", "chunks", "messages"):
        return _compare(field, chars, value_pos)
    raise AssertionError(field)  # every FIELDS entry is handled above


def _has(chars: Chars, value: str, value_pos: int) -> Predicate:
    if is_glob(chars):
        full = _Glob(chars).fullmatch
        return lambda s: any(full(v) for v in s.flags) or any(full(v) for v in s.anomalies)
    value = _HAS_ALIASES.get(value, value)
    if value == "problem":
        return lambda s: s.problem is not None
    if value in HAS_VALUES:
        return lambda s: value in s.flags
    if value not in ANOMALY_CODES:
        _suggest("has", chars, value, value_pos, (*HAS_VALUES, *ANOMALY_CODES), required=True)
    return lambda s: any(a.lower() == value for a in s.anomalies) if s.anomalies else False


def _suggest(field: str, chars: Chars, value: str, value_pos: int, known: tuple[str, ...], *, required: bool) -> None:
    """An unknown value: an error naming the closest known one; with `required`, an error anyway."""
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    if not close and not required:
        return
    hint = f"did you mean '{close[0]}'?" if close else "one of " + ", ".join(known)
    raise QueryError(f"bad {field}: value '{value_text(chars)}'", value_pos, hint)


def _path_field(needle: str) -> Predicate:
    """A substring of the path within the tree or, when the tree's folder is known (`parse(root=)`),
    of the whole path: a path shown relative to any folder above the tree, or absolute, matches."""
    needle = needle.removeprefix("./")
    root = PATH_ROOT.get()
    if root is None:
        return lambda s: needle in s.path.lower()
    base = root.lower().rstrip("/") + "/"
    return lambda s: needle in s.path.lower() or needle in base + s.path.lower()


