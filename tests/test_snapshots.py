"""SVG snapshots of the main screens, on a copy of the demo recordings.

Update after an intended change with `pytest tests/test_snapshots.py --snapshot-update`,
and look at the new SVGs before committing them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cassette_tui.tui.app import CassetteApp
from cassette_tui.tui.recording_list import RecordingList
from cassette_tui.tui.testing import settle

DEMO = Path(__file__).resolve().parents[1] / "cassette_tui" / "demo"
SIZE = (150, 42)
GPT4O = "responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"
TURN2 = "responses/recordings/8ce3e23e7ca45e8adfd23c2910731f376e62379f85d67eacfecc6c4a95fccb82.json"


@pytest.fixture
def app(tmp_path, monkeypatch) -> CassetteApp:
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("*.md"))
    return CassetteApp(root, watch=False, label="demo/")


def select(path: str, *keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        lst = pilot.app.query_one(RecordingList)
        lst.cursor = lst.index_of(path)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_list_filtered(app, snap_compare):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"has:tools -kind:tool", "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_conversation_with_tool_calls(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=select(GPT4O))


def test_stream_view(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=select(GPT4O, "2"))


def test_timeline_turns(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=select(GPT4O, "3"))


def test_diff_of_two_turns(app, snap_compare):
    async def run_before(pilot) -> None:
        await select(GPT4O, "m")(pilot)
        lst = pilot.app.query_one(RecordingList)
        lst.cursor = lst.index_of(TURN2)
        await settle(pilot)
        await pilot.press("m", "d")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_list_at_80x24(app, snap_compare):
    """A narrow terminal: id, model and the test's differing part still tell rows apart; ? and q in the footer."""
    assert snap_compare(app, terminal_size=(80, 24), run_before=select(GPT4O))


def test_grouped_with_a_folded_test_and_search_in_the_detail(app, snap_compare):
    async def run_before(pilot) -> None:
        await select(GPT4O, "t")(pilot)
        lst = pilot.app.query_one(RecordingList)
        lst.cursor = next(i for i, r in enumerate(lst.rows) if r.summary is None and r.depth == 1)
        await pilot.press("enter")          # fold the first test
        await settle(pilot)
        lst.cursor = lst.index_of(GPT4O)
        await settle(pilot)
        for key in ("tab", "slash", *"user_id", "enter", "n"):
            await pilot.press(key)
            await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
