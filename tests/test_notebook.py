"""The notebook face: html_view (pure rendering), the Recordings/Recording/Timeline/Diff API,
and a real kernel executing tests/notebooks/display_check.ipynb.

Every test uses its own summary cache (CASSETTE_TUI_CACHE_DIR), the kernel too;
nothing is written into cassette_tui/demo or the fixture folder.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cassette_tui as ct
from cassette_tui import html_view as hv
from cassette_tui.index import Index
from cassette_tui.notebook import Diff, Recording, Recordings, Timeline
from cassette_tui.query import QueryError
from cassette_tui.view import Line, Section, Span, json_section

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE / "notebooks"
DEMO = Path(ct.__file__).resolve().parent / "demo"
WORKFLOW = "user_permissions_workflow"
HOSTILE = ['<script>alert("x")</script>', "<img src=x onerror=x>", "</details>", "a & b", "\"double\" 'single'"]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(d))
    return d


def digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo_digest() -> dict[str, str]:
    return digest(DEMO)


# --- html_view ------------------------------------------------------------------------------


def hostile_section(folded: bool = False) -> Section:
    s = Section("<b>title</b>", folded=folded, note="</summary>")
    for text in HOSTILE:
        s.add(Span(text, "user"), Span(text, "no-such-style"))
    s.text("\x1b[31mred\x1b[0m\n" + "\n".join(HOSTILE))
    return s


def test_html_escapes_every_recorded_string() -> None:
    out = hv.sections_html([hostile_section(), hostile_section(folded=True)])
    assert "<script" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=x&gt;" in out
    assert "a &amp; b" in out and "&quot;double&quot; &#x27;single&#x27;" in out
    assert out.count("<details") == out.count("</details>") == 2          # the recorded </details> is text
    assert out.count("<summary") == out.count("</summary>") == 2
    assert "\x1b" not in out and "␛[31m" in out


def test_html_is_self_contained_for_untrusted_notebooks() -> None:
    rows = [[Span(t, "id"), Span(t, "test")] for t in HOSTILE]
    for out in (hv.sections_html([hostile_section()]), hv.table_html(["id", "test"], rows, before=[hostile_section()])):
        assert "<style" not in out and "var(--" not in out and "class=" not in out
        assert "color:inherit" in out


def test_folded_sections_are_closed_details_and_others_open() -> None:
    assert "<details open" in hv.section_html(Section("a", [Line([Span("x")])]))
    closed = hv.section_html(Section("a", [Line([Span("x")])], folded=True))
    assert closed.startswith("<details ") and " open" not in closed.split(">")[0]


def test_a_table_without_rows_is_drawn() -> None:
    out = hv.table_html(["id", "test"], [])
    assert "<th" in out and "<td" not in out and "<script" not in out


def test_table_script_only_adds_its_own_controls_and_carries_no_recorded_text() -> None:
    rows = [[Span(t, "id")] for t in HOSTILE]
    with_script = hv.table_html(["id"], rows)
    script = with_script[with_script.index("<script>"):]
    assert script.count("<script") == 1 and "createElement" in script
    assert not any(t in script for t in HOSTILE)
    assert "<input" not in with_script                     # the filter box exists only when the script runs
    assert "<script" not in hv.table_html(["id"], rows, script=False)


def test_caps_say_how_many_more_and_how_to_see_them() -> None:
    big = Section("big", [Line([Span(f"line {i}")]) for i in range(1000)])
    html_out = hv.sections_html([big], max_lines=10, hint="rec.show(full=True)")
    text_out = hv.sections_text([big], max_lines=10, hint="rec.show(full=True)")
    for out in (html_out, text_out):
        assert "line 9" in out and "line 10" not in out
        assert "… 990 more lines: rec.show(full=True)" in out
    assert "line 999" in hv.sections_html([big], max_lines=None)

    rows = [[Span(str(i), "id")] for i in range(80)]
    for out in (hv.table_html(["n"], rows, max_rows=50, hint="idx.show(rows=N)"), hv.table_text(["n"], rows, max_rows=50, hint="idx.show(rows=N)")):
        assert "… 30 more rows: idx.show(rows=N)" in out
        assert ">49<" in out or "\n49" in out
        assert ">50<" not in out and "\n50\n" not in out

    raw = json_section("Raw response", {"x": "y" * 50_000}, limit=1_000, hint="rec.response holds all of it")
    out = hv.sections_html([raw])
    assert "more characters" in out and "rec.response holds all of it" in out and len(out) < 10_000


def test_plain_text_has_no_escapes_and_reads_as_a_transcript() -> None:
    text = hv.sections_text([hostile_section()])
    assert "\x1b" not in text
    assert text.splitlines()[0] == "<b>title</b>  (</summary>)"
    assert '<script>alert("x")</script>' in text          # plain text is not HTML: shown as it is


def test_bundle_is_html_and_text_only() -> None:
    b = hv.bundle("<div></div>", "x\x1by")
    assert set(b) == {"text/plain", "text/html"} and "\x1b" not in b["text/plain"]
    assert set(hv.bundle("<div></div>", "x", include=["text/html"])) == {"text/html"}
    assert set(hv.bundle("<div></div>", "x", exclude=["text/html"])) == {"text/plain"}


def test_every_style_the_terminal_knows_has_a_colour_in_html() -> None:
    from cassette_tui.rich_view import STYLES as RICH

    assert set(RICH) <= set(hv.STYLES)
    assert not any("var(" in v or "<" in v or '"' in v for v in hv.STYLES.values())


# --- the API ------------------------------------------------------------------------------


@pytest.fixture
def demo() -> Recordings:
    return ct.open(DEMO)


def test_open_gives_recordings_with_len_iteration_and_positions(demo: Recordings) -> None:
    assert isinstance(demo, Recordings)
    assert len(demo) == len(Index(DEMO, use_cache=False).scan()) > 10
    recs = list(demo)
    assert len(recs) == len(demo) and all(isinstance(r, Recording) for r in recs)
    assert demo[0].path == recs[0].path and demo[-1].path == recs[-1].path
    assert isinstance(demo[1:4], Recordings) and len(demo[1:4]) == 3
    with pytest.raises(IndexError):
        demo[len(demo)]


def test_a_recording_by_unique_id_prefix_and_its_data(demo: Recordings) -> None:
    rec = demo["aadc0675"]
    assert isinstance(rec, Recording) and rec.id.startswith("aadc0675")
    assert rec.request["body"]["model"] == "gpt-4o" and isinstance(rec.response, dict)
    assert len(rec.chunks) == 12
    assert [t.name for t in rec.result.tool_calls] == ["get_user_permissions"]
    assert rec.result.tool_calls[0].parsed_arguments() == {"user_id": "user_11111"}
    steps = rec.timeline()
    assert [s.new for s in steps][-1] is True and steps[0].role == "user"


def test_ambiguous_and_unknown_prefixes_raise_key_error_naming_candidates(demo: Recordings) -> None:
    with pytest.raises(KeyError) as exc:
        demo["8"]
    message = str(exc.value)
    assert "ambiguous" in message
    for prefix in ("8ce3e23e7ca4", "8fe0bae4f48f", "84cab42e1f5c"):
        assert prefix in message
    assert {c.id[:12] for c in exc.value.candidates} >= {"8ce3e23e7ca4", "8fe0bae4f48f"}
    with pytest.raises(KeyError, match="no recording matches"):
        demo["ffffffffffff"]


def test_filter_returns_recordings_and_chains(demo: Recordings) -> None:
    gpt = demo.filter("model:gpt-4o stream:yes")
    assert isinstance(gpt, Recordings) and len(gpt) == 5
    assert all(r.model == "gpt-4o" and r.streaming for r in gpt)
    stop = gpt.filter("finish:stop")
    assert isinstance(stop, Recordings) and [r.id[:8] for r in stop] == ["a9c49a7e"]
    assert "model:gpt-4o" in stop.query and "finish:stop" in stop.query
    with pytest.raises(KeyError):
        gpt["8fe0"]                     # in the directory, not among these
    assert gpt["8ce3"].id.startswith("8ce3")
    with pytest.raises(QueryError):
        demo.filter("modle:gpt")


def test_test_gives_its_recordings_in_turn_order(demo: Recordings) -> None:
    tl = demo.test(WORKFLOW)
    assert isinstance(tl, Timeline) and len(tl) == 5
    assert [r.id[:8] for r in tl] == ["8ce3e23e", "25b4b134", "aadc0675", "4078aa36", "a9c49a7e"]
    assert [t.number for t in tl.turns] == [1, 2, 3, 4, 5]
    assert tl[-1].result.finish_reason == "stop"
    # A filtered view still times the whole test, and a recording finds its own test.
    assert [r.id for r in demo.filter("finish:stop").test(WORKFLOW)] == [r.id for r in tl]
    assert [r.id for r in demo["aadc0675"].turns()] == [r.id for r in tl]
    assert demo.tests()[tl.test_id] == 5
    with pytest.raises(KeyError, match="ambiguous"):
        demo.test("test_")
    with pytest.raises(KeyError, match="no test id"):
        demo.test("no-such-test")


def test_diff_finds_the_request_difference_between_twin_turns(demo: Recordings) -> None:
    d = ct.diff(demo["25b4"], demo["8ce3"])
    assert isinstance(d, Diff) and not d.same
    assert [c.path for c in d.request] == ["body.stream_options"]
    assert ct.diff(demo["25b4"].path, demo["25b4"]).same
    import cassette_tui.compare  # noqa: F401 - the comparing module, loaded, leaves ct.diff the function

    assert callable(ct.diff) and ct.diff.__name__ == "diff"


def test_every_displayable_gives_html_and_plain_text(demo: Recordings) -> None:
    tl = demo.test(WORKFLOW)
    for obj in (demo, demo.filter("has:anomaly"), demo["aadc0675"], tl, ct.diff(tl[0], tl[1]), demo["aadc0675"].show(full=True), demo.show(rows=None)):
        b = obj._repr_mimebundle_()
        assert set(b) == {"text/plain", "text/html"}, type(obj)
        assert "\x1b" not in b["text/plain"] and b["text/plain"].strip()
        assert b["text/html"].startswith("<div") and "<style" not in b["text/html"]


def test_recording_display_shows_the_reassembled_tool_call_and_folds_raw_json(demo: Recordings) -> None:
    b = demo["aadc0675"]._repr_mimebundle_()
    assert "get_user_permissions" in b["text/html"] and "&quot;user_id&quot;: &quot;user_11111&quot;" in b["text/html"]
    assert '"user_id": "user_11111"' in b["text/plain"]
    assert "Raw request" in b["text/html"] and "Raw request" not in b["text/plain"]
    assert "Test timeline" in b["text/html"]


def test_index_display_is_capped_with_a_way_to_see_more(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    src = next(DEMO.rglob("aadc0675*.json")).read_bytes()
    for i in range(60):
        (root / f"{i:012x}.json").write_bytes(src)
    idx = ct.open(root)
    b = idx._repr_mimebundle_()
    for out in (b["text/html"], b["text/plain"]):
        assert "… 10 more rows: idx.show(rows=N)" in out
    assert "more rows" not in idx.show(rows=None)._repr_mimebundle_()["text/plain"]
    assert idx.filter("id:00000000000").__len__() == 16


CORPUS_2026_05 = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "2026-05"


@pytest.mark.skipif(not CORPUS_2026_05.is_dir(), reason="needs ../shared/corpus")
def test_the_index_of_a_real_tree_is_small_and_keeps_to_what_untrusted_output_allows(cache_dir: Path) -> None:
    """50 rows under 40 KB (it was 92 KB when every cell repeated its layout), and only what
    JupyterLab's sanitizer keeps for an untrusted output: no <style>, no `ch` unit, no
    `overflow-wrap:anywhere` (its list has neither), so nothing of the layout is lost there."""
    import re

    out = ct.open(CORPUS_2026_05)._repr_mimebundle_()["text/html"]
    assert out.count("<tr>") == 1 + 50 and len(out.encode()) <= 40_000   # the header and 50 rows
    assert "<style" not in out and "class=" not in out
    assert not re.search(r"\d(?:\.\d+)?ch\b", out) and "anywhere" not in out
    cells = re.findall(r"<td[^>]*>", out)
    assert cells and not any("padding" in c or "white-space" in c or "display" in c for c in cells)


def test_open_a_file_gives_a_recording_and_a_missing_path_raises(tmp_path: Path) -> None:
    path = next(DEMO.rglob("aadc0675*.json"))
    rec = ct.open(path)
    assert isinstance(rec, Recording) and rec.id.startswith("aadc0675")
    assert [r.id for r in rec.turns()] == [rec.id]           # alone, it is its own timeline
    with pytest.raises(FileNotFoundError):
        ct.open(tmp_path / "nowhere")


def test_the_demo_and_cwd_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    idx = ct.open()
    assert idx.root == DEMO.resolve() and "demo" in idx._repr_mimebundle_()["text/plain"]
    assert len(ct.demo()) == len(idx)


def test_help_is_useful() -> None:
    for obj in (ct.open, ct.demo, ct.diff, Recordings, Recordings.filter, Recordings.test, Recording, Recording.timeline, Timeline, Diff):
        assert obj.__doc__ and len(obj.__doc__.strip()) > 30, obj


def test_importing_the_package_stays_light_and_the_notebook_never_loads_textual_or_rich() -> None:
    code = (
        "import sys, cassette_tui as ct\n"
        "assert not [m for m in sys.modules if m.startswith('cassette_tui.')], sys.modules\n"
        "ct.open\n"
        "assert 'cassette_tui.notebook' in sys.modules\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nothing_is_written_into_the_demo(demo: Recordings, demo_digest: dict[str, str]) -> None:
    for rec in demo:
        rec._repr_mimebundle_()
    assert digest(DEMO) == demo_digest


# --- a real kernel --------------------------------------------------------------------------


def kernel_spec(tmp_path: Path, cache: Path) -> str:
    """A kernelspec running this very interpreter, found through JUPYTER_PATH."""
    name = "cassette-tui-test"
    d = tmp_path / "jupyter" / "kernels" / name
    d.mkdir(parents=True)
    (d / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "cassette-tui test",
        "language": "python",
        "env": {"CASSETTE_TUI_CACHE_DIR": str(cache)},
    }))
    return name


def test_the_notebook_runs_in_a_real_kernel_and_displays_safely(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    name = kernel_spec(tmp_path, cache_dir)
    fixtures_before = digest(NOTEBOOKS)

    nb = nbformat.read(NOTEBOOKS / "display_check.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "save the notebook without outputs"

    t0 = time.perf_counter()
    nbclient.NotebookClient(nb, kernel_name=name, timeout=120, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    seconds = time.perf_counter() - t0

    outputs = {c.metadata["name"]: c.outputs for c in code}
    for cell, outs in outputs.items():
        assert outs, f"{cell}: no output"
        assert not [o for o in outs if o.output_type == "error"], f"{cell}: {outs}"
    bundles = {cell: next(o.data for o in outs if o.output_type == "execute_result") for cell, outs in outputs.items() if cell not in ("plain", "env")}
    for cell, data in bundles.items():
        assert set(data) == {"text/plain", "text/html"}, f"{cell}: {sorted(data)}"
        assert "\x1b" not in data["text/plain"], cell
        html = data["text/html"]
        assert "<style" not in html and "var(--" not in html, cell
        assert html.count("<details") == html.count("</details>"), cell

    # The tool call streamed in fragments ('{"ci', 'ty": "Pa', 'ris"}') is shown whole.
    tool_html = bundles["tool_call"]["text/html"]
    assert "get_weather" in tool_html and "&quot;city&quot;: &quot;Paris&quot;" in tool_html
    assert '"city": "Paris"' in bundles["tool_call"]["text/plain"]
    assert "It is 18C and sunny in Paris." in bundles["timeline"]["text/html"]
    assert "get_weather" in bundles["filtered"]["text/html"]

    # Hostile strings are text, wherever they came from (test id, model, tool name, arguments, content).
    for cell in ("index", "hostile"):
        html = bundles[cell]["text/html"]
        assert "alert(" in html                      # present, as text...
        assert "<img" not in html and "<b>" not in html
        assert html.count("<script") == html.count("<script>(function")   # ...only our own table script
        assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in bundles["hostile"]["text/html"]
    assert "&lt;/summary&gt;&lt;script&gt;alert(4)&lt;/script&gt;" in bundles["hostile"]["text/html"]
    assert "␛[31mred" in bundles["hostile"]["text/plain"]

    printed = "".join(o.get("text", "") for o in outputs["plain"] if o.output_type == "stream")
    assert printed.startswith("3 ")
    executable, kernel_cache = "".join(o.get("text", "") for o in outputs["env"] if o.output_type == "stream").split()
    assert Path(executable) == Path(sys.executable) and Path(kernel_cache) == cache_dir
    assert list(cache_dir.glob("index-*.bin")), "the kernel's index cache belongs in the test's cache dir"
    assert digest(NOTEBOOKS) == fixtures_before, "the notebook run wrote into tests/notebooks"
    assert seconds < 60


# --- explain and git review: the CLI's reports, displayable -------------------------------

EXPLAIN_CASES = Path(__file__).resolve().parents[2] / "shared" / "explain-cases"


def test_explain_in_a_notebook_names_the_replaced_recording_of_a_real_miss() -> None:
    if not (EXPLAIN_CASES / "cases.jsonl").is_file():
        pytest.skip(f"no explain cases at {EXPLAIN_CASES}")
    case = json.loads((EXPLAIN_CASES / "cases.jsonl").read_text().splitlines()[0])
    tree = EXPLAIN_CASES / case["tree"]
    report = ct.open(tree).explain(str(EXPLAIN_CASES / case["live"]))
    (ex,) = report.explanations
    assert ex.nearest is not None and tree / ex.nearest.path == EXPLAIN_CASES / case["recorded"]
    b = report._repr_mimebundle_()
    assert "verdict:" in b["text/plain"] and ex.nearest.path in b["text/plain"]
    assert "<script" not in b["text/html"] and "verdict:" in b["text/html"]
    with pytest.raises(ValueError, match="no replay-miss message"):
        ct.open(tree).explain("nothing to see here\nat all")


def test_review_in_a_notebook_lists_a_change_since_head(demo_copy: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=demo_copy, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "recordings")
    changed = next(demo_copy.rglob("*.json"))
    data = json.loads(changed.read_text())
    data["request"]["body"]["temperature"] = 0.25
    changed.write_text(json.dumps(data))
    review = ct.open(demo_copy).review("HEAD")
    assert [c.status for c in review.changes] == ["changed"]
    b = review._repr_mimebundle_()
    assert "body.temperature" in b["text/plain"] and "body.temperature" in b["text/html"]
