"""Does each recording's name still match its content? The `verify` pass.

A recording is found on replay by its file name: the request hash the recorder
computes today. `verify_recording` recomputes every recorder version's hash of a
file's request in one pass (hashing.request_hashes) and says which version its
name matches:

    ok               the name is the newest version's hash (replay finds it)
    stale            the name matches only older versions (replay never reads it);
                     safe to delete when the same test id has a live `ok` sibling
    mismatch         the name matches no known version: edited after recording,
                     or written by unknown code
    unverifiable     a recording whose name or kind has no known hash recipe
    unreadable       not JSON, truncated, unreadable
    not-a-recording  JSON, but no request/response objects
    missing          (sqlite era) a row of index.sqlite whose file is absent
    orphan           its test is gone (orphans.py): replay never asks for it

`verify_index` adds what needs the whole tree: stale files' live siblings,
duplicate requests, and the 2025-08 layout's index.sqlite rows against its files.
`cross_check` is that second half alone, so a live view can re-verify one file
and redo only the cheap in-memory pass.

Pure: no Textual, no Rich. (Some 470 lines: the per-file verdict, the cross-file pass
and the verdicts' transport from the TUI's child read each other's fields; the test
check is apart, in orphans.py.)
"""

from __future__ import annotations

import operator
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from .cache import VerdictRow, VerdictRows, load_verdicts, pack_fingerprint, pack_hashes, packed_shapes_ok, save_verdicts, unpack_fingerprint, unpack_hashes
from .envelope import model_digest, name_hash, request_kind, versions_named
from .fingerprint import Fingerprint, fingerprint_object, without_test_id
from .hashing import NEWEST, VERSIONS, hashed_objects, hashes_of, model_list_digest_matches, request_hashes
from .jsonio import gc_paused
from .model import VERIFY_STATUSES, Summary
from .recording import Recording

if TYPE_CHECKING:
    from .index import IndexView
    from .orphans import Collected

DUPLICATES_SHOWN = 20     # other files named per file (--json: `duplicates`, with `duplicate_count`)
STATUSES = VERIFY_STATUSES
FAILING = frozenset({"stale", "mismatch", "unreadable", "orphan"})   # make `verify` exit 1

_NOT_A_RECORDING = "not a recording"
_SQLITE_MISSING = "listed in index.sqlite"


@dataclass(slots=True)
class Verdict:
    """One file's status, and why."""

    path: str                          # as given (the index's relative path)
    status: str                        # one of STATUSES
    algorithm: str | None = None       # the newest version whose hash the name matches
    expected: str | None = None        # the newest version's hash of the content (64 hex)
    detail: str = ""
    versions: tuple[str, ...] = ()     # every version whose hash the name matches
    test_id: str | None = None
    kind: str | None = None            # request kind: inference, tool, http, file, unknown
    endpoint: str | None = None
    model_digest: str | None = None    # models-<h>-<digest8>: the digest part, to tell model sets apart
    sibling: str | None = None         # stale: a live `ok` recording of the same test id
    group: tuple[str, ...] = ()        # every file holding the same normalized request, this one too:
                                       # one tuple shared by the whole group (100,000 copies stay linear)
    notes: tuple[str, ...] = ()        # cross-file findings (sqlite index, duplicates)
    test_state: str | None = None      # its test, beside the tree (orphans.STATES), when checked
    test_note: str = ""

    @property
    def duplicates(self) -> tuple[str, ...]:
        """The other files holding the same normalized request."""
        return tuple(p for p in self.group if p != self.path)

    @property
    def safe_to_delete(self) -> bool:
        return (self.status == "stale" and self.sibling is not None) or self.status == "orphan"

    @property
    def failing(self) -> bool:
        return self.status in FAILING

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "algorithm": self.algorithm,
            "expected": self.expected,
            "detail": self.full_detail,
            "versions": list(self.versions),
            "test_id": self.test_id,
            "safe_to_delete": self.safe_to_delete,
            "sibling": self.sibling,
            "duplicates": [p for p in self.group[: DUPLICATES_SHOWN + 1] if p != self.path][:DUPLICATES_SHOWN],
            "duplicate_count": max(len(self.group) - 1, 0),
            "test_state": self.test_state,
            "test_note": self.test_note,
        }

    @property
    def full_detail(self) -> str:
        parts = [self.detail] if self.detail else []
        if self.status == "stale":
            if self.sibling is not None:
                parts.append(f"safe to delete: the same test id has a live recording, {self.sibling}")
            elif self.test_id:
                parts.append("no live recording of the same test id: re-record before deleting")
        if self.status == "orphan":
            parts.append("safe to delete: replay never asks for it")
        if self.group:
            others = [p for p in self.group[: DUPLICATES_SHOWN + 1] if p != self.path][:DUPLICATES_SHOWN]
            more = len(self.group) - 1 - len(others)
            parts.append("same request as " + ", ".join(others) + (f" and {more} more" if more > 0 else ""))
        parts.extend(self.notes)
        return "; ".join(parts)


