"""One miss explained: where replay looked, what is recorded nearest, what changed, and why.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..compare import MISSING, Change
from ..hashing import request_hash
from ..recording import Recording
from ..verify import Verdict, version_range
from .causes import CAUSE_WORDS, Cause, change_causes
from .lookup import Lookup, replay_lookups
from .miss import Miss, test_parts
from .nearest import Candidate, HashTable, nearest

if TYPE_CHECKING:
    from ..index import IndexView


@dataclass
class Explanation:
    miss: Miss
    root: Path
    looked: list[Lookup] = field(default_factory=list)
    found: list[str] = field(default_factory=list)                 # files named by the miss hash (anywhere)
    same_request: list[tuple[str, tuple[str, ...], Verdict]] = field(default_factory=list)   # (path, versions, verdict): content hashes to the miss hash
    candidates: list[Candidate] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)            # nearest (a, recorded) vs live (b), what matters
    noise: list[Change] = field(default_factory=list)              # and what changes on every run
    causes: list[Cause] = field(default_factory=list)

    @property
    def nearest(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def cause(self) -> Cause | None:
        """The main cause."""
        return self.causes[0] if self.causes else None

    @property
    def verdict(self) -> str:
        if not self.causes:
            return "no explanation found"
        head = self.causes[0].text
        more = [CAUSE_WORDS.get(c.code, c.code) for c in self.causes[1:] if c.code not in ("unknown-live",)]
        return head + (f" (also: {', '.join(dict.fromkeys(more))})" if more else "")

    @property
    def advice(self) -> str:
        return self.causes[0].advice if self.causes else ""

    @property
    def replaced(self) -> str | None:
        """The recording the live request replaces, unused once the test is re-recorded: the nearest
        when it stands at the same place in the same test (another turn may still be sent; a
        renamed test's old id may still run under another parametrization)."""
        c = self.nearest
        if c is None or not self.miss.live_known or not self.changes or self.cause is None:
            return None
        if self.cause.code in ("found", "wrong-folder", "hash-algorithm", "same-request", "no-candidate", "unknown-live"):
            return None
        return c.path if c.aligned else None

    def to_json(self) -> dict[str, Any]:
        return {
            "miss": self.miss.to_json(),
            "looked": [lk.to_json() for lk in self.looked],
            "found": self.found,
            "same_request": [{"path": p, "versions": list(vs), "status": v.status, "algorithm": v.algorithm} for p, vs, v in self.same_request],
            "candidates": [c.to_json() for c in self.candidates],
            "nearest": self.nearest.path if self.nearest else None,
            "compared_as": self.miss.version,
            "changes": [_change_json(c) for c in self.changes],
            "noise": [_change_json(c) for c in self.noise],
            "causes": [c.to_json() for c in self.causes],
            "verdict": self.verdict,
            "advice": self.advice,
            "replaced": self.replaced,
        }


def _change_json(c: Change) -> dict[str, Any]:
    return {"path": c.path, "kind": c.kind, "recorded": None if c.a is MISSING else c.a, "live": None if c.b is MISSING else c.b}


def explain(miss: Miss, index: IndexView, *, limit: int = 5, table: HashTable | None = None, exclude: set[str] | None = None) -> Explanation:
    """Explain one miss against the recordings of a scanned `Index`.

    `exclude`: files under the index that are live requests themselves (a batch of
    re-recorded files), never candidates.
    """
    root = Path(index.root)
    table = table or HashTable(index)
    ex = Explanation(miss, root)
    ex.looked = replay_lookups(miss, root)
    source_rel = _source_rel(miss, root)
    skip = set(exclude or ()) | ({source_rel} if source_rel else set())

    # Files already named by this hash, anywhere under the root, and files whose request hashes to it.
    if miss.hash:
        ex.found = [p for p in table.catalog().named(miss.hash) if p not in skip]
        for path, versions in table.holders(miss.hash):
            if path not in skip:
                ex.same_request.append((path, versions, table.verdicts.get(path) or Verdict(path, "unverifiable")))
        if ex.same_request and not miss.live_known:
            # A recording's request hashes to the missed hash: it *is* the live request.
            path, versions, _ = ex.same_request[0]
            _adopt_live(miss, root, path, versions[-1])
            ex.looked = replay_lookups(miss, root)

    # Only a test whose id the tree does not know yet can be a renamed one.
    if not miss.live_known and miss.test_id and miss.hash and len(miss.hash) == 64 and not table.catalog().by.get(("test", miss.test_id)):
        _reconstruct_renamed(miss, root, nearest(miss, index, table, skip, RECONSTRUCT_TRIES))
    ex.candidates = nearest(miss, index, table, skip, limit)
    if ex.candidates and miss.live_known:
        ex.changes, ex.noise = ex.candidates[0].changes, ex.candidates[0].noise
    ex.causes = _causes(ex)
    return ex


def _adopt_live(miss: Miss, root: Path, path: str, version: str) -> None:
    rec = Recording.load(root / path)
    if rec.problem:
        return
    miss.envelope, miss.version, miss.live_from = rec.data, version, path
    miss.live_how = "its request hashes to the missed hash"
    miss.test_id = miss.test_id or rec.test_id
    miss.model = miss.model or rec.model
    miss.url = miss.url or rec.url or None
    miss.endpoint = miss.endpoint or rec.endpoint
    miss.method = miss.method or (rec.request.get("method") if isinstance(rec.request.get("method"), str) else None)
    if miss.kind == "inference" and rec.request_kind in ("tool", "http"):
        miss.kind = rec.request_kind


RECONSTRUCT_TRIES = 24


def _reconstruct_renamed(miss: Miss, root: Path, candidates: list[Candidate]) -> None:
    """A log gives the hash and the test id, not the request. When a recording of the same
    endpoint, put under the log's test id, hashes to the missed hash, that is the live request:
    the test was renamed or re-parametrized and nothing else changed."""
    m_file, m_func, m_params = test_parts(miss.test_id)
    for c in candidates:
        # a rename keeps everything else: the endpoint and, when the log names it, the model; and the
        # test keeps its function (re-parametrized, moved) or its file and parameters (renamed)
        file, func, params = test_parts(c.test_id)
        kin = func == m_func or (file == m_file and params == m_params)
        if c.same_test_id or not c.same_endpoint or (miss.model and not c.same_model) or not kin:
            continue
        rec = Recording.load(root / c.path)
        if rec.problem or not isinstance(rec.data, dict):
            continue
        moved = {**rec.data, "test_id": miss.test_id}
        if request_hash(moved, miss.version) == miss.hash:
            miss.envelope, miss.live_from = moved, c.path
            miss.live_how = "under the failing test's id, its request hashes to the missed hash"
            miss.model = miss.model or rec.model
            return


def _source_rel(miss: Miss, root: Path) -> str | None:
    if not miss.source:
        return None
    try:
        return Path(miss.source).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _causes(ex: Explanation) -> list[Cause]:
    miss = ex.miss
    out: list[Cause] = []
    looked_folders = {lk.folder for lk in ex.looked if lk.exists}
    if len(ex.found) > 1 and miss.hash and len(miss.hash) < 64:
        out.append(Cause("ambiguous", f"the hash prefix {miss.hash} names {len(ex.found)} files (e.g. {ex.found[0]}): give more of the hash"))
    elif ex.found:
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
    best = ex.nearest
    if miss.live_known and best is not None:
        if not ex.changes and not any(c.code in ("hash-algorithm", "same-request", "wrong-folder") for c in out):
            if best.status == "stale" or (best.algorithm and best.algorithm != miss.version):
                out.append(Cause("hash-algorithm", f"the hash algorithm changed: {best.path} holds the same normalized request "
                                 f"(compared as {miss.version}), named by its {best.algorithm or 'unknown'} hash"))
            else:
                out.append(Cause("same-request", f"{best.path} holds the same normalized request under another name ({best.status})"))
        out.extend(change_causes(ex.changes))
        if ex.noise:
            out.extend(c for c in change_causes(ex.noise) if c.code not in {o.code for o in out})
    elif not ex.candidates and not out:
        out.append(Cause("no-candidate", "nothing similar is recorded: a new test or a new kind of request"))
    if not miss.live_known and not any(c.code in ("found", "wrong-folder", "hash-algorithm", "same-request") for c in out):
        if best is not None:
            flags = [w for w, ok in (("test id", best.same_test_id), ("endpoint", best.same_endpoint), ("model", best.same_model)) if ok]
            how = "same " + ", ".join(flags) if flags else "nothing in common but the kind"
            out.append(Cause("unknown-live", f"the miss message does not carry the live request; nearest recording {best.path} ({how})"))
        elif not out:
            out.append(Cause("no-candidate", "nothing similar is recorded: a new test or a new kind of request"))
    return out
