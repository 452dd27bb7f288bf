"""Helpers for driving the real app headless: tests, the screenshots script, benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def settle(pilot: Pilot, *, timers: bool = True) -> None:
    """Let workers finish and messages drain, without sleeping on a guess.

    The file watcher runs for the app's lifetime, so every other worker is awaited
    (and never an empty list: `wait_for_complete([])` waits for all of them).
    `timers=False` does not wait for work still on a timer (the verify pass that
    starts after the first paint, a detail or query error shown once typing pauses).
    """
    app = pilot.app
    pending = getattr(app, "pending_work", lambda: False) if timers else (lambda: False)
    for _ in range(3):
        await pilot.pause()
        while pending():  # timers that will start workers (the verify pass after first paint)
            await pilot.pause(0.02)
        busy = [w for w in app.workers if w.group != "watch"]
        if busy:
            await app.workers.wait_for_complete(busy)
    await pilot.pause()


async def wait_until(pilot: Pilot, condition: Callable[[], object], timeout: float = 10.0, step: float = 0.05) -> None:
    """Poll `condition` while the app runs (for things no worker announces, like file events)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for the app")
        await pilot.pause(step)
