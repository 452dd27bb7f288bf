"""Rich reports shared by the CLI and the TUI: explanations of replay misses, diffs, git reviews.

Every recorded string goes through `view.safe()` and into `Text`, never markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .hashing import NEWEST
from .jsonio import dumps_line
from .view import short_test


def shown_path(directory: str | None, rel: str) -> str:
    """A recording's path as the user typed the directory: DIR/rel (or rel under the current directory)."""
    return str(Path(directory) / rel) if directory is not None else rel


def print_explanation(console: Any, ex: Any, n: int, total: int, directory: str | None, setups: dict[str, str] | None = None) -> None:
    from rich.text import Text

    from .compare import MISSING
    from .explain import UNKNOWN_TEST_FOLDER, string_window
    from .view import safe

    m = ex.miss
    title = Text(f"Miss {n} of {total}" if total > 1 else "Miss", "bold")
    if m.line:
        title.append(f"  (line {m.line}" + (f", seen {m.count} times" if m.count > 1 else "") + ")", "dim")
    console.print(title)
    what = m.tool or " ".join(x for x in (m.method, m.url or m.endpoint) if x) or "(the request is not in the message)"
    console.print(Text("  request  ") + Text(safe(what)) + (Text(f"  model {safe(m.model)}", "yellow") if m.model else Text("")))
    if m.hash:
        console.print(Text("  hash     ") + Text(safe(m.hash), "magenta"))
    if m.test_id:
        console.print(Text("  test     ") + Text(safe(m.test_id), "green"))
    if m.source:
        console.print(Text("  live     ") + Text(safe(m.source)) + Text("  (the re-recorded request)", "dim"))
    elif m.live_from:
        console.print(Text("  live     ") + Text(safe(shown_path(directory, m.live_from))) + Text(f"  ({m.live_how})", "dim"))
    elif m.live_how:
        console.print(Text("  live     ") + Text(f"({m.live_how})", "dim"))
    console.print(Text("  replay looked in:", "bold"))
    for k, lk in enumerate(ex.looked, 1):
        state = "found now" if lk.found else ("no such file" if lk.exists else "folder not under the directory")
        line = Text(f"    {k}. {lk.role}: ") + Text(safe(lk.folder))
        if lk.folder == UNKNOWN_TEST_FOLDER:
            console.print(line)
            continue
        if lk.file:
            line.append("/" + safe(lk.file if len(lk.file) < 30 else lk.file[:16] + "…json"), "dim")
        line.append(f"  ({state})", "green" if lk.found else "dim")
        console.print(line)
    console.print(Text("  verdict: ", "bold") + Text(safe(ex.verdict), "bold yellow"))
    print_next_steps(console, [ex], directory, setups or {}, "  ")
    if m.live_known and m.version != NEWEST:
        console.print(Text(f"  compared under the {m.version} recorder's rules: it named the live file", "dim"))
    if ex.candidates:
        console.print(Text("  nearest recordings:", "bold"))
        for k, c in enumerate(ex.candidates, 1):
            same = [w for w, ok in (("test id", c.same_test_id), ("endpoint", c.same_endpoint), ("model", c.same_model)) if ok]
            info = ("same " + ", ".join(same)) if same else "nothing in common but the kind"
            if c.aligned:
                info += "; the same place in the test"
            elif c.same_content:
                info += "; the same request under another test id"
            if c.differences is not None:
                info += f"; {c.differences} difference{'s' if c.differences != 1 else ''}"
            if c.status and c.status != "ok":
                info += f"; {c.status}" + (f" ({c.algorithm})" if c.algorithm else "")
            console.print(Text(f"    {k}. ") + Text(safe(shown_path(directory, c.path)), "magenta") + Text(f"  {info}", "dim"))
    if ex.changes:
        console.print(Text("  differences from the nearest (recorded -> live):", "bold"))
        for ch in ex.changes[:40]:
            console.print(Text("    ") + Text(safe(ch.path), "cyan"))
            a, b = ch.a, ch.b
            if isinstance(a, str) and isinstance(b, str):
                a, b = string_window(a, b)
                ra, rb = dumps_line(a), dumps_line(b)
            else:
                ra = "(absent)" if a is MISSING else dumps_line(a)
                rb = "(absent)" if b is MISSING else dumps_line(b)
            console.print(Text("      recorded: ", "dim") + Text(safe(clip(ra)), "red"))
            console.print(Text("      live:     ", "dim") + Text(safe(clip(rb)), "green"))
        if len(ex.changes) > 40:
            console.print(Text(f"    … {len(ex.changes) - 40} more (--json has them all)", "dim"))
    if ex.noise:
        paths = ", ".join(c.path for c in ex.noise[:4]) + (f" and {len(ex.noise) - 4} more" if len(ex.noise) > 4 else "")
        console.print(Text(f"  also {len(ex.noise)} value{'s' if len(ex.noise) != 1 else ''} that change on every run (ids, scores, times): ", "dim")
                      + Text(safe(paths), "dim cyan"))


