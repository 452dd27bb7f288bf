"""Replay-miss messages out of a log: every variant the recorder ever printed, wrapped,
indented or prefixed by a logger or pytest, with the failing test's id when the log names it.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from typing import Any

from .miss import Miss, url_path

_W = r"\s*"   # a word-wrapping logger may have dropped the space between two words
_ANCHORS: list[tuple[str, re.Pattern[str]]] = [
    ("genai", re.compile(rf"Recording{_W}not{_W}found{_W}for{_W}genai{_W}request{_W}hash:")),
    ("request-hash", re.compile(rf"Recording{_W}not{_W}found{_W}for{_W}request{_W}hash:")),
    ("httpx-stream", re.compile(rf"Recording{_W}not{_W}found{_W}for{_W}httpx{_W}stream\s+(?P<method>[A-Z]+)")),
    ("httpx", re.compile(rf"Recording{_W}not{_W}found{_W}for{_W}httpx\s+(?P<method>[A-Z]+)")),
    ("rerank", re.compile(rf"Recording{_W}not{_W}found{_W}for{_W}rerank{_W}request{_W}\|{_W}URL:")),
    ("tool", re.compile(rf"Recording{_W}not{_W}found{_W}for\s+(?P<tool>[\w-]+\.[\w.-]+?){_W}\|{_W}Request:")),
    ("legacy", re.compile(rf"No{_W}recorded{_W}response{_W}found{_W}for{_W}request{_W}hash:")),
]
_ANY_ANCHOR = re.compile(rf"Recording{_W}not{_W}found{_W}for|No{_W}recorded{_W}response{_W}found")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
# What loggers and runners put before a line: timestamps, xdist workers, pytest's "E", levels, bars.
_PREFIX = re.compile(
    r"""^(?:
        \ufeff
      | \d{4}-\d\d-\d\d[T\ ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\s?
      | \[\d\d:\d\d:\d\d(?:[.,]\d+)?\]\s?
      | \[gw\d+\]\s?
      | E(?=\s|$)
      | (?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)(?::|\s)\s*
      | [│┃|>]\s?
    )""",
    re.VERBOSE,
)
_EXC_LABEL = re.compile(r"(?:[\w.]*(?:Error|Exception)\s*(?::|\(\s*['\"]?)\s*)$")
_LABEL = re.compile(r"^(?:Model|Endpoint|Request|URL|Test context|Test ID)\s*:")
_STOP = re.compile(
    r"^(?:Run\s*'|Run\s*\"|To\s*record\s*this|Traceback|File\s\"|During handling|The above exception|_{3,}|={3,}|-{5,}|FAILED\b|PASSED\b|ERROR\s+tests/|\w+\.py:\d+:)"
)
_FAILED_NODE = re.compile(r"(?:FAILED|ERROR)\s+(?P<node>\S+?::\S+)(?:\s+-\s|$)")
_CONTEXT_TEST = re.compile(r"(?:Test context|Test ID):\s*(?P<node>\S+::\S+)")
_HEX = re.compile(r"\s*([0-9a-f]{8,64})(\.\.\.|…)?")
_MAX_BLOCK_LINES = 400
_MAX_HEAD = 4096     # what a pattern may scan of one line: keeps every search linear in the log's size
# pytest's failure block: "____ test_x[params] ____" and the traceback's "tests/.../test_x.py:42: in test_x".
_SECTION = re.compile(r"^_{3,} (?P<name>[\w.]+(?:\[.*\])?) _{3,}\s*$")
_WHERE = re.compile(r"^(?P<file>[\w./-]+\.py):\d+:")


def _strip_prefix(line: str, learned: re.Pattern[str] | None) -> tuple[str, bool]:
    """(content, indented): the line without what a logger put before it, and whether the
    content was indented beyond that prefix (a word-wrapping logger's hanging indent)."""
    if learned is not None:
        m = learned.match(line)
        if m:
            line = line[m.end():]
    for _ in range(8):
        m = _PREFIX.match(line)
        if not m or not m.group():
            break
        line = line[m.end():]
    indented = line[:1].isspace()
    return line.strip(), indented


def _learn_prefix(head: str) -> re.Pattern[str] | None:
    """A pattern for the prefix a logger put before the anchor line, digits generalized."""
    # Every digit is generalized, so heads that differ only in them (timestamps) share one pattern.
    return _prefix_pattern(head.translate(_ZERO_DIGITS))


_ZERO_DIGITS = str.maketrans("123456789", "000000000")


@functools.lru_cache(maxsize=256)
def _prefix_pattern(head: str) -> re.Pattern[str] | None:
    head = _EXC_LABEL.sub("", head)
    if not head.strip():
        return None
    out = []
    for token in re.findall(r"\d+|\s+|.", head):
        if token.isdigit():
            out.append(r"\d+")
        elif token.isspace():
            out.append(r"\s*")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out))


