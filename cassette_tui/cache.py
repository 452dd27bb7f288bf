"""The persistent summary cache: one file per indexed root, in the user cache directory.

Never inside the scanned tree. A corrupt, foreign or outdated cache file is
ignored and rewritten; losing it only costs one cold scan.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

import orjson

from .model import Summary

# Bump when Summary's fields or the reading logic change what a summary holds.
SCHEMA = 5


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
    return cache_dir() / f"index-{digest}.json"


def _schema_key() -> str:
    from . import __version__

    return f"{SCHEMA}:{__version__}"


def load(root: Path) -> dict[str, tuple[int, int, Summary]]:
    """rel path -> (size, mtime_ns, summary); empty when there is no usable cache."""
    try:
        data = orjson.loads(cache_file(root).read_bytes())
        if data.get("schema") != _schema_key() or data.get("root") != str(root):
            return {}
        width = len(fields(Summary))
        entries = {}
        for rel, row in data["entries"].items():
            if len(row[2]) != width:  # written by another layout of Summary: would load shifted or half empty
                return {}
            entries[rel] = (row[0], row[1], Summary.from_cache(row[2]))
        return entries
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return {}


def save(root: Path, entries: dict[str, tuple[int, int, Summary]]) -> None:
    """Write atomically (temp file + rename); a failure to write is not an error."""
    path = cache_file(root)
    if path.resolve().is_relative_to(root):
        return  # a cache dir pointed inside the recordings would write into them: never
    payload = {
        "schema": _schema_key(),
        "root": str(root),
        "entries": {rel: [size, mtime_ns, s.to_cache()] for rel, (size, mtime_ns, s) in entries.items()},
    }
    try:
        data = orjson.dumps(payload)
    except TypeError:
        # A name that is not UTF-8, or recorded text with a lone surrogate: orjson
        # refuses the row. Leave such rows out (they are re-read next time), keep the rest.
        payload["entries"] = {rel: row for rel, row in payload["entries"].items() if _encodes([rel, row])}
        if not _encodes(payload):
            return
        data = orjson.dumps(payload)
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


def _encodes(value: object) -> bool:
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True
