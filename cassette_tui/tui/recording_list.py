"""The recording list: a virtual table that renders only visible rows (Line API).

Refiltering 100k summaries swaps one Python list; nothing is mounted per row.
Flat view sorts by a key; grouped view nests test file > test > recordings.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..model import Summary, summary_sort_key
from ..view import human_size, one_line, short_test


@dataclass(slots=True)
class Row:
    summary: Summary | None      # None for a group header
    label: str = ""              # header text
    depth: int = 0               # indentation in grouped view
    count: int = 0               # recordings under a header


COLUMNS = (  # name, width (0 = flexible), priority (higher survives longer on narrow screens)
    ("", 2, 9),
    ("id", 12, 7),
    ("test", 0, 9),
    ("endpoint", 20, 3),
    ("model", 18, 6),
    ("provider", 9, 2),
    ("stream", 6, 5),
    ("finish", 10, 4),
    ("tool calls", 16, 8),
    ("verify", 8, 4.5),
    ("size", 7, 1),
)
VERIFY_STYLES = {"ok": Style(color="green", dim=True), "stale": Style(color="yellow", bold=True), "orphan": Style(color="yellow", bold=True), "mismatch": Style(color="red", bold=True),
                 "unreadable": Style(color="red"), "missing": Style(color="red"), "not-a-recording": Style(color="red")}
MIN_TEST_WIDTH = 34

SORT_KEYS = ("path", "test", "endpoint", "model", "provider", "chunks", "size", "mtime", "finish", "kind", "status")


def test_name(test_id: str | None) -> str:
    """`test_x[params]` without its file: the file shows in grouped view and in Info."""
    if not test_id:
        return ""
    return test_id.split("::", 1)[-1]


def middle_ellipsis(text: str, width: int) -> str:
    """Keep both ends: a test's name and its parameters are what tell tests apart."""
    if len(text) <= width:
        return text
    if width < 5:
        return text[:width]
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + text[-tail:]


