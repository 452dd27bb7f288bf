"""Why did replay miss? Parse the miss messages of a CI log, find what is recorded, say what changed.

Three inputs describe a miss:

* a log (CI output, a server log) holding one or more of the recorder's
  messages, in any variant it ever printed (FORMAT.md), with lines wrapped,
  indented or prefixed by a logger: `parse_log` -> [Miss];
* a bare hash: `miss_from_hash`;
* a recording freshly written by `record-if-missing` that has no twin: the live
  request itself, `miss_from_recording`.

`explain(miss, index)` then says where replay looked (the test's folder, then
the fallback), which recordings come closest (same test id, endpoint and model
first), and, when the live request is known, the JSON paths where its
normalized request differs from the nearest recording, with both values and a
one-line verdict.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .diff import MISSING, Change, string_window, structural_diff  # noqa: F401 - string_window re-exported
from .hashing import NEWEST, VERSIONS, hash_object, name_hash
from .recording import Recording
from .verify import Verdict, file_verdicts, verify_recording, version_range

FALLBACK_FOLDER = "tests/integration/common/recordings"
UNKNOWN_TEST_FOLDER = "(unknown: the message does not name the test)"
SQLITE_FOLDER = "tests/integration/recordings"

# --- the miss ------------------------------------------------------------------------


@dataclass
class Miss:
    """One replay miss: what the recorder said it looked for."""

    variant: str                       # request-hash | genai | tool | httpx | httpx-stream | rerank | legacy | hash | recording
    kind: str = "inference"            # inference | tool | http
    hash: str | None = None            # the live request's hash (may be a prefix when a log truncated it)
    model: str | None = None
    method: str | None = None
    url: str | None = None
    endpoint: str | None = None        # the url's path, or the message's Endpoint: field
    tool: str | None = None            # provider.tool_name
    test_id: str | None = None
    line: int = 0                      # 1-based line of the log where the message starts (0: not from a log)
    count: int = 1                     # times the log holds this same miss
    text: str = ""                     # the message, unwrapped
    envelope: dict[str, Any] | None = None   # the live request as a recording envelope, when known
    version: str = NEWEST              # the recorder version that hashed the live request
    source: str | None = None          # the recording file, for variant "recording"
    live_from: str | None = None       # a recording whose request hashes to `hash`: the live request, found

    @property
    def live_known(self) -> bool:
        return self.envelope is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "kind": self.kind,
            "hash": self.hash,
            "model": self.model,
            "method": self.method,
            "url": self.url,
            "endpoint": self.endpoint,
            "tool": self.tool,
            "test_id": self.test_id,
            "line": self.line,
            "count": self.count,
            "live_request_known": self.live_known,
            "live_from": self.live_from,
        }


# --- reading logs -------------------------------------------------------------------

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
    misses: list[Miss] = []
    i = 0
    while i < len(lines):
        lineno, raw = lines[i]
        start = _ANY_ANCHOR.search(raw)
        if start is None:
            i += 1
            continue
        head = raw[: start.start()]
        learned = _learn_prefix(head)
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
            node = _FAILED_NODE.search(head) or _nearby_test(lines, i)
            if node:
                miss.test_id = node.group("node")
            misses.append(miss)
        i = max(j, i + 1)
    return _merge(misses)


def _nearby_test(lines: list[tuple[int, str]], i: int) -> re.Match[str] | None:
    for k in range(i - 1, max(-1, i - 15), -1):
        m = _CONTEXT_TEST.search(lines[k][1])
        if m:
            return m
    return None


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
            miss.endpoint = _path(miss.url)
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
    if variant in ("httpx", "httpx-stream"):
        miss.kind = "http"
        miss.method = anchor.group("method")
        um = re.match(r"\s*(\S+)", rest)
        if not um:
            return None
        miss.url = um.group(1)
        miss.endpoint = _path(miss.url)
        return miss
    if variant == "rerank":
        miss.kind = "http"
        miss.method = "POST"
        um = re.match(r"\s*(\S+)", rest)
        if not um:
            return None
        miss.url = um.group(1)
        miss.endpoint = _path(miss.url)
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


def _path(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlparse(url).path or url
    except ValueError:
        return url


def _merge(misses: list[Miss]) -> list[Miss]:
    """One Miss per distinct miss: same hash (a truncated hash joins the full one), or same request."""
    out: list[Miss] = []
    for m in misses:
        twin = None
        for o in out:
            if m.hash and o.hash and (o.hash.startswith(m.hash) or m.hash.startswith(o.hash)):
                twin = o
                break
            if not m.hash and not o.hash and (m.variant, m.url, m.tool, m.text) == (o.variant, o.url, o.tool, o.text):
                twin = o
                break
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


def miss_from_hash(h: str) -> Miss:
    return Miss("hash", hash=h.lower())


def miss_from_recording(rec: Recording, verdict: Verdict | None = None) -> Miss:
    """The live request as `record-if-missing` wrote it: everything about the miss is known."""
    v = verdict or verify_recording(rec)
    named = name_hash(rec.path)
    version = v.algorithm if v.status == "ok" and v.algorithm else NEWEST
    req = rec.request
    kind = v.kind if v.kind in ("tool", "http") else "inference"
    return Miss(
        "recording",
        kind=kind,
        hash=named[0] if named else v.expected,
        model=rec.model,
        method=req.get("method") if isinstance(req.get("method"), str) else None,
        url=rec.url or None,
        endpoint=rec.endpoint,
        tool=f"{req.get('provider')}.{req.get('tool_name')}" if kind == "tool" else None,
        test_id=rec.test_id,
        envelope=rec.data,
        version=version,
        source=rec.path,
    )


# --- where replay looked ---------------------------------------------------------------


@dataclass
class Lookup:
    role: str            # test folder | fallback | sqlite index
    folder: str          # relative to the index root when it maps into it, else the repository path
    file: str | None     # the file name replay wanted
    exists: bool         # the folder exists under the index root
    found: bool          # the file is there

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "folder": self.folder, "file": self.file, "exists": self.exists, "found": self.found}


def replay_test_folder(test_id: str | None) -> str | None:
    """The repository folder replay reads first: the test file's folder + recordings/."""
    if not test_id:
        return None
    test_file = test_id.split("::", 1)[0]
    parent = posixpath.dirname(test_file)
    return posixpath.join(parent, "recordings") if parent else "recordings"


