"""The real Textual app, driven by its pilot, on real recordings written to real directories."""

from __future__ import annotations

import gc
import json
import os
import time
from pathlib import Path

import pytest

from cassette_tui.query import parse
from cassette_tui.tui.app import QUERY_ERROR_DELAY, CassetteApp
from cassette_tui.tui.detail import DetailPane
from cassette_tui.tui.idle_gc import CHECK_S, QUIET_S
from cassette_tui.tui.recording_list import RecordingList
from cassette_tui.tui.testing import settle as _settle
from cassette_tui.tui.testing import wait_until as _wait_until

DEMO = Path(__file__).resolve().parents[1] / "cassette_tui" / "demo"
GPT4O = "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"
SIZE = (180, 50)


pytestmark = pytest.mark.usefixtures("private_cache")


async def settle(app, pilot) -> None:
    await _settle(pilot)


async def wait_until(pilot, condition, timeout: float = 10.0) -> None:
    try:
        await _wait_until(pilot, condition, timeout)
    except TimeoutError:
        raise AssertionError("timed out waiting for the app") from None


def list_paths(app) -> list[str]:
    return [r.summary.path for r in app.query_one(RecordingList).rows if r.summary is not None]


async def test_opens_directory_lists_every_recording(demo_copy):
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        files = sorted(p.relative_to(demo_copy).as_posix() for p in demo_copy.rglob("*.json"))
        assert list_paths(app) == files
        status = str(app.query_one("#status").render())
        assert f"{len(files)} of {len(files)} recordings" in status


async def test_filter_as_you_type_and_bad_query_keeps_last_result(demo_copy):
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"user_permissions")
        await settle(app, pilot)
        shown = list_paths(app)
        assert len(shown) == 5 and all("responses/recordings" in p for p in shown)
        assert "5 of 17" in str(app.query_one("#status").render())
        # A malformed query says why, in place, and the list keeps the last good result.
        await pilot.press("space", "(")
        await settle(app, pilot)
        assert "(" in str(app.query_one("#query-error").render())
        assert list_paths(app) == shown
        app.query_one("#filter").value = "user_permissions modle:x"
        await settle(app, pilot)
        error = str(app.query_one("#query-error").render())
        assert "unknown field 'modle'" in error and "model" in error
        assert list_paths(app) == shown
        # Fix it: the error goes and the filter applies.
        app.query_one("#filter").value = "user_permissions "
        await pilot.press(*"called:check_file_access")
        await settle(app, pilot)
        assert str(app.query_one("#query-error").render()) == ""
        assert [Path(p).stem[:12] for p in list_paths(app)] == ["4078aa36a9cb"]


async def test_an_unfinished_query_is_called_out_only_once_typing_pauses(demo_copy):
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        error = app.query_one("#query-error")
        await pilot.press("slash", *"has:")
        assert not error.has_class("visible")              # typed through: "has:" is unfinished, not wrong
        await pilot.press(*"tools")
        await pilot.pause(QUERY_ERROR_DELAY + 0.2)
        assert not error.has_class("visible") and "has:tools" == app.query_text
        await pilot.press("space", *"model:")
        await wait_until(pilot, lambda: error.has_class("visible"))   # left there: now it is called out
        assert "missing value after 'model:'" in str(error.render())
        await pilot.press("g")
        assert not error.has_class("visible")              # fixed: gone at once
        # Enter on a malformed query says why at once and stays in the filter.
        await pilot.press("space", "(", "enter")
        assert error.has_class("visible") and "unclosed" in str(error.render())
        assert app.focused is app.query_one("#filter")


async def test_the_typed_character_and_the_refiltered_list_go_out_in_one_frame(demo_copy):
    """Every frame the app sends shows a list that already fits the query shown in it."""
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await settle(app, pilot)
        frames: list[tuple[str, int]] = []
        display = app._display   # every frame goes out through here

        def recorded(*args, **kwargs):
            frames.append((app.query_one("#filter").value, len(list_paths(app))))
            return display(*args, **kwargs)

        app._display = recorded
        await pilot.press(*"user_permissions")
        await settle(app, pilot)
        typed = [frame for frame in frames if frame[0]]
        assert typed, "no frame after typing"
        counts = {value: len([s for s in app.all_summaries if parse(value).matches(s)]) for value, _ in typed}
        assert [(value, counts[value]) for value, _ in typed] == typed
        assert typed[-1] == ("user_permissions", 5)


