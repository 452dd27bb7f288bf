"""A scrolling view of many lines that renders only what is visible (Textual's Line API).

Used for every detail tab: a 1 MB response pretty-printed to tens of thousands of
lines costs a list of strings, not a widget tree. It searches its own lines
(matches highlighted, `n`/`N` between them) and wraps long lines on demand (`w`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..rich_view import line_text
from ..view import Line, safe

# A line source is a list of view Lines, rich Texts or plain strings (styled on demand).
LineItem = Line | Text | str

MATCH_LIMIT = 10_000   # matches of one search kept (and counted); a huge tab stays responsive
MATCH_STYLE = "black on dark_goldenrod"
CURRENT_MATCH_STYLE = "bold black on yellow"


class LinesView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LinesView {
        height: 1fr;
        background: $surface;
        padding: 0 1;
        scrollbar-gutter: stable;  /* wrap width must not change when a scrollbar appears */
    }
    LinesView:focus {
        background-tint: $foreground 3%;
    }
    """

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
        Binding("space", "page_down", "Page down", show=False),
        Binding("slash,ctrl+f", "search", "Search this tab (matches highlighted)", show=False),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
        Binding("w", "toggle_wrap", "Wrap long lines on/off", show=False),
    ]

    class SearchRequested(Message):
        """`/` in the view: whoever holds a search box opens it."""

    class MatchMoved(Message):
        """The search's matches or the current one changed (for a status line)."""

    def __init__(self, *, wrap: bool = True, styler: Callable[[str], Text] | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.wrap = wrap
        self.styler = styler
        self._items: Sequence[LineItem] = []
        self._rows: list[Text | str] | None = None   # items laid out for the current width (wrapped)
        self._layout_width = 0
        self._cache: LRUCache[int, Strip] = LRUCache(2048)
        self._max_width = 0
        self.search_term = ""
        self.matches: list[tuple[int, int, int]] = []   # (row, start, end) in the laid-out rows
        self.match_index = -1
        self._by_row: dict[int, list[int]] = {}

    # --- content -----------------------------------------------------------------------

    def set_lines(self, items: Sequence[LineItem], *, keep_scroll: bool = False) -> None:
        self._items = items
        self._rows = None
        self._cache.clear()
        if not keep_scroll:
            self.scroll_to(0, 0, animate=False)
        self._relayout()
        self.refresh()

    @property
    def line_count(self) -> int:
        return len(self._rows) if self._rows is not None else len(self._items)

    def plain_text(self) -> str:
        """All lines as plain text (for tests and copying)."""
        return "\n".join(self._to_text(i).plain for i in self._items)

    def _to_text(self, item: LineItem) -> Text:
        if isinstance(item, Line):
            return line_text(item)
        if isinstance(item, Text):
            return item
        return self.styler(item) if self.styler else Text(item)

    def on_resize(self) -> None:
        if self.wrap and self.scrollable_content_region.width != self._layout_width:
            self._rows = None
            self._cache.clear()
            self._relayout()

    def _relayout(self) -> None:
        self._relayout_rows()
        if self.search_term:
            self._find(keep_row=True)

    def _relayout_rows(self) -> None:
        width = max(self.scrollable_content_region.width, 10)
        if not self.wrap:
            # Unwrapped: one row per item; width is the longest line (measured lazily as strings).
            self._rows = None
            self._max_width = max((cell_len(i) if isinstance(i, str) else self._to_text(i).cell_len for i in self._items[:5000]), default=0)
            self.virtual_size = Size(self._max_width + 2, len(self._items))
            return
        rows: list[Text | str] = []
        console = self.app.console
        for item in self._items:
            text = self._to_text(item)
            if text.cell_len <= width and "\n" not in text.plain:
                rows.append(text)
                continue
            indent = item.indent if isinstance(item, Line) and item.indent < width // 2 else 0
            if indent:
                # A hanging indent: continuation rows line up under the first.
                body = text[indent:]
                for part in body.wrap(console, width - indent, overflow="fold"):
                    rows.append(Text(" " * indent) + part)
            else:
                rows.extend(text.wrap(console, width, overflow="fold"))
        self._rows = rows
        self._layout_width = width
        self.virtual_size = Size(width, len(rows))

    # --- wrap and search ---------------------------------------------------------------

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        self._rows = None
        self._cache.clear()
        self.scroll_to(x=0, animate=False)
        self._relayout()
        self.refresh()
        self.notify("Long lines wrap" if self.wrap else "Long lines scroll sideways (w wraps)", timeout=2)

    def action_search(self) -> None:
        self.post_message(self.SearchRequested())

    def _plain(self, index: int) -> str:
        item = self._rows[index] if self._rows is not None else self._items[index]
        if isinstance(item, str):
            return safe(item) if self.styler else item
        return item.plain if isinstance(item, Text) else self._to_text(item).plain

    def search(self, term: str) -> None:
        """Highlight every case-insensitive occurrence of `term` and go to the first one at or after the top."""
        self.search_term = term
        self._find(keep_row=False)

    def _find(self, *, keep_row: bool) -> None:
        term = self.search_term.lower()
        self.matches, self._by_row = [], {}
        if term:
            for row in range(self.line_count):
                line = self._plain(row).lower()
                start = line.find(term)
                while start >= 0 and len(self.matches) < MATCH_LIMIT:
                    self._by_row.setdefault(row, []).append(len(self.matches))
                    self.matches.append((row, start, start + len(term)))
                    start = line.find(term, start + len(term))
                if len(self.matches) >= MATCH_LIMIT:
                    break
        top = self.scroll_offset.y
        self.match_index = next((i for i, m in enumerate(self.matches) if m[0] >= top), 0 if self.matches else -1)
        self._cache.clear()
        if self.matches and not keep_row:
            self._show_match()
        self.refresh()
        self.post_message(self.MatchMoved())

    def _show_match(self) -> None:
        row, start, _ = self.matches[self.match_index]
        height = self.scrollable_content_region.height
        if not (self.scroll_offset.y <= row < self.scroll_offset.y + height):
            self.scroll_to(y=max(0, row - height // 3), animate=False)
        width = self.scrollable_content_region.width
        if not self.wrap and not (self.scroll_offset.x <= start < self.scroll_offset.x + width - 10):
            self.scroll_to(x=max(0, start - 10), animate=False)
        self._cache.clear()
        self.refresh()
        self.post_message(self.MatchMoved())

    def action_next_match(self) -> None:
        if self.matches:
            self.match_index = (self.match_index + 1) % len(self.matches)
            self._show_match()
        elif self.search_term:
            self.notify(f"No match for {self.search_term!r} in this tab", timeout=2, markup=False)

    def action_previous_match(self) -> None:
        if self.matches:
            self.match_index = (self.match_index - 1) % len(self.matches)
            self._show_match()
        elif self.search_term:
            self.notify(f"No match for {self.search_term!r} in this tab", timeout=2, markup=False)

    def search_status(self) -> str:
        if not self.search_term:
            return ""
        if not self.matches:
            return f"no match for {self.search_term!r}"
        more = "+" if len(self.matches) >= MATCH_LIMIT else ""
        return f"{self.search_term!r}: {self.match_index + 1} of {len(self.matches)}{more}  (n next, N previous, / new search)"

    # --- rendering ---------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= self.line_count:
            return Strip.blank(width, style)
        strip = self._cache.get(index)
        if strip is None:
            item = self._rows[index] if self._rows is not None else self._items[index]
            text = item if isinstance(item, Text) else self._to_text(item)
            text = text.copy()
            text.no_wrap = True
            text.end = ""
            for m in self._by_row.get(index, ()):
                _, start, end = self.matches[m]
                text.stylize(CURRENT_MATCH_STYLE if m == self.match_index else MATCH_STYLE, start, end)
            segments = list(text.render(self.app.console))
            inert = [Segment(safe(seg.text), seg.style, seg.control) for seg in segments]
            if any(a.text is not b.text for a, b in zip(inert, segments, strict=True)):
                # A Text item built elsewhere (a report printer) with a control character in it:
                # drawn visible, never sent to the terminal as is.
                strip = Strip(inert)
            else:
                strip = Strip(segments, text.cell_len)
            self._cache[index] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
