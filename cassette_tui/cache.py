"""The persistent caches, in the user cache directory: per indexed root, the index
(summaries, folder listings, index.sqlite rows) and verify's per-file verdicts.

Never inside the scanned tree. A corrupt, foreign or outdated cache file is
ignored and rewritten; losing it only costs one cold scan.

The file is `marshal` data behind a magic line: a warm start reads it in about a
millisecond, where JSON took twice that, and it holds any Python string (a
non-UTF-8 file name, a lone surrogate) that JSON refuses. marshal never runs
code: it only builds strings, numbers, tuples and dicts. The data is a series
of chunks (the index: one per column), each with its length and CRC: the CRC
catches a damaged chunk before marshal sees it, and a reader holds one chunk's
bytes at a time, not the whole file's (100 MB more at the peak for 100,000
recordings).
"""

from __future__ import annotations

import hashlib
import marshal
import operator
import os
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .model import Summary
from .recording import is_io_problem
from .walk import NO_STAMP, DirListing, pack_stamps

# Bump when Summary's fields or the reading logic change what a summary (or a cached index.sqlite row) holds.
SCHEMA = 10
MAGIC = b"cassette-tui index cache, chunked\n"

@dataclass
class Snapshot:
    """What one scan saw: enough to tell, on the next start, what changed since."""

    listed_at_ns: int = 0                                                   # wall clock when the listing began
    summaries: dict[str, Summary] = field(default_factory=dict)            # rel -> summary, in path order
    sizes: dict[str, int] = field(default_factory=dict)                    # rel -> size the summary was read at
    mtimes: dict[str, int] = field(default_factory=dict)                   # rel -> mtime_ns the summary was read at
    dirs: dict[str, DirListing] = field(default_factory=dict)              # rel folder ('' = the root) -> listing
    sqlite: dict[str, tuple[int, int, list[tuple[Any, ...]]]] = field(default_factory=dict)  # db rel -> (size, mtime_ns, rows)


def cache_dir() -> Path:
    override = os.environ.get("CASSETTE_TUI_CACHE_DIR")
    return Path(override) if override else user_dir("cache")


