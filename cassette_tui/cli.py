"""The command line: `cassette-tui [DIR]` opens the TUI; subcommands serve scripts and CI logs."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from . import __version__
from .completion import DIR_OR_QUERY, FILE, QUERY, REF, SHELLS, mark
from .completion import script as completion_script
from .index import Index, RefError
from .jsonio import dumps_line
from .model import DEMO_DIR, SORT_KEYS, Summary, summary_sort_key
from .recording import Recording
from .reports import changes_section, explain_sections, git_report_sections, shown_path
from .view import human_size, short_test
from .walk import TreeWalk

COMMANDS = ("ls", "show", "stats", "verify", "explain", "diff", "serve")
EXIT_USAGE = 2


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


# --- opening directories ----------------------------------------------------------------


def open_index(directory: str | None, use_cache: bool = True) -> Index:
    """Index DIR; with no DIR, the recordings under the current directory."""
    if directory is None:
        idx = Index(Path.cwd(), recordings_only=True, use_cache=use_cache).scan()
        print_skipped(idx.stats.skipped)
        return idx
    path = Path(directory)
    if not path.exists():
        raise CLIError(f"no such directory: {directory}")
    if not path.is_dir():
        raise CLIError(f"not a directory: {directory}")
    try:
        idx = Index(path, use_cache=use_cache).scan()
    except OSError as exc:
        raise CLIError(f"cannot read {directory}: {exc.strerror or exc}") from None
    print_skipped(idx.stats.skipped)
    return idx


SKIPPED_SHOWN = 20


def print_skipped(notes: list[str]) -> None:
    """Folders and links the walk did not enter (unreadable, a path too long, a link leaving
    the tree), one line each on stderr: what is not listed is said, not silently dropped."""
    from .view import one_line

    for note in notes[:SKIPPED_SHOWN]:
        shown = one_line(note, None)
        if len(shown) > 300:   # keep both ends: the path's start and the reason
            shown = shown[:150] + "…" + shown[-150:]
        print(f"cassette-tui: not listed: {shown}", file=sys.stderr)
    if len(notes) > SKIPPED_SHOWN:
        print(f"cassette-tui: not listed: {len(notes) - SKIPPED_SHOWN} more", file=sys.stderr)


def default_directory() -> tuple[Path, bool]:
    """The directory `cassette-tui` opens with no argument, and whether it is the demo.

    In cassette-tui's own source checkout the recordings below are its test fixtures
    and the demo set itself (hostile ones are made there while tests run): the demo then."""
    cwd = Path.cwd()
    if is_own_checkout(cwd):
        return DEMO_DIR, True
    for _rel, _st in TreeWalk(str(cwd.resolve()), recordings_only=True).files():  # any recording at all is enough
        return cwd, False
    return DEMO_DIR, True


def is_own_checkout(folder: Path) -> bool:
    here = folder / "cassette_tui" / "cli.py"
    try:
        return here.is_file() and here.samefile(__file__)
    except OSError:
        return False


# --- ls ---------------------------------------------------------------------------------

HELP_EPILOG = """\
examples:
  cassette-tui tests/integration                        the TUI
  cassette-tui tests/integration model:gpt-4o has:tools the TUI, filtered
  cassette-tui ls tests/integration is:stale --json     one JSON object per stale recording
  cassette-tui explain ci.log --dir tests/integration   why replay missed, grouped by cause
  cassette-tui verify tests/integration --format github annotations for a CI step
  cassette-tui diff --git origin/main --markdown        what a pull request re-recorded

exit status:
  0  done (diff A B: the two are the same)
  1  verify: a file is stale, mismatched, orphaned or unreadable; show: the file has a problem; diff A B: they differ
  2  a usage error or bad input (said in one line on standard error)
  130 interrupted