# A verdict's own fields (all but the cross-file ones cross_check refills): what the cache keeps.
_OWN = ("path", "status", "algorithm", "expected", "detail", "versions", "test_id", "kind", "endpoint", "model_digest")
_own_fields = operator.attrgetter(*_OWN)


def version_range(versions: Iterable[str]) -> str:
    """('v3', 'v4', 'v5') -> 'v3..v5'; one version alone -> 'v3'."""
    vs = list(versions)
    if not vs:
        return "none"
    return vs[0] if len(vs) == 1 else f"{vs[0]}..{vs[-1]}"


def verify_recording(rec: Recording, rel_path: str | None = None, hashes: dict[str, str | None] | None = None) -> Verdict:
    """The status of one file from its name and content (no other file is consulted).

    `hashes`: the request's `hashing.request_hashes`, when the caller has them already.
    """
    path = rel_path if rel_path is not None else rec.path
    if rec.problem:
        if rec.problem.startswith(_NOT_A_RECORDING):
            return Verdict(path, "not-a-recording", detail=rec.problem)
        return Verdict(path, "unreadable", detail=rec.problem)
    envelope = rec.data
    kind = request_kind(envelope.get("request"))
    test_id = rec.test_id
    endpoint = rec.endpoint
    base = Verdict(path, "unverifiable", test_id=test_id, kind=kind, endpoint=endpoint)
    named = name_hash(path)
    if hashes is None:
        hashes = request_hashes(envelope)
    base.expected = hashes[NEWEST]
    if named is None:
        base.detail = "the file name is not a request hash (<64 hex>.json, <12 hex>.json or models-<64 hex>-<8 hex>.json)"
        return base
    h, form = named
    if form == "models":
        base.model_digest = model_digest(path)
    if all(v is None for v in hashes.values()):
        base.detail = {
            "file": "file-processor recordings have no known hash recipe",
            "unknown": "the request has no known shape (not inference, tool, HTTP passthrough)",
        }.get(kind, "the request is malformed: no recorder version can hash it (no url or method?)")
        return base
    versions = tuple(versions_named({v: hashes[v] for v in VERSIONS}, named))
    base.versions = versions
    if not versions:
        base.status = "mismatch"
        known = [v for v in VERSIONS if hashes[v] is not None]
        why = "no test id, " if kind in ("inference", "http") and test_id is None and form != "h12" else ""
        base.detail = (
            f"the name matches no known hash of its request ({version_range(known)}; {why}newest would be {_short(hashes[NEWEST])}): "
            "edited after recording, or recorded by unknown code"
        )
        return base
    if form == "h12":
        # 12-hex names are the 2025-07..10 layout's (v1 recorder); today's recorder
        # names a file by the full hash, so replay never reads it, whatever matches.
        base.status = "stale"
        base.algorithm = "v1" if "v1" in versions else versions[-1]
        what = "a model list's 12-hex name" if os.path.basename(path).startswith("models-") else "12-hex name"
        base.detail = (
            f"{what} of the 2025-07..10 layout ({version_range(versions)} hash); "
            f"today's recorder would name it {_short(hashes[NEWEST])}"
        )
        return base
    base.algorithm = versions[-1]
    if NEWEST in versions:
        base.status = "ok"
        if form == "models" and model_list_digest_matches(envelope, path) is False:
            base.status = "mismatch"
            base.detail = "the name's hash is right, but its model-list digest does not fit the recorded model ids (response edited?)"
        return base
    base.status = "stale"
    base.detail = f"named by the {version_range(versions)} hash; the {NEWEST} hash is {_short(hashes[NEWEST])}"
    return base


def verify_file(path: str | os.PathLike[str], rel_path: str | None = None) -> Verdict:
    """Load one file and verify it."""
    return verify_recording(Recording.load(path), rel_path if rel_path is not None else os.fspath(path))


def _short(h: str | None) -> str:
    return h[:12] + "…" if h else "(none)"


# --- the whole tree ---------------------------------------------------------------


@dataclass
class DuplicateGroup:
    expected: str                 # the newest hash the files share
    paths: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"expected": self.expected, "paths": self.paths}


