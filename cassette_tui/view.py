"""The view model every face draws: sections of styled lines, built once from a Recording.

The CLI and the TUI render it with Rich, the notebook as escaped HTML. Styles are
semantic names ("user", "tool", "warn"), mapped to colours by each renderer.
Every recorded string passes through `safe()` here, so no face ever prints a
terminal escape sequence that came from a recording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .finish import normalize_choice_finish, normalize_finish
from .jsonio import dumps_pretty, loads_or_none
from .model import Result, Summary
from .recording import Recording
from .timeline import Turn, recording_timeline

# C0 controls (but tab and newline), DEL and C1 controls: shown as visible escapes.
# Lone surrogates too (a "\udc80" JSON escape, a file name that is not UTF-8):
# no terminal, pipe or notebook can encode them, so printing one would raise.
# Bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) too: they
# reorder how the rest of a line is drawn ("Trojan Source"), in a terminal and in HTML.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\x1b": "␛", "\r": "\\r", "\x07": "\\a", "\x08": "\\b"}


def _visible(m: re.Match[str]) -> str:
    c = m.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def safe(text: Any) -> str:
    """Recorded text made inert for a terminal: escapes and controls become visible."""
    s = text if isinstance(text, str) else str(text)
    if _CONTROL.search(s) is None:
        return s
    return _CONTROL.sub(_visible, s)


# Line breaks a script reading line by line would split on (str.splitlines() too), and in
# names (not in message text, where scripts and emoji need them) the invisible characters
# that make two different test ids look the same: zero-width ones, marks, the BOM.
_BREAKS = re.compile("[\n\t\u2028\u2029\u200b-\u200f\u2060\u061c\ufeff]")
_BREAK_NAMES = {"\n": "\\n", "\t": "\\t"}
CELL_LIMIT = 200   # characters of one recorded value in a listing's cell or a one-line report


def one_line(text: Any, limit: int | None = CELL_LIMIT) -> str:
    """safe(), kept on one line and short: a recorded newline would forge a row of `ls` or
    `verify` for a script reading line by line, and one huge value would pad every row of a
    listing to its width (a 100 KB test id made `ls` print 317 MB into a pipe)."""
    s = text if isinstance(text, str) else str(text)
    clipped = limit is not None and len(s) > limit
    if clipped:
        s = s[:limit]
    s = safe(s)
    if _BREAKS.search(s) is not None:
        s = _BREAKS.sub(lambda m: _BREAK_NAMES.get(m.group()) or f"\\u{ord(m.group()):04x}", s)
    if limit is not None and (clipped or len(s) > limit):
        s = s[: limit - 1] + "…"
    return s


@dataclass(slots=True)
class Span:
    text: str
    style: str = ""


@dataclass(slots=True)
class Line:
    spans: list[Span] = field(default_factory=list)
    indent: int = 0

    @property
    def plain(self) -> str:
        return " " * self.indent + "".join(s.text for s in self.spans)


@dataclass(slots=True)
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)
    folded: bool = False      # shown collapsed where the face can fold (tools offered, raw JSON)
    style: str = ""           # the title's style
    note: str = ""            # a dim remark after the title

    def add(self, *spans: Span | tuple[str, str] | str, indent: int = 0) -> Line:
        line = Line([s if isinstance(s, Span) else Span(*s) if isinstance(s, tuple) else Span(s) for s in spans], indent)
        self.lines.append(line)
        return line

    def text(self, text: str, style: str = "", indent: int = 0, limit: int | None = None) -> None:
        """Add (possibly multi-line) recorded text, made safe and optionally clipped."""
        body = safe(text)
        clipped = 0
        if limit is not None and len(body) > limit:
            clipped = len(body) - limit
            body = body[:limit]
        for part in body.split("\n") or [""]:
            self.lines.append(Line([Span(part, style)], indent))
        if clipped:
            self.lines.append(Line([Span(f"… {clipped:,} more characters", "dim")], indent))


def flat_lines(sections: Iterable[Section]) -> list[Line]:
    """Sections as one run of lines: each title (with its note), its lines, a blank line
    between sections. For faces that scroll lines themselves, and for plain text."""
    out: list[Line] = []
    for i, section in enumerate(sections):
        if i:
            out.append(Line())
        if section.title:
            title = Line([Span(section.title, section.style or "title")])
            if section.note:
                title.spans.append(Span(f"  {section.note}", "dim"))
            out.append(title)
        out.extend(section.lines)
    return out


ROLE_STYLE = {"system": "system", "user": "user", "assistant": "assistant", "tool": "tool"}
TEXT_LIMIT = 20_000   # characters of one message shown before clipping (faces offer the full view)


def _step_lines(section: Section, step: Any, limit: int | None = TEXT_LIMIT) -> None:
    # A role is recorded text like any other: of any JSON type, and possibly hostile.
    role = safe(step.role if isinstance(step.role, str) else str(step.role))
    role_style = ROLE_STYLE.get(role, "")
    marker = "▶ " if step.new else ""
    if getattr(step, "part", 0) and step.kind in ("text", "image", "reasoning"):
        _part_lines(section, step, limit)   # a later part of the message above: no heading of its own
    elif step.kind == "tool_call":
        section.add((marker, "new"), (f"{role} ", role_style), ("calls ", "dim"), (safe(step.name or "?"), "toolname"), (f"  {safe(step.call_id)}" if step.call_id else "", "dim"))
        section.text(pretty_arguments(step.text), "args", indent=4, limit=limit)
    elif step.kind == "tool_result":
        section.add((marker, "new"), ("tool result", "tool"), (f" from {safe(step.name)}" if step.name else "", "toolname"), (f"  {safe(step.call_id)}" if step.call_id else "", "dim"))
        section.text(pretty_arguments(step.text) if step.text.lstrip().startswith(("{", "[")) else step.text, "", indent=4, limit=limit)
    elif step.kind == "reasoning":
        section.add((marker, "new"), (f"{role} ", role_style), ("reasoning", "reasoning"))
        section.text(step.text, "reasoning", indent=4, limit=limit)
    elif step.kind == "image":
        section.add((marker, "new"), (f"{role} ", role_style), (safe(step.text), "dim"))
    elif step.kind == "error":
        section.add((marker, "new"), ("error ", "error"))
        section.text(step.text, "error", indent=4, limit=limit)
    elif step.kind == "output":
        section.add((marker, "new"), ("output ", "assistant"), (safe(step.text), ""))
    else:
        section.add((marker, "new"), (role, role_style))
        section.text(step.text if step.text else "(empty)", "" if step.text else "dim", indent=4, limit=limit)


def _part_lines(section: Section, step: Any, limit: int | None) -> None:
    if step.kind == "image":
        section.add(("+ ", "dim"), (safe(step.text), "dim"), indent=4)
    elif step.kind == "reasoning":
        section.add(("+ ", "dim"), ("reasoning", "reasoning"), indent=4)
        section.text(step.text, "reasoning", indent=6, limit=limit)
    else:
        section.text(step.text if step.text else "(empty)", "" if step.text else "dim", indent=4, limit=limit)


def pretty_arguments(text: str) -> str:
    """Tool arguments indented when they are JSON; as they are otherwise."""
    value = loads_or_none(text) if text else None
    if isinstance(value, (dict, list)):
        return dumps_pretty(value)
    return text


def _finish_text(raw: str | None, called_tools: bool = False) -> str:
    """The provider's finish reason, with the normalized word when it differs ('end_turn (stop)')."""
    if not raw:
        return "none"
    norm = normalize_choice_finish(raw, called_tools)
    return raw if norm == raw else f"{raw} ({norm})"


