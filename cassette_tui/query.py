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

import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Summary
from .query_terms import ALIASES, FIELDS, HAS_VALUES, PATH_ROOT, Chars, Predicate, QueryError, compile_term, is_glob, value_text

__all__ = ["FIELDS", "HAS_VALUES", "Query", "QueryError", "filter_summaries", "parse"]

# --------------------------------------------------------------------------- lexing



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
            field = ALIASES.get(field, field)
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
        self.pred = compile_term(field, chars, value_pos)   # raises QueryError for bad values

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


# --------------------------------------------------------------------------- implication

# Fields whose plain value (no glob, no `=`) matches a substring: a value that contains
# another matches only recordings the other matches too. id: matches a prefix.
_SUBSTRING_FIELDS = frozenset({None, "test", "model", "endpoint", "host", "tool", "called", "anomaly"})


def _term_implies(a: _Term, b: _Term) -> bool:
    if a.field != b.field:
        return False
    if a.render() == b.render():
        return True
    if is_glob(a.chars) or is_glob(b.chars) or _exact(a.chars) or _exact(b.chars):
        return False
    va, vb = value_text(a.chars).lower(), value_text(b.chars).lower()
    if a.field in _SUBSTRING_FIELDS:
        return vb in va
    return a.field == "id" and va.startswith(vb)


def _exact(chars: Chars) -> bool:
    return bool(chars) and chars[0][0] == "=" and not chars[0][2]


def _implies(a: _Node | None, b: _Node | None) -> bool:
    """Whether every recording `a` matches, `b` matches too. Sound, not complete: False when unsure."""
    if b is None:
        return True
    if a is None:
        return False
    if isinstance(b, _And):
        return all(_implies(a, c) for c in b.children)
    if isinstance(a, _Or):
        return all(_implies(c, b) for c in a.children)
    if isinstance(a, _And) and any(_implies(c, b) for c in a.children):
        return True
    if isinstance(b, _Or):
        return any(_implies(a, c) for c in b.children)
    if isinstance(a, _Not) and isinstance(b, _Not):
        return _implies(b.child, a.child)
    return isinstance(a, _Term) and isinstance(b, _Term) and _term_implies(a, b)


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

    def implies(self, other: Query) -> bool:
        """Whether every recording this query matches, `other` matches too (`model:gpt-4o h`
        implies `model:gpt`): then this query can filter `other`'s result rather than everything.
        False when unsure. Both must be parsed with the same root (path: depends on it)."""
        return _implies(self._root, other._root)

    def __str__(self) -> str:
        return self._root.render() if self._root is not None else ""

    def __repr__(self) -> str:
        return f"Query({self.text!r})"




@functools.lru_cache(maxsize=256)
def parse(text: str, root: str | None = None) -> Query:
    """Parse and compile `text`; raises QueryError. Results are cached (queries are immutable).
    `root`, the tree's folder, lets path: match a path shown from above the tree."""
    toks = _tokenize(text)
    token = PATH_ROOT.set(root)
    try:
        return Query(text, _Parser(toks, len(text)).parse())
    finally:
        PATH_ROOT.reset(token)


def filter_summaries(summaries: Iterable[Summary], text: str | Query) -> list[Summary]:
    """The summaries that `text` (a query string or a parsed Query) matches, in order."""
    query = text if isinstance(text, Query) else parse(text)
    return query.filter(summaries)
