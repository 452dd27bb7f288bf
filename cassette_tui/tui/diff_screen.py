"""Two recordings side by side: what changed in the request and in the reassembled response."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import get_current_worker

from ..compare import diff_recordings
from ..index import Index
from ..recording import Recording
from ..reports import diff_sections
from ..view import Line, flat_lines, safe
from .lines_view import LinesView


def diff_lines(index: Index, path_a: str, path_b: str, include_noise: bool = False, pair: tuple[Recording, Recording] | None = None) -> list[Line]:
    """A or B is a path under the index, or a file the user named (a live request explain was given);
    `pair`, when given, holds both recordings already read (an old version out of git)."""
    if pair is not None:
        a, b = pair
    else:
        a, b = (Recording.load(p) if Path(p).is_absolute() else index.load(p) for p in (path_a, path_b))
    return flat_lines(diff_sections(diff_recordings(a, b, include_noise=include_noise), include_noise, limit=100_000, shown=(path_a, path_b)))


class DiffScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    DiffScreen > #diff-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    DiffScreen > LinesView { width: 100%; height: 1fr; border: thick $accent; }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close"),
        Binding("n", "toggle_noise", "Ids and timestamps"),
    ]

    def __init__(self, index: Index, path_a: str, path_b: str, pair: tuple[Recording, Recording] | None = None) -> None:
        super().__init__()
        self.index = index
        self.paths = (path_a, path_b)
        self.pair = pair
        self.include_noise = False

    def compose(self) -> ComposeResult:
        yield Static("", id="diff-title")
        yield LinesView(wrap=False, id="diff-view")

    def on_mount(self) -> None:
        self.refresh_diff()

    def refresh_diff(self) -> None:
        title = self.query_one("#diff-title", Static)
        title.update(Text(f"diff {safe(self.paths[0])}  ↔  {safe(self.paths[1])}   (n: {'hide' if self.include_noise else 'show'} ids and timestamps, esc: close)"))
        view = self.query_one(LinesView)
        view.set_lines([Text("Comparing… (esc closes)", "dim")])
        view.focus()
        self.compare(self.include_noise)

    @work(thread=True, exclusive=True, group="diff", exit_on_error=False)
    def compare(self, include_noise: bool) -> None:
        """Off the UI thread: two large recordings take seconds to compare, and Esc must close at once."""
        try:
            lines: list[Any] = diff_lines(self.index, *self.paths, include_noise=include_noise, pair=self.pair)
        except Exception as exc:  # noqa: BLE001 - a recording that cannot be compared must not take the app down
            lines = [Text(f"Could not compare: {type(exc).__name__}: {safe(str(exc))}", "red")]
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._show, lines, include_noise)

    def _show(self, lines: list[Any], include_noise: bool) -> None:
        if self.is_attached and include_noise == self.include_noise:
            self.query_one(LinesView).set_lines(lines)

    def action_toggle_noise(self) -> None:
        self.include_noise = not self.include_noise
        self.refresh_diff()