def header_section(rec: Recording, display_path: str | None = None) -> Section:
    s = Section("Recording", style="title")
    summary_kind = rec.kind
    s.add(("id        ", "key"), (safe(rec.id), "id"))
    s.add(("path      ", "key"), (safe(display_path or rec.path), ""))
    if rec.test_id:
        s.add(("test      ", "key"), (safe(rec.test_id), "test"))
    s.add(("kind      ", "key"), (summary_kind, "value"), ("   endpoint ", "key"), (safe(rec.endpoint or "-"), "value"))
    s.add(("model     ", "key"), (safe(rec.model or "-"), "model"), ("   provider ", "key"), (safe(rec.provider or "-"), "value"))
    if rec.problem:
        s.add(("problem   ", "key"), (safe(rec.problem), "error"))
    elif rec.note:
        s.add(("note      ", "key"), (safe(rec.note), "warn"))
    return s


def conversation_section(rec: Recording, limit: int | None = TEXT_LIMIT) -> Section:
    steps = recording_timeline(rec)
    sent = len({x.message for x in steps if not x.new})   # a message of several parts is one message
    s = Section("Conversation", style="title", note=f"{sent} sent, {sum(1 for x in steps if x.new)} received")
    if not steps:
        s.add(("(no messages)", "dim"))
    for step in steps:
        _step_lines(s, step, limit)
    return s


