"""`verify` and `explain`: whether each file is what replay reads, and why a replay missed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..index import Index
from ..jsonio import dumps_line
from ..reports import explain_sections, shown_path, verify_summary_lines
from ..view import short_test
from .common import (
    CLIError,
    github_annotation,
    make_console,
    open_index,
)

STATUS_STYLES = {"ok": "green", "stale": "yellow", "orphan": "yellow", "mismatch": "bold red", "unreadable": "bold red", "not-a-recording": "magenta", "unverifiable": "dim", "missing": "red"}


def verify_json(verdict: Any, directory: str | None) -> dict[str, Any]:
    d = verdict.to_json()
    d["path"] = shown_path(directory, d["path"])
    if d["sibling"]:
        d["sibling"] = shown_path(directory, d["sibling"])
    d["duplicates"] = [shown_path(directory, p) for p in d["duplicates"]]
    return d


def collected_ids(idx: Index, collect: bool) -> Any:
    """`--collect`: the test ids pytest itself lists, in the repository the tree's test ids lead to."""
    if not collect:
        return None
    from ..orphans import CollectError, collect_test_ids, test_ids_to_collect

    top, modules = test_ids_to_collect(idx)
    if top is None:
        raise CLIError("--collect: no test module that this tree's test ids name exists beside it")
    print(f"cassette-tui: running pytest --collect-only on {len(modules)} modules in {top} (this imports the repository's tests)", file=sys.stderr)
    try:
        return collect_test_ids(top, modules)
    except CollectError as exc:
        raise CLIError(str(exc)) from None


def cmd_verify(args: argparse.Namespace) -> int:
    from ..verify import verify_file, verify_index

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

    from ..view import one_line

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


def explain_misses(inputs: list[str], test_id: str | None) -> list[Any]:
    """Every miss the inputs describe, in order (a log may hold many; a folder, many re-recorded files)."""
    from ..explain.inputs import InputError, misses_from

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
    from ..explain import HashTable, explain, group_explanations
    from ..explain.inputs import live_files_under
    from ..explain.rerecord import load_setups

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

    from ..reports import findings_section
    from ..rich_view import sections_renderable

    console = make_console(soft_wrap=not sys.stdout.isatty())
    setups = load_setups(idx.root)
    findings = group_explanations(explanations) if len(explanations) > 1 else None
    if findings and not args.verbose:
        console.print(sections_renderable([findings_section(findings, args.dir, setups)]))
        console.print("\n(--verbose for each miss in full, --json for everything)", style="dim")
        return 0
    console.print(sections_renderable(explain_sections(explanations, findings, args.dir, setups)))
    return 0
