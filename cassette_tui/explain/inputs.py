"""What a user hands explain: a log (or its text), a hash, a re-recorded file, or a folder of them.

Shared by the command line (each INPUT argument) and the TUI (the pasted text).

Pure: no Textual, no Rich.
"""

from __future__ import annotations

from pathlib import Path

from ..recording import Recording
from ..walk import TreeWalk
from .logs import parse_log
from .miss import Miss, is_hash, miss_from_hash, miss_from_recording

MAX_LOG_BYTES = 256 * 1024 * 1024    # a log is read whole; past this it is refused, not read


class InputError(Exception):
    """An input explain cannot use: said in one line."""


def misses_from(value: str, test_id: str | None = None, *, text: str | None = None) -> list[Miss]:
    """The misses one input describes: `value` is a path, a hash, or (`text` given) a log's text itself.

    A file that reads as a recording is the live request; any other file is a log.
    A folder gives each recording in it (a batch re-recorded at once).
    """
    if text is not None:
        found = parse_log(text)
        if not found:
            raise InputError(f"no replay-miss message found in {value}")
        return _with_test(found, test_id)
    p = Path(value)
    if p.is_file():
        rec = Recording.load(p)
        if not rec.problem and rec.request:
            return _with_test([miss_from_recording(rec)], test_id)
        try:
            if p.stat().st_size > MAX_LOG_BYTES:
                raise InputError(f"{value}: larger than {MAX_LOG_BYTES // 2**20} MB; give the part of the log around the failures")
            raw = p.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {value}: {exc.strerror or exc}") from None
        return misses_from(value, test_id, text=raw.decode("utf-8", "replace"))
    if p.is_dir():
        recs = [r for r in (Recording.load(p / rel) for rel, _ in TreeWalk(str(p), recordings_only=False).files()) if not r.problem and r.request]
        if not recs:
            raise InputError(f"{value}: no recordings in this folder (give re-recorded files, a log, '-' or a hash)")
        return _with_test([miss_from_recording(r) for r in recs], test_id)
    if is_hash(value):
        return [miss_from_hash(value.strip().lower(), test_id)]
    raise InputError(f"no such file, and not a hash: {value}")


def _with_test(misses: list[Miss], test_id: str | None) -> list[Miss]:
    """`test_id` (the user's word) for the misses whose input did not name their test."""
    for m in misses:
        m.test_id = m.test_id or test_id
    return misses


def live_files_under(root: Path, misses: list[Miss]) -> set[str]:
    """The live files among the inputs that lie inside the tree (relative): never candidates."""
    out = set()
    for m in misses:
        if m.source:
            try:
                out.add(Path(m.source).resolve().relative_to(Path(root).resolve()).as_posix())
            except (ValueError, OSError):
                pass
    return out
