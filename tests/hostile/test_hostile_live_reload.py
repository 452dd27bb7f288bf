"""Live reload under load: another process writes 2,000 recordings in a few seconds (rewriting and
deleting some) while the app runs; keys stay answered, and the list ends exactly as the disk is."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from textual import events

from cassette_tui.index import Index
from cassette_tui.tui.app import CassetteApp
from cassette_tui.tui.recording_list import RecordingList

from .generate import chat, dump

WRITER = Path(__file__).with_name("burst_writer.py")
COUNT = 2_000


def on_disk(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.json"))


async def until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_burst_of_2000_files_while_the_app_runs(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    for i in range(20):
        (root / f"first{i:02}.json").write_bytes(dump(chat(model=f"first-{i}")))
    app = CassetteApp(root)
    app.animation_level = "none"
    async with app.run_test(size=(120, 30)) as pilot:
        assert await until(lambda: app.watching and len(app.all_summaries) == 20, 20)
        lst = app.query_one(RecordingList)
        lst.focus()
        writer = subprocess.Popen([sys.executable, str(WRITER), str(root), str(COUNT)], stdout=subprocess.PIPE, text=True)
        latencies: list[float] = []
        try:
            # During the burst: a key every 50 ms, each timed until the cursor has moved.
            while writer.poll() is None:
                before = lst.cursor
                key = "k" if before >= len(lst.rows) - 1 else "j"
                t0 = time.monotonic()
                event = events.Key(key, key)
                event.set_sender(app)
                app._driver.send_message(event)   # as a terminal would send it; pilot.press also waits for idle
                assert await until(lambda before=before: lst.cursor != before, 10), f"key {key!r} not answered within 10s"
                latencies.append(time.monotonic() - t0)
                await asyncio.sleep(0.05)
            seconds = float(writer.communicate(timeout=60)[0])
        finally:
            if writer.poll() is None:
                writer.kill()
        assert writer.returncode == 0
        # Afterwards: exactly the files on disk, each with what it holds now (no lost rewrite).
        disk = on_disk(root)
        converged = await until(lambda: sorted(s.path for s in app.all_summaries) == disk, 30)
        listed = sorted(s.path for s in app.all_summaries)
        assert converged, f"missing {sorted(set(disk) - set(listed))[:5]}, extra {sorted(set(listed) - set(disk))[:5]}"
        assert sorted(r.summary.path for r in lst.rows if r.summary is not None) == disk
        truth = Index(root, use_cache=False).scan().summaries
        stale = [p for p, s in truth.items() if (app.index.summaries[p].model, app.index.summaries[p].size) != (s.model, s.size)]
        assert not stale, stale[:5]
        assert len(disk) > COUNT * 0.85   # ~10% were deleted
        # The UI answered every key, promptly, while 2,000 files arrived.
        print(f"\nwriter {seconds:.1f}s, {len(latencies)} keys, slowest {max(latencies):.3f}s, median {sorted(latencies)[len(latencies) // 2]:.3f}s")
        assert len(latencies) >= 10, (len(latencies), seconds)
        assert max(latencies) < 2.0, (max(latencies), sorted(latencies)[-5:])
        before = lst.cursor
        await pilot.press("g")
        assert lst.cursor == 0 or before == 0


async def test_live_reload_survives_a_file_name_that_is_not_utf8(small_hostile) -> None:
    """watchfiles stops for good on any event on such a name, a mere read included: the app starts it again."""
    root, _ = small_hostile
    app = CassetteApp(root)
    app.animation_level = "none"
    async with app.run_test(size=(120, 30)) as pilot:
        assert await until(lambda: app.watching and app.all_summaries, 20)
        lst = app.query_one(RecordingList)
        bad = next(s.path for s in app.all_summaries if s.path.startswith("bad-name-"))
        for _ in range(3):   # each read of it (the detail pane) kills the watcher once
            lst.cursor = lst.index_of(bad)
            await asyncio.sleep(0.3)
            lst.cursor = lst.index_of("good.json")
            await asyncio.sleep(0.3)
        new = root / ("f" * 64 + ".json")
        new.write_bytes(dump(chat(model="after-the-bad-name")))
        assert await until(lambda: any(s.model == "after-the-bad-name" for s in app.all_summaries), 20)
        new.unlink()
        assert await until(lambda: not any(s.model == "after-the-bad-name" for s in app.all_summaries), 20)
        assert app.watching
        await asyncio.sleep(1.3)   # let the verify pass that follows live changes run before quitting
        await pilot.pause()
