"""An index over a directory of recordings: scan, cache, look up, update incrementally.

The index holds one light `Summary` per file. Summaries are cached outside the
scanned tree (never inside it), keyed by each file's size and mtime, so a warm
start reads only what changed.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import cache as summary_cache
from .jsonio import gc_paused
from .model import Summary
from .readers import reap_children, summarize_files
from .recording import Recording, era_of, is_io_problem
from .sqlite_index import RESPONSE_FILE, SqliteRow, missing_file_summary, read_sqlite_index, sqlite_fields
from .walk import RACY_NS, SKIP_DIRS, TreeWalk

VANISHED = "file not found"   # Recording.load's problem for a path gone since it was listed

class RefError(LookupError):
    """A reference to a recording that matches nothing, or more than one."""

    def __init__(self, message: str, candidates: list[Summary] | None = None):
        super().__init__(message)
        self.candidates = candidates or []






@dataclass
class Change:
    """What an incremental update did to one path."""

    action: str          # added | changed | removed
    path: str            # relative to the root
    summary: Summary | None = None
    stamp: tuple[int, int] | None = None   # (size, mtime_ns) seen before the file was read


@dataclass
class ScanStats:
    files: int = 0
    read: int = 0        # files parsed this scan (the rest came from the cache)
    cached: int = 0
    listed: int = 0      # folders listed afresh (the rest reused the cached listing)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    links_out: list[str] = field(default_factory=list)   # folder links leading out of the tree, not followed


class IndexView(Protocol):
    """What verify and explain read of an index: an Index, or a frozen IndexSnapshot of one."""

    @property
    def root(self) -> Path: ...

    @property
    def summaries(self) -> dict[str, Summary]: ...

    @property
    def use_cache(self) -> bool: ...   # whether per-file results may be reused (and kept) by each file's stamp

    @property
    def sqlite_rows(self) -> list[SqliteRow]: ...

    def stamp(self, rel: str) -> tuple[int, int] | None: ...


@dataclass(frozen=True)
class IndexSnapshot:
    """An index's summaries at one moment, for work on another thread while live
    reload goes on changing the Index. Its files' stamps are not kept: cached
    per-file results are not reused from it (stamp is None)."""

    root: Path
    summaries: dict[str, Summary]
    sqlite_rows: list[SqliteRow]
    use_cache: bool = False

    def stamp(self, rel: str) -> tuple[int, int] | None:
        return None


class Index:
    """Summaries of every `.json` below `root` (plus `index.sqlite` rows), in path order."""

    def __init__(self, root: str | os.PathLike[str], *, recordings_only: bool = False, use_cache: bool = True):
        self.root = Path(root).resolve()
        self._root_str = str(self.root)
        # In auto-discovery mode only files under a `recordings` folder count, so a
        # repository's package.json and friends are not listed as broken recordings.
        self.recordings_only = recordings_only
        self.use_cache = use_cache
        self.summaries: dict[str, Summary] = {}
        self._sqlite_rows: list[SqliteRow] | None = []
        self.stats = ScanStats()
        self._snapshot = summary_cache.Snapshot()   # what the last scan saw, for save_cache

    @property
    def sqlite_rows(self) -> list[SqliteRow]:
        """The rows of every index.sqlite below the root (2025-08 layout)."""
        if self._sqlite_rows is None:
            self._sqlite_rows = [SqliteRow(*row) for _size, _mtime, rows in self._snapshot.sqlite.values() for row in rows]
        return self._sqlite_rows

    # --- scanning ----------------------------------------------------------------------

    def scan(self, progress: Callable[[int, int], None] | None = None, workers: int | None = None) -> Index:
        """Index every file, reading only those the cache does not already know.

        `progress(done, total)` is called as files are read. `workers` > 1 reads in
        that many forked processes; by default they are used for large cold scans
        when forking is safe (no other threads running).
        """
        t0 = time.perf_counter()
        if not self.root.is_dir():
            raise NotADirectoryError(f"not a directory: {self.root}")
        # Every object a scan makes (cached rows, summaries) lives on: the cyclic GC
        # would only rescan them, several times over, for nothing.
        with gc_paused(keep=True):
            self._scan(progress, workers)
        self.stats.seconds = time.perf_counter() - t0
        return self

    def _scan(self, progress: Callable[[int, int], None] | None, workers: int | None) -> None:
        listed_at_ns = time.time_ns()
        snap = (summary_cache.load(self.root) if self.use_cache else None) or summary_cache.Snapshot()
        cached, cached_sizes, cached_mtimes = snap.summaries, snap.sizes, snap.mtimes
        stats = ScanStats()
        walk = TreeWalk(str(self.root), recordings_only=self.recordings_only, known_dirs=snap.dirs, known_files=cached, trust_before_ns=snap.listed_at_ns - RACY_NS)
        listing = list(walk.files())
        stats.listed, stats.skipped, stats.links_out = walk.listed, walk.skipped, walk.links_out
        same = walk.unchanged_files
        stats.files = stats.cached = len(listing) + same
        if not listing and same == len(cached):
            summaries, sizes, mtimes = cached, cached_sizes, cached_mtimes   # nothing changed (the common warm start)
            sqlite_cache = self._read_sqlite_files(walk.sqlite_files, snap.sqlite)
        else:
            summaries, sizes, mtimes = {}, {}, {}
            # Some folder changed (or was not walked): the files of unchanged ones are hits.
            for prefix, names in walk.unchanged:
                for name in names:
                    rel = prefix + name
                    summaries[rel], sizes[rel], mtimes[rel] = cached[rel], cached_sizes[rel], cached_mtimes[rel]
            to_read: list[tuple[str, int]] = []
            listed_stamps: dict[str, tuple[int, int]] = {}
            for rel, st in listing:
                if st is None:  # new: its size and mtime come from reading it
                    to_read.append((rel, 0))
                    continue
                hit = cached.get(rel)
                if hit is not None and cached_sizes[rel] == st.st_size and cached_mtimes[rel] == st.st_mtime_ns and (hit.problem is None or not is_io_problem(hit.problem)):
                    summaries[rel], sizes[rel], mtimes[rel] = hit, st.st_size, st.st_mtime_ns
                else:
                    listed_stamps[rel] = (st.st_size, st.st_mtime_ns)
                    to_read.append((rel, st.st_size))
            stats.read, stats.cached = len(to_read), stats.files - len(to_read)
            sqlite: list[Any] = []   # read while the forked readers are busy

            def read_sqlite() -> None:
                sqlite.append(self._read_sqlite_files(walk.sqlite_files, snap.sqlite))

            for rel, size, mtime_ns, summary in self._read(to_read, walk.sqlite_files, progress, workers, read_sqlite):
                if summary.problem and summary.problem.startswith(VANISHED):
                    continue  # deleted between listing and reading: it is simply not there
                if not mtime_ns:  # not opened (unreadable): keep what the listing saw
                    size, mtime_ns = listed_stamps.get(rel, (0, 0))
                summaries[rel], sizes[rel], mtimes[rel] = summary, size, mtime_ns
            summaries = dict(sorted(summaries.items()))
            sqlite_cache = sqlite[0]
        self._sqlite_rows = None   # built from sqlite_cache when first asked for (explain and verify use them)
        missing = [SqliteRow(*row) for _size, _mtime, rows in sqlite_cache.values() for row in rows if row[RESPONSE_FILE] not in summaries]
        if missing:   # listed in index.sqlite, no file: shown as problems, never cached
            self.summaries = dict(sorted([*summaries.items(), *((row.response_file, missing_file_summary(row)) for row in missing)]))
        else:
            self.summaries = summaries
        self._snapshot = summary_cache.Snapshot(listed_at_ns, summaries, sizes, mtimes, walk.dirs, sqlite_cache)
        if self.use_cache and (summaries is not cached or stats.listed or sqlite_cache != snap.sqlite):
            summary_cache.save(self.root, self._snapshot)
        reap_children()   # last: their exits were torn down while this process did the above
        self.stats = stats

    def _read(
        self,
        to_read: list[tuple[str, int]],
        sqlite_files: list[str],
        progress: Callable[[int, int], None] | None,
        workers: int | None,
        meanwhile: Callable[[], None],
    ) -> list[tuple[str, int, int, Summary]]:
        """Summarize the files to read, each with the era of the folder it sits in."""
        if not to_read:
            meanwhile()
            return []
        # The era depends on the folders above a file too (the root may be a `recordings/`
        # folder itself), so it is judged on absolute paths, as refresh() does.
        root_posix = self.root.as_posix().rstrip("/")
        sqlite_dirs = {posixpath.dirname(f"{root_posix}/{db}") for db in sqlite_files}
        if (self.root.parent / "index.sqlite").is_file():
            sqlite_dirs.add(self.root.parent.as_posix())  # the root is a sqlite-era `responses/` folder
        items = [(rel, era_of(f"{root_posix}/{rel}", sqlite_dirs), size) for rel, size in to_read]
        return summarize_files(str(self.root), items, progress, workers, meanwhile)

    def _read_sqlite_files(self, sqlite_files: list[str], known: dict[str, tuple[int, int, list[tuple[Any, ...]]]]) -> dict[str, tuple[int, int, list[tuple[Any, ...]]]]:
        """Rows of each index.sqlite, from the cache while its size and mtime are unchanged."""
        out = {}
        for db in sqlite_files:
            try:
                st = os.stat(os.path.join(self.root, db))
            except OSError:
                continue
            hit = known.get(db)
            if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
                out[db] = hit
            else:
                out[db] = (st.st_size, st.st_mtime_ns, [sqlite_fields(row) for row in read_sqlite_index(self.root, db)])
        return out

    # --- incremental updates (live reload) ---------------------------------------------

    def refresh(self, path: str | os.PathLike[str]) -> Change | None:
        """Bring one path up to date; return what changed, or None if nothing did."""
        change = self.probe(path)
        if change is not None:
            self.apply([change])
        return change

    def probe(self, path: str | os.PathLike[str], _folders: dict[str, str | None] | None = None) -> Change | None:
        """What `refresh` would change for one path, without changing anything.

        Reads the file if it is new or changed; safe in a worker thread while the
        index is only read elsewhere. `apply` then commits a whole batch at once.
        `_folders` (probe_tree's, for one batch) keeps each folder's resolved path:
        resolving every file's whole path was half the cost of a probe in a burst.
        """
        rel = self._rel_of(os.path.join(self._root_str, os.fspath(path)), _folders)
        if rel is None or not rel.endswith(".json") or any(part in SKIP_DIRS or part.startswith(".") for part in rel.split("/")[:-1]):
            return None
        if self.recordings_only and "/recordings/" not in "/" + rel:  # the same test as _walk
            return None
        abs_path = os.path.join(self._root_str, rel)
        old = self.summaries.get(rel)
        try:
            st = os.stat(abs_path)
            exists = stat.S_ISREG(st.st_mode)
        except OSError:
            exists = False
        if not exists:
            return Change("removed", rel, old) if old is not None else None
        if old is not None and old.size == st.st_size and old.mtime == st.st_mtime and not old.problem:
            return None
        summary = Recording.load(Path(abs_path)).summary(rel, era_of(abs_path))
        if summary.problem and summary.problem.startswith(VANISHED):
            # Deleted between the stat and the read: the deletion's own event may already be spent.
            return Change("removed", rel, old) if old is not None else None
        if old is not None and old.problem and dataclasses.replace(summary, status=old.status) == old:
            return None  # a broken file read again, still the same: nothing to announce
        return Change("added" if old is None else "changed", rel, summary, (st.st_size, st.st_mtime_ns))

    def _rel_of(self, abs_path: str, folders: dict[str, str | None] | None) -> str | None:
        """`abs_path` relative to the root, '/'-separated: resolved when the file exists (a link is
        indexed where it leads), as written when it does not; None when outside the tree."""
        root = self._root_str
        try:
            is_link = stat.S_ISLNK(os.lstat(abs_path).st_mode)
            exists = True
        except (OSError, ValueError):
            is_link = exists = False
        if is_link or folders is None or ".." in abs_path.split(os.sep):
            p = Path(abs_path)
            try:
                rel = p.resolve().relative_to(self.root) if p.exists() else p.relative_to(self.root)
            except (ValueError, OSError, RuntimeError):  # outside the root, or a symlink loop (RuntimeError before 3.13)
                return None
            return rel.as_posix()
        if not exists:
            inside = abs_path.startswith(root + os.sep)
            return abs_path[len(root) + 1:].replace(os.sep, "/") if inside else None
        folder, name = os.path.split(abs_path)
        if folder not in folders:
            real = os.path.realpath(folder)
            folders[folder] = "" if real == root else real[len(root) + 1:].replace(os.sep, "/") + "/" if real.startswith(root + os.sep) else None
        prefix = folders[folder]
        return None if prefix is None else prefix + name

    def probe_tree(self, paths: list[str]) -> list[Change]:
        """What `refresh` would change for paths reported by a watcher, folders included.

        A folder created (or moved in) may hold files made before the watcher saw it,
        which have no event of their own: its files are probed too. A folder gone (or
        moved out) takes every indexed file under it along.
        """
        files: dict[str, None] = {}
        gone: list[str] = []
        root = self._root_str
        for path in paths:
            abs_path = os.path.normpath(os.path.join(root, path))   # as Path did: '.' and '//' gone ('..' kept below)
            if not abs_path.startswith(root + os.sep):
                continue
            parts = abs_path[len(root) + 1:].split(os.sep)
            if any(part in SKIP_DIRS or part.startswith(".") for part in parts[:-1]) or not parts[-1]:
                continue
            try:
                mode: int | None = os.lstat(abs_path).st_mode
            except (OSError, ValueError):
                mode = None
            if mode is None:
                gone.append("/".join(parts) + "/")
            elif stat.S_ISDIR(mode) or (stat.S_ISLNK(mode) and os.path.isdir(abs_path)):
                if parts[-1] not in SKIP_DIRS and not parts[-1].startswith("."):
                    files.update((os.path.join(root, rel), None) for rel, _st in TreeWalk(root, recordings_only=self.recordings_only).files(abs_path))
            if path.endswith(".json"):
                files[abs_path] = None  # a file, or a folder named *.json that was a file before
        folders: dict[str, str | None] = {}
        changes = [c for c in (self.probe(f, folders) for f in files) if c is not None]
        if gone:
            prefixes = tuple(gone)
            probed = {c.path for c in changes}
            changes += [Change("removed", rel, s) for rel, s in self.summaries.items() if rel.startswith(prefixes) and rel not in probed and not os.path.lexists(self.root / rel)]
        return changes

    def reconcile(self) -> list[Change]:
        """The changes that make the index match the tree now: a listing and a stat per file.

        For what no watcher reported: files written before it started, or events it dropped.
        """
        listing = dict(TreeWalk(str(self.root), recordings_only=self.recordings_only).files())
        changes = []
        for rel, st in listing.items():
            old = self.summaries.get(rel)
            if old is None or st is None or old.size != st.st_size or old.mtime != st.st_mtime or is_io_problem(old.problem):
                change = self.probe(self.root / rel)
                if change is not None:
                    changes.append(change)
        for rel, old in self.summaries.items():
            if rel not in listing and not (old.problem and old.problem.startswith("listed in index.sqlite")):
                changes.append(Change("removed", rel, old))
        return changes

    def apply(self, changes: list[Change]) -> None:
        """Commit probed changes; the path order is restored once per batch, not per file.

        Copy-on-write: a reader iterating the old mapping in another thread (the detail's
        timeline, a cache save) never sees it change size under it.
        """
        summaries = dict(self.summaries)
        # The size and mtime each summary was read at, for save_cache.
        sizes, mtimes = dict(self._snapshot.sizes), dict(self._snapshot.mtimes)
        added = False
        for change in changes:
            if change.action == "removed":
                summaries.pop(change.path, None)
                sizes.pop(change.path, None)
                mtimes.pop(change.path, None)
            elif change.summary is not None:
                added = added or change.path not in summaries
                summaries[change.path] = change.summary
                if change.stamp is not None:
                    sizes[change.path], mtimes[change.path] = change.stamp
                else:  # unknown stamp: read again next start
                    sizes.pop(change.path, None)
                    mtimes.pop(change.path, None)
        self.summaries = dict(sorted(summaries.items())) if added else summaries
        self._snapshot = dataclasses.replace(self._snapshot, sizes=sizes, mtimes=mtimes)

    def save_cache(self) -> None:
        """Persist the current summaries (after live updates) so the next start is warm.

        No file is stat'ed: each summary is stored with the size and mtime it was read at.
        Folder listings are kept from the scan; a folder changed since then has a new
        mtime, so the next start lists it again.
        """
        if not self.use_cache:
            return
        sizes = self._snapshot.sizes
        kept = {rel: s for rel, s in self.summaries.items() if rel in sizes}   # not the index.sqlite rows with no file
        summary_cache.save(self.root, dataclasses.replace(self._snapshot, summaries=kept))

    # --- looking up --------------------------------------------------------------------

    def snapshot(self) -> IndexSnapshot:
        """The summaries as they are now (hold the lock live reload takes, if any)."""
        return IndexSnapshot(self.root, dict(self.summaries), list(self.sqlite_rows))

    def stamp(self, rel: str) -> tuple[int, int] | None:
        """(size, mtime_ns) of the file as its summary was read, or None: not from a file,
        or the cache is off."""
        size = self._snapshot.sizes.get(rel)
        return None if size is None else (size, self._snapshot.mtimes[rel])

    def __len__(self) -> int:
        return len(self.summaries)

    def __iter__(self) -> Iterator[Summary]:
        return iter(self.summaries.values())

    def resolve(self, ref: str) -> Summary:
        """A summary by relative or absolute path, file name, or unique id prefix."""
        ref = ref.strip()
        if not ref:
            raise RefError("empty reference")
        candidate = Path(ref)
        for p in (candidate, self.root / ref):
            try:
                rel = p.resolve().relative_to(self.root).as_posix()
            except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (before 3.13)
                continue
            if rel in self.summaries:
                return self.summaries[rel]
        # Hashes are lower case, but a hand-named file (`MyRecording.json`) is not: a prefix
        # of the id matches, and so does its lower-case form.
        key = ref.removesuffix(".json").removesuffix(".JSON").lower()
        matches = [s for s in self.summaries.values() if _id_matches(s.id.lower(), key)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise RefError(f"no recording matches '{ref}' in {self.root}")
        # The same request recorded twice (e.g. a vision/ twin) is still ambiguous: say where.
        shown = ", ".join(s.path for s in matches[:5]) + (f" and {len(matches) - 5} more" if len(matches) > 5 else "")
        raise RefError(f"'{ref}' is ambiguous: {len(matches)} recordings match ({shown})", matches)

    def load(self, summary_or_ref: Summary | str) -> Recording:
        summary = summary_or_ref if isinstance(summary_or_ref, Summary) else self.resolve(summary_or_ref)
        rec = Recording.load(self.root / summary.path)
        rec.path = str(self.root / summary.path)
        return rec

    def tests(self) -> dict[str, list[Summary]]:
        """Summaries grouped by test id, in path order (recordings without a test id are left out)."""
        groups: dict[str, list[Summary]] = {}
        for s in self.summaries.values():
            if s.test_id:
                groups.setdefault(s.test_id, []).append(s)
        return groups


































def _id_matches(id_lower: str, key: str) -> bool:
    return id_lower.startswith(key) or id_lower.removeprefix("models-").startswith(key)




