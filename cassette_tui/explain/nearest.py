"""The recordings nearest a missed request, best first: the one the live request replaced.

Candidates come from the whole tree, not from names alone:

1. the same request under any test id (equal content digests: a renamed or
   re-parametrized test), and the recordings of the same test;
2. the requests most alike in content (fingerprint sketches), whatever their name;
3. without a live request, the same test, endpoint and model.

Each shortlisted file is then read and compared with the live request under
the rules of the recorder version that hashed the live request. Ranking puts
first the recording that stands at the same place in the same test (same
endpoint, same number of messages), then the one whose differences cost least:
an id that changes every run costs almost nothing, a small edit of a string
little, a whole message or a changed type most.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diff import MISSING, Change, structural_diff
from ..fingerprint import fingerprint, similarity
from ..hashing import VERSIONS, hash_object, name_hash
from ..recording import Recording
from ..verify import Verdict, file_verdicts, verify_recording
from .causes import MEANINGLESS, classify_change
from .miss import Miss, test_parts

SHORTLIST = 40          # files read and compared per miss, besides exact and same-test ones
SAME_TEST_MAX = 60      # a test with more recordings than this is cut to its most alike
_PROMPT_LISTS = ("messages", "contents", "input")


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
    same_content: bool = False      # the same request apart from the test id
    aligned: bool = False           # same test, same endpoint, same number of messages: the same place
    turn_gap: int = 0               # how many messages more or fewer than the live request
    similarity: float = 0.0         # estimated share of the request's content (0..1)
    differences: int | None = None  # paths where the normalized requests differ (live request known)
    cost: float = 0.0               # how far apart, differences weighted by kind and size
    changes: list[Change] = field(default_factory=list)    # what matters
    noise: list[Change] = field(default_factory=list)      # ids and numbers that change every run

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "test_id": self.test_id,
            "endpoint": self.endpoint,
            "model": self.model,
            "same_test_id": self.same_test_id,
            "same_endpoint": self.same_endpoint,
            "same_model": self.same_model,
            "same_content": self.same_content,
            "aligned": self.aligned,
            "similarity": round(self.similarity, 3),
            "status": self.status,
            "algorithm": self.algorithm,
            "differences": self.differences,
            "cost": round(self.cost, 3),
        }


class HashTable:
    """Every recording's request hashes (every version) and fingerprint under an index, from the verify cache."""

    def __init__(self, index: Any):
        self.index = index
        self._by_hash: dict[str, list[tuple[str, tuple[str, ...]]]] | None = None
        self._by_content: dict[str, list[str]] = {}
        self.fingerprints: dict[str, tuple[str | None, tuple[int, ...]]] = {}
        self.verdicts: dict[str, Verdict] = {}

    def _build(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        table: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        own = file_verdicts(self.index)   # from the cache, but for files changed since
        self.fingerprints = own.fingerprints
        for path, (content, _) in own.fingerprints.items():
            if content:
                self._by_content.setdefault(content, []).append(path)
        for path, hashes in own.hashes.items():
            self.verdicts[path] = own.verdicts[path]
            by_hash: dict[str, list[str]] = {}
            for v in VERSIONS:
                if hashes[v]:
                    by_hash.setdefault(hashes[v], []).append(v)  # type: ignore[arg-type]
            for h, versions in by_hash.items():
                table.setdefault(h, []).append((path, tuple(versions)))
        return table

    def _ensure(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        if self._by_hash is None:
            self._by_hash = self._build()
        return self._by_hash

    def holders(self, h: str) -> list[tuple[str, tuple[str, ...]]]:
        """(path, versions) of files whose request hashes to `h` under those versions (`h` may be a prefix)."""
        table = self._ensure()
        if len(h) == 64:
            return table.get(h, [])
        return [x for k, xs in table.items() if k.startswith(h) for x in xs]

    def same_content(self, content: str | None) -> list[str]:
        """Files holding this request (content digest) under any test id."""
        self._ensure()
        return self._by_content.get(content, []) if content else []

    def fingerprint_of(self, path: str) -> tuple[str | None, tuple[int, ...]]:
        self._ensure()
        return self.fingerprints.get(path, (None, ()))


def endpoint_matches(s_endpoint: str | None, miss: Miss) -> bool:
    if not s_endpoint or not miss.endpoint:
        return False
    a, b = s_endpoint.rstrip("/"), miss.endpoint.rstrip("/")
    return a == b or b.endswith(a) or a.endswith(b)


def nearest(miss: Miss, index: Any, table: HashTable, exclude: set[str], limit: int) -> list[Candidate]:
    """The `limit` recordings nearest the miss, best first."""
    root = Path(index.root)
    m_file, m_func, _ = test_parts(miss.test_id)
    tool_name = miss.tool.split(".", 1)[1] if miss.tool and "." in miss.tool else None
    live_content, live_sketch = fingerprint(miss.envelope) if miss.envelope is not None else (None, ())
    exact = set(table.same_content(live_content)) if live_content else set()

    pool: list[tuple[float, Candidate]] = []
    for s in index.summaries.values():
        if s.problem or s.path in exclude or (miss.kind == "tool") != (s.kind == "tool"):
            continue
        s_file, s_func, _ = test_parts(s.test_id)
        c = Candidate(
            s.path, s.test_id, s.endpoint, s.model,
            same_test_id=bool(miss.test_id) and s.test_id == miss.test_id,
            same_endpoint=endpoint_matches(s.endpoint, miss) or (tool_name is not None and s.endpoint == f"tool:{tool_name}"),
            same_model=bool(miss.model) and s.model == miss.model,
            same_content=s.path in exact,
        )
        if live_sketch:
            c.similarity = similarity(live_sketch, table.fingerprint_of(s.path)[1])
        same_function = bool(m_func) and (s_file, s_func) == (m_file, m_func)
        score = (
            8 * c.same_content + 4 * c.same_test_id + c.same_endpoint + 0.5 * c.same_model
            + 0.5 * same_function + 0.25 * (bool(m_file) and s_file == m_file) + 3 * c.similarity
        )
        if score > 0:
            pool.append((score, c))
    pool.sort(key=lambda x: (-x[0], x[1].path))

    if miss.envelope is None:
        # Nothing to compare: the same test, endpoint and model first.
        return [c for _, c in pool[:limit]]

    same_test = [c for _, c in pool if c.same_test_id][:SAME_TEST_MAX]
    chosen = {c.path: c for c in [*(c for _, c in pool if c.same_content), *same_test, *(c for _, c in pool[:SHORTLIST])]}
    live_obj = hash_object(miss.envelope, miss.version)
    live_count = _message_count(live_obj)
    out = []
    for c in chosen.values():
        rec = Recording.load(root / c.path)
        if rec.problem:
            continue
        v = table.verdicts.get(c.path) or verify_recording(rec, c.path)
        c.status, c.algorithm = v.status, v.algorithm
        obj = hash_object(rec.data, miss.version) if live_obj is not None else None
        if live_obj is None or obj is None:
            continue
        changes = structural_diff(obj, live_obj)
        codes = [classify_change(ch) for ch in changes]
        c.changes = [ch for ch, code in zip(changes, codes, strict=True) if code not in MEANINGLESS]
        c.noise = [ch for ch, code in zip(changes, codes, strict=True) if code in MEANINGLESS]
        if not c.changes:      # only noise differs: the noise is what changed
            c.changes, c.noise = c.noise, []
        c.differences = len(changes)
        c.cost = sum(_cost(ch, code) for ch, code in zip(changes, codes, strict=True))
        count = _message_count(obj)
        c.aligned = c.same_test_id and c.same_endpoint and count == live_count
        c.turn_gap = abs(count - live_count) if count is not None and live_count is not None else 0
        out.append(c)
    # The same place in the same test first; then the same request under another test id;
    # then the same test's nearest turn; then whatever differs least.
    out.sort(key=lambda c: (not c.aligned, not c.same_content, not c.same_test_id, c.turn_gap if c.same_test_id else 0, c.cost, -c.similarity, c.path))
    return out[:limit]


def _message_count(obj: Any) -> int | None:
    """How many items the request's conversation holds (messages, genai contents, responses input)."""
    if not isinstance(obj, dict):
        return None
    body = obj.get("body", obj.get("payload", obj.get("kwargs")))
    if isinstance(body, dict):
        for key in _PROMPT_LISTS:
            if isinstance(body.get(key), list):
                return len(body[key])
    return None


def _cost(c: Change, code: str) -> float:
    """How much one difference separates two requests: what it takes to turn one into the other."""
    if code in MEANINGLESS:
        return 0.05
    if isinstance(c.a, str) and isinstance(c.b, str):
        return 0.2 + 0.8 * (1.0 - text_likeness(c.a, c.b))
    if c.a is MISSING or c.b is MISSING:
        return 1.0
    return 1.0 if code != "test-id" else 0.5


def text_likeness(a: str, b: str) -> float:
    """How much of two strings is shared as a common beginning and end (0..1): linear, and right
    for what re-records do to a string (an edit somewhere inside it)."""
    if not a and not b:
        return 1.0
    n = min(len(a), len(b))
    prefix = _common_prefix(a, b, n)
    suffix = _common_prefix(a[::-1], b[::-1], n - prefix)
    return (prefix + suffix) / max(len(a), len(b))


def _common_prefix(a: str, b: str, n: int) -> int:
    lo, hi = 0, n      # binary search on slices: C-speed comparisons
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def name_matches(path: str, h: str) -> bool:
    """Is the file named by hash `h` (or a prefix of it)?"""
    nh = name_hash(path)
    if nh is None:
        return False
    name = nh[0]
    if nh[1] == "h12":
        return h.startswith(name) if len(h) >= 12 else name.startswith(h)
    return name == h if len(h) == 64 else name.startswith(h)
