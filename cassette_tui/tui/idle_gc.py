"""Full garbage collections when input pauses, not in the middle of a keystroke.

Textual makes cyclic garbage as it draws (a Strip's caches can hold the Strip
itself), so the full collections Python starts on its own come every few
keystrokes and traverse the whole heap: 60-170 ms on the corpus, 200-300 ms
with 100,000 recordings, a visible stall while typing a filter. So:

- The young generations stay automatic (they take a few ms).
- What lives on (the index, the app's widgets) is frozen (`gc.freeze`) once the
  index is shown and after each full collection: the collections that follow
  traverse only what was made since.
- A full collection of the unfrozen runs once input has paused, or, if it never
  pauses, after a bounded backlog. A deep one (everything thawed, collected,
  frozen again: it frees cycles that died after being frozen, such as a closed
  screen's widgets) waits for a longer pause and comes at most once a minute.
- Either kind takes at most a twentieth of the time (Python's own rule against
  collecting a growing heap over and over is not visible from Python; a busy
  live reload must not collect four times a second).

The thresholds and the frozen set are process-wide, so both are put back when the app stops.
"""

from __future__ import annotations

import gc
import time

QUIET_S = 0.3      # input paused this long: a collection of the unfrozen now is not felt
DEEP_QUIET_S = 2.0  # ...and this long for a deep one, which traverses everything
DEEP_EVERY_S = 60.0
CHECK_S = 0.25     # how often the app looks
BACKLOG = 20       # ...times Python's own trigger: collect even mid-typing past this
SHARE = 20         # at most one full collection per this many of its own durations


class IdleCollector:
    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._last_input = time.monotonic()
        self._next_allowed = 0.0
        self._last_deep = time.monotonic()
        self.collections = 0
        self.deep_collections = 0

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            young, middle, _full = self._saved
            gc.set_threshold(young, middle, 2**30)   # no automatic full collections

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
            gc.unfreeze()

    def settled(self) -> None:
        """What exists now lives on (the index was just shown): keep full collections off it."""
        if self._saved is not None:
            gc.freeze()

    def touch(self) -> None:
        """Input arrived: the user is at the keyboard."""
        self._last_input = time.monotonic()

    def tick(self) -> None:
        if self._saved is None or not gc.isenabled():
            return   # stopped, or a scan has paused the GC for a while
        now = time.monotonic()
        if now < self._next_allowed:
            return
        trigger = max(1, self._saved[2])
        pending = gc.get_count()[2]   # young collections since the last full one
        if pending < trigger:
            return
        quiet = now - self._last_input
        if quiet >= DEEP_QUIET_S and now - self._last_deep >= DEEP_EVERY_S and gc.get_freeze_count():
            gc.unfreeze()
            self._collect(now)
            self._last_deep = now
            self.deep_collections += 1
        elif quiet >= QUIET_S or pending >= BACKLOG * trigger:
            self._collect(now)

    def _collect(self, started: float) -> None:
        gc.collect()
        gc.freeze()   # the survivors live on: the next collection skips them
        done = time.monotonic()
        self._next_allowed = done + SHARE * (done - started)
        self.collections += 1
