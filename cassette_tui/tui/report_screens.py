"""Explain a replay miss, and review what changed since a git ref: two screens on core reports.

Both draw the same view model as the CLI (reports.py) with rich_view, as lines for
a virtual LinesView, so the TUI and `cassette-tui explain` agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..reports import explain_sections, git_report_sections
from ..view import flat_lines, safe
from .lines_view import LineItem, LinesView

if TYPE_CHECKING:
    from ..explain import Explanation, HashTable
    from ..index import IndexView


def explain_text(text: str, index: IndexView, table: HashTable | None, confine: Path | None = None) -> tuple[list[LineItem], list[Explanation]]:
    """Explain whatever was pasted: a CI log (one or more misses), a hash, or a recording's path.
    The report's lines, and the explanations (for the actions under it). `confine`: a path
    outside this folder is refused (the app is served to a web page)."""
    from ..explain import explain, group_explanations, is_hash
    from ..explain.inputs import InputError, live_files_under, misses_from
    from ..explain.rerecord import load_setups

    text = text.strip()
    if not text:
        return [Text("Paste a replay-miss message, a request hash or a recording's path, then press ctrl+r.", "dim")], []
    one_line = "\n" not in text and len(text) < 4096
    if confine is not None and one_line and not is_hash(text) and Path(text).exists() and not Path(text).resolve().is_relative_to(confine.resolve()):
        return [Text("Served in a web page: only paths inside the served folder can be explained.", "bold yellow")], []
    try:
        # one line may name a file, a folder or a hash; anything else is the log itself
        misses = misses_from(text) if one_line and (is_hash(text) or Path(text).exists()) else misses_from("the pasted text", text=text)
    except InputError:
        misses = []
    if not misses:
        return [
            Text("No replay-miss message found in that text.", "bold yellow"),
            Text('Expected e.g. "Recording not found for request hash: 5c1e…" (any variant, wrapped or indented), a hash, or a path.', "dim"),
        ], []
    inputs = live_files_under(index.root, misses)
    explanations = [explain(miss, index, table=table, exclude=inputs) for miss in misses]
    findings = group_explanations(explanations) if len(explanations) > 1 else None   # first, then each miss in full
    return list[LineItem](flat_lines(explain_sections(explanations, findings, None, load_setups(index.root)))), explanations


# What a row under a report does: ("open", path, None) or ("diff", path, (path A, path B, recordings read already)).
Action = tuple[str, str, Any]


def explain_actions(explanations: list[Any]) -> list[tuple[str, Action]]:
    """(label, action) for each miss with a nearest recording: open it; diff it with the live request
    when the live request is a file. With several misses, each label names its test."""
    from ..view import short_test

    out: list[tuple[str, Action]] = []
    for ex in explanations:
        if ex.nearest is None:
            continue
        who = f"  ({safe(short_test(ex.miss.test_id) or ex.miss.hash or '')})" if len(explanations) > 1 else ""
        out.append((f"open the nearest recording  {safe(ex.nearest.path)}{who}", ("open", ex.nearest.path, None)))
        live = ex.miss.source or (str(ex.root / ex.miss.live_from) if ex.miss.live_from else None)
        if live and ex.miss.live_known:
            out.append((f"diff it with the live request  {safe(live)}{who}", ("diff", ex.nearest.path, (ex.nearest.path, live, None))))
    return out


class ActionReportScreen(ModalScreen[None]):
    """A report (a LinesView) with a list under it of what can be done with it (an OptionList)."""

    def _show(self, lines: list[LineItem], actions: list[tuple[str, Action]]) -> None:
        self.query_one(LinesView).set_lines(lines)
        options = self.query_one(OptionList)
        options.clear_options()
        self._actions = [what for _, what in actions]
        options.add_options([Option(Text(label)) for label, _ in actions])
        options.set_class(bool(actions), "visible")
        self.set_class(bool(actions), "explained")
        if actions:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        action, path, diff = self._actions[event.option_index]
        app: Any = self.app
        if action == "open":
            self.dismiss()
            app.show_recording(path)
        else:
            from .diff_screen import DiffScreen

            path_a, path_b, pair = diff
            app.push_screen(DiffScreen(app.index, path_a, path_b, pair=pair))


class ExplainScreen(ActionReportScreen):
    """Paste a CI log line (or several), a hash, or a path; see why replay missed."""

    DEFAULT_CSS = """
    ExplainScreen { align: center middle; }
    ExplainScreen > #explain-box { width: 96%; height: 94%; border: thick $accent; background: $surface; }
    ExplainScreen #explain-help { height: 1; padding: 0 1; color: $text-muted; }
    ExplainScreen TextArea { height: 7; }
    ExplainScreen LinesView { height: 1fr; }
    ExplainScreen.explained TextArea { height: 3; }   /* the report gets the room once there is one */
    ExplainScreen OptionList { height: auto; max-height: 30%; display: none; }
    ExplainScreen OptionList.visible { display: block; }
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
            yield OptionList(id="explain-actions")

    def on_mount(self) -> None:
        self.query_one(LinesView).set_lines([Text("The ranked candidates and what differs will show here.", "dim")])
        self.query_one(TextArea).focus()

    def action_run(self) -> None:
        self.query_one(LinesView).set_lines([Text("Explaining… (the first time hashes every recording)", "dim")])
        self.run_explain(self.query_one(TextArea).text)

    @work(thread=True, exclusive=True, group="explain", exit_on_error=False)
    def run_explain(self, text: str) -> None:
        app: Any = self.app
        explanations: list[Any] = []
        try:
            lines, explanations = explain_text(text, app.index, app.hash_table(), app.root if app.confined else None)
        except Exception as exc:  # noqa: BLE001 - a bad paste must not take the app down
            lines = [Text(f"Could not explain that: {type(exc).__name__}: {safe(str(exc))}", "red")]
        self.app.call_from_thread(self._show, lines, explain_actions(explanations))



