"""The real command line, run in subprocesses: output shapes, errors, terminal safety, pipes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cassette_tui

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
AADC = "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"
AADC_REL = f"responses/recordings/{AADC}.json"
AADC_TEST = "tests/integration/responses/test_tool_responses.py::test_response_streaming_multi_turn_tool_execution[client_with_models-txt=openai/gpt-4o-user_permissions_workflow]"
GPT4O_IDS = {
    "25b4b134c4763373b0826bf166f76eb24417b8891db1e58085d6723547fd3a4a",
    "4078aa36a9cbcb50c445a46d69fb9126952d1c85f3d413125b034730e51b6508",
    "8ce3e23e7ca45e8adfd23c2910731f376e62379f85d67eacfecc6c4a95fccb82",
    "a9c49a7e865b73fe4eb500efeb2e745f3f7dc15499a8bcb8bddab59b9c4fe18e",
    AADC,
}
LS_KEYS = ["id", "path", "test_id", "kind", "endpoint", "model", "provider", "host", "streaming", "chunks", "finish_reason", "finish", "tool_calls", "tools", "messages", "size", "problem"]
SHOW_KEYS = {"id", "path", "test_id", "kind", "endpoint", "model", "provider", "host", "streaming", "chunks", "result", "error", "anomalies", "timeline"}
ESC = "\x1b"
EVIL = "before\x1b[2J\x1b]52;c;aGVsbG8=\x07 [bold red]x[/] after"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A private copy of the bundled demo set (the package's own copy is never touched)."""
    d = tmp_path / "demo"
    shutil.copytree(DEMO, d)
    return d


def run(env: dict[str, str], *args: str, cwd: Path | None = None, exe: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = (exe or [sys.executable, "-m", "cassette_tui"]) + list(args)
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, encoding="utf-8", timeout=120)


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def assert_one_line_error(p: subprocess.CompletedProcess[str], start: str, max_lines: int = 1) -> None:
    assert p.returncode == 2, p
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert 1 <= len(lines) <= max_lines, p.stderr
    assert lines[0].startswith(start), p.stderr


# --- ls ---------------------------------------------------------------------------------


def test_ls_table(env: dict[str, str], demo: Path) -> None:
    n = len(list(demo.rglob("*.json")))
    p = run(env, "ls", str(demo))
    assert p.returncode == 0 and p.stderr == ""
    lines = p.stdout.splitlines()
    # into a pipe: rows only (no header, no count), so `| wc -l`, `| sort`, `| head` see recordings
    assert len(lines) == n
    assert not any(line.split()[0] == "id" or "recordings in" in line for line in lines)
    row = next(line for line in lines if line.startswith("aadc06753bab "))
    assert row.split() == ["aadc06753bab", AADC_TEST.removeprefix("tests/integration/"), "chat", "/v1/chat/completions", "gpt-4o", "openai", "12", "tool_calls", "get_user_permissions", "17.7K"]
    assert ESC not in p.stdout


def test_ls_json_keys_values_and_filter(env: dict[str, str], demo: Path) -> None:
    p = run(env, "ls", str(demo), "model:gpt-4o", "--json")
    assert p.returncode == 0 and p.stderr == ""
    rows = json_lines(p.stdout)
    assert all(list(r) == LS_KEYS for r in rows)
    assert {r["id"] for r in rows} == GPT4O_IDS
    assert all((r["model"], r["kind"], r["provider"], r["streaming"], r["problem"]) == ("gpt-4o", "chat", "openai", True, None) for r in rows)
    aadc = next(r for r in rows if r["id"] == AADC)
    assert aadc == {
        "id": AADC,
        "path": str(demo / AADC_REL),
        "test_id": AADC_TEST,
        "kind": "chat",
        "endpoint": "/v1/chat/completions",
        "model": "gpt-4o",
        "provider": "openai",
        "host": "api.openai.com",
        "streaming": True,
        "chunks": 12,
        "finish_reason": "tool_calls",
        "finish": "tool_calls",
        "tool_calls": ["get_user_permissions"],
        "tools": 5,
        "messages": 3,
        "size": (demo / AADC_REL).stat().st_size,
        "problem": None,
    }


