"""Helpers for driving the real app headless: tests, the screenshots script, benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

SETTLE_LIMIT = 120.0   # seconds: past this a test fails saying what was still busy, instead of hanging


async def settle(pilot: Pilot, *, timers: bool = True) -> None:
    """Let workers finish and messages drain, without sleeping on a guess.

    The file watcher runs for the app's lifetime, so every other worker is awaited
    (and never an empty list: `wait_for_complete([])` waits for all of them).
    `timers=False` does not wait for work still on a timer (the verify pass that
    starts after the first paint, a detail or query error shown once typing pauses).
    """
    import asyncio

    app = pilot.app
    pending = getattr(app, "pending_work", lambda: False) if timers else (lambda: False)
    deadline = time.monotonic() + SETTLE_LIMIT
    for _ in range(3):
        await pilot.pause()
        while pending():  # timers that will start workers (the verify pass after first paint)
            if time.monotonic() > deadline:
                raise TimeoutError("settle: work still on a timer after the limit")
            await pilot.pause(0.02)
        busy = [w for w in app.workers if w.group != "watch"]
        if busy:
            try:
                await asyncio.wait_for(app.workers.wait_for_complete(busy), max(1.0, deadline - time.monotonic()))
            except TimeoutError:
                raise TimeoutError(f"settle: workers still busy after the limit: {[(w.name, w.group, w.state.name) for w in busy]}") from None
    await pilot.pause()


async def wait_until(pilot: Pilot, condition: Callable[[], object], timeout: float = 10.0, step: float = 0.05) -> None:
    """Poll `condition` while the app runs (for things no worker announces, like file events)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for the app")
        await pilot.pause(step)
