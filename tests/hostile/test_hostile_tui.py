"""The real Textual app on the hostile directory: every row, every tab, no raw escape drawn, still answering keys."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from cassette_tui.tui.app import CassetteApp
from cassette_tui.tui.detail import JSON_LINES_LIMIT, LINE_CLIP, STREAM_LIMIT, TABS, DetailPane
from cassette_tui.tui.lines_view import LinesView
from cassette_tui.tui.recording_list import RecordingList
from cassette_tui.tui.testing import settle as _settle
from cassette_tui.tui.testing import wait_until

from .conftest import expected_problem

SIZE = (160, 50)
SMALL = (110, 24)   # every row x every tab redraws the screen ~300 times: a smaller one draws faster
RAW = ("\x1b", "\x07", "\x08", "\x9b", "\r")


async def settle(app, pilot) -> None:
    """Workers done and messages drained; work still on a timer is not waited for."""
    await _settle(pilot, timers=False)


async def until(pilot, condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await asyncio.sleep(0.005)   # (pilot.pause would also force a full redraw each time)


def drawn(widget) -> str:
    """What the widget draws on screen now: the text of every segment of every visible line."""
    return "".join(seg.text for y in range(widget.size.height) for seg in widget.render_line(y))


def assert_inert(text: str, where: str) -> None:
    for c in RAW:
        assert c not in text, (where, repr(c), text[max(0, text.find(c) - 60): text.find(c) + 20])


async def test_every_row_every_tab(small_hostile) -> None:
    hostile_dir, cases = small_hostile   # the two huge files have their own test below
    app = CassetteApp(hostile_dir, watch=False)
    app.animation_level = "none"   # a tab switch would wait for its underline to glide
    async with app.run_test(size=SMALL) as pilot:
        # Not settle(): that would also wait for the verify pass (a child process on the other core).
        await until(pilot, lambda: not app.loading and app.query_one(RecordingList).rows)
        lst = app.query_one(RecordingList)
        detail = app.query_one(DetailPane)
        listed = {c.name: c for c in cases if c.listed}
        assert sorted(r.summary.path for r in lst.rows) == sorted(listed)
        lst.focus()
        await pilot.press("g")
        for i in range(len(lst.rows)):
            if i:   # keys for the first rows, then the same action directly (a key press waits for idle: slow)
                await pilot.press("j") if i < 4 else lst.action_cursor_down()
            await until(pilot, lambda: detail.content is not None and detail.content.path == lst.current_path)
            s = lst.current
            assert lst.cursor == i and detail.content is not None and detail.content.path == s.path, s.path
            problem = expected_problem(listed[s.path], hostile_dir)
            assert (s.problem is None) if problem is None else problem in s.problem, (s.path, s.problem)
            assert_inert(drawn(lst), f"list at {s.path}")
            for n, tab in enumerate(TABS, 1):
                if i < 4:
                    await pilot.press(str(n))
                else:
                    app.action_tab(tab)
                view = detail.view(tab)
                await until(pilot, lambda view=view: view.size.height > 0)   # shown once laid out (quicker than waiting for idle)
                assert detail.active == tab
                assert_inert(drawn(view), f"{s.path} {tab}")
                if view.line_count < 5_000:
                    assert_inert(view.plain_text(), f"{s.path} {tab} (all lines)")
            if problem:
                assert "not a readable recording" in detail.view("conversation").plain_text()
            app.action_tab("conversation")
        assert_inert(app.export_screenshot(), "screenshot")
        await settle(app, pilot)   # the verify child too: quitting under it leaves it running (reported)


async def test_huge_files_every_tab_bounded(hostile_dir: Path) -> None:
    """The 50 MB string and the 100,000-chunk stream: summarized, not loaded into a widget whole."""
    app = CassetteApp(hostile_dir, watch=False)
    app.animation_level = "none"
    async with app.run_test(size=SMALL) as pilot:
        # Not settle(): that would also wait for the verify pass (a child process on the other core).
        await until(pilot, lambda: not app.loading and app.query_one(RecordingList).rows)
        lst = app.query_one(RecordingList)
        detail = app.query_one(DetailPane)
        for path in ("huge-string.json", "stream-100k.json"):
            t0 = time.monotonic()
            lst.cursor = lst.index_of(path)
            await until(pilot, lambda path=path: detail.content is not None and detail.content.path == path)
            for tab in TABS:
                app.action_tab(tab)
                view = detail.view(tab)
                await until(pilot, lambda view=view: view.size.height > 0)
                assert_inert(drawn(view), f"{path} {tab}")
            assert time.monotonic() - t0 < 20, path
            if path == "huge-string.json":
                # Clipped texts and JSON lines: the widget holds a summary, not 50 MB.
                assert len(detail.view("conversation").plain_text()) < 100_000
                for tab in ("request", "response"):
                    assert max(len(line) for line in getattr(detail.content, tab)) < LINE_CLIP + 200
            else:
                stream = detail.content.stream                        # 20,000 events, then how many more
                assert len(stream) == STREAM_LIMIT + 1 and "80,000 more events" in stream[-1].plain
                assert len(detail.content.response) == JSON_LINES_LIMIT + 1 and "more lines" in detail.content.response[-1]
        before = lst.cursor
        await pilot.press("j")
        assert lst.cursor == before + 1
        await settle(app, pilot)


async def test_filter_sort_group_mark_diff_copy_on_hostile_rows(small_hostile) -> None:
    from cassette_tui.tui.diff_screen import DiffScreen

    hostile_dir, _ = small_hostile
    app = CassetteApp(hostile_dir, watch=False)
    app.animation_level = "none"   # a tab switch would wait for its underline to glide
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lst = app.query_one(RecordingList)
        # Filter: words from the injection, a bad query, then problems only.
        await pilot.press("slash", *"evil")
        await settle(app, pilot)
        shown = sorted(r.summary.path for r in lst.rows)
        assert "injection.json" in shown and "good.json" not in shown
        app.query_one("#filter").value = "evil modle:("
        await wait_until(pilot, lambda: "modle" in str(app.query_one("#query-error").render()))   # once typing pauses
        assert sorted(r.summary.path for r in lst.rows) == shown   # a bad query keeps the last result
        app.query_one("#filter").value = "is:problem"
        await pilot.press("enter")
        await settle(app, pilot)
        assert all(r.summary.problem for r in lst.rows) and len(lst.rows) > 10
        assert_inert(drawn(lst), "problem rows")
        app.query_one("#filter").value = ""
        await settle(app, pilot)
        lst.focus()
        # Sort by every key, and the grouped view (test ids with escapes become headers).
        from cassette_tui.model import SORT_KEYS

        await pilot.press("o")                  # the sort menu: the next key down
        await settle(app, pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert app.sort == SORT_KEYS[1]
        for key in SORT_KEYS:
            app.action_sort_by(key)
            await settle(app, pilot)
            assert_inert(drawn(lst), f"sorted by {app.sort}")
        await pilot.press("t")
        await settle(app, pilot)
        assert app.grouped
        await pilot.press("j", "G", "g")
        for _ in range(0, len(lst.rows), 10):
            assert_inert(drawn(lst), "grouped")
            lst.action_page_down()
            await pilot.pause()
        await pilot.press("t")
        await settle(app, pilot)
        # Mark the two injection recordings (one with escapes in its name), diff them.
        evil_name = next(r.summary.path for r in lst.rows if r.summary.path.startswith("name-"))
        for path in ("injection.json", evil_name):
            lst.cursor = lst.index_of(path)
            await settle(app, pilot)
            await pilot.press("m")
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, DiffScreen)
        assert_inert(app.screen.query_one(LinesView).plain_text(), "diff lines")
        assert_inert(drawn(app.screen.query_one(LinesView)), "diff view")
        await pilot.press("escape")
        await settle(app, pilot)
        # Copy: the request and the reassembled response as JSON (escapes stay JSON escapes).
        lst.cursor = lst.index_of("injection.json")
        await settle(app, pilot)
        await pilot.press("y")
        assert "\x1b" not in app.clipboard and "evil" in app.clipboard
        await pilot.press("4", "y")
        assert "\x1b" not in app.clipboard and "\\u001b" in app.clipboard
        # Every layout, then the app still answers keys.
        for _ in range(3):
            await pilot.press("z")
            await settle(app, pilot)
        before = lst.cursor
        t0 = time.monotonic()
        await pilot.press("j")
        assert lst.cursor == before + 1 and time.monotonic() - t0 < 5


async def test_diff_title_with_escapes_in_a_file_name(small_hostile) -> None:
    root, _ = small_hostile
    app = CassetteApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lst = app.query_one(RecordingList)
        for path in ("injection.json", next(r.summary.path for r in lst.rows if r.summary.path.startswith("name-"))):
            lst.cursor = lst.index_of(path)
            await settle(app, pilot)
            await pilot.press("m")
        await pilot.press("d")
        await settle(app, pilot)
        assert_inert("".join(drawn(w) for w in app.screen.query("#diff-title")), "diff title")
