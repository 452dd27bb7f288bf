"""A plain column layout for long listings (`ls`), drawn as Rich Text.

Rich's Table measures and wraps every cell through its generic renderer: 850
rows took about 0.7 s. Here the widths come from one `cell_len` per cell, long
cells fold onto more lines as the Table did, and the whole listing is one Text.
Cells are plain strings made safe by the caller (never markup).

`plain_lines` is the same listing without Rich, for a pipe with no colour: on
100,000 files in one folder, `ls` into a pipe took 23 s and 820 MB through Rich's
Text (a span per cell, then wrapping and rendering every line), 4.3 s and 185 MB
with these lines (most of it now opening the index).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest

from rich.cells import cell_len, chop_cells
from rich.control import strip_control_codes
from rich.text import Text

GAP = "  "
MIN_FLEX = 6   # narrowest a shrinking column gets


@dataclass(frozen=True)
class Column:
    header: str
    style: str = ""
    right: bool = False     # right-justified (numbers)
    flex: int = 0           # share of the width a too-wide listing takes from this column (0: never shrinks)


def _cells(text: str) -> int:
    """Terminal cells of `text`: its length when printable ASCII, else Rich's measure (wide,
    combining and control characters)."""
    return len(text) if text.isascii() and text.isprintable() else cell_len(text)


def column_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None) -> list[int]:
    """Each column's natural width (its header's at least); with `width`, the flexible ones shrink (by their share) to fit it."""
    natural = [cell_len(c.header) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            n = _cells(cell)
            if n > natural[i]:
                natural[i] = n
    if width is None or sum(natural) + len(GAP) * (len(columns) - 1) <= width:
        return natural
    widths = list(natural)
    flexible = [i for i, c in enumerate(columns) if c.flex]
    space = width - len(GAP) * (len(columns) - 1) - sum(natural[i] for i, c in enumerate(columns) if not c.flex)
    # Water-filling: a column that needs less than its share keeps its natural width,
    # and what it leaves is shared again among the rest.
    while flexible:
        shares = sum(columns[i].flex for i in flexible)
        fits = [i for i in flexible if natural[i] <= space * columns[i].flex // shares]
        if not fits:
            for i in flexible:
                widths[i] = max(MIN_FLEX, space * columns[i].flex // shares)
            break
        for i in fits:
            space -= natural[i]
            flexible.remove(i)
    return widths


def columns_text(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None = None, rule: bool = False,
                 header: bool = True) -> Text:
    """The listing as one Text: a bold header (and a rule under it), then a line per row (more if a cell folds)."""
    widths = column_widths(columns, rows, width)
    out = Text(no_wrap=True, overflow="ignore", end="")
    if header:
        _line(out, columns, widths, [c.header for c in columns], "bold")
    if header and rule:
        out.append("\n")
        out.append(GAP.join("─" * w for w in widths), "dim")
    for n, row in enumerate(rows):
        parts = [chop_cells(cell, w) if cell_len(cell) > w else [cell] for cell, w in zip(row, widths, strict=True)]
        for k, line in enumerate(zip_longest(*parts, fillvalue="")):
            if header or n or k:
                out.append("\n")
            _line(out, columns, widths, line, None)
    return out


def _line(out: Text, columns: Sequence[Column], widths: Sequence[int], cells: Sequence[str], style: str | None) -> None:
    line = Text()
    for i, (col, w, cell) in enumerate(zip(columns, widths, cells, strict=True)):
        if i:
            line.append(GAP)
        pad = " " * (w - cell_len(cell))
        if col.right:
            line.append(pad)
        line.append(cell, style if style is not None else col.style)
        if not col.right:
            line.append(pad)
    line.rstrip()   # no trailing blanks when the last cells are empty
    out.append_text(line)


_RICH_STRIPS = re.compile("[\x07\x08\x0b\x0c\x0d]")   # what Rich's Text drops from appended text


def plain_lines(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """One line per row, no header, at the natural widths: what `columns_text(..., header=False)`
    prints through a console without colour and without a width, character for character."""
    widths = column_widths(columns, rows, None)
    right = [c.right for c in columns]
    for row in rows:
        parts = []
        for cell, w, r in zip(row, widths, right, strict=True):
            pad = " " * (w - _cells(cell))
            parts.append(pad + cell if r else cell + pad)
        line = GAP.join(parts).rstrip()
        yield strip_control_codes(line) if _RICH_STRIPS.search(line) else line
