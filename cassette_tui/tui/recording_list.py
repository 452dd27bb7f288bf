"""The recording list: a virtual table that renders only visible rows (Line API).

Refiltering 100k summaries swaps one Python list; nothing is mounted per row.
Flat view sorts by a key; grouped view nests test file > test > recordings, and
folds. (About 450 lines: the rows, the cursor and the drawing share one state.)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..model import Summary, summary_sort_key
from ..rich_view import STYLES
from ..rows import LIST_COLUMNS, SiblingLabels, TestLabel, fit_test_label, row_cells, row_marker
from ..view import one_line, short_test


@dataclass(slots=True)
class Row:
    summary: Summary | None      # None for a group header
    label: str = ""              # header text
    depth: int = 0               # indentation in grouped view
    count: int = 0               # recordings under a header
    key: str = ""                # a header's group (file, or file::test), for collapsing
    collapsed: bool = False


class FlatRows(Sequence[Row]):
    """The flat view's rows over the summaries themselves: a Row is made only for a row drawn or
    asked for (making 100,000 of them cost 30 ms a keystroke)."""

    __slots__ = ("summaries",)

    def __init__(self, summaries: list[Summary]) -> None:
        self.summaries = summaries

    def __len__(self) -> int:
        return len(self.summaries)

    @overload
    def __getitem__(self, i: int) -> Row: ...
    @overload
    def __getitem__(self, i: slice) -> list[Row]: ...

    def __getitem__(self, i: int | slice) -> Row | list[Row]:
        if isinstance(i, slice):
            return [Row(s) for s in self.summaries[i]]
        return Row(self.summaries[i])

    def __iter__(self) -> Iterator[Row]:
        return (Row(s) for s in self.summaries)


COLUMN_NAMES = tuple(c.name for c in LIST_COLUMNS)
MARKER_WIDTH = 2   # marked (*), then the row's own marker (● ! ✗ ⚠)
# On a narrow list these shrink before anything is dropped: the id's first 8 hex digits and
# a model's first letters still tell rows apart.
SHRINK_TO = {"id": 8, "model": 12}
MIN_TEST_WIDTH = 20
VERIFY_STYLES = {"ok": Style(color="green", dim=True), "stale": Style(color="yellow", bold=True), "orphan": Style(color="yellow", bold=True), "mismatch": Style(color="red", bold=True),
                 "unreadable": Style(color="red"), "missing": Style(color="red"), "not-a-recording": Style(color="red")}
MARKER_STYLES = {"!": "recording-list--problem", "✗": "recording-list--problem", "⚠": "recording-list--warn"}
MARK_STYLE = Style(color="yellow", bold=True)
DIM = Style(dim=True)


@functools.lru_cache(maxsize=64)
def _parsed(style: str) -> Style:
    return Style.parse(style) if style else Style.null()


def column_widths(width: int) -> list[int]:
    """Widths of LIST_COLUMNS in a list `width` wide; 0 hides one. The test column (flexible) keeps at
    least MIN_TEST_WIDTH: the lowest-priority columns give way first, id and model shrink before going."""
    widths = [c.width for c in LIST_COLUMNS]
    steps = sorted((c.priority, i) for i, c in enumerate(LIST_COLUMNS) if c.width)
    shrunk: list[tuple[float, int]] = []

    def flex() -> int:
        return width - MARKER_WIDTH - 1 - sum(w + 1 for i, w in enumerate(widths) if w and LIST_COLUMNS[i].width) - 1

    while flex() < MIN_TEST_WIDTH and (steps or shrunk):
        if steps:
            priority, i = steps.pop(0)
            name = LIST_COLUMNS[i].name
            if name in SHRINK_TO:
                widths[i] = SHRINK_TO[name]
                shrunk.append((priority, i))
                continue
        else:
            _, i = shrunk.pop(0)
        widths[i] = 0
    return [w if LIST_COLUMNS[i].width else max(12, flex()) for i, w in enumerate(widths)]




def test_name(test_id: str | None) -> str:
    """`test_x[params]` without its file: the file shows in grouped view and in Info."""
    if not test_id:
        return ""
    return test_id.split("::", 1)[-1]


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
    RecordingList > .recording-list--warn { color: $text-warning; }
    RecordingList > .recording-list--changed { color: $text-warning; }
    RecordingList > .recording-list--marked { background: $secondary 30%; }
    RecordingList > .recording-list--dim { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "recording-list--header", "recording-list--cursor", "recording-list--group", "recording-list--problem",
        "recording-list--warn", "recording-list--changed", "recording-list--marked", "recording-list--dim",
    }

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("g,home", "first", "First", show=False),
        Binding("G,end", "last", "Last", show=False),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False),
        Binding("right_square_bracket", "next_test", "Next test", show=False),
        Binding("left_square_bracket", "previous_test", "Previous test", show=False),
        Binding("enter,l", "select", "Open the recording; on a group's header, fold or unfold it", show=False),
        Binding("space", "toggle_group", "Fold or unfold the group under the cursor (grouped view)", show=False),
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
        self.rows: Sequence[Row] = []
        self.marked: set[str] = set()        # paths
        self.changed: set[str] = set()       # paths changed by live reload and not yet seen
        self.collapsed: set[str] = set()     # group keys folded in grouped view
        self.labels = SiblingLabels(())   # test id -> its label in the flat list (siblings told apart)
        # the last recording the cursor was on (kept across views); not `anchor`, a Widget method
        self.anchor_path: str | None = None
        self._summaries: list[Summary] = []
        self._label_source: list[Summary] | None = None
        self._view: tuple[bool, str, bool] = (False, "path", False)
        self._cache: LRUCache[tuple, Strip] = LRUCache(4096)

    # --- content -----------------------------------------------------------------------

    def set_summaries(self, summaries: list[Summary], *, grouped: bool, sort: str = "path", reverse: bool = False, keep: str | None = None,
                      everything: list[Summary] | None = None) -> None:
        """Replace the rows; keep the cursor on the path `keep` (or the current one) when still listed.
        `everything` (all recordings, the filter aside) names the siblings test labels are told apart from:
        labels that do not change as the filter is typed, computed once per index state."""
        current = keep if keep is not None else (self.current_path or self.anchor_path)
        source = everything if everything is not None else summaries
        if source is not self._label_source:
            self._label_source = source
            self.labels = SiblingLabels(s.test_id for s in source)
        self._summaries, self._view = summaries, (grouped, sort, reverse)
        if grouped and current is not None:
            self._unfold_for(current, summaries)
        self._build_rows()
        target = self.index_of(current) if current else None
        if target is None:
            target = next((i for i, r in enumerate(self.rows) if r.summary is not None), 0)
            target = min(self.cursor, len(self.rows) - 1) if self.cursor and self.rows and current else target
        self.cursor = max(0, min(target, len(self.rows) - 1))
        self.refresh()

    def _build_rows(self) -> None:
        grouped, sort, reverse = self._view
        summaries = self._summaries
        if grouped:
            self.rows = grouped_rows(summaries, self.collapsed, sort=sort, reverse=reverse)
        else:
            rows = sorted(summaries, key=summary_sort_key(sort), reverse=reverse) if sort != "path" or reverse else summaries
            self.rows = FlatRows(rows)
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.rows))

    def _unfold_for(self, path: str, summaries: list[Summary]) -> None:
        """The groups holding `path` open, so the cursor's recording stays in sight across views."""
        s = next((x for x in summaries if x.path == path), None)
        if s is not None and s.test_id:
            file, _, name = s.test_id.partition("::")
            self.collapsed.discard(file)
            self.collapsed.discard(f"{file}::{name or s.test_id}")

    def index_of(self, path: str | None) -> int | None:
        if path is None:
            return None
        if isinstance(self.rows, FlatRows):
            return next((i for i, s in enumerate(self.rows.summaries) if s.path == path), None)
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
    def current_row(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    @property
    def current_path(self) -> str | None:
        s = self.current
        return s.path if s else None

    @property
    def recording_count(self) -> int:
        if isinstance(self.rows, FlatRows):
            return len(self.rows)
        return sum(1 for r in self.rows if r.summary is not None)

    def refresh_rows(self) -> None:
        self._cache.clear()
        self.refresh()

    # --- groups ------------------------------------------------------------------------

    def action_toggle_group(self) -> None:
        """Fold or unfold the header under the cursor (on a recording: the test holding it)."""
        row = self.current_row
        if row is None or not self._view[0]:
            return
        index = self.cursor
        if row.summary is not None:   # a recording: fold its test, the cursor goes to the header
            header = next((i for i in range(self.cursor, -1, -1) if self.rows[i].summary is None), None)
            if header is None:
                return
            index, row = header, self.rows[header]
        if row.key in self.collapsed:
            self.collapsed.discard(row.key)
        else:
            self.collapsed.add(row.key)
        self._build_rows()
        self.cursor = min(index, len(self.rows) - 1)
        self.refresh()

    def _test_starts(self) -> list[int]:
        """Row indexes where a test begins: its header (grouped) or its first row (flat)."""
        if self._view[0]:
            return [i for i, r in enumerate(self.rows) if r.summary is None and (r.depth == 1 or r.key == LOOSE)]
        starts, last = [], object()
        for i, s in enumerate(self.rows.summaries if isinstance(self.rows, FlatRows) else [r.summary for r in self.rows]):
            test = s.test_id if s else None
            if test != last:
                starts.append(i)
                last = test
        return starts

    def _landing(self, start: int) -> int:
        """A test's first recording when shown, else its header (folded)."""
        if self._view[0] and start + 1 < len(self.rows) and self.rows[start + 1].summary is not None:
            return start + 1
        return start

    def action_next_test(self) -> None:
        starts = self._test_starts()
        mine = max((i for i in starts if i <= self.cursor), default=self.cursor)
        nxt = next((i for i in starts if i > mine), None)
        if nxt is not None:
            self.cursor = self._landing(nxt)

    def action_previous_test(self) -> None:
        """To the start of the test the cursor is in; from there, to the one before."""
        starts = self._test_starts()
        mine = max((i for i in starts if i <= self.cursor), default=None)
        if mine is None:
            return
        if self.cursor > self._landing(mine):
            self.cursor = self._landing(mine)
            return
        prev = max((i for i in starts if i < mine), default=None)
        if prev is not None:
            self.cursor = self._landing(prev)

    # --- cursor ------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_cursor()
        summary = self.current
        if summary is not None:
            self.anchor_path = summary.path
            if summary.path in self.changed:
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
        elif self.current_row is not None:
            self.action_toggle_group()

    def on_click(self, event: events.Click) -> None:
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
            return ("#", row.label, row.depth, row.count, row.collapsed, width, cursor)
        label = self.labels.get(s.test_id) if not row.depth else None
        return (s.path, s.mtime, s.size, s.problem, s.status, row.depth, label, width, cursor, s.path in self.marked, s.path in self.changed)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _header(self, width: int) -> Strip:
        text = Text(" " * (MARKER_WIDTH + 1), no_wrap=True, overflow="ellipsis", end="")
        for name, w in zip(COLUMN_NAMES, column_widths(width), strict=True):
            if w:
                text.append(name[:w].ljust(w) + " ")
        style = self.get_component_rich_style("recording-list--header")
        text.stylize(style)
        return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, style)

    def _test_cell(self, row: Row, s: Summary, width: int) -> str:
        if row.depth:  # grouped: the headers name the test; the row says where in it we are
            return "  " * row.depth + (s.endpoint or "" if s.kind == "tool" else f"{s.messages} message{'s' if s.messages != 1 else ''} sent")
        if not s.test_id:   # the id column names the file; say what it was
            return one_line(f"(no test id) {s.endpoint or s.kind}", None)
        label = self.labels.get(s.test_id) or TestLabel(test_name(s.test_id), False)
        return fit_test_label(one_line(label.text, None), width, keep_params=label.distinct)

    def _render_row(self, index: int, width: int) -> Strip:
        """Segments straight from the cells (each already one inert line): going through a Rich
        Text and rendering it cost half a millisecond a row, a whole screen of rows per keystroke."""
        row = self.rows[index]
        s = row.summary
        cells: list[tuple[str, Style]] = []
        if s is None:
            # The label is a recorded test id: inert like every cell.
            arrow = "▸ " if row.collapsed else "▾ "
            cells.append(("  " * row.depth + arrow + one_line(row.label, None), self.get_component_rich_style("recording-list--group")))
            cells.append((f"  {row.count}" + ("  (folded: Enter or space unfolds)" if row.collapsed else ""),
                          self.get_component_rich_style("recording-list--dim")))
        else:
            own = "●" if s.path in self.changed else row_marker(s)
            cells.append(("*" if s.path in self.marked else " ", MARK_STYLE))
            cells.append(((own or " ") + " ", self.get_component_rich_style(MARKER_STYLES[own]) if own in MARKER_STYLES else MARK_STYLE))
            for (name, w), cell in zip(zip(COLUMN_NAMES, column_widths(width), strict=True), row_cells(s, COLUMN_NAMES), strict=True):
                if not w:
                    continue
                style = VERIFY_STYLES.get(cell.text, DIM) if name == "verify" else _parsed(STYLES.get(cell.style, ""))
                value = cell.text
                if name == "test":
                    if s.problem:
                        value, style = one_line(f"{s.path}: {s.problem}", None), self.get_component_rich_style("recording-list--problem")
                    else:
                        value = self._test_cell(row, s, w)
                    if cell_len(value) > w:
                        value = set_cell_size(value, w - 1) + "…"
                elif name != "id" and cell_len(value) > w:   # a prefix of a hash is still an id (and what `show` takes)
                    value = set_cell_size(value, max(0, w - 1)) + "…"
                cells.append((set_cell_size(value, w) + " ", style))
            if s.path in self.changed:
                changed = self.get_component_rich_style("recording-list--changed")
                cells[:2] = [(text, style + changed) for text, style in cells[:2]]
            if s.path in self.marked:
                marked = self.get_component_rich_style("recording-list--marked")
                cells = [(text, style + marked) for text, style in cells]
        cursor_style = self.get_component_rich_style("recording-list--cursor") if index == self.cursor else None
        if cursor_style is not None:
            cells = [(text, style + cursor_style) for text, style in cells]
        segments = [Segment(text, style) for text, style in cells]
        return Strip(segments).crop_extend(0, width, cursor_style)


