"""Markdown for a pull request: what `cassette-tui diff --git REV --markdown` prints.

A face like rich_view and html_view, for GitHub's renderer: every value from the
repository is an inline code span, so nothing in a recording becomes a link, an
image, a mention or HTML.
"""

from __future__ import annotations

import html
import posixpath
import re
from typing import TYPE_CHECKING, Any

from .compare import describe_value, string_window
from .view import one_line, short_test

if TYPE_CHECKING:
    from .gitdiff import GitReport


def git_report_markdown(report: GitReport, values: bool = True) -> str:
    """A summary for a pull request: a table, then what changed in each request.

    Every value from the repository (names, test ids, JSON paths and values) is an
    inline code span (`md_code`): inside one GitHub renders no link, image,
    @mention, #reference, emoji, emphasis or HTML.
    """
    lines = [f"**{report.headline(md_word)}**", ""]
    if not report.changes:
        return "\n".join(lines)
    lines += ["| change | recording | test | what changed |", "|---|---|---|---|"]
    for c in report.changes:
        name = posixpath.basename(c.path)
        shown = name if len(name) <= 24 else name[:16] + "…" + name[-8:]
        if c.old_path and c.old_path != c.path:
            old = posixpath.basename(c.old_path)
            shown = f"{old[:12]}… → {shown}"
        lines.append(f"| {c.status} | {md_code(shown, table=True)} | {md_code(short_test(c.test_id), table=True)} | {md_code(c.summary, table=True)} |")
    if values:
        detailed = [c for c in report.changes if c.diff and c.diff.request]
        for c in detailed:
            lines += ["", f"<details><summary>{c.status} <code>{html_text(posixpath.basename(c.path))}</code>: request changes</summary>", ""]
            for ch in c.diff.request[:20]:  # type: ignore[union-attr]
                a, b = string_window(ch.a, ch.b, 60) if isinstance(ch.a, str) and isinstance(ch.b, str) else (ch.a, ch.b)
                lines.append(f"- {md_code(ch.path)}: {md_code(describe_value(a, 90))} → {md_code(describe_value(b, 90))}")
            lines += ["", "</details>"]
    if report.other_files:
        lines += ["", "Other changed files: " + ", ".join(md_code(p) for p in report.other_files)]
    return "\n".join(lines)


_BACKTICKS = re.compile("`+")
_PLAIN_WORD = re.compile(r"[A-Za-z0-9./^~-]+")   # nothing GitHub would make a link, mention or emphasis of


def md_code(text: Any, *, table: bool = False) -> str:
    """Text as an inline code span, whatever it holds.

    Controls and line breaks shown escaped (a newline would end the table row, a blank
    line the <details> block); the fence is one backtick longer than the longest run
    inside, so no backtick breaks out; `|` escaped in a table cell (GFM splits cells
    before it sees code spans).
    """
    s = one_line(text, None)
    if not s:
        return ""
    if table:
        s = s.replace("|", "\\|")
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(s)), default=0) + 1)
    pad = " " if s[0] in "` " or s[-1] in "` " else ""   # CommonMark strips one space each side
    return f"{fence}{pad}{s}{pad}{fence}"


def md_word(text: Any) -> str:
    """A folder or revision in the headline: as is when plainly harmless, else a code span."""
    s = str(text)
    return s if _PLAIN_WORD.fullmatch(s) and "~~" not in s else md_code(s)


def html_text(text: Any) -> str:
    """Text inside an HTML block (<summary>): entities, on one line; in <code>, GitHub links no mention."""
    return html.escape(one_line(text, None), quote=True)
