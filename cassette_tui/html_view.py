"""Draw the view model as self-contained HTML and as plain text, for notebooks.

Pure functions: Sections of Lines of Spans (cassette_tui.view) in, strings out.
The HTML works untrusted: inline `style=` attributes only, folding with
<details>/<summary>, text colour inherited so it reads on light and dark themes;
the only script (optional, on tables) creates its own controls, so nothing dead
shows when scripts are blocked. Every string from a recording is escaped here,
after `view.safe()` made control characters visible; the plain text never
carries a terminal escape.

Why no <style> block and shared classes: JupyterLab sanitizes an untrusted
output with sanitize-html, whose allowed tags leave out <style> (dropped with
its content); `class=` survives but then names nothing. Inline declarations
survive when the property and value are on its list, which has no `ch` unit and
only `normal|break-word` for overflow-wrap: sizes here are in em, and table
cells break with `word-break`. So the size comes down by inheritance instead:
what lines or cells share is said once on what holds them (a 50-row index was
84-92 KB, 63-75% of it one cell's style repeated; now 24-33 KB).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable, Sequence

from .view import Line, Section, Span, safe

# Mid-tone hues that read on white and on near-black; plain text keeps the page's colour.
STYLES: dict[str, str] = {
    "": "color:inherit",
    "value": "color:inherit",
    "title": "font-weight:bold",
    "key": "color:#0f8ea0;font-weight:bold",
    "id": "color:#b5479b",
    "test": "color:#2f9a5a",
    "model": "color:#a8780d",
    "dim": "opacity:0.62",
    "system": "color:#9a5bd6;font-weight:bold",
    "user": "color:#2f9a5a;font-weight:bold",
    "assistant": "color:#3f7fd9;font-weight:bold",
    "tool": "color:#a8780d;font-weight:bold",
    "toolname": "color:#a8780d;font-weight:bold",
    "args": "color:#0f8ea0",
    "reasoning": "font-style:italic;opacity:0.7",
    "warn": "color:#d2691e;font-weight:bold",
    "error": "color:#d9363e;font-weight:bold",
    "new": "color:#3f7fd9;font-weight:bold",
    "added": "color:#2f9a5a",
    "removed": "color:#d9363e",
    "hunk": "color:#0f8ea0",
    "verdict": "color:#a8780d;font-weight:bold",
    "ok": "color:#2f9a5a",
    "command": "color:#2f9a5a",
    "field": "color:#0f8ea0",
    "dimfield": "color:#0f8ea0;opacity:0.62",
    "rerecorded": "color:#a8780d",
    "changed": "color:#0f8ea0",
}

FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:12.5px;line-height:1.45"
BOX = f"{FONT};color:inherit;background:transparent;text-align:left;max-width:100%"
LINES = "white-space:pre-wrap;overflow-wrap:break-word"   # said once on what holds the lines; inherited
RULE = "1px solid rgba(128,128,128,0.45)"
CH = 0.6   # em per character of the monospace font (the sanitizer keeps em, not ch)

MAX_LINES = 400   # lines of one section drawn before "… N more lines"
MAX_ROWS = 50     # table rows drawn before "… N more rows"
WRAP_COLUMNS = {"test": 28, "endpoint": 20, "model": 16, "tool calls": 12, "problem": 12}  # the rest never wrap


def esc(text: object) -> str:
    """Recorded text as inert HTML: controls made visible, then <, >, &, quotes escaped."""
    return html.escape(safe(text), quote=True)


def css(style: str) -> str:
    """The inline CSS for a semantic style name (unknown names are drawn plain)."""
    return STYLES.get(style, STYLES[""])


def em(chars: float) -> str:
    return f"{chars * CH:.4g}em"


def span_html(span: Span) -> str:
    if not span.text:
        return ""
    style = css(span.style)
    if style == STYLES[""]:   # the colour it would set is the one it inherits
        return esc(span.text)
    return f'<span style="{style}">{esc(span.text)}</span>'


def line_html(line: Line) -> str:
    """One line, inside a box that says `LINES` (an empty line keeps its height with a <br>)."""
    body = "".join(span_html(s) for s in line.spans) or "<br>"
    return f'<div style="padding-left:{em(line.indent)}">{body}</div>' if line.indent else f"<div>{body}</div>"


def _more(n: int, what: str, hint: str) -> str:
    return f"… {n:,} more {what}" + (f": {hint}" if hint else "")


def section_html(section: Section, max_lines: int | None = MAX_LINES, hint: str = "") -> str:
    """One section as <details> (open unless the section is folded), its lines capped."""
    lines = section.lines if max_lines is None else section.lines[:max_lines]
    body = "".join(line_html(line) for line in lines)
    if max_lines is not None and len(section.lines) > max_lines:
        body += line_html(Line([Span(_more(len(section.lines) - max_lines, "lines", hint), "dim")]))
    title = f'<span style="{css(section.style or "title")}">{esc(section.title)}</span>'
    if section.note:
        title += f' <span style="{css("dim")}">{esc(section.note)}</span>'
    opened = "" if section.folded else " open"
    return (f'<details{opened} style="margin:0 0 0.6em 0;{LINES}">'
            f'<summary style="cursor:pointer">{title}</summary>'
            f'<div style="padding-left:1.4em">{body}</div></details>')


def sections_html(sections: Iterable[Section], max_lines: int | None = MAX_LINES, hint: str = "", footer: Sequence[Line] = ()) -> str:
    """Sections in one self-contained box; `footer` lines (e.g. how to see more) close it."""
    parts = [section_html(s, max_lines, hint) for s in sections]
    if footer:
        parts.append(f'<div style="{LINES}">{"".join(line_html(line) for line in footer)}</div>')
    return f'<div style="{BOX}">{"".join(parts)}</div>'


def table_html(columns: Sequence[str], rows: Sequence[Sequence[Span]], max_rows: int | None = MAX_ROWS, hint: str = "",
               before: Sequence[Section] = (), script: bool = True, wrap: dict[str, int] | None = None) -> str:
    """A table of styled cells, capped at `max_rows`, after optional sections.

    Cells hold their text and at most their colour: the rest is said once. The
    table breaks long values anywhere (`word-break`, inherited); each column's
    header sets its least width, so a `wrap` column ({name: least width in
    characters}) folds its long values and the others keep their widest value on
    one line. Under JupyterLab, whose stylesheet styles every `td`, the cells take
    its table look (padding, stripes, short values aligned right: a pandas
    DataFrame's); the wrap columns read from the left.

    With `script`, a small script adds a filter box and sortable headers; it
    only creates its own controls, so a page that blocks scripts shows the
    plain table and nothing dead.
    """
    shown = rows if max_rows is None else rows[:max_rows]
    used = _used_columns(columns, shown)
    wrap = WRAP_COLUMNS if wrap is None else wrap
    # One character more than the widest value: a glyph is a little over 0.6 em.
    least = {i: wrap[columns[i]] if columns[i] in wrap else 1 + max([len(columns[i]), *(len(safe(r[i].text)) for r in shown)]) for i in used}
    head = "".join(f'<th style="min-width:{em(least[i])};text-align:left">{esc(columns[i])}</th>' for i in used)
    left = [columns[i] in wrap for i in range(len(columns))]
    body = "".join("<tr>" + "".join(_cell_html(row[i], left[i]) for i in used) + "</tr>" for row in shown)
    table_id = "ct-" + uuid.uuid4().hex[:12]
    parts = [section_html(s) for s in before]
    parts.append(f'<table id="{table_id}" cellpadding="2" style="{FONT};border-collapse:collapse;table-layout:auto;word-break:break-all;color:inherit;background:transparent;margin:0">'
                 f'<thead style="border-bottom:{RULE}"><tr>{head}</tr></thead><tbody style="vertical-align:top">{body}</tbody></table>')
    if max_rows is not None and len(rows) > max_rows:
        parts.append(f'<div style="{LINES}">{line_html(Line([Span(_more(len(rows) - max_rows, "rows", hint), "dim")]))}</div>')
    if script and shown:
        parts.append(_TABLE_SCRIPT.replace("TABLE_ID", table_id))
    return f'<div style="{BOX}">{"".join(parts)}</div>'


def _cell_html(span: Span, left: bool) -> str:
    """A cell whose own element carries the span's colour (no <span> inside it); a wrap
    column's cells say they read from the left (JupyterLab right-aligns every cell)."""
    style = css(span.style) if span.text else STYLES[""]
    style = "" if style == STYLES[""] else style
    if left:
        style = f"text-align:left;{style}" if style else "text-align:left"
    return f'<td style="{style}">{esc(span.text)}</td>' if style else f"<td>{esc(span.text)}</td>"


def _used_columns(columns: Sequence[str], rows: Sequence[Sequence[Span]]) -> list[int]:
    """Columns with something in them among the rows shown (all of them when there are no rows)."""
    return [i for i in range(len(columns)) if any(row[i].text for row in rows)] or list(range(len(columns)))


# Filter box and click-to-sort headers for the rows shown; no recorded text is ever in here.
_TABLE_SCRIPT = """<script>(function(){
var t=document.getElementById("TABLE_ID");if(!t||!t.tBodies.length)return;
var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);
var box=document.createElement("input");box.type="search";box.placeholder="filter the rows shown";
box.style.cssText="font:inherit;color:inherit;background:transparent;border:1px solid rgba(128,128,128,0.5);padding:1px 6px;margin:0 0 4px 0;width:24em";
box.addEventListener("input",function(){var q=box.value.toLowerCase();rows.forEach(function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)<0?"none":"";});});
t.parentNode.insertBefore(box,t);
Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){var dir=-1;th.style.cursor="pointer";th.title="click to sort";
th.addEventListener("click",function(){dir=-dir;rows.sort(function(x,y){var a=x.cells[i].textContent,c=y.cells[i].textContent,na=num(a),nc=num(c);
var r=(na!==null&&nc!==null)?na-nc:a.localeCompare(c);return r*dir;});rows.forEach(function(r){b.appendChild(r);});});});
function num(s){var m=/^(\\d+(?:\\.\\d+)?)([BKMG]?)$/.exec(s.trim());return m?parseFloat(m[1])*({"":1,B:1,K:1024,M:1048576,G:1073741824})[m[2]]:null;}
})();</script>"""


# --- plain text --------------------------------------------------------------------------


def line_text(line: Line) -> str:
    return " " * line.indent + "".join(safe(s.text) for s in line.spans)


def section_text(section: Section, max_lines: int | None = MAX_LINES, hint: str = "") -> str:
    title = safe(section.title) + (f"  ({safe(section.note)})" if section.note else "")
    out = [title, "-" * min(len(title), 78)] if title else []
    lines = section.lines if max_lines is None else section.lines[:max_lines]
    out.extend("  " + line_text(line) for line in lines)
    if max_lines is not None and len(section.lines) > max_lines:
        out.append("  " + _more(len(section.lines) - max_lines, "lines", hint))
    return "\n".join(out)


def sections_text(sections: Iterable[Section], max_lines: int | None = MAX_LINES, hint: str = "", footer: Sequence[Line] = ()) -> str:
    """A readable transcript of the sections: no colour, no escapes."""
    parts = [section_text(s, max_lines, hint) for s in sections]
    text = "\n\n".join(p for p in parts if p)
    if footer:
        text += "\n\n" + "\n".join(line_text(line) for line in footer)
    return text


def table_text(columns: Sequence[str], rows: Sequence[Sequence[Span]], max_rows: int | None = MAX_ROWS, hint: str = "",
               before: Sequence[Section] = (), width: int = 48) -> str:
    """Columns aligned with spaces; cells longer than `width` are clipped with an ellipsis."""
    shown = rows if max_rows is None else rows[:max_rows]

    def clip(text: str) -> str:
        # Clipped in the middle: a test id's file and its test name both stay readable.
        text = safe(text).replace("\n", " ")
        if len(text) <= width:
            return text
        head = (width - 1) // 3
        return text[:head] + "…" + text[len(text) - (width - 1 - head):]

    grid = [[clip(c) for c in columns]] + [[clip(s.text) for s in row] for row in shown]
    used = _used_columns(columns, shown)
    widths = {i: max(len(r[i]) for r in grid) for i in used}
    out = [sections_text(before)] if before else []
    for n, r in enumerate(grid):
        out.append("  ".join(r[i].ljust(widths[i]) for i in used).rstrip())
        if n == 0:
            out.append("  ".join("-" * widths[i] for i in used))
    if max_rows is not None and len(rows) > max_rows:
        out.append(_more(len(rows) - max_rows, "rows", hint))
    return "\n".join(out)


_ANSI = re.compile(r"\x1b")


def bundle(html_text: str, plain: str, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> dict[str, str]:
    """A `_repr_mimebundle_` result: text/plain and text/html only (never JSON)."""
    out = {"text/plain": _ANSI.sub("␛", plain), "text/html": html_text}
    if include:
        out = {k: v for k, v in out.items() if k in set(include)}
    if exclude:
        out = {k: v for k, v in out.items() if k not in set(exclude)}
    return out
