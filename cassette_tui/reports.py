"""Reports as the view model: explanations of replay misses, findings, changes, git reviews,
recording diffs, and the stats and verify summaries.

Built once here as `view.Section`s; the CLI and the TUI draw them with Rich
(rich_view), the notebook as HTML (html_view), the pytest plugin as plain text.
Every recorded string goes through `view.safe()` when it becomes a span.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compare import MISSING, Change, RecordingDiff, describe_value
from .hashing import NEWEST
from .jsonio import dumps_line
from .view import Line, Section, Span, flat_lines, one_line, safe, short_test

if TYPE_CHECKING:
    from .explain import Explanation, Finding
    from .gitdiff import GitReport
    from .model import Summary
    from .verify import VerifyReport

CHANGES_SHOWN = 40       # differences listed under one explanation
REPLACED_SHOWN = 5       # files to delete listed under one set of next steps
TESTS_SHOWN = 12         # tests listed under one finding
GIT_CHANGES_SHOWN = 12   # differences listed under one changed recording
STATUS_STYLES = {"re-recorded": "rerecorded", "changed": "changed", "added": "added", "removed": "removed"}


def shown_path(directory: str | None, rel: str) -> str:
    """A recording's path as the user typed the directory: DIR/rel (or rel under the current directory)."""
    return str(Path(directory) / rel) if directory is not None else rel


def clip(s: str, limit: int = 160) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _plural(n: int, word: str, suffix: str = "s") -> str:
    return f"{n} {word}{suffix if n != 1 else ''}"


def explanation_section(ex: Explanation, n: int = 1, total: int = 1, directory: str | None = None,
                        setups: dict[str, str] | None = None) -> Section:
    """One miss explained: the request, where replay looked, the verdict, what to do, the
    nearest recordings and what differs from the nearest."""
    from .explain import UNKNOWN_TEST_FOLDER

    m = ex.miss
    note = ""
    if m.line:
        note = f"(line {m.line}" + (f", seen {m.count} times" if m.count > 1 else "") + ")"
    s = Section(f"Miss {n} of {total}" if total > 1 else "Miss", style="title", note=note)
    what = m.tool or " ".join(x for x in (m.method, m.url or m.endpoint) if x) or "(the request is not in the message)"
    s.add("  request  ", safe(what), *((f"  model {safe(m.model)}", "model"),) if m.model else ())
    if m.hash:
        s.add("  hash     ", (safe(m.hash), "id"))
    if m.test_id:
        s.add("  test     ", (safe(m.test_id), "test"))
    if m.source:
        s.add("  live     ", safe(m.source), ("  (the re-recorded request)", "dim"))
    elif m.live_from:
        s.add("  live     ", safe(shown_path(directory, m.live_from)), (f"  ({m.live_how})", "dim"))
    elif m.live_how:
        s.add("  live     ", (f"({m.live_how})", "dim"))
    s.add(("  replay looked in:", "title"))
    for k, lk in enumerate(ex.looked, 1):
        line = s.add(f"    {k}. {lk.role}: ", safe(lk.folder))
        if lk.folder == UNKNOWN_TEST_FOLDER:
            continue
        if lk.file:
            line.spans.append(Span("/" + safe(lk.file if len(lk.file) < 30 else lk.file[:16] + "…json"), "dim"))
        state = "found now" if lk.found else ("no such file" if lk.exists else "folder not under the directory")
        line.spans.append(Span(f"  ({state})", "ok" if lk.found else "dim"))
    s.add(("  verdict: ", "title"), (safe(ex.verdict), "verdict"))
    next_steps(s, [ex], directory, setups or {}, "  ")
    if m.live_known and m.version != NEWEST:
        s.add((f"  compared under the {m.version} recorder's rules: it named the live file", "dim"))
    if ex.candidates:
        s.add(("  nearest recordings:", "title"))
        for k, c in enumerate(ex.candidates, 1):
            same = [w for w, ok in (("test id", c.same_test_id), ("endpoint", c.same_endpoint), ("model", c.same_model)) if ok]
            info = ("same " + ", ".join(same)) if same else "nothing in common but the kind"
            if c.aligned:
                info += "; the same place in the test"
            elif c.same_content:
                info += "; the same request under another test id"
            if c.differences is not None:
                info += "; " + _plural(c.differences, "difference")
            if c.status and c.status != "ok":
                info += f"; {c.status}" + (f" ({c.algorithm})" if c.algorithm else "")
            s.add(f"    {k}. ", (safe(shown_path(directory, c.path)), "id"), (f"  {info}", "dim"))
    if ex.changes:
        s.add(("  differences from the nearest (recorded -> live):", "title"))
        change_lines(s, ex.changes, indent="    ", limit=CHANGES_SHOWN, labels=("recorded: ", "live:     "), by_kind=False)
    if ex.noise:
        paths = ", ".join(c.path for c in ex.noise[:4]) + (f" and {len(ex.noise) - 4} more" if len(ex.noise) > 4 else "")
        s.add((f"  also {_plural(len(ex.noise), 'value')} that change on every run (ids, scores, times): ", "dim"), (safe(paths), "dimfield"))
    return s



