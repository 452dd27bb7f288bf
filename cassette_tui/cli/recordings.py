"""`show` and `diff`: one recording in full, two compared, or what changed since a git ref."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..jsonio import dumps_line
from ..recording import Recording
from ..reports import changes_section, git_report_sections
from .common import (
    CLIError,
    load_ref,
    make_console,
)


def show_json(rec: Recording) -> dict[str, Any]:
    from ..timeline import recording_timeline

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

    from ..rich_view import line_text, sections_renderable
    from ..view import recording_sections, stream_lines

    console = make_console(soft_wrap=not sys.stdout.isatty())
    console.print(sections_renderable(recording_sections(rec, limit=None if args.full else 4_000)))
    if args.stream and not rec.problem:
        console.print()
        console.print("[bold]Chunks[/bold]")
        for line in stream_lines(rec.result, limit=100_000):
            console.print(line_text(line))
    return 0 if not rec.problem else 1


def cmd_diff(args: argparse.Namespace) -> int:
    if args.git is not None:
        if len(args.refs) > 1:
            raise CLIError("diff --git REV takes at most one DIR")
        return diff_git(args, args.refs[0] if args.refs else ".")
    if len(args.refs) != 2:
        raise CLIError("diff needs two recordings (paths or ids), or --git REV [DIR]")
    if args.markdown:
        raise CLIError("--markdown goes with --git")
    from ..compare import diff_recordings

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

    from ..view import one_line

    console = make_console(soft_wrap=not sys.stdout.isatty())
    console.print(Text("a: ", "bold") + Text(one_line(a.path, None), "red"))
    console.print(Text("b: ", "bold") + Text(one_line(b.path, None), "green"))
    if d.same:
        console.print(Text("same request and reassembled response" + ("" if args.all else " (ids, timestamps and fingerprints ignored; --all to compare them)")))
        return 0
    from ..rich_view import section_renderable

    for title, changes in (("request", d.request), ("response (reassembled)", d.response)):
        console.print(section_renderable(changes_section(title, changes)))
    return status


def diff_git(args: argparse.Namespace, directory: str) -> int:
    from ..gitdiff import GitError, git_changes

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
        from ..markdown_view import git_report_markdown

        sys.stdout.write(git_report_markdown(report) + "\n")
        return 0

    from ..rich_view import sections_renderable

    make_console(soft_wrap=not sys.stdout.isatty()).print(sections_renderable(git_report_sections(report)))
    return 0
