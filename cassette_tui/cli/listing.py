"""`ls` and `stats`: the recordings of a tree as rows, and counted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..index import Index
from ..jsonio import dumps_line
from ..model import Summary, summary_sort_key
from ..reports import stats_of, verify_summary_lines
from ..view import human_size
from .checks import collected_ids
from .common import (
    CLIError,
    make_console,
    open_index,
    query_error_text,
    write_lines,
)


def sort_summaries(rows: list[Summary], key: str, reverse: bool = False) -> list[Summary]:
    return sorted(rows, key=summary_sort_key(key), reverse=reverse)


def parse_query_words(words: list[str]) -> tuple[str, Any]:
    """The query typed as separate shell words, parsed; a malformed one is a CLIError."""
    from ..query import QueryError, parse

    text = " ".join(words)
    try:
        return text, parse(text)
    except QueryError as exc:
        raise CLIError(query_error_text(text, exc)) from None


def cmd_ls(args: argparse.Namespace) -> int:
    from ..query import parse

    text, query = parse_query_words(args.query)
    idx = open_index(args.dir, use_cache=not args.no_cache)
    if "is:" in text.lower():  # the verify status is only known once verified
        from ..verify import apply_statuses, verify_index

        apply_statuses(idx, verify_index(idx))
    query = parse(text, root=str(idx.root))   # path: also matches a path as shown from the current folder
    rows = [s for s in idx if query.matches(s)]
    rows = sort_summaries(rows, args.sort, args.reverse)
    if args.limit:
        rows = rows[: args.limit]
    out = sys.stdout
    if args.json:
        for s in rows:
            d = s.to_json()
            d["path"] = str(Path(args.dir or ".") / s.path)
            out.write(dumps_line(d) + "\n")
        return 0
    print_table(rows, idx, len(idx))
    return 0


def print_table(rows: list[Summary], idx: Index, total: int) -> None:
    from rich.text import Text

    from ..rich_columns import Column, columns_text, plain_lines
    from ..rows import row_cells

    columns = (
        Column("id", "magenta"), Column("test", "green", flex=3), Column("kind"), Column("endpoint", flex=1),
        Column("model", "yellow", flex=1), Column("provider"), Column("stream", right=True), Column("finish"),
        Column("tool calls", "bold yellow", flex=1), Column("size", right=True), Column("problem", "red", flex=1),
    )
    names = tuple(c.header for c in columns)
    cells = [[c.text for c in row_cells(s, names)] for s in rows]
    tty = sys.stdout.isatty()
    console = make_console(soft_wrap=not tty)
    # On a terminal the long columns fold to its width, under a header; into a pipe every row is
    # one line and stdout holds rows only (the count goes to stderr, for the person watching).
    if not tty and console.color_system is None:
        write_lines(plain_lines(columns, cells))   # Rich adds nothing here, at 10x the time
    else:
        console.print(columns_text(columns, cells, width=console.width if tty else None, rule=tty, header=tty))
    footer = f"{len(rows)} of {total} recordings in {idx.root}"
    if tty:
        console.print(Text(footer, "dim"))
    elif sys.stderr.isatty():
        print(footer, file=sys.stderr)


def cmd_stats(args: argparse.Namespace) -> int:
    text, query = parse_query_words(args.query)
    idx = open_index(args.dir, use_cache=not args.no_cache)
    from ..verify import apply_statuses, verify_index

    report = verify_index(idx, collected=collected_ids(idx, args.collect))
    apply_statuses(idx, report)
    rows = [s for s in idx if query.matches(s)]
    stats = stats_of(rows)
    verified = report.subset(s.path for s in rows)
    stats["verify"] = verified.summary()
    if args.json:
        sys.stdout.write(dumps_line(stats) + "\n")
        return 0
    from rich.table import Table
    from rich.text import Text

    from ..view import one_line

    console = make_console(width=None if sys.stdout.isatty() else 160)
    console.print(Text(f"{stats['recordings']} recordings in {idx.root}  ({stats['problems']} with problems, {stats['with_tool_calls']} with tool calls, {stats['with_errors']} with errors)"))
    sz = stats["size"]
    console.print(f"size: {human_size(sz['total'])} total, median {human_size(sz['median'])}, largest {human_size(sz['largest'])}")
    st = stats["streams"]
    console.print(f"streams: {st['count']} streamed responses, {st['chunks']:,} chunks, longest {st['max_chunks']}")
    for key in ("kinds", "eras", "providers", "endpoints", "models", "test_files", "anomalies"):
        counts = stats[key]
        if not counts:
            continue
        table = Table(title=key.replace("_", " "), title_justify="left", title_style="bold", show_header=False, box=None, pad_edge=False)
        table.add_column(justify="right", style="cyan")
        table.add_column()
        shown = list(counts.items())[: args.top]
        for name, n in shown:
            table.add_row(str(n), Text(one_line(name)))
        if len(counts) > len(shown):
            table.add_row("", f"[dim]… {len(counts) - len(shown)} more (--top N)[/dim]")
        console.print(table)
    for line in verify_summary_lines(verified):
        console.print(Text(line))
    return 0
