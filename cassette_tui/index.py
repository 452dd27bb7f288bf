"""An index over a directory of recordings: scan, cache, look up, update incrementally.

The index holds one light `Summary` per file. Summaries are cached outside the
scanned tree (never inside it), keyed by each file's size and mtime, so a warm
start reads only what changed.
"""

from __future__ import annotations

import dataclasses
import errno
import gc
import os
import marshal
import posixpath
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cache as summary_cache
from .model import Summary
from .recording import Recording, era_of, is_io_problem

VANISHED = "file not found"   # Recording.load's problem for a path gone since it was listed

# A folder whose mtime is within this of the last listing may have changed again
# within the same timestamp tick (1 s on ext3 and HFS+, 2 s on FAT): list it again.
RACY_NS = 2_000_000_000

_DIR_FDS = os.stat in os.supports_dir_fd and os.scandir in os.supports_fd
# O_NONBLOCK: a FIFO where a folder was must fail at once, never wait for a writer.
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

# Directories never worth descending into when looking for recordings.
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", "site-packages"}


class RefError(LookupError):
    """A reference to a recording that matches nothing, or more than one."""

    def __init__(self, message: str, candidates: list[Summary] | None = None):
        super().__init__(message)
        self.candidates = candidates or []


@dataclass(slots=True)
class SqliteRow:
    db: str              # the index.sqlite file, relative to the root
    request_hash: str
    response_file: str   # relative to the root
    endpoint: str | None
    model: str | None
    timestamp: str | None
    is_streaming: bool


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


