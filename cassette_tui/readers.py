"""Summarizing many recording files at once: in this process, or in forked readers.

A cold scan of thousands of files is CPU-bound (parsing and reassembling), so it
forks readers when there are enough files and forking is safe (no other thread
running). Readers claim small batches from a shared counter, summarize them and
marshal the rows back through a temporary file each; the parent reads its share
meanwhile. Readers ignore SIGINT: Ctrl-C is the parent's to handle.
"""

from __future__ import annotations

import marshal
import os
import signal
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from .jsonio import gc_paused
from .model import Summary, summary_row
from .recording import Recording

_UNREAPED: list[int] = []   # forked readers done with their work, their exit not yet waited for

PARALLEL_MIN_FILES = 128   # below this, forking costs more than it saves


def summarize_files(
    root: str,
    items: list[tuple[str, str, int]],
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[tuple[str, int, int, Summary]]:
    """(rel, era, size) triples -> (rel, size, mtime_ns, Summary), in forked processes when it pays and is safe.

    Size and mtime are those of the file as opened (0 when it could not be).
    `meanwhile` is other work of this process's: run once the forks are busy, so
    they take on more of the files while it runs.
    """
    if workers is None:
        workers = (os.cpu_count() or 1) if len(items) >= PARALLEL_MIN_FILES and _fork_is_safe() else 1
    if workers > 1 and len(items) > 1:
        return _summarize_forked(root, items, workers, progress, meanwhile)
    if meanwhile is not None:
        meanwhile()
    return _summarize_serial(root, items, progress)


def _summarize_one(root: str, rel: str, era: str) -> tuple[str, int, int, Summary]:
    rec = Recording.load(os.path.join(root, rel))
    return rel, rec.size, rec.mtime_ns, rec.summary(rel, era)


def _summarize_serial(root: str, items: list[tuple[str, str, int]], progress: Callable[[int, int], None] | None = None) -> list[tuple[str, int, int, Summary]]:
    out = []
    total = len(items)
    with gc_paused():
        for done, (rel, era, _size) in enumerate(items, 1):
            out.append(_summarize_one(root, rel, era))
            if progress and done % 100 == 0:
                progress(done, total)
    if progress:
        progress(total, total)
    return out


def _fork_is_safe() -> bool:
    # Forking while other threads run can leave their locks held in the child.
    return hasattr(os, "fork") and threading.active_count() == 1


def reap_children() -> None:
    """Wait for the forked readers' exits (so no zombie is left behind)."""
    while _UNREAPED:
        pid = _UNREAPED.pop()
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


BATCH_FILES = 16   # files claimed at a time, at most: few claims, and the batches shrink towards the end


def _batches(items: list[Any], workers: int) -> list[list[Any]]:
    """Batches for the token pipe: at most 255 (one byte each), shrinking to single files
    at the end so that every process runs out of work at about the same time."""
    n = len(items)
    bulk = max(BATCH_FILES, -(-n // 150))
    out = []
    i = 0
    while i < n:
        size = max(1, min(bulk, (n - i) // (4 * workers)))
        out.append(items[i:i + size])
        i += size
    if len(out) > 255:
        size = -(-n // 255)
        out = [items[j:j + size] for j in range(0, n, size)]
    return out


def _summarize_forked(
    root: str,
    items: list[tuple[str, str, int]],
    workers: int,
    progress: Callable[[int, int], None] | None,
    meanwhile: Callable[[], None] | None = None,
) -> list[tuple[str, int, int, Summary]]:
    """Share the files among this process and workers-1 forks, batch by batch.

    The batches (largest files first) are one-byte tokens in a pipe; each process
    takes the next token when it is free, so the work balances itself even when
    a core is slower or busy elsewhere. Each child marshals its summaries into an
    unlinked temporary file, with the batches it did. A child that fails has its
    batches redone here.
    """
    ordered = sorted(items, key=lambda it: it[2], reverse=True)   # new files (size unknown, 0) keep the walk's order
    batches = _batches(ordered, workers)
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, bytes(range(len(batches))))
    finally:
        os.close(write_end)   # once the tokens are gone, a read returns b"": the work is done
    children: list[tuple[int, Any, int]] = []
    try:
        for _ in range(workers - 1):
            out = tempfile.TemporaryFile()
            done_read, done_write = os.pipe()
            # Ctrl-C is the parent's to handle (exit 130, quietly): a reader ignores it, and it is held
            # back across the fork, where it would interrupt the child's after-fork hooks with a traceback.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                pid = os.fork()
                if pid == 0:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            if pid == 0:  # the child: summarize, write, leave without running any cleanup
                code = 1
                try:
                    _claim_batches(root, read_end, batches, sink=out)
                    out.flush()
                    os.write(done_write, b"x")
                    code = 0
                finally:
                    os._exit(code)
            os.close(done_write)
            children.append((pid, out, done_read))
        if meanwhile is not None:
            meanwhile()
        mine, results = _claim_batches(root, read_end, batches, progress, len(ordered))
    finally:
        os.close(read_end)
    done = set(mine)
    for pid, out, done_read in children:
        # Its word (or, if it died, the end of the pipe) says its file is complete. Its exit,
        # which takes a while to tear down, is waited for later: see reap_children().
        os.read(done_read, 1)
        os.close(done_read)
        _UNREAPED.append(pid)
        try:
            # Whatever batches it wrote whole count, even if it died later; the rest are redone below.
            out.seek(0)
            # Batch by batch, length-prefixed (marshal.load on a file reads in tiny pieces), so
            # only one batch's bytes are held beside the summaries, not a child's whole share.
            while len(head := out.read(4)) == 4:
                size = int.from_bytes(head, "little")
                blob = out.read(size)
                if len(blob) != size:
                    break   # cut short: the child died while writing it
                i, rows = marshal.loads(blob)
                del blob
                if i not in done:
                    results.extend((rel, size, mtime_ns, Summary(*row)) for rel, size, mtime_ns, row in rows)
                    done.add(i)
        except (OSError, ValueError, TypeError, EOFError):
            pass  # the end of what it wrote whole
        finally:
            out.close()
    for i, batch in enumerate(batches):
        if i not in done:
            results.extend(_summarize_serial(root, batch))
    return results


def _claim_batches(
    root: str,
    tokens: int,
    batches: list[list[tuple[str, str, int]]],
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
    sink: Any = None,
) -> tuple[list[int], list[tuple[str, int, int, Summary]]]:
    """Summarize batch after batch, as long as the pipe hands out tokens.

    With a `sink` (a child's file), each batch is marshalled to it as soon as it is
    done, so nothing is left to write when the tokens run out.
    """
    done: list[int] = []
    out: list[tuple[str, int, int, Summary]] = []
    with gc_paused():
        while token := os.read(tokens, 1):
            i = token[0]
            batch = [_summarize_one(root, rel, era) for rel, era, _size in batches[i]]
            if sink is not None:
                blob = marshal.dumps((i, [(rel, size, mtime_ns, summary_row(s)) for rel, size, mtime_ns, s in batch]))
                sink.write(len(blob).to_bytes(4, "little") + blob)
            else:
                out.extend(batch)
            done.append(i)
            if progress:
                # Batches go out in order: this one's position tells how far everyone has got.
                progress(min(total, (i + 1) * len(batches[0])), total)
    if progress:
        progress(total, total)
    return done, out