def tools_section(rec: Recording) -> Section | None:
    from .tools import offered_tools

    tools = offered_tools(rec.body)
    if not tools:
        return None
    s = Section("Tools offered", folded=True, style="title", note=f"{len(tools)}")
    for name, schema in tools.items():
        props = schema.get("properties") if isinstance(schema, dict) else None
        required = schema.get("required") if isinstance(schema, dict) else None
        required = {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()  # any JSON type may be recorded
        params = ", ".join(f"{p}{'' if p in required else '?'}" for p in props) if isinstance(props, dict) else ""
        s.add(("• ", "dim"), (safe(name), "toolname"), (f"({safe(params)})", "dim"))
    return s


def response_section(result: Result, limit: int | None = TEXT_LIMIT) -> Section:
    s = Section("Response", style="title", note=result.stream_format + (f", {result.chunks} chunks" if result.chunks else ""))
    if result.error:
        err = result.error
        s.add(("recorded error ", "error"), (safe(" ".join(str(err.get(k)) for k in ("category", "type", "status_code") if err.get(k))), "error"))
        s.text(str(err.get("message") or ""), "error", indent=4, limit=limit)
    for choice in result.choices:
        head = s.add((f"choice {choice.index}" if len(result.choices) > 1 else "", "dim"), (safe(choice.role or "assistant"), ROLE_STYLE.get(choice.role or "assistant", "assistant") if isinstance(choice.role or "", str) else "assistant"), ("  finish ", "dim"), (safe(_finish_text(choice.finish_reason, bool(choice.tool_calls))), "warn" if normalize_finish(choice.finish_reason) in (None, "length") else "value"))
        del head
        if choice.reasoning:
            s.add(("reasoning", "reasoning"), indent=2)
            s.text(choice.reasoning, "reasoning", indent=4, limit=limit)
        if choice.content:
            s.text(choice.content, "", indent=2, limit=limit)
        for call in choice.tool_calls:
            s.add(("calls ", "dim"), (safe(call.name or "?"), "toolname"), (f"  {safe(call.id or '')}", "dim"), indent=2)
            s.text(pretty_arguments(call.arguments) or "{}", "args", indent=6, limit=limit)
    if result.output and not result.choices:
        s.text(result.output, "", indent=2, limit=limit)
    if result.usage:
        s.add(("usage ", "key"), (safe(usage_line(result.usage)), "dim"))
    if not result.choices and not result.output and not result.error:
        s.add(("(no response body)", "dim"))
    return s


def usage_line(usage: Any) -> str:
    if not isinstance(usage, dict):  # recorded usage of another JSON type: shown as it is
        return dumps_pretty(usage)
    parts = [f"{k.replace('_tokens', '').replace('_token_count', '')} {v}" for k, v in usage.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return ", ".join(parts) if parts else dumps_pretty(usage)


def anomalies_section(result: Result) -> Section | None:
    if not result.anomalies:
        return None
    s = Section("Anomalies", style="warn", note=str(len(result.anomalies)))
    for a in result.anomalies:
        s.add(("⚠ ", "warn"), (a.code, "warn"), ("  ", ""), (safe(a.message), ""), (f"  (chunk {a.chunk})" if a.chunk is not None else "", "dim"))
    return s


def stream_stats_section(result: Result) -> Section | None:
    if not result.chunks:
        return None
    counts: dict[str, int] = {}
    for ev in result.events:
        counts[ev.what] = counts.get(ev.what, 0) + 1
    s = Section("Stream", style="title", note=f"{result.chunks} chunks")
    s.add(("events  ", "key"), (", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])), "dim"))
    text_chunks = counts.get("text", 0)
    if text_chunks:
        s.add(("text    ", "key"), (f"{len(result.text):,} characters in {text_chunks} chunks", "dim"))
    return s


def stream_lines(result: Result, limit: int = 5_000) -> list[Line]:
    """One line per chunk event: what it added. The TUI's Stream tab and `show --stream`."""
    flagged = {a.chunk for a in result.anomalies if a.chunk is not None}
    lines = []
    for ev in result.events[:limit]:
        style = {"text": "", "reasoning": "reasoning", "tool_call": "toolname", "tool_args": "args", "finish": "warn", "usage": "dim", "role": "dim", "meta": "dim", "empty": "dim", "error": "error"}.get(ev.what, "")
        where = f"{ev.chunk:>5} "
        label = f"{ev.what:<9} "
        body = repr(ev.text)[1:-1] if ev.text else ""
        extra = f" {ev.detail}" if ev.detail else ""
        lines.append(Line([Span(where, "error" if ev.chunk in flagged else "dim"), Span(label, style or "key"), Span(safe(body), style), Span(safe(extra), "dim")]))
    if len(result.events) > limit:
        lines.append(Line([Span(f"… {len(result.events) - limit:,} more events", "dim")]))
    return lines


def recording_sections(rec: Recording, limit: int | None = TEXT_LIMIT, display_path: str | None = None) -> list[Section]:
    """Everything `show` prints, in order. `display_path` replaces the file path in the header."""
    sections = [header_section(rec, display_path)]
    if rec.problem:
        return sections
    tools = tools_section(rec)
    sections.append(conversation_section(rec, limit))
    if tools:
        sections.append(tools)
    sections.append(response_section(rec.result, limit))
    stats = stream_stats_section(rec.result)
    if stats:
        sections.append(stats)
    anomalies = anomalies_section(rec.result)
    if anomalies:
        sections.append(anomalies)
    return sections


def turns_section(turns: list[Turn], current: str | None = None, limit: int | None = 2_000) -> Section:
    """A test's recordings as turns, each with only what it added."""
    s = Section("Turns", style="title", note=f"{len(turns)} recordings of this test")
    for t in turns:
        here = t.recording.id == current
        s.add(("● " if here else "○ ", "new" if here else "dim"), (f"turn {t.number}", "title"), (f"  {safe(t.recording.id[:12])}", "id"), (f"  {safe(t.recording.endpoint or '')}", "dim"),
              (f"  extends turn {t.extends}" if t.extends else (f"  variant of turn {t.variant_of}" if t.variant_of else ""), "dim"))
        for note in t.notes:
            s.add(("  note: ", "warn"), (safe(note), "warn"), indent=2)
        for step in t.steps:
            sub = Section("")
            _step_lines(sub, step, limit)
            for line in sub.lines:
                line.indent += 4
            s.lines.extend(sub.lines)
    return s


# --- index rows, raw JSON, chunks and diffs as sections (the notebook draws these; any face may) ---

RAW_LIMIT = 20_000    # characters of raw request/response JSON shown before clipping


def human_size(n: float) -> str:
    for unit in ("B", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return str(n)


def short_test(test_id: str | None) -> str:
    return test_id.removeprefix("tests/integration/") if test_id else ""


def counts_section(summaries: list[Summary], top: int = 8, title: str = "Recordings", note: str = "") -> Section:
    """How many recordings there are of each kind, endpoint and model (the most common first)."""
    from collections import Counter

    s = Section(title, style="title", note=note)
    problems = sum(1 for x in summaries if x.problem)
    flagged = sum(1 for x in summaries if x.anomalies)
    s.add(("total     ", "key"), (f"{len(summaries):,}", "value"),
          (f"   {sum(1 for x in summaries if x.streaming):,} streamed, {sum(1 for x in summaries if x.tool_calls):,} with tool calls", "dim"),
          (f", {flagged:,} with anomalies" if flagged else "", "warn"), (f", {problems:,} unreadable" if problems else "", "error"))
    for label, attr in (("kind", "kind"), ("endpoint", "endpoint"), ("model", "model")):
        counter = Counter(getattr(x, attr) or "-" for x in summaries)
        if not counter:
            continue
        shown = counter.most_common(top)
        spans: list[Span] = [Span(f"{label:<10}", "key")]
        for i, (name, n) in enumerate(shown):
            spans += [Span(", " if i else "", "dim"), Span(safe(name), "model" if attr == "model" else "value"), Span(f" {n:,}", "dim")]
        if len(counter) > top:
            spans.append(Span(f", … {len(counter) - top:,} more", "dim"))
        s.lines.append(Line(spans))
    return s


def json_section(title: str, value: Any, limit: int | None = RAW_LIMIT, hint: str = "") -> Section:
    """Raw JSON, pretty-printed, made safe and clipped (folded where the face can fold)."""
    text = dumps_pretty(value)
    s = Section(title, folded=True, style="title", note=f"{len(text):,} characters")
    s.text(text, "", limit=limit)
    if limit is not None and len(text) > limit and hint:
        s.add((hint, "dim"))
    return s


def chunks_section(result: Result, limit: int = 5_000) -> Section | None:
    """The stream, one line per chunk event, as a (folded) section; None when not streamed."""
    if not result.events:
        return None
    s = Section("Chunks", folded=True, style="title", note=f"{len(result.events):,} events in {result.chunks:,} chunks")
    s.lines.extend(stream_lines(result, limit))
    return s