environment:
  CASSETTE_TUI_CACHE_DIR       where the index cache lives (default: ~/.cache/cassette-tui)
  CASSETTE_TUI_EXPLAIN_MISSES  1: the pytest plugin explains replay misses (as pytest --explain-misses)
  NO_COLOR                     no colours

'cassette-tui COMMAND --help' tells more of each command; the query language is in the TUI's help (?).
"""


def make_console(**kwargs: Any) -> Any:
    """A Rich console for stdout whose closed pipe ends the command quietly with 0 (Rich's own exits 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return _Console(highlight=False, **kwargs)




def sort_summaries(rows: list[Summary], key: str, reverse: bool = False) -> list[Summary]:
    return sorted(rows, key=summary_sort_key(key), reverse=reverse)


def parse_query_words(words: list[str]) -> tuple[str, Any]:
    """The query typed as separate shell words, parsed; a malformed one is a CLIError."""
    from .query import QueryError, parse

    text = " ".join(words)
    try:
        return text, parse(text)
    except QueryError as exc:
        raise CLIError(query_error_text(text, exc)) from None


def cmd_ls(args: argparse.Namespace) -> int:
    from .query import parse

    text, query = parse_query_words(args.query)
    idx = open_index(args.dir, use_cache=not args.no_cache)
    if "is:" in text.lower():  # the verify status is only known once verified
        from .verify import apply_statuses, verify_index

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


def query_error_text(text: str, exc: Any) -> str:
    return f"bad query: {exc}\n  {text}\n  {' ' * exc.position}^"


def print_table(rows: list[Summary], idx: Index, total: int) -> None:
    from rich.text import Text

    from .rich_columns import Column, columns_text, plain_lines
    from .rows import row_cells

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


def write_lines(lines: Any, batch: int = 4096) -> None:
    """Lines to stdout, a few thousand at a time (one write per line costs more than making it)."""
    out = sys.stdout
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == batch:
            out.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        out.write("\n".join(chunk) + "\n")
    out.flush()


# --- show -------------------------------------------------------------------------------


def load_ref(ref: str, directory: str | None) -> Recording:
    """REF is a path to a file, `-` (a recording on standard input), or an id prefix (or path) within DIR
    (default: the current directory)."""
    if ref == "-":
        return Recording.from_bytes(sys.stdin.buffer.read(), "<stdin>")
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
        "host": rec.host,
        "streaming": rec.streaming,
        "chunks": rec.chunk_count,
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

    from .rich_view import line_text, sections_renderable
    from .view import recording_sections, stream_lines

    console = make_console(soft_wrap=not sys.stdout.isatty())
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
    text, query = parse_query_words(args.query)
    idx = open_index(args.dir, use_cache=not args.no_cache)
    from .verify import apply_statuses, verify_index

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

    from .view import one_line

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


# --- verify -----------------------------------------------------------------------------

STATUS_STYLES = {"ok": "green", "stale": "yellow", "orphan": "yellow", "mismatch": "bold red", "unreadable": "bold red", "not-a-recording": "magenta", "unverifiable": "dim", "missing": "red"}


def verify_json(verdict: Any, directory: str | None) -> dict[str, Any]:
    d = verdict.to_json()
    d["path"] = shown_path(directory, d["path"])
    if d["sibling"]:
        d["sibling"] = shown_path(directory, d["sibling"])
    d["duplicates"] = [shown_path(directory, p) for p in d["duplicates"]]
    return d


def verify_summary_lines(report: Any) -> list[str]:
    """The verify summary in words: counts, duplicates, index.sqlite checks."""
    s = report.summary()
    counts = report.counts()
    parts = []
    for status, n in counts.items():
        if not n:
            continue
        text = f"{n} {status}"
        if status == "stale":
            by = ", ".join(f"{k}: {v}" for k, v in s["stale_by_version"].items())
            text += f" ({by}; {s['stale_safe_to_delete']} safe to delete)"
        parts.append(text)
    lines = [f"verify: {s['files']} file{'s' if s['files'] != 1 else ''}: " + (", ".join(parts) or "none")]
    if s["duplicate_groups"]:
        lines.append(f"duplicates: {s['duplicate_groups']} requests are recorded more than once ({s['duplicate_files']} files)")
    if s["sqlite_missing"] or s["sqlite_unlisted"] or s["sqlite_wrong_hash"]:
        lines.append(f"index.sqlite: {s['sqlite_missing']} rows without a file, {s['sqlite_unlisted']} files without a row, {s['sqlite_wrong_hash']} rows naming another hash")
    t = s["tests"]
    if t["checked"]:
        counts = [f"{t['live']} found", f"{t['orphan']} orphan (their test is gone; safe to delete)"]
        if t["params"]:
            counts.append(f"{t['params']} parametrized, not checked statically (--collect checks them)")
        if t["unknown"]:
            counts.append(f"{t['unknown']} cannot be told from the source")
        lines.append(f"tests, {t['note']}: " + ", ".join(counts))
    # not checked (no test module beside the tree: recordings alone): said in --json only
    return lines


def collected_ids(idx: Index, collect: bool) -> Any:
    """`--collect`: the test ids pytest itself lists, in the repository the tree's test ids lead to."""
    if not collect:
        return None
    from .orphans import CollectError, collect_test_ids, test_ids_to_collect

    top, modules = test_ids_to_collect(idx)
    if top is None:
        raise CLIError("--collect: no test module that this tree's test ids name exists beside it")
    print(f"cassette-tui: running pytest --collect-only on {len(modules)} modules in {top} (this imports the repository's tests)", file=sys.stderr)
    try:
        return collect_test_ids(top, modules)
    except CollectError as exc:
        raise CLIError(str(exc)) from None


def cmd_verify(args: argparse.Namespace) -> int:
    from .verify import verify_file, verify_index

    files, directory = verify_targets(args.paths)
    if files is not None and args.collect:
        raise CLIError("--collect checks a whole DIR, not single files")
    if files is not None:
        # Only the files named (a pre-commit hook's staged recordings): each one's own verdict, no tree scan.
        verdicts = [verify_file(f, f) for f in files]
        report = None
    else:
        idx = open_index(directory, use_cache=not args.no_cache)
        report = verify_index(idx, collected=collected_ids(idx, args.collect))
        verdicts = list(report.verdicts.values())
    shown = None if files is not None else directory
    code = 1 if any(v.failing for v in verdicts) else 0
    fmt = "json" if args.json else args.format
    if fmt == "json":
        for v in verdicts:
            sys.stdout.write(dumps_line(verify_json(v, shown)) + "\n")
        return code
    if fmt == "github":
        for v in verdicts:
            if v.failing:
                sys.stdout.write(github_annotation("error", shown_path(shown, v.path), f"cassette-tui verify: {v.status}", v.full_detail or v.status) + "\n")
        return code
    from rich.text import Text

    from .view import one_line

    console = make_console(soft_wrap=not sys.stdout.isatty())
    for v in verdicts:
        if not (args.all or v.status != "ok" or v.group or v.notes):
            continue
        # One line per file, one for its detail: a newline in a name or a test id must not forge a row.
        line = Text(f"{v.status:<15} ", STATUS_STYLES.get(v.status, "")) + Text(f"{v.algorithm or '-':<3} ") + Text(one_line(shown_path(shown, v.path), None))
        console.print(line)
        if v.full_detail:
            console.print(Text("    " + one_line(v.full_detail, None), "dim"))
    if report is not None:
        for summary_line in verify_summary_lines(report):
            console.print(Text(summary_line, "bold" if summary_line.startswith("verify:") else ""))
    else:
        failing = sum(v.failing for v in verdicts)
        console.print(Text(f"verify: {len(verdicts)} file{'s' if len(verdicts) != 1 else ''}, {failing} failing", "bold"))
    return code


def verify_targets(paths: list[str]) -> tuple[list[str] | None, str | None]:
    """(files, None) when every PATH is a file; (None, DIR) for one folder or none (the current directory)."""
    if not paths:
        return None, None
    dirs = [p for p in paths if Path(p).is_dir()]
    if len(paths) == 1 and not Path(paths[0]).is_file():
        return None, paths[0]        # a folder, or a missing one (said so by open_index, as for ls)
    if dirs:
        raise CLIError("verify takes one DIR, or recording files (not both)")
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise CLIError(f"no such file or directory: {missing[0]}")
    return paths, None


def github_annotation(level: str, file: str, title: str, message: str) -> str:
    """A GitHub Actions workflow command (::error file=...::message), escaped as GitHub documents."""
    def data(s: str) -> str:
        return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(s: str) -> str:
        return data(s).replace(":", "%3A").replace(",", "%2C")

    return f"::{level} file={prop(file)},title={prop(title)}::{data(message)}"


# --- explain ----------------------------------------------------------------------------


def explain_misses(inputs: list[str], test_id: str | None) -> list[Any]:
    """Every miss the inputs describe, in order (a log may hold many; a folder, many re-recorded files)."""
    from .explain.inputs import InputError, misses_from

    misses: list[Any] = []
    try:
        for value in inputs:
            if value == "-":
                misses.extend(misses_from("standard input", test_id, text=sys.stdin.read()))
            else:
                misses.extend(misses_from(value, test_id))
    except InputError as exc:
        raise CLIError(str(exc)) from None
    return misses


def cmd_explain(args: argparse.Namespace) -> int:
    from .explain import HashTable, explain, group_explanations
    from .explain.inputs import live_files_under
    from .explain.rerecord import load_setups

    misses = explain_misses(args.input, args.test)
    idx = open_index(args.dir)
    table = HashTable(idx)
    inputs = live_files_under(idx.root, misses)
    explanations = [explain(m, idx, table=table, limit=args.limit, exclude=inputs) for m in misses]
    fmt = "json" if args.json else args.format
    if fmt == "json":
        for ex in explanations:
            sys.stdout.write(dumps_line(ex.to_json()) + "\n")
        return 0
    if fmt == "github":
        for ex in explanations:
            where = ex.miss.source or (ex.miss.test_id or "").split("::", 1)[0] or shown_path(args.dir, ex.nearest.path if ex.nearest else ".")
            title = f"replay miss: {short_test(ex.miss.test_id) or ex.miss.hash or ''}"
            sys.stdout.write(github_annotation("error", where, title, f"{ex.verdict}\n{ex.advice}") + "\n")
        return 0

    from .reports import findings_section
    from .rich_view import sections_renderable

    console = make_console(soft_wrap=not sys.stdout.isatty())
    setups = load_setups(idx.root)
    findings = group_explanations(explanations) if len(explanations) > 1 else None
    if findings and not args.verbose:
        console.print(sections_renderable([findings_section(findings, args.dir, setups)]))
        console.print("\n(--verbose for each miss in full, --json for everything)", style="dim")
        return 0
    console.print(sections_renderable(explain_sections(explanations, findings, args.dir, setups)))
    return 0


# --- diff -------------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    if args.git is not None:
        if len(args.refs) > 1:
            raise CLIError("diff --git REV takes at most one DIR")
        return diff_git(args, args.refs[0] if args.refs else ".")
    if len(args.refs) != 2:
        raise CLIError("diff needs two recordings (paths or ids), or --git REV [DIR]")
    if args.markdown:
        raise CLIError("--markdown goes with --git")
    from .compare import diff_recordings

    if args.refs.count("-") > 1:
        raise CLIError("only one of A and B can be '-' (standard input)")
    a, b = (load_ref(r, args.dir) for r in args.refs)
    for ref, rec in zip(args.refs, (a, b), strict=True):
        if rec.problem:
            raise CLIError(f"{ref}: {rec.problem}")
    d = diff_recordings(a, b, include_noise=args.all)
    # As diff(1) and cmp(1): 0 the same, 1 different, 2 trouble. A script can branch on it.
    status = 0 if d.same else 1
    if args.json:
        sys.stdout.write(dumps_line(d.to_json()) + "\n")
        return status
    from rich.text import Text

    from .view import one_line

    console = make_console(soft_wrap=not sys.stdout.isatty())
    console.print(Text("a: ", "bold") + Text(one_line(a.path, None), "red"))
    console.print(Text("b: ", "bold") + Text(one_line(b.path, None), "green"))
    if d.same:
        console.print(Text("same request and reassembled response" + ("" if args.all else " (ids, timestamps and fingerprints ignored; --all to compare them)")))
        return 0
    from .rich_view import section_renderable

    for title, changes in (("request", d.request), ("response (reassembled)", d.response)):
        console.print(section_renderable(changes_section(title, changes)))
    return status


def diff_git(args: argparse.Namespace, directory: str) -> int:
    from .gitdiff import GitError, git_changes

    if not Path(directory).is_dir():
        raise CLIError(f"no such directory: {directory}" if not Path(directory).exists() else f"not a directory: {directory}")
    try:
        report = git_changes(args.git, directory, include_noise=args.all)
    except GitError as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        for c in report.changes:
            sys.stdout.write(dumps_line(c.to_json()) + "\n")
        return 0
    if args.markdown:
        sys.stdout.write(report.markdown() + "\n")
        return 0

    from .rich_view import sections_renderable

    make_console(soft_wrap=not sys.stdout.isatty()).print(sections_renderable(git_report_sections(report)))
    return 0


# --- entry point ------------------------------------------------------------------------


COLLECT_HELP = ("orphans from pytest's own ids: runs 'python -m pytest --collect-only -q' in the repository, "
                "which imports its tests (their code runs); without it the test modules are only parsed")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cassette-tui",
        usage="cassette-tui [DIR] [QUERY ...]\n       cassette-tui COMMAND [ARGS ...]",
        description="Browse and debug llama-stack / ogx API recordings. With no command, opens the TUI on DIR "
        "(default: the recordings under the current directory, or the bundled demo set), filtered by QUERY.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"cassette-tui {__version__}")
    parser.add_argument("--completion", metavar="SHELL", choices=SHELLS,
                        help="print the shell completion script for bash, zsh or fish (e.g. eval \"$(cassette-tui --completion bash)\")")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ls", help="list recordings, optionally filtered by a query")
    mark(p.add_argument("dir", metavar="DIR", nargs="?", help="the recordings (default: the recordings under the current directory)"), DIR_OR_QUERY)
    mark(p.add_argument("query", nargs="*", metavar="QUERY", help="query terms, e.g. model:gpt-4o stream:yes has:tools"), QUERY)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--sort", choices=SORT_KEYS, default="path")
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--limit", type=int, default=0, help="at most N rows (0: all)")
    p.add_argument("--no-cache", action="store_true", help="read every file, ignoring and not writing the cache")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("show", help="show one recording: conversation, reassembled response, anomalies")
    mark(p.add_argument("ref", metavar="REF", help="a path, '-' for a recording on standard input, or a unique id prefix within --dir"), REF)
    p.add_argument("--dir", default=None, help="directory to search for REF (default: the current directory)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--stream", action="store_true", help="also list what every chunk added")
    p.add_argument("--full", action="store_true", help="do not clip long texts")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("stats", help="counts by kind, endpoint, provider, model and test file")
    mark(p.add_argument("dir", metavar="DIR", nargs="?", help="the recordings (default: the recordings under the current directory)"), DIR_OR_QUERY)
    mark(p.add_argument("query", nargs="*", metavar="QUERY"), QUERY)
    p.add_argument("--json", action="store_true")
    p.add_argument("--top", type=int, default=15, help="rows per table")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--collect", action="store_true", help=COLLECT_HELP)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("verify", help="check each recording's name against its content's request hash, and that its test still exists (exit 1 on stale, mismatch, orphan, unreadable)")
    mark(p.add_argument("paths", metavar="PATH", nargs="*",
                   help="a recordings DIR (default: the recordings under the current directory), or recording files (e.g. the staged ones)"), FILE)
    p.add_argument("--json", action="store_true", help="one object per file: path, status, algorithm, expected, detail ...")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="github: an ::error annotation per failing file, for a GitHub Actions step")
    p.add_argument("--all", action="store_true", help="list ok files too")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--collect", action="store_true", help=COLLECT_HELP)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "explain",
        help="why replay missed: from a CI log, a hash, or freshly recorded files",
        epilog="Several misses (a CI log, several files, a folder) are grouped by cause, one line per test.",
    )
    mark(p.add_argument("input", metavar="INPUT", nargs="+",
                   help="a log file ('-' for standard input), a request hash, a recording written by record-if-missing, or a folder of them"), FILE)
    p.add_argument("--dir", default=None, help="the recordings to search (default: the recordings under the current directory)")
    p.add_argument("--test", default=None, metavar="TEST_ID", help="the test that missed, when the input does not say (a bare hash)")
    p.add_argument("--json", action="store_true", help="one object per miss")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="github: an ::error annotation per miss (on the live file, or the test's file), for a GitHub Actions step")
    p.add_argument("--verbose", "-v", action="store_true", help="with several misses, each one in full after the grouped findings")
    p.add_argument("--limit", type=int, default=5, help="nearest recordings to list per miss")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser(
        "diff",
        help="compare two recordings, or the recordings changed since a git revision",
        epilog="Exit status for A B: 0 the same, 1 different, 2 an error (as diff(1)).",
    )
    mark(p.add_argument("refs", nargs="*", metavar="A B | DIR", help="two recordings (paths or ids); with --git, the folder to compare (default: .)"), REF)
    p.add_argument("--git", metavar="REV", default=None, help="compare the working tree with REV (added, removed, changed, re-recorded)")
    p.add_argument("--dir", default=None, help="directory to search for ids (default: the current directory)")
    p.add_argument("--all", action="store_true", help="also compare ids, timestamps and other run-to-run noise")
    p.add_argument("--json", action="store_true")
    p.add_argument("--markdown", action="store_true", help="with --git: a summary for a pull request")
    p.set_defaults(func=cmd_diff)

    from .serve import DEFAULT_PORT

    p = sub.add_parser(
        "serve",
        help="serve the TUI in a web page (needs: pip install 'cassette-tui[serve]')",
        description="The same TUI in a web page, one app per browser tab (textual-serve). It listens on 127.0.0.1, "
        "this machine only, unless --host says otherwise: anyone who can reach the port can browse the recordings. "
        "The page can read nothing outside DIR.",
    )
    mark(p.add_argument("dir", metavar="DIR", nargs="?", help="the recordings (default: the recordings under the current directory)"), FILE)
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, loopback only; 0.0.0.0 opens it to the network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the port (default: {DEFAULT_PORT})")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="the URL browsers reach the server by, when not http://HOST:PORT (a proxy, a forwarded port)")
    p.set_defaults(func=cmd_serve)
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import ServeUnavailable, serve

    if not 0 < args.port < 65536:
        raise CLIError(f"--port must be 1..65535, not {args.port}")
    if args.dir is not None:
        path = Path(args.dir)
        if not path.is_dir():
            raise CLIError(f"no such directory: {args.dir}" if not path.exists() else f"not a directory: {args.dir}")
        demo = False
    else:
        path, demo = default_directory()
    try:
        serve(path.resolve(), host=args.host, port=args.port, public_url=args.public_url, demo=demo,
              recordings_only=args.dir is None and not demo, label=args.dir or ".")
    except ServeUnavailable as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise CLIError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
            return tui_main(argv)
        parser = build_parser()
        if argv[:1] == ["--completion"]:
            args = parser.parse_args(argv[:2])
            sys.stdout.write(completion_script(parser, args.completion))
            return 0
        args, extra = parser.parse_known_args(query_args(argv))
        if extra:
            # Query terms after an option (`ls DIR --json model:x`) are left over by argparse.
            if not hasattr(args, "query") or any(e.startswith("-") for e in extra):
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
            args.query += extra
        if hasattr(args, "query"):
            args.query = [word.lstrip() for word in args.query]
            split_dir_from_query(args)
        if getattr(args, "limit", 0) is not None and getattr(args, "limit", 0) < 0:
            raise CLIError("--limit must be 0 (no limit) or more")
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        code = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe is caught below, not at interpreter exit
        return code
    except CLIError as exc:
        from .view import safe

        # The message may quote a REF or file names from the tree: inert, like every other output.
        print(f"cassette-tui: {safe(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `cassette-tui ls ... | head`: stop quietly with 0, as other Unix tools do (and `set -o pipefail` scripts need).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.filename is None:
            raise  # not about a path the user gave or the tree holds: a bug to see
        # ENAMETOOLONG and friends from an argument (Path.exists() raises them): one line, not a traceback.
        print(f"cassette-tui: {path_error(exc)}", file=sys.stderr)
        return EXIT_USAGE


def tui_main(argv: list[str]) -> int:
    """`cassette-tui [DIR] [QUERY ...]`: the TUI on DIR, filtered by QUERY; help is help, unknown options are errors."""
    head = argv[: argv.index("--")] if "--" in argv else argv
    if any(w in ("-h", "--help") for w in head):
        build_parser().print_help()
        return 0
    words = [w for w in argv if w != "--"]
    options = [w for w in head if w.startswith("--")]
    if options:
        raise CLIError(f"unrecognized option: {options[0]} (the TUI takes DIR and a QUERY; see cassette-tui --help)")
    directory, query_words = (words[0], words[1:]) if words else (None, [])
    if directory is not None and not Path(directory).exists():
        near = difflib.get_close_matches(directory, COMMANDS, n=1, cutoff=0.6)
        if near and "/" not in directory:
            raise CLIError(f"unknown command '{directory}' (did you mean '{near[0]}'?)")
        if looks_like_query(directory):
            directory, query_words = None, words
    query_text = " ".join(query_words)
    if query_text:
        parse_query_words(query_words)   # a malformed query is said here, before the screen opens
    return run_tui(directory, query_text)


def looks_like_query(word: str) -> bool:
    """A query term, not a path: a field (`model:x`), a negation (`-x`), a group or OR."""
    return ":" in word and "/" not in word.split(":", 1)[0] or word.startswith(("-", "(")) or word == "OR"


def split_dir_from_query(args: argparse.Namespace) -> None:
    """`ls [DIR] [QUERY ...]`: DIR is the first word when it is a folder (or plainly a path); a query
    term in its place means the current directory. A bare word that is no folder is an error, not a search."""
    if args.dir is None or Path(args.dir).exists():
        return
    if looks_like_query(args.dir):
        args.query.insert(0, args.dir)
        args.dir = None
        return
    raise CLIError(f"no such directory: {args.dir}" + ("" if "/" in args.dir else f" (to search for it, give the folder first: {args.command} . {args.dir})"))


def path_error(exc: OSError) -> str:
    """`PATH: reason` for an OSError about a path, the path clipped (it may be thousands of characters)."""
    from .view import one_line

    return f"{one_line(os.fsdecode(exc.filename), 120)}: {exc.strerror or exc}"


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


def run_tui(directory: str | None, query: str = "") -> int:
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

    app = CassetteApp(path, demo=demo, recordings_only=recordings_only, label=directory or ".", index=index, query=query)
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
