"""The detail pane: one recording in tabs, every tab a virtual line view.

`build_detail` runs in a worker thread and does all the reading and laying out;
the pane only swaps line lists in, so a huge recording never blocks a keystroke.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static, TabbedContent, TabPane, Tabs

from ..index import Index
from ..jsonio import dumps_pretty
from ..model import Summary
from ..recording import Recording, name_form
from ..timeline import test_turns, turns_to_read
from ..view import Line, Section, Span, conversation_section, recording_sections, safe, stream_lines, turns_section
from .lines_view import LinesView

if TYPE_CHECKING:
    from ..verify import Verdict

LINE_CLIP = 4_000          # characters of one JSON line drawn; the rest is summarized
# Lines of one tab kept for a widget (real recordings stay far below: ~400 chunks, ~4,000 JSON
# lines). A 100,000-chunk stream would otherwise hold millions of objects, and the garbage
# collector's passes over them freeze the UI for a second at a time.
JSON_LINES_LIMIT = 20_000
STREAM_LIMIT = 20_000

TABS = ("conversation", "stream", "timeline", "request", "response", "info")


@dataclass
class DetailContent:
    path: str
    conversation: list[Line] = field(default_factory=list)
    stream: list[Line] = field(default_factory=list)
    timeline: list[Line] = field(default_factory=list)
    request: list[str] = field(default_factory=list)
    response: list[str] = field(default_factory=list)
    info: list[Line] = field(default_factory=list)
    recording: Recording | None = None
    seconds: float = 0.0


def _section_lines(sections: list[Section]) -> list[Line]:
    lines: list[Line] = []
    for i, section in enumerate(sections):
        if i:
            lines.append(Line())
        title = [Span(section.title, section.style or "title")]
        if section.note:
            title.append(Span(f"  {section.note}", "dim"))
        if section.folded:
            title.append(Span("  (names only: the full schemas are in the Request tab)", "dim"))
        lines.append(Line(title))
        lines.extend(section.lines)
    return lines


def json_lines(value: object) -> list[str]:
    lines = dumps_pretty(value).splitlines()
    out = []
    for line in lines[:JSON_LINES_LIMIT]:
        if len(line) > LINE_CLIP:
            line = line[:LINE_CLIP] + f" … [{len(line) - LINE_CLIP:,} more characters; `cassette-tui show --json` prints all]"
        out.append(line)
    if len(lines) > JSON_LINES_LIMIT:
        out.append(f"… [{len(lines) - JSON_LINES_LIMIT:,} more lines; `cassette-tui show --json` prints all]")
    return out


def response_lines(response: Any) -> list[str]:
    """The response as pretty JSON; a body of SSE text lines as the events they carry, data parsed."""
    from ..streams import parse_sse

    body = response.get("body") if isinstance(response, dict) else None
    if not (isinstance(body, list) and body and all(isinstance(x, str) for x in body)
            and any(x.startswith(("event:", "data:")) for x in body[:4])):
        return json_lines(response)
    events = [{"event": name, "data": data} for _, name, data in parse_sse(body)]
    note = f"// {len(body)} SSE lines shown as their {len(events)} events, each data parsed (the raw lines: cassette-tui show --json)"
    return [note, *json_lines({**response, "body": events})]


def build_detail(index: Index | None, summary: Summary, verdict: Verdict | None = None) -> DetailContent:
    """Everything the tabs show for one recording; `verdict` is its verify.Verdict, when known."""
    t0 = time.perf_counter()
    rec = index.load(summary) if index is not None else Recording.load(summary.path)
    content = DetailContent(summary.path, recording=rec)
    content.info = _info_lines(rec, summary, verdict)
    if rec.problem:
        problem = [Line([Span("This file is not a readable recording.", "error")]), Line([Span(safe(rec.problem), "error")])]
        content.conversation = problem
        content.stream = content.timeline = problem
        content.request = content.response = [f"({rec.problem})"]
        content.seconds = time.perf_counter() - t0
        return content
    content.conversation = _section_lines(recording_sections(rec, display_path=summary.path))
    result = rec.result
    content.stream = stream_lines(result, limit=STREAM_LIMIT) if result.events else [Line([Span("Not a streamed response: " + (result.output or result.stream_format), "dim")])]
    content.request = json_lines(rec.request)
    content.response = response_lines(rec.response)
    content.timeline = _timeline_lines(index, rec, summary)
    content.seconds = time.perf_counter() - t0
    return content


def _timeline_lines(index: Index | None, rec: Recording, summary: Summary) -> list[Line]:
    sections = [conversation_section(rec)]
    sections[0].title = "This recording"
    if index is not None and summary.test_id:
        chosen, too_large = turns_to_read((s for s in index.summaries.values() if s.test_id == summary.test_id), keep=summary.path)
        turns = turns_section(test_turns([rec if s.path == summary.path else index.load(s) for s in chosen]), current=rec.id)
        if too_large:
            turns.add((f"{len(too_large)} recording{'s' if len(too_large) != 1 else ''} of this test left out, too large to read for a timeline: ", "warn"),
                      (safe(", ".join(s.path for s in too_large[:5])) + (" …" if len(too_large) > 5 else ""), "dim"))
        sections.append(turns)
    elif not summary.test_id:
        sections.append(Section("Turns", lines=[Line([Span("This recording has no test id, so it has no test timeline.", "dim")])], style="title"))
    return _section_lines(sections)


def _info_lines(rec: Recording, summary: Summary, verdict: Verdict | None = None) -> list[Line]:
    rows = [
        ("path", rec.path),
        ("id", rec.id),
        ("name form", name_form(rec.id)),
        ("size", f"{summary.size:,} bytes"),
        ("modified", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(summary.mtime)) if summary.mtime else "-"),
        ("kind", summary.kind),
        ("era", summary.era or "-"),
        ("test id", summary.test_id or "-"),
        ("endpoint", summary.endpoint or "-"),
        ("url", rec.url or "-"),
        ("model", summary.model or "-"),
        ("provider", summary.provider or "-"),
        ("host", summary.host or "-"),
        ("streaming", f"yes, {summary.chunks} chunks" if summary.streaming else "no"),
        ("finish", (summary.finish_reason if summary.finish == summary.finish_reason else f"{summary.finish_reason} ({summary.finish})") if summary.finish_reason else "-"),
        ("messages", str(summary.messages)),
        ("tools offered", ", ".join(summary.tools) or "-"),
        ("tool calls", ", ".join(summary.tool_calls) or "-"),
        ("anomalies", ", ".join(summary.anomalies) or "-"),
        ("verify", (f"{verdict.status} ({verdict.algorithm})" if verdict.algorithm else verdict.status) if verdict else summary.status or "-"),
        ("why", verdict.full_detail if verdict and verdict.full_detail else "-"),
        ("today's hash", verdict.expected if verdict and verdict.expected else "-"),
        ("problem", summary.problem or "-"),
        ("note", rec.note or "-"),
    ]
    return [Line([Span(f"{k:<14}", "key"), Span(safe(v), "error" if k == "problem" and v != "-" else "")]) for k, v in rows]


_JSON_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|\b(true|false|null)\b')


def json_styler(line: str) -> Text:
    """Colour one line of pretty JSON: keys, strings, numbers, literals."""
    text = Text(safe(line))
    plain = text.plain
    for m in _JSON_TOKEN.finditer(plain):
        if m.group(1):
            text.stylize("bold cyan" if m.group(2) else "green", m.start(1), m.end(1))
        elif m.group(3):
            text.stylize("magenta", m.start(3), m.end(3))
        elif m.group(4):
            text.stylize("italic yellow", m.start(4), m.end(4))
    return text


class SearchBox(Input):
    """The detail's search: Enter finds, Esc closes."""

    BINDINGS = [Binding("escape", "close", "Close the search", show=False)]

    class Closed(Message):
        pass

    def action_close(self) -> None:
        self.post_message(self.Closed())