async def test_full_garbage_collections_wait_for_a_pause_in_typing(demo_copy):
    saved = gc.get_threshold()
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert gc.get_threshold()[2] > 10**6   # no automatic full collection while it runs
        await pilot.press("slash", *"user")
        for _ in range(saved[2]):
            gc.collect(1)                      # the young collections that call for a full one
        before = app.idle_gc.collections
        await pilot.press("s")
        assert app.idle_gc.collections == before   # mid-typing: not now
        await pilot.pause(QUIET_S + 3 * CHECK_S)
        assert app.idle_gc.collections == before + 1
        assert gc.get_count()[2] < saved[2]
    assert gc.get_threshold() == saved            # put back when the app stops


async def test_move_and_open_each_tab_on_the_gpt4o_tool_conversation(demo_copy):
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lst = app.query_one(RecordingList)
        lst.cursor = lst.index_of(f"responses/recordings/{GPT4O}.json")
        await settle(app, pilot)
        detail = app.query_one(DetailPane)
        conversation = detail.view("conversation").plain_text()
        assert "get_user_permissions" in conversation and '"user_id": "user_11111"' in conversation
        assert "finish tool_calls" in conversation
        for key, tab, expected in (
            ("2", "stream", "tool_args"),
            ("3", "timeline", "turn 5"),
            ("4", "request", '"model": "gpt-4o"'),
            ("5", "response", "ChatCompletionChunk"),
            ("6", "info", "h64"),
            ("1", "conversation", "Tools offered"),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert detail.active == tab
            assert expected in detail.view(tab).plain_text(), tab
        # The timeline orders the test's five recordings into turns, this one third.
        timeline = detail.view("timeline").plain_text()
        assert timeline.index("get_user_id") < timeline.index("check_file_access")
        assert "● turn 3" in timeline
        # vim keys move the cursor, and the detail follows.
        before = lst.cursor
        await pilot.press("j")
        await settle(app, pilot)
        assert lst.cursor == before + 1
        assert detail.content is not None and detail.content.path == lst.current_path


async def test_grouped_view_nests_test_file_test_and_turns(demo_copy):
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        rows = app.query_one(RecordingList).rows
        headers = [r.label for r in rows if r.summary is None]
        assert "responses/test_tool_responses.py" in headers
        start = next(i for i, r in enumerate(rows) if r.summary is None and "user_permissions_workflow" in r.label)
        turns = [r.summary for r in rows[start + 1 : start + 6]]
        assert all(s is not None for s in turns)
        assert [s.messages for s in turns] == sorted(s.messages for s in turns)
        assert "grouped by test" in str(app.query_one("#status").render())


async def test_sort_and_reverse(demo_copy):
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.action_sort_by("size")
        await settle(app, pilot)
        sizes = [r.summary.size for r in app.query_one(RecordingList).rows]
        assert sizes == sorted(sizes)
        await pilot.press("v")
        await settle(app, pilot)
        sizes = [r.summary.size for r in app.query_one(RecordingList).rows]
        assert sizes == sorted(sizes, reverse=True)


async def test_mark_two_and_diff(demo_copy):
    from cassette_tui.tui.diff_screen import DiffScreen
    from cassette_tui.tui.lines_view import LinesView

    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lst = app.query_one(RecordingList)
        lst.cursor = lst.index_of("responses/recordings/8ce3e23e7ca45e8adfd23c2910731f376e62379f85d67eacfecc6c4a95fccb82.json")
        await pilot.press("m")
        lst.cursor = lst.index_of(f"responses/recordings/{GPT4O}.json")
        await pilot.press("m")
        await settle(app, pilot)
        assert len(lst.marked) == 2
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, DiffScreen)
        text = app.screen.query_one(LinesView).plain_text()
        # The second turn added a tool result and asks for permissions instead of the user id.
        assert "body.messages[1]" in text or "body.messages[2]" in text
        assert "get_user_permissions" in text
        assert "obfuscation" not in text  # noise is ignored by default
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DiffScreen)


async def test_help_lists_every_app_binding(demo_copy):
    from cassette_tui.tui.help_screen import HelpScreen

    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        source = app.screen.text
        for binding in app.BINDINGS:
            if binding.action != "submit_filter":
                # compact: one line per key, the key then what it does
                assert any(line.strip().endswith(binding.description) for line in source.splitlines()), binding
        assert "Query language" in source


async def test_copy_reassembled_response(demo_copy):
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lst = app.query_one(RecordingList)
        lst.cursor = lst.index_of(f"responses/recordings/{GPT4O}.json")
        await settle(app, pilot)
        await pilot.press("y")
        copied = json.loads(app.clipboard)
        assert copied["choices"][0]["tool_calls"][0]["name"] == "get_user_permissions"
        await pilot.press("4", "y")
        assert json.loads(app.clipboard)["model"] == "gpt-4o"