def map_into(root: Path, repo_path: str) -> Path | None:
    """`repo_path` (from the repository's top) as a folder under `root`, wherever root sits in the repo.

    Prefers a root whose last folders are the path's first ones (root = repo/tests/integration),
    then any existing folder root/<the path without its first k parts> (a copy named otherwise).
    """
    parts = [p for p in repo_path.split("/") if p]
    tail = root.parts
    best = None
    for k in range(len(parts), -1, -1):
        if k == 0 or tuple(tail[-k:]) == tuple(parts[:k]):
            cand = root.joinpath(*parts[k:]) if parts[k:] else root
            if cand.is_dir():
                return cand
            if best is None:
                best = cand
    for k in range(1, len(parts)):
        cand = root.joinpath(*parts[k:])
        if cand.is_dir():
            return cand
    return best


def replay_lookups(miss: Miss, root: Path) -> list[Lookup]:
    if miss.variant == "legacy":
        folder = map_into(root, SQLITE_FOLDER)
        rel = _rel(folder, root) if folder else SQLITE_FOLDER
        name = f"{miss.hash[:12]}.json" if miss.hash else None
        found = bool(folder and name and (folder / "responses" / name).is_file())
        return [Lookup("sqlite index", rel + "/index.sqlite -> responses/", name, bool(folder and folder.is_dir()), found)]
    name = None
    if miss.hash and len(miss.hash) == 64:
        name = f"{miss.hash}.json"
    out = []
    tf = replay_test_folder(miss.test_id)
    roles: list[tuple[str, str | None]] = [("test folder", tf), ("fallback", FALLBACK_FOLDER)]
    for role, repo_path in roles:
        if repo_path is None:
            out.append(Lookup(role, UNKNOWN_TEST_FOLDER, name, False, False))
            continue
        folder = map_into(root, repo_path)
        exists = bool(folder and folder.is_dir())
        found = False
        if exists and folder is not None and miss.hash:
            if name and (folder / name).is_file() and (miss.source is None or os.path.abspath(folder / name) != os.path.abspath(miss.source)):
                found = True
            elif any(folder.glob(f"models-{miss.hash}-*.json")):
                found = True
        out.append(Lookup(role, _rel(folder, root) if folder is not None and exists else repo_path, name, exists, found))
    return out


