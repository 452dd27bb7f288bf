"""Recordings, tests and diffs that display themselves in Jupyter.

    import cassette_tui as ct
    idx = ct.open("tests/integration")     # Recordings: counts, then a table
    idx[0], idx["aadc0675"]                # a Recording, by position or unique id prefix
    idx.filter("model:gpt-4o stream:yes")  # the query language; returns Recordings
    idx.test("test_x")                     # a Timeline: the test's recordings in turn order
    rec = idx["aadc0675"]                  # conversation, response, tool calls, anomalies
    rec.request, rec.response, rec.chunks, rec.result, rec.timeline()
    ct.diff(a, b)                          # the semantic diff

Everything here is a thin face over the core (index, recording, timeline, diff)
and its view model (cassette_tui.view), drawn by cassette_tui.html_view; each
object's `_repr_mimebundle_` gives `text/plain` and `text/html`, capped in
size with a line saying how to see more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import html_view as hv
from . import recording as _core
from .conversation import Step
from .index import Index, RefError
from .model import DEMO_DIR, Summary
from .query import parse
from .reports import diff_sections
from .rows import TABLE_COLUMNS, row_cells
from .timeline import TURNS_LIMIT, Turn, recording_timeline, test_turns, turns_to_read
from .view import (
    RAW_LIMIT,
    Line,
    Section,
    Span,
    chunks_section,
    counts_section,
    json_section,
    recording_sections,
    safe,
    turns_section,
)

__all__ = ["Diff", "Recording", "Recordings", "Timeline", "View", "demo", "diff", "open"]

TEXT_LIMIT = 4_000     # characters of one message shown before "… N more characters"

class View:
    """Sections of the view model, displayed as HTML and as a plain-text transcript.

    `text_sections` (default: the same sections) are what text/plain shows; the
    HTML may carry more, folded (raw JSON, chunks).
    """

    def __init__(self, sections: Sequence[Section], text_sections: Sequence[Section] | None = None,
                 max_lines: int | None = hv.MAX_LINES, hint: str = "", footer: Sequence[Line] = ()):
        self.sections = list(sections)
        self.text_sections = list(sections if text_sections is None else text_sections)
        self.max_lines = max_lines
        self.hint = hint
        self.footer = list(footer)

    def html(self) -> str:
        return hv.sections_html(self.sections, self.max_lines, self.hint, self.footer)

    def text(self) -> str:
        return hv.sections_text(self.text_sections, self.max_lines, self.hint, self.footer)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return hv.bundle(self.html(), self.text(), include, exclude)

    def __str__(self) -> str:
        return self.text()


def _dim(text: str) -> Line:
    return Line([Span(text, "dim")])


# --- one recording ----------------------------------------------------------------------


class Recording(_core.Recording):
    """One recording: the core `cassette_tui.recording.Recording`, displayable.

    Data: `.request`, `.response` (the raw JSON objects), `.chunks` (the streamed
    chunks, [] when not streamed), `.result` (the reassembled response: `.text`,
    `.tool_calls`, `.finish_reason`, `.usage`, `.anomalies`, `.events`),
    `.timeline()` (the conversation as steps), `.summary()` (the index row),
    `.test_id`, `.kind`, `.model`, `.endpoint`, `.path`.

    Display: `rec` shows the conversation, the reassembled response with its tool
    calls, anomalies, the stream and (opened from Recordings) the test's turns;
    long texts are clipped, `rec.show(full=True)` shows everything.
    """

    _owner: Recordings | None = None

    def timeline(self) -> list[Step]:
        """The conversation as steps: what the request sent, then what the response added (`new`)."""
        return recording_timeline(self)

    def turns(self) -> Timeline:
        """The Timeline of this recording's test (every recording of it, in turn order).

        Needs the Recordings this came from; a recording opened on its own is its own timeline.
        """
        timeline = self._owner.exact_test(self.test_id) if self._owner is not None and self.test_id else None
        return timeline if timeline is not None else Timeline(self.test_id or "", [self])

    def show(self, full: bool = False) -> View:
        """The display, with nothing clipped when `full` (texts, lines, raw JSON)."""
        limit = None if full else TEXT_LIMIT
        raw = None if full else RAW_LIMIT
        sections = recording_sections(self, limit=limit)
        text_sections = list(sections)
        extra: list[Section] = []
        if not self.problem:
            chunks = chunks_section(self.result)
            if chunks:
                extra.append(chunks)
            turns = self._turns_section(limit)
            if turns:
                extra.append(turns)
                text_sections.append(turns)
        extra.append(json_section("Raw request", self.request, raw, hint="rec.request holds all of it"))
        extra.append(json_section("Raw response", self.response, raw, hint="rec.response holds all of it"))
        footer = [] if full else [_dim("Clipped where long: rec.show(full=True) shows everything; rec.request, rec.response, rec.chunks and rec.result hold the data.")]
        return View(sections + extra, text_sections, None if full else hv.MAX_LINES, "rec.show(full=True) shows them", footer)

    def _turns_section(self, limit: int | None) -> Section | None:
        if self._owner is None or not self.test_id:
            return None
        # Exactly its own test id: re-recorded under another one since `ct.open`, it is in
        # no group (a KeyError used to break the display), and a part of an id is another test.
        timeline = self._owner.exact_test(self.test_id)
        if timeline is None or len(timeline) < 2:
            return None
        s = turns_section(timeline.turns, current=self.id, limit=limit)
        s.title, s.folded = "Test timeline", True
        s.note = f"{len(timeline)} recordings of this test; rec.turns() shows them"
        return s

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.show()._repr_mimebundle_(include, exclude)


def _load(path: str | os.PathLike[str], owner: Recordings | None = None) -> Recording:
    rec = Recording.load(path)
    rec._owner = owner
    return rec


# --- a set of recordings ----------------------------------------------------------------


class Recordings:
    """Recordings under a directory (an index, with the same cache as the CLI and TUI).

    `len(idx)`, `for rec in idx`, `idx[0]`, `idx[2:5]`, `idx["aadc0675"]` (a unique
    id prefix or a path; an ambiguous one raises KeyError naming the candidates),
    `idx.filter("model:gpt-4o stream:yes")` (returns Recordings), `idx.test("test_x")`
    (a Timeline), `idx.tests()`, `idx.show(rows=500)`. `idx.summaries` holds the
    index rows (cassette_tui.model.Summary), `idx.root` the directory.
    """

    def __init__(self, index: Index, summaries: Sequence[Summary] | None = None, query: str = "", note: str = ""):
        self.index = index
        self.summaries: list[Summary] = list(index.summaries.values()) if summaries is None else list(summaries)
        self.query = query
        self.note = note
        self._paths = {s.path for s in self.summaries}

    @property
    def root(self) -> Path:
        return self.index.root

    # --- sequence ---

    def __len__(self) -> int:
        return len(self.summaries)

    def __iter__(self) -> Iterator[Recording]:
        """Each recording, read from disk as it is reached."""
        for s in self.summaries:
            yield self._load(s)

    def __getitem__(self, key: int | slice | str) -> Any:
        """A Recording by position or by unique id prefix / path; Recordings for a slice."""
        if isinstance(key, slice):
            return Recordings(self.index, self.summaries[key], self.query, self.note)
        if isinstance(key, int):
            return self._load(self.summaries[key])
        if isinstance(key, str):
            return self._load(self.find(key))
        raise TypeError(f"Recordings indices are positions, slices or id prefixes, not {type(key).__name__}")

    def find(self, ref: str) -> Summary:
        """The index row of a unique id prefix, file name or path; KeyError names the candidates."""
        try:
            matches = [self.index.resolve(ref)]
        except RefError as exc:
            matches = exc.candidates
        matches = [m for m in matches if m.path in self._paths]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            err = KeyError(f"no recording matches {ref!r}" + (f" among these {len(self)}" if self.query else f" in {self.root}"))
        else:
            shown = ", ".join(f"{m.id[:12]} ({m.path})" for m in matches[:8]) + (f" and {len(matches) - 8} more" if len(matches) > 8 else "")
            err = KeyError(f"{ref!r} is ambiguous: {len(matches)} recordings match: {shown}")
        err.candidates = matches  # type: ignore[attr-defined]
        raise err

    def _load(self, s: Summary) -> Recording:
        rec = _load(self.root / s.path, self)
        rec.path = str(self.root / s.path)
        return rec

    # --- narrowing ---

    def filter(self, query: str) -> Recordings:
        """The recordings that `query` matches (the query language of `cassette-tui ls`; see help(cassette_tui.query))."""
        q = parse(query)
        text = f"{self.query} {query}".strip() if not self.query or not query.strip() else f"({self.query}) ({query})"
        return Recordings(self.index, q.filter(self.summaries), text, self.note)

    def explain(self, text: str) -> Any:
        """Why replay missed: `text` is a CI log (one or more miss messages), a request hash or a
        recording's path. Displays the same report as `cassette-tui explain`; `.explanations` holds them."""
        from .notebook_reports import explain_in

        return explain_in(self.index, text)

    def review(self, rev: str, noise: bool = False) -> Any:
        """What changed under this tree since the git ref `rev` (`cassette-tui diff --git REV`);
        `.changes` holds them."""
        from .notebook_reports import review_in

        return review_in(self.root, rev, include_noise=noise)

    def tests(self) -> dict[str, int]:
        """Test ids of these recordings, with how many recordings each has (most first)."""
        counts: dict[str, int] = {}
        for s in self.summaries:
            if s.test_id:
                counts[s.test_id] = counts.get(s.test_id, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def test(self, name: str) -> Timeline:
        """A test's recordings in turn order: `name` is a test id or a unique part of one.

        Every recording of that test in the directory is used, even when these
        Recordings are filtered: a timeline needs all of its turns.
        """
        groups = self.index.tests()
        if name in groups:
            test_id = name
        else:
            low = name.lower()
            found = [t for t in groups if low in t.lower()]
            if len(found) != 1:
                if not found:
                    raise KeyError(f"no test id contains {name!r}")
                shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
                err = KeyError(f"{name!r} is ambiguous: {len(found)} tests match: {shown}")
                err.candidates = found  # type: ignore[attr-defined]
                raise err
            test_id = found[0]
        return self._timeline(test_id, groups[test_id])

    def exact_test(self, test_id: str) -> Timeline | None:
        """The Timeline of exactly this test id, or None when no recording of the index has it."""
        group = self.index.tests().get(test_id)
        return self._timeline(test_id, group) if group else None

    def _timeline(self, test_id: str, group: list[Summary]) -> Timeline:
        summaries, _too_large = turns_to_read(group)
        return Timeline(test_id, [self._load(s) for s in summaries], truncated=len(group) - len(summaries))

    # --- display ---

    def show(self, rows: int | None = hv.MAX_ROWS) -> _Table:
        """The display with up to `rows` rows (None: all of them)."""
        head = counts_section(self.summaries, note=f"{len(self):,} in {safe(self.root)}")
        if self.query:
            head.lines.insert(0, Line([Span("query     ", "key"), Span(safe(self.query), "value")]))
        if self.note:
            head.lines.insert(0, Line([Span("source    ", "key"), Span(safe(self.note), "dim")]))
        rows_ = [[Span(str(i), "dim"), *row_cells(s, TABLE_COLUMNS)] for i, s in enumerate(self.summaries)]
        return _Table(("#", *TABLE_COLUMNS), rows_, rows, "idx.show(rows=N) shows more, idx.filter(QUERY) narrows", [head])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.show()._repr_mimebundle_(include, exclude)

    def __repr__(self) -> str:
        return f"<Recordings {len(self)} in {self.root}{' matching ' + repr(self.query) if self.query else ''}>"


class _Table:
    """A capped table of index rows after a few sections."""

    def __init__(self, columns: Sequence[str], rows: list[list[Span]], max_rows: int | None, hint: str, before: Sequence[Section] = ()):
        self.columns, self.rows, self.max_rows, self.hint, self.before = columns, rows, max_rows, hint, list(before)

    def html(self) -> str:
        return hv.table_html(self.columns, self.rows, self.max_rows, self.hint, self.before)

    def text(self) -> str:
        return hv.table_text(self.columns, self.rows, self.max_rows, self.hint, self.before)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return hv.bundle(self.html(), self.text(), include, exclude)

    def __str__(self) -> str:
        return self.text()


# --- a test's recordings in turn order --------------------------------------------------


class Timeline(Sequence[Recording]):
    """One test's recordings ordered into turns: `tl[0]` is turn 1's Recording.

    `.turns` holds the core Turn objects (`.number`, `.recording`, `.steps` new in
    that turn, `.extends`, `.notes`); `.test_id` the test. Displays each turn with
    only what it added.
    """

    def __init__(self, test_id: str, recordings: Sequence[_core.Recording], truncated: int = 0):
        self.test_id = test_id
        self.turns: list[Turn] = test_turns(list(recordings))
        self.truncated = truncated

    @property
    def recordings(self) -> list[Recording]:
        return [t.recording for t in self.turns]  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.turns)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [t.recording for t in self.turns[i]]
        return self.turns[i].recording

    def show(self, full: bool = False) -> View:
        """The display, with nothing clipped when `full`."""
        head = Section("Test", style="title", note=f"{len(self)} recordings in turn order")
        head.add(("test      ", "key"), (safe(self.test_id or "(no test id)"), "test"))
        if self.truncated:
            head.add((f"… {self.truncated} more recordings of this test not read (unreadable, too large, or beyond {TURNS_LIMIT})", "dim"))
        body = turns_section(self.turns, limit=None if full else TEXT_LIMIT)
        footer = [_dim("tl[0] is turn 1's Recording; ct.diff(tl[0], tl[1]) compares two turns" + ("" if full else "; tl.show(full=True) clips nothing"))]
        return View([head, body], None, None if full else hv.MAX_LINES, "tl.show(full=True) shows them", footer)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.show()._repr_mimebundle_(include, exclude)

    def __repr__(self) -> str:
        return f"<Timeline {len(self)} turns of {self.test_id!r}>"