class DetailPane(Vertical):
    """Tabs over one recording; `active` names the shown tab. `/` in a tab searches the tabs."""

    DEFAULT_CSS = """
    DetailPane { height: 1fr; }
    DetailPane TabbedContent { height: 1fr; }
    DetailPane TabPane { padding: 0; }
    DetailPane #detail-search { display: none; height: 3; }
    DetailPane.searching #detail-search { display: block; }
    DetailPane #search-status { display: none; height: 1; padding: 0 1; background: $panel; }
    DetailPane.searched #search-status { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content: DetailContent | None = None

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="conversation"):
            with TabPane("1 Conversation", id="conversation"):
                yield LinesView(id="conversation-view")
            with TabPane("2 Stream", id="stream"):
                yield LinesView(id="stream-view", wrap=False)
            with TabPane("3 Timeline", id="timeline"):
                yield LinesView(id="timeline-view")
            with TabPane("4 Request", id="request"):
                yield LinesView(id="request-view", wrap=False, styler=json_styler)
            with TabPane("5 Response", id="response"):
                yield LinesView(id="response-view", wrap=False, styler=json_styler)
            with TabPane("6 Info", id="info"):
                yield LinesView(id="info-view")
        yield Static("", id="search-status", markup=False)
        yield SearchBox(placeholder="search the detail  (Enter finds, Esc closes; then n / N)", id="detail-search")

    @property
    def active(self) -> str:
        return self.query_one(TabbedContent).active

    @active.setter
    def active(self, tab: str) -> None:
        # Reading the detail, a number key switches what is read: the new tab's view takes the
        # focus (the hidden one would hand it to the tab bar, where j and the arrows move nothing).
        reading = self.has_focus_within and not self.query_one(SearchBox).has_focus
        self.query_one(TabbedContent).active = tab
        if reading:
            self.view(tab).focus()
        self._search_status()

    # --- search (every tab holds the term; the shown one's matches are counted) --------

    def on_lines_view_search_requested(self, message: LinesView.SearchRequested) -> None:
        message.stop()
        self.open_search()

    def open_search(self) -> None:
        """Show the search box with the current term, focused at once (the next keys are the term)."""
        box = self.query_one(SearchBox)
        self.add_class("searching")
        box.value = self.view(self.active).search_term
        self.screen.set_focus(box)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id != "detail-search":
            return
        message.stop()
        for tab in TABS:
            self.view(tab).search(message.value)
        self._close_search()

    def on_search_box_closed(self, message: SearchBox.Closed) -> None:
        self._close_search()

    def _close_search(self) -> None:
        self.remove_class("searching")
        self.view(self.active).focus()
        self._search_status()

    def on_lines_view_match_moved(self, message: LinesView.MatchMoved) -> None:
        self._search_status()

    def on_tabbed_content_tab_activated(self, message: TabbedContent.TabActivated) -> None:
        self._search_status()

    def _search_status(self) -> None:
        text = self.view(self.active).search_status()
        self.query_one("#search-status", Static).update(text)
        self.set_class(bool(text), "searched")

    def on_mount(self) -> None:
        # Tab from the list goes to the content: the tab bar is for the mouse and 1..6.
        self.query_one(Tabs).can_focus = False

    def view(self, tab: str) -> LinesView:
        return self.query_one(f"#{tab}-view", LinesView)

    def show(self, content: DetailContent) -> None:
        self.content = content
        for tab in TABS:
            self.view(tab).set_lines(getattr(content, tab))

    def show_message(self, message: str) -> None:
        self.content = None
        for tab in TABS:
            self.view(tab).set_lines([Line([Span(message, "dim")])])