def print_next_steps(console: Any, explanations: list[Any], directory: str | None, setups: dict[str, str], indent: str) -> None:
    """What to do: the main cause's advice, the command that re-records the tests, the files that become unused."""
    from rich.text import Text

    from .explain.rerecord import rerecord_commands
    from .view import safe

    first = explanations[0]
    if first.advice:
        console.print(Text(f"{indent}what to do: ", "bold") + Text(safe(first.advice)))
    if first.cause is not None and first.cause.code not in ("found", "wrong-folder", "same-request"):
        for cmd in rerecord_commands((ex.miss.test_id for ex in explanations), setups):
            console.print(Text(f"{indent}re-record: ", "bold") + Text(safe(cmd), "green"))
    replaced = [ex.replaced for ex in explanations if ex.replaced]
    for path in replaced[:5]:
        console.print(Text(f"{indent}then delete: ", "bold") + Text(safe(shown_path(directory, path)), "magenta")
                      + Text("  (once re-recorded, the test no longer sends its request)", "dim"))
    if len(replaced) > 5:
        console.print(Text(f"{indent}… and {len(replaced) - 5} more files to delete (--json: replaced)", "dim"))


def print_findings(console: Any, findings: list[Any], directory: str | None, setups: dict[str, str]) -> None:
    """Many misses as findings: one per main cause and place, its count, its tests, what to do."""
    from rich.text import Text

    from .view import safe

    total = sum(f.count for f in findings)
    console.print(Text(f"{total} miss{'es' if total != 1 else ''}, {len(findings)} finding{'s' if len(findings) != 1 else ''}", "bold"))
    for k, f in enumerate(findings, 1):
        console.print()
        console.print(Text(f"{k}. ", "bold") + Text(f"{f.count} miss{'es' if f.count != 1 else ''}: ", "bold")
                      + Text(safe(f.headline), "bold yellow"))
        tests = f.tests
        for t in tests[:12]:
            console.print(Text("   ") + Text(safe(short_test(t)), "green"))
        if len(tests) > 12:
            console.print(Text(f"   … and {len(tests) - 12} more tests", "dim"))
        print_next_steps(console, f.explanations, directory, setups, "   ")


def clip(s: str, limit: int = 160) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


def print_changes(console: Any, title: str, changes: list[Any], indent: str = "", limit: int = 60) -> None:
    from rich.text import Text

    from .compare import describe_value
    from .explain import string_window
    from .view import safe

    if not changes:
        console.print(Text(f"{indent}{title}: same", "dim"))
        return
    console.print(Text(f"{indent}{title}: {len(changes)} difference{'s' if len(changes) != 1 else ''}", "bold"))
    for ch in changes[:limit]:
        a, b = ch.a, ch.b
        if isinstance(a, str) and isinstance(b, str):
            a, b = string_window(a, b)
        line = Text(f"{indent}  ") + Text(safe(ch.path), "cyan") + Text(f"  {ch.kind}", "dim")
        console.print(line)
        if ch.kind != "added":
            console.print(Text(f"{indent}    - ", "red") + Text(safe(describe_value(a, 150)), "red"))
        if ch.kind != "removed":
            console.print(Text(f"{indent}    + ", "green") + Text(safe(describe_value(b, 150)), "green"))
    if len(changes) > limit:
        console.print(Text(f"{indent}  … {len(changes) - limit} more (--json has them all)", "dim"))


def print_git_report(console: Any, report: Any) -> None:
    from rich.text import Text

    from .view import one_line, safe

    console.print(Text(safe(report.headline()), "bold"))
    styles = {"re-recorded": "yellow", "changed": "cyan", "added": "green", "removed": "red"}
    for c in report.changes:
        console.print()
        head = Text(f"{c.status:<12}", styles[c.status])
        if c.old_path and c.old_path != c.path:
            head += Text(one_line(c.old_path, None), "red") + Text(" -> ") + Text(one_line(c.path, None), "green")
        else:
            head += Text(one_line(c.path, None))
        console.print(head)
        if c.test_id:
            console.print(Text("  test  ", "dim") + Text(one_line(short_test(c.test_id)), "green"))
        console.print(Text("  ") + Text(safe(c.summary)))
        if c.diff is not None and not c.diff.same:
            print_changes(console, "request", c.diff.request, indent="  ", limit=12)
            print_changes(console, "response", c.diff.response, indent="  ", limit=12)
    if report.other_files:
        console.print()
        console.print(Text("other changed files: ", "dim") + Text(", ".join(one_line(p, None) for p in report.other_files)))
