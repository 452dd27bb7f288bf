"""The help screen: every key on one line each, the row markers, then the query language, from the code itself."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .. import query
from ..rows import MARKERS

KEY_NAMES = {"question_mark": "?", "slash": "/", "right_square_bracket": "]", "left_square_bracket": "[", "ctrl+f": "^f",
             "ctrl+d": "^d", "ctrl+u": "^u", "pagedown": "PgDn", "pageup": "PgUp"}
KEY_WIDTH = 14


def _key(binding: Binding) -> str:
    return ",".join(KEY_NAMES.get(k, k) for k in binding.key.split(","))


def help_text(app_bindings: list[Binding], groups: dict[str, list[Binding]]) -> str:
    """Plain text: a title per group, then `key  what it does`, one line per key."""
    lines = ["cassette-tui keys (Esc closes; ctrl+p lists every action)", ""]
    for title, bindings in {"Everywhere": app_bindings, **groups}.items():
        lines.append(title)
        lines += [f"  {_key(b):<{KEY_WIDTH}}{b.description}" for b in bindings]
        lines.append("")
    lines.append("Row markers (first column)")
    lines += [f"  {mark:<{KEY_WIDTH}}{meaning}" for mark, meaning in MARKERS]
    lines += ["", "Mouse: click a row to select it, click again to open; the wheel scrolls.", "", "Query language", (query.__doc__ or "").strip()]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 96%; height: 94%; border: thick $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        from .lines_view import LinesView
        from .recording_list import RecordingList

        groups = {
            "In the list": [b for b in RecordingList.BINDINGS if isinstance(b, Binding)],
            "In a detail view": [b for b in LinesView.BINDINGS if isinstance(b, Binding)] + [Binding("tab", "", "Move between list, filter and detail")],
        }
        app_bindings = [b for b in self.app.BINDINGS if isinstance(b, Binding) and b.action != "submit_filter"]
        self.text = help_text(app_bindings, groups)
        with VerticalScroll():
            yield Static(self.text, markup=False)