def test_ls_json_query_filters(env: dict[str, str], demo: Path) -> None:
    every = json_lines(run(env, "ls", str(demo), "--json").stdout)
    n = len(list(demo.rglob("*.json")))
    assert len(every) == n
    assert [r["path"] for r in every] == sorted(r["path"] for r in every)

    not_streamed = json_lines(run(env, "ls", str(demo), "stream:no", "--json").stdout)
    assert not_streamed and all(r["streaming"] is False for r in not_streamed)
    assert len(not_streamed) == sum(1 for r in every if not r["streaming"])

    called = json_lines(run(env, "ls", str(demo), "called:get_user_id", "--json").stdout)
    assert sorted(r["id"][:12] for r in called) == ["25b4b134c476", "8ce3e23e7ca4"]

    # options and query terms in any order; negated terms are query terms, not options
    before = run(env, "ls", str(demo), "--json", "model:gpt-4o", "--limit", "2", "-finish:stop")
    assert before.returncode == 0, before.stderr
    assert [r["id"] for r in json_lines(before.stdout)] == sorted(GPT4O_IDS - {"a9c49a7e865b73fe4eb500efeb2e745f3f7dc15499a8bcb8bddab59b9c4fe18e"})[:2]
    no_ollama = json_lines(run(env, "ls", str(demo), "-provider:ollama", "--json").stdout)
    assert len(no_ollama) == n - sum(1 for r in every if r["provider"] == "ollama") and all(r["provider"] != "ollama" for r in no_ollama)
    assert json_lines(run(env, "ls", str(demo), "--json", "--", "-provider:ollama").stdout) == no_ollama
    either = json_lines(run(env, "ls", str(demo), "kind:tool", "OR", "kind:rerank", "--json").stdout)
    assert sorted(r["kind"] for r in either) == ["rerank", "tool"]


def test_ls_limit_sort_reverse(env: dict[str, str], demo: Path) -> None:
    rows = json_lines(run(env, "ls", str(demo), "stream:yes", "--json", "--sort", "chunks", "--reverse", "--limit", "2").stdout)
    assert [(r["id"][:12], r["chunks"]) for r in rows] == [("84cab42e1f5c", 51), ("4078aa36a9cb", 18)]   # the Gemini SSE recording has 11 events (33 lines): no longer second
    rows = json_lines(run(env, "ls", str(demo), "--json", "--sort", "size", "--limit", "1").stdout)
    assert [r["size"] for r in rows] == [min(p.stat().st_size for p in demo.rglob("*.json"))]


# --- show -------------------------------------------------------------------------------


AADC_RESULT = {
    "choices": [{
        "index": 0,
        "role": "assistant",
        "content": "",
        "reasoning": "",
        "tool_calls": [{"id": "call_h85dbcBdBPF5ti1xrNcnnaEv", "name": "get_user_permissions", "arguments": '{"user_id":"user_11111"}'}],
        "finish_reason": "tool_calls",
    }],
    "usage": {
        "completion_tokens": 19,
        "prompt_tokens": 478,
        "total_tokens": 497,
        "completion_tokens_details": {"accepted_prediction_tokens": 0, "audio_tokens": 0, "reasoning_tokens": 0, "rejected_prediction_tokens": 0},
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
    },
}


def _aadc_dirs() -> list:
    dirs = [pytest.param(DEMO, id="demo")]
    corpus_dir = CORPUS / "2025-10" / "tests" / "integration"
    dirs.append(pytest.param(corpus_dir, id="corpus", marks=pytest.mark.skipif(not corpus_dir.is_dir(), reason="the shared corpus is absent")))
    return dirs


@pytest.mark.parametrize("directory", _aadc_dirs())
def test_show_json_exact(env: dict[str, str], directory: Path) -> None:
    p = run(env, "show", "aadc06753bab", "--dir", str(directory), "--json")
    assert p.returncode == 0 and p.stderr == ""
    d = json.loads(p.stdout)
    assert SHOW_KEYS <= set(d) and set(d) - SHOW_KEYS <= {"problem"}
    path = next(directory.resolve().rglob(f"{AADC}.json"))
    assert (d["id"], d["path"], d["test_id"], d["kind"], d["endpoint"], d["model"], d["provider"], d["streaming"], d["chunks"]) == (
        AADC, str(path), AADC_TEST, "chat", "/v1/chat/completions", "gpt-4o", "openai", True, 12)
    assert d["result"] == AADC_RESULT
    assert d["error"] is None
    assert d["anomalies"] == []
    assert [(t["role"], t["kind"], t["name"], t["call_id"], t["text"], t["new"]) for t in d["timeline"]] == [
        ("user", "text", "", "", d["timeline"][0]["text"], False),
        ("assistant", "tool_call", "get_user_id", "call_mEjLRxcZhRdCdW0Ibeu6Pkju", '{"username":"charlie"}', False),
        ("tool", "tool_result", "get_user_id", "call_mEjLRxcZhRdCdW0Ibeu6Pkju", "user_11111", False),
        ("assistant", "tool_call", "get_user_permissions", "call_h85dbcBdBPF5ti1xrNcnnaEv", '{"user_id":"user_11111"}', True),
    ]
    assert d["timeline"][0]["text"].startswith("Help me with this security check: First, get the user ID for 'charlie'")


