"""The command line behaves like the tools people know: pipes, help, defaults, typos, standard input.

Every test runs the real command in a child process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cassette_tui

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
AADC = DEMO / "responses" / "recordings" / "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CASSETTE_TUI_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}


def run(env: dict[str, str], *args: str, cwd: Path | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([sys.executable, "-m", "cassette_tui", *args], env=env, cwd=cwd, input=stdin, capture_output=True, timeout=120)
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))


@pytest.mark.parametrize("json_flag", [False, True])
def test_a_closed_pipe_ends_quietly_with_zero(env: dict[str, str], json_flag: bool) -> None:
    """`cassette-tui ls DIR | head -1` under `set -o pipefail`: 0, nothing on stderr."""
    shell = f"set -o pipefail; {sys.executable} -m cassette_tui ls {DEMO} {'--json' if json_flag else ''} | head -1"
    p = subprocess.run(["bash", "-c", shell], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(p.stdout.splitlines()) == 1 and p.stderr == ""


def test_ls_into_a_pipe_writes_rows_only(env: dict[str, str]) -> None:
    p = run(env, "ls", str(DEMO))
    rows = p.stdout.splitlines()
    assert len(rows) == 17       # the demo's recordings, no header, no footer
    assert not rows[0].startswith("id ") and "recordings in" not in p.stdout


def test_ls_stats_verify_default_to_the_current_directory(env: dict[str, str], tmp_path: Path) -> None:
    tree = tmp_path / "repo" / "tests" / "integration"
    shutil.copytree(DEMO, tree)
    here = tmp_path / "repo"
    assert len(run(env, "ls", "--json", cwd=here).stdout.splitlines()) == 17
    assert len(run(env, "ls", "model:gpt-4o", "--json", cwd=here).stdout.splitlines()) == 5   # a query alone: here
    assert json.loads(run(env, "stats", "--json", cwd=here).stdout)["recordings"] == 17
    assert len(run(env, "verify", "--json", cwd=here).stdout.splitlines()) == 17
    bad = run(env, "ls", "gpt", cwd=here)   # a bare word that is no folder: said, not searched silently
    assert bad.returncode == 2 and "no such directory: gpt (to search for it, give the folder first: ls . gpt)" in bad.stderr


def test_help_is_help_and_unknown_options_are_errors(env: dict[str, str]) -> None:
    for args in ((str(DEMO), "--help"), ("--help",), ("-h",)):
        p = run(env, *args)
        assert p.returncode == 0 and p.stdout.startswith("usage: cassette-tui [DIR] [QUERY ...]"), args
        assert "exit status:" in p.stdout and "CASSETTE_TUI_CACHE_DIR" in p.stdout and "examples:" in p.stdout
    bogus = run(env, str(DEMO), "--bogus", "model:x")
    assert bogus.returncode == 2 and bogus.stderr.startswith("cassette-tui: unrecognized option: --bogus")
    badq = run(env, str(DEMO), "modle:gpt-4o")
    assert badq.returncode == 2 and "unknown field 'modle'" in badq.stderr and "did you mean 'model'" in badq.stderr


def test_unknown_commands_get_did_you_mean(env: dict[str, str]) -> None:
    p = run(env, "lss")
    assert (p.returncode, p.stderr) == (2, "cassette-tui: unknown command 'lss' (did you mean 'ls'?)\n")
    p = run(env, "explian")
    assert "did you mean 'explain'" in p.stderr
    p = run(env, "ls", "--jsn", str(DEMO))
    assert p.returncode == 2 and "unrecognized arguments: --jsn" in p.stderr


def test_version_and_limit(env: dict[str, str]) -> None:
    for flag in ("-V", "--version"):
        assert run(env, flag).stdout == f"cassette-tui {cassette_tui.__version__}\n"
    p = run(env, "ls", str(DEMO), "--limit", "-1")
    assert (p.returncode, p.stdout) == (2, "") and "--limit must be 0 (no limit) or more" in p.stderr
    assert len(run(env, "ls", str(DEMO), "--limit", "3", "--json").stdout.splitlines()) == 3


def test_show_and_diff_read_standard_input(env: dict[str, str]) -> None:
    raw = AADC.read_bytes()
    shown = run(env, "show", "-", "--json", stdin=raw)
    assert shown.returncode == 0 and json.loads(shown.stdout)["model"] == "gpt-4o"
    same = run(env, "diff", "-", str(AADC), stdin=raw)
    assert same.returncode == 0 and "same request and reassembled response" in same.stdout
    changed = json.loads(raw)
    changed["request"]["body"]["temperature"] = 0.5
    differ = run(env, "diff", str(AADC), "-", stdin=json.dumps(changed).encode())
    assert differ.returncode == 1 and "body.temperature" in differ.stdout
    both = run(env, "diff", "-", "-", stdin=raw)
    assert both.returncode == 2 and "only one of A and B" in both.stderr


def test_ctrl_c_while_forked_readers_scan_exits_130_quietly(env: dict[str, str], tmp_path: Path) -> None:
    """A cold scan of 400 files forks readers. Ctrl-C at a terminal signals the whole foreground
    process group, readers included: status 130 and not a line of traceback, from any of them."""
    import signal
    import time

    tree = tmp_path / "big"
    for k in range(24):
        shutil.copytree(DEMO, tree / f"copy{k:02d}")
    caught = 0
    for run_no in range(6):
        env_k = {**env, "CASSETTE_TUI_CACHE_DIR": str(tmp_path / f"cache{run_no}")}   # cold each time: the readers fork
        p = subprocess.Popen([sys.executable, "-m", "cassette_tui", "ls", str(tree), "--json"], env=env_k,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 30
        while p.poll() is None and time.monotonic() < deadline:    # until a reader is forked (or it is all done)
            kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(p.pid)], capture_output=True, text=True).stdout.split()
            if kids:
                # the readers ignore SIGINT (it is the parent's to handle): their signal mask says so
                try:
                    status = Path(f"/proc/{kids[0]}/status").read_text()
                    ignored = int(next(ln for ln in status.splitlines() if ln.startswith("SigIgn:")).split()[1], 16)
                    assert ignored & (1 << (signal.SIGINT - 1)), f"reader {kids[0]} does not ignore SIGINT"
                    caught += 1
                except (FileNotFoundError, ProcessLookupError):
                    pass      # the reader was already done
                time.sleep(0.002 * run_no)
                os.killpg(p.pid, signal.SIGINT)
                break
        _, err = p.communicate(timeout=60)
        assert "Traceback" not in err.decode(), (run_no, err.decode()[-1500:])
        assert p.returncode in (130, 0), (run_no, p.returncode)      # 0: the scan had finished first
    assert caught >= 1


def test_no_argument_in_our_own_checkout_opens_the_demo(tmp_path: Path) -> None:
    from cassette_tui.cli import default_directory

    checkout = Path(cassette_tui.__file__).resolve().parents[1]
    here = os.getcwd()
    try:
        os.chdir(checkout)
        path, demo = default_directory()
        assert demo and path == DEMO
        os.chdir(tmp_path)
        (tmp_path / "tests" / "integration" / "x" / "recordings").mkdir(parents=True)
        shutil.copy(AADC, tmp_path / "tests" / "integration" / "x" / "recordings" / AADC.name)
        assert default_directory() == (tmp_path, False)
    finally:
        os.chdir(here)