def next_steps(s: Section, explanations: list[Explanation], directory: str | None, setups: dict[str, str], indent: str) -> None:
    """What to do: the main cause's advice, the command that re-records the tests, the files that become unused."""
    from .explain.rerecord import rerecord_commands

    first = explanations[0]
    if first.advice:
        s.add((f"{indent}what to do: ", "title"), safe(first.advice))
    if first.cause is not None and first.cause.code not in ("found", "wrong-folder", "same-request"):
        for cmd in rerecord_commands((ex.miss.test_id for ex in explanations), setups):
            s.add((f"{indent}re-record: ", "title"), (safe(cmd), "command"))
    replaced = [ex.replaced for ex in explanations if ex.replaced]
    for path in replaced[:REPLACED_SHOWN]:
        s.add((f"{indent}then delete: ", "title"), (safe(shown_path(directory, path)), "id"),
              ("  (once re-recorded, the test no longer sends its request)", "dim"))
    if len(replaced) > REPLACED_SHOWN:
        s.add((f"{indent}… and {len(replaced) - REPLACED_SHOWN} more files to delete (--json: replaced)", "dim"))


def findings_section(findings: list[Finding], directory: str | None = None, setups: dict[str, str] | None = None) -> Section:
    """Many misses as findings: one per main cause and place, its count, its tests, what to do."""
    total = sum(f.count for f in findings)
    s = Section(f"{_plural(total, 'miss', 'es')}, {_plural(len(findings), 'finding')}", style="title")
    for k, f in enumerate(findings, 1):
        s.add("")
        s.add((f"{k}. ", "title"), (f"{_plural(f.count, 'miss', 'es')}: ", "title"), (safe(f.headline), "verdict"))
        for t in f.tests[:TESTS_SHOWN]:
            s.add("   ", (safe(short_test(t)), "test"))
        if len(f.tests) > TESTS_SHOWN:
            s.add((f"   … and {len(f.tests) - TESTS_SHOWN} more tests", "dim"))
        next_steps(s, f.explanations, directory, setups or {}, "   ")
    return s


def explain_sections(explanations: list[Explanation], findings: list[Finding] | None, directory: str | None = None,
                     setups: dict[str, str] | None = None) -> list[Section]:
    """The whole report: the findings first when there are several misses, then each miss in full."""
    out = [findings_section(findings, directory, setups)] if findings and len(explanations) > 1 else []
    out.extend(explanation_section(ex, n, len(explanations), directory, setups) for n, ex in enumerate(explanations, 1))
    return out


def change_lines(s: Section, changes: list[Change], indent: str = "", limit: int = 60,
                 labels: tuple[str, str] = ("- ", "+ "), by_kind: bool = True) -> None:
    """Each difference: its JSON path, then the value before (removed style) and after (added).

    Strings that differ are shown around their first difference (string_window).
    `by_kind` writes the kind after the path and leaves out the side that is absent;
    otherwise both sides are written, an absent one as "(absent)".
    """
    from .explain import string_window

    for ch in changes[:limit]:
        a, b = ch.a, ch.b
        if isinstance(a, str) and isinstance(b, str):
            a, b = string_window(a, b)
        if by_kind:
            s.add(f"{indent}", (safe(ch.path), "field"), (f"  {ch.kind}", "dim"))
            if ch.kind != "added":
                s.add((f"{indent}  {labels[0]}", "removed"), (safe(describe_value(a, 150)), "removed"))
            if ch.kind != "removed":
                s.add((f"{indent}  {labels[1]}", "added"), (safe(describe_value(b, 150)), "added"))
        else:
            s.add(f"{indent}", (safe(ch.path), "field"))
            for label, value, style in ((labels[0], a, "removed"), (labels[1], b, "added")):
                shown = "(absent)" if value is MISSING else dumps_line(value)
                s.add((f"{indent}  {label}", "dim"), (safe(clip(shown)), style))
    if len(changes) > limit:
        s.add((f"{indent}… {len(changes) - limit} more (--json has them all)", "dim"))