class RecordingList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    RecordingList {
        height: 1fr;
        background: $surface;
    }
    RecordingList > .recording-list--header { text-style: bold; background: $panel; }
    RecordingList > .recording-list--cursor { background: $accent 40%; }
    RecordingList:focus > .recording-list--cursor { background: $accent 70%; }
    RecordingList > .recording-list--group { text-style: bold; color: $text-accent; }
    RecordingList > .recording-list--problem { color: $text-error; }
    RecordingList > .recording-list--changed { color: $text-warning; }
    RecordingList > .recording-list--marked { background: $secondary 30%; }
    RecordingList > .recording-list--dim { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "recording-list--header", "recording-list--cursor", "recording-list--group", "recording-list--problem",
        "recording-list--changed", "recording-list--marked", "recording-list--dim",
    }

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("g,home", "first", "First", show=False),
        Binding("G,end", "last", "Last", show=False),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False),
        Binding("enter,l", "select", "Open", show=False),
    ]

    cursor = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, summary: Summary | None) -> None:
            super().__init__()
            self.summary = summary

    class Selected(Message):
        def __init__(self, summary: Summary) -> None:
            super().__init__()
            self.summary = summary

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self.marked: set[str] = set()        # paths
        self.changed: set[str] = set()       # paths changed by live reload and not yet seen
        self._cache: LRUCache[tuple, Strip] = LRUCache(4096)
        self._widths: list[int] = []

    # --- content -----------------------------------------------------------------------

    def set_summaries(self, summaries: list[Summary], *, grouped: bool, sort: str = "path", reverse: bool = False, keep: str | None = None) -> None:
        """Replace the rows; keep the cursor on the path `keep` (or the current one) when still listed."""
        current = keep if keep is not None else self.current_path
        if grouped:
            self.rows = grouped_rows(summaries)
        else:
            rows = sorted(summaries, key=summary_sort_key(sort), reverse=reverse) if sort != "path" or reverse else summaries
            self.rows = [Row(s) for s in rows]
        self.virtual_size = Size(self.size.width, len(self.rows))
        target = self.index_of(current) if current else None
        if target is None:
            target = next((i for i, r in enumerate(self.rows) if r.summary is not None), 0)
            target = min(self.cursor, len(self.rows) - 1) if self.cursor and self.rows and current else target
        self.cursor = max(0, min(target, len(self.rows) - 1))
        self.refresh()

    def index_of(self, path: str | None) -> int | None:
        if path is None:
            return None
        for i, row in enumerate(self.rows):
            if row.summary is not None and row.summary.path == path:
                return i
        return None

    @property
    def current(self) -> Summary | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor].summary
        return None

    @property
    def current_path(self) -> str | None:
        s = self.current
        return s.path if s else None

    @property
    def recording_count(self) -> int:
        return sum(1 for r in self.rows if r.summary is not None)

    def refresh_rows(self) -> None:
        self._cache.clear()
        self.refresh()

    # --- cursor ------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_cursor()
        summary = self.current
        if summary is not None and summary.path in self.changed:
            self.changed.discard(summary.path)   # seen now
        self.post_message(self.Highlighted(summary))
        self.refresh()

    def scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height - 1  # minus the header
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif height > 0 and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_cursor_down(self) -> None:
        if self.cursor < len(self.rows) - 1:
            self.cursor += 1

    def action_cursor_up(self) -> None:
        if self.cursor > 0:
            self.cursor -= 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(0, len(self.rows) - 1)

    def action_page_down(self) -> None:
        self.cursor = min(len(self.rows) - 1, self.cursor + max(1, self.scrollable_content_region.height - 2))

    def action_page_up(self) -> None:
        self.cursor = max(0, self.cursor - max(1, self.scrollable_content_region.height - 2))

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self.current))

    def on_click(self, event) -> None:
        row = self.scroll_offset.y + event.y - 1
        if 0 <= row < len(self.rows):
            self.focus()
            if row == self.cursor:
                self.action_select()
            self.cursor = row

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.rows))

    # --- rendering ---------------------------------------------------------------------

    def _column_widths(self, width: int) -> list[int]:
        """Widths per column; 0 hides one. Low-priority columns give way so the test stays readable."""
        widths = [w for _, w, _ in COLUMNS]
        by_priority = sorted((p, i) for i, (_, w, p) in enumerate(COLUMNS) if w)
        while True:
            fixed = sum(w + 1 for i, w in enumerate(widths) if w and COLUMNS[i][1])
            flex = width - fixed - 1
            if flex >= MIN_TEST_WIDTH or not by_priority:
                break
            _, drop = by_priority.pop(0)
            widths[drop] = 0
        return [w if COLUMNS[i][1] else max(12, flex) for i, w in enumerate(widths)]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width).apply_style(base)
        index = self.scroll_offset.y + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, base)
        key = self._row_key(index, width)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(index, width).apply_style(base)
            self._cache[key] = strip
        return strip

    def _row_key(self, index: int, width: int) -> tuple:
        """What a row's drawing depends on, so strips survive refiltering and cursor moves."""
        row = self.rows[index]
        s = row.summary
        cursor = index == self.cursor and self.has_focus, index == self.cursor
        if s is None:
            return ("#", row.label, row.depth, row.count, width, cursor)
        return (s.path, s.mtime, s.size, s.problem, s.status, row.depth, width, cursor, s.path in self.marked, s.path in self.changed)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _header(self, width: int) -> Strip:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for (name, _, _), w in zip(COLUMNS, self._column_widths(width), strict=True):
            if w:
                text.append(name[:w].ljust(w) + " ")
        style = self.get_component_rich_style("recording-list--header")
        text.stylize(style)
        return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, style)

    def _render_row(self, index: int, width: int) -> Strip:
        row = self.rows[index]
        text = Text(no_wrap=True, end="")
        s = row.summary
        if s is None:
            # The label is a recorded test id: inert like every cell.
            text.append("  " * row.depth + ("▾ " if row.depth == 0 else "• ") + one_line(row.label, None), self.get_component_rich_style("recording-list--group"))
            text.append(f"  {row.count}", self.get_component_rich_style("recording-list--dim"))
        else:
            widths = self._column_widths(width)
            dim = self.get_component_rich_style("recording-list--dim")
            marks = ("*" if s.path in self.marked else " ") + ("●" if s.path in self.changed else ("!" if s.problem else ("⚠" if s.anomalies else " ")))
            if row.depth:  # grouped: the headers name the test; the row says where in it we are
                test = "  " * row.depth + (s.endpoint or "" if s.kind == "tool" else f"{s.messages} message{'s' if s.messages != 1 else ''} sent")
            else:
                test = test_name(s.test_id) or s.path
            cells = [
                (marks, Style(color="yellow", bold=True)),
                (s.id[:12], Style(color="magenta")),
                (test, Style(color="green")),
                (s.endpoint or "", Style()),
                (s.model or "", Style(color="yellow")),
                (s.provider or "", Style()),
                (str(s.chunks) if s.streaming else "no", dim if not s.streaming else Style()),
                (s.finish or ("-" if s.kind in ("chat", "completion") and not s.problem else ""), Style(color="dark_orange") if s.finish == "length" else Style()),
                (", ".join(s.tool_calls), Style(color="yellow", bold=True)),
                (s.status or "", VERIFY_STYLES.get(s.status or "", dim)),
                (human_size(s.size), dim),
            ]
            if s.problem:
                cells[2] = (f"{s.path}: {s.problem}", self.get_component_rich_style("recording-list--problem"))
            for col, ((value, style), w) in enumerate(zip(cells, widths, strict=True)):
                if not w:
                    continue
                value = one_line(value, None)  # one line, no raw tab (it would jump the cursor), no invisible character
                if len(value) > w:
                    value = middle_ellipsis(value, w) if col == 2 else value[: max(0, w - 1)] + "…"
                text.append(value.ljust(w) + " ", style)
            if s.path in self.changed:
                text.stylize(self.get_component_rich_style("recording-list--changed"), 0, 2)
            if s.path in self.marked:
                text.stylize(self.get_component_rich_style("recording-list--marked"))
        if index == self.cursor:
            text.stylize(self.get_component_rich_style("recording-list--cursor"))
        strip = Strip(text.render(self.app.console), text.cell_len)
        cursor_style = self.get_component_rich_style("recording-list--cursor") if index == self.cursor else None
        return strip.crop_extend(0, width, cursor_style)


def grouped_rows(summaries: list[Summary]) -> list[Row]:
    """Test file > test > recordings, each test's recordings in turn order (shortest history first)."""
    files: dict[str, dict[str, list[Summary]]] = {}
    loose: list[Summary] = []
    for s in summaries:
        if not s.test_id:
            loose.append(s)
            continue
        file, _, name = s.test_id.partition("::")
        files.setdefault(file, {}).setdefault(name or s.test_id, []).append(s)
    rows: list[Row] = []
    for file in sorted(files):
        tests = files[file]
        rows.append(Row(None, short_test(file), 0, sum(len(v) for v in tests.values())))
        for name in sorted(tests):
            recs = sorted(tests[name], key=lambda s: (s.kind == "tool", s.messages, s.path))
            rows.append(Row(None, name, 1, len(recs)))
            rows.extend(Row(s, depth=2) for s in recs)
    if loose:
        rows.append(Row(None, "(no test id)", 0, len(loose)))
        rows.extend(Row(s, depth=1) for s in loose)
    return rows
