"""The help screen: every key binding, then the query language, from the code itself."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from .. import query


def _key(binding: Binding) -> str:
    return ", ".join(k.replace("question_mark", "?").replace("slash", "/") for k in binding.key.split(","))


def help_markdown(app_bindings: list[Binding], groups: dict[str, list[Binding]]) -> str:
    lines = ["# cassette-tui keys", "", "| key | does |", "|---|---|"]
    for b in app_bindings:
        lines.append(f"| `{_key(b)}` | {b.description} |")
    for title, bindings in groups.items():
        lines += ["", f"## {title}", "", "| key | does |", "|---|---|"]
        for b in bindings:
            lines.append(f"| `{_key(b)}` | {b.description} |")
    lines += [
        "",
        "Mouse: click a row to select it, click again to open; scroll with the wheel.",
        "`ctrl+p` opens the command palette with every action.",
        "",
        "# Query language",
        "",
        "```",
        (query.__doc__ or "").strip(),
        "```",
    ]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; height: 90%; border: thick $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        from .lines_view import LinesView
        from .recording_list import RecordingList

        groups = {
            "In the list": [b for b in RecordingList.BINDINGS if isinstance(b, Binding)],
            "In a detail view": [b for b in LinesView.BINDINGS if isinstance(b, Binding)] + [Binding("tab", "", "Move between list, filter and detail")],
        }
        app_bindings = [b for b in self.app.BINDINGS if isinstance(b, Binding)]
        with VerticalScroll():
            yield Markdown(help_markdown(app_bindings, groups))