def user_dir(kind: str) -> Path:
    """cassette-tui's folder of this `kind` ("cache" or "config") where the platform keeps them."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / ("Caches" if kind == "cache" else "Application Support")
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) if kind == "cache" \
            else Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    else:
        xdg, default = ("XDG_CACHE_HOME", ".cache") if kind == "cache" else ("XDG_CONFIG_HOME", ".config")
        base = Path(os.environ.get(xdg) or Path.home() / default)
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
        parts = _read_parts(cache_file(root), str(root))
        if parts is None or len(parts) != 7 + _WIDTH:
            return None
        listed_at_ns, sizes, mtimes, dirs, sqlite, *columns = parts[2:]
        if any(len(c) != len(sizes) for c in (mtimes, *columns)):
            return None  # written by another layout of Summary: would load shifted or half empty
        if not _well_typed(listed_at_ns, sizes, mtimes, columns, dirs, sqlite):
            return None  # a valid CRC over values of the wrong types (a bug, another writer): rebuild
        # Column-wise, and map() hands each column's values straight to the constructor:
        # no tuple per row, on either side.
        paths = columns[_PATH]
        return Snapshot(listed_at_ns, dict(zip(paths, map(Summary, *columns), strict=True)), dict(zip(paths, sizes, strict=True)), dict(zip(paths, mtimes, strict=True)), dirs, sqlite)
    except (OSError, ValueError, TypeError, EOFError, KeyError, IndexError, AttributeError):
        return None


_NONE = type(None)
# What each Summary field may hold once loaded: anything else would crash a face later.
_FIELD_TYPES: dict[str, frozenset[type]] = {
    **dict.fromkeys(("id", "path", "kind", "era", "text"), frozenset({str})),
    **dict.fromkeys(("test_id", "endpoint", "model", "provider", "finish_reason", "problem", "status", "host", "finish"), frozenset({str, _NONE})),
    **dict.fromkeys(("chunks", "messages", "size"), frozenset({int})),
    **dict.fromkeys(("tool_calls", "tools", "flags", "anomalies"), frozenset({tuple})),
    "streaming": frozenset({bool}),
    "mtime": frozenset({float, int}),
}
_TUPLES = frozenset(("tool_calls", "tools", "flags", "anomalies"))


def _well_typed(listed_at_ns: Any, sizes: Any, mtimes: Any, columns: Any, dirs: Any, sqlite: Any) -> bool:
    """Whether a loaded cache holds the types its readers assume, checked column-wise (a few ms)."""
    if type(listed_at_ns) is not int or not all(type(c) in (list, tuple) for c in (sizes, mtimes, *columns)):
        return False
    if not {type(v) for v in sizes} <= {int} or not {type(v) for v in mtimes} <= {int}:
        return False
    for f, column in zip(fields(Summary), columns, strict=True):
        if not set(map(type, column)) <= _FIELD_TYPES[f.name]:
            return False
        if f.name in _TUPLES and any(type(name) is not str for names in set(column) for name in names):
            return False
    return _dirs_well_typed(dirs) and _sqlite_well_typed(sqlite)


def _dirs_well_typed(dirs: Any) -> bool:
    if type(dirs) is not dict:
        return False
    for rel, listing in dirs.items():
        if type(rel) is not str or type(listing) is not tuple or len(listing) not in (4, 5):
            return False
        mtime_ns, names, subdirs, has_sqlite, *stamps = listing
        if type(mtime_ns) is not int or type(has_sqlite) is not bool or type(names) is not tuple or type(subdirs) is not tuple:
            return False
        if not {type(n) for n in names} <= {str} or not {type(n) for n in subdirs} <= {str}:
            return False
        if stamps and type(stamps[0]) not in (bytes, _NONE):
            return False
    return True


def _sqlite_well_typed(sqlite: Any) -> bool:
    if type(sqlite) is not dict:
        return False
    for db, entry in sqlite.items():
        if type(db) is not str or type(entry) is not tuple or len(entry) != 3:
            return False
        size, mtime_ns, rows = entry
        if type(size) is not int or type(mtime_ns) is not int or type(rows) is not list:
            return False
        for row in rows:
            if type(row) is not tuple or len(row) != 7 or not all(type(v) is str for v in row[:3]):
                return False
            if not all(type(v) in (str, _NONE) for v in row[3:6]) or type(row[6]) is not bool:
                return False
    return True


def save(root: Path, snapshot: Snapshot) -> None:
    """Write atomically (temp file + rename); a failure to write is not an error."""
    paths = list(snapshot.summaries)
    try:
        sizes = [snapshot.sizes[rel] for rel in paths]
        mtimes = [snapshot.mtimes[rel] for rel in paths]
    except KeyError:
        return  # a summary with no stamp: a bug, but no reason to write a wrong cache
    columns = _columns(list(snapshot.summaries.values()))
    dirs = _dirs_with_stamps(snapshot)
    _write_parts(cache_file(root), root, (_schema_key(), str(root), snapshot.listed_at_ns, sizes, mtimes, dirs, snapshot.sqlite, *columns))


_HEAD = 12   # a chunk's length (8 bytes) and CRC (4), little-endian


def _read_parts(path: Path, root: str) -> list[Any] | None:
    """The parts a cache file holds, or None if it is absent, foreign, damaged, of another
    schema or of another root (the first two parts say which; nothing more is read then)."""
    parts: list[Any] = []
    with open(path, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            return None
        while head := f.read(_HEAD):
            if len(head) != _HEAD:
                return None
            size, crc = int.from_bytes(head[:8], "little"), int.from_bytes(head[8:], "little")
            chunk = f.read(size)
            if len(chunk) != size or zlib.crc32(chunk) != crc:
                return None
            parts.append(marshal.loads(chunk))
            del chunk   # before the next one is read: one chunk's bytes at a time
            if len(parts) == 2 and parts != [_schema_key(), root]:
                return None
    return parts if len(parts) >= 2 else None


def _write_parts(path: Path, root: Path, parts: tuple[Any, ...]) -> None:
    """Marshal each part as a chunk of `path`, atomically (temp file + rename); failing to write
    is not an error. The first two parts must be the schema key and the root (see _read_parts)."""
    if _inside(path, root):
        return  # a cache dir pointed inside the recordings would write into them: never
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC)
                for part in parts:   # one chunk's bytes at a time, here too
                    chunk = marshal.dumps(part)
                    f.write(len(chunk).to_bytes(8, "little") + zlib.crc32(chunk).to_bytes(4, "little"))
                    f.write(chunk)
                    del chunk
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):   # ValueError: an object marshal cannot write slipped into a row: better no cache than a crash
        pass


def _inside(path: Path, root: Path) -> bool:
    """Whether `path` is in the tree at `root`, by any route.

    Resolved names are not enough: a bind mount (or another mount of the same
    file system) reaches the tree under a different name. So each existing
    folder on the way up from `path` is compared with the root by device and
    inode; one that cannot be looked at counts as inside (better no cache).
    """
    if path.resolve().is_relative_to(root):
        return True
    try:
        st = os.stat(root)
    except OSError:
        return True
    tree = (st.st_dev, st.st_ino)
    for folder in (path, *path.parents):
        try:
            here = os.stat(folder)
        except FileNotFoundError:
            continue   # not made yet: its existing parent decides
        except OSError:
            return True
        if (here.st_dev, here.st_ino) == tree:
            return True
    return False


# --- verify verdicts ------------------------------------------------------------------
# Hashing every request (all recorder versions) is the slow part of `verify`; a
# file's own verdict depends only on its name and content, so it is kept by size
# and mtime like the summaries. The cross-file findings are always redone.

# rel -> (size, mtime_ns, per-file verdict fields, each version's hash or None (packed), fingerprint or None (packed))
VerdictRow = tuple[int, int, tuple[Any, ...], bytes | None, tuple[bytes | None, bytes] | None]
VerdictRows = dict[str, VerdictRow]

# Hashes and fingerprints are kept as bytes: as hex strings and tuples of ints they were
# two thirds of a verify process's memory at 100,000 recordings (84 + 34 MB), and verify
# itself never reads them (explain does, and unpacks what it reads).
_DIGEST = 32   # a request hash: sha256, 64 hex digits
_NO_HASH = 255


def pack_hashes(hashes: tuple[str | None, ...]) -> bytes | None:
    """Each distinct hash as 32 bytes (versions often agree), then a byte per version: the index
    of its hash, or 255 for None. None when a hash is not 64 lowercase hex digits (then the
    file is simply hashed again next time)."""
    distinct: dict[str, int] = {}
    out = bytearray()
    which = bytearray()
    for h in hashes:
        if h is None:
            which.append(_NO_HASH)
            continue
        if h not in distinct:
            if len(h) != 2 * _DIGEST or h != h.lower():
                return None
            try:
                out += bytes.fromhex(h)
            except ValueError:
                return None
            distinct[h] = len(distinct)
        which.append(distinct[h])
    return bytes(out + which)


def unpack_hashes(packed: bytes, count: int) -> tuple[str | None, ...] | None:
    if not packed_shapes_ok(packed, None, count):
        return None
    digests = [packed[i:i + _DIGEST].hex() for i in range(0, len(packed) - count, _DIGEST)]
    try:
        return tuple(None if i == _NO_HASH else digests[i] for i in packed[len(packed) - count:])
    except IndexError:
        return None


def pack_fingerprint(fp: tuple[str | None, tuple[int, ...]]) -> tuple[bytes | None, bytes] | None:
    """(content digest, sketch) as (16 bytes or None, 4 bytes per CRC32); None if not of that shape."""
    digest, sketch = fp
    try:
        packed = bytes.fromhex(digest) if digest is not None else None
        return packed, struct.pack(f"<{len(sketch)}I", *sketch)
    except (ValueError, TypeError, struct.error):
        return None


def packed_shapes_ok(hashes: Any, fp: Any, count: int) -> bool:
    """Whether a row's packed hashes and fingerprint have the shapes written (checked without unpacking)."""
    return ((hashes is None or (type(hashes) is bytes and len(hashes) >= count and (len(hashes) - count) % _DIGEST == 0))
            and (fp is None or (type(fp) is tuple and len(fp) == 2 and (fp[0] is None or type(fp[0]) is bytes)
                                and type(fp[1]) is bytes and len(fp[1]) % 4 == 0)))


