"""`o`: pick the flat list's sort key from a short menu."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..model import SORT_KEYS

LABELS = {
    "path": "path (folder, then file name)",
    "test": "test id",
    "endpoint": "endpoint",
    "model": "model",
    "provider": "provider",
    "chunks": "number of chunks",
    "size": "file size",
    "mtime": "modified time (newest last)",
    "finish": "finish reason",
    "kind": "kind",
    "status": "verify status",
    "id": "id (the hash in the file name)",
}


class SortScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    SortScreen { align: center middle; }
    SortScreen > OptionList { width: 44; height: auto; max-height: 16; border: thick $accent; }
    """
    BINDINGS = [Binding("escape,q,o", "dismiss_none", "Close")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        options = OptionList(*[Option(("● " if key == self.current else "  ") + LABELS.get(key, key), id=key) for key in SORT_KEYS])
        options.border_title = "Sort by"
        yield options

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = SORT_KEYS.index(self.current) if self.current in SORT_KEYS else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