@dataclass
class VerifyReport:
    verdicts: dict[str, Verdict] = field(default_factory=dict)        # by relative path, in path order
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    sqlite_missing: list[str] = field(default_factory=list)           # rows of index.sqlite without a file
    sqlite_unlisted: list[str] = field(default_factory=list)          # sqlite-era files without a row
    sqlite_wrong_hash: list[str] = field(default_factory=list)        # rows whose hash does not fit their file
    hashed: int = 0                                                    # files hashed this time (the rest: from the cache)
    tests_checked: bool = False                                        # each recording's test was looked for (orphans)
    tests_note: str = ""                                               # how, or why not

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for v in self.verdicts.values():
            out[v.status] += 1
        return out

    @property
    def failing(self) -> bool:
        return any(v.failing for v in self.verdicts.values())

    @property
    def safe_to_delete(self) -> list[str]:
        return [v.path for v in self.verdicts.values() if v.safe_to_delete]

    def summary(self) -> dict[str, Any]:
        """Counts by status and cross-file findings: `stats` and the CLI's last line."""
        c = self.counts()
        return {
            "files": len(self.verdicts),
            **{k.replace("-", "_"): n for k, n in c.items()},
            "stale_safe_to_delete": sum(v.status == "stale" and v.safe_to_delete for v in self.verdicts.values()),
            "safe_to_delete": len(self.safe_to_delete),    # stale with a live sibling, and orphans
            "stale_by_version": _by_version(self.verdicts.values()),
            "duplicate_groups": len(self.duplicates),
            "duplicate_files": sum(len(g.paths) for g in self.duplicates),
            "sqlite_missing": len(self.sqlite_missing),
            "sqlite_unlisted": len(self.sqlite_unlisted),
            "sqlite_wrong_hash": len(self.sqlite_wrong_hash),
            "tests": {"checked": self.tests_checked, "note": self.tests_note,
                      **{state: sum(v.test_state == state for v in self.verdicts.values()) for state in ("live", "params", "orphan", "unknown")}},
            "failing": self.failing,
        }


    def subset(self, paths: Iterable[str]) -> VerifyReport:
        """The findings about `paths` only (siblings were judged on the whole tree)."""
        keep = set(paths)
        out = VerifyReport(verdicts={p: v for p, v in self.verdicts.items() if p in keep})
        out.duplicates = [g for g in self.duplicates if any(p in keep for p in g.paths)]
        out.sqlite_missing = [p for p in self.sqlite_missing if p in keep]
        out.sqlite_unlisted = [p for p in self.sqlite_unlisted if p in keep]
        out.sqlite_wrong_hash = [p for p in self.sqlite_wrong_hash if p in keep]
        out.tests_checked, out.tests_note = self.tests_checked, self.tests_note
        return out


# --- verify in another process (the TUI's background pass) ---------------------------------

_SHIPPED = ("sibling", "group", "notes", "test_state", "test_note")   # the cross-file findings, shipped with each verdict's own fields


VERDICTS_PER_CHUNK = 2_000


def write_tree_verdicts(root: str, out: Any) -> int:
    """Index and verify the tree at `root`, writing every verdict (typed fields, marshal) to `out`.

    The child process's side: hashing a whole tree is CPU-bound Python, and in the UI's
    process it would hold the GIL that keystrokes need. Written in chunks (each its length,
    then marshal), then a zero length: the parent holds one chunk's bytes at a time, and
    output cut short is told from a finished one.
    """
    import marshal

    from .index import Index

    report = verify_index(Index(root).scan())
    # One object per value (a version list, an endpoint, a test id): marshal writes each once
    # per chunk and the parent's copy shares it, as the index's cache does.
    seen: dict[Any, Any] = {}
    share = seen.setdefault
    verdicts = list(report.verdicts.values())
    for start in range(0, len(verdicts), VERDICTS_PER_CHUNK):
        rows = [(tuple(share(x, x) for x in _own_fields(v)), tuple(share(x, x) for x in (getattr(v, f) for f in _SHIPPED)))
                for v in verdicts[start:start + VERDICTS_PER_CHUNK]]
        chunk = marshal.dumps(rows)
        out.write(len(chunk).to_bytes(8, "little") + chunk)
    out.write(bytes(8))
    out.flush()
    return 0