LOOSE = "(no test id)"


def grouped_rows(summaries: list[Summary], collapsed: set[str] | frozenset[str] = frozenset(), *, sort: str = "path", reverse: bool = False) -> list[Row]:
    """Test file > test > recordings. Within a test, turn order (shortest history first), or the
    chosen sort key (`o`, `v`): the groups stay in name order, the recordings in each are sorted."""
    files: dict[str, dict[str, list[Summary]]] = {}
    loose: list[Summary] = []
    for s in summaries:
        if not s.test_id:
            loose.append(s)
            continue
        file, _, name = s.test_id.partition("::")
        files.setdefault(file, {}).setdefault(name or s.test_id, []).append(s)
    if sort == "path" and not reverse:
        def order(recs: list[Summary]) -> list[Summary]:
            return sorted(recs, key=lambda s: (s.kind == "tool", s.messages, s.path))
    else:
        def order(recs: list[Summary]) -> list[Summary]:
            return sorted(recs, key=summary_sort_key(sort), reverse=reverse)
    rows: list[Row] = []
    for file in sorted(files):
        tests = files[file]
        folded = file in collapsed
        rows.append(Row(None, short_test(file), 0, sum(len(v) for v in tests.values()), key=file, collapsed=folded))
        if folded:
            continue
        for name in sorted(tests):
            key = f"{file}::{name}"
            recs = order(tests[name])
            rows.append(Row(None, name, 1, len(recs), key=key, collapsed=key in collapsed))
            if key not in collapsed:
                rows.extend(Row(s, depth=2) for s in recs)
    if loose:
        rows.append(Row(None, LOOSE, 0, len(loose), key=LOOSE, collapsed=LOOSE in collapsed))
        if LOOSE not in collapsed:
            rows.extend(Row(s, depth=1) for s in order(loose))
    return rows
