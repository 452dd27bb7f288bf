"""A scrolling view of many lines that renders only what is visible (Textual's Line API).

Used for every detail tab: a 1 MB response pretty-printed to tens of thousands of
lines costs a list of strings, not a widget tree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..rich_view import line_text
from ..view import Line, safe

# A line source is a list of view Lines, rich Texts or plain strings (styled on demand).
LineItem = Line | Text | str


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
    ]

    def __init__(self, *, wrap: bool = True, styler: Callable[[str], Text] | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.wrap = wrap
        self.styler = styler
        self._items: Sequence[LineItem] = []
        self._rows: list[Text | str] | None = None   # items laid out for the current width (wrapped)
        self._layout_width = 0
        self._cache: LRUCache[int, Strip] = LRUCache(2048)
        self._max_width = 0

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
        width = max(self.scrollable_content_region.width, 10)
        if not self.wrap:
            # Unwrapped: one row per item; width is the longest line (measured lazily as strings).
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