def read_tree_verdicts(stream: Any, summaries: Mapping[str, Summary] | None = None) -> dict[str, Verdict]:
    """The parent's side: Verdicts by relative path, read from `write_tree_verdicts`' output as it
    comes (empty when damaged or cut short). With the parent's `summaries`, a verdict shares their
    path and hash strings rather than holding copies."""
    import marshal

    known = summaries or {}
    out: dict[str, Verdict] = {}
    try:
        while True:
            head = stream.read(8)
            if len(head) != 8:
                return {}   # cut short: the child died or was killed
            size = int.from_bytes(head, "little")
            if not size:
                return out
            chunk = stream.read(size)
            if len(chunk) != size:
                return {}
            for own, shipped in marshal.loads(chunk):
                v = Verdict(*own)
                s = known.get(v.path)
                if s is not None:
                    v.path = s.path
                    if v.expected == s.id:
                        v.expected = s.id
                v.sibling, v.group, v.notes, v.test_state, v.test_note = shipped
                out[v.path] = v
    except (ValueError, TypeError, EOFError, OSError):
        return {}


def _by_version(verdicts: Iterable[Verdict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in verdicts:
        if v.status == "stale" and v.algorithm:
            out[v.algorithm] = out.get(v.algorithm, 0) + 1
    return dict(sorted(out.items()))


def verify_index(index: IndexView, progress: Callable[[int, int], None] | None = None, collected: Collected | None = None) -> VerifyReport:
    """Verify every file of a scanned `Index`, then `cross_check` the tree, then check each
    recording's test beside it (orphans.mark_orphans; `collected`: pytest's own ids).

    Rows of an index.sqlite whose file is missing get status `missing`.
    """
    from .orphans import mark_orphans  # here: orphans reads sources, whose explain imports come back to verify

    own = file_verdicts(index, progress, keep_hashes=False)
    report = cross_check(own.verdicts, index.sqlite_rows, Path(str(index.root)))
    report.hashed = own.hashed
    mark_orphans(report, index, collected)
    return report


@dataclass
class FileVerdicts:
    verdicts: dict[str, Verdict]                     # each file's own verdict (no cross-file findings yet)
    hashes: dict[str, dict[str, str | None]]         # each readable recording's request hash under every version
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)   # each readable recording's, for explain
    hashed: int = 0                                  # files hashed this time (the rest: from the cache)


def file_verdicts(index: IndexView, progress: Callable[[int, int], None] | None = None, *, keep_hashes: bool = True) -> FileVerdicts:
    """Each file's own verdict and request hashes, hashing only the files changed since the cache.

    A file's verdict and hashes depend on nothing but its name and content, so they
    are kept in the cache by the size and mtime the index read the file at (an
    Index with its cache on; a bare snapshot has no stamps and everything is hashed).
    Without `keep_hashes` the result holds the verdicts only (verify needs no more;
    explain's lookups do): 100,000 recordings' hashes and fingerprints are 60 MB.
    """
    root = str(index.root)
    out = FileVerdicts({}, {})
    items = list(index.summaries.values())
    cached = load_verdicts(index.root) if index.use_cache else {}
    kept: VerdictRows = {}
    with gc_paused():
        for done, s in enumerate(items, 1):
            if s.problem and s.problem.startswith(_SQLITE_MISSING):
                out.verdicts[s.path] = Verdict(s.path, "missing", detail=s.problem, endpoint=s.endpoint)
                continue
            stamp = index.stamp(s.path) if index.use_cache else None
            hit = cached.get(s.path) if stamp is not None else None
            if _usable(hit, stamp):
                v = Verdict(*hit[2])
                kept[s.path] = hit       # the row as it was read: nothing to rebuild
                hashes = fp = None
                if keep_hashes:          # unpacked only for explain's lookups
                    unpacked = unpack_hashes(hit[3], len(VERSIONS)) if hit[3] is not None else None
                    hashes = dict(zip(VERSIONS, unpacked, strict=True)) if unpacked is not None else None
                    fp = unpack_fingerprint(hit[4]) if hit[4] is not None else None
            else:
                rec = Recording.load(os.path.join(root, s.path))
                objects = None if rec.problem else hashed_objects(rec.data)     # one normalization for both
                hashes = None if objects is None else hashes_of(objects)
                fp = None if objects is None else fingerprint_object(without_test_id(objects[NEWEST]))
                v = verify_recording(rec, s.path, hashes)
                out.hashed += 1
                packed = pack_hashes(tuple(hashes[x] for x in VERSIONS)) if hashes is not None else None
                packed_fp = pack_fingerprint(fp) if fp is not None else None
                # Unreadable may be a permission, fixed without a new mtime; a hash or fingerprint
                # of an unexpected shape cannot be packed: both are worked out again next time.
                if stamp is not None and v.status != "unreadable" and (packed is not None) == (hashes is not None) and (packed_fp is not None) == (fp is not None):
                    kept[s.path] = (*stamp, _own_fields(v), packed, packed_fp)
            out.verdicts[s.path] = v
            if keep_hashes and hashes is not None:
                out.hashes[s.path] = hashes
            if keep_hashes and fp is not None:
                out.fingerprints[s.path] = fp
            if progress and done % 100 == 0:
                progress(done, len(items))
    if index.use_cache and (out.hashed or kept.keys() != cached.keys()):
        save_verdicts(index.root, kept)
    if progress:
        progress(len(items), len(items))
    return out


def _usable(hit: Any, stamp: tuple[int, int] | None) -> TypeGuard[VerdictRow]:
    """A kept row of the shape written, for the file as it is now."""
    return (
        type(hit) is tuple and len(hit) == 5 and (hit[0], hit[1]) == stamp
        and type(hit[2]) is tuple and len(hit[2]) == len(_OWN)
        and packed_shapes_ok(hit[3], hit[4], len(VERSIONS))
    )


def cross_check(verdicts: dict[str, Verdict], sqlite_rows: Iterable[Any] = (), root: Path | None = None) -> VerifyReport:
    """The cross-file findings over per-file verdicts (in memory, fast): siblings, duplicates, sqlite.

    Resets and refills each verdict's `sibling`, `duplicates` and `notes`.
    """
    report = VerifyReport(verdicts=dict(sorted(verdicts.items())))
    live_by_test: dict[str, list[Verdict]] = {}
    by_request: dict[tuple[str, str | None], list[Verdict]] = {}
    for v in report.verdicts.values():
        v.sibling, v.group, v.notes = None, (), ()
        if v.status == "ok" and v.test_id:
            live_by_test.setdefault(v.test_id, []).append(v)
        if v.expected and v.status in ("ok", "stale", "mismatch"):
            # model lists of one request but other model sets are merged on replay: not duplicates
            by_request.setdefault((v.expected, v.model_digest), []).append(v)
    for v in report.verdicts.values():
        if v.status == "stale" and v.test_id and v.test_id in live_by_test:
            live = live_by_test[v.test_id]
            twin = next((s for s in live if s.expected == v.expected), None)   # the same request, re-recorded
            v.sibling = (twin or live[0]).path
    for (expected, _digest), group in by_request.items():
        if len(group) > 1:
            paths = tuple(g.path for g in group)
            report.duplicates.append(DuplicateGroup(expected, list(paths)))
            for g in group:
                g.group = paths
    _check_sqlite(report, list(sqlite_rows), root)
    return report


def _check_sqlite(report: VerifyReport, rows: list[Any], root: Path | None) -> None:
    verdicts = report.verdicts
    listed: dict[str, Any] = {}
    db_dirs: set[str] = set()
    for row in rows:
        listed[row.response_file] = row
        db_dirs.add(posixpath.dirname(row.db))
        v = verdicts.get(row.response_file)
        if v is None or v.status == "missing":
            report.sqlite_missing.append(row.response_file)
            continue
        # the row holds the full hash whose first 12 hex name the file
        stem = posixpath.basename(row.response_file).removesuffix(".json")
        if not str(row.request_hash).startswith(stem):
            report.sqlite_wrong_hash.append(row.response_file)
            v.notes += (f"its index.sqlite row's hash {str(row.request_hash)[:12]}… does not fit its name",)
    if root is not None:
        # sqlite-layout folders (<dir>/responses/ beside <dir>/index.sqlite), even if the db had no rows
        parents = {posixpath.dirname(posixpath.dirname(p)) for p in verdicts if posixpath.basename(posixpath.dirname(p)) == "responses"}
        for parent in parents - db_dirs:
            if (root / parent / "index.sqlite").is_file():
                db_dirs.add(parent)
    for path, v in verdicts.items():
        if v.status == "missing" or path in listed:
            continue
        folder = posixpath.dirname(path)
        if posixpath.basename(folder) == "responses" and posixpath.dirname(folder) in db_dirs:
            report.sqlite_unlisted.append(path)
            db = posixpath.join(posixpath.dirname(folder), "index.sqlite")
            v.notes += (f"not listed in {db}: replay through the index never finds it",)


def apply_statuses(summaries: Iterable[Any], report: VerifyReport) -> None:
    """Set `Summary.status` from the report, so `is:stale` and friends match."""
    for s in summaries:
        v = report.verdicts.get(s.path)
        if v is not None:
            s.status = v.status