def _clean_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line without ANSI codes); a repr'd message with literal \\n is split."""
    out: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = _ANSI.sub("", raw).replace("\r", "")
        if "\\n" in line and _ANY_ANCHOR.search(line):
            for part in line.split("\\n"):
                out.append((n, part))
        else:
            out.append((n, line))
    return out


def parse_log(text: str) -> list[Miss]:
    """Every replay miss in a log, in order of first appearance; repeats of one miss are merged."""
    lines = _clean_lines(text)
    sections = _section_tests(lines, _failed_nodes(lines))
    misses: list[Miss] = []
    i = 0
    while i < len(lines):
        lineno, raw = lines[i]
        start = _ANY_ANCHOR.search(raw)
        if start is None:
            i += 1
            continue
        head = raw[max(0, start.start() - _MAX_HEAD): start.start()]
        learned = _learn_prefix(head) if start.start() <= _MAX_HEAD else None
        # The rest of an anchor may be wrapped onto the next line or two: look at them joined.
        window = raw + "".join(_strip_prefix(lines[j][1], learned)[0] for j in range(i + 1, min(i + 3, len(lines))))
        found = None
        for variant, pattern in _ANCHORS:
            m = pattern.match(window, start.start())
            if m:
                found = (variant, m)
                break
        if found is None:
            i += 1
            continue
        variant, m = found
        block = raw[m.start():]
        j = i + 1
        while j < len(lines) and j - i < _MAX_BLOCK_LINES:
            content, indented = _strip_prefix(lines[j][1], learned)
            if not content or _STOP.match(content) or _ANY_ANCHOR.search(content):
                break
            # a label starts a line of the message; a hanging indent means the logger wrapped at a
            # space; anything else was cut at the terminal's width, mid-word
            block += ("\n" if _LABEL.match(content) else " " if indented else "") + content
            j += 1
        miss = _parse_block(variant, block)
        if miss is not None:
            miss.line = lineno
            node = _FAILED_NODE.search(head)
            miss.test_id = node.group("node") if node else _nearby_test(lines, i, sections)
            misses.append(miss)
        i = max(j, i + 1)
    return _merge(misses)


def _failed_nodes(lines: list[tuple[int, str]]) -> dict[str, str]:
    """pytest's `FAILED <node id>` lines: the test's name with its parameters -> its whole node id."""
    out: dict[str, str] = {}
    for _, line in lines:
        if "FAILED" in line or "ERROR" in line:
            m = _FAILED_NODE.search(line[:_MAX_HEAD])
            if m:
                out.setdefault(m.group("node").rsplit("::", 1)[-1], m.group("node"))
    return out


def _section_tests(lines: list[tuple[int, str]], failed: dict[str, str]) -> list[str | None]:
    """For each line, the test whose pytest failure block holds it: the block's `____ test_x[...] ____`
    header, completed to a node id by a FAILED line or by the block's first `tests/.../test_x.py:N:` line."""
    out: list[str | None] = [None] * len(lines)
    # a CI runner's timestamps may stand before pytest's own lines
    plain = [_strip_prefix(line[:_MAX_HEAD], None)[0] for _, line in lines]
    starts = [k for k, line in enumerate(plain) if line.startswith("___") and _SECTION.match(line)]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        name = _SECTION.match(plain[start]).group("name")  # type: ignore[union-attr]
        node = failed.get(name)
        if node is None:
            for k in range(start + 1, end):
                where = _WHERE.match(plain[k])
                if where and where.group("file").rsplit("/", 1)[-1].startswith("test"):
                    node = f"{where.group('file')}::{name}"
                    break
        out[start:end] = [node] * (end - start)
    return out