def _rel(p: Path | None, root: Path) -> str:
    if p is None:
        return ""
    try:
        r = p.relative_to(root).as_posix()
        return r if r != "." else "."
    except ValueError:
        return p.as_posix()


# --- candidates and the verdict ------------------------------------------------------------


@dataclass
class Candidate:
    path: str                       # relative to the index root
    test_id: str | None
    endpoint: str | None
    model: str | None
    same_test_id: bool
    same_endpoint: bool
    same_model: bool
    status: str | None = None       # verify status of the candidate
    algorithm: str | None = None
    differences: int | None = None  # paths where the normalized requests differ (live request known)
    distance: float = 0.0           # how far apart those values are (0..differences): breaks ties
    changes: list[Change] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "test_id": self.test_id,
            "endpoint": self.endpoint,
            "model": self.model,
            "same_test_id": self.same_test_id,
            "same_endpoint": self.same_endpoint,
            "same_model": self.same_model,
            "status": self.status,
            "algorithm": self.algorithm,
            "differences": self.differences,
        }


@dataclass
class Cause:
    code: str      # see CAUSES
    text: str      # one line, for people

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


# In the order a headline picks them.
CAUSES = (
    "found", "wrong-folder", "hash-algorithm", "same-request", "test-id", "tool", "prompt", "history",
    "content-shape", "default", "volatile", "parameter", "model", "endpoint", "other", "no-candidate", "unknown-live",
)


_CAUSE_WORDS = {
    "found": "now recorded", "wrong-folder": "in another folder", "hash-algorithm": "the hash algorithm", "same-request": "the same request elsewhere",
    "test-id": "the test id", "tool": "a tool", "prompt": "the prompt", "history": "the number of messages", "content-shape": "string versus list content",
    "default": "a default", "volatile": "a volatile id or number", "parameter": "a parameter", "model": "the model", "endpoint": "the endpoint",
    "other": "other fields",
}