async def test_broken_file_is_a_row_and_the_app_keeps_working(demo_copy):
    (demo_copy / "broken.json").write_text('{"request": {"body": ')
    (demo_copy / "array.json").write_text("[1, 2, 3]")
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lst = app.query_one(RecordingList)
        lst.cursor = lst.index_of("broken.json")
        await settle(app, pilot)
        assert lst.current.problem and "truncated" in lst.current.problem
        assert "not a readable recording" in app.query_one(DetailPane).view("conversation").plain_text()
        await pilot.press("slash", *"is:problem", "enter")
        await settle(app, pilot)
        assert sorted(list_paths(app)) == ["array.json", "broken.json"]


async def test_live_reload_add_change_delete(demo_copy):
    app = CassetteApp(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await wait_until(pilot, lambda: app.watching)
        before = len(list_paths(app))
        lst = app.query_one(RecordingList)
        lst.cursor = lst.index_of(f"responses/recordings/{GPT4O}.json")
        await settle(app, pilot)
        await pilot.press("slash", *"model:gpt-4o", "enter")
        await settle(app, pilot)
        shown_before = len(list_paths(app))

        # Add: a copy of the gpt-4o recording under a new name.
        source = demo_copy / "responses" / "recordings" / f"{GPT4O}.json"
        new = demo_copy / "responses" / "recordings" / ("f" * 64 + ".json")
        new.write_bytes(source.read_bytes())
        await wait_until(pilot, lambda: new.relative_to(demo_copy).as_posix() in list_paths(app))
        assert len(list_paths(app)) == shown_before + 1
        assert lst.current_path == f"responses/recordings/{GPT4O}.json"  # selection kept
        assert app.query_one("#filter").value == "model:gpt-4o"             # filter kept
        assert new.relative_to(demo_copy).as_posix() in lst.changed        # marked until seen

        # Change: make it a different model; it leaves the filtered list.
        data = json.loads(new.read_text())
        data["request"]["model"] = "llama-changed"
        data["request"]["body"]["model"] = "llama-changed"
        new.write_text(json.dumps(data))
        os.utime(new, (time.time() + 5, time.time() + 5))
        await wait_until(pilot, lambda: new.relative_to(demo_copy).as_posix() not in list_paths(app))
        assert any(s.model == "llama-changed" for s in app.all_summaries)

        # Delete: gone from the index.
        new.unlink()
        await wait_until(pilot, lambda: all(s.path != new.relative_to(demo_copy).as_posix() for s in app.all_summaries))
        assert len(app.all_summaries) == before


async def test_prescanned_index_shows_at_once_without_a_scan_worker(demo_copy):
    from cassette_tui.index import Index

    index = Index(demo_copy).scan()
    app = CassetteApp(demo_copy, watch=False, index=index)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.index is index
        assert len(list_paths(app)) == len(index)
        assert not [w for w in app.workers if w.group == "scan"]


async def test_o_picks_the_sort_key_from_a_menu(demo_copy):
    from cassette_tui.tui.sort_screen import SortScreen

    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, SortScreen)
        # path is first and highlighted; size is six entries below.
        await pilot.press(*["down"] * 6, "enter")
        await settle(app, pilot)
        assert app.sort == "size"
        sizes = [r.summary.size for r in app.query_one(RecordingList).rows]
        assert sizes == sorted(sizes)


async def test_verify_status_column_and_is_filter(demo_copy):
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)  # includes the background verify pass
        statuses = {s.path: s.status for s in app.all_summaries}
        assert statuses[f"responses/recordings/{GPT4O}.json"] == "ok"
        assert statuses["recordings/responses/84cab42e1f5c.json"] == "stale"
        assert "2 stale" in str(app.query_one("#status").render())
        await pilot.press("slash", *"is:stale", "enter")
        await settle(app, pilot)
        assert sorted(list_paths(app)) == ["recordings/responses/04172112ffbb.json", "recordings/responses/84cab42e1f5c.json"]