def _nearby_test(lines: list[tuple[int, str]], i: int, sections: list[str | None]) -> str | None:
    """The test a miss belongs to: a `Test ID:` line just above, else its pytest failure block's."""
    for k in range(i - 1, max(-1, i - 15), -1):
        m = _CONTEXT_TEST.search(lines[k][1][:_MAX_HEAD])
        if m:
            return m.group("node")
    return sections[i]


def _parse_block(variant: str, block: str) -> Miss | None:
    anchor = dict(_ANCHORS)[variant].match(block)
    if anchor is None:
        return None
    rest = block[anchor.end():]
    miss = Miss(variant, text=block.strip())
    if variant in ("request-hash", "genai", "legacy"):
        hm = _HEX.match(rest)
        if not hm:
            return None
        miss.hash = hm.group(1)
        if variant == "legacy":
            miss.version = "v1"
        model = re.search(r"Model:\s*(\S*)", rest)
        if model and model.group(1) not in ("", "unknown", "|"):
            miss.model = model.group(1)
        req = re.search(r"Request:\s*([A-Z]+)\s*([^\s{]+)", rest)
        if req:
            miss.method, miss.url = req.group(1), req.group(2)
            miss.endpoint = url_path(miss.url)
        ep = re.search(r"Endpoint:\s*(\S+)", rest)
        if ep:
            miss.endpoint = ep.group(1)
        if variant == "genai":
            miss.method = "POST"
            if miss.endpoint:
                miss.url = f"vertexai://{miss.endpoint}"
        if variant == "legacy" and req:
            body = _python_literal(rest[req.end():].split("\nModel:")[0])
            if isinstance(body, dict):
                miss.envelope = {"request": {"method": miss.method, "url": miss.url, "body": body}, "test_id": None}
                miss.model = miss.model or (body.get("model") if isinstance(body.get("model"), str) else None)
        return miss
    if variant in ("httpx", "httpx-stream", "rerank"):
        miss.kind = "http"
        miss.method = "POST" if variant == "rerank" else anchor.group("method")
        um = re.match(r"\s*(\S+)", rest)
        if not um:
            return None
        miss.url = um.group(1)
        miss.endpoint = url_path(miss.url)
        return miss
    if variant == "tool":
        miss.kind = "tool"
        miss.tool = anchor.group("tool")
        miss.endpoint = "tool:" + miss.tool.split(".", 1)[1]
        kwargs = _python_literal(rest)
        if isinstance(kwargs, dict):
            provider, tool_name = miss.tool.split(".", 1)
            miss.envelope = {"request": {"provider": provider, "tool_name": tool_name, "kwargs": kwargs}, "test_id": None}
        return miss
    return None


def _python_literal(text: str) -> Any:
    """A dict printed by Python (repr) or as JSON; None when it is not a literal."""
    text = text.strip()
    if not text.startswith("{"):
        return None
    end = text.rfind("}")
    candidates = [text[: end + 1]] if end > 0 else []
    for cand in candidates:
        for attempt in (cand, cand.replace("\n", "")):
            try:
                return ast.literal_eval(attempt)
            except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
                pass
            try:
                return json.loads(attempt)
            except ValueError:
                pass
    return None



def _merge(misses: list[Miss]) -> list[Miss]:
    """One Miss per distinct miss: same hash (a truncated hash joins the full one), or same request.

    Hashes are bucketed by their first 8 hex (the shortest a log keeps), so a log of
    thousands of misses merges in linear time.
    """
    out: list[Miss] = []
    by_prefix: dict[str, list[Miss]] = {}
    by_request: dict[tuple[Any, ...], Miss] = {}
    for m in misses:
        twin = None
        if m.hash:
            bucket = by_prefix.setdefault(m.hash[:8], [])
            twin = next((o for o in bucket if o.hash and (o.hash.startswith(m.hash) or m.hash.startswith(o.hash))), None)
            if twin is None:
                bucket.append(m)
        else:
            key = (m.variant, m.url, m.tool, m.text)
            twin = by_request.get(key)
            if twin is None:
                by_request[key] = m
        if twin is None:
            out.append(m)
            continue
        twin.count += 1
        if m.hash and (not twin.hash or len(m.hash) > len(twin.hash)):
            twin.hash = m.hash
        for attr in ("model", "method", "url", "endpoint", "tool", "test_id", "envelope"):
            if getattr(twin, attr) is None and getattr(m, attr) is not None:
                setattr(twin, attr, getattr(m, attr))
        if len(m.text) > len(twin.text):
            twin.text = m.text
    return out
