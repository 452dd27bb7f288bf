"""The debugging commands, run for real: verify, explain, diff (two files and --git), and stats' verify summary."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cassette_tui
from cassette_tui.hashing import request_hash

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
AADC = "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"
AADC_REL = f"responses/recordings/{AADC}.json"
TURN2 = "4078aa36a9cbcb50c445a46d69fb9126952d1c85f3d413125b034730e51b6508"
VERIFY_KEYS = ["path", "status", "algorithm", "expected", "detail", "versions", "test_id", "safe_to_delete", "sibling", "duplicates", "duplicate_count", "test_state", "test_note"]
ESC = "\x1b"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    d = tmp_path / "repo" / "tests" / "integration"
    shutil.copytree(DEMO, d)
    return d


def run(env: dict[str, str], *args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cassette_tui", *args], env=env, cwd=cwd, input=stdin, capture_output=True, text=True, encoding="utf-8", timeout=120)


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def one_line_error(p: subprocess.CompletedProcess[str], text: str) -> None:
    assert p.returncode == 2, p
    assert p.stdout == "" and "Traceback" not in p.stderr
    assert p.stderr == f"cassette-tui: {text}\n"


def fresh_recording(demo: Path, out: Path) -> Path:
    data = json.loads((demo / AADC_REL).read_text())
    new = copy.deepcopy(data)
    new["request"]["body"]["tools"][2]["function"]["description"] += " Returns yes or no."
    out.mkdir(parents=True, exist_ok=True)
    p = out / f"{request_hash(new, 'v7')}.json"
    p.write_text(json.dumps(new, indent=2))
    return p


# --- verify -----------------------------------------------------------------------------


def test_verify_demo_human_and_exit_status(env: dict[str, str], demo: Path) -> None:
    p = run(env, "verify", str(demo))
    assert p.returncode == 1 and p.stderr == ""
    lines = p.stdout.splitlines()
    assert lines[-1] == "verify: 17 files: 14 ok, 2 stale (v1: 2; 0 safe to delete), 1 mismatch"
    assert lines[0].split() == ["stale", "v1", str(demo / "recordings/responses/04172112ffbb.json")]
    assert lines[1].strip().startswith("12-hex name of the 2025-07..10 layout (v1 hash); today's recorder would name it ")
    assert [line.split()[0] for line in lines if not line.startswith(" ")][:-1] == ["stale", "stale", "mismatch"]
    assert ESC not in p.stdout
    every = run(env, "verify", str(demo), "--all")
    assert sum(1 for line in every.stdout.splitlines() if line.startswith("ok ")) == 14


def test_verify_json(env: dict[str, str], demo: Path) -> None:
    p = run(env, "verify", str(demo), "--json")
    assert p.returncode == 1 and p.stderr == ""
    rows = json_lines(p.stdout)
    assert len(rows) == 17 and all(list(r) == VERIFY_KEYS for r in rows)
    aadc = next(r for r in rows if r["path"] == str(demo / AADC_REL))
    assert (aadc["status"], aadc["algorithm"], aadc["expected"], aadc["detail"], aadc["safe_to_delete"]) == ("ok", "v7", AADC, "", False)
    assert aadc["versions"] == ["v2", "v3", "v4", "v5", "v6", "v7"]
    mismatch = next(r for r in rows if r["status"] == "mismatch")
    assert mismatch["path"].endswith("tool_runtime/recordings/8fe0bae4f48fd0cb44bed2f2994798c0ba3c2772c73c398802b919bbf60d2848.json")
    assert (mismatch["algorithm"], mismatch["versions"], mismatch["test_id"]) == (None, [], None)
    assert len(mismatch["expected"]) == 64
    assert sorted(r["status"] for r in rows).count("ok") == 14


def test_verify_clean_tree_exits_zero_and_stale_is_safe_to_delete(env: dict[str, str], tmp_path: Path) -> None:
    d = tmp_path / "clean" / "responses" / "recordings"
    d.mkdir(parents=True)
    shutil.copy(DEMO / AADC_REL, d)
    ok = run(env, "verify", str(tmp_path / "clean"))
    assert (ok.returncode, ok.stdout) == (0, "verify: 1 file: 1 ok\n")
    # the same request saved under an older name beside it: stale, with a live sibling
    data = json.loads((d / f"{AADC}.json").read_text())
    data["request"]["body"]["temperature"] = 0.123456789
    (d / f"{request_hash(data, 'v2')}.json").write_text(json.dumps(data))
    p = run(env, "verify", str(tmp_path / "clean"), "--json")
    assert p.returncode == 1
    (stale,) = [r for r in json_lines(p.stdout) if r["status"] == "stale"]
    assert (stale["algorithm"], stale["safe_to_delete"], stale["sibling"]) == ("v2", True, str(tmp_path / "clean" / AADC_REL))


def test_verify_errors_and_nothing_written(env: dict[str, str], demo: Path, tmp_path: Path) -> None:
    one_line_error(run(env, "verify", str(tmp_path / "nope")), f"no such directory: {tmp_path / 'nope'}")
    before = {p: p.read_bytes() for p in sorted(demo.rglob("*")) if p.is_file()}
    run(env, "verify", str(demo), "--json")
    run(env, "explain", AADC[:12], "--dir", str(demo))
    run(env, "diff", AADC[:8], TURN2[:8], "--dir", str(demo))
    assert {p: p.read_bytes() for p in sorted(demo.rglob("*")) if p.is_file()} == before


def test_verify_prints_recorded_text_inert(env: dict[str, str], tmp_path: Path) -> None:
    d = tmp_path / "evil" / "recordings"
    d.mkdir(parents=True)
    data = json.loads((DEMO / AADC_REL).read_text())
    data["test_id"] = "tests/x.py::t[\x1b[2J\x1b]52;c;aGk=\x07 [bold]x[/]]"
    (d / ("e" * 64 + ".json")).write_text(json.dumps(data))
    p = run(env, "verify", str(tmp_path / "evil"))
    assert p.returncode == 1 and ESC not in p.stdout
    p = run(env, "explain", str(d / ("e" * 64 + ".json")), "--dir", str(tmp_path / "evil"))
    assert p.returncode == 0 and ESC not in p.stdout and "[bold]x[/]" in p.stdout


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no shared corpus")
def test_verify_corpus_era(env: dict[str, str]) -> None:
    p = run(env, "verify", str(CORPUS / "2025-10"), "--json")
    assert p.returncode == 1
    rows = json_lines(p.stdout)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    assert counts == {"ok": 371, "stale": 44, "mismatch": 20}
    assert sum(r["safe_to_delete"] for r in rows) == 36
    assert run(env, "verify", str(CORPUS / "2026-05")).stdout == "verify: 251 files: 251 ok\n"


# --- explain ----------------------------------------------------------------------------


def test_explain_a_rerecorded_file(env: dict[str, str], demo: Path, tmp_path: Path) -> None:
    fresh = fresh_recording(demo, tmp_path / "fresh")
    p = run(env, "explain", str(fresh), "--dir", str(demo))
    assert p.returncode == 0 and p.stderr == ""
    out = p.stdout.splitlines()
    assert out[0] == "Miss"
    assert "  verdict: a tool changed: body.tools[2].function.description" in out
    assert out[out.index("  nearest recordings:") + 1].split()[:2] == ["1.", str(demo / AADC_REL)]
    i = out.index("    body.tools[2].function.description")
    assert out[i + 1].startswith("      recorded: ") and out[i + 2].startswith("      live:     ")
    assert out[i + 2].endswith('Returns yes or no."')
    j = json_lines(run(env, "explain", str(fresh), "--dir", str(demo), "--json").stdout)
    assert len(j) == 1
    assert list(j[0]) == ["miss", "looked", "found", "same_request", "candidates", "nearest", "compared_as", "changes", "noise", "causes",
                          "verdict", "advice", "replaced"]
    assert j[0]["nearest"] == AADC_REL and j[0]["changes"][0]["path"] == "body.tools[2].function.description"
    assert j[0]["causes"] == [{"code": "tool", "text": "a tool changed: body.tools[2].function.description", "path": "body.tools[].function.description",
                               "advice": "a tool definition changed in the code: re-record the test"}]
    assert j[0]["replaced"] == AADC_REL    # the same place in the same test: unused once re-recorded
    assert [lk["folder"] for lk in j[0]["looked"]] == ["responses/recordings", "common/recordings"]


def test_explain_a_log_file_and_stdin(env: dict[str, str], demo: Path, tmp_path: Path) -> None:
    h = "5c1e8b0a6f2d4e5f0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b"
    log = (
        f"E       RuntimeError: Recording not found for request hash: {h[:30]}\n"
        f"E       {h[30:]}\n"
        "E       Model: gpt-4o | Request: POST https://api.openai.com/v1/v1/chat/completions\n"
        "E\n"
        "FAILED tests/integration/responses/test_tool_responses.py::test_new[txt=openai/gpt-4o] - RuntimeError: Recording not found for request hash: 5c1e8b0a...\n"
        "RuntimeError: Recording not found for tavily.web_search | Request: {'query': 'q'}\n"
    )
    f = tmp_path / "ci.log"
    f.write_text(log)
    p = run(env, "explain", str(f), "--dir", str(demo), "--json")
    assert p.returncode == 0, p.stderr
    rows = json_lines(p.stdout)
    assert [(r["miss"]["variant"], r["miss"]["hash"], r["miss"]["count"], r["miss"]["test_id"]) for r in rows] == [
        ("request-hash", h, 2, "tests/integration/responses/test_tool_responses.py::test_new[txt=openai/gpt-4o]"),
        ("tool", None, 1, None),
    ]
    assert rows[0]["looked"][0] == {"role": "test folder", "folder": "responses/recordings", "file": f"{h}.json", "exists": True, "found": False}
    assert rows[0]["causes"][0]["code"] == "unknown-live"
    human = run(env, "explain", "-", "--dir", str(demo), stdin=log)
    assert human.returncode == 0
    assert human.stdout.startswith("2 misses, 2 findings\n")     # grouped; each in full with --verbose
    assert "Miss 1 of 2" not in human.stdout
    verbose = run(env, "explain", "-", "--dir", str(demo), "--verbose", stdin=log)
    assert verbose.stdout.startswith("2 misses, 2 findings\n")
    assert "\nMiss 1 of 2  (line 1, seen 2 times)\n" in verbose.stdout
    assert "\nMiss 2 of 2  (line 6)\n" in verbose.stdout


def test_explain_a_bare_hash(env: dict[str, str], demo: Path) -> None:
    p = run(env, "explain", AADC, "--dir", str(demo), "--json")
    (row,) = json_lines(p.stdout)
    # a file named by that hash is right where replay looks: the failing run must predate it
    assert row["found"] == [AADC_REL] and row["causes"][0]["code"] == "found"


def test_explain_errors(env: dict[str, str], demo: Path, tmp_path: Path) -> None:
    f = tmp_path / "quiet.log"
    f.write_text("12 passed in 3.2s\n")
    one_line_error(run(env, "explain", str(f), "--dir", str(demo)), f"no replay-miss message found in {f}")
    one_line_error(run(env, "explain", "-", "--dir", str(demo), stdin="nothing here\n"), "no replay-miss message found in standard input")
    one_line_error(run(env, "explain", "not-a-file.log", "--dir", str(demo)), "no such file, and not a hash: not-a-file.log")
    one_line_error(run(env, "explain", AADC, "--dir", str(tmp_path / "nope")), f"no such directory: {tmp_path / 'nope'}")


# --- diff -------------------------------------------------------------------------------


def test_diff_two_recordings(env: dict[str, str], demo: Path, tmp_path: Path) -> None:
    fresh = fresh_recording(demo, tmp_path / "fresh")
    p = run(env, "diff", str(demo / AADC_REL), str(fresh))
    assert p.returncode == 1 and p.stderr == ""   # different, as diff(1) says it
    assert p.stdout.splitlines()[2:5] == ["request: 1 difference", "  body.tools[2].function.description  changed", '    - "… file (yes/no)\\n        "']
    assert "response (reassembled): same" in p.stdout
    pj = run(env, "diff", str(demo / AADC_REL), str(fresh), "--json")
    j = json.loads(pj.stdout)
    assert pj.returncode == 1
    assert [c["path"] for c in j["request"]] == ["body.tools[2].function.description"] and j["response"] == []
    by_id = json.loads(run(env, "diff", AADC[:8], TURN2[:8], "--dir", str(demo), "--json").stdout)
    assert [c["path"] for c in by_id["request"]] == ["body.messages[3]", "body.messages[4]"]
    assert [c["path"] for c in by_id["response"]] == ["choices[0].tool_calls[0].name", "choices[0].tool_calls[0].arguments", "usage.completion_tokens", "usage.prompt_tokens", "usage.total_tokens"]


def test_diff_noise_and_all(env: dict[str, str], demo: Path, tmp_path: Path) -> None:
    data = json.loads((demo / AADC_REL).read_text())
    data["response"]["body"][0]["__data__"]["id"] = "rec-other"
    data["request"]["body"]["messages"][2]["tool_call_id"] = "call_other"
    other = tmp_path / f"{AADC}.json"
    other.write_text(json.dumps(data))
    quiet = run(env, "diff", str(demo / AADC_REL), str(other))
    assert quiet.stdout.splitlines()[-1] == "same request and reassembled response (ids, timestamps and fingerprints ignored; --all to compare them)"
    assert quiet.returncode == 0
    assert run(env, "diff", str(demo / AADC_REL), str(other), "--json").returncode == 0
    loud_run = run(env, "diff", str(demo / AADC_REL), str(other), "--all", "--json")
    loud = json.loads(loud_run.stdout)
    assert [c["path"] for c in loud["request"]] == ["body.messages[2].tool_call_id"]
    assert loud_run.returncode == 1   # with --all, the ids count


def test_diff_errors(env: dict[str, str], demo: Path) -> None:
    one_line_error(run(env, "diff", AADC[:8], "--dir", str(demo)), "diff needs two recordings (paths or ids), or --git REV [DIR]")
    one_line_error(run(env, "diff", AADC[:8], "ffff0000", "--dir", str(demo)), f"no recording matches 'ffff0000' in {demo.resolve()}")
    one_line_error(run(env, "diff", "--git", "HEAD", "a", "b"), "diff --git REV takes at most one DIR")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_git(env: dict[str, str], demo: Path) -> None:
    repo = demo.parent.parent
    genv = dict(env, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e")
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "one"]):
        subprocess.run(["git", *args], cwd=repo, env=genv, check=True, capture_output=True)
    (demo / AADC_REL).unlink()
    fresh = fresh_recording(DEMO, demo / "responses" / "recordings")   # the removed file's request, changed
    p = run(env, "diff", "--git", "HEAD", "tests", cwd=repo)
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert out[0] == "1 recording changed in tests since HEAD: 1 re-recorded"
    assert out[2] == f"re-recorded tests/integration/{AADC_REL} -> tests/integration/responses/recordings/{fresh.name}"
    assert "  request: body.tools[2].function.description; same response" in out
    rows = json_lines(run(env, "diff", "--git", "HEAD", str(repo / "tests"), "--json").stdout)
    assert [(r["status"], r["old_path"], r["path"]) for r in rows] == [("re-recorded", f"tests/integration/{AADC_REL}", f"tests/integration/responses/recordings/{fresh.name}")]
    md = run(env, "diff", "--git", "HEAD", "--markdown", cwd=repo).stdout
    assert md.startswith("**1 recording changed in . since HEAD: 1 re-recorded**\n")
    assert "| re-recorded | `aadc06753bab… → " in md
    one_line_error(run(env, "diff", "--git", "nope", cwd=repo), "unknown revision: nope")
    one_line_error(run(env, "diff", "--git", "HEAD", str(repo / "missing")), f"no such directory: {repo / 'missing'}")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True).stdout
    assert status.splitlines() == [f" D tests/integration/{AADC_REL}", f"?? tests/integration/responses/recordings/{fresh.name}"]


# --- stats and ls with the verify status --------------------------------------------------


def test_stats_has_the_verify_summary(env: dict[str, str], demo: Path) -> None:
    s = json.loads(run(env, "stats", str(demo), "--json").stdout)
    v = s["verify"]
    assert (v["files"], v["ok"], v["stale"], v["mismatch"], v["stale_by_version"], v["failing"]) == (17, 14, 2, 1, {"v1": 2}, True)
    only = json.loads(run(env, "stats", str(demo), "is:stale", "--json").stdout)
    assert only["recordings"] == 2 and only["verify"]["stale"] == 2 and only["verify"]["ok"] == 0
    human = run(env, "stats", str(demo))
    assert human.returncode == 0
    assert "verify: 17 files: 14 ok, 2 stale (v1: 2; 0 safe to delete), 1 mismatch" in human.stdout.splitlines()


def test_ls_by_verify_status(env: dict[str, str], demo: Path) -> None:
    rows = json_lines(run(env, "ls", str(demo), "is:stale", "--json").stdout)
    assert sorted(r["id"] for r in rows) == ["04172112ffbb", "84cab42e1f5c"]
    rows = json_lines(run(env, "ls", str(demo), "-is:ok", "--json").stdout)
    assert len(rows) == 3