class Index:
    """Summaries of every `.json` below `root` (plus `index.sqlite` rows), in path order."""

    def __init__(self, root: str | os.PathLike[str], *, recordings_only: bool = False, use_cache: bool = True):
        self.root = Path(root).resolve()
        # In auto-discovery mode only files under a `recordings` folder count, so a
        # repository's package.json and friends are not listed as broken recordings.
        self.recordings_only = recordings_only
        self.use_cache = use_cache
        self.summaries: dict[str, Summary] = {}
        self.sqlite_rows: list[SqliteRow] = []
        self.stats = ScanStats()
        self._snapshot = summary_cache.Snapshot()   # what the last scan saw, for save_cache

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
        listed_at_ns = time.time_ns()
        snap = (summary_cache.load(self.root) if self.use_cache else None) or summary_cache.Snapshot()
        cached = snap.files
        stats = ScanStats()
        sqlite_files: list[str] = []
        dirs: dict[str, summary_cache.DirListing] = {}
        # A folder's listing is reused while its mtime is unchanged, unless it changed so
        # close to the last listing that a later change could carry the same timestamp.
        listing = list(self._walk(stats, sqlite_files, known_dirs=snap.dirs, trust_before_ns=snap.listed_at_ns - RACY_NS, dirs_out=dirs))
        fresh: dict[str, tuple[int, int, Summary | None]] = {}
        to_read: list[tuple[str, int]] = []
        for rel, st in listing:
            hit = cached.get(rel)
            if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns and (hit[2].problem is None or not is_io_problem(hit[2].problem)):
                fresh[rel] = hit
            else:
                fresh[rel] = (st.st_size, st.st_mtime_ns, None)
                to_read.append((rel, st.st_size))
        stats.files, stats.read, stats.cached = len(listing), len(to_read), len(listing) - len(to_read)
        if to_read:
            # The era depends on the folders above a file too (the root may be a `recordings/`
            # folder itself), so it is judged on absolute paths, as refresh() does.
            root_posix = self.root.as_posix().rstrip("/")
            sqlite_dirs = {posixpath.dirname(f"{root_posix}/{db}") for db in sqlite_files}
            if (self.root.parent / "index.sqlite").is_file():
                sqlite_dirs.add(self.root.parent.as_posix())  # the root is a sqlite-era `responses/` folder
            items = [(rel, era_of(f"{root_posix}/{rel}", sqlite_dirs), size) for rel, size in to_read]
            for rel, summary in summarize_files(str(self.root), items, progress, workers):
                if summary.problem and summary.problem.startswith(VANISHED):
                    del fresh[rel]  # deleted between listing and reading: it is simply not there
                    continue
                size, mtime_ns, _ = fresh[rel]
                fresh[rel] = (size, mtime_ns, summary)
        if not to_read and len(fresh) == len(cached):
            fresh = cached  # nothing changed: the cached rows, already in path order
        else:
            fresh = dict(sorted(fresh.items()))
        sqlite_cache = self._read_sqlite_files(sqlite_files, snap.sqlite)
        self.sqlite_rows = [SqliteRow(*row) for _size, _mtime, rows in sqlite_cache.values() for row in rows]
        summaries = {rel: row[2] for rel, row in fresh.items()}
        missing = [row for row in self.sqlite_rows if row.response_file not in summaries]
        if missing:
            summaries.update((row.response_file, _missing_file_summary(row)) for row in missing)
            summaries = dict(sorted(summaries.items()))
        self.summaries = summaries  # type: ignore[assignment]
        self._snapshot = summary_cache.Snapshot(listed_at_ns, fresh, dirs, sqlite_cache)  # type: ignore[arg-type]
        if self.use_cache and (fresh is not cached or stats.listed or sqlite_cache != snap.sqlite):
            summary_cache.save(self.root, self._snapshot)
        stats.seconds = time.perf_counter() - t0
        self.stats = stats
        return self

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
                out[db] = (st.st_size, st.st_mtime_ns, [dataclasses.astuple(row) for row in read_sqlite_index(self.root, db)])
        return out

    def _walk(
        self,
        stats: ScanStats,
        sqlite_files: list[str],
        start: str | None = None,
        known_dirs: dict[str, summary_cache.DirListing] | None = None,
        trust_before_ns: int = 0,
        dirs_out: dict[str, summary_cache.DirListing] | None = None,
    ) -> Iterator[tuple[str, os.stat_result]]:
        """Yield (relative path, stat) of candidate files; survive loops, vanished and unreadable dirs.

        Order is unspecified (the caller sorts); directory symlinks are followed once.
        `start` (a folder under the root) walks only that part of the tree. A folder in
        `known_dirs` whose mtime is unchanged (and older than `trust_before_ns`) is not
        listed again: adding, removing or renaming an entry changes a folder's mtime.
        Every file is still stat'ed, since writing a file in place does not. The
        listings used go to `dirs_out`.
        """
        seen_dirs: set[tuple[int, int]] = set()
        root = str(self.root)
        stack = [start or root]
        root_len = len(root) + 1
        only_recordings = self.recordings_only
        known = known_dirs or {}
        sep = os.sep
        while stack:
            d = stack.pop()
            rel_d = d[root_len:]
            try:
                # Through a descriptor: each stat below resolves one name, not the whole path.
                fd = os.open(d, _DIR_FLAGS) if _DIR_FDS else None
            except OSError as exc:
                if exc.errno != errno.ENOTDIR:  # ENOTDIR: a listed folder (a symlink) that now points at a file
                    stats.skipped.append(f"{d}: {exc.strerror or exc}")
                continue
            try:
                found = self._walk_dir(d, fd, rel_d, seen_dirs, known, trust_before_ns, stats)
            finally:
                if fd is not None:
                    os.close(fd)
            if found is None:
                continue
            dir_listing, files = found
            if dirs_out is not None:
                dirs_out[rel_d] = dir_listing
            prefix = d + sep
            _mtime, _names, subdirs, has_sqlite = dir_listing
            stack.extend(prefix + name for name in subdirs)
            if has_sqlite:
                sqlite_files.append((prefix + "index.sqlite")[root_len:].replace(sep, "/"))
            rel_prefix = prefix[root_len:].replace(sep, "/") if sep != "/" else prefix[root_len:]
            for name, st in files:
                if stat.S_ISREG(st.st_mode):
                    rel = rel_prefix + name
                    if not only_recordings or "/recordings/" in "/" + rel:
                        yield rel, st
                elif stat.S_ISDIR(st.st_mode) and name not in SKIP_DIRS and not name.startswith("."):
                    stack.append(prefix + name)

    @staticmethod
    def _walk_dir(
        d: str,
        fd: int | None,
        rel_d: str,
        seen_dirs: set[tuple[int, int]],
        known: dict[str, summary_cache.DirListing],
        trust_before_ns: int,
        stats: ScanStats,
    ) -> tuple[summary_cache.DirListing, list[tuple[str, os.stat_result]]] | None:
        """One folder's listing (cached or fresh) and the stat of each `.json` in it; None to skip it."""
        try:
            dst = os.fstat(fd) if fd is not None else os.stat(d)
            if not stat.S_ISDIR(dst.st_mode):
                return None
            ident = (dst.st_dev, dst.st_ino)
            if ident in seen_dirs:
                return None  # a symlink loop, or a folder reached twice
            seen_dirs.add(ident)
            dir_listing = known.get(rel_d)
            if dir_listing is None or dir_listing[0] != dst.st_mtime_ns or dst.st_mtime_ns >= trust_before_ns:
                dir_listing = (dst.st_mtime_ns, *_list_dir(fd if fd is not None else d))
                stats.listed += 1
        except OSError as exc:
            stats.skipped.append(f"{d}: {exc.strerror or exc}")
            return None
        files = []
        for name in dir_listing[1]:
            try:
                files.append((name, os.stat(name, dir_fd=fd) if fd is not None else os.stat(os.path.join(d, name))))
            except OSError:
                continue  # vanished between listing and stat: it is simply not there
        return dir_listing, files

    # --- incremental updates (live reload) ---------------------------------------------

    def refresh(self, path: str | os.PathLike[str]) -> Change | None:
        """Bring one path up to date; return what changed, or None if nothing did."""
        change = self.probe(path)
        if change is not None:
            self.apply([change])
        return change

    def probe(self, path: str | os.PathLike[str]) -> Change | None:
        """What `refresh` would change for one path, without changing anything.

        Reads the file if it is new or changed; safe in a worker thread while the
        index is only read elsewhere. `apply` then commits a whole batch at once.
        """
        abs_path = Path(path)
        if not abs_path.is_absolute():
            abs_path = self.root / abs_path
        try:
            rel = abs_path.resolve().relative_to(self.root).as_posix() if abs_path.exists() else abs_path.relative_to(self.root).as_posix()
        except (ValueError, OSError, RuntimeError):  # outside the root, or a symlink loop (RuntimeError before 3.13)
            return None
        if not rel.endswith(".json") or any(part in SKIP_DIRS or part.startswith(".") for part in rel.split("/")[:-1]):
            return None
        if self.recordings_only and "/recordings/" not in "/" + rel:  # the same test as _walk
            return None
        old = self.summaries.get(rel)
        try:
            st = abs_path.stat()
            exists = stat.S_ISREG(st.st_mode)
        except OSError:
            exists = False
        if not exists:
            return Change("removed", rel, old) if old is not None else None
        if old is not None and old.size == st.st_size and old.mtime == st.st_mtime and not old.problem:
            return None
        summary = Recording.load(abs_path).summary(rel, era_of(str(abs_path)))
        if summary.problem and summary.problem.startswith(VANISHED):
            # Deleted between the stat and the read: the deletion's own event may already be spent.
            return Change("removed", rel, old) if old is not None else None
        if old is not None and old.problem and dataclasses.replace(summary, status=old.status) == old:
            return None  # a broken file read again, still the same: nothing to announce
        return Change("added" if old is None else "changed", rel, summary, (st.st_size, st.st_mtime_ns))

    def probe_tree(self, paths: list[str]) -> list[Change]:
        """What `refresh` would change for paths reported by a watcher, folders included.

        A folder created (or moved in) may hold files made before the watcher saw it,
        which have no event of their own: its files are probed too. A folder gone (or
        moved out) takes every indexed file under it along.
        """
        files: dict[str, None] = {}
        gone: list[str] = []
        for path in paths:
            abs_path = Path(path) if Path(path).is_absolute() else self.root / path
            try:
                parts = abs_path.relative_to(self.root).parts
            except ValueError:
                continue
            if any(part in SKIP_DIRS or part.startswith(".") for part in parts[:-1]) or not parts:
                continue
            if os.path.isdir(abs_path):
                if parts[-1] not in SKIP_DIRS and not parts[-1].startswith("."):
                    files.update((str(self.root / rel), None) for rel, _st in self._walk(ScanStats(), [], str(abs_path)))
            elif not os.path.lexists(abs_path):
                gone.append("/".join(parts) + "/")
            if path.endswith(".json"):
                files[str(abs_path)] = None  # a file, or a folder named *.json that was a file before
        changes = [c for c in map(self.probe, files) if c is not None]
        if gone:
            prefixes = tuple(gone)
            probed = {c.path for c in changes}
            changes += [Change("removed", rel, s) for rel, s in self.summaries.items() if rel.startswith(prefixes) and rel not in probed and not os.path.lexists(self.root / rel)]
        return changes

    def reconcile(self) -> list[Change]:
        """The changes that make the index match the tree now: a listing and a stat per file.

        For what no watcher reported: files written before it started, or events it dropped.
        """
        listing = dict(self._walk(ScanStats(), []))
        changes = []
        for rel, st in listing.items():
            old = self.summaries.get(rel)
            if old is None or old.size != st.st_size or old.mtime != st.st_mtime or is_io_problem(old.problem):
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
        files = dict(self._snapshot.files)   # the size and mtime each summary was read at, for save_cache
        added = False
        for change in changes:
            if change.action == "removed":
                summaries.pop(change.path, None)
                files.pop(change.path, None)
            elif change.summary is not None:
                added = added or change.path not in summaries
                summaries[change.path] = change.summary
                if change.stamp is not None:
                    files[change.path] = (*change.stamp, change.summary)
                else:
                    files.pop(change.path, None)  # unknown stamp: read again next start
        self.summaries = dict(sorted(summaries.items())) if added else summaries
        self._snapshot = dataclasses.replace(self._snapshot, files=files)

    def save_cache(self) -> None:
        """Persist the current summaries (after live updates) so the next start is warm.

        No file is stat'ed: each summary is stored with the size and mtime it was read at.
        Folder listings are kept from the scan; a folder changed since then has a new
        mtime, so the next start lists it again.
        """
        if not self.use_cache:
            return
        stamps = self._snapshot.files
        rows = {}
        for rel, s in self.summaries.items():
            stamp = stamps.get(rel)
            if stamp is not None:
                rows[rel] = (stamp[0], stamp[1], s)
        summary_cache.save(self.root, dataclasses.replace(self._snapshot, files=rows))

    # --- looking up --------------------------------------------------------------------

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
        key = ref.lower().removesuffix(".json")
        matches = [s for s in self.summaries.values() if s.id.startswith(key) or s.id.removeprefix("models-").startswith(key)]
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


