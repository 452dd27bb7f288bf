"""The 2025-08 layout's `index.sqlite`: its rows, read without touching the file's folder.

Each database is read into memory (bounded) and queried there, so SQLite never
creates a journal or lock file beside it; a row's response file is checked to lie
inside the tree. A row whose file is missing becomes a Summary that says so.
"""

from __future__ import annotations

import dataclasses
import operator
import os
import posixpath
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Summary


@dataclass(slots=True)
class SqliteRow:
    db: str              # the index.sqlite file, relative to the root
    request_hash: str
    response_file: str   # relative to the root
    endpoint: str | None
    model: str | None
    timestamp: str | None
    is_streaming: bool


RESPONSE_FILE = [f.name for f in dataclasses.fields(SqliteRow)].index("response_file")


sqlite_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(SqliteRow)))  # a row as a tuple, shallow


MAX_SQLITE_BYTES = 256 * 1024 * 1024


def _read_regular_file(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file, or None for anything else.

    Non-blocking and checked on the open descriptor: sqlite's own open of a FIFO
    named index.sqlite waits for a writer for ever (every face hung).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _open_in_memory(data: bytes) -> sqlite3.Connection:
    """A database from bytes already read: SQLite never opens the file (nor a -wal or -journal beside it)."""
    if len(data) >= 20 and data[18:20] == b"\x02\x02":   # WAL mode: an in-memory copy must read as rollback-journal
        data = data[:18] + b"\x01\x01" + data[20:]
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(data)   # (SQLite >= 3.23 built with it: every Python 3.11 build we know)
    except BaseException:
        con.close()
        raise
    return con


def read_sqlite_index(root: Path, db_rel: str) -> list[SqliteRow]:
    """Rows of a 2025-08 `index.sqlite`, opened read-only so nothing is ever written."""
    db_path = root / db_rel
    base = posixpath.dirname(db_rel)
    responses = f"{base}/responses/" if base else "responses/"
    data = _read_regular_file(db_path, MAX_SQLITE_BYTES)
    if data is None:
        return []
    try:
        con = _open_in_memory(data)
        try:
            rows = con.execute("SELECT request_hash, response_file, endpoint, model, timestamp, is_streaming FROM recordings").fetchall()
        finally:
            con.close()
    except (sqlite3.Error, OverflowError, MemoryError):
        return []
    out = []
    for h, fname, ep, model, ts, streaming in rows:
        # posixpath, not Path: a Path per row cost more than the query (135 rows per 2025-08 tree).
        rel = posixpath.normpath(responses + str(fname))
        if not _inside_root(rel):
            continue  # `../../x.json`: a row must never name a file outside the tree (the faces would open it)
        out.append(SqliteRow(db_rel, str(h), rel, _text_or_none(ep), _text_or_none(model), _text_or_none(ts), bool(streaming)))
    return out


def _text_or_none(value: Any) -> str | None:
    """A column of a stranger's index.sqlite as text: it may hold any SQLite type (a number, a blob)."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _inside_root(rel: str) -> bool:
    """A normalized relative path from recorded data that stays under the root."""
    return not (rel == ".." or rel.startswith("../") or rel.startswith("/") or "\0" in rel)


def missing_file_summary(row: SqliteRow) -> Summary:
    return Summary(
        id=Path(row.response_file).stem,
        path=row.response_file,
        kind="invalid",
        endpoint=row.endpoint,
        model=row.model or None,
        streaming=row.is_streaming,
        problem=f"listed in index.sqlite ({row.db}) but the file is missing",
    )