@dataclass
class Explanation:
    miss: Miss
    root: Path
    looked: list[Lookup] = field(default_factory=list)
    found: list[str] = field(default_factory=list)                 # files named by the miss hash (anywhere)
    same_request: list[tuple[str, tuple[str, ...], Verdict]] = field(default_factory=list)   # (path, versions, verdict): content hashes to the miss hash
    candidates: list[Candidate] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)            # nearest (a, recorded) vs live (b)
    causes: list[Cause] = field(default_factory=list)

    @property
    def nearest(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def verdict(self) -> str:
        if not self.causes:
            return "no explanation found"
        head = self.causes[0].text
        more = [_CAUSE_WORDS.get(c.code, c.code) for c in self.causes[1:] if c.code not in ("unknown-live",)]
        return head + (f" (also: {', '.join(dict.fromkeys(more))})" if more else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "miss": self.miss.to_json(),
            "looked": [lk.to_json() for lk in self.looked],
            "found": self.found,
            "same_request": [{"path": p, "versions": list(vs), "status": v.status, "algorithm": v.algorithm} for p, vs, v in self.same_request],
            "candidates": [c.to_json() for c in self.candidates],
            "nearest": self.nearest.path if self.nearest else None,
            "changes": [{"path": c.path, "kind": c.kind, "recorded": _plain(c.a), "live": _plain(c.b)} for c in self.changes],
            "causes": [c.to_json() for c in self.causes],
            "verdict": self.verdict,
        }


def _plain(v: Any) -> Any:
    return None if v is MISSING else v


class HashTable:
    """Every version's hash of every recording's request under an index: which files hold a given request."""

    def __init__(self, index: Any):
        self.index = index
        self._by_hash: dict[str, list[tuple[str, tuple[str, ...]]]] | None = None
        self.verdicts: dict[str, Verdict] = {}

    def _build(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        table: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        own = file_verdicts(self.index)   # from the cache, but for files changed since
        for path, hashes in own.hashes.items():
            self.verdicts[path] = own.verdicts[path]
            by_hash: dict[str, list[str]] = {}
            for v in VERSIONS:
                if hashes[v]:
                    by_hash.setdefault(hashes[v], []).append(v)  # type: ignore[arg-type]
            for h, versions in by_hash.items():
                table.setdefault(h, []).append((path, tuple(versions)))
        return table

    def holders(self, h: str) -> list[tuple[str, tuple[str, ...]]]:
        """(path, versions) of files whose request hashes to `h` under those versions (`h` may be a prefix)."""
        if self._by_hash is None:
            self._by_hash = self._build()
        if len(h) == 64:
            return self._by_hash.get(h, [])
        return [x for k, xs in self._by_hash.items() if k.startswith(h) for x in xs]


def _test_parts(test_id: str | None) -> tuple[str, str, str]:
    """(file, function, parameters) of a pytest node id."""
    if not test_id:
        return "", "", ""
    file, _, rest = test_id.partition("::")
    func, _, params = rest.partition("[")
    return file, func, params.rstrip("]")


def _endpoint_matches(s_endpoint: str | None, miss: Miss) -> bool:
    if not s_endpoint or not miss.endpoint:
        return False
    a, b = s_endpoint.rstrip("/"), miss.endpoint.rstrip("/")
    return a == b or b.endswith(a) or a.endswith(b)


PRESELECT = 64


def explain(miss: Miss, index: Any, *, limit: int = 5, table: HashTable | None = None) -> Explanation:
    """Explain one miss against the recordings of a scanned `Index`."""
    root = Path(index.root)
    table = table or HashTable(index)
    ex = Explanation(miss, root)
    ex.looked = replay_lookups(miss, root)
    source_rel = _source_rel(miss, root)

    # Files already named by this hash, anywhere under the root, and files whose request hashes to it.
    if miss.hash:
        for s in index.summaries.values():
            if s.path != source_rel and not s.problem and _name_matches(s.path, miss.hash):
                ex.found.append(s.path)
        for path, versions in table.holders(miss.hash):
            if path != source_rel:
                ex.same_request.append((path, versions, table.verdicts.get(path) or Verdict(path, "unverifiable")))
        if ex.same_request and not miss.live_known:
            # A recording's request hashes to the missed hash: it *is* the live request.
            path, versions, _ = ex.same_request[0]
            _adopt_live(miss, root, path, versions[-1])
            ex.looked = replay_lookups(miss, root)

    ex.candidates = _rank(miss, index, root, source_rel, limit)
    if ex.candidates and miss.live_known:
        ex.changes = ex.candidates[0].changes
    ex.causes = _causes(ex)
    return ex


def _adopt_live(miss: Miss, root: Path, path: str, version: str) -> None:
    rec = Recording.load(root / path)
    if rec.problem:
        return
    miss.envelope, miss.version, miss.live_from = rec.data, version, path
    miss.test_id = miss.test_id or rec.test_id
    miss.model = miss.model or rec.model
    miss.url = miss.url or rec.url or None
    miss.endpoint = miss.endpoint or rec.endpoint
    miss.method = miss.method or (rec.request.get("method") if isinstance(rec.request.get("method"), str) else None)
    if miss.kind == "inference" and rec.request_kind in ("tool", "http"):
        miss.kind = rec.request_kind


def _name_matches(path: str, h: str) -> bool:
    nh = name_hash(path)
    if nh is None:
        return False
    name = nh[0]
    if nh[1] == "h12":
        return h.startswith(name) if len(h) >= 12 else name.startswith(h)
    return name == h if len(h) == 64 else name.startswith(h)


def _source_rel(miss: Miss, root: Path) -> str | None:
    if not miss.source:
        return None
    try:
        return Path(miss.source).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _rank(miss: Miss, index: Any, root: Path, source_rel: str | None, limit: int) -> list[Candidate]:
    m_file, m_func, _ = _test_parts(miss.test_id)
    tool_name = miss.tool.split(".", 1)[1] if miss.tool and "." in miss.tool else None
    pool = []
    for s in index.summaries.values():
        if s.problem or s.path == source_rel:
            continue
        if miss.kind == "tool" and s.kind != "tool":
            continue
        if miss.kind != "tool" and s.kind == "tool":
            continue
        s_file, s_func, _ = _test_parts(s.test_id)
        same_test = bool(miss.test_id) and s.test_id == miss.test_id
        same_ep = _endpoint_matches(s.endpoint, miss) or (tool_name is not None and s.endpoint == f"tool:{tool_name}")
        same_model = bool(miss.model) and s.model == miss.model
        cheap = (
            same_test,
            bool(m_func) and (s_file, s_func) == (m_file, m_func),
            same_ep,
            same_model,
            bool(m_file) and s_file == m_file,
            bool(miss.url) and bool(s.endpoint) and s.provider is not None and s.provider in (miss.url or ""),
        )
        pool.append((cheap, s, same_test, same_ep, same_model))
    pool.sort(key=lambda x: (tuple(not c for c in x[0]), x[1].path))
    if not pool:
        return []
    chosen = pool[: max(PRESELECT, limit)] if miss.live_known else pool[:limit]
    live_obj = hash_object(miss.envelope, miss.version) if miss.envelope is not None else None
    cands = []
    for cheap, s, same_test, same_ep, same_model in chosen:
        if not (any(cheap[:4]) or miss.live_known):
            continue
        c = Candidate(s.path, s.test_id, s.endpoint, s.model, same_test, same_ep, same_model)
        rec = Recording.load(root / s.path)
        if not rec.problem:
            v = verify_recording(rec, s.path)
            c.status, c.algorithm = v.status, v.algorithm
            if live_obj is not None:
                obj = hash_object(rec.data, miss.version)
                if obj is not None:
                    c.changes = structural_diff(obj, live_obj)
                    c.differences = len(c.changes)
                    c.distance = _distance(c.changes)
        if live_obj is not None and c.differences is None:
            continue
        cands.append((cheap, c))
    if live_obj is not None:
        cands.sort(key=lambda x: (not x[1].same_test_id, not x[1].same_endpoint, not x[1].same_model, x[1].differences, x[1].distance, x[1].path))
    return [c for _, c in cands[:limit]]


def _distance(changes: list[Change]) -> float:
    """Sum over the differences of how unlike the two values are: 1 each, less for similar strings."""
    total = 0.0
    for c in changes:
        if isinstance(c.a, str) and isinstance(c.b, str):
            total += 1.0 - difflib.SequenceMatcher(None, c.a[:2000], c.b[:2000], autojunk=False).ratio()
        else:
            total += 1.0
    return total


# --- classifying differences -----------------------------------------------------------------

_VOLATILE = re.compile(
    r"""(?x)
      \b(?:call|file|vs|batch|resp|msg|run|chatcmpl|rec|fc|toolu|req|asst|thread|step|conv|item|ws|cmpl|chunk|ls)[-_][A-Za-z0-9_-]{4,}
    | [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}
    | \b[0-9a-f]{16,}\b
    | \d{4}-\d\d-\d\d[T\ ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?
    | -?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?
    """
)
_ID_KEYS = re.compile(r"(?:^|\.)(?:id|\w+_id|\w+_ids\[\d+\]|ids\[\d+\])$")
_PROMPT_KEYS = ("messages", "contents", "input", "prompt", "instructions", "system", "query", "documents", "text")
_TOOL_KEYS = ("tools", "functions", "tool_config")
_PARAMS = {"temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens", "max_output_tokens", "seed", "n", "frequency_penalty",
           "presence_penalty", "stop", "tool_choice", "response_format", "stream", "stream_options", "logprobs", "top_logprobs",
           "parallel_tool_calls", "reasoning_effort", "user", "dimensions", "encoding_format", "options", "config", "think"}


def _body_key(path: str) -> tuple[str, str]:
    """('body', 'messages') for 'body.messages[0].content'."""
    m = re.match(r"^(body|payload|kwargs)\.([^.\[]+)", path)
    return (m.group(1), m.group(2)) if m else ("", "")


def _devolatilize(s: str) -> str:
    return _VOLATILE.sub("#", s)


def classify_change(c: Change) -> str:
    """The cause code of one difference (recorded a, live b)."""
    path = c.path
    a, b = c.a, c.b
    if path == "test_id":
        return "test-id"
    if path in ("endpoint", "method", "url"):
        return "endpoint"
    root_key, key = _body_key(path)
    if root_key and path == f"{root_key}.model":
        return "model"
    if key in _TOOL_KEYS:
        return "tool"
    one_side_none = (a is MISSING or a is None) != (b is MISSING or b is None)
    if one_side_none and key and path.count(".") == 1 and "[" not in path:
        return "default"
    if key in _PROMPT_KEYS or (root_key == "kwargs" and key):
        if re.fullmatch(rf"{root_key}\.{key}\[\d+\]", path) and (a is MISSING or b is MISSING):
            return "history"
        if isinstance(a, str) != isinstance(b, str) and isinstance(a, (str, list)) and isinstance(b, (str, list)):
            return "content-shape"
        if _is_volatile(path, a, b):
            return "volatile"
        if one_side_none and path.endswith(("tool_calls", "name", "refusal", "audio", "function_call")):
            return "default"
        return "prompt"
    if _is_volatile(path, a, b):
        return "volatile"
    if key in _PARAMS or (root_key and path.count(".") == 1):
        return "parameter"
    return "other"


def _is_volatile(path: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        if _ID_KEYS.search(path):
            return True
        return _devolatilize(a) == _devolatilize(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        key = _body_key(path)[1]
        return key not in _PARAMS
    return False


def _causes(ex: Explanation) -> list[Cause]:
    miss = ex.miss
    out: list[Cause] = []
    looked_folders = {lk.folder for lk in ex.looked if lk.exists}
    if ex.found:
        inside = [p for p in ex.found if (posixpath.dirname(p) or ".") in looked_folders]
        if inside and miss.variant != "recording":
            out.append(Cause("found", f"a recording named by this hash is now where replay looks ({inside[0]}): the failing run predates it, or it was not committed"))
        elif not inside:
            out.append(Cause("wrong-folder", f"a recording named by this hash exists at {ex.found[0]}, outside the folders replay searches"))
    for path, versions, v in ex.same_request:
        if path in ex.found:
            continue
        if v.status == "stale" or (v.algorithm and v.algorithm not in versions):
            named = f"its {v.algorithm} hash" if v.algorithm else "an older hash"
            out.append(Cause("hash-algorithm", f"the hash algorithm changed: {path} holds this very request, named by {named} "
                             f"(the run's hash is its {version_range(versions)} hash)"))
        else:
            out.append(Cause("same-request", f"{path} holds this very request under another name ({v.status}: edited or renamed by hand?)"))
        break
    nearest = ex.nearest
    if miss.live_known and nearest is not None:
        if not ex.changes and not any(c.code in ("hash-algorithm", "same-request", "wrong-folder") for c in out):
            if nearest.status == "stale" or (nearest.algorithm and nearest.algorithm != miss.version):
                out.append(Cause("hash-algorithm", f"the hash algorithm changed: {nearest.path} holds the same normalized request, named by its {nearest.algorithm or 'unknown'} hash"))
            else:
                out.append(Cause("same-request", f"{nearest.path} holds the same normalized request under another name ({nearest.status})"))
        out.extend(_change_causes(ex.changes, nearest))
    elif not ex.candidates and not out:
        out.append(Cause("no-candidate", "nothing similar is recorded: a new test or a new kind of request; record it with record-if-missing"))
    if not miss.live_known and not any(c.code in ("found", "wrong-folder", "hash-algorithm", "same-request") for c in out):
        if nearest is not None:
            flags = [w for w, ok in (("test id", nearest.same_test_id), ("endpoint", nearest.same_endpoint), ("model", nearest.same_model)) if ok]
            how = "same " + ", ".join(flags) if flags else "nothing in common but the kind"
            out.append(Cause("unknown-live", f"the log does not hold the live request; nearest recording {nearest.path} ({how}). "
                             "Re-record with record-if-missing and run explain on the new file for the exact difference"))
        elif not out:
            out.append(Cause("no-candidate", "nothing similar is recorded: a new test or a new kind of request; record it with record-if-missing"))
    return out


# What each kind of change says: {path} is the first changed path, {more} counts the
# others of its kind, {a} and {b} are the values before and after.
_CAUSE_TEXTS = {
    "tool": "a tool changed: {path}{more}",
    "tool-arguments": "the tool call's arguments changed: {path}{more}",   # a prompt change inside a tool invocation's kwargs
    "prompt": "the prompt changed: {path}{more}",
    "history": "the history has a different number of items: {path} {added_or_removed}{more}",
    "content-shape": "content is a string on one side and a list on the other: {path}{more}",
    "default": "a default differs (None or absent versus a value): {path}{more}",
    "volatile": "a volatile id or number differs: {path}{more}",
    "parameter": "a parameter changed: {path} ({a} -> {b}){more}",
    "model": "the model changed: {a} -> {b}",
    "endpoint": "the endpoint changed: {path} {a} -> {b}",
}
_OTHER_CAUSE = "the request differs at {path}{more}"


def _change_causes(changes: list[Change], nearest: Candidate) -> list[Cause]:
    by_code: dict[str, list[Change]] = {}
    for c in changes:
        by_code.setdefault(classify_change(c), []).append(c)
    out = []
    for code in CAUSES:
        cs = by_code.get(code)
        if not cs:
            continue
        first = cs[0]
        if code == "test-id":
            text = "the test id changed: " + _test_id_change(str(first.a), str(first.b))
        else:
            key = "tool-arguments" if code == "prompt" and first.path.startswith("kwargs.") else code
            text = _CAUSE_TEXTS.get(key, _OTHER_CAUSE).format(
                path=first.path,
                more=f" and {len(cs) - 1} more" if len(cs) > 1 else "",
                a=_short(first.a),
                b=_short(first.b),
                added_or_removed="added" if first.a is MISSING else "removed",
            )
        out.append(Cause(code, text))
    return out


def _test_id_change(a: str, b: str) -> str:
    fa, na, pa = _test_parts(a)
    fb, nb, pb = _test_parts(b)
    if (fa, na) == (fb, nb):
        return f"re-parametrized test ([{pa}] -> [{pb}])"
    if fa == fb:
        return f"renamed test ({na} -> {nb})"
    if na == nb:
        return f"the test moved ({fa} -> {fb})"
    return f"another test ({a} -> {b})"


def _short(v: Any, limit: int = 60) -> str:
    if v is MISSING:
        return "(absent)"
    s = json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= limit else s[: limit - 1] + "…"


# --- inputs --------------------------------------------------------------------------------

_HASH_INPUT = re.compile(r"^[0-9a-f]{8,64}$")


def is_hash(text: str) -> bool:
    return bool(_HASH_INPUT.match(text.strip().lower()))
