"""The keyboard never traps: Enter hands the filter's keys to the list at once, tab switches keep the detail readable.

The real app, driven by its pilot; each key is pressed as a user types it, without pauses between.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from cassette_tui.tui.app import CassetteApp
from cassette_tui.tui.detail import DetailPane
from cassette_tui.tui.recording_list import RecordingList
from cassette_tui.tui.testing import settle

DEMO = Path(__file__).resolve().parents[1] / "cassette_tui" / "demo"
GPT4O = "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"


pytestmark = pytest.mark.usefixtures("private_cache")


async def test_a_key_right_after_enter_is_a_command_not_filter_text(demo_copy: Path) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"id:aadc0675", "enter", "2")
        await settle(pilot)
        assert app.query_one("#filter", Input).value == "id:aadc0675"
        assert app.query_one(RecordingList).has_focus
        assert app.query_one(DetailPane).active == "stream"      # `2` switched the tab


async def test_switching_tabs_keeps_the_detail_focused_and_scrollable(demo_copy: Path) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        lst = app.query_one(RecordingList)
        lst.cursor = lst.index_of(f"responses/recordings/{GPT4O}.json")
        await settle(pilot)
        detail = app.query_one(DetailPane)
        await pilot.press("tab")          # from the list, one Tab reaches the content
        await settle(pilot)
        view = detail.view(detail.active)
        assert view.has_focus, app.focused
        for key, tab in (("4", "request"), ("5", "response"), ("1", "conversation")):
            await pilot.press(key)
            await settle(pilot)
            view = detail.view(detail.active)
            assert detail.active == tab
            assert view.has_focus, (key, app.focused)
            before = view.scroll_y
            await pilot.press("j", "j", "j")
            await settle(pilot)
            assert view.scroll_y > before or view.max_scroll_y == 0, (key, view.scroll_y)


async def test_keys_typed_in_one_burst_after_enter_go_to_the_list(demo_copy: Path) -> None:
    """As a fast typist (or a paste) sends them: every key is queued before the first is handled."""
    from textual import events

    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        for key, char in [*((c, c) for c in "id:aadc0675"), ("enter", "\r"), ("2", "2"), ("j", "j")]:
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert app.query_one("#filter", Input).value == "id:aadc0675"
        assert app.query_one(DetailPane).active == "stream"


@pytest.mark.parametrize("size", [(200, 50), (80, 24)])
async def test_modes_show_in_the_status_bar_at_every_width(demo_copy: Path, size: tuple[int, int]) -> None:
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("F", "m")
        await settle(pilot)
        status = app.query_one("#status")
        text = str(status.render())
        visible = text[: status.size.width]
        assert "following newest" in visible, (size, text)
        assert "1 marked" in visible or size[0] < 100, (size, text)


async def test_a_slow_diff_never_holds_the_app_and_esc_closes_it(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two huge recordings take seconds to compare. Here the comparison is made slow on purpose (a
    stand-in for the size: the real function, delayed), and the app must answer Esc at once."""
    import threading
    import time

    from cassette_tui.tui import diff_screen

    release = threading.Event()
    real = diff_screen.diff_lines

    def slow(*args, **kwargs):
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(diff_screen, "diff_lines", slow)
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        lst = app.query_one(RecordingList)
        paths = [r.summary.path for r in lst.rows if r.summary is not None][:2]
        app.push_screen(diff_screen.DiffScreen(app.index, *paths))
        await pilot.pause(0.2)
        assert isinstance(app.screen, diff_screen.DiffScreen)
        assert "Comparing…" in app.screen.query_one("#diff-view").plain_text()
        t = time.perf_counter()
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, diff_screen.DiffScreen)
        assert time.perf_counter() - t < 2
        release.set()
        await settle(pilot)