class GitReviewScreen(ActionReportScreen):
    """What changed since a git ref: added, removed, changed and re-recorded recordings."""

    DEFAULT_CSS = """
    GitReviewScreen { align: center middle; }
    GitReviewScreen > #git-box { width: 96%; height: 94%; border: thick $accent; background: $surface; }
    GitReviewScreen #git-help { height: 1; padding: 0 1; color: $text-muted; }
    GitReviewScreen LinesView { height: 1fr; }
    GitReviewScreen OptionList { height: auto; max-height: 30%; display: none; }
    GitReviewScreen OptionList.visible { display: block; }
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
            yield OptionList(id="git-actions")

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
        report = None
        try:
            report = git_changes(rev, app.root)
            lines: list[LineItem] = list(flat_lines(git_report_sections(report)))
        except GitError as exc:
            lines = [Text(safe(str(exc)), "red")]
        except Exception as exc:  # noqa: BLE001
            lines = [Text(f"Could not review: {type(exc).__name__}: {safe(str(exc))}", "red")]
        self.app.call_from_thread(self._show, lines, review_actions(report, app.root) if report is not None else [])

REVIEW_ACTIONS_MAX = 200


def review_actions(report: Any, root: Path) -> list[tuple[str, Action]]:
    """(label, action) for each change: open what is there now; diff a re-recorded or changed file
    with what it was (both recordings already read, the old one out of git)."""
    import os

    out: list[tuple[str, Action]] = []
    for c in report.changes[:REVIEW_ACTIONS_MAX]:
        where = os.path.relpath(Path(report.top) / c.path, root)
        if c.status != "removed" and not where.startswith(".."):
            out.append((f"open {c.status:<11} {safe(where)}", ("open", where, None)))
        if c.diff is not None and c.status in ("changed", "re-recorded"):
            out.append((f"diff {c.status:<11} {safe(c.old_path or c.path)}  ↔  {safe(c.path)}", ("diff", where, (c.diff.a.path, c.diff.b.path, (c.diff.a, c.diff.b)))))
    return out
