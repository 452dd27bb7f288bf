"""Command palette entries (ctrl+p) for the app's own actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..model import SORT_KEYS

if TYPE_CHECKING:
    from .app import CassetteApp


class CassetteCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = cast("CassetteApp", self.app)
        items: list[tuple[str, str, Callable[[], Any]]] = [
            ("Filter recordings", "Focus the filter bar (/)", app.action_focus_filter),
            ("Clear filter", "Show every recording again", app.action_clear_filter),
            ("Toggle grouped view", "Flat list, or test file > test > recordings (t)", app.action_toggle_grouped),
            ("Reverse sort order", "Flip the flat list's order (v)", app.action_reverse_sort),
            ("Mark recording", "Mark or unmark the selected recording (m)", app.action_mark),
            ("Diff marked recordings", "Compare two marked recordings (d)", app.action_diff),
            ("Follow newest", "Jump to recordings as they are written (F)", app.action_toggle_follow),
            ("Copy as JSON", "The request (Request tab) or the reassembled response (y)", app.action_copy),
            ("Change layout", "Side by side, list only, detail only (z)", app.action_cycle_layout),
            ("Explain a replay miss", "Paste a CI log line, a hash or a path (e)", app.action_explain),
            ("Review changes since a git ref", "Added, removed, changed and re-recorded recordings (r)", app.action_git_review),
            ("Re-index directory", "Scan the directory again", app.action_reload),
            ("Keys and query help", "Every binding and the query language (?)", app.action_help),
        ]
        for key in SORT_KEYS:
            items.append((f"Sort by {key}", f"Flat list sorted by {key}", partial(app.action_sort_by, key)))
        for n, tab in enumerate(("conversation", "stream", "timeline", "request", "response", "info"), 1):
            items.append((f"Show {tab} tab", f"Detail tab {tab} ({n})", partial(app.action_tab, tab)))
        return items

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
