"""The command line: `cassette-tui [DIR]` opens the TUI; subcommands serve scripts and CI logs."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from . import __version__
from .index import Index, RefError
from .jsonio import dumps_line
from .model import Summary
from .recording import Recording

COMMANDS = ("ls", "show", "stats")
EXIT_USAGE = 2


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def short_test(test_id: str | None) -> str:
    if not test_id:
        return ""
    return test_id.removeprefix("tests/integration/")


def human_size(n: int) -> str:
    for unit in ("B", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


# --- opening directories ----------------------------------------------------------------


def open_index(directory: str | None, use_cache: bool = True) -> Index:
    """Index DIR; with no DIR, the recordings under the current directory."""
    if directory is None:
        return Index(Path.cwd(), recordings_only=True, use_cache=use_cache).scan()
    path = Path(directory)
    if not path.exists():
        raise CLIError(f"no such directory: {directory}")
    if not path.is_dir():
        raise CLIError(f"not a directory: {directory}")
    try:
        return Index(path, use_cache=use_cache).scan()
    except OSError as exc:
        raise CLIError(f"cannot read {directory}: {exc.strerror or exc}") from None


def demo_dir() -> Path:
    return Path(__file__).resolve().parent / "demo"


def default_directory() -> tuple[Path, bool]:
    """The directory `cassette-tui` opens with no argument, and whether it is the demo."""
    cwd = Path.cwd()
    idx = Index(cwd, recordings_only=True, use_cache=False)
    for _rel, _st in idx._walk(idx.stats, []):  # any recording at all is enough
        return cwd, False
    return demo_dir(), True


# --- ls ---------------------------------------------------------------------------------

SORT_KEYS = ("path", "test", "kind", "endpoint", "model", "provider", "chunks", "size", "mtime", "finish", "id")


def sort_summaries(rows: list[Summary], key: str, reverse: bool = False) -> list[Summary]:
    attr = {"test": "test_id", "finish": "finish_reason"}.get(key, key)

    def k(s: Summary) -> Any:
        v = getattr(s, attr)
        return (v is None, v if v is not None else "")

    return sorted(rows, key=k, reverse=reverse)


def cmd_ls(args: argparse.Namespace) -> int:
    from .query import QueryError, parse

    idx = open_index(args.dir, use_cache=not args.no_cache)
    text = " ".join(args.query)
    try:
        query = parse(text)
    except QueryError as exc:
        raise CLIError(query_error_text(text, exc)) from None
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


def query_error_text(text: str, exc: Any) -> str:
    return f"bad query: {exc}\n  {text}\n  {' ' * exc.position}^"


def print_table(rows: list[Summary], idx: Index, total: int) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .view import safe

    tty = sys.stdout.isatty()
    console = Console(highlight=False, soft_wrap=not tty, width=None if tty else 1000)
    table = Table(box=box.SIMPLE_HEAD if tty else None, show_edge=False, pad_edge=False, header_style="bold")
    for col, kw in (("id", {"style": "magenta", "no_wrap": True}), ("test", {"style": "green", "overflow": "fold", "ratio": 3}), ("kind", {}), ("endpoint", {"overflow": "fold"}), ("model", {"style": "yellow", "overflow": "fold"}),
                    ("provider", {}), ("stream", {"justify": "right"}), ("finish", {}), ("tool calls", {"style": "bold yellow", "overflow": "fold"}), ("size", {"justify": "right"}), ("problem", {"style": "red", "overflow": "fold"})):
        table.add_column(col, **kw)
    for s in rows:
        # Cells are Text, never str: a str cell is parsed as Rich markup, and test ids hold [brackets].
        table.add_row(*map(Text, (
            safe(s.id[:12]),
            safe(short_test(s.test_id)),
            s.kind,
            safe(s.endpoint or ""),
            safe(s.model or ""),
            safe(s.provider or ""),
            str(s.chunks) if s.streaming else "no",
            safe(s.finish_reason or ("" if not s.streaming and s.kind not in ("chat", "completion") else "-")),
            safe(", ".join(s.tool_calls)),
            human_size(s.size),
            safe(s.problem or ("⚠ " + ",".join(s.anomalies) if s.anomalies else "")),
        )))
    console.print(table)
    console.print(Text(f"{len(rows)} of {total} recordings in {idx.root}", "dim"))


# --- show -------------------------------------------------------------------------------


def load_ref(ref: str, directory: str | None) -> Recording:
    """REF is a path to a file, or an id prefix (or path) within DIR (default: the current directory)."""
    p = Path(ref)
    if p.is_file():
        return Recording.load(p)
    if directory is not None and (Path(directory) / ref).is_file():
        return Recording.load(Path(directory) / ref)
    idx = open_index(directory)
    try:
        summary = idx.resolve(ref)
    except RefError as exc:
        raise CLIError(str(exc)) from None
    if summary.problem and summary.problem.startswith("listed in index.sqlite"):
        raise CLIError(f"{ref}: {summary.problem}")
    return idx.load(summary)


def show_json(rec: Recording) -> dict[str, Any]:
    from .timeline import recording_timeline

    result = rec.result
    return {
        "id": rec.id,
        "path": rec.path,
        "test_id": rec.test_id,
        "kind": rec.kind,
        "endpoint": rec.endpoint,
        "model": rec.model,
        "provider": rec.provider,
        "streaming": rec.streaming,
        "chunks": len(rec.chunks),
        "problem": rec.problem,
        "result": result.to_json(),
        "error": result.error,
        "anomalies": [{"code": a.code, "message": a.message} for a in result.anomalies],
        "timeline": [s.to_json() for s in recording_timeline(rec)],
    }


def cmd_show(args: argparse.Namespace) -> int:
    rec = load_ref(args.ref, args.dir)
    if args.json:
        sys.stdout.write(dumps_line(show_json(rec)) + "\n")
        return 0
    from rich.console import Console

    from .rich_view import line_text, sections_renderable
    from .view import recording_sections, stream_lines

    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    console.print(sections_renderable(recording_sections(rec, limit=None if args.full else 4_000)))
    if args.stream and not rec.problem:
        console.print()
        console.print("[bold]Chunks[/bold]")
        for line in stream_lines(rec.result, limit=100_000):
            console.print(line_text(line))
    return 0 if not rec.problem else 1


# --- stats ------------------------------------------------------------------------------


def stats_of(rows: list[Summary]) -> dict[str, Any]:
    def top(counter: Counter[str]) -> dict[str, int]:
        return dict(counter.most_common())

    streams = [s.chunks for s in rows if s.streaming]
    sizes = [s.size for s in rows]
    anomalies: Counter[str] = Counter(a for s in rows for a in s.anomalies)
    return {
        "recordings": len(rows),
        "problems": sum(1 for s in rows if s.problem),
        "kinds": top(Counter(s.kind for s in rows)),
        "endpoints": top(Counter(s.endpoint or "-" for s in rows)),
        "providers": top(Counter(s.provider or "-" for s in rows)),
        "models": top(Counter(s.model or "-" for s in rows)),
        "test_files": top(Counter((s.test_id or "(no test id)").split("::")[0] for s in rows)),
        "eras": top(Counter(s.era or "-" for s in rows)),
        "size": {"total": sum(sizes), "largest": max(sizes, default=0), "median": sorted(sizes)[len(sizes) // 2] if sizes else 0},
        "streams": {"count": len(streams), "chunks": sum(streams), "max_chunks": max(streams, default=0)},
        "anomalies": top(anomalies),
        "with_tool_calls": sum(1 for s in rows if s.tool_calls),
        "with_errors": sum(1 for s in rows if "error" in s.flags),
    }


def cmd_stats(args: argparse.Namespace) -> int:
    from .query import QueryError, parse

    idx = open_index(args.dir, use_cache=not args.no_cache)
    text = " ".join(args.query)
    try:
        query = parse(text)
    except QueryError as exc:
        raise CLIError(query_error_text(text, exc)) from None
    stats = stats_of([s for s in idx if query.matches(s)])
    if args.json:
        sys.stdout.write(dumps_line(stats) + "\n")
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .view import safe

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
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
            table.add_row(str(n), Text(safe(name)))
        if len(counts) > len(shown):
            table.add_row("", f"[dim]… {len(counts) - len(shown)} more (--top N)[/dim]")
        console.print(table)
    return 0


# --- entry point ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cassette-tui",
        description="Browse and debug llama-stack / ogx API recordings. With no command, opens the TUI on DIR "
        "(default: the recordings under the current directory, or the bundled demo set).",
    )
    parser.add_argument("--version", action="version", version=f"cassette-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ls", help="list recordings, optionally filtered by a query")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("query", nargs="*", metavar="QUERY", help="query terms, e.g. model:gpt-4o stream:yes has:tools")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--sort", choices=SORT_KEYS, default="path")
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--no-cache", action="store_true", help="read every file, ignoring and not writing the cache")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("show", help="show one recording: conversation, reassembled response, anomalies")
    p.add_argument("ref", metavar="REF", help="a path, or a unique id prefix within --dir")
    p.add_argument("--dir", default=None, help="directory to search for REF (default: the current directory)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--stream", action="store_true", help="also list what every chunk added")
    p.add_argument("--full", action="store_true", help="do not clip long texts")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("stats", help="counts by kind, endpoint, provider, model and test file")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("query", nargs="*", metavar="QUERY")
    p.add_argument("--json", action="store_true")
    p.add_argument("--top", type=int, default=15, help="rows per table")
    p.add_argument("--no-cache", action="store_true")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
            return run_tui(argv[0] if argv else None)
        parser = build_parser()
        args, extra = parser.parse_known_args(query_args(argv))
        if extra:
            # Query terms after an option (`ls DIR --json model:x`) are left over by argparse.
            if not hasattr(args, "query") or any(e.startswith("-") for e in extra):
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
            args.query += extra
        if hasattr(args, "query"):
            args.query = [word.lstrip() for word in args.query]
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        code = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe is caught below, not at interpreter exit
        return code
    except CLIError as exc:
        print(f"cassette-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `cassette-tui ls ... | head`: stop quietly, as other Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


def query_args(argv: list[str]) -> list[str]:
    """Let `ls`/`stats` take negated terms (`-provider:ollama`) as query words, not options.

    argparse reads any word starting with '-' as an option; one starting with a space is
    a positional, and the query language ignores the space.
    """
    if not argv or argv[0] not in ("ls", "stats"):
        return argv
    out = argv[:1]
    words = iter(argv[1:])
    for word in words:
        if word == "--":  # everything after it is query
            out.extend(" " + w if w.startswith("-") else w for w in words)
            break
        out.append(" " + word if len(word) > 1 and word[0] == "-" and word[1] != "-" and word != "-h" else word)
    return out


def run_tui(directory: str | None) -> int:
    if directory is not None:
        path = Path(directory)
        if not path.is_dir():
            raise CLIError(f"no such directory: {directory}" if not path.exists() else f"not a directory: {directory}")
        demo = False
    else:
        path, demo = default_directory()
    recordings_only = directory is None and not demo
    index = scan_with_progress(Index(path, recordings_only=recordings_only))
    from .tui.app import CassetteApp

    app = CassetteApp(path, demo=demo, recordings_only=recordings_only, label=directory or ".", index=index)
    app.run()
    return app.return_code or 0


def scan_with_progress(index: Index) -> Index:
    """Scan before the TUI starts: forking reader processes is only safe before its threads run.

    A warm cache makes this a few milliseconds; a cold scan of a large tree says how far it got.
    """
    shown = False

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if total >= 500 and sys.stderr.isatty():
            shown = True
            sys.stderr.write(f"\rcassette-tui: indexing {done:,} of {total:,} files…")
            sys.stderr.flush()

    try:
        index.scan(progress=progress)
    except OSError as exc:
        raise CLIError(f"cannot read {index.root}: {exc.strerror or exc}") from None
    finally:
        if shown:
            sys.stderr.write("\r\x1b[K")
    return index