def unpack_fingerprint(packed: Any) -> tuple[str | None, tuple[int, ...]] | None:
    if not packed_shapes_ok(None, packed, 0):
        return None
    digest, sketch = packed
    return (digest.hex() if digest is not None else None), struct.unpack(f"<{len(sketch) // 4}I", sketch)


def verdicts_file(root: Path) -> Path:
    index_file = cache_file(root)
    return index_file.with_name(index_file.name.replace("index-", "verify-", 1))


def load_verdicts(root: Path) -> VerdictRows:
    try:
        parts = _read_parts(verdicts_file(root), str(root))
        if parts is None or len(parts) != 3 or not isinstance(parts[2], dict):
            return {}
        return parts[2]
    except (OSError, ValueError, TypeError, EOFError):
        return {}


def save_verdicts(root: Path, rows: VerdictRows) -> None:
    _write_parts(verdicts_file(root), root, (_schema_key(), str(root), rows))


def _dirs_with_stamps(snapshot: Snapshot) -> dict[str, tuple[Any, ...]]:
    """Each listing plus the (size, mtime_ns) of the row cached for each of its names.

    Taken from the very rows saved, so a warm start that finds a folder's files
    with exactly these stamps can take all their rows at once. A name with no
    usable row (not a file, left out, unreadable) gets NO_STAMP, which never matches.
    """
    summaries, sizes, mtimes = snapshot.summaries, snapshot.sizes, snapshot.mtimes
    out = {}
    for rel_d, (mtime_ns, names, subdirs, has_sqlite, *_old) in snapshot.dirs.items():
        prefix = rel_d.replace(os.sep, "/") + "/" if rel_d else ""
        stamps = []
        for name in names:
            rel = prefix + name
            s = summaries.get(rel)
            stamps.append((sizes[rel], mtimes[rel]) if s is not None and not is_io_problem(s.problem) else NO_STAMP)
        out[rel_d] = (mtime_ns, names, subdirs, has_sqlite, pack_stamps(stamps))
    return out


_INDEX = {f.name: i for i, f in enumerate(fields(Summary))}
# Values that repeat across thousands of rows (kinds, models, endpoints, tool names, the
# search text of a request recorded once per provider): made one object per value,
# marshal writes each once and refers back to it, and the loaded index shares one
# string (or tuple) per value.
_SHARED = tuple(_INDEX[n] for n in ("test_id", "kind", "endpoint", "model", "provider", "finish_reason", "era", "status", "tool_calls", "tools", "flags", "anomalies", "text"))


def _columns(summaries: list[Summary]) -> list[Any]:
    # Field by field: zip(*rows) would hold a tuple per summary, all at once, beside the columns.
    columns: list[Any] = [list(map(operator.attrgetter(f.name), summaries)) for f in fields(Summary)]
    for i in _SHARED:
        seen: dict[Any, Any] = {}
        try:
            columns[i] = [seen.setdefault(v, v) for v in columns[i]]
        except TypeError:  # an unhashable value where none belongs: written as it is
            pass
    return columns
