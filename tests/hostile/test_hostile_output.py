"""What the CLI prints stays one line per row and bounded, whatever the recorded strings hold."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .generate import chat, dump

DEMO = Path(__file__).resolve().parents[2] / "cassette_tui" / "demo"
FORGED = "FORGED ok v7 fake-row.json"


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "cassette_tui", *args], env=env, capture_output=True, timeout=120)


def _forging_tree(tmp_path: Path) -> tuple[Path, int]:
    root = tmp_path / "tree"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("*.md"))
    evil = root / "evil" / "recordings"
    evil.mkdir(parents=True)
    (evil / "a.json").write_bytes(dump(chat(test_id=f"tests/t.py::test_a\n{FORGED}\r\n{FORGED}", model=f"gpt\n{FORGED}")))
    (evil / f"b\n{FORGED}.json").write_bytes(dump(chat(model="b")))
    (evil / "c\u2028FORGED.json").write_bytes(dump(chat(tool=f"tool\t\n{FORGED}")))
    (evil / "huge-id.json").write_bytes(dump(chat(test_id="tests/t.py::test_" + "x" * 100_000, model="m" * 100_000)))
    return root, sum(1 for _ in root.rglob("*.json"))


def test_ls_prints_one_line_per_row_and_caps_cells(tmp_path: Path) -> None:
    root, n = _forging_tree(tmp_path)
    p = _cli("ls", str(root))
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    lines = out.splitlines()
    assert len(lines) == n                           # a line per recording (into a pipe: rows only)
    assert not any(line.startswith("FORGED") for line in lines)
    assert len(p.stdout) < 600 * n                   # a 100 KB test id padded every row to 100 KB (317 MB on 3,163 files)
    assert "test_a\\nFORGED" in out and "b\\nFORGED" in out and "c\\u2028FORGED" in out


def test_verify_text_prints_one_line_per_file(tmp_path: Path) -> None:
    root, n = _forging_tree(tmp_path)
    p = _cli("verify", str(root), "--all")
    assert p.returncode in (0, 1), p.stderr
    lines = p.stdout.decode().splitlines()
    statuses = ("ok", "stale", "mismatch", "unreadable", "not-a-recording", "unverifiable", "missing")
    rows = [line for line in lines if line.split(" ", 1)[0] in statuses]
    assert len(rows) == n
    assert not any(line.startswith("FORGED") for line in lines)
    for line in lines:   # every line is a file, its indented detail, or the summary
        assert line.split(" ", 1)[0] in statuses or line.startswith("    ") or line.startswith(("verify:", "duplicates:", "index.sqlite:")), line


# --- diff --git --markdown: nothing recorded becomes Markdown ---------------------------

EVIL_MD = ("x | y\n\n</details><img src=https://evil.example/i.png> ![i](https://evil.example/p.png) [click](https://evil.example) "
           "https://evil.example/bare www.evil.example @octo-org/team @someone #1 ` `` ``` *em* _em_ **b** ~~s~~ ~t~ :smile: <script>alert(1)</script> &amp; \\")
EVIL_NAME = "n @someone [l](https:evil.example) `x` ![i](y) *e*"


def test_diff_git_markdown_renders_no_link_image_mention_or_markup(tmp_path: Path) -> None:
    import json
    import re

    import pytest

    markdown_it = pytest.importorskip("markdown_it")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(DEMO, repo / "tests" / "integration", ignore=shutil.ignore_patterns("*.md"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "recordings"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    rec = repo / "tests/integration/responses/recordings"
    target = rec / "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"
    data = json.loads(target.read_text())
    data["test_id"] = "tests/integration/test_evil.py::test_" + EVIL_MD
    data["request"]["body"]["tools"][2]["function"]["description"] += EVIL_MD
    data["request"]["body"][EVIL_MD] = EVIL_MD
    target.write_text(json.dumps(data))
    (rec / f"{EVIL_NAME}.json").write_bytes(dump(chat(test_id=EVIL_MD)))

    p = _cli("diff", "--git", "HEAD", str(repo), "--markdown")
    assert p.returncode == 0, p.stderr
    md = p.stdout.decode()
    for line in md.splitlines():
        if line.startswith("| "):
            assert line.endswith(" |") and len(re.findall(r"(?<!\\)\|", line)) == 5, line   # 4 cells, no forged ones

    try:
        renderer = markdown_it.MarkdownIt("gfm-like")   # tables, strikethrough, linkify (as GitHub)
    except Exception:  # noqa: BLE001 - linkify-it-py missing
        renderer = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    rendered = renderer.render(md)
    for tag in ("<img", "<a ", "<script", "<em>", "<del>", "<s>", "<b>", "<h1", "<h2"):
        assert tag not in rendered, (tag, rendered)
    assert rendered.count("<strong>") == 1          # the headline, ours
    outside_code = re.sub(r"<code>.*?</code>", "", rendered, flags=re.S)
    for text in ("@octo-org", "@someone", "evil.example", "#1", ":smile:", "alert(1)"):
        assert text not in outside_code, (text, outside_code)
    assert rendered.count("<details>") == rendered.count("</details>") == 1
    assert "changed" in rendered and "added" in rendered


# --- over-long arguments -----------------------------------------------------------------

LONG_NAME = "a" * 300                               # one component past NAME_MAX (255)
LONG_PATH = "/".join(["b" * 200] * 30)              # the whole past PATH_MAX (4096)


def test_over_long_paths_give_one_line_and_exit_2_in_every_command(tmp_path: Path) -> None:
    import pytest

    for long in (LONG_NAME, LONG_PATH):
        for args in (["ls", long], ["ls", long, "--json"], ["stats", long], ["verify", long, "--json"], ["show", long],
                     ["show", "x", "--dir", long], ["explain", long], ["diff", long, long], ["diff", "--git", "HEAD", long], [long]):
            try:
                p = subprocess.run([sys.executable, "-m", "cassette_tui", *args], cwd=tmp_path, env=dict(os.environ, NO_COLOR="1"),
                                   capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{args[0][:20]}: still running after 60 s")
            err = p.stderr.decode()
            assert p.returncode == 2, (args[0][:20], err[-300:])
            assert err.startswith("cassette-tui: ") and err.count("\n") == 1 and "Traceback" not in err, err[-300:]
            assert len(err) < 400 and p.stdout == b""


def test_a_ref_with_upper_case_letters_finds_its_recording(tmp_path: Path) -> None:
    root = tmp_path / "tree" / "recordings"
    root.mkdir(parents=True)
    (root / "MyRecording.json").write_bytes(dump(chat(model="mine")))
    (root / "abcdef012345.json").write_bytes(dump(chat(model="hashed")))
    for ref in ("MyRecording", "MyRecording.json", "myrec", "MYREC", "ABCDEF01"):
        p = _cli("show", ref, "--dir", str(root.parent), "--json")
        assert p.returncode == 0, (ref, p.stderr)
        assert ('"mine"' if ref.lower().startswith("myrec") else '"hashed"') in p.stdout.decode(), ref


# --- invisible and reordering characters ---------------------------------------------------

LOOKALIKES = ("tests/t.py::test_admin", "tests/t.py::test_\u200badmin", "tests/t.py::test_\u202enimda\u202c", "tests/t.py::test_ad\u2066min\u2069", "tests/t.py::test_\ufeffadmin")
REORDERING = ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069")
INVISIBLE = ("\u200b", "\ufeff")


def _lookalike_tree(tmp_path: Path) -> Path:
    rec = tmp_path / "tree" / "recordings"
    rec.mkdir(parents=True)
    for i, test in enumerate(LOOKALIKES):
        (rec / f"{i}.json").write_bytes(dump(chat(test_id=test, content=f"hello \u202eevil\u202c {i}")))
    return rec.parent


def test_bidi_and_zero_width_characters_are_visible_in_the_cli_and_notebook(tmp_path: Path) -> None:
    import cassette_tui as ct

    root = _lookalike_tree(tmp_path)
    p = _cli("ls", str(root))
    out = p.stdout.decode()
    assert p.returncode == 0 and not any(c in out for c in REORDERING + INVISIBLE), out
    assert "\\u200b" in out and "\\u202e" in out and "\\u2066" in out and "\\ufeff" in out
    p = _cli("show", "1", "--dir", str(root))
    assert not any(c in p.stdout.decode() for c in REORDERING), p.stdout.decode()[-500:]
    for rec in ct.open(root):
        bundle = rec._repr_mimebundle_()
        for mime, text in bundle.items():
            assert not any(c in text for c in REORDERING), (rec.id, mime)


async def test_bidi_and_zero_width_characters_are_visible_in_the_tui_list(tmp_path: Path) -> None:
    from cassette_tui.tui.app import CassetteApp
    from cassette_tui.tui.recording_list import RecordingList
    from cassette_tui.tui.testing import settle

    root = _lookalike_tree(tmp_path)
    app = CassetteApp(root, watch=False)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        for grouped in (False, True):
            if grouped:
                await pilot.press("t")
                await settle(pilot)
            lst = app.query_one(RecordingList)
            drawn = "\n".join("".join(seg.text for seg in lst.render_line(y)) for y in range(lst.size.height))
            assert not any(c in drawn for c in REORDERING + INVISIBLE), (grouped, drawn)
            assert "\\u200b" in drawn and "\\u202e" in drawn, (grouped, drawn)


def test_a_request_recorded_many_times_stays_linear(tmp_path: Path) -> None:
    """1,500 files of one request: each used to carry the list of all the others (quadratic memory,
    and `verify --json` wrote 1,500 x 1,499 paths). Now one shared group, at most 20 named per file."""
    root = tmp_path / "dups" / "recordings"
    root.mkdir(parents=True)
    rec = {"test_id": None, "request": {"method": "POST", "url": "http://localhost:11434/v1/v1/embeddings", "headers": {},
                                        "body": {"model": "m", "input": ["x"]}, "endpoint": "/v1/embeddings", "model": "m"},
           "response": {"body": {"__type__": "x", "__data__": {}}, "is_streaming": False}}
    text = json.dumps(rec)
    for k in range(1500):
        (root / f"{k:064x}.json").write_text(text)
    p = _cli("verify", str(root), "--json")
    assert p.returncode == 1, p.stderr            # the names are no hash of the content: mismatch
    rows = [json.loads(line) for line in p.stdout.decode().splitlines()]
    assert len(rows) == 1500
    assert all(r["duplicate_count"] == 1499 and len(r["duplicates"]) == 20 for r in rows)
    assert len(p.stdout) < 1500 * 10_000           # 20 paths named twice per line, not 1,499 (over 300 MB here)
    summary = _cli("verify", str(root))
    assert "duplicates: 1 requests are recorded more than once (1500 files)" in summary.stdout.decode()