def test_the_test_source_is_found_by_reading_not_importing(tmp_path: Path) -> None:
    from cassette_tui.sources import editor_command, test_source

    root = tmp_path / "tests" / "integration"
    (root / "responses").mkdir(parents=True)
    marker = tmp_path / "imported"
    (root / "responses" / "test_tools.py").write_text(
        f"open({str(marker)!r}, 'w')\n\nimport pytest\n\n\ndef test_a(x):\n    pass\n\n\nclass TestB:\n    async def test_c(self):\n        pass\n"
    )
    assert test_source(root, "tests/integration/responses/test_tools.py::test_a[txt=openai/gpt-4o]") == (root / "responses" / "test_tools.py", 6)
    assert test_source(root, "tests/integration/responses/test_tools.py::TestB::test_c") == (root / "responses" / "test_tools.py", 11)
    assert test_source(root, "tests/integration/responses/test_gone.py::test_a") is None
    assert test_source(root, "../../etc/test_x.py::t") is None
    assert not marker.exists()
    assert editor_command("f.py", 6, {"EDITOR": "vim"}) == ["vim", "+6", "f.py"]
    assert editor_command("f.py", 6, {"VISUAL": "code --wait", "EDITOR": "vim"}) == ["code", "--wait", "-g", "f.py:6"]
    assert editor_command("r.json", None, {}) == ["less", "r.json"]


async def test_editor_keys_name_what_they_would_run(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pilot's terminal cannot be handed over (headless): the app says the command instead of failing."""
    monkeypatch.setenv("EDITOR", "nano")
    monkeypatch.delenv("VISUAL", raising=False)
    test_file = demo_copy / "responses" / "test_tool_responses.py"
    test_file.write_text("\n\ndef test_response_streaming_multi_turn_tool_execution(x):\n    pass\n")
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        lst = app.query_one(RecordingList)
        lst.cursor = lst.index_of(f"responses/recordings/{GPT4O}.json")
        await settle(pilot)
        seen: list[str] = []
        monkeypatch.setattr(app, "notify", lambda message, **kw: seen.append(str(message)))
        await pilot.press("T")
        await pilot.press("E")
        await pilot.press("Y")
        await settle(pilot)
        assert seen[0] == f"This terminal cannot be handed over; run: nano +3 {test_file}"
        assert seen[1] == f"This terminal cannot be handed over; run: nano {demo_copy.resolve() / 'responses' / 'recordings' / (GPT4O + '.json')}"
        assert seen[2].startswith("Sent the id and path (aadc06753bab ") or seen[2].startswith("Copied the id and path (aadc06753bab ")


async def test_settings_persist_and_a_broken_file_only_warns(demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    config = tmp_path / "config"
    monkeypatch.setenv("CASSETTE_TUI_CONFIG_DIR", str(config))
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        assert not (config / "settings.json").exists()          # nothing written before a change
        app.action_sort_by("size")
        await pilot.press("v", "z")
        app.theme = "nord"
        await settle(pilot)
    saved = json.loads((config / "settings.json").read_text())
    assert (saved["sort"], saved["reverse"], saved["layout"], saved["theme"]) == ("size", True, "list-only", "nord")

    # the next start: sorted, reversed, list only, the theme, and a key moved by the keymap
    saved["keymap"] = {"filter": "f"}
    (config / "settings.json").write_text(json.dumps(saved))
    app = CassetteApp(demo_copy, watch=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        assert (app.sort, app.reverse, app.theme) == ("size", True, "nord")
        assert app.screen.has_class("list-only")
        await pilot.press("f")
        await settle(pilot)
        assert app.query_one("#filter", Input).has_focus

    # a broken file: one warning, the defaults, the app works
    (config / "settings.json").write_text("{not json")
    app = CassetteApp(demo_copy, watch=False)
    warnings: list[str] = []
    async with app.run_test(size=(180, 50)) as pilot:
        monkeypatch.setattr(app, "notify", lambda message, **kw: warnings.append(str(message)))
        app._apply_settings()
        await settle(pilot)
        assert app.sort == "path" and not app.reverse
        assert len(warnings) == 1 and warnings[0].startswith("settings ignored:")
    # wrong values: those ignored, the rest kept
    (config / "settings.json").write_text(json.dumps({"sort": "model", "layout": "sideways", "colour": 1}))
    app = CassetteApp(demo_copy, watch=False)
    assert app.sort == "model" and "ignored 'layout', 'colour'" in app._settings_warning