# --- diffs ------------------------------------------------------------------------------


class Diff:
    """The semantic diff of two recordings (requests and reassembled responses, noise ignored).

    `.same`, `.request` and `.response` (lists of changes with `.path`, `.kind`,
    `.a`, `.b`), `.request_text` / `.response_text` (unified diffs), `.to_json()`;
    `.core` is the cassette_tui.compare.RecordingDiff.
    """

    def __init__(self, core: Any, include_noise: bool = False):
        self.core = core
        self.include_noise = include_noise

    def __getattr__(self, name: str) -> Any:
        if name == "core":
            raise AttributeError(name)
        return getattr(self.core, name)

    def show(self, full: bool = False) -> View:
        """The display, with every difference listed when `full`."""
        return View(diff_sections(self.core, self.include_noise, limit=100_000 if full else 200), None, None if full else hv.MAX_LINES, "d.show(full=True) shows them")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.show()._repr_mimebundle_(include, exclude)

    def __repr__(self) -> str:
        return f"<Diff {self.core.a.id[:12]} {self.core.b.id[:12]}: {len(self.core.request)} request, {len(self.core.response)} response differences>"


def diff(a: _core.Recording | str | os.PathLike[str], b: _core.Recording | str | os.PathLike[str], *, noise: bool = False) -> Diff:
    """What differs between two recordings (Recordings or file paths); `noise=True` keeps ids and timestamps."""
    from .compare import diff_recordings

    ra = a if isinstance(a, _core.Recording) else _load(a)
    rb = b if isinstance(b, _core.Recording) else _load(b)
    return Diff(diff_recordings(ra, rb, include_noise=noise), noise)


