"""Explain a replay miss, and review what changed since a git ref: two screens on core reports.

Both draw with the same Rich printers as the CLI (rich_reports), captured into
lines for a virtual LinesView, so the TUI and `cassette-tui explain` agree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from ..rich_reports import print_explanation, print_findings, print_git_report
from .lines_view import LinesView


def capture(printer: Callable[[Console], None]) -> list[Text]:
    """What a Rich printer writes, as styled lines (recorded text in it is already made safe)."""
    console = Console(color_system="truecolor", force_terminal=True, soft_wrap=True, highlight=False, width=400)
    with console.capture() as cap:
        printer(console)
    return Text.from_ansi(cap.get()).split("\n")


def explain_text(text: str, index: Any, table: Any) -> list[Text]:
    """Explain whatever was pasted: a CI log (one or more misses), a hash, or a recording's path."""
    from ..explain import explain, group_explanations, is_hash, miss_from_hash, miss_from_recording, parse_log
    from ..explain.rerecord import load_setups
    from ..recording import Recording

    text = text.strip()
    if not text:
        return [Text("Paste a replay-miss message, a request hash or a recording's path, then press ctrl+r.", "dim")]
    path = Path(text)
    if "\n" not in text and is_hash(text):
        misses = [miss_from_hash(text.lower())]
    elif "\n" not in text and len(text) < 4096 and path.is_file():
        rec = Recording.load(path)
        misses = [miss_from_recording(rec)] if not rec.problem and rec.request else parse_log(path.read_text("utf-8", "replace"))
    else:
        misses = parse_log(text)
    if not misses:
        return [
            Text("No replay-miss message found in that text.", "bold yellow"),
            Text('Expected e.g. "Recording not found for request hash: 5c1e…" (any variant, wrapped or indented), a hash, or a path.', "dim"),
        ]
    explanations = [explain(miss, index, table=table) for miss in misses]
    setups = load_setups(index.root)
    lines: list[Text] = []
    if len(explanations) > 1:   # the findings first, then each miss in full
        lines.extend(capture(lambda console: print_findings(console, group_explanations(explanations), None, setups)))
    for n, ex in enumerate(explanations, 1):
        if lines:
            lines.append(Text(""))
        lines.extend(capture(lambda console, ex=ex, n=n: print_explanation(console, ex, n, len(explanations), None, setups)))
    return lines


class ExplainScreen(ModalScreen[None]):
    """Paste a CI log line (or several), a hash, or a path; see why replay missed."""

    DEFAULT_CSS = """
    ExplainScreen { align: center middle; }
    ExplainScreen > #explain-box { width: 96%; height: 94%; border: thick $accent; background: $surface; }
    ExplainScreen #explain-help { height: 1; padding: 0 1; color: $text-muted; }
    ExplainScreen TextArea { height: 7; }
    ExplainScreen LinesView { height: 1fr; }
    """
    BINDINGS = [
        Binding("ctrl+r", "run", "Explain", priority=True),
        Binding("escape", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="explain-box"):
            yield Static("Explain a replay miss: paste a log excerpt, a hash or a path, then ctrl+r.  esc closes.", id="explain-help")
            yield TextArea(id="explain-input", soft_wrap=True)
            yield LinesView(id="explain-view")

    def on_mount(self) -> None:
        self.query_one(LinesView).set_lines([Text("The ranked candidates and what differs will show here.", "dim")])
        self.query_one(TextArea).focus()

    def action_run(self) -> None:
        self.query_one(LinesView).set_lines([Text("Explaining… (the first time hashes every recording)", "dim")])
        self.run_explain(self.query_one(TextArea).text)

    @work(thread=True, exclusive=True, group="explain", exit_on_error=False)
    def run_explain(self, text: str) -> None:
        app: Any = self.app
        try:
            lines = explain_text(text, app.index, app.hash_table())
        except Exception as exc:  # noqa: BLE001 - a bad paste must not take the app down
            lines = [Text(f"Could not explain that: {type(exc).__name__}: {exc}", "red")]
        self.app.call_from_thread(self._show, lines)

    def _show(self, lines: list[Text]) -> None:
        self.query_one(LinesView).set_lines(lines)


class GitReviewScreen(ModalScreen[None]):
    """What changed since a git ref: added, removed, changed and re-recorded recordings."""

    DEFAULT_CSS = """
    GitReviewScreen { align: center middle; }
    GitReviewScreen > #git-box { width: 96%; height: 94%; border: thick $accent; background: $surface; }
    GitReviewScreen #git-help { height: 1; padding: 0 1; color: $text-muted; }
    GitReviewScreen LinesView { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, rev: str = "HEAD") -> None:
        super().__init__()
        self.rev = rev

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="git-box"):
            yield Static("Review recordings changed since a git ref (working tree included): type a ref, enter.  esc closes.", id="git-help")
            yield Input(value=self.rev, placeholder="HEAD, main, origin/main, a commit…", id="git-rev")
            yield LinesView(id="git-view")

    def on_mount(self) -> None:
        self.review(self.rev)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.review(event.value.strip() or "HEAD")

    def review(self, rev: str) -> None:
        self.query_one(LinesView).set_lines([Text(f"Comparing with {rev}…", "dim")])
        self.run_review(rev)

    @work(thread=True, exclusive=True, group="git", exit_on_error=False)
    def run_review(self, rev: str) -> None:
        from ..gitdiff import GitError, git_changes

        app: Any = self.app
        try:
            report = git_changes(rev, app.root)
            lines = capture(lambda console: print_git_report(console, report))
        except GitError as exc:
            lines = [Text(str(exc), "red")]
        except Exception as exc:  # noqa: BLE001
            lines = [Text(f"Could not review: {type(exc).__name__}: {exc}", "red")]
        self.app.call_from_thread(self._show, lines)

    def _show(self, lines: list[Text]) -> None:
        self.query_one(LinesView).set_lines(lines)