def test_show_human_has_the_reassembled_tool_call(env: dict[str, str], demo: Path) -> None:
    p = run(env, "show", "aadc0675", "--dir", str(demo))
    assert p.returncode == 0 and p.stderr == ""
    out = p.stdout
    response = out[out.index("Response  openai-chat, 12 chunks"):]
    assert "assistant  finish tool_calls" in response
    assert "calls get_user_permissions  call_h85dbcBdBPF5ti1xrNcnnaEv" in response
    assert '"user_id": "user_11111"' in response
    assert "usage completion 19, prompt 478, total 497" in response
    assert ESC not in out


def test_show_stream_lists_chunks(env: dict[str, str], demo: Path) -> None:
    p = run(env, "show", "aadc0675", "--dir", str(demo), "--stream")
    assert p.returncode == 0 and p.stderr == ""
    chunks = [" ".join(line.split()) for line in p.stdout[p.stdout.rindex("Chunks"):].splitlines()]
    assert chunks[:3] == ["Chunks", "0 role assistant", "0 tool_call get_user_permissions call_h85dbcBdBPF5ti1xrNcnnaEv"]
    assert chunks[-2:] == ["10 finish tool_calls", "11 usage in 478 out 19 total 497"]
    assert len(chunks) == 14


def test_show_by_path(env: dict[str, str], demo: Path, tmp_path: Path) -> None:
    absolute = run(env, "show", str(demo / AADC_REL), "--json")
    assert absolute.returncode == 0
    d = json.loads(absolute.stdout)
    assert (d["id"], d["result"]) == (AADC, AADC_RESULT)
    relative = run(env, "show", f"demo/{AADC_REL}", "--json", cwd=tmp_path)
    assert json.loads(relative.stdout)["result"] == AADC_RESULT
    within = run(env, "show", AADC_REL, "--dir", str(demo), "--json", cwd=tmp_path)
    assert json.loads(within.stdout)["id"] == AADC
    by_name = run(env, "show", f"{AADC}.json", "--dir", str(demo), "--json", cwd=tmp_path)
    assert json.loads(by_name.stdout)["id"] == AADC


# --- stats ------------------------------------------------------------------------------


def test_stats_json(env: dict[str, str], tmp_path: Path) -> None:
    d = tmp_path / "three"
    picks = [AADC_REL, "recordings/responses/84cab42e1f5c.json", "batches/recordings/1d782697e7261920e2c21babd28d5126609fdc27c61a1d793792e713a48f6368.json"]
    for rel in picks:
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / rel, d / rel)
    sizes = sorted((d / rel).stat().st_size for rel in picks)

    p = run(env, "stats", str(d), "--json")

    assert p.returncode == 0 and p.stderr == ""
    s = json.loads(p.stdout)
    assert s["recordings"] == 3 and s["problems"] == 0
    assert s["kinds"] == {"chat": 1, "completion": 1, "embeddings": 1}
    assert s["providers"] == {"openai": 1, "ollama": 2}
    assert s["eras"] == {"per-area": 2, "flat": 1}
    assert s["size"] == {"total": sum(sizes), "largest": sizes[-1], "median": sizes[1]}
    assert s["streams"] == {"count": 2, "chunks": 63, "max_chunks": 51}
    assert s["anomalies"] == {"finish_length": 1}
    assert (s["with_tool_calls"], s["with_errors"]) == (1, 0)
    filtered = json.loads(run(env, "stats", str(d), "stream:yes", "--json").stdout)
    assert filtered["recordings"] == 2 and filtered["kinds"] == {"chat": 1, "completion": 1}
    human = run(env, "stats", str(d))
    assert human.returncode == 0
    assert " ".join(human.stdout.split()).startswith(f"3 recordings in {d.resolve()} (0 with problems, 1 with tool calls, 0 with errors)")


# --- errors -----------------------------------------------------------------------------


def test_missing_dir(env: dict[str, str], tmp_path: Path) -> None:
    for cmd in (["ls"], ["stats"]):
        p = run(env, *cmd, str(tmp_path / "nope"))
        assert_one_line_error(p, "cassette-tui: no such directory: ")
        assert p.stderr == f"cassette-tui: no such directory: {tmp_path / 'nope'}\n"
    a_file = tmp_path / "f.json"
    a_file.write_text("{}")
    assert_one_line_error(run(env, "ls", str(a_file)), "cassette-tui: not a directory: ")
    assert_one_line_error(run(env, "show", "aadc", "--dir", str(tmp_path / "nope")), "cassette-tui: no such directory: ")


