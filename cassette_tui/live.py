"""Live reload as a service: an index kept up to date from file-system events.

`LiveIndex` wraps a scanned Index with the lock that every reader of it shares:
changed files are read outside the lock (probe), and each batch of changes is
applied under it, so a reader on another thread sees one state or the next. The
faces (the TUI, a script) receive `Batch`es: what changed and the summaries after.
`watch_batches` turns watchfiles' events into those batches, reconciling first
(files written before the watcher started) and surviving what watchfiles does not.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from .index import Change, Index, IndexSnapshot
from .model import Summary

WATCH_DEBOUNCE_MS = 250   # file events are batched this long: a re-record of thousands is one update
WATCH_QUIET_MS = 1_000    # the watcher reports an empty batch after this long without events
WATCH_RESTART_DELAY = 0.5  # seconds before a watcher that gave up on a file name is started again


@dataclass(frozen=True)
class Batch:
    """One applied set of changes, and every summary as they left the index."""

    changes: list[Change]
    summaries: list[Summary]


class LiveIndex:
    """An Index and its lock: changes applied batch by batch, snapshots for other threads."""

    def __init__(self, index: Index, lock: threading.Lock | None = None) -> None:
        self.index = index
        self.lock = lock or threading.Lock()
        self.reading = False   # a batch is being read: more changes are on their way

    def refresh(self, paths: list[str]) -> Batch | None:
        """Read the changed paths (outside the lock), then apply what changed (under it)."""
        self.reading = True
        try:
            return self._commit(self.index.probe_tree(paths))
        finally:
            self.reading = False

    def reconcile(self) -> Batch | None:
        """Whatever changed with no event to say so (before the watcher started): a listing finds it."""
        return self._commit(self.index.reconcile())

    def _commit(self, changes: list[Change]) -> Batch | None:
        if not changes:
            return None
        with self.lock:
            self.index.apply(changes)
            return Batch(changes, list(self.index.summaries.values()))

    def snapshot(self) -> IndexSnapshot:
        with self.lock:
            return self.index.snapshot()

    def save_cache(self) -> None:
        """Persist the summaries (and any statuses set on them) for the next start."""
        with self.lock:
            self.index.save_cache()


async def watch_batches(live: LiveIndex, root: Path) -> AsyncIterator[Batch]:
    """Batches of changes under `root` as files are written, until cancelled.

    The first batch reconciles: files written between the scan's listing and the
    watcher's start have no event. watchfiles stops for good on any event on a name
    that is not UTF-8; a new watcher is started then (its first batch reconciles
    what happened meanwhile). Other watcher failures are raised to the caller.
    """
    from watchfiles import awatch

    while True:
        reconciled = False
        try:
            # yield_on_timeout: the first (possibly empty) batch comes as soon as the watcher is up.
            async for events in awatch(root, debounce=WATCH_DEBOUNCE_MS, step=50, recursive=True, ignore_permission_denied=True,
                                       rust_timeout=WATCH_QUIET_MS, yield_on_timeout=True):
                if not reconciled:
                    reconciled = True
                    batch = await asyncio.to_thread(live.reconcile)
                    if batch is not None:
                        yield batch
                # Every path, not only *.json: a folder made or moved in brings no event for
                # the files already inside it, and one moved out none for those it takes along.
                paths = sorted({path for _change, path in events})
                if paths:
                    batch = await asyncio.to_thread(live.refresh, paths)
                    if batch is not None:
                        yield batch
            return
        except Exception as exc:
            if not undecodable_path(exc):
                raise
            await asyncio.sleep(WATCH_RESTART_DELAY)


def undecodable_path(exc: BaseException) -> bool:
    """Whether a watcher error (possibly inside anyio's exception group) is watchfiles' 'Unable to decode path'."""
    if isinstance(exc, BaseExceptionGroup):
        return any(undecodable_path(e) for e in exc.exceptions)
    return "decode path" in str(exc)
