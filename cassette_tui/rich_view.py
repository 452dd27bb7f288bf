"""Draw the view model with Rich, for the CLI and the TUI.

Text is built from spans with `Text.append`, never from markup, so `[bold]` in a
recording prints literally; `view.safe()` already made control characters visible.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.text import Text

from .view import Line, Section, safe

STYLES = {
    "title": "bold",
    "key": "bold cyan",
    "value": "",
    "id": "magenta",
    "test": "green",
    "model": "yellow",
    "dim": "dim",
    "system": "bold magenta",
    "user": "bold green",
    "assistant": "bold blue",
    "tool": "bold yellow",
    "toolname": "bold yellow",
    "args": "cyan",
    "reasoning": "italic dim",
    "warn": "bold dark_orange",
    "error": "bold red",
    "new": "bold blue",
    "added": "green",
    "removed": "red",
    "hunk": "cyan",
    "verdict": "bold yellow",
    "ok": "green",
    "command": "green",
    "field": "cyan",
    "dimfield": "dim cyan",
    "rerecorded": "yellow",
    "changed": "cyan",
}


def line_text(line: Line) -> Text:
    text = Text(" " * line.indent if line.indent else "")
    for span in line.spans:
        if span.text:
            # safe() again, as html_view does: a span a builder forgot stays inert (it is idempotent).
            text.append(safe(span.text), STYLES.get(span.style, span.style or ""))
    return text


def section_renderable(section: Section, show_title: bool = True) -> Group:
    parts: list[Text] = []
    if show_title and section.title:
        title = Text(safe(section.title), STYLES.get(section.style, "bold"))
        if section.note:
            title.append(f"  {safe(section.note)}", "dim")
        parts.append(title)
    parts.extend(line_text(line) for line in section.lines)
    return Group(*parts)


def sections_renderable(sections: Iterable[Section]) -> Group:
    out: list[RenderableType] = []
    for i, section in enumerate(sections):
        if i:
            out.append(Text(""))
        out.append(section_renderable(section))
    return Group(*out)

