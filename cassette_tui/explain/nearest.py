"""The recordings nearest a missed request, best first: the one the live request replaced.

Candidates come from the whole tree, not from names alone:

1. the same request under any test id (equal content digests: a renamed or
   re-parametrized test), and the recordings of the same test;
2. the requests most alike in content (fingerprint sketches), whatever their name;
3. without a live request, the same test, endpoint and model.

Each shortlisted file is then read and compared with the live request under
the rules of the recorder version that hashed the live request. Ranking puts
first the recording that stands at the same place in the same test (same
endpoint, same number of messages); then the same request under another test
id; then the same test's nearest turn; then the one whose differences cost
least: an id that changes every run costs almost nothing, a small edit of a
string little, a whole message or a changed type most.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..compare import MISSING, Change, structural_diff
from ..fingerprint import fingerprint
from ..hashing import VERSIONS, hash_object
from ..recording import Recording
from ..verify import Verdict, file_verdicts, verify_recording
from .causes import MEANINGLESS, classify_change
from .miss import Miss, test_parts

if TYPE_CHECKING:
    from ..index import IndexView

SHORTLIST = 40          # files read and compared per miss, besides exact and same-test ones
SAME_TEST_MAX = 60      # a test with more recordings than this is cut to its most alike
INDEX_TOKENS_AFTER = 8  # misses answered by scanning every sketch before the token index is built
_PROMPT_LISTS = ("messages", "contents", "input")
_VERSION_PART = re.compile(r"v\d+(?:alpha|beta)?\d*|openai")


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

    def __init__(self, index: IndexView):
        self.index = index
        self._by_hash: dict[str, list[str]] | None = None
        self._hashes: dict[str, dict[str, str | None]] = {}
        self._by_content: dict[str, list[str]] = {}
        self.fingerprints: dict[str, tuple[str | None, tuple[int, ...]]] = {}
        self.verdicts: dict[str, Verdict] = {}
        self._catalog: Catalog | None = None

    def _build(self) -> dict[str, list[str]]:
        table: dict[str, list[str]] = {}
        own = file_verdicts(self.index)   # from the cache, but for files changed since
        self.fingerprints = own.fingerprints
        for path, (content, _) in own.fingerprints.items():
            if content:
                self._by_content.setdefault(content, []).append(path)
        self.verdicts = own.verdicts
        self._hashes = own.hashes
        for path, hashes in own.hashes.items():
            for h in set(hashes.values()):     # most versions share a hash: each distinct one once
                if h:
                    table.setdefault(h, []).append(path)
        return table

    def _ensure(self) -> dict[str, list[str]]:
        if self._by_hash is None:
            self._by_hash = self._build()
        return self._by_hash

    def holders(self, h: str) -> list[tuple[str, tuple[str, ...]]]:
        """(path, versions) of files whose request hashes to `h` under those versions (`h` may be a prefix)."""
        table = self._ensure()
        keys = [h] if len(h) == 64 else [k for k in table if k.startswith(h)]
        return [(path, tuple(v for v in VERSIONS if self._hashes[path][v] == k)) for k in keys for path in table.get(k, [])]

    def same_content(self, content: str | None) -> list[str]:
        """Files holding this request (content digest) under any test id."""
        self._ensure()
        return self._by_content.get(content, []) if content else []

    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._ensure()
            self._catalog = Catalog(self.index, self.fingerprints)
        return self._catalog


def endpoint_key(endpoint: str | None) -> str:
    """'/v1/v1/chat/completions' and '/openai/v1/chat/completions' -> 'chat/completions': what the
    call was, whatever prefixes (doubled versions, a provider's mount point) the url carried."""
    if not endpoint:
        return ""
    parts = [p for p in endpoint.split("/") if p and not _VERSION_PART.fullmatch(p)]
    return "/".join(parts[-2:])


@dataclass(slots=True)
class _Entry:
    path: str
    test_id: str | None
    endpoint: str | None
    model: str | None
    is_tool: bool


class Catalog:
    """The tree's recordings bucketed once (by test, function, file, endpoint, model, name, and
    the tokens of their fingerprint sketches), so each miss looks only at the buckets it shares."""

    def __init__(self, index: IndexView, fingerprints: dict[str, tuple[str | None, tuple[int, ...]]]):
        self.entries: list[_Entry] = []
        self.by: dict[tuple[str, Any], list[int]] = {}
        self.sketches: list[tuple[int, ...]] = []
        self._by_token: dict[int, list[int]] | None = None   # built once several misses have asked
        self._asked = 0
        self.by_name: dict[str, list[str]] = {}
        self.position: dict[str, int] = {}
        endpoint_keys: dict[str | None, str] = {}     # a tree holds a few dozen endpoints: each worked out once
        by = self.by
        for s in index.summaries.values():
            if s.problem:
                continue
            self.by_name.setdefault(_name_key(s.path), []).append(s.path)
            i = self.position[s.path] = len(self.entries)
            tool = s.kind == "tool"
            self.entries.append(_Entry(s.path, s.test_id, s.endpoint, s.model, tool))
            file, func, _ = test_parts(s.test_id)
            ep = endpoint_keys.get(s.endpoint)
            if ep is None:
                ep = endpoint_keys[s.endpoint] = endpoint_key(s.endpoint)
            for key in (("test", s.test_id), ("function", (file, func)), ("file", file), ("endpoint", (tool, ep)), ("model", s.model)):
                if key[1] and key[1] != ("", ""):
                    by.setdefault(key, []).append(i)
            self.sketches.append(fingerprints.get(s.path, (None, ()))[1])

    def _shared_tokens(self, live_sketch: tuple[int, ...]) -> dict[int, int]:
        """{entry: tokens its sketch shares with the live one}. The first few misses scan every sketch
        (a C-level set intersection each); from then on an inverted index of the tokens pays for itself."""
        live = set(live_sketch)
        self._asked += 1
        if self._asked <= INDEX_TOKENS_AFTER:
            return {i: n for i, sketch in enumerate(self.sketches) if (n := len(live.intersection(sketch)))}
        if self._by_token is None:
            self._by_token = {}
            for i, sketch in enumerate(self.sketches):
                for token in sketch:
                    self._by_token.setdefault(token, []).append(i)
        shared: dict[int, int] = {}
        for token in live:
            for i in self._by_token.get(token, ()):
                shared[i] = shared.get(i, 0) + 1
        return shared

    def named(self, h: str) -> list[str]:
        """Files whose name is hash `h` (a 12-hex name when `h` starts with it; `h` may be a prefix)."""
        if len(h) == 64:
            return self.by_name.get(h, []) + self.by_name.get(h[:12], [])
        return [p for name, ps in self.by_name.items() if name.startswith(h) or (len(name) == 12 and h.startswith(name)) for p in ps]

    def scored(self, miss: Miss, live_sketch: tuple[int, ...], exact: set[str], exclude: set[str], top: int) -> list[tuple[float, int]]:
        """(similarity, entry) of the `top` recordings sharing most with the miss, best first; then, past
        those, every recording of the same test and every one holding the same request, whatever their score."""
        file, func, _ = test_parts(miss.test_id)
        tool = miss.kind == "tool"
        ep = f"{miss.tool.split('.', 1)[1]}" if tool and miss.tool and "." in miss.tool else endpoint_key(miss.endpoint)
        score: dict[int, float] = {}
        for key, weight in ((("test", miss.test_id), 4.0), (("function", (file, func)), 0.5), (("file", file), 0.25),
                            (("endpoint", (tool, ep)), 1.0), (("model", miss.model), 0.5)):
            if key[1] and key[1] != ("", ""):
                for i in self.by.get(key, ()):
                    score[i] = score.get(i, 0.0) + weight
        sims: dict[int, float] = {}
        if live_sketch:
            for i, n in self._shared_tokens(live_sketch).items():
                sims[i] = n / (len(live_sketch) + len(self.sketches[i]) - n)   # the sketches' own Jaccard
                score[i] = score.get(i, 0.0) + 3 * sims[i]
        must = [self.position[p] for p in exact if p in self.position]
        for i in must:
            score[i] = score.get(i, 0.0) + 8
        if miss.test_id:
            must += self.by.get(("test", miss.test_id), [])[:SAME_TEST_MAX]
        entries = self.entries

        def usable(i: int) -> bool:
            return entries[i].is_tool == tool and entries[i].path not in exclude

        # the best `top` by a partial selection on plain tuples (a common endpoint scores thousands of
        # files alike); ties go by position in the index, which is path order
        ranked = [i for _, i in heapq.nsmallest(2 * top + 8, [(-sc, i) for i, sc in score.items()])]
        best = [i for i in ranked if usable(i)][:top]
        if len(best) < top and len(ranked) < len(score):     # many excluded or of the other kind: all of them, then
            best = [i for _, i in sorted((-sc, i) for i, sc in score.items() if usable(i))][:top]
        seen = set(best)
        rest = [i for i in dict.fromkeys(must) if i not in seen and usable(i)]
        return [(sims.get(i, 0.0), i) for i in best + rest]


def _name_key(path: str) -> str:
    """The hash a file is named by, as a lookup key: `<h>.json`, `models-<h>-<d>.json` -> h (no
    validation: it is only looked up by a hash already known to be one)."""
    name = path.rsplit("/", 1)[-1].removesuffix(".json")
    return name.split("-")[1] if name.startswith("models-") and name.count("-") >= 2 else name


def nearest(miss: Miss, index: IndexView, table: HashTable, exclude: set[str], limit: int) -> list[Candidate]:
    """The `limit` recordings nearest the miss, best first."""
    root = Path(index.root)
    catalog = table.catalog()
    live_content, live_sketch = fingerprint(miss.envelope) if miss.envelope is not None else (None, ())
    exact = set(table.same_content(live_content)) if live_content else set()
    tool_endpoint = f"tool:{miss.tool.split('.', 1)[1]}" if miss.tool and "." in miss.tool else None

    def candidate(sim: float, i: int) -> Candidate:
        e = catalog.entries[i]
        return Candidate(
            e.path, e.test_id, e.endpoint, e.model,
            same_test_id=bool(miss.test_id) and e.test_id == miss.test_id,
            same_endpoint=(tool_endpoint is not None and e.endpoint == tool_endpoint) or (bool(miss.endpoint) and endpoint_key(e.endpoint) == endpoint_key(miss.endpoint)),
            same_model=bool(miss.model) and e.model == miss.model,
            same_content=e.path in exact,
            similarity=sim,
        )

    if miss.envelope is None:
        # Nothing to compare: the same test, endpoint and model first.
        return [candidate(sim, i) for sim, i in catalog.scored(miss, (), set(), exclude, limit)[:limit]]
    chosen = {catalog.entries[i].path: candidate(sim, i) for sim, i in catalog.scored(miss, live_sketch, exact, exclude, SHORTLIST)}
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
    if code == "content-shape":     # the same words as a string on one side, as text parts on the other?
        return 0.5 + 0.5 * (1.0 - text_likeness(_content_text(c.a), _content_text(c.b)))
    if c.a is MISSING or c.b is MISSING:
        return 1.0
    return 1.0 if code != "test-id" else 0.5


def _content_text(content: Any) -> str:
    """A message's content as text: the string, or its parts' text joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


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
