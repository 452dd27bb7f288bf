"""Time the TUI where a user waits: first paint, a filter keystroke, the largest recording.

    python benchmarks/bench_tui.py [DIR] [--runs N] [--rows N]

DIR defaults to ../shared/corpus. The app runs headless (Textual's test driver)
with a warm cache. Figures are medians over --runs. Targets (issue 3): first
paint < 1.5 s, a keystroke < 50 ms, the largest recording < 300 ms.
`--rows N` also times keystrokes on N synthetic rows (the list must stay fast at any size).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import bench_args  # beside this script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cassette_tui.index import Index  # noqa: E402
from cassette_tui.tui.app import CassetteApp  # noqa: E402
from cassette_tui.tui.detail import DetailPane  # noqa: E402
from cassette_tui.tui.recording_list import RecordingList  # noqa: E402
from cassette_tui.tui.testing import settle, wait_until  # noqa: E402

SIZE = (200, 50)
QUERY = "model:gpt-4o has:tools"


async def wait_for(pilot, condition, timeout: float = 30.0) -> None:
    await wait_until(pilot, condition, timeout, step=0.001)


async def first_paint(root: Path, timeout: float = 30.0) -> float:
    """From start to the rows on screen, as `cassette-tui DIR` does it: the index is scanned
    before the app starts (cli.scan_with_progress, with forked readers when many files are
    cold: forking is only safe before the app's threads run), then the app shows it."""
    from cassette_tui.cli import scan_with_progress

    t0 = time.perf_counter()
    app = CassetteApp(root, watch=False, index=scan_with_progress(Index(root)))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.query_one(RecordingList).rows, timeout)
        await pilot.pause()  # one refresh: the rows are on screen
        elapsed = time.perf_counter() - t0
        await settle(pilot)   # untimed: the app leaves with nothing started, as a user's would after a while
        return elapsed


async def keystrokes(root: Path, extra_rows: int = 0) -> list[float]:
    """Key to frame: from posting a key to the end of the first screen render after the app
    handled the new filter value (refiltered the list, or kept it for an unfinished query).

    The test driver's own waiting after a key (it idles the loop) is not counted.
    """
    app = CassetteApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.query_one(RecordingList).rows)
        if extra_rows:
            base = app.all_summaries
            app.all_summaries = [replace(base[i % len(base)], path=f"synthetic/{i:07d}.json") for i in range(extra_rows)]
            app.apply_filter()
        await pilot.press("slash")
        await pilot.pause(0.1)
        marks: dict[str, float] = {}

        def handled(_value: str) -> None:
            # Registered after the app's own watcher, so called once the app has
            # refiltered the list (or kept it, for a query still being typed).
            marks["filtered"] = time.perf_counter()

        app.watch(app.query_one("#filter"), "value", handled, init=False)

        def timed(render):
            def wrapper(*a, **k):
                result = render(*a, **k)
                if "filtered" in marks and "frame" not in marks:
                    marks["frame"] = time.perf_counter()
                return result

            return wrapper

        app._display = timed(app._display)  # every frame goes out through here
        times = []
        for key in [("space" if ch == " " else ch) for ch in QUERY] + ["backspace"] * len(QUERY):
            marks.clear()
            t = time.perf_counter()
            await pilot.press(key)
            await wait_for(pilot, lambda: "frame" in marks, timeout=5)
            times.append(marks["frame"] - t)
            await pilot.pause(0.02)
        await settle(pilot)   # untimed
        return times


async def largest(root: Path, summary_path: str) -> float:
    app = CassetteApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.query_one(RecordingList).rows)
        lst = app.query_one(RecordingList)
        await pilot.pause()
        detail = app.query_one(DetailPane)
        t = time.perf_counter()
        lst.cursor = lst.index_of(summary_path)
        await wait_for(pilot, lambda: detail.content is not None and detail.content.path == summary_path)
        await pilot.pause()  # drawn
        elapsed = time.perf_counter() - t
        await settle(pilot)   # untimed
        return elapsed


def main() -> int:
    ap = bench_args.parser(__doc__, runs=5)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    root = bench_args.root_of(args)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CASSETTE_TUI_CACHE_DIR"] = cache
        os.environ["CASSETTE_TUI_CONFIG_DIR"] = cache + "-config"   # the defaults, not the user's settings
        idx = Index(root).scan()  # warm the cache
        big = max(idx, key=lambda s: s.size)
        paints = [asyncio.run(first_paint(root)) for _ in range(args.runs)]
        keys = [t for _ in range(max(1, args.runs // 2)) for t in asyncio.run(keystrokes(root))]
        many = asyncio.run(keystrokes(root, args.rows)) if args.rows else []
        shows = [asyncio.run(largest(root, big.path)) for _ in range(args.runs)]

    def ms(x: float) -> str:
        return f"{x * 1000:7.1f} ms"

    print(f"dir: {root} ({len(idx)} recordings), warm cache, {args.runs} runs, medians")
    print(f"first paint               : {ms(statistics.median(paints))}  (target < 1500 ms)")
    print(f"keystroke in the filter   : {ms(statistics.median(keys))}  max {ms(max(keys))}  (target < 50 ms)")
    if many:
        print(f"keystroke, {args.rows:,} rows   : {ms(statistics.median(many))}  max {ms(max(many))}")
    print(f"largest recording shown   : {ms(statistics.median(shows))}  ({big.path}, {big.size / 1024:.0f} KiB)  (target < 300 ms)")
    ok = statistics.median(paints) < 1.5 and statistics.median(keys) < 0.05 and statistics.median(shows) < 0.3
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
