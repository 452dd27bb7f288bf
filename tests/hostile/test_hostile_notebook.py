"""The notebook face on the hostile directory: ct.open, every recording displayed, escaped HTML, no raw escapes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import cassette_tui as ct

from .conftest import expected_problem

RAW = ("\x1b", "\x07", "\x08", "\x9b")
# What the injection would be if it were not escaped: live tags and attributes.
LIVE_HTML = re.compile(r"<script>alert|<img src=x|<b>\.json|</details>&amp;")


def check_bundle(bundle: dict[str, str], where: str, max_html: int = 3_000_000) -> None:
    assert set(bundle) == {"text/plain", "text/html"}, where
    for mime, out in bundle.items():
        for c in RAW:
            assert c not in out, (where, mime, repr(c))
        out.encode("utf-8")   # no lone surrogate: the page can be saved
    assert not LIVE_HTML.search(bundle["text/html"]), (where, LIVE_HTML.search(bundle["text/html"]).group())
    assert len(bundle["text/html"]) < max_html, (where, len(bundle["text/html"]))   # capped, even for 50 MB


def test_open_and_display_every_hostile_recording(hostile_dir: Path, cases) -> None:
    idx = ct.open(hostile_dir)
    listed = {c.name: c for c in cases if c.listed}
    assert sorted(s.path for s in idx.summaries) == sorted(listed)
    check_bundle(idx._repr_mimebundle_(), "the index")
    check_bundle(idx.show(rows=None)._repr_mimebundle_(), "the whole table")
    check_bundle(idx.filter("is:problem")._repr_mimebundle_(), "the problems")
    for i, s in enumerate(idx.summaries):
        t0 = time.perf_counter()
        rec = idx[i]
        problem = expected_problem(listed[s.path], hostile_dir)
        assert (rec.problem is None) if problem is None else problem in rec.problem, (s.path, rec.problem)
        check_bundle(rec._repr_mimebundle_(), s.path)
        assert time.perf_counter() - t0 < 15, s.path
    # Injection shows as text: escaped in HTML, literal in plain text.
    bundle = idx["injection-s"]._repr_mimebundle_()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bundle["text/html"] and "␛[2J" in bundle["text/html"]
    assert "[bold red]markup[/bold red]" in bundle["text/plain"] and "<script>alert(1)</script>" in bundle["text/plain"]
    # A test's turns skip the 50 MB sibling instead of reading it for every display.
    timeline = idx.test("test_h[")
    assert timeline.truncated >= 1
    check_bundle(timeline._repr_mimebundle_(), "the timeline")
    d = ct.diff(idx["injection.json"], idx["injection-s"])
    check_bundle(d._repr_mimebundle_(), "a diff")
    check_bundle(d.show(full=True)._repr_mimebundle_(), "a full diff")
    check_bundle(idx["injection.json"].show(full=True)._repr_mimebundle_(), "a full recording")


def test_a_recording_re_recorded_under_another_test_id_after_open_still_displays(tmp_path: Path) -> None:
    from .generate import chat, dump

    rec = tmp_path / "tree" / "recordings"
    rec.mkdir(parents=True)
    for i, test in enumerate(("tests/t.py::test_a", "tests/t.py::test_a", "tests/t.py::test_abc", "tests/t.py::test_abc")):
        (rec / f"{i}.json").write_bytes(dump(chat(content=f"turn {i}", test_id=test)))
    idx = ct.open(rec.parent)
    # Rewritten after ct.open: one test id no group has, one that is only a part of another test's id.
    (rec / "0.json").write_bytes(dump(chat(content="renamed", test_id="tests/t.py::test_renamed")))
    (rec / "1.json").write_bytes(dump(chat(content="renamed", test_id="test_ab")))
    for ref in ("0", "1"):
        r = idx[ref]
        bundle = r._repr_mimebundle_()
        check_bundle(bundle, ref)
        assert "Test timeline" not in bundle["text/plain"], ref      # not test_abc's timeline
        assert [t.id for t in r.turns()] == [r.id]                   # a timeline of its own
    assert len(idx["2"].turns()) == 2