def test_unknown_ref(env: dict[str, str], demo: Path) -> None:
    p = run(env, "show", "ffff0000", "--dir", str(demo))
    assert_one_line_error(p, "cassette-tui: no recording matches 'ffff0000'")
    assert p.stderr == f"cassette-tui: no recording matches 'ffff0000' in {demo.resolve()}\n"


def test_ambiguous_ref(env: dict[str, str], demo: Path) -> None:
    p = run(env, "show", "4", "--dir", str(demo), "--json")
    assert_one_line_error(p, "cassette-tui: '4' is ambiguous: 3 recordings match (")
    for prefix in ("4078aa36a9cb", "42c357284497", "4bbda89cb69f"):
        assert f"responses/recordings/{prefix}" in p.stderr


@pytest.mark.parametrize(("query", "first_line"), [
    ("modle:gpt-4o", "cassette-tui: bad query: unknown field 'modle' at column 1 (did you mean 'model'?)"),
    ("model:(", "cassette-tui: bad query: missing value after 'model:' at column 7"),
])
def test_malformed_query(env: dict[str, str], demo: Path, query: str, first_line: str) -> None:
    for cmd in ("ls", "stats"):
        p = run(env, cmd, str(demo), query)
        assert_one_line_error(p, first_line, max_lines=3)
        lines = p.stderr.splitlines()
        assert lines[1] == f"  {query}"
        assert lines[2].strip() == "^"


def test_missing_sqlite_file_is_an_error_for_show(env: dict[str, str], tmp_path: Path) -> None:
    import sqlite3

    rec = tmp_path / "old/recordings"
    (rec / "responses").mkdir(parents=True)
    con = sqlite3.connect(rec / "index.sqlite")
    con.execute("CREATE TABLE recordings (request_hash TEXT PRIMARY KEY, response_file TEXT, endpoint TEXT, model TEXT, timestamp TEXT, is_streaming BOOLEAN)")
    con.execute("INSERT INTO recordings VALUES ('bbbbbbbbbbbb0000', 'bbbbbbbbbbbb.json', '/api/generate', 'llama3.2:1b', 't', 1)")
    con.commit()
    con.close()
    rows = json_lines(run(env, "ls", str(tmp_path), "has:problem", "--json").stdout)
    assert [(r["id"], r["kind"], r["problem"]) for r in rows] == [
        ("bbbbbbbbbbbb", "invalid", "listed in index.sqlite (old/recordings/index.sqlite) but the file is missing")]
    assert_one_line_error(run(env, "show", "bbbb", "--dir", str(tmp_path)), "cassette-tui: bbbb: listed in index.sqlite")


# --- terminal safety --------------------------------------------------------------------


def evil_tree(root: Path) -> Path:
    stream = [
        {"__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk", "__data__": {
            "id": "rec-eeeeeeeeeeee", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": EVIL}, "finish_reason": None}]}},
        {"__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk", "__data__": {
            "id": "rec-eeeeeeeeeeee", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o",
            "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_\x1b[31m", "type": "function",
                                                                "function": {"name": "do\x1b[2Jit", "arguments": '{"a": "' + EVIL.replace("\x07", "\\u0007").replace("\x1b", "\\u001b") + '"}'}}]},
                         "finish_reason": "tool_calls"}]}},
    ]
    rec = {
        "test_id": "tests/integration/x/test_e.py::test_e[txt=openai/gpt-4o-\x1b[2J[bold]b[/bold]]",
        "request": {"method": "POST", "url": "https://api.openai.com/v1/v1/chat/completions", "headers": {}, "endpoint": "/v1/chat/completions",
                    "model": "gpt-4o\x1b]52;c;Zm9v\x07",
                    "body": {"model": "gpt-4o", "stream": True, "messages": [{"role": "system", "content": "[red]sys[/red]"}, {"role": "user", "content": EVIL}],
                             "tools": [{"type": "function", "function": {"name": "do\x1b[2Jit", "description": EVIL, "parameters": {"type": "object", "properties": {}}}}]}},
        "response": {"body": stream, "is_streaming": True},
    }
    d = root / "evil/recordings"
    d.mkdir(parents=True)
    (d / ("e" * 64 + ".json")).write_text(json.dumps(rec), encoding="utf-8")
    return root / "evil"


