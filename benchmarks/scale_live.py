"""Live reload under a burst of writes, in the real app (Textual's test driver), for bench_scale.py.

While another process writes N recordings into a new folder of the tree at a steady
rate (a re-record in full swing), a key moves the list's cursor (`j`/`k`) every
50 ms, and each is timed from when it was sent to the frame that shows it. Every frame in which
the app's rows changed is noted (time, rows); afterwards each written file's
latency is the first such frame that holds it minus the moment it was written.
Nothing is computed on the UI thread while measuring beyond noting a reference.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

from bench_tui import SIZE, wait_for  # beside this script
from textual import events

from cassette_tui.tui.app import CassetteApp
from cassette_tui.tui.recording_list import RecordingList

KEY_EVERY = 0.05


def _writer(folder: Path, payloads: list[bytes], seconds: float, root: Path, log: Path) -> subprocess.Popen:
    """The burst, written by another process as a recorder is (a pytest run): a writer thread in the
    app's process would take the GIL from the app, which no real recorder does. The child prints
    each file's write time into `log` (CLOCK_MONOTONIC: perf_counter, the same clock in both processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(prefix="burst-", suffix=".pickle", delete=False) as blob:   # outside the tree
        pickle.dump(payloads, blob)
    writer = Path(__file__).with_name("burst_writer.py")
    return subprocess.Popen([sys.executable, str(writer), str(folder), blob.name, str(seconds), str(root), str(log)])


async def burst(root: Path, payloads: list[bytes], seconds: float) -> tuple[list[float], list[float], int]:
    """(key latencies, write-to-row latencies, files never shown) for one burst into `root`."""
    folder = root / "burst-recordings"
    shutil.rmtree(folder, ignore_errors=True)
    written: dict[str, float] = {}
    frames: list[tuple[float, list]] = []
    app = CassetteApp(root, watch=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            lst = app.query_one(RecordingList)
            await wait_for(pilot, lambda: lst.rows and app.watching, timeout=600)
            await pilot.pause(1.5)    # the watcher's first (reconciling) batch
            lst.focus()
            await pilot.pause()
            posted: deque[float] = deque()   # when each key not yet handled was sent
            handled: list[float] = []        # keys handled, waiting for their frame
            keys: list[float] = []

            def on_cursor(_value: int) -> None:
                if posted:
                    handled.append(posted.popleft())

            app.watch(lst, "cursor", on_cursor, init=False)
            display = app._display
            seen = [app.all_summaries]
            base = len(seen[0])

            def timed(*a, **k):
                result = display(*a, **k)
                now = time.perf_counter()
                keys.extend(now - t for t in handled)
                handled.clear()
                if app.all_summaries is not seen[0]:
                    seen[0] = app.all_summaries
                    frames.append((now, seen[0]))
                return result

            app._display = timed
            log = Path(tempfile.mkdtemp(prefix="burst-")) / "written"
            writer = _writer(folder, payloads, seconds, root, log)
            n = 0
            # Keys as a terminal sends them: posted at a steady pace whatever the app is doing
            # (the pilot's press() would wait for the app to be idle first).
            while writer.poll() is None:
                key = "j" if n % 2 == 0 else "k"
                n += 1
                event = events.Key(key, key)
                event.set_sender(app)
                posted.append(time.perf_counter())
                app._driver.send_message(event)
                await asyncio.sleep(KEY_EVERY)
            for line in log.read_text().splitlines():
                rel, at = line.rsplit(" ", 1)
                written[rel] = float(at)
            deadline = time.perf_counter() + 30
            while (posted or handled) and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            # Then until every file is a row (or 15 s after the last write).
            deadline = time.perf_counter() + 15
            while time.perf_counter() < deadline and len(seen[0]) < base + len(payloads):
                await pilot.pause(0.05)
    except TimeoutError:
        pass
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    shown = _first_shown(frames, written)
    latencies = [shown[p] - t for p, t in written.items() if p in shown]
    return keys, latencies, len(written) - len(shown)


def _first_shown(frames: list[tuple[float, list]], written: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for when, rows in frames:
        for s in rows:
            if s.path in written and s.path not in out:
                out[s.path] = when
    return out


def run_burst(root: Path, count: int, seconds: float) -> tuple[list[float], list[float], int]:
    """Write `count` copies of the tree's recordings (cycled) in `seconds`, timing keys and rows."""
    sources: list[Path] = []
    for folder, _dirs, names in sorted(os.walk(root)):
        sources += [Path(folder, n) for n in sorted(names) if n.endswith(".json") and os.path.getsize(os.path.join(folder, n)) < 200_000]
        if len(sources) >= 200:
            break
    payloads = [sources[i % len(sources)].read_bytes() for i in range(count)]
    return asyncio.run(burst(root, payloads, seconds))

