"""The persistent summary cache: one file per indexed root, in the user cache directory.

Never inside the scanned tree. A corrupt, foreign or outdated cache file is
ignored and rewritten; losing it only costs one cold scan.

The file is `marshal` data behind a magic line and a CRC: a warm start reads it
in about a millisecond, where JSON took twice that, and it holds any Python
string (a non-UTF-8 file name, a lone surrogate) that JSON refuses. marshal
never runs code: it only builds strings, numbers, tuples and dicts; the CRC
catches a damaged file before marshal sees it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
import zlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .model import Summary

# Bump when Summary's fields or the reading logic change what a summary holds.
SCHEMA = 6
MAGIC = b"cassette-tui index cache\n"

# One directory as the scan listed it: its mtime, the `.json` names in it, the
# names of the folders below worth walking, and whether it holds an index.sqlite.
DirListing = tuple[int, tuple[str, ...], tuple[str, ...], bool]


@dataclass
class Snapshot:
    """What one scan saw: enough to tell, on the next start, what changed since."""

    listed_at_ns: int = 0                                                         # wall clock when the listing began
    files: dict[str, tuple[int, int, Summary]] = field(default_factory=dict)     # rel -> (size, mtime_ns, summary), path order
    dirs: dict[str, DirListing] = field(default_factory=dict)                    # rel folder ('' = the root) -> listing
    sqlite: dict[str, tuple[int, int, list[tuple[Any, ...]]]] = field(default_factory=dict)  # db rel -> (size, mtime_ns, rows)


def cache_dir() -> Path:
    override = os.environ.get("CASSETTE_TUI_CACHE_DIR")
    if override:
        return Path(override)
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cassette-tui"


def cache_file(root: Path) -> Path:
    digest = hashlib.sha256(str(root).encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return cache_dir() / f"index-{digest}.bin"


def _schema_key() -> str:
    from . import __version__

    # marshal's format may change between Python versions: a cache from another one is not read.
    return f"{SCHEMA}:{__version__}:{sys.version_info[0]}.{sys.version_info[1]}:{marshal.version}"


_WIDTH = len(fields(Summary))
_PATH = [f.name for f in fields(Summary)].index("path")


def load(root: Path) -> Snapshot | None:
    """The snapshot the last scan of `root` saved, or None when there is no usable one."""
    try:
        raw = cache_file(root).read_bytes()
        if not raw.startswith(MAGIC):
            return None
        head = len(MAGIC)
        payload = memoryview(raw)[head + 4:]
        if zlib.crc32(payload) != int.from_bytes(raw[head:head + 4], "little"):
            return None
        key, cached_root, listed_at_ns, sizes, mtimes, columns, dirs, sqlite = marshal.loads(payload)
        if key != _schema_key() or cached_root != str(root):
            return None
        if len(columns) != _WIDTH or any(len(c) != len(sizes) for c in (mtimes, *columns)):
            return None  # written by another layout of Summary: would load shifted or half empty
        # Column-wise, and map() hands each column's values straight to the constructor:
        # no tuple per row, on either side.
        files = dict(zip(columns[_PATH], zip(sizes, mtimes, map(Summary, *columns))))
        return Snapshot(listed_at_ns, files, dirs, sqlite)
    except (OSError, ValueError, TypeError, EOFError, KeyError, IndexError, AttributeError):
        return None


def save(root: Path, snapshot: Snapshot) -> None:
    """Write atomically (temp file + rename); a failure to write is not an error."""
    path = cache_file(root)
    if path.resolve().is_relative_to(root):
        return  # a cache dir pointed inside the recordings would write into them: never
    files = snapshot.files.values()
    sizes = [size for size, _mtime, _s in files]
    mtimes = [mtime_ns for _size, mtime_ns, _s in files]
    columns = list(zip(*(_row(s) for _size, _mtime, s in files))) or [()] * _WIDTH
    try:
        payload = marshal.dumps((_schema_key(), str(root), snapshot.listed_at_ns, sizes, mtimes, columns, snapshot.dirs, snapshot.sqlite))
    except ValueError:  # an object marshal cannot write slipped into a row: better no cache than a crash
        return
    data = MAGIC + zlib.crc32(payload).to_bytes(4, "little") + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".index-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


# Values that repeat across thousands of rows (kinds, models, endpoints, tool names):
# interned, marshal writes each once and refers back to it, and the loaded index
# shares one string per value.
_INTERNED = {name: i for i, name in enumerate(f.name for f in fields(Summary))}
_SHARED = tuple(_INTERNED[n] for n in ("test_id", "kind", "endpoint", "model", "provider", "finish_reason", "era", "status"))
_SHARED_TUPLES = tuple(_INTERNED[n] for n in ("tool_calls", "tools", "flags", "anomalies"))


def _row(s: Summary) -> tuple[Any, ...]:
    row = s.to_cache()
    for i in _SHARED:
        v = row[i]
        if type(v) is str:
            row[i] = sys.intern(v)
    for i in _SHARED_TUPLES:
        row[i] = tuple(sys.intern(v) if type(v) is str else v for v in row[i])
    return tuple(row)