def test_escape_sequences_and_markup_are_printed_inert(env: dict[str, str], tmp_path: Path) -> None:
    d = evil_tree(tmp_path)
    for args in (["show", "eeee", "--dir", str(d)], ["show", "eeee", "--dir", str(d), "--stream", "--full"], ["ls", str(d)], ["stats", str(d)], ["ls", str(d), "--json"], ["show", "eeee", "--dir", str(d), "--json"]):
        p = run(env, *args)
        assert p.returncode == 0, (args, p.stderr)
        assert ESC not in p.stdout and "\x07" not in p.stdout and "\x9b" not in p.stdout, args
        assert ESC not in p.stderr
    show = run(env, "show", "eeee", "--dir", str(d)).stdout
    assert "[bold red]x[/] after" in show       # markup printed literally, not interpreted
    assert "[red]sys[/red]" in show
    assert "[2J" in show and "]52;c;aGVsbG8=" in show   # the sequences are visible, made inert
    ls = run(env, "ls", str(d)).stdout
    assert "[bold]b[/bold]" in ls
    # the JSON keeps the exact text, escaped as JSON
    assert json.loads(run(env, "show", "eeee", "--dir", str(d), "--json").stdout)["result"]["choices"][0]["content"] == EVIL


# --- pipes ------------------------------------------------------------------------------


def big_tree(root: Path, n: int = 400) -> Path:
    src = (DEMO / AADC_REL).read_bytes()
    for i in range(n):
        p = root / f"area{i % 5}/recordings/{i:064x}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(src)
    return root


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_ls_into_head_has_no_broken_pipe_traceback(env: dict[str, str], tmp_path: Path, extra: list[str]) -> None:
    d = CORPUS if CORPUS.is_dir() else big_tree(tmp_path / "big")
    cmd = " ".join([sys.executable, "-m", "cassette_tui", "ls", str(d), *extra, "| head -1"])
    p = subprocess.run(["sh", "-c", cmd], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0
    assert len(p.stdout.splitlines()) == 1
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr
    assert p.stderr == ""


@pytest.mark.parametrize("args", [
    ["ls", str(DEMO), "--json", "--limit", "1"],
    ["stats", str(DEMO), "--json"],
    ["show", "aadc0675", "--dir", str(DEMO), "--json"],
    ["ls", str(DEMO), "--limit", "1"],
    ["show", "aadc0675", "--dir", str(DEMO)],
], ids=["ls-json", "stats-json", "show-json", "ls", "show"])
def test_a_reader_that_is_already_gone_is_not_an_error(env: dict[str, str], args: list[str]) -> None:
    """Small outputs sit in stdout's buffer until exit: the closed pipe must be caught there too."""
    env = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}   # block-buffered, as for a user
    p = subprocess.Popen([sys.executable, "-m", "cassette_tui", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()   # the reader leaves before a byte is written
    err = p.stderr.read()
    p.stderr.close()
    code = p.wait(timeout=120)
    assert err == b""
    assert code in (0, 1)   # 0 from our handler; Rich's own handler exits 1


# --- the installed console script -------------------------------------------------------


def test_console_script(env: dict[str, str], demo: Path) -> None:
    script = Path(sys.executable).with_name("cassette-tui")
    if not script.exists():
        found = shutil.which("cassette-tui")
        if not found:
            pytest.skip("the cassette-tui console script is not installed")
        script = Path(found)
    p = run(env, "ls", str(demo), "model:gpt-4o", "--json", exe=[str(script)])
    assert p.returncode == 0 and p.stderr == ""
    assert {r["id"] for r in json_lines(p.stdout)} == GPT4O_IDS
    v = run(env, "--version", exe=[str(script)])
    assert v.returncode == 0 and v.stdout.strip() == f"cassette-tui {cassette_tui.__version__}"
    bad = run(env, "show", "ffff0000", "--dir", str(demo), exe=[str(script)])
    assert_one_line_error(bad, "cassette-tui: no recording matches 'ffff0000'")


def test_nothing_is_written_into_the_scanned_tree(env: dict[str, str], demo: Path) -> None:
    def listing(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    before = listing(demo)
    for args in (["ls", str(demo)], ["ls", str(demo), "--json"], ["stats", str(demo), "--json"], ["show", "aadc", "--dir", str(demo)]):
        assert run(env, *args).returncode == 0
    assert listing(demo) == before
    # the index cache, and (stats verifies) the verdict cache, both in the cache dir
    assert sorted(p.name.split("-")[0] for p in Path(env["CASSETTE_TUI_CACHE_DIR"]).iterdir()) == ["index", "verify"]
