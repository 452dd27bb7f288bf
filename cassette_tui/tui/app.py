"""The Textual app: a filterable recording list beside a tabbed detail pane, with live reload.

It composes the widgets and screens and routes messages; the work is the core's
(live.py for live reload, child.verify_in_child for statuses, reports.py for what
the screens show). About 750 lines: the app's twenty-odd key actions live here.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Static

from ..index import Index
from ..jsonio import dumps_pretty
from ..live import LiveIndex, watch_batches
from ..model import Summary
from ..query import Query, QueryError, parse
from ..refilter import Refilter
from .commands import CassetteCommands
from .detail import DetailContent, DetailPane, build_detail
from .idle_gc import CHECK_S, IdleCollector
from .messages import DetailReady, IndexChanged, IndexFailed, IndexReady, ScanProgress, VerifyDone
from .recording_list import RecordingList

if TYPE_CHECKING:
    from textual.timer import Timer

    from ..explain import HashTable
    from ..verify import Verdict

DETAIL_TYPING_DELAY = 0.2  # seconds of no typing before the detail follows the filtered list
QUERY_ERROR_DELAY = 0.5  # seconds of no typing before a malformed query is called out ("model:" is unfinished, not wrong)
VERIFY_AFTER_CHANGES = 1.0  # seconds of quiet after live changes before statuses are recomputed
NARROW_WIDTH = 110  # columns below which the list takes more of the screen than the detail
RELOAD_QUIET = 0.5          # seconds of quiet after live changes before they are announced and cached
VERIFY_AFTER_FIRST_PAINT = 0.3  # seconds after the list first shows before the verify pass starts


class CassetteApp(App[int]):
    """Browse recordings: `/` filters, `t` groups by test, `m` marks and `d` diffs, `?` helps."""

    TITLE = "cassette-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {CassetteCommands}

    BINDINGS = [
        # Help and quit first: the footer cuts what does not fit, and these must show at every width.
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        # Priority, as Enter: the focus moves while the app reads `/`, so the keys typed right
        # after it (`/has:error` in one burst) are the query, not commands (e: explain).
        # In the detail it opens the detail's search instead.
        Binding("slash,ctrl+f", "focus_filter", "Filter", id="filter", priority=True),
        # A priority binding runs as the app reads the key, before the keys typed after it are
        # handed on: Enter moves the focus to the list in time for the very next key.
        Binding("enter", "submit_filter", "In the filter: apply it and go to the list", show=False, priority=True),
        Binding("escape", "focus_list", "List", show=False, id="list"),
        Binding("t", "toggle_grouped", "Group", id="group"),
        Binding("o", "pick_sort", "Sort", id="sort"),
        Binding("v", "reverse_sort", "Reverse", id="reverse", show=False),
        Binding("m", "mark", "Mark", id="mark"),
        Binding("d", "diff", "Diff", id="diff"),
        Binding("M", "clear_marks", "Clear the marks", show=False, id="clear-marks"),
        Binding("F", "toggle_follow", "Follow", id="follow"),
        Binding("y", "copy", "Copy", id="copy"),
        Binding("Y", "copy_path", "Copy the path and id", show=False, id="copy-path"),
        Binding("E", "edit_recording", "Open the recording in $EDITOR", show=False, id="edit"),
        Binding("T", "edit_test", "Open the test's source at its function", show=False, id="edit-test"),
        Binding("z", "cycle_layout", "Layout", id="layout"),
        Binding("e", "explain", "Explain", id="explain"),
        Binding("r", "git_review", "Git review", id="git-review"),
        Binding("1", "tab('conversation')", "Conversation", show=False, id="tab-conversation"),
        Binding("2", "tab('stream')", "Stream", show=False, id="tab-stream"),
        Binding("3", "tab('timeline')", "Timeline", show=False, id="tab-timeline"),
        Binding("4", "tab('request')", "Request", show=False, id="tab-request"),
        Binding("5", "tab('response')", "Response", show=False, id="tab-response"),
        Binding("6", "tab('info')", "Info", show=False, id="tab-info"),
    ]

    def __init__(
        self,
        root: str | Path,
        *,
        demo: bool = False,
        recordings_only: bool = False,
        watch: bool = True,
        use_cache: bool = True,
        label: str | None = None,
        index: Index | None = None,
        query: str = "",
        confined: bool = False,
    ) -> None:
        """`index`, when given, is an already scanned Index of `root` (the CLI scans
        before starting the app, where forking worker processes is safe). `confined`
        (served in a web page): no path pasted in the app may lead outside `root`."""
        super().__init__()
        self._prescanned = index
        self.idle_gc = IdleCollector()
        self.root = Path(root).resolve()
        self.label = label if label is not None else str(root)
        self.demo = demo
        self.confined = confined
        self.recordings_only = recordings_only
        self.watch_enabled = watch
        self.use_cache = use_cache
        self.index: Index | None = None
        self.live: LiveIndex | None = None   # the index, kept up to date by the watcher
        self.index_lock = threading.Lock()
        self._refilter = Refilter()   # holds every recording; answers the filter as it is typed
        self.shown: list[Summary] = []
        self.shown_problems = 0
        self.query_text = query
        self.active_query: Query = parse(query, root=str(self.root))   # (not `query`: that is DOMNode.query) the CLI checked it: `cassette-tui DIR QUERY` opens filtered
        from ..model import SORT_KEYS
        from ..settings import load_settings

        self.settings, self._settings_warning = load_settings()
        if self.settings.sort not in SORT_KEYS:
            self._settings_warning = self._settings_warning or f"settings: unknown sort key {self.settings.sort!r} ignored"
            self.settings.sort = "path"
        self.grouped = self.settings.grouped
        self.sort = self.settings.sort
        self.reverse = self.settings.reverse
        self.follow = False
        self.loading = True
        self.watching = False
        self.detail_path: str | None = None
        self.verdicts: dict[str, Verdict] = {}
        self._hash_table: HashTable | None = None
        self.verify_counts: dict[str, int] = {}
        self._verify_timer: Timer | None = None
        self._reload_timer: Timer | None = None
        self._reload_counts: dict[str, int] = {}
        self._pending_detail: Summary | None = None
        self._detail_timer: Timer | None = None
        self._query_error_timer: Timer | None = None

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(value=self.query_text, placeholder="filter  e.g. model:gpt-4o* has:tools -provider:ollama   (? for help)", id="filter")
                yield Static("", id="query-error")
                yield RecordingList(id="list")
                yield Static("", id="status")
            yield DetailPane(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = str(self.root)
        self.screen.set_class(self.size.width < NARROW_WIDTH, "narrow")   # a terminal sends no Resize at start
        self._apply_settings()
        # Filter as the value changes, not on the Input.Changed message: the message
        # reaches the app after the screen has drawn the typed character, and the
        # refiltered list then waits a frame more. Watching the value puts both in one frame.
        self.watch(self.query_one("#filter", Input), "value", self.on_filter_changed, init=False)
        self.idle_gc.start()
        self.set_interval(CHECK_S, self.idle_gc.tick)
        self._update_title()
        self.query_one(RecordingList).focus()
        if self._prescanned is not None:
            index, self._prescanned = self._prescanned, None
            self.post_message(IndexReady(index, list(index.summaries.values())))
            return
        self.query_one(DetailPane).show_message("Indexing…")
        self.scan_index()

    def on_resize(self, event: events.Resize) -> None:
        # A narrow terminal gives the list more of the width: rows must stay told apart.
        self.screen_stack[0].set_class(event.size.width < NARROW_WIDTH, "narrow")

    def on_unmount(self) -> None:
        self.idle_gc.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.idle_gc.touch()
        await super().on_event(event)

    def _update_title(self) -> None:
        where = "demo recordings shipped with cassette-tui (no recordings found under the current directory)" if self.demo else self.label
        self.query_one("#title", Static).update(f"[b]cassette-tui[/b]  [dim]{_escape(where)}[/dim]", layout=False)

    def _update_status(self) -> None:
        lst = self.query_one(RecordingList)
        total = len(self.all_summaries)
        # Modes first: the bar is as wide as the list, and what is cut must be the counts, not
        # the fact that the list follows new files or that recordings are marked.
        parts = []
        if self.loading:
            parts.append("indexing…")
        if self.follow:
            parts.append("[yellow]following newest[/yellow]")
        if lst.marked:
            parts.append(f"[yellow]{marks_hint(len(lst.marked))}[/yellow]")
        parts.append(f"[b]{len(self.shown)}[/b] of {total} recordings")
        if self.shown_problems:
            parts.append(f"[red]{self.shown_problems} unreadable[/red]")
        sorted_by = f"{self.sort}{' ↓' if self.reverse else ''}"
        if self.grouped:
            parts.append("grouped by test" + (f", sorted by {sorted_by} within" if self.sort != "path" or self.reverse else ""))
        else:
            parts.append(f"sort: {sorted_by}")
        if self.verify_counts:
            parts.append("[yellow]" + ", ".join(f"{n} {status}" for status, n in sorted(self.verify_counts.items())) + "[/yellow] (is:…)")
        if self.watching:
            parts.append("[green]watching[/green]")
        # layout=False: a one-line bar never changes size, and a layout pass redraws everything.
        self.query_one("#status", Static).update("  ·  ".join(parts), layout=False)

    # --- indexing and live reload -----------------------------------------------------

    def _scan_progress(self, done: int, total: int) -> None:
        self.post_message(ScanProgress(done, total))

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def scan_index(self) -> None:
        try:
            index = Index(self.root, recordings_only=self.recordings_only, use_cache=self.use_cache)
            index.scan(progress=self._scan_progress, workers=1)
        except OSError as exc:
            self.post_message(IndexFailed(f"cannot index {self.root}: {exc.strerror or exc}"))
            return
        with self.index_lock:
            summaries = list(index.summaries.values())
        self.post_message(IndexReady(index, summaries))

    def _say_skipped(self, notes: list[str]) -> None:
        """Folders and links the scan did not enter (unreadable, a path too long, a link leaving the tree)."""
        if not notes:
            return
        from ..view import one_line

        first = one_line(notes[0], None)
        if len(first) > 200:
            first = first[:100] + "…" + first[-100:]
        more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
        self.notify(f"Not listed: {first}{more}", severity="warning", timeout=10, markup=False)

    def on_scan_progress(self, message: ScanProgress) -> None:
        self.query_one("#status", Static).update(f"indexing… {message.done} of {message.total} files read", layout=False)

    def on_index_failed(self, message: IndexFailed) -> None:
        self.loading = False
        self.query_one(DetailPane).show_message(message.error)
        self.notify(message.error, severity="error", timeout=10)
        self._update_status()

    def on_index_ready(self, message: IndexReady) -> None:
        self.index = message.index
        self.live = LiveIndex(message.index, self.index_lock)
        self.all_summaries = message.summaries
        self.loading = False
        self.apply_filter()
        self.idle_gc.settled()   # the index lives on: full collections need not traverse it
        if not self.all_summaries:
            self.query_one(DetailPane).show_message(f"No recordings (*.json) under {self.root}.")
        self._say_skipped(message.index.stats.skipped)
        links_out = message.index.stats.links_out
        if self.watch_enabled and links_out:
            # watchfiles follows every folder link, with no option not to: one to / would
            # watch the whole file system (as the walk used to list it). So no live reload.
            from ..view import one_line

            more = f" and {len(links_out) - 1} more" if len(links_out) > 1 else ""
            self.notify(f"Live reload is off: {one_line(links_out[0], 80)}{more} links to a folder outside {self.root} (not followed)",
                        severity="warning", timeout=10, markup=False)
        elif self.watch_enabled:
            self.watch_files()
        # Hashing every file holds the GIL for a while: let the first frames out first.
        self._verify_timer = self.set_timer(VERIFY_AFTER_FIRST_PAINT, self._start_verify)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_files(self) -> None:
        if self.live is None:
            return
        self.watching = True
        self._update_status()
        try:
            async for batch in watch_batches(self.live, self.root):
                self.post_message(IndexChanged(batch.changes, batch.summaries))
        except Exception as exc:  # noqa: BLE001 - a watcher failure must not take the app down
            self.notify(f"live reload stopped: {exc}", severity="warning")
        self.watching = False
        self._update_status()

    def on_index_changed(self, message: IndexChanged) -> None:
        lst = self.query_one(RecordingList)
        for change in message.changes:
            if change.action == "removed":
                lst.changed.discard(change.path)
                lst.marked.discard(change.path)
            else:
                lst.changed.add(change.path)
        self.all_summaries = message.summaries
        keep = None
        if self.follow:
            latest = [c for c in message.changes if c.action != "removed"]
            if latest:
                keep = max(latest, key=lambda c: c.summary.mtime if c.summary else 0).path
        self.apply_filter(keep=keep)
        current = lst.current_path
        if current and any(c.path == current and c.action == "changed" for c in message.changes):
            self.detail_path = None  # force a reload of the changed recording
            self.load_detail_for(lst.current)
        self._hash_table = None  # explain must see the new files
        if self._verify_timer is not None:
            self._verify_timer.stop()
        self._verify_timer = self.set_timer(VERIFY_AFTER_CHANGES, self._start_verify)
        for c in message.changes:
            self._reload_counts[c.action] = self._reload_counts.get(c.action, 0) + 1
        # One toast when the changes pause: a toast per batch re-laid the screen out several
        # times a second during a burst, and keys waited behind it.
        if self._reload_timer is not None:
            self._reload_timer.stop()
        self._reload_timer = self.set_timer(RELOAD_QUIET, self._reload_quiet)

    def _reload_quiet(self) -> None:
        if self.live is not None and self.live.reading:   # not quiet: the next batch is being read
            self._reload_timer = self.set_timer(RELOAD_QUIET, self._reload_quiet)
            return
        self._reload_timer = None
        counts, self._reload_counts = self._reload_counts, {}
        words = [f"{counts[w]} {w}" for w in ("added", "changed", "removed") if counts.get(w)]
        if words:
            self.notify("Recordings " + ", ".join(words), timeout=3)
        self.save_cache_later()

    # --- verify statuses ---------------------------------------------------------------

    def _start_verify(self) -> None:
        # During a burst of writes, batches come slower than they are read: the time since the
        # last one is no pause. Verifying (a child hashing the tree) or saving the cache then
        # would take the cores the burst's rows wait for.
        if self.live is not None and self.live.reading:
            self._verify_timer = self.set_timer(VERIFY_AFTER_CHANGES, self._start_verify)
            return
        self._verify_timer = None
        self.verify_statuses()

    def pending_work(self) -> bool:
        """Work scheduled on a timer that no worker shows yet (for tests and scripts that wait)."""
        return (self._verify_timer is not None or self._detail_timer is not None or self._query_error_timer is not None
                or self._reload_timer is not None)

    @work(exclusive=True, group="verify", exit_on_error=False)
    async def verify_statuses(self) -> None:
        """Hash every file's request (all recorder versions) and mark rows ok/stale/mismatch.

        In an isolated child process (child.verify_in_child): hashing a whole tree is
        CPU-bound Python, and in a thread it would hold the GIL that keystrokes and the
        detail pane need. The child uses the other core.
        """
        from ..child import verify_in_child

        verdicts = await verify_in_child(str(self.root), self.live.index.summaries if self.live is not None else None)
        if verdicts is None:  # no child process possible: here, off the UI thread
            verdicts = await asyncio.to_thread(self._verify_in_thread)
        if verdicts is not None:
            self.post_message(VerifyDone(verdicts))

    def _verify_in_thread(self) -> dict[str, Verdict] | None:
        from ..verify import verify_index

        if self.live is None:
            return None
        return verify_index(self.live.snapshot()).verdicts   # a snapshot: the watcher may commit changes meanwhile

    def on_verify_done(self, message: VerifyDone) -> None:
        self.verdicts = message.verdicts
        counts: dict[str, int] = {}
        changed = False
        for s in self.all_summaries:
            verdict = self.verdicts.get(s.path)
            if verdict is not None:
                changed = changed or s.status != verdict.status
                s.status = verdict.status
                counts[verdict.status] = counts.get(verdict.status, 0) + 1
        self.verify_counts = {k: v for k, v in counts.items() if k != "ok"}
        if changed:   # statuses changed in place: is:stale's earlier results are stale too
            self._refilter.reset(self.all_summaries)
        self.apply_filter()   # is:stale and friends now match
        self.idle_gc.settled()   # a verdict for every file, kept: full collections need not traverse them
        if changed and self.index is not None:   # the statuses are saved with the summaries; unchanged, nothing to write
            self.save_cache_later()

    @work(thread=True, exclusive=True, group="cache", exit_on_error=False)
    def save_cache_later(self) -> None:
        """Persist statuses with the summaries, so the next start shows them at once."""
        if self.live is not None:
            self.live.save_cache()

    # --- filtering ---------------------------------------------------------------------

    @property
    def all_summaries(self) -> list[Summary]:
        return self._refilter.summaries

    @all_summaries.setter
    def all_summaries(self, summaries: list[Summary]) -> None:
        self._refilter.reset(summaries)

    def on_filter_changed(self, value: str) -> None:
        self._cancel_query_error()
        try:
            self.active_query = parse(value, root=str(self.root))
        except QueryError as exc:
            # Keep the last good result; say where and why once typing pauses. Typed
            # through, "has:" is only unfinished, and a line that comes and goes at
            # each such keystroke shifts the list under the user's eyes.
            message = str(exc)
            self._query_error_timer = self.set_timer(QUERY_ERROR_DELAY, lambda: self._show_query_error(message))
            return
        self._show_query_error("")
        self.query_text = value
        self.apply_filter()

    def _cancel_query_error(self) -> None:
        if self._query_error_timer is not None:
            self._query_error_timer.stop()
            self._query_error_timer = None

    def _show_query_error(self, message: str) -> None:
        self._query_error_timer = None
        error = self.query_one("#query-error", Static)
        if message:
            error.update(f"[red]{_escape(message)}[/red]")
            error.add_class("visible")
        elif error.has_class("visible"):
            error.update("")
            error.remove_class("visible")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit_filter":   # Enter is the filter's only while it is being typed in
            # `focused`, not `has_focus`: the latter waits for the Focus message, behind keys already queued
            return self.screen is self.screen_stack[0] and self.focused is self.query_one("#filter", Input)
        if action == "focus_filter":    # typed into a box (a path: query, a search), `/` is text
            return self.screen is self.screen_stack[0] and not isinstance(self.focused, Input)
        return True

    def action_submit_filter(self) -> None:
        try:
            parse(self.query_one("#filter", Input).value)
        except QueryError as exc:   # Enter on a malformed query: say why now, and stay in the filter
            self._cancel_query_error()
            self._show_query_error(str(exc))
            return
        self.screen.set_focus(self.query_one(RecordingList))   # now, not later as focus() would
        self._flush_detail()

    def apply_filter(self, keep: str | None = None) -> None:
        query = self.active_query
        self.shown = self._refilter(query)
        self.shown_problems = sum(1 for s in self.shown if s.problem)
        lst = self.query_one(RecordingList)
        lst.set_summaries(self.shown, grouped=self.grouped, sort=self.sort, reverse=self.reverse, keep=keep, everything=self.all_summaries)
        self._update_status()
        if not self.shown and self.all_summaries:
            self.query_one(DetailPane).show_message("No recording matches the filter.")
            self.detail_path = None

    # --- detail ------------------------------------------------------------------------

    @on(RecordingList.Highlighted)
    def on_highlighted(self, message: RecordingList.Highlighted) -> None:
        self._update_status()
        if message.summary is None:
            return
        if self.query_one("#filter", Input).has_focus:
            # While typing a filter, the detail waits for a pause: every keystroke
            # moves the highlight, and nobody reads the detail mid-word.
            self._pending_detail = message.summary
            if self._detail_timer is not None:
                self._detail_timer.stop()
            self._detail_timer = self.set_timer(DETAIL_TYPING_DELAY, self._flush_detail)
        else:
            self._pending_detail = None
            self.load_detail_for(message.summary)

    def _flush_detail(self) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        pending, self._pending_detail = self._pending_detail, None
        if pending is not None:
            self.load_detail_for(pending)

    @on(RecordingList.Selected)
    def on_selected(self, message: RecordingList.Selected) -> None:
        self.query_one(DetailPane).view(self.query_one(DetailPane).active or "conversation").focus()

    def load_detail_for(self, summary: Summary | None) -> None:
        if summary is None or summary.path == self.detail_path:
            return
        self.detail_path = summary.path
        self.load_detail(summary)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def load_detail(self, summary: Summary) -> None:
        try:
            with self.index_lock:
                index = self.index
            content = build_detail(index, summary, self.verdicts.get(summary.path))
        except Exception as exc:  # noqa: BLE001 - one bad file must never take the app down
            from ..view import Line, Span

            content = DetailContent(summary.path)
            msg = [Line([Span(f"Could not show {summary.path}: {type(exc).__name__}: {exc}", "error")])]
            content.conversation = content.stream = content.timeline = content.info = msg
        self.post_message(DetailReady(content))

    def on_detail_ready(self, message: DetailReady) -> None:
        if message.content.path == self.detail_path:
            self.query_one(DetailPane).show(message.content)

    # --- actions -----------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        # Now, not later as focus() would: the keys typed right after `/` are the query.
        detail = self.query_one(DetailPane)
        if self.focused is not None and detail in self.focused.ancestors:
            detail.open_search()
            return
        self.screen.set_focus(self.query_one("#filter", Input))

    def action_focus_list(self) -> None:
        self.query_one(RecordingList).focus()
        self._flush_detail()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""

    def show_recording(self, path: str) -> None:
        """Put the list's cursor on a recording (clearing a filter that hides it) and focus the list."""
        lst = self.query_one(RecordingList)
        if lst.index_of(path) is None and self.query_text:
            self.query_one("#filter", Input).value = ""
            self.active_query, self.query_text = parse(""), ""
            self.apply_filter()
        idx = lst.index_of(path)
        if idx is None:
            self.notify(f"{_escape(path)} is not in the list", severity="warning")
            return
        lst.cursor = idx
        lst.focus()

    def _apply_settings(self) -> None:
        """The saved theme, keys and layout (sort and grouping were taken at start)."""
        s = self.settings
        if s.theme:
            if s.theme in self.available_themes:
                self.theme = s.theme
            else:
                self._settings_warning = self._settings_warning or f"settings: unknown theme {s.theme!r} ignored"
        if s.keymap:
            self.set_keymap(s.keymap)
        if s.layout != "split":
            self.screen.add_class(s.layout)
        if self._settings_warning:
            self.notify(_escape(self._settings_warning), severity="warning", timeout=8)

    def _save_settings(self) -> None:
        """Remember what the user set, for the next start (the file is made on the first change)."""
        from ..settings import save_settings

        screen = self.screen_stack[0]
        s = self.settings
        s.theme, s.sort, s.reverse, s.grouped = self.theme, self.sort, self.reverse, self.grouped
        s.layout = next((name for name in ("list-only", "detail-only") if screen.has_class(name)), "split")
        problem = save_settings(s)
        if problem:
            self.notify(_escape(problem), severity="warning")

    def watch_theme(self, theme: str) -> None:
        # Not before the first screen: a theme set while starting is not the user's (App.is_mounted
        # is a method taking a widget, so `if self.is_mounted` was always true).
        if self.screen_stack and theme != self.settings.theme:
            self._save_settings()

    def action_toggle_grouped(self) -> None:
        self.grouped = not self.grouped
        self.apply_filter()
        self._save_settings()

    def action_pick_sort(self) -> None:
        from .sort_screen import SortScreen

        def chosen(key: str | None) -> None:
            if key:
                self.action_sort_by(key)
                self.notify(f"Sorted by {key}" + (", reversed (v)" if self.reverse else "  (v reverses)"), timeout=2)

        self.push_screen(SortScreen(self.sort), chosen)

    def action_sort_by(self, key: str) -> None:
        """In grouped view the groups stay in name order and each test's recordings are sorted."""
        self.sort = key
        self.apply_filter()
        self._save_settings()

    def action_reverse_sort(self) -> None:
        self.reverse = not self.reverse
        self.apply_filter()
        self._save_settings()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self._update_status()
        if self.follow and self.shown:
            newest = max(self.shown, key=lambda s: s.mtime)
            idx = self.query_one(RecordingList).index_of(newest.path)
            if idx is not None:
                self.query_one(RecordingList).cursor = idx

    def action_mark(self) -> None:
        lst = self.query_one(RecordingList)
        path = lst.current_path
        if path is None:
            return
        if path in lst.marked:
            lst.marked.discard(path)
        else:
            lst.marked.add(path)
        lst.refresh_rows()
        self._update_status()

    def action_clear_marks(self) -> None:
        lst = self.query_one(RecordingList)
        if not lst.marked:
            self.notify("No recording is marked (m marks)", timeout=2)
            return
        lst.marked.clear()
        lst.refresh_rows()
        self._update_status()

    def action_diff(self) -> None:
        lst = self.query_one(RecordingList)
        marked = sorted(lst.marked)
        if len(marked) == 1 and lst.current_path and lst.current_path not in marked:
            marked.append(lst.current_path)
        if len(marked) != 2 or self.index is None:
            self.notify(f"d diffs two recordings: {marks_hint(len(lst.marked))}", severity="warning")
            return
        from .diff_screen import DiffScreen

        self.push_screen(DiffScreen(self.index, marked[0], marked[1]))

    def _current(self) -> Summary | None:
        lst = self.query_one(RecordingList)
        return next((s for s in self.shown if s.path == lst.current_path), None) if lst.current_path else None

    def action_copy_path(self) -> None:
        s = self._current()
        if s is None:
            self.notify("No recording selected", severity="warning")
            return
        from .clipboard import copy_text

        text = f"{s.id[:12]} {self.root / s.path}"
        self.notify(copy_text(self, text, f"id and path ({text})", "id-and-path.txt", self.root), timeout=6, markup=False)

    def action_edit_recording(self) -> None:
        s = self._current()
        if s is not None:
            self._open_in_editor(self.root / s.path, None)

    def action_edit_test(self) -> None:
        from ..sources import test_source

        s = self._current()
        where = test_source(self.root, s.test_id) if s is not None else None
        if where is None:
            self.notify("The test's source is not under this folder" if s is not None and s.test_id else "No test id", severity="warning")
            return
        self._open_in_editor(*where)

    def _open_in_editor(self, path: Path, line: int | None) -> None:
        """The terminal is handed to $VISUAL / $EDITOR (else less) until it exits."""
        import subprocess

        from textual.app import SuspendNotSupported

        from ..sources import editor_command

        cmd = editor_command(path, line)
        try:
            with self.suspend():
                subprocess.run(cmd, check=False)
        except SuspendNotSupported:
            self.notify(f"This terminal cannot be handed over; run: {_escape(' '.join(cmd))}", severity="warning", timeout=8)
        except OSError as exc:
            self.notify(f"Could not start {_escape(cmd[0])}: {_escape(exc.strerror or str(exc))}", severity="error")

    def action_copy(self) -> None:
        detail = self.query_one(DetailPane)
        content = detail.content
        if content is None or content.recording is None or content.recording.problem:
            self.notify("Nothing to copy", severity="warning")
            return
        rec = content.recording
        from .clipboard import copy_text

        if detail.active == "request":
            text, what, name = dumps_pretty(rec.request), "request as JSON", "request.json"
        else:
            text, what, name = dumps_pretty(rec.result.to_json()), "reassembled response as JSON", "response.json"
        self.notify(copy_text(self, text, what, name, self.root), timeout=6, markup=False)

    def action_cycle_layout(self) -> None:
        """Side by side, list only (every column), detail only."""
        screen = self.screen
        layouts = ("split", "list-only", "detail-only")
        current = next((name for name in layouts[1:] if screen.has_class(name)), "split")
        following = layouts[(layouts.index(current) + 1) % len(layouts)]
        screen.remove_class(*layouts)
        screen.add_class(following)
        self._save_settings()
        if following == "detail-only":
            self.query_one(DetailPane).view(self.query_one(DetailPane).active).focus()
        else:
            self.query_one(RecordingList).focus()

    def action_tab(self, tab: str) -> None:
        self.query_one(DetailPane).active = tab

    def action_explain(self) -> None:
        from .report_screens import ExplainScreen

        self.push_screen(ExplainScreen())

    def action_git_review(self) -> None:
        from .report_screens import GitReviewScreen

        self.push_screen(GitReviewScreen())

    def hash_table(self):
        """Every recording's request hashes (all versions), built once per index state (thread-safe)."""
        from ..explain import HashTable

        with self.index_lock:
            if self._hash_table is None and self.index is not None:
                self._hash_table = HashTable(self.index)
            return self._hash_table

    def action_help(self) -> None:
        from .help_screen import HelpScreen

        self.push_screen(HelpScreen())

    def action_reload(self) -> None:
        self.loading = True
        self._update_status()
        self.scan_index()


def marks_hint(count: int) -> str:
    """What the marks are and what `d` needs. Marks stay after a diff (to diff one of them with
    another next); M clears them."""
    if count == 0:
        return "mark two with m (or one, then move to another)"
    if count == 1:
        return "1 marked: d diffs it with the cursor's recording (M clears)"
    if count == 2:
        return "2 marked: d diffs them (M clears)"
    return f"{count} marked: d needs exactly two (m unmarks, M clears)"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
