"""Live reload and the verify child as core services: real files, a real watcher, a real child process, no Textual."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from cassette_tui.child import verify_in_child
from cassette_tui.index import Index
from cassette_tui.live import LiveIndex, watch_batches


def a_recording(demo_copy: Path) -> Path:
    return next(p for p in sorted(demo_copy.rglob("*.json")) if json.loads(p.read_text()).get("request"))


async def next_batch(batches, timeout: float = 30):
    return await asyncio.wait_for(batches.__anext__(), timeout)


async def test_a_file_written_while_watching_arrives_as_one_batch(demo_copy: Path) -> None:
    live = LiveIndex(Index(demo_copy).scan())
    before = len(live.index)
    early = a_recording(demo_copy)
    shutil.copy(early, early.with_name("0" * 64 + ".json"))      # before the watcher: found by reconciling
    batches = watch_batches(live, demo_copy)
    try:
        first = await next_batch(batches)
        assert [(c.action, Path(c.path).name) for c in first.changes] == [("added", "0" * 64 + ".json")]
        shutil.copy(early, early.with_name("1" * 64 + ".json"))  # while watching: an event
        second = await next_batch(batches)
        assert [(c.action, Path(c.path).name) for c in second.changes] == [("added", "1" * 64 + ".json")]
        assert len(second.summaries) == before + 2 == len(live.index)
        (early.with_name("0" * 64 + ".json")).unlink()
        third = await next_batch(batches)
        assert [c.action for c in third.changes] == ["removed"] and len(live.snapshot().summaries) == before + 1
    finally:
        await batches.aclose()


async def test_the_verify_child_gives_every_files_verdict(demo_copy: Path) -> None:
    verdicts = await verify_in_child(str(demo_copy))
    assert verdicts is not None
    assert set(verdicts) == set(Index(demo_copy).scan().summaries)
    assert {v.status for v in verdicts.values()} >= {"ok", "stale"}


async def test_a_cancelled_verify_child_is_killed_at_once(demo_copy: Path) -> None:
    task = asyncio.ensure_future(verify_in_child(str(demo_copy)))
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done and task.cancelled()


EXIT_WHILE_VERIFYING = """
import asyncio, sys
from cassette_tui.child import verify_in_child

async def main(spins):
    asyncio.ensure_future(verify_in_child(sys.argv[1]))
    for _ in range(spins):
        await asyncio.sleep(0)
    # returns with the verify task still running: asyncio.run cancels it, as when an app quits

for n in range(40):
    asyncio.run(main(n % 8))
print("done")
"""


def test_quitting_while_the_verify_child_starts_never_hangs(demo_copy: Path) -> None:
    """asyncio's own subprocess support hangs for good when cancelled while it connects the
    child's pipes (CPython gh-103847): an app quitting just as it started verifying never
    exited. Forty quits at different moments of the start must all return."""
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", EXIT_WHILE_VERIFYING, str(demo_copy)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == "done", p.stderr[-2000:]
