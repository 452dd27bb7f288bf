"""The TUI as a daily driver (issue 14): grouped view, detail search and wrap, SSE responses,
error markers, marks, copy, narrow terminals. The real app on the demo set, driven by its pilot;
each test failed before the change it covers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cassette_tui.rows import MARKERS, SiblingLabels, fit_test_label
from cassette_tui.tui.app import CassetteApp
from cassette_tui.tui.detail import DetailPane
from cassette_tui.tui.recording_list import LOOSE, RecordingList
from cassette_tui.tui.testing import settle

GPT4O = "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"
SSE = "2cb6caa89a82691b08f59f724d697f518e57b07818c26c8a78c972dab8f3a95c"   # Gemini interactions, 33 SSE lines
SIZE = (180, 50)

pytestmark = pytest.mark.usefixtures("private_cache")


def path_of(h: str, area: str = "responses") -> str:
    return f"{area}/recordings/{h}.json"


async def open_app(pilot) -> tuple[CassetteApp, RecordingList]:
    await settle(pilot)
    return pilot.app, pilot.app.query_one(RecordingList)


# --- grouped view ------------------------------------------------------------------------

async def test_grouped_view_folds_a_group_and_jumps_between_tests(demo_copy: Path) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        _, lst = await open_app(pilot)
        lst.cursor = lst.index_of(path_of(GPT4O))
        await pilot.press("t")
        await settle(pilot)
        assert lst.current_path == path_of(GPT4O)           # the cursor's recording kept across views
        # ] and [ move between tests, landing on a test's first recording
        starts = [i for i, r in enumerate(lst.rows) if r.summary is None and (r.depth == 1 or r.key == LOOSE)]
        mine = max(i for i in starts if i < lst.cursor)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert lst.cursor == mine + 1
        await pilot.press("right_square_bracket")
        await settle(pilot)
        following = min(i for i in starts if i > mine)
        assert lst.cursor == following + 1
        assert lst.rows[following].label != lst.rows[mine].label
        await pilot.press("left_square_bracket")   # from the first recording of a test: to the one before
        await settle(pilot)
        assert lst.cursor == mine + 1
        # Enter on the test's header folds it (its recordings hidden), again unfolds
        count = lst.rows[mine].count
        before = len(lst.rows)
        lst.cursor = mine
        await pilot.press("enter")
        await settle(pilot)
        assert len(lst.rows) == before - count and lst.rows[mine].collapsed
        assert lst.index_of(path_of(GPT4O)) is None
        await pilot.press("space")
        await settle(pilot)
        assert len(lst.rows) == before and lst.index_of(path_of(GPT4O)) is not None
        # folded, then back to flat and grouped again: the recording is found and its group unfolded
        lst.cursor = lst.index_of(path_of(GPT4O))
        await pilot.press("space")          # on a recording: folds its test, cursor to the header
        await settle(pilot)
        assert lst.current is None and lst.rows[lst.cursor].collapsed
        await pilot.press("t")
        await settle(pilot)
        assert lst.current_path == path_of(GPT4O)
        await pilot.press("t")
        await settle(pilot)
        assert lst.current_path == path_of(GPT4O)


async def test_sort_in_grouped_view_sorts_within_each_test(demo_copy: Path) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)
        await pilot.press("t")
        await settle(pilot)
        app.action_sort_by("size")
        await settle(pilot)
        assert app.grouped                                  # still grouped (it used to switch to flat)
        groups, current = [], []
        for row in lst.rows:
            if row.summary is None:
                if current:
                    groups.append(current)
                current = []
            else:
                current.append(row.summary.size)
        groups.append(current)
        assert any(len(g) > 2 for g in groups)
        assert all(g == sorted(g) for g in groups)
        await pilot.press("v")
        await settle(pilot)
        sizes = [r.summary.size for r in lst.rows[lst.cursor:] if r.summary is not None]
        assert app.reverse and sizes
        assert "sorted by size ↓ within" in str(app.query_one("#status").render())


# --- detail: search, wrap, SSE -----------------------------------------------------------

async def test_search_in_the_detail_highlights_and_steps_through_matches(demo_copy: Path) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)
        lst.cursor = lst.index_of(path_of(GPT4O))
        await settle(pilot)
        await pilot.press("enter", "4", "slash", *"user_id", "enter")
        await settle(pilot)
        detail = app.query_one(DetailPane)
        view = detail.view("request")
        assert view.has_focus
        expected = sum(line.lower().count("user_id") for line in view.plain_text().splitlines())
        assert expected >= 2 and len(view.matches) == expected
        assert f"1 of {expected}" in str(detail.query_one("#search-status").render())
        first = view.match_index
        await pilot.press("n")
        await settle(pilot)
        assert view.match_index == first + 1
        await pilot.press("N", "N")
        await settle(pilot)
        assert view.match_index == (first - 1) % expected
        row, start, end = view.matches[view.match_index]
        assert view.scroll_offset.y <= row < view.scroll_offset.y + view.scrollable_content_region.height
        # the match is drawn highlighted
        strip = view.render_line(row - view.scroll_offset.y)
        assert any(seg.style and seg.style.bgcolor is not None and "user_id" in seg.text.lower() for seg in strip)
        # the term holds in the other tabs: the conversation has its own count
        await pilot.press("1")
        await settle(pilot)
        assert detail.view("conversation").search_term == "user_id"
        assert detail.view("conversation").has_focus
        # ctrl+f opens it too; Esc closes the box and gives the view its keys back
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert app.focused.id == "detail-search"
        await pilot.press("escape")
        await settle(pilot)
        assert detail.view("conversation").has_focus


async def test_w_wraps_long_lines_of_the_request(demo_copy: Path) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)
        lst.cursor = lst.index_of(path_of(GPT4O))
        await settle(pilot)
        await pilot.press("enter", "4")
        await settle(pilot)
        view = app.query_one(DetailPane).view("request")
        width = view.scrollable_content_region.width
        lines = view.plain_text().splitlines()
        assert max(map(len, lines)) > width and not view.wrap
        assert view.line_count == len(lines)
        await pilot.press("w")
        await settle(pilot)
        assert view.wrap and view.line_count > len(lines)
        assert view.virtual_size.width <= width + 2     # nothing to scroll sideways
        await pilot.press("w")
        await settle(pilot)
        assert not view.wrap and view.line_count == len(lines)


async def test_an_sse_response_shows_its_events_parsed(demo_copy: Path) -> None:
    raw = json.loads((demo_copy / path_of(SSE, "interactions")).read_text())["response"]["body"]
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)
        lst.cursor = lst.index_of(path_of(SSE, "interactions"))
        await settle(pilot)
        text = app.query_one(DetailPane).view("response").plain_text()
        assert "SSE lines shown as their" in text
        assert '"event": "interaction.start"' in text
        assert '"status": "in_progress"' in text                   # data parsed, not an escaped string
        assert '\\"status\\"' not in text
        events = sum(1 for line in raw if line.startswith("event:"))
        assert text.count('"event": ') == events


# --- markers, marks, copy ----------------------------------------------------------------

async def test_recorded_errors_carry_a_marker_and_has_error_finds_them(demo_copy: Path) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)
        errors = [s for s in app.all_summaries if "error" in s.flags]
        assert errors, "the demo set holds a recorded error"
        for s in errors:
            row = lst.index_of(s.path)
            lst.cursor = row
            await settle(pilot)
            line = "".join(seg.text for seg in lst.render_line(row - lst.scroll_offset.y + 1))
            assert line[1] == "✗", line
        await pilot.press("slash", *"has:error", "enter")
        await settle(pilot)
        assert {s.path for s in app.shown} == {s.path for s in errors}
        # every marker drawn is explained in the help screen
        await pilot.press("question_mark")
        await settle(pilot)
        text = app.screen.text
        for mark, meaning in MARKERS:
            assert f"{mark} " in text and meaning in text


async def test_marks_say_what_d_needs_and_M_clears_them(demo_copy: Path) -> None:
    from cassette_tui.tui.diff_screen import DiffScreen

    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)

        def status() -> str:
            return str(app.query_one("#status").render())

        await pilot.press("m")
        await settle(pilot)
        assert "1 marked: d diffs it with the cursor's recording" in status()
        await pilot.press("j", "m", "j", "m")
        await settle(pilot)
        assert "3 marked: d needs exactly two" in status()
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(app.screen, DiffScreen)
        await pilot.press("m")     # unmark the third
        await settle(pilot)
        assert "2 marked: d diffs them" in status()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert len(lst.marked) == 2              # kept after a diff (documented): d reopens it
        await pilot.press("M")
        await settle(pilot)
        assert not lst.marked and "marked" not in status()


async def test_copy_without_a_clipboard_command_saves_a_file_and_says_where(demo_copy: Path, monkeypatch) -> None:
    """No DISPLAY, no WAYLAND_DISPLAY (a terminal over ssh): OSC 52 alone cannot be confirmed."""
    from cassette_tui.tui.clipboard import copy_file

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)
        lst.cursor = lst.index_of(path_of(GPT4O))
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        saved = copy_file("response.json")
        assert json.loads(saved.read_text())["choices"][0]["tool_calls"][0]["name"] == "get_user_permissions"
        message = [n.message for n in app._notifications][-1]
        assert str(saved) in message and "cannot be confirmed" in message
        assert not message.startswith("Copied")
        assert json.loads(app.clipboard) == json.loads(saved.read_text())   # OSC 52 sent as well


# --- narrow terminals --------------------------------------------------------------------

@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_narrow_list_keeps_id_model_and_the_differing_parameters(demo_copy: Path, size: tuple[int, int]) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=size) as pilot:
        app, lst = await open_app(pilot)
        header = "".join(seg.text for seg in lst.render_line(0))
        assert "id" in header and "model" in header and "test" in header
        lines = ["".join(seg.text for seg in lst.render_line(y)) for y in range(1, min(len(lst.rows), lst.size.height - 1) + 1)]
        for row, line in zip(lst.rows, lines, strict=False):
            s = row.summary
            assert s.id[:8] in line, line
            if s.model:
                assert s.model[:8] in line, line
        # rows differ: no two rows of different recordings draw the same text
        assert len(set(lines)) == len(lines)
        footer = "".join(str(w.render()) for w in app.query("FooterKey"))
        assert "Help" in footer and "Quit" in footer
        assert "?" in footer


def test_sibling_labels_fold_what_siblings_share_and_keep_what_differs() -> None:
    ids = [
        "tests/integration/x/test_v.py::test_store[client_with_models-vector_io=faiss-txt=openai/gpt-4o]",
        "tests/integration/x/test_v.py::test_store[openai_client-vector_io=faiss-txt=openai/gpt-4o]",
        "tests/integration/x/test_v.py::test_other[openai_client]",
    ]
    labels = SiblingLabels(ids + [None, ids[0]])
    assert len(labels) == 3 and labels.get(None) is None and labels.get("tests/y.py::test_store[openai_client]") is None
    assert labels[ids[0]].text == "test_store[client_with_models-…]"
    assert labels[ids[1]].text == "test_store[openai_client-…]"
    assert labels[ids[2]] == ("test_other[openai_client]", False)
    # cut to a narrow column: the name gives way, the differing parameters stay whole
    cut = fit_test_label("test_store_with_a_long_name[openai_client-…]", 30)
    assert cut.endswith("…[openai_client-…]") and cut.startswith("test_store") and len(cut) == 30
    assert fit_test_label("test_x[a_very_long_parameter_that_does_not_fit]", 12) == "[a_very_lon…"



async def burst(app: CassetteApp, text: str) -> None:
    """Keys as a fast typist, a paste or tmux send-keys deliver them: all queued before the first is handled."""
    from textual import events

    names = {"/": "slash", ":": "colon", "_": "underscore", "\r": "enter"}
    for char in text:
        app.post_message(events.Key(names.get(char, char), char))


async def test_keys_typed_right_after_slash_are_the_query(demo_copy: Path) -> None:
    """`/has:error` in one burst: before, `/` focused the filter a moment too late, the list got the
    letters and `e` opened the explain screen."""
    from textual.widgets import Input

    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await burst(app, "/has:error\r")
        await settle(pilot)
        assert app.screen is app.screen_stack[0]
        assert app.query_one("#filter", Input).value == "has:error"
        assert {s.path for s in app.shown} == {s.path for s in app.all_summaries if "error" in s.flags}
        assert app.query_one(RecordingList).has_focus          # Enter in the same burst reached the filter
        # `/` selects the query (typing replaces it); a `/` typed inside the filter is text (a path: query)
        await burst(app, "/path:x/y")
        await settle(pilot)
        assert app.query_one("#filter", Input).value == "path:x/y"


async def test_keys_typed_right_after_slash_in_the_detail_are_the_search(demo_copy: Path) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)
        lst.cursor = lst.index_of(path_of(GPT4O))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        view = app.query_one(DetailPane).view("conversation")
        assert view.has_focus and view.wrap
        await burst(app, "/weather\r")      # `w` would toggle the wrap, `e` open explain
        await settle(pilot)
        assert view.search_term == "weather" and view.wrap
        assert app.screen is app.screen_stack[0]


async def test_timeline_names_a_rerecorded_variant_not_a_next_turn(demo_copy: Path) -> None:
    """25b4b134 sends the very messages of 8ce3e23e (stream_options differs): a sibling, not 'turn 2 extends turn 1'."""
    twin = "25b4b134c4763373b0826bf166f76eb24417b8891db1e58085d6723547fd3a4a"
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app, lst = await open_app(pilot)
        lst.cursor = lst.index_of(path_of(twin))
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        text = app.query_one(DetailPane).view("timeline").plain_text()
        turn = next(line for line in text.splitlines() if "25b4b134c476" in line and "turn" in line)
        assert "variant of turn 1" in turn and "extends" not in turn
        assert "variant of turn 1: body.stream_options differs (the same messages sent)" in text