def _list_dir(d: str | int) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """A folder's `.json` names, the folders below it worth walking, and whether it holds an index.sqlite."""
    names: list[str] = []
    subdirs: list[str] = []
    has_sqlite = False
    with os.scandir(d) as entries:
        for entry in entries:
            name = entry.name
            if name.endswith(".json"):
                names.append(name)   # a file, or a folder named *.json: the walk's stat tells
            elif entry.is_dir():
                if name not in SKIP_DIRS and not name.startswith("."):
                    subdirs.append(name)
            elif name == "index.sqlite":
                has_sqlite = True
    return tuple(names), tuple(subdirs), has_sqlite


PARALLEL_MIN_FILES = 128   # below this, forking costs more than it saves


def summarize_files(
    root: str,
    items: list[tuple[str, str, int]],
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> list[tuple[str, Summary]]:
    """(rel, era, size) triples -> (rel, Summary), in forked processes when it pays and is safe."""
    if workers is None:
        workers = (os.cpu_count() or 1) if len(items) >= PARALLEL_MIN_FILES and _fork_is_safe() else 1
    if workers > 1 and len(items) > 1:
        return _summarize_forked(root, items, workers, progress)
    return _summarize_serial(root, items, progress)


def _summarize_serial(root: str, items: list[tuple[str, str, int]], progress: Callable[[int, int], None] | None = None, scale: int = 1) -> list[tuple[str, Summary]]:
    out = []
    total = len(items) * scale
    # Parsing allocates many small objects that all stay alive until the summary
    # is taken; the cyclic GC would rescan them again and again for nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for done, (rel, era, _size) in enumerate(items, 1):
            out.append((rel, Recording.load(os.path.join(root, rel)).summary(rel, era)))
            if progress and done % 100 == 0:
                progress(done * scale, total)
    finally:
        if gc_was_enabled:
            gc.enable()
    if progress:
        progress(total, total)
    return out


def _fork_is_safe() -> bool:
    # Forking while other threads run can leave their locks held in the child.
    return hasattr(os, "fork") and threading.active_count() == 1


def _summarize_forked(root: str, items: list[tuple[str, str, int]], workers: int, progress: Callable[[int, int], None] | None) -> list[tuple[str, Summary]]:
    """Split the files by size across `workers` processes: this one and workers-1 forks.

    Each child marshals its summaries into an unlinked temporary file (a pipe would
    block it until this process, busy with its own share, got round to reading).
    A child that fails is simply redone here.
    """
    parts: list[list[tuple[str, str, int]]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for item in sorted(items, key=lambda it: it[2], reverse=True):
        i = loads.index(min(loads))
        parts[i].append(item)
        loads[i] += item[2] + 4096  # per-file overhead counts too
    children: list[tuple[int, Any, list[tuple[str, str, int]]]] = []
    for part in parts[1:]:
        out = tempfile.TemporaryFile()
        pid = os.fork()
        if pid == 0:  # the child: summarize, write, leave without running any cleanup
            code = 1
            try:
                out.write(marshal.dumps([(rel, tuple(s.to_cache())) for rel, s in _summarize_serial(root, part)]))
                out.flush()
                code = 0
            finally:
                os._exit(code)
        children.append((pid, out, part))
    results = _summarize_serial(root, parts[0], progress, scale=workers)
    for pid, out, part in children:
        _, status = os.waitpid(pid, 0)
        try:
            if status != 0:
                raise OSError(f"worker exited with status {status}")
            out.seek(0)
            results.extend((rel, Summary(*row)) for rel, row in marshal.loads(out.read()))
        except (OSError, ValueError, TypeError, EOFError):
            results.extend(_summarize_serial(root, part))
        finally:
            out.close()
    return results


def read_sqlite_index(root: Path, db_rel: str) -> list[SqliteRow]:
    """Rows of a 2025-08 `index.sqlite`, opened read-only so nothing is ever written."""
    db_path = root / db_rel
    base = posixpath.dirname(db_rel)
    responses = f"{base}/responses/" if base else "responses/"
    try:
        # as_uri() percent-encodes the path: a raw '?', '#' or '%' in a folder name would
        # otherwise end the file name early, and SQLite would create that shorter file.
        con = sqlite3.connect(f"{db_path.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = con.execute("SELECT request_hash, response_file, endpoint, model, timestamp, is_streaming FROM recordings").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []
    out = []
    for h, fname, ep, model, ts, streaming in rows:
        # posixpath, not Path: a Path per row cost more than the query (135 rows per 2025-08 tree).
        rel = posixpath.normpath(responses + str(fname))
        out.append(SqliteRow(db_rel, str(h), rel, ep, model, ts, bool(streaming)))
    return out


def _missing_file_summary(row: SqliteRow) -> Summary:
    return Summary(
        id=Path(row.response_file).stem,
        path=row.response_file,
        kind="invalid",
        endpoint=row.endpoint,
        model=row.model or None,
        streaming=row.is_streaming,
        problem=f"listed in index.sqlite ({row.db}) but the file is missing",
    )
