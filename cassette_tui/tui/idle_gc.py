"""Full garbage collections when input pauses, not in the middle of a keystroke.

Textual makes cyclic garbage as it draws (a Strip's caches can hold the Strip
itself), so the full collections Python starts on its own come every few
keystrokes and traverse the whole heap: 60-170 ms on the corpus, a visible stall
while typing a filter. The young generations stay automatic (they take a few ms);
the full one is run by the app once input has paused, or, if it never pauses,
after a bounded backlog. Either way, full collections take at most a twentieth
of the time (Python's own rule against collecting a growing heap over and over is
not visible from Python; a busy live reload must not collect four times a second).
The thresholds are process-wide, so they are put back when the app stops.
"""

from __future__ import annotations

import gc
import time

QUIET_S = 0.3      # input paused this long: a full collection now is not felt
CHECK_S = 0.25     # how often the app looks
BACKLOG = 20       # ...times Python's own trigger: collect even mid-typing past this
SHARE = 20         # at most one full collection per this many of its own durations


class IdleCollector:
    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._last_input = time.monotonic()
        self._next_allowed = 0.0
        self.collections = 0

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            young, middle, _full = self._saved
            gc.set_threshold(young, middle, 2**30)   # no automatic full collections

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def touch(self) -> None:
        """Input arrived: the user is at the keyboard."""
        self._last_input = time.monotonic()

    def tick(self) -> None:
        if self._saved is None or not gc.isenabled():
            return   # stopped, or a scan has paused the GC for a while
        trigger = max(1, self._saved[2])
        pending = gc.get_count()[2]   # young collections since the last full one
        if pending < trigger:
            return
        now = time.monotonic()
        if now < self._next_allowed:
            return
        if now - self._last_input >= QUIET_S or pending >= BACKLOG * trigger:
            gc.collect()
            done = time.monotonic()
            self._next_allowed = done + SHARE * (done - now)
            self.collections += 1