def changes_section(title: str, changes: list[Change], indent: str = "", limit: int = 60) -> Section:
    """A list of differences under a title line ("request: 3 differences", or "request: same")."""
    if not changes:
        return Section("", lines=[Line([Span(f"{indent}{title}: same", "dim")])])
    s = Section("", lines=[Line([Span(f"{indent}{title}: {_plural(len(changes), 'difference')}", "title")])])
    change_lines(s, changes, indent=indent + "  ", limit=limit)
    return s



DIFF_LINE_STYLES = (("+++", "title"), ("---", "title"), ("@@", "hunk"), ("+", "added"), ("-", "removed"))


def diff_sections(d: RecordingDiff, include_noise: bool = False, limit: int = 200, shown: tuple[str, str] | None = None) -> list[Section]:
    """Two recordings compared: which is A and B, what differs by JSON path in the request and
    in the reassembled response, then each one's unified diff (folded where a face can fold).
    `shown`: A's and B's paths as the user knows them (default: as they were read)."""
    shown_a, shown_b = shown or (d.a.path, d.b.path)
    head = Section("Diff", style="title", note="ids, timestamps and other noise ignored" if not include_noise else "noise included")
    head.add(("A  ", "removed"), (safe(d.a.id[:12]), "id"), ("  ", ""), (safe(shown_a), "dim"))
    head.add(("B  ", "added"), (safe(d.b.id[:12]), "id"), ("  ", ""), (safe(shown_b), "dim"))
    if d.same:
        head.add(("No difference in the request or the reassembled response.", "value"))
    sections = [head]
    for title, changes, text in (("Request", d.request, d.request_text), ("Reassembled response", d.response, d.response_text)):
        s = Section(title, style="title", note=_plural(len(changes), "difference"))
        change_lines(s, changes, limit=limit)
        sections.append(s)
        if text:
            u = Section(f"{title}: unified diff", folded=True, style="title", note=f"{len(text):,} lines")
            for line in text:
                u.add((safe(line), next((st for prefix, st in DIFF_LINE_STYLES if line.startswith(prefix)), "")))
            sections.append(u)
    return sections


def git_report_sections(report: GitReport) -> list[Section]:
    """What changed since a git ref: one section per changed recording, then other files."""
    out = [Section(safe(report.headline()), style="title")]
    for c in report.changes:
        s = Section("")
        head = s.add((f"{c.status:<12}", STATUS_STYLES[c.status]))
        if c.old_path and c.old_path != c.path:
            head.spans += [Span(one_line(c.old_path, None), "removed"), Span(" -> "), Span(one_line(c.path, None), "added")]
        else:
            head.spans.append(Span(one_line(c.path, None)))
        if c.test_id:
            s.add(("  test  ", "dim"), (one_line(short_test(c.test_id)), "test"))
        s.add("  ", safe(c.summary))
        if c.diff is not None and not c.diff.same:
            for title, changes in (("request", c.diff.request), ("response", c.diff.response)):
                s.lines.extend(changes_section(title, changes, indent="  ", limit=GIT_CHANGES_SHOWN).lines)
        out.append(s)
    if report.other_files:
        out.append(Section("", lines=[Line([Span("other changed files: ", "dim")])]))
        out[-1].lines[0].spans.append(Span(", ".join(one_line(p, None) for p in report.other_files)))
    return out


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


def verify_summary_lines(report: VerifyReport) -> list[str]:
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
        found = [f"{t['live']} found", f"{t['orphan']} orphan (their test is gone; safe to delete)"]
        if t["params"]:
            found.append(f"{t['params']} parametrized, not checked statically (--collect checks them)")
        if t["unknown"]:
            found.append(f"{t['unknown']} cannot be told from the source")
        lines.append(f"tests, {t['note']}: " + ", ".join(found))
    # not checked (no test module beside the tree: recordings alone): said in --json only
    return lines


def plain_lines(sections: Iterable[Section]) -> list[str]:
    """The sections as plain text lines (titles included, a blank line between sections)."""
    return [line.plain for line in flat_lines(sections)]