async def test_explain_screen_ranks_the_original_and_names_the_changed_path(demo_copy, tmp_path):
    from textual.widgets import Input, OptionList, TextArea

    from cassette_tui.hashing import NEWEST, request_hash
    from cassette_tui.tui.diff_screen import DiffScreen
    from cassette_tui.tui.lines_view import LinesView
    from cassette_tui.tui.report_screens import ExplainScreen

    original = demo_copy / "responses" / "recordings" / f"{GPT4O}.json"
    live = json.loads(original.read_text())
    live["request"]["body"]["tools"][1]["function"]["description"] += " (edited)"
    live_path = tmp_path / f"{request_hash(live, NEWEST)}.json"
    live_path.write_text(json.dumps(live))

    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        app.screen.query_one(TextArea).text = str(live_path)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        text = app.screen.query_one(LinesView).plain_text()
        assert "body.tools[1].function.description" in text
        nearest = text.split("nearest recordings:")[1].splitlines()[1]
        assert GPT4O in nearest
        assert "what to do: a tool definition changed in the code: re-record the test" in text
        # Under the report, what can be done with it: open the nearest recording, or diff it with the live file.
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels == [f"open the nearest recording  responses/recordings/{GPT4O}.json", f"diff it with the live request  {live_path}"]
        options.focus()
        options.highlighted = 1
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DiffScreen)
        diff_text = app.screen.query_one(LinesView).plain_text()
        assert "body.tools[1].function.description" in diff_text and str(live_path) in diff_text
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ExplainScreen)
        # open: the explain screen closes and the list shows the recording, even behind a filter that hid it
        app.query_one("#filter", Input).value = "model:nothing-like-this"
        await settle(app, pilot)
        assert list_paths(app) == []
        options.highlighted = 0
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, ExplainScreen)
        lst = app.query_one(RecordingList)
        assert lst.current_path == f"responses/recordings/{GPT4O}.json" and lst.has_focus
        await pilot.press("e")
        await pilot.pause()
        # A pasted log with no miss in it says so instead of failing.
        app.screen.query_one(TextArea).text = "all tests passed"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert "No replay-miss message" in app.screen.query_one(LinesView).plain_text()


async def test_git_review_lists_changes_since_head(demo_copy):
    import subprocess

    from textual.widgets import OptionList

    from cassette_tui.tui.diff_screen import DiffScreen
    from cassette_tui.tui.lines_view import LinesView
    from cassette_tui.tui.report_screens import GitReviewScreen

    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=demo_copy, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "recordings")
    changed = demo_copy / "responses" / "recordings" / f"{GPT4O}.json"
    data = json.loads(changed.read_text())
    data["request"]["body"]["temperature"] = 0.5
    changed.write_text(json.dumps(data))

    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, GitReviewScreen)
        text = app.screen.query_one(LinesView).plain_text()
        assert "changed" in text and GPT4O in text
        assert "body.temperature" in text
        # the review is a list to act on: diff the change with what it was, or open the recording
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[0] == f"open changed     responses/recordings/{GPT4O}.json"
        assert labels[1].startswith("diff changed     ") and labels[1].endswith(f"responses/recordings/{GPT4O}.json")
        options.focus()
        options.highlighted = 1
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DiffScreen)
        assert "body.temperature" in app.screen.query_one(LinesView).plain_text()
        await pilot.press("escape")
        await settle(app, pilot)
        options.highlighted = 0
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, GitReviewScreen)
        assert app.query_one(RecordingList).current_path == f"responses/recordings/{GPT4O}.json"


async def test_verify_and_the_cache_save_wait_while_a_batch_of_changes_is_being_read(demo_copy):
    """During a burst of writes the time since the last batch is no pause: the next is being read.
    Verifying (a child hashing the tree) or saving the cache then would take the burst's cores."""
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.live is not None and app.verify_counts is not None and app.verdicts)
        await settle(app, pilot)
        started: list[str] = []
        app.verify_statuses = lambda: started.append("verify")   # what _start_verify runs
        app.save_cache_later = lambda: started.append("save")    # what _reload_quiet runs
        app.live.reading = True
        app._start_verify()
        app._reload_quiet()
        assert started == [] and app._verify_timer is not None and app._reload_timer is not None   # put off
        app.live.reading = False
        app._verify_timer.stop()
        app._reload_timer.stop()
        app._start_verify()
        app._reload_quiet()
        assert started == ["verify", "save"]


async def test_statuses_are_saved_once_and_an_unchanged_verify_writes_nothing(demo_copy):
    from cassette_tui import cache

    first = CassetteApp(demo_copy, watch=False)
    async with first.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: first.verdicts)
        await settle(first, pilot)
    cached = cache.load(demo_copy.resolve())
    assert cached is not None and all(s.status for s in cached.summaries.values())   # the next start shows them at once
    again = CassetteApp(demo_copy, watch=False)
    saves: list[int] = []
    again.save_cache_later = lambda: saves.append(1)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: again.verdicts)
        await settle(again, pilot)
    assert saves == []   # 100,000 statuses as they were: no whole cache written again
