"""Query language for filtering recordings.

    term term            both (AND)           model:gpt-4o stream:yes
    term OR term         either; AND binds tighter than OR ("or" works too)
    ( ... )              grouping             (kind:chat OR kind:completion) -has:error
    -term, -( ... )      negation             -provider:ollama
    "two words"          one value            "hello world"  test:"foo bar"
    field:value          match one field      see the field list
    word                 substring of test id, model, message text, id or path

Everything is case-insensitive. In values, `*` matches any run of characters
and `?` any one character; a globbed field value must match the whole field
(`model:gpt-4*`), a globbed bare word may match anywhere. Without a glob, text
fields match a substring (`model:gpt-4o` finds gpt-4o-mini) and `=` asks for the
whole value (`model:=gpt-4o` does not); kind:, provider:, finish: and is: match
the whole value; id: matches a prefix. path: takes a path as shown from any
folder above the tree too (`tests/integration/x/recordings/`, or absolute). A backslash makes
the next character literal (`\\*`, `\\"`). A field that is not set never
matches, except finish:none and is:none.

Numbers (size:, chunks:, messages:): `>100k`, `>=1.5m`, `<10`, `<=3`, `=3`,
`10..50` (inclusive; either end may be left open), and a plain number means
exactly that. size: takes units k/kb, m/mb, g/gb (powers of 1024).

Fields: test: model: endpoint:/ep: provider: host: kind: stream:yes|no tool: called:
finish: has: anomaly: is: path: id: size: chunks: messages:
(has:tools|error|reasoning|image|anomaly|problem|<anomaly code>; is:<status>,
is:problem, is:none). A value these fields do not know is an error that says
the closest one (`is:stael`: did you mean 'stale'?); finish: takes any word
not close to a known one (a provider's own). To search for text that looks like an operator or a field
(`or`, `-x`, `gemma:2b`), quote it.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter

from . import finish as _finish
from .model import KINDS, VERIFY_STATUSES, Summary

__all__ = ["FIELDS", "HAS_VALUES", "Query", "QueryError", "filter_summaries", "parse"]

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
_ALIASES = {"ep": "endpoint"}

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


# --------------------------------------------------------------------------- lexing

# A value is a list of (character, position in the query, literal?) triples;
# literal characters came after a backslash and are never glob wildcards.
Chars = list[tuple[str, int, bool]]


@dataclass(slots=True)
class _Tok:
    kind: str              # '(' ')' '-' 'or' 'term'
    pos: int
    field: str | None = None
    chars: Chars | None = None
    value_pos: int = 0     # where the value starts (after the colon)


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            toks.append(_Tok("(", i))
            i += 1
        elif c == ")":
            toks.append(_Tok(")", i))
            i += 1
        elif c == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] == ")":
                raise QueryError("'-' must be followed by a term to negate", i)
            toks.append(_Tok("-", i))
            i += 1
        else:
            i = _word(text, i, toks)
    return toks


def _word(text: str, start: int, toks: list[_Tok]) -> int:
    """Read one term starting at `start`; append it; return where it ends."""
    n = len(text)
    chars: Chars = []
    colon = -1          # index into chars of the first bare ':'
    plain = True        # no quotes or escapes seen (for recognising OR)
    depth = 0           # parentheses opened inside the word
    i = start
    while i < n:
        c = text[i]
        if c.isspace():
            break
        if c == ")" and depth == 0:
            break
        if c == '"':
            plain = False
            close = i + 1
            while close < n and text[close] != '"':
                if text[close] == "\\" and close + 1 < n:
                    chars.append((text[close + 1], close + 1, True))
                    close += 2
                else:
                    chars.append((text[close], close, False))
                    close += 1
            if close >= n:
                raise QueryError("unclosed '\"'", i)
            i = close + 1
            continue
        if c == "\\":
            plain = False
            if i + 1 >= n:
                raise QueryError("'\\' at the end of the query", i)
            chars.append((text[i + 1], i + 1, True))
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == ":" and colon < 0:
            colon = len(chars)
        chars.append((c, i, False))
        i += 1

    if plain and "".join(ch for ch, _, _ in chars).lower() == "or":
        toks.append(_Tok("or", start))
        return i

    field = None
    value_pos = start
    if colon > 0 and text[start] != '"':
        name = "".join(ch for ch, _, _ in chars[:colon])
        if name.isascii() and name.replace("_", "a").isalpha() and not any(lit for _, _, lit in chars[:colon]):
            field = name.lower()
            value_pos = chars[colon][1] + 1
            if field not in FIELDS:
                similar = difflib.get_close_matches(field, FIELDS, n=1, cutoff=0.75)
                word = text[start:i]
                hint = f"did you mean '{similar[0]}'?" if similar else f"quote it, \"{word}\", to search for the text"
                raise QueryError(f"unknown field '{name}'", start, hint)
            field = _ALIASES.get(field, field)
            if colon + 1 == len(chars) and value_pos == i:
                raise QueryError(f"missing value after '{name}:'", value_pos)
            if chars[colon + 1] == ("(", value_pos, False):
                raise QueryError(f"missing value after '{name}:'", value_pos,
                                 f"write ({name}:a OR {name}:b), or quote a value that starts with '('")
            chars = chars[colon + 1:]
    toks.append(_Tok("term", start, field, chars, value_pos))
    return i


# --------------------------------------------------------------------------- the tree

class _Node:
    __slots__ = ()

    def compile(self) -> Predicate:
        raise NotImplementedError

    def render(self) -> str:
        raise NotImplementedError


class _Term(_Node):
    __slots__ = ("field", "chars", "value_pos", "pred")

    def __init__(self, field: str | None, chars: Chars, value_pos: int) -> None:
        self.field = field
        self.chars = chars
        self.value_pos = value_pos
        self.pred = _compile_term(field, chars, value_pos)   # raises QueryError for bad values

    def compile(self) -> Predicate:
        return self.pred

    def render(self) -> str:
        value = _render_value(self.chars, bare=self.field is None)
        return value if self.field is None else f"{self.field}:{value}"


class _Not(_Node):
    __slots__ = ("child",)

    def __init__(self, child: _Node) -> None:
        self.child = child

    def compile(self) -> Predicate:
        p = self.child.compile()
        return lambda s: not p(s)

    def render(self) -> str:
        inner = self.child.render()
        return f"-({inner})" if isinstance(self.child, (_And, _Or)) else f"-{inner}"


class _And(_Node):
    __slots__ = ("children",)

    def __init__(self, children: list[_Node]) -> None:
        self.children = children

    def compile(self) -> Predicate:
        ps = [c.compile() for c in self.children]
        if len(ps) == 2:
            a, b = ps
            return lambda s: a(s) and b(s)

        def all_of(s: Summary) -> bool:
            for p in ps:
                if not p(s):
                    return False
            return True
        return all_of

    def render(self) -> str:
        return " ".join(f"({c.render()})" if isinstance(c, _Or) else c.render() for c in self.children)


class _Or(_Node):
    __slots__ = ("children",)

    def __init__(self, children: list[_Node]) -> None:
        self.children = children

    def compile(self) -> Predicate:
        ps = [c.compile() for c in self.children]
        if len(ps) == 2:
            a, b = ps
            return lambda s: a(s) or b(s)

        def any_of(s: Summary) -> bool:
            for p in ps:
                if p(s):
                    return True
            return False
        return any_of

    def render(self) -> str:
        return " OR ".join(c.render() for c in self.children)


def _render_value(chars: Chars, bare: bool) -> str:
    out = []
    for ch, _, lit in chars:
        if ch in '"\\' or (lit and ch in "*?"):
            out.append("\\" + ch)
        else:
            out.append(ch)
    s = "".join(out)
    needs_quotes = (
        not s
        or any(c.isspace() or c in "()" for c in s)
        or s.lower() == "or"
        or (bare and (s[0] == "-" or ":" in s))
    )
    return f'"{s}"' if needs_quotes else s


# --------------------------------------------------------------------------- parsing

class _Parser:
    def __init__(self, toks: list[_Tok], length: int) -> None:
        self.toks = toks
        self.i = 0
        self.length = length

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def parse(self) -> _Node | None:
        if not self.toks:
            return None
        node = self.expr()
        tok = self.peek()
        if tok is not None:      # only a stray ')' can stop expr() early
            raise QueryError("unmatched ')'", tok.pos)
        return node

    def expr(self) -> _Node:
        tok = self.peek()
        if tok is not None and tok.kind == "or":
            raise QueryError("'OR' has nothing on its left", tok.pos)
        parts = [self.conj()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.i += 1
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "or"):
                raise QueryError("'OR' has nothing on its right", tok.pos)
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else _Or(parts)

    def conj(self) -> _Node:
        parts = []
        while (tok := self.peek()) is not None and tok.kind not in ("or", ")"):
            parts.append(self.unary())
        if not parts:    # only a leading ')' gets here; expr() and unary() catch the rest
            raise QueryError("unmatched ')'" if tok else "expected a term", tok.pos if tok else self.length)
        return parts[0] if len(parts) == 1 else _And(parts)

    def unary(self) -> _Node:
        tok = self.toks[self.i]
        if tok.kind == "-":
            self.i += 1
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "or"):
                raise QueryError("'-' must be followed by a term to negate", tok.pos)
            return _Not(self.unary())
        if tok.kind == "(":
            self.i += 1
            nxt = self.peek()
            if nxt is None:
                raise QueryError("unclosed '('", tok.pos)
            if nxt.kind == ")":
                raise QueryError("empty parentheses", tok.pos)
            node = self.expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError("unclosed '('", tok.pos)
            self.i += 1
            return node
        self.i += 1
        return _Term(tok.field, tok.chars or [], tok.value_pos)


# --------------------------------------------------------------------------- terms

def _is_glob(chars: Chars) -> bool:
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


def _text(chars: Chars) -> str:
    return "".join(ch for ch, _, _ in chars)


def _str_field(attr: str, chars: Chars, how: str) -> Predicate:
    """Match an optional str attribute: how is 'sub', 'exact' or 'prefix' (globs: whole value)."""
    get = attrgetter(attr)
    if _is_glob(chars):
        full = _Glob(chars).fullmatch

        def glob(s: Summary) -> bool:
            v = get(s)
            return v is not None and full(v)
        return glob
    needle = _text(chars).lower()
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
    if _is_glob(chars):
        full = _Glob(chars).fullmatch

        def ok(name: str) -> bool:
            return full(name)
    else:
        needle = _text(chars).lower()

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
    if _is_glob(chars):
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
    needle = _text(chars).lower()

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
    raw = _text(chars[start:end]).strip().lower()
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
    raw = _text(chars)
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


def _compile_term(field: str | None, chars: Chars, value_pos: int) -> Predicate:
    if field is None:
        return _bare(chars)
    value = _text(chars).lower()
    globbed = _is_glob(chars)

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
            raise QueryError(f"unknown kind '{_text(chars)}'", value_pos,
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
            raise QueryError(f"stream: takes yes or no, not '{_text(chars)}'", value_pos)
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
    if _is_glob(chars):
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
    raise QueryError(f"bad {field}: value '{_text(chars)}'", value_pos, hint)


def _path_field(needle: str) -> Predicate:
    """A substring of the path within the tree or, when the tree's folder is known (`parse(root=)`),
    of the whole path: a path shown relative to any folder above the tree, or absolute, matches."""
    needle = needle.removeprefix("./")
    root = _ROOT.get()
    if root is None:
        return lambda s: needle in s.path.lower()
    base = root.lower().rstrip("/") + "/"
    return lambda s: needle in s.path.lower() or needle in base + s.path.lower()


# --------------------------------------------------------------------------- API

def _everything(s: Summary) -> bool:
    return True


class Query:
    """A parsed query: `matches(summary)`, the original `text`; str() is a normal form."""

    __slots__ = ("text", "matches", "_root")

    def __init__(self, text: str, root: _Node | None) -> None:
        self.text = text
        self._root = root
        self.matches: Predicate = root.compile() if root is not None else _everything

    @property
    def empty(self) -> bool:
        """True when the query matches everything."""
        return self._root is None

    def filter(self, summaries: Iterable[Summary]) -> list[Summary]:
        if self._root is None:
            return list(summaries)
        m = self.matches
        return [s for s in summaries if m(s)]

    def __call__(self, summary: Summary) -> bool:
        return self.matches(summary)

    def __str__(self) -> str:
        return self._root.render() if self._root is not None else ""

    def __repr__(self) -> str:
        return f"Query({self.text!r})"


_ROOT: contextvars.ContextVar[str | None] = contextvars.ContextVar("query_root", default=None)


@functools.lru_cache(maxsize=256)
def parse(text: str, root: str | None = None) -> Query:
    """Parse and compile `text`; raises QueryError. Results are cached (queries are immutable).
    `root`, the tree's folder, lets path: match a path shown from above the tree."""
    toks = _tokenize(text)
    token = _ROOT.set(root)
    try:
        return Query(text, _Parser(toks, len(text)).parse())
    finally:
        _ROOT.reset(token)


def filter_summaries(summaries: Iterable[Summary], text: str | Query) -> list[Summary]:
    """The summaries that `text` (a query string or a parsed Query) matches, in order."""
    query = text if isinstance(text, Query) else parse(text)
    return query.filter(summaries)