# --- opening ----------------------------------------------------------------------------


def open(path: str | os.PathLike[str] | None = None, query: str = "", *, cache: bool = True) -> Any:  # noqa: A001 - ct.open reads best
    """Recordings under `path` (a directory), optionally filtered by `query`.

    A path to one file gives that Recording. With no path: the recordings under
    the current directory, or the demo set bundled with cassette-tui when there
    are none. The summary cache is the CLI's and the TUI's
    (`$CASSETTE_TUI_CACHE_DIR`); `cache=False` reads every file afresh.
    """
    note = ""
    if path is None:
        index = Index(Path.cwd(), recordings_only=True, use_cache=cache).scan()
        if not len(index):
            index, note = Index(DEMO_DIR, use_cache=cache).scan(), "the demo recordings bundled with cassette-tui"
    else:
        p = Path(path)
        if p.is_file():
            return _load(p)
        if not p.exists():
            raise FileNotFoundError(f"no such directory: {path}")
        index = Index(p, use_cache=cache).scan()
    out = Recordings(index, note=note)
    return out.filter(query) if query else out


def demo(query: str = "") -> Recordings:
    """The demo recordings bundled with cassette-tui (a three-turn tool-calling test among them)."""
    out = Recordings(Index(DEMO_DIR).scan(), note="the demo recordings bundled with cassette-tui")
    return out.filter(query) if query else out
